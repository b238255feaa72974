// Reads the own JSON model format, version 1 (design.md). Sections:
//   [SECTION] Reading the file      size, nesting depth, comments, parse errors
//   [SECTION] Config and tokenizer
//   [SECTION] Weights
//   [SECTION] Public entry points   the only place a LoadError becomes a Result
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/json_model.h"
#include "attnscope/word_tokenizer.h"
#include "util/file_read.h"
#include "util/json_path.h"

namespace attnscope {

namespace {

// The whole file becomes a JSON tree first, which takes about six times the file's size in memory
// (a 1 GB array of numbers: 6.3 GB): past 512 MiB that no longer fits the memory budget. The own
// format is for small teaching models; big ones come as safetensors.
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{512} << 20;

// [SECTION] Reading the file

std::string read_file(const std::filesystem::path& file) {
    return read_text_file(file, kMaxFileBytes, "a .json model file");
}

// [SECTION] Config and tokenizer

TransformerConfig read_config(const nlohmann::json& root, const JsonPath& root_at) {
    const JsonPath at = root_at.key("config");
    const nlohmann::json& node = require(root, root_at, "config");
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    reject_unknown_keys(node, at, {"d_model", "n_heads", "n_layers", "d_ff", "max_len", "causal", "positional",
                                   "norm", "norm_eps", "activation", "attn_scale", "encoder_layers"});
    TransformerConfig c;
    c.d_model = read_int(require(node, at, "d_model"), at.key("d_model"), 1, 65536);
    c.n_heads = read_int(require(node, at, "n_heads"), at.key("n_heads"), 1, 4096);
    c.n_layers = read_int(require(node, at, "n_layers"), at.key("n_layers"), 1, 1024);
    c.d_ff = read_int(require(node, at, "d_ff"), at.key("d_ff"), 0, 1 << 20);
    c.max_len = read_int(require(node, at, "max_len"), at.key("max_len"), 1, 1 << 20);
    c.causal = read_bool(require(node, at, "causal"), at.key("causal"));
    c.positional = read_enum<Positional>(require(node, at, "positional"), at.key("positional"), positional_name);
    c.norm = read_enum<Norm>(require(node, at, "norm"), at.key("norm"), norm_name);
    if (node.contains("norm_eps")) {
        c.norm_eps = read_finite_float(node["norm_eps"], at.key("norm_eps"));
        if (c.norm_eps <= 0) at.key("norm_eps").fail("expected a positive number, got " + node["norm_eps"].dump());
    }
    if (node.contains("activation"))
        c.activation = read_enum<Activation>(node["activation"], at.key("activation"), activation_name);
    if (node.contains("attn_scale") && !node["attn_scale"].is_null()) {
        c.attn_scale = read_finite_float(node["attn_scale"], at.key("attn_scale"));
        if (*c.attn_scale <= 0) at.key("attn_scale").fail("expected null or a positive number, got " + node["attn_scale"].dump());
    }
    if (node.contains("encoder_layers")) {  // an encoder-decoder (format version 2)
        c.encoder_layers = read_int(node["encoder_layers"], at.key("encoder_layers"), 1, 1024);
        if (!c.causal) at.key("causal").fail("expected true: an encoder-decoder's n_layers are its (causal) decoder's");
    }
    if (c.d_model % c.n_heads != 0)
        at.key("n_heads").fail("expected a divisor of d_model " + std::to_string(c.d_model) + ", got " +
                               std::to_string(c.n_heads));
    return c;
}

std::shared_ptr<const WordTokenizer> read_tokenizer(const nlohmann::json& root, const JsonPath& root_at) {
    const JsonPath at = root_at.key("tokenizer");
    const nlohmann::json& node = require(root, root_at, "tokenizer");
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    reject_unknown_keys(node, at, {"type", "lowercase", "unk", "vocab"});
    const std::string type = read_string(require(node, at, "type"), at.key("type"));
    if (type != "word") at.key("type").fail("expected \"word\", got \"" + type + "\"");
    const bool lowercase = node.contains("lowercase") ? read_bool(node["lowercase"], at.key("lowercase")) : true;
    const std::string unk = read_string(require(node, at, "unk"), at.key("unk"));

    const JsonPath vocab_at = at.key("vocab");
    const nlohmann::json& vocab_node = require(node, at, "vocab");
    if (!vocab_node.is_array() || vocab_node.empty())
        vocab_at.fail("expected a non-empty array of strings, got " + describe_shape(vocab_node));
    std::vector<std::string> vocab;
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < vocab_node.size(); ++i) {
        vocab.push_back(read_string(vocab_node[i], vocab_at.index(i)));
        if (auto [it, fresh] = seen.emplace(vocab.back(), i); !fresh)
            vocab_at.index(i).fail("\"" + vocab.back() + "\" appears twice (first at [" + std::to_string(it->second) + "])");
    }
    if (!seen.count(unk)) at.key("unk").fail("\"" + unk + "\" is not in tokenizer.vocab");
    return std::make_shared<WordTokenizer>(std::move(vocab), lowercase, unk);
}

// [SECTION] Weights

LayerNormWeights read_norm(const nlohmann::json& parent, const JsonPath& parent_at, const char* name, Index d) {
    const JsonPath at = parent_at.key(name);
    const nlohmann::json& node = require(parent, parent_at, name);
    if (!node.is_object()) at.fail("expected an object with gamma and beta, got " + describe_type(node));
    reject_unknown_keys(node, at, {"gamma", "beta"});
    return {read_vector(require(node, at, "gamma"), at.key("gamma"), d, "d_model"),
            read_vector(require(node, at, "beta"), at.key("beta"), d, "d_model")};
}

// An optional bias: zeros when absent.
RowVector read_bias(const nlohmann::json& layer, const JsonPath& at, const char* name, Index d, const char* dims) {
    if (!layer.contains(name)) return RowVector::Zero(d);
    return read_vector(layer[name], at.key(name), d, dims);
}

// A decoder layer's "cross" object: its norm, W_Q, W_K, W_V, W_O and their optional biases.
CrossAttentionWeights read_cross(const nlohmann::json& layer, const JsonPath& layer_at, const TransformerConfig& c) {
    const JsonPath at = layer_at.key("cross");
    const nlohmann::json& node = require(layer, layer_at, "cross");
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    const bool norm = c.norm == Norm::LayerNorm;
    std::vector<std::string_view> known = {"wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"};
    if (norm) known.push_back("ln");
    reject_unknown_keys(node, at, known);
    const Index d = c.d_model;
    CrossAttentionWeights w;
    if (norm) w.ln = read_norm(node, at, "ln", d);
    w.wq = read_matrix(require(node, at, "wq"), at.key("wq"), d, d, "d_model x d_model");
    w.wk = read_matrix(require(node, at, "wk"), at.key("wk"), d, d, "d_model x d_model");
    w.wv = read_matrix(require(node, at, "wv"), at.key("wv"), d, d, "d_model x d_model");
    w.wo = read_matrix(require(node, at, "wo"), at.key("wo"), d, d, "d_model x d_model");
    w.bq = read_bias(node, at, "bq", d, "d_model");
    w.bk = read_bias(node, at, "bk", d, "d_model");
    w.bv = read_bias(node, at, "bv", d, "d_model");
    w.bo = read_bias(node, at, "bo", d, "d_model");
    return w;
}

// `cross`: a decoder layer of an encoder-decoder, which also has cross-attention.
TransformerLayerWeights read_layer(const nlohmann::json& node, const JsonPath& at, const TransformerConfig& c,
                                   bool cross = false) {
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    const bool norm = c.norm == Norm::LayerNorm;
    const bool mlp = c.d_ff > 0;
    std::vector<std::string_view> known = {"wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"};
    if (norm) known.insert(known.end(), {"ln1", "ln2"});
    if (mlp) known.insert(known.end(), {"w1", "b1", "w2", "b2"});
    if (cross) known.push_back("cross");
    reject_unknown_keys(node, at, known);

    const Index d = c.d_model;
    TransformerLayerWeights w;
    w.wq = read_matrix(require(node, at, "wq"), at.key("wq"), d, d, "d_model x d_model");
    w.wk = read_matrix(require(node, at, "wk"), at.key("wk"), d, d, "d_model x d_model");
    w.wv = read_matrix(require(node, at, "wv"), at.key("wv"), d, d, "d_model x d_model");
    w.bq = read_bias(node, at, "bq", d, "d_model");
    w.bk = read_bias(node, at, "bk", d, "d_model");
    w.bv = read_bias(node, at, "bv", d, "d_model");
    w.has_wo = node.contains("wo");
    w.wo = w.has_wo ? read_matrix(node["wo"], at.key("wo"), d, d, "d_model x d_model") : Matrix::Identity(d, d);
    w.bo = read_bias(node, at, "bo", d, "d_model");
    if (norm) {
        w.ln1 = read_norm(node, at, "ln1", d);
        if (mlp) w.ln2 = read_norm(node, at, "ln2", d);
    }
    if (mlp) {
        w.w1 = read_matrix(require(node, at, "w1"), at.key("w1"), d, c.d_ff, "d_model x d_ff");
        w.b1 = read_bias(node, at, "b1", c.d_ff, "d_ff");
        w.w2 = read_matrix(require(node, at, "w2"), at.key("w2"), c.d_ff, d, "d_ff x d_model");
        w.b2 = read_bias(node, at, "b2", d, "d_model");
    }
    if (cross) w.cross = read_cross(node, at, c);
    return w;
}

// An array of exactly `count` layers at parent[name] (`what` names the count in messages).
std::vector<TransformerLayerWeights> read_layers(const nlohmann::json& parent, const JsonPath& parent_at, const char* name,
                                                 int count, const char* what, const TransformerConfig& c, bool cross) {
    const JsonPath at = parent_at.key(name);
    const nlohmann::json& layers = require(parent, parent_at, name);
    if (!layers.is_array() || static_cast<int>(layers.size()) != count)
        at.fail("expected an array of " + std::to_string(count) + " layers (" + what + "), got " + describe_shape(layers));
    std::vector<TransformerLayerWeights> out;
    for (std::size_t l = 0; l < layers.size(); ++l) out.push_back(read_layer(layers[l], at.index(l), c, cross));
    return out;
}

// weights.encoder of an encoder-decoder: {"layers": [...], "final_norm": {...}}.
void read_encoder(const nlohmann::json& weights, const JsonPath& weights_at, const TransformerConfig& c, TransformerWeights& w) {
    const JsonPath at = weights_at.key("encoder");
    const nlohmann::json& node = require(weights, weights_at, "encoder");
    if (!node.is_object()) at.fail("expected an object with layers, got " + describe_type(node));
    std::vector<std::string_view> known = {"layers"};
    if (c.norm == Norm::LayerNorm) known.push_back("final_norm");
    reject_unknown_keys(node, at, known);
    w.encoder_layers = read_layers(node, at, "layers", c.encoder_layers, "encoder_layers", c, false);
    if (c.norm == Norm::LayerNorm) w.encoder_final_norm = read_norm(node, at, "final_norm", c.d_model);
}

TransformerWeights read_weights(const nlohmann::json& root, const JsonPath& root_at, const TransformerConfig& c,
                                Index vocab) {
    const JsonPath at = root_at.key("weights");
    const nlohmann::json& node = require(root, root_at, "weights");
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    std::vector<std::string_view> known = {"token_embedding", "layers", "lm_head"};
    if (c.positional == Positional::Learned) known.push_back("position_embedding");
    if (c.is_encoder_decoder()) known.push_back("encoder");
    if (c.norm == Norm::LayerNorm) known.push_back("final_norm");
    reject_unknown_keys(node, at, known);

    TransformerWeights w;
    w.token_embedding = read_matrix(require(node, at, "token_embedding"), at.key("token_embedding"), vocab, c.d_model,
                                    "vocab x d_model, one row per tokenizer.vocab entry");
    if (c.positional == Positional::Learned)
        w.position_embedding = read_matrix(require(node, at, "position_embedding"), at.key("position_embedding"),
                                           c.max_len, c.d_model, "max_len x d_model");
    w.layers = read_layers(node, at, "layers", c.n_layers, "n_layers", c, c.is_encoder_decoder());
    if (c.is_encoder_decoder()) read_encoder(node, at, c, w);
    if (c.norm == Norm::LayerNorm) w.final_norm = read_norm(node, at, "final_norm", c.d_model);
    if (node.contains("lm_head"))
        w.lm_head = read_matrix(node["lm_head"], at.key("lm_head"), c.d_model, vocab, "d_model x vocab");
    return w;
}

ModelPtr parse_model(std::string_view text, const std::string& source) {
    const nlohmann::json root = parse_json_text(text);
    const JsonPath at;
    if (!root.is_object()) at.fail("expected a JSON object at the top level, got " + describe_type(root));
    reject_unknown_keys(root, at, {"format", "version", "name", "description", "config", "tokenizer", "weights",
                                   "training"});
    const std::string format = read_string(require(root, at, "format"), at.key("format"));
    if (format != "attnscope-model") at.key("format").fail("expected \"attnscope-model\", got \"" + format + "\"");
    const nlohmann::json& version = require(root, at, "version");
    // Version 2 adds encoder-decoders (config.encoder_layers, weights.encoder, layers[i].cross).
    if (!version.is_number_integer() || (version.get<long long>() != 1 && version.get<long long>() != 2))
        at.key("version").fail("expected 1 or 2 (this build reads versions 1 and 2), got " + version.dump());

    ModelInfo info;
    info.name = root.contains("name") ? read_string(root["name"], at.key("name")) : std::string("unnamed");
    info.description = root.contains("description") ? read_string(root["description"], at.key("description")) : "";
    info.source = source;
    const TransformerConfig config = read_config(root, at);
    auto tokenizer = read_tokenizer(root, at);
    if (config.is_encoder_decoder())
        for (const char* token : {kStartToken, kEndToken})
            if (!tokenizer->find(token))
                at.key("tokenizer").key("vocab").fail(std::string("an encoder-decoder needs \"") + token +
                                                      "\" in its vocabulary (the decoder's start and end)");
    TransformerWeights weights = read_weights(root, at, config, tokenizer->vocab_size());
    return std::make_shared<TransformerModel>(std::move(info), config, std::move(weights), std::move(tokenizer));
}

}  // namespace

// [SECTION] Public entry points

Result<ModelPtr> load_json_model_text(std::string_view text, const std::string& source) {
    try {
        return parse_model(text, source);  // complete, or it threw
    } catch (const LoadError& e) {
        return Error{source + ": " + e.what()};
    } catch (const std::bad_alloc&) {
        return Error{source + ": out of memory while reading the model"};
    }
}

Result<ModelPtr> load_json_model_file(const std::filesystem::path& file) {
    std::string text;
    try {
        text = read_file(file);
    } catch (const LoadError& e) {
        return Error{file.string() + ": " + e.what()};
    }
    return load_json_model_text(text, file.string());
}

}  // namespace attnscope
