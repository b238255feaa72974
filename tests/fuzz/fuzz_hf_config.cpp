// Fuzz target: bytes as a Hugging Face folder's config.json, through load_model(folder) into
// every model family's builder (gpt2, bert, distilbert, llama, mistral, qwen2, qwen3, gemma,
// gemma2, gemma3_text, and the encoder-decoders t5, bart, marian), then a short trace (an encoder-decoder's: the translation
// of the text, its encoder and its cross-attention checked too).
//
// The folder holds the fuzzed config.json and, beside it:
// - when the bytes are a JSON object whose model_type is a family and whose sizes are small (see
//   kSmall), a model.safetensors with every tensor those sizes imply, under the real Hugging Face
//   names and shapes, in small deterministic float32 values; otherwise a model.safetensors with no
//   tensors, so the builder meets its first missing tensor (after reading the config);
// - a vocab.txt (a WordPiece tokenizer) with vocab_size entries (7 when the size is not small).
// load_model must refuse with a message naming the folder, or load; a model that loads traces
// "a b a b" (or refuses the text with a message), the trace passes the shared checks, and every
// head's projection slices have the model's shapes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "fuzz_support.h"

namespace {

using namespace attnscope;
using Shape = std::vector<std::int64_t>;
using Tensors = std::map<std::string, Shape>;  // sorted: the safetensors header is written in this order

// The sizes the harness writes tensors for: a few kilobytes of weights at most.
namespace kSmall {
constexpr std::int64_t kWidth = 64, kFeedForward = 128, kHeads = 16, kLayers = 3, kVocabulary = 64, kPositions = 64;
}

// One size from the config, the way the loaders read it: a missing or null key takes `fallback`.
// nullopt when the value is not an integer in 1..max (the loader decides what to say about it).
std::optional<std::int64_t> small_size(const nlohmann::json& cfg, const char* key, std::int64_t max,
                                       std::optional<std::int64_t> fallback = std::nullopt) {
    if (!cfg.contains(key) || cfg[key].is_null()) return fallback;
    const nlohmann::json& v = cfg[key];
    if (!v.is_number_integer()) return std::nullopt;
    const std::int64_t n = v.is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(v.get<std::uint64_t>(), 1u << 30))
                                                  : v.get<std::int64_t>();
    if (n < 1 || n > max) return std::nullopt;
    return n;
}

// Thrown (and caught in tensors_for) when a size is not small: no tensors are written then.
struct NotSmall {};
std::int64_t need(std::optional<std::int64_t> size) {
    if (!size) throw NotSmall{};
    return *size;
}

// [SECTION] The tensors each family's builder requires (names as in hf_gpt2/bert/llama.cpp)

Tensors gpt2_tensors(const nlohmann::json& cfg, bool prefixed) {
    using namespace kSmall;
    const std::int64_t d = need(small_size(cfg, "n_embd", kWidth)), layers = need(small_size(cfg, "n_layer", kLayers));
    const std::int64_t vocab = need(small_size(cfg, "vocab_size", kVocabulary));
    const std::int64_t positions = need(small_size(cfg, "n_positions", kPositions, small_size(cfg, "n_ctx", kPositions, 1024)));
    const std::int64_t ff = need(small_size(cfg, "n_inner", kFeedForward, 4 * d));
    const std::string p = prefixed ? "transformer." : "";
    Tensors t{{p + "wte.weight", {vocab, d}}, {p + "wpe.weight", {positions, d}}, {p + "ln_f.weight", {d}}, {p + "ln_f.bias", {d}}};
    for (std::int64_t l = 0; l < layers; ++l) {
        const std::string b = p + "h." + std::to_string(l) + ".";
        for (const char* ln : {"ln_1.", "ln_2."}) t[b + ln + "weight"] = {d}, t[b + ln + "bias"] = {d};
        t[b + "attn.c_attn.weight"] = {d, 3 * d}, t[b + "attn.c_attn.bias"] = {3 * d};
        t[b + "attn.c_proj.weight"] = {d, d}, t[b + "attn.c_proj.bias"] = {d};
        t[b + "mlp.c_fc.weight"] = {d, ff}, t[b + "mlp.c_fc.bias"] = {ff};
        t[b + "mlp.c_proj.weight"] = {ff, d}, t[b + "mlp.c_proj.bias"] = {d};
    }
    return t;
}

