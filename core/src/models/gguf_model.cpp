// load_gguf_model: a GGUF file -> the Hugging Face architecture that runs it.
//
// llama.cpp's converter renames every tensor ("model.layers.3.mlp.down_proj.weight" becomes
// "blk.3.ffn_down.weight") and turns config.json into metadata keys under the architecture's name
// ("llama.block_count"). Both are undone here, so the architectures in hf_*.cpp run GGUF files
// unchanged and a GGUF model traces exactly as the safetensors checkpoint it was converted from.
//
// One more thing the converter changes for `llama`: it reorders each head's q and k rows so that
// RoPE rotates adjacent pairs (x0, x1), (x2, x3), ... (llama.cpp's rotation) instead of the pairs
// (x_i, x_{i + d/2}) Hugging Face rotates. Within a head of d rows, Hugging Face row s*d/2 + i
// (s = 0, 1; i < d/2) is stored as row 2i + s. Reading the rows back in Hugging Face's order
// (StoredTensor::row_order) makes the trace's q and k the safetensors model's, with its RoPE.
#include "models/gguf_model.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "attnscope/text.h"
#include "formats/ggml_dequantize.h"
#include "formats/gguf.h"
#include "models/hf_architectures.h"
#include "tokenize/gguf_tokenizer.h"