Tensors bert_tensors(const nlohmann::json& cfg, bool distil, bool prefixed, bool with_head) {
    using namespace kSmall;
    const std::int64_t d = need(small_size(cfg, distil ? "dim" : "hidden_size", kWidth));
    const std::int64_t layers = need(small_size(cfg, distil ? "n_layers" : "num_hidden_layers", kLayers));
    const std::int64_t ff = need(small_size(cfg, distil ? "hidden_dim" : "intermediate_size", kFeedForward));
    const std::int64_t vocab = need(small_size(cfg, "vocab_size", kVocabulary));
    const std::int64_t positions = need(small_size(cfg, "max_position_embeddings", kPositions, 512));
    const std::string p = prefixed ? (distil ? "distilbert." : "bert.") : "";
    Tensors t;
    auto norm = [&](const std::string& base) { t[base + "weight"] = {d}, t[base + "bias"] = {d}; };
    auto linear = [&](const std::string& base, std::int64_t out, std::int64_t in) {
        t[base + "weight"] = {out, in}, t[base + "bias"] = {out};
    };
    t[p + "embeddings.word_embeddings.weight"] = {vocab, d};
    t[p + "embeddings.position_embeddings.weight"] = {positions, d};
    if (!distil) t[p + "embeddings.token_type_embeddings.weight"] = {need(small_size(cfg, "type_vocab_size", 4, 2)), d};
    norm(p + "embeddings.LayerNorm.");
    for (std::int64_t l = 0; l < layers; ++l) {
        if (distil) {
            const std::string b = p + "transformer.layer." + std::to_string(l) + ".";
            for (const char* n : {"q_lin.", "k_lin.", "v_lin.", "out_lin."}) linear(b + "attention." + n, d, d);
            norm(b + "sa_layer_norm."), linear(b + "ffn.lin1.", ff, d), linear(b + "ffn.lin2.", d, ff), norm(b + "output_layer_norm.");
        } else {
            const std::string b = p + "encoder.layer." + std::to_string(l) + ".";
            for (const char* n : {"query.", "key.", "value."}) linear(b + "attention.self." + n, d, d);
            linear(b + "attention.output.dense.", d, d), norm(b + "attention.output.LayerNorm.");
            linear(b + "intermediate.dense.", ff, d), linear(b + "output.dense.", d, ff), norm(b + "output.LayerNorm.");
        }
    }
    if (with_head && distil) linear("vocab_transform.", d, d), norm("vocab_layer_norm."), t["vocab_projector.bias"] = {vocab};
    if (with_head && !distil)
        linear("cls.predictions.transform.dense.", d, d), norm("cls.predictions.transform.LayerNorm."), t["cls.predictions.bias"] = {vocab};
    return t;
}

// The Llama kinds' extra norms: `sandwich` (gemma2, gemma3_text) adds the norms before and after
// the MLP; `qk_norm` (qwen3, gemma3_text) one d_head gain each for q and k.
struct LlamaKind {
    bool biases = false, sandwich = false, qk_norm = false;
};