namespace attnscope {

namespace {

// [SECTION] Tensor names

// Hugging Face's names for one layer's tensors (after "model.layers.N.") -> llama.cpp's (after "blk.N.").
const std::map<std::string, std::string, std::less<>> kLlamaLayerNames = {
    {"input_layernorm.weight", "attn_norm.weight"},     {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},       {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},       {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},           {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},           {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},            {"mlp.down_proj.weight", "ffn_down.weight"},
};
const std::map<std::string, std::string, std::less<>> kLlamaModelNames = {
    {"model.embed_tokens.weight", "token_embd.weight"}, {"embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},        {"norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// "model.layers.12.mlp.up_proj.weight" -> "blk.12.ffn_up.weight"; a name with no counterpart is
// returned as it is (and then not found).
std::string llama_gguf_name(const std::string& hf) {
    if (const auto it = kLlamaModelNames.find(hf); it != kLlamaModelNames.end()) return it->second;
    std::string rest = hf.rfind("model.", 0) == 0 ? hf.substr(6) : hf;
    if (rest.rfind("layers.", 0) != 0) return hf;
    rest = rest.substr(7);
    const std::size_t dot = rest.find('.');
    if (dot == std::string::npos || dot == 0 || !std::all_of(rest.begin(), rest.begin() + static_cast<long>(dot), ::isdigit)) return hf;
    const auto it = kLlamaLayerNames.find(std::string_view(rest).substr(dot + 1));
    return it == kLlamaLayerNames.end() ? hf : "blk." + rest.substr(0, dot) + "." + it->second;
}

// The Hugging Face order of a permuted q or k weight's rows: row h*d + s*d/2 + i is file row
// h*d + 2i + s.
std::vector<std::int32_t> unpermuted_rows(std::int64_t rows, std::int64_t heads) {
    std::vector<std::int32_t> order(static_cast<std::size_t>(rows));
    const std::int64_t d = rows / heads, half = d / 2;
    for (std::int64_t h = 0; h < heads; ++h)
        for (std::int64_t s = 0; s < 2; ++s)
            for (std::int64_t i = 0; i < half; ++i)
                order[static_cast<std::size_t>(h * d + s * half + i)] = static_cast<std::int32_t>(h * d + 2 * i + s);
    return order;
}

// [SECTION] The tensor source

bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

class GgufSource final : public TensorSource {
public:
    GgufSource(std::shared_ptr<const GgufFile> file, bool permuted_qk, std::int64_t heads, std::int64_t kv_heads)
        : m_file(std::move(file)), m_permuted_qk(permuted_qk), m_heads(heads), m_kv_heads(kv_heads) {}

    std::optional<StoredTensor> find(const std::string& hf_name) const override {
        const std::string name = llama_gguf_name(hf_name);
        const GgufTensorInfo* info = m_file->find_tensor(name);
        if (!info) return std::nullopt;
        const GgufTensorView view = m_file->view(*info);
        StoredTensor t{info->name, info->shape(), info->type, view.data, view.n_bytes, {}, {}};
        const bool is_q = ends_with(name, ".attn_q.weight"), is_k = ends_with(name, ".attn_k.weight");
        if (m_permuted_qk && (is_q || is_k) && t.shape.size() == 2) {
            const std::int64_t heads = is_q ? m_heads : m_kv_heads;
            if (heads > 0 && t.shape[0] % (2 * heads) == 0) t.row_order = unpermuted_rows(t.shape[0], heads);
        }
        return t;
    }

    std::string file_name_of(const std::string& hf_name) const override { return llama_gguf_name(hf_name); }
    const std::filesystem::path& path() const override { return m_file->path(); }
    std::uint64_t file_bytes() const override { return m_file->file_size(); }

    std::vector<WeightTypeSummary> type_summary() const override {
        std::map<GgmlType, WeightTypeSummary> by_type;
        for (const GgufTensorInfo& t : m_file->tensors()) {
            WeightTypeSummary& s = by_type[t.type];
            s.type = t.type;
            s.n_elements += t.n_elements;
            s.n_bytes += t.n_bytes;
        }
        std::vector<WeightTypeSummary> out;
        for (const auto& [type, s] : by_type) out.push_back(s);
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.n_bytes > b.n_bytes; });
        return out;
    }

private:
    std::shared_ptr<const GgufFile> m_file;
    bool m_permuted_qk;
    std::int64_t m_heads, m_kv_heads;
};

// [SECTION] Metadata -> config.json

// Which config.json key each metadata key fills (for messages: a config check that fails names
// the GGUF key the user's file holds).
struct KeyMapping {
    const char* config_key;
    const char* gguf_suffix;   // after "<arch>."
};
constexpr KeyMapping kLlamaKeys[] = {
    {"hidden_size", "embedding_length"},
    {"num_hidden_layers", "block_count"},
    {"num_attention_heads", "attention.head_count"},
    {"num_key_value_heads", "attention.head_count_kv"},
    {"intermediate_size", "feed_forward_length"},
    {"max_position_embeddings", "context_length"},
    {"rms_norm_eps", "attention.layer_norm_rms_epsilon"},
    {"rope_theta", "rope.freq_base"},
    {"head_dim", "attention.key_length"},
};

nlohmann::json metadata_value(const GgufFile& file, const std::string& key) {
    const GgufValue* v = file.find_key(key);
    if (!v) return nullptr;
    if (const auto u = v->as_uint()) return *u;
    if (const auto i = v->as_int()) return *i;
    if (const auto f = v->as_float()) return *f;
    if (const auto b = v->as_bool()) return *b;
    throw LoadError("key '" + key + "': expected a number, got " + v->describe());
}

std::string require_arch(const GgufFile& file) {
    if (!file.has_key("general.architecture")) throw LoadError("key 'general.architecture': missing (a GGUF model names its architecture there)");
    return file.require_string("general.architecture");
}

nlohmann::json llama_config(const GgufFile& file, const std::string& arch) {
    nlohmann::json cfg = {{"model_type", arch == "qwen2" ? "qwen2" : "llama"}, {"hidden_act", "silu"}};
    for (const KeyMapping& k : kLlamaKeys) {
        nlohmann::json v = metadata_value(file, arch + "." + k.gguf_suffix);
        if (!v.is_null()) cfg[k.config_key] = v;
    }
    for (const char* required : {"embedding_length", "block_count", "attention.head_count", "feed_forward_length"})
        if (!file.has_key(arch + "." + required)) throw LoadError("key '" + arch + "." + required + "': missing");
    const GgufTensorInfo* embed = file.find_tensor("token_embd.weight");
    if (!embed || embed->dims.size() != 2) throw LoadError("tensor 'token_embd.weight' is missing (or is not a matrix)");
    cfg["vocab_size"] = embed->dims[1];
    if (!cfg.contains("max_position_embeddings")) cfg["max_position_embeddings"] = 4096;
    const nlohmann::json rope_dims = metadata_value(file, arch + ".rope.dimension_count");
    const std::uint64_t heads = file.require_uint(arch + ".attention.head_count");
    const nlohmann::json d_head = cfg.contains("head_dim") ? cfg["head_dim"] : nlohmann::json(heads ? cfg["hidden_size"].get<std::uint64_t>() / heads : 0);
    const bool heads_divide = cfg.contains("head_dim") || (heads && cfg["hidden_size"].get<std::uint64_t>() % heads == 0);
    if (rope_dims.is_number() && heads_divide && rope_dims != d_head)   // else the builder names the divisor problem
        throw LoadError("key '" + arch + ".rope.dimension_count': RoPE on part of a head (" + rope_dims.dump() + " of " +
                        d_head.dump() + " dimensions) is not supported for " + arch);
    if (file.has_key(arch + ".rope.scaling.type")) {
        const std::string scaling = file.require_string(arch + ".rope.scaling.type");
        if (scaling == "linear") cfg["rope_scaling"] = {{"type", "linear"}, {"factor", metadata_value(file, arch + ".rope.scaling.factor")}};
        else if (scaling != "none")
            throw LoadError("key '" + arch + ".rope.scaling.type': \"" + cut_for_message(scaling, 40) +
                            "\" RoPE scaling is not supported (AttnScope reads none and linear)");
    }
    cfg["tie_word_embeddings"] = file.find_tensor("output.weight") == nullptr;
    return cfg;
}

// "config.json: num_attention_heads: expected a divisor of hidden_size 8, got 3" from the
// architecture's checks -> "key 'llama.attention.head_count': expected a divisor of
// llama.embedding_length 8, got 3": the user's file has GGUF keys, not config.json's.
std::string with_gguf_key_names(const std::string& message, const std::string& arch) {
    const std::string prefix = "config.json: ";
    if (message.rfind(prefix, 0) != 0) return message;
    std::string out = "metadata: " + message.substr(prefix.size());
    for (const KeyMapping& k : kLlamaKeys) {
        const std::string key = std::string(k.config_key) + ":";
        if (message.compare(prefix.size(), key.size(), key) == 0) {
            out = "key '" + arch + "." + k.gguf_suffix + "'" + message.substr(prefix.size() + key.size() - 1);
            break;
        }
    }
    const std::size_t detail = out.find(": ");
    for (const KeyMapping& k : kLlamaKeys) {   // names inside the explanation ("a divisor of hidden_size 8")
        const std::string word = std::string(" ") + k.config_key + " ";
        for (std::size_t at = out.find(word, detail); at != std::string::npos; at = out.find(word, at + 1))
            out.replace(at + 1, word.size() - 2, arch + "." + k.gguf_suffix);
    }
    return out;
}

// The per-frequency divisors llama.cpp stores for Llama 3.1's rope scaling (rope_freqs.weight).
std::vector<double> rope_frequency_factors(const GgufFile& file, std::int64_t d_head) {
    const GgufTensorInfo* t = file.find_tensor("rope_freqs.weight");
    if (!t) return {};
    if (t->type != GgmlType::F32 || t->n_elements != static_cast<std::uint64_t>(d_head / 2))
        throw LoadError("tensor 'rope_freqs.weight': expected " + std::to_string(d_head / 2) + " F32 values, got " +
                        std::to_string(t->n_elements) + " " + ggml_type_name(t->type));
    std::vector<float> values(t->n_elements);
    dequantize_row(GgmlType::F32, file.view(*t).data, values.size(), values.data());
    std::vector<double> out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!(values[i] > 0.0f) || !std::isfinite(values[i]))
            throw LoadError("tensor 'rope_freqs.weight': value " + std::to_string(i) + " is " + std::to_string(values[i]) +
                            "; expected a positive number");
        out.push_back(values[i]);
    }
    return out;
}