Tensors llama_tensors(const nlohmann::json& cfg, LlamaKind kind) {
    const bool biases = kind.biases;
    using namespace kSmall;
    const std::int64_t d = need(small_size(cfg, "hidden_size", kWidth)), heads = need(small_size(cfg, "num_attention_heads", kHeads));
    const std::int64_t kv = need(small_size(cfg, "num_key_value_heads", kHeads, heads));
    const std::int64_t dh = need(small_size(cfg, "head_dim", kWidth, std::max<std::int64_t>(1, d / heads)));
    const std::int64_t ff = need(small_size(cfg, "intermediate_size", kFeedForward));
    const std::int64_t layers = need(small_size(cfg, "num_hidden_layers", kLayers)), vocab = need(small_size(cfg, "vocab_size", kVocabulary));
    Tensors t{{"model.embed_tokens.weight", {vocab, d}}, {"model.norm.weight", {d}}};
    for (std::int64_t l = 0; l < layers; ++l) {
        const std::string b = "model.layers." + std::to_string(l) + ".";
        t[b + "input_layernorm.weight"] = {d}, t[b + "post_attention_layernorm.weight"] = {d};
        t[b + "self_attn.q_proj.weight"] = {heads * dh, d}, t[b + "self_attn.k_proj.weight"] = {kv * dh, d};
        t[b + "self_attn.v_proj.weight"] = {kv * dh, d}, t[b + "self_attn.o_proj.weight"] = {d, heads * dh};
        if (biases)
            t[b + "self_attn.q_proj.bias"] = {heads * dh}, t[b + "self_attn.k_proj.bias"] = {kv * dh}, t[b + "self_attn.v_proj.bias"] = {kv * dh};
        t[b + "mlp.gate_proj.weight"] = {ff, d}, t[b + "mlp.up_proj.weight"] = {ff, d}, t[b + "mlp.down_proj.weight"] = {d, ff};
        if (kind.sandwich) t[b + "pre_feedforward_layernorm.weight"] = {d}, t[b + "post_feedforward_layernorm.weight"] = {d};
        if (kind.qk_norm) t[b + "self_attn.q_norm.weight"] = {dh}, t[b + "self_attn.k_norm.weight"] = {dh};
    }
    const bool tied = cfg.contains("tie_word_embeddings") && cfg["tie_word_embeddings"].is_boolean() && cfg["tie_word_embeddings"].get<bool>();
    if (!tied) t["lm_head.weight"] = {vocab, d};
    return t;
}

Tensors t5_tensors(const nlohmann::json& cfg) {
    using namespace kSmall;
    const std::int64_t d = need(small_size(cfg, "d_model", kWidth)), heads = need(small_size(cfg, "num_heads", kHeads));
    const std::int64_t dk = need(small_size(cfg, "d_kv", kWidth)), ff = need(small_size(cfg, "d_ff", kFeedForward));
    const std::int64_t layers = need(small_size(cfg, "num_layers", kLayers));
    const std::int64_t decoder_layers = need(small_size(cfg, "num_decoder_layers", kLayers, layers));
    const std::int64_t vocab = need(small_size(cfg, "vocab_size", kVocabulary));
    const std::int64_t buckets = need(small_size(cfg, "relative_attention_num_buckets", kPositions, 32));
    const bool gated = cfg.contains("feed_forward_proj") && cfg["feed_forward_proj"].is_string() &&
                       cfg["feed_forward_proj"].get<std::string>().rfind("gated-", 0) == 0;
    const bool tied = !cfg.contains("tie_word_embeddings") || !cfg["tie_word_embeddings"].is_boolean() ||
                      cfg["tie_word_embeddings"].get<bool>();
    Tensors t{{"shared.weight", {vocab, d}}, {"encoder.final_layer_norm.weight", {d}}, {"decoder.final_layer_norm.weight", {d}}};
    auto attention = [&](const std::string& b) {
        for (const char* n : {"q.", "k.", "v."}) t[b + n + "weight"] = {heads * dk, d};
        t[b + "o.weight"] = {d, heads * dk};
    };
    auto stack = [&](const std::string& name, std::int64_t count, bool decoder) {
        for (std::int64_t l = 0; l < count; ++l) {
            const std::string b = name + ".block." + std::to_string(l) + ".layer.";
            attention(b + "0.SelfAttention.");
            t[b + "0.layer_norm.weight"] = {d};
            if (l == 0) t[b + "0.SelfAttention.relative_attention_bias.weight"] = {buckets, heads};
            if (decoder) attention(b + "1.EncDecAttention."), t[b + "1.layer_norm.weight"] = {d};
            const std::string f = b + (decoder ? "2." : "1.");
            if (gated) t[f + "DenseReluDense.wi_0.weight"] = {ff, d}, t[f + "DenseReluDense.wi_1.weight"] = {ff, d};
            else t[f + "DenseReluDense.wi.weight"] = {ff, d};
            t[f + "DenseReluDense.wo.weight"] = {d, ff}, t[f + "layer_norm.weight"] = {d};
        }
    };
    stack("encoder", layers, false);
    stack("decoder", decoder_layers, true);
    if (!tied) t["lm_head.weight"] = {vocab, d};
    return t;
}

// BART and Marian (Marian: no layernorm_embedding, and its sinusoids are computed unless stored).
Tensors bart_tensors(const nlohmann::json& cfg, bool marian, bool store_positions) {
    using namespace kSmall;
    const std::int64_t d = need(small_size(cfg, "d_model", kWidth)), vocab = need(small_size(cfg, "vocab_size", kVocabulary));
    const std::int64_t positions = need(small_size(cfg, "max_position_embeddings", kPositions, 1024));
    Tensors t{{"model.shared.weight", {vocab, d}}, {"final_logits_bias", {1, vocab}}};
    auto norm = [&](const std::string& base) { t[base + "weight"] = {d}, t[base + "bias"] = {d}; };
    auto linear = [&](const std::string& base, std::int64_t out, std::int64_t in) {
        t[base + "weight"] = {out, in}, t[base + "bias"] = {out};
    };
    for (const std::string side : {"encoder", "decoder"}) {
        const std::int64_t layers = need(small_size(cfg, (side + "_layers").c_str(), kLayers));
        const std::int64_t ff = need(small_size(cfg, (side + "_ffn_dim").c_str(), kFeedForward));
        const std::string p = "model." + side + ".";
        if (!marian) t[p + "embed_positions.weight"] = {positions + 2, d}, norm(p + "layernorm_embedding.");
        else if (store_positions) t[p + "embed_positions.weight"] = {positions, d};
        for (std::int64_t l = 0; l < layers; ++l) {
            const std::string b = p + "layers." + std::to_string(l) + ".";
            std::vector<std::string> attentions = {"self_attn"};
            if (side == "decoder") attentions.push_back("encoder_attn");
            for (const std::string& a : attentions) {
                for (const char* n : {".q_proj.", ".k_proj.", ".v_proj.", ".out_proj."}) linear(b + a + n, d, d);
                norm(b + a + "_layer_norm.");
            }
            linear(b + "fc1.", ff, d), linear(b + "fc2.", d, ff), norm(b + "final_layer_norm.");
        }
    }
    return t;
}

// The family's tensors, or none when the config is not an object of a known family with small
// sizes. `variant` (from the input's length) picks the optional parts: name prefixes, BERT's head.
Tensors tensors_for(const nlohmann::json& cfg, std::size_t variant) {
    if (!cfg.is_object() || !cfg.contains("model_type") || !cfg["model_type"].is_string()) return {};
    const std::string type = cfg["model_type"].get<std::string>();
    try {
        if (type == "gpt2") return gpt2_tensors(cfg, variant % 2 == 0);
        if (type == "bert" || type == "distilbert") return bert_tensors(cfg, type == "distilbert", variant % 2 == 0, variant % 3 != 0);
        if (type == "llama" || type == "mistral" || type == "qwen2") return llama_tensors(cfg, LlamaKind{type == "qwen2", false, false});
        if (type == "qwen3") return llama_tensors(cfg, LlamaKind{false, false, true});
        if (type == "gemma") return llama_tensors(cfg, LlamaKind{});
        if (type == "gemma2" || type == "gemma3_text") return llama_tensors(cfg, LlamaKind{false, true, type == "gemma3_text"});
        if (type == "t5") return t5_tensors(cfg);
        if (type == "bart" || type == "marian") return bart_tensors(cfg, type == "marian", variant % 2 == 0);
    } catch (const NotSmall&) {
    }
    return {};
}

// [SECTION] Writing the folder

void append_f32(std::string& out, float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

// A safetensors file of the tensors, in float32: values in [-0.5, 0.5] from a fixed formula, so a
// crash reproduces from the config alone; 1-D tensors near 1 (norm gains), as real ones are.
std::string safetensors_of(const Tensors& tensors) {
    nlohmann::json header = nlohmann::json::object();
    std::string data;
    for (const auto& [name, shape] : tensors) {
        std::int64_t count = 1;
        for (std::int64_t s : shape) count *= s;
        const std::size_t begin = data.size();
        for (std::int64_t i = 0; i < count; ++i)
            append_f32(data, (shape.size() == 1 ? 1.0f : 0.0f) + 0.5f * static_cast<float>(std::sin(0.7 * static_cast<double>(i) + static_cast<double>(name.size()))));
        header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {begin, data.size()}}};
    }
    const std::string text = header.dump();
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(text.size()) >> (8 * i)) & 0xff));
    return out + text + data;
}