// [SECTION] Loading

ModelPtr load_or_throw(const std::filesystem::path& path) {
    Result<GgufFile> opened = GgufFile::open(path);
    if (!opened.ok()) throw LoadError(opened.error().message);
    auto file = std::make_shared<const GgufFile>(std::move(opened).value());
    const std::string where = path.string() + ": ";
    try {
        const std::string arch = require_arch(*file);
        if (arch != "llama" && arch != "qwen2")
            throw LoadError("general.architecture: \"" + cut_for_message(arch, 40) +
                            "\" is not an architecture AttnScope runs from GGUF yet (it runs llama, which includes Mistral, and qwen2)");
        HfContext context;
        context.config = llama_config(*file, arch);
        const std::int64_t heads = context.config.value("num_attention_heads", 0);
        const std::int64_t kv = context.config.value("num_key_value_heads", heads);
        context.weights = std::make_shared<HfWeights>(std::make_unique<GgufSource>(file, arch == "llama", heads, kv));
        auto tokenizer = load_gguf_tokenizer(*file);
        if (!tokenizer.ok()) throw LoadError(tokenizer.error().message);
        context.tokenizer = tokenizer.value();
        const std::int64_t d_head = context.config.value("head_dim", heads > 0 ? context.config.value("hidden_size", 0) / heads : 0);
        context.rope_frequency_factors = rope_frequency_factors(*file, d_head);

        const auto name = file->get_string("general.name");
        context.info.name = name.ok() && !name.value().empty() ? cut_for_message(valid_utf8(name.value()), 60) : path.stem().string();
        context.info.source = path.string();
        context.info.dtype = context.weights->float_dtypes();
        context.info.n_parameters = context.weights->float_parameter_count();
        const auto file_type = file->get_uint("general.file_type");
        context.info.weight_types =
            describe_weight_types(context.weights->source().type_summary(), file_type.ok() ? gguf_file_type_name(file_type.value()) : "");
        context.info.file_bytes = file->file_size();
        context.info.description = "GGUF v" + std::to_string(file->version()) + " " + arch + " model";
        try {
            return build_llama_model(context);
        } catch (const LoadError& e) {
            throw LoadError(with_gguf_key_names(e.what(), arch));
        }
    } catch (const LoadError& e) {
        const std::string what = e.what();
        throw LoadError(what.rfind(where, 0) == 0 ? what : where + what);
    }
}

}  // namespace

Result<ModelPtr> load_gguf_model(const std::filesystem::path& path) {
    try {
        return load_or_throw(path);
    } catch (const LoadError& e) {
        return Error{e.what()};
    } catch (const std::bad_alloc&) {
        return Error{path.string() + ": out of memory while loading the model"};
    }
}

}  // namespace attnscope