// BERT's vocab.txt: the special tokens, "a" and "b" (the trace's words), then fillers up to `size`.
std::string vocab_txt(std::int64_t size) {
    const std::vector<std::string> words = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"};
    std::string out;
    for (std::int64_t i = 0; i < size; ++i)
        out += (i < static_cast<std::int64_t>(words.size()) ? words[static_cast<std::size_t>(i)] : "w" + std::to_string(i)) + "\n";
    return out;
}

std::filesystem::path write_folder(std::string_view config_bytes) {
    const std::filesystem::path dir = fuzz::ScratchDir::path() / "model";
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir);
    fuzz::write_scratch_file("model/config.json", config_bytes);

    const nlohmann::json cfg = nlohmann::json::parse(config_bytes.begin(), config_bytes.end(), nullptr, false);
    fuzz::write_scratch_file("model/model.safetensors", safetensors_of(tensors_for(cfg, config_bytes.size())));
    const auto vocab = cfg.is_object() ? small_size(cfg, "vocab_size", kSmall::kVocabulary) : std::nullopt;
    fuzz::write_scratch_file("model/vocab.txt", vocab_txt(vocab.value_or(7)));
    return dir;
}

// Every head's W_Q, W_K, W_V slices (the step-by-step view reads them): d_model x d_head each,
// biases d_head, so a grouped key/value head's index stays inside its tensor.
void check_head_projections(const Model& model) {
    const ModelInfo& info = model.info();
    for (int l = 0; l < info.n_layers; ++l)
        for (int h = 0; h < info.n_heads; ++h) {
            const auto p = model.head_projection(l, h);
            if (!p) continue;
            const std::string at = "head_projection(" + std::to_string(l) + ", " + std::to_string(h) + ")";
            for (const Matrix* w : {&p->w_q, &p->w_k, &p->w_v})
                fuzz::check(w->rows() == info.d_model && w->cols() == info.d_head, at + ": a matrix is not d_model x d_head");
            for (const RowVector* b : {&p->b_q, &p->b_k, &p->b_v}) fuzz::check(b->size() == info.d_head, at + ": a bias is not d_head");
        }
    fuzz::check(!model.head_projection(info.n_layers, 0) && !model.head_projection(0, info.n_heads),
                "head_projection answered for a layer or head the model does not have");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::setup_once();
    const std::string_view input = fuzz::as_text(data, size);
    const std::filesystem::path dir = write_folder(input);
    const Result<ModelPtr> model = load_model(dir.string());
    // FUZZ_VERBOSE=1: say what each input did (to see that the seeds load and trace).
    static const bool verbose = std::getenv("FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "%s\n", model.ok() ? "loaded" : fuzz::printable(model.error().message).c_str());
    if (!model.ok()) {
        fuzz::check_error(model.error(), "load_model", input);
        fuzz::check(model.error().message.find(dir.string()) != std::string::npos,
                    "load_model: the message does not name the folder or a file in it: " + fuzz::printable(model.error().message));
        return 0;
    }
    const auto trace = compute_trace(*model.value(), "a b a b");
    if (verbose) std::fprintf(stderr, "  trace: %s\n", trace.ok() ? "ok" : fuzz::printable(trace.error().message).c_str());
    if (!trace.ok()) {
        fuzz::check_error(trace.error(), "compute_trace", "a b a b");
        return 0;
    }
    fuzz::check_trace(*trace.value());
    if (model.value()->encoder_decoder()) {  // the encoder's pass and the cross-attention too
        fuzz::check(trace.value()->source != nullptr, "an encoder-decoder's trace has no source");
        fuzz::check_trace(*trace.value()->source);
        fuzz::check_trace(*cross_attention_trace(*trace.value()));
    }
    check_head_projections(*model.value());
    return 0;
}
