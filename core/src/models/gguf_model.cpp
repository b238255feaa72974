// load_gguf_model: a GGUF file -> the Hugging Face architecture that runs it.
//
// llama.cpp's converter renames every tensor ("model.layers.3.mlp.down_proj.weight" becomes
// "blk.3.ffn_down.weight") and turns config.json into metadata keys under the architecture's name
// ("llama.block_count"). Both are undone here, so the architectures in hf_*.cpp run GGUF files
// unchanged and a GGUF model traces exactly as the safetensors checkpoint it was converted from.
// Each architecture llama.cpp writes that AttnScope runs has an entry in kArchitectures: its
// tensor names, its metadata keys and the builder that runs it.
//
// For `gpt2` the converter also transposes the Conv1D weights (c_attn, c_proj, c_fc), which
// Hugging Face stores in x out, to torch.nn.Linear's out x in; the GPT-2 builder is told so
// (HfContext::conv1d_out_in) and reads them that way, without a copy.
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
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},  {"self_attn.k_norm.weight", "attn_k_norm.weight"},   // qwen3, olmo2
};
// OLMo-2 puts its norms after attention and MLP; llama.cpp names them as Gemma 2's.
// Phi-3's fused projections; llama.cpp keeps gate and up together in ffn_up.
const std::map<std::string, std::string, std::less<>> kPhi3LayerNames = [] {
    auto names = kLlamaLayerNames;
    names["self_attn.qkv_proj.weight"] = "attn_qkv.weight";
    names["mlp.gate_up_proj.weight"] = "ffn_up.weight";
    return names;
}();
// Gemma 2 and 3 normalize before and after attention and MLP: llama.cpp's ffn_norm is their
// pre_feedforward_layernorm.
const std::map<std::string, std::string, std::less<>> kGemma2LayerNames = [] {
    auto names = kLlamaLayerNames;
    names["post_attention_layernorm.weight"] = "post_attention_norm.weight";
    names["pre_feedforward_layernorm.weight"] = "ffn_norm.weight";
    names["post_feedforward_layernorm.weight"] = "post_ffw_norm.weight";
    return names;
}();
const std::map<std::string, std::string, std::less<>> kOlmo2LayerNames = [] {
    auto names = kLlamaLayerNames;
    names.erase("input_layernorm.weight");
    names["post_attention_layernorm.weight"] = "post_attention_norm.weight";
    names["post_feedforward_layernorm.weight"] = "post_ffw_norm.weight";
    return names;
}();
const std::map<std::string, std::string, std::less<>> kLlamaModelNames = {
    {"embed_tokens.weight", "token_embd.weight"}, {"norm.weight", "output_norm.weight"}, {"lm_head.weight", "output.weight"},
};

// "<prefix>N.<rest>" -> {N, rest}, or nullopt when `name` is not a layer's tensor.
std::optional<std::pair<std::string, std::string>> layer_part(const std::string& name, const std::string& prefix) {
    if (name.rfind(prefix, 0) != 0) return std::nullopt;
    const std::string rest = name.substr(prefix.size());
    const std::size_t dot = rest.find('.');
    if (dot == std::string::npos || dot == 0 || !std::all_of(rest.begin(), rest.begin() + static_cast<long>(dot), ::isdigit))
        return std::nullopt;
    return std::make_pair(rest.substr(0, dot), rest.substr(dot + 1));
}

// A name map: model-wide names, then a layer's names after "<layer prefix>N.".
struct NameMap {
    const std::map<std::string, std::string, std::less<>>& model;
    const char* layer_prefix;
    const std::map<std::string, std::string, std::less<>>& layer;

    std::string operator()(const std::string& hf, const std::string& strip = "") const {
        const std::string name = !strip.empty() && hf.rfind(strip, 0) == 0 ? hf.substr(strip.size()) : hf;
        if (const auto it = model.find(name); it != model.end()) return it->second;
        const auto part = layer_part(name, layer_prefix);
        if (!part) return hf;
        const auto it = layer.find(part->second);
        return it == layer.end() ? hf : "blk." + part->first + "." + it->second;
    }
};

// GPT-NeoX (names after GPTNeoXForCausalLM's "gpt_neox."; embed_out sits outside it).
const std::map<std::string, std::string, std::less<>> kGptNeoxModelNames = {
    {"embed_in.weight", "token_embd.weight"},          {"embed_out.weight", "output.weight"},
    {"final_layer_norm.weight", "output_norm.weight"}, {"final_layer_norm.bias", "output_norm.bias"},
};
const std::map<std::string, std::string, std::less<>> kGptNeoxLayerNames = {
    {"input_layernorm.weight", "attn_norm.weight"},                {"input_layernorm.bias", "attn_norm.bias"},
    {"attention.query_key_value.weight", "attn_qkv.weight"},       {"attention.query_key_value.bias", "attn_qkv.bias"},
    {"attention.dense.weight", "attn_output.weight"},              {"attention.dense.bias", "attn_output.bias"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},        {"post_attention_layernorm.bias", "ffn_norm.bias"},
    {"mlp.dense_h_to_4h.weight", "ffn_up.weight"},                 {"mlp.dense_h_to_4h.bias", "ffn_up.bias"},
    {"mlp.dense_4h_to_h.weight", "ffn_down.weight"},               {"mlp.dense_4h_to_h.bias", "ffn_down.bias"},
};

// GPT-2 (names after GPT2LMHeadModel's "transformer."): the converter's tensor map.
const std::map<std::string, std::string, std::less<>> kGpt2ModelNames = {
    {"wte.weight", "token_embd.weight"}, {"wpe.weight", "position_embd.weight"}, {"ln_f.weight", "output_norm.weight"},
    {"ln_f.bias", "output_norm.bias"},   {"lm_head.weight", "output.weight"},
};
const std::map<std::string, std::string, std::less<>> kGpt2LayerNames = {
    {"ln_1.weight", "attn_norm.weight"},          {"ln_1.bias", "attn_norm.bias"},
    {"attn.c_attn.weight", "attn_qkv.weight"},    {"attn.c_attn.bias", "attn_qkv.bias"},
    {"attn.c_proj.weight", "attn_output.weight"}, {"attn.c_proj.bias", "attn_output.bias"},
    {"ln_2.weight", "ffn_norm.weight"},           {"ln_2.bias", "ffn_norm.bias"},
    {"mlp.c_fc.weight", "ffn_up.weight"},         {"mlp.c_fc.bias", "ffn_up.bias"},
    {"mlp.c_proj.weight", "ffn_down.weight"},     {"mlp.c_proj.bias", "ffn_down.bias"},
};
// BERT (names after BertForMaskedLM's "bert."). The converter drops the masked-word head (cls.*)
// and the pooler: a GGUF BERT is an encoder without fill-in.
const std::map<std::string, std::string, std::less<>> kBertModelNames = {
    {"embeddings.word_embeddings.weight", "token_embd.weight"},
    {"embeddings.position_embeddings.weight", "position_embd.weight"},
    {"embeddings.token_type_embeddings.weight", "token_types.weight"},
    {"embeddings.LayerNorm.weight", "token_embd_norm.weight"},
    {"embeddings.LayerNorm.bias", "token_embd_norm.bias"},
};
const std::map<std::string, std::string, std::less<>> kBertLayerNames = {
    {"attention.self.query.weight", "attn_q.weight"},        {"attention.self.query.bias", "attn_q.bias"},
    {"attention.self.key.weight", "attn_k.weight"},          {"attention.self.key.bias", "attn_k.bias"},
    {"attention.self.value.weight", "attn_v.weight"},        {"attention.self.value.bias", "attn_v.bias"},
    {"attention.output.dense.weight", "attn_output.weight"}, {"attention.output.dense.bias", "attn_output.bias"},
    {"attention.output.LayerNorm.weight", "attn_output_norm.weight"},
    {"attention.output.LayerNorm.bias", "attn_output_norm.bias"},
    {"intermediate.dense.weight", "ffn_up.weight"},          {"intermediate.dense.bias", "ffn_up.bias"},
    {"output.dense.weight", "ffn_down.weight"},              {"output.dense.bias", "ffn_down.bias"},
    {"output.LayerNorm.weight", "layer_output_norm.weight"}, {"output.LayerNorm.bias", "layer_output_norm.bias"},
};

std::string gpt2_gguf_name(const std::string& hf) { return NameMap{kGpt2ModelNames, "h.", kGpt2LayerNames}(hf, "transformer."); }
std::string bert_gguf_name(const std::string& hf) { return NameMap{kBertModelNames, "encoder.layer.", kBertLayerNames}(hf, "bert."); }
// "model.layers.12.mlp.up_proj.weight" -> "blk.12.ffn_up.weight"; a name with no counterpart is
// returned as it is (and then not found).
std::string llama_gguf_name(const std::string& hf) { return NameMap{kLlamaModelNames, "layers.", kLlamaLayerNames}(hf, "model."); }
std::string olmo2_gguf_name(const std::string& hf) { return NameMap{kLlamaModelNames, "layers.", kOlmo2LayerNames}(hf, "model."); }
std::string phi3_gguf_name(const std::string& hf) { return NameMap{kLlamaModelNames, "layers.", kPhi3LayerNames}(hf, "model."); }
std::string gemma2_gguf_name(const std::string& hf) { return NameMap{kLlamaModelNames, "layers.", kGemma2LayerNames}(hf, "model."); }
std::string gpt_neox_gguf_name(const std::string& hf) { return NameMap{kGptNeoxModelNames, "layers.", kGptNeoxLayerNames}(hf, "gpt_neox."); }

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
    using NameOf = std::string (*)(const std::string& hf_name);
    GgufSource(std::shared_ptr<const GgufFile> file, NameOf name_of, bool permuted_qk, std::int64_t heads, std::int64_t kv_heads)
        : m_file(std::move(file)), m_name_of(name_of), m_permuted_qk(permuted_qk), m_heads(heads), m_kv_heads(kv_heads) {}

    std::optional<StoredTensor> find(const std::string& hf_name) const override {
        const std::string name = m_name_of(hf_name);
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

    std::string file_name_of(const std::string& hf_name) const override { return m_name_of(hf_name); }
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
    NameOf m_name_of;
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
const std::vector<KeyMapping> kLlamaKeys = {
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
// Gemma 2 and 3 add their windows and caps; a current converter writes Gemma 3's local RoPE base.
const std::vector<KeyMapping> kGemma2Keys = [] {
    std::vector<KeyMapping> keys = kLlamaKeys;
    keys.insert(keys.end(), {{"sliding_window", "attention.sliding_window"},
                             {"attn_logit_softcapping", "attn_logit_softcapping"},
                             {"final_logit_softcapping", "final_logit_softcapping"},
                             {"rope_local_base_freq", "rope.freq_base_swa"}});
    return keys;
}();
const std::vector<KeyMapping> kGptNeoxKeys = {
    {"hidden_size", "embedding_length"},
    {"num_hidden_layers", "block_count"},
    {"num_attention_heads", "attention.head_count"},
    {"intermediate_size", "feed_forward_length"},
    {"max_position_embeddings", "context_length"},
    {"layer_norm_eps", "attention.layer_norm_epsilon"},
    {"use_parallel_residual", "use_parallel_residual"},
    {"rotary_emb_base", "rope.freq_base"},
};
const std::vector<KeyMapping> kGpt2Keys = {
    {"n_embd", "embedding_length"},     {"n_layer", "block_count"},
    {"n_head", "attention.head_count"}, {"n_inner", "feed_forward_length"},
    {"layer_norm_epsilon", "attention.layer_norm_epsilon"},
};
const std::vector<KeyMapping> kBertKeys = {
    {"hidden_size", "embedding_length"},
    {"num_hidden_layers", "block_count"},
    {"num_attention_heads", "attention.head_count"},
    {"intermediate_size", "feed_forward_length"},
    {"layer_norm_eps", "attention.layer_norm_epsilon"},
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

// The outer size of a stored matrix (a table's rows), which the builders check the rest against.
std::uint64_t matrix_rows(const GgufFile& file, const char* name) {
    const GgufTensorInfo* t = file.find_tensor(name);
    if (!t || t->dims.size() != 2) throw LoadError(std::string("tensor '") + name + "' is missing (or is not a matrix)");
    return t->dims[1];
}

std::string require_arch(const GgufFile& file) {
    if (!file.has_key("general.architecture")) throw LoadError("key 'general.architecture': missing (a GGUF model names its architecture there)");
    return file.require_string("general.architecture");
}

// The config keys `keys` fill from the file's "<arch>.*" metadata, with the four every
// architecture needs checked present and the vocabulary size taken from the embedding table.
nlohmann::json mapped_config(const GgufFile& file, const std::string& arch, const std::vector<KeyMapping>& keys, nlohmann::json cfg) {
    for (const KeyMapping& k : keys) {
        nlohmann::json v = metadata_value(file, arch + "." + k.gguf_suffix);
        if (!v.is_null()) cfg[k.config_key] = v;
    }
    for (const char* required : {"embedding_length", "block_count", "attention.head_count", "feed_forward_length"})
        if (!file.has_key(arch + "." + required)) throw LoadError("key '" + arch + "." + required + "': missing");
    cfg["vocab_size"] = matrix_rows(file, "token_embd.weight");
    return cfg;
}

nlohmann::json llama_config_with(const GgufFile& file, const std::string& arch, const std::vector<KeyMapping>& keys) {
    nlohmann::json cfg = mapped_config(file, arch, keys, {{"model_type", arch}, {"hidden_act", "silu"}});
    if (!cfg.contains("max_position_embeddings")) cfg["max_position_embeddings"] = 4096;
    const nlohmann::json rope_dims = metadata_value(file, arch + ".rope.dimension_count");
    const std::uint64_t heads = file.require_uint(arch + ".attention.head_count");
    const nlohmann::json d_head = cfg.contains("head_dim") ? cfg["head_dim"] : nlohmann::json(heads ? cfg["hidden_size"].get<std::uint64_t>() / heads : 0);
    const bool heads_divide = cfg.contains("head_dim") || (heads && cfg["hidden_size"].get<std::uint64_t>() % heads == 0);
    if (rope_dims.is_number() && heads_divide && rope_dims != d_head) {   // else the builder names the divisor problem
        const std::string key = "key '" + arch + ".rope.dimension_count': ";
        if (!rope_dims.is_number_unsigned() || rope_dims.get<std::uint64_t>() > d_head.get<std::uint64_t>())
            throw LoadError(key + "expected at most the head's " + d_head.dump() + " dimensions, got " + rope_dims.dump());
        // Phi-3 (Phi-4-mini) turns part of each head: the builder reads it as partial_rotary_factor.
        if (arch != "phi3" || d_head.get<std::uint64_t>() == 0)
            throw LoadError(key + "RoPE on part of a head (" + rope_dims.dump() + " of " + d_head.dump() +
                            " dimensions) is not supported for " + arch);
        cfg["partial_rotary_factor"] = rope_dims.get<double>() / d_head.get<double>();
    }
    if (file.has_key(arch + ".rope.scaling.type")) {
        const std::string scaling = file.require_string(arch + ".rope.scaling.type");
        if (scaling == "linear") cfg["rope_scaling"] = {{"type", "linear"}, {"factor", metadata_value(file, arch + ".rope.scaling.factor")}};
        else if (scaling != "none")
            throw LoadError("key '" + arch + ".rope.scaling.type': \"" + cut_for_message(scaling, 40) +
                            "\" RoPE scaling is not supported (AttnScope reads none and linear)");
    }
    cfg["tie_word_embeddings"] = file.find_tensor("output.weight") == nullptr;
    if (arch.rfind("gemma", 0) == 0) cfg["hidden_activation"] = "gelu_pytorch_tanh";   // llama.cpp's Gemmas gate with the tanh GELU
    return cfg;
}

nlohmann::json llama_config(const GgufFile& file, const std::string& arch) { return llama_config_with(file, arch, kLlamaKeys); }

// Gemma 2 and 3 as llama.cpp runs them, since its converter leaves out what llama.cpp assumes:
// - the scores' scale is 1/sqrt(head_dim), except in the 27B models (46 layers in Gemma 2, 62 in
//   Gemma 3), whose query_pre_attn_scalar is d_model / heads;
// - Gemma 2 slides on its even layers, over 4096 keys when the file does not say;
// - Gemma 3 slides on five layers in six (sliding_window_pattern 6) where the file has a window,
//   with RoPE base 10000 on them unless the file says otherwise.
nlohmann::json gemma2_config(const GgufFile& file, const std::string& arch) {
    nlohmann::json cfg = llama_config_with(file, arch, kGemma2Keys);
    const bool gemma3 = arch == "gemma3";
    cfg["model_type"] = gemma3 ? "gemma3_text" : "gemma2";
    const std::uint64_t heads = file.require_uint(arch + ".attention.head_count");
    const std::uint64_t width = file.require_uint(arch + ".embedding_length");
    const std::uint64_t layers = file.require_uint(arch + ".block_count");
    const std::uint64_t head_dim = cfg.contains("head_dim") ? cfg["head_dim"].get<std::uint64_t>() : heads ? width / heads : 0;
    const bool is_27b = layers == (gemma3 ? 62u : 46u);
    cfg["query_pre_attn_scalar"] = is_27b && heads ? width / heads : head_dim;   // 0 is refused naming the key
    if (gemma3) {
        if (!cfg.contains("sliding_window")) cfg["sliding_window"] = nullptr;
        cfg["sliding_window_pattern"] = 6;
    } else if (!cfg.contains("sliding_window")) {
        cfg["sliding_window"] = 4096;
    }
    return cfg;
}

// GPT-NeoX: the converter writes the rotated dimensions (rope.dimension_count), not rotary_pct,
// and no activation: Pythia's is the erf GELU (llama.cpp runs the tanh one, within about 1e-3).
nlohmann::json gpt_neox_config(const GgufFile& file, const std::string& arch) {
    nlohmann::json cfg = mapped_config(file, arch, kGptNeoxKeys, {{"model_type", "gpt_neox"}, {"hidden_act", "gelu"}});
    const std::uint64_t heads = file.require_uint(arch + ".attention.head_count");
    const std::uint64_t width = file.require_uint(arch + ".embedding_length");
    const nlohmann::json rope_dims = metadata_value(file, arch + ".rope.dimension_count");
    if (rope_dims.is_number() && heads > 0 && width % heads == 0) {   // else the builder names the divisor problem
        const std::uint64_t d_head = width / heads;
        if (!rope_dims.is_number_unsigned() || rope_dims.get<std::uint64_t>() > d_head)
            throw LoadError("key '" + arch + ".rope.dimension_count': expected at most the head's " + std::to_string(d_head) +
                            " dimensions, got " + rope_dims.dump());
        cfg["rotary_pct"] = rope_dims.get<double>() / static_cast<double>(d_head);
    }
    cfg["tie_word_embeddings"] = file.find_tensor("output.weight") == nullptr;
    return cfg;
}

// GPT-2: the converter writes no activation (GPT-2's is gelu_new) and no LM head when it is tied.
// The position table's rows are n_positions: context_length is what llama.cpp runs, which may be less.
nlohmann::json gpt2_config(const GgufFile& file, const std::string& arch) {
    nlohmann::json cfg = mapped_config(file, arch, kGpt2Keys, {{"model_type", "gpt2"}, {"activation_function", "gelu_new"}});
    cfg["n_positions"] = matrix_rows(file, "position_embd.weight");
    return cfg;
}

// BERT, and what the converter also writes as `bert` (DistilBERT, without token types).
nlohmann::json bert_config(const GgufFile& file, const std::string& arch) {
    if (const GgufValue* causal = file.find_key(arch + ".attention.causal"); causal && causal->as_bool().value_or(false))
        throw LoadError("key '" + arch + ".attention.causal': true; a BERT with causal attention is not supported");
    nlohmann::json cfg = mapped_config(file, arch, kBertKeys, {{"model_type", "bert"}, {"hidden_act", "gelu"}});
    cfg["max_position_embeddings"] = matrix_rows(file, "position_embd.weight");
    cfg["type_vocab_size"] = file.find_tensor("token_types.weight") ? matrix_rows(file, "token_types.weight") : 0;
    return cfg;
}

// "config.json: num_attention_heads: expected a divisor of hidden_size 8, got 3" from the
// architecture's checks -> "key 'llama.attention.head_count': expected a divisor of
// llama.embedding_length 8, got 3": the user's file has GGUF keys, not config.json's.
std::string with_gguf_key_names(const std::string& message, const std::string& arch, const std::vector<KeyMapping>& keys) {
    const std::string prefix = "config.json: ";
    if (message.rfind(prefix, 0) != 0) return message;
    std::string out = "metadata: " + message.substr(prefix.size());
    for (const KeyMapping& k : keys) {
        const std::string key = std::string(k.config_key) + ":";
        if (message.compare(prefix.size(), key.size(), key) == 0) {
            out = "key '" + arch + "." + k.gguf_suffix + "'" + message.substr(prefix.size() + key.size() - 1);
            break;
        }
    }
    const std::size_t detail = out.find(": ");
    for (const KeyMapping& k : keys) {   // names inside the explanation ("a divisor of hidden_size 8")
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

// An architecture llama.cpp writes that AttnScope runs.
struct GgufArchitecture {
    const char* name;                     // general.architecture
    GgufSource::NameOf gguf_name;         // Hugging Face tensor name -> the file's
    const std::vector<KeyMapping>& keys;   // config.json key -> metadata key, for messages
    nlohmann::json (*config)(const GgufFile&, const std::string& arch);
    ModelPtr (*build)(HfContext&);
    bool permuted_qk;                     // llama.cpp reordered q/k rows for its RoPE
    bool conv1d_out_in;                   // GPT-2's Conv1D weights transposed to out x in
    bool rope;                            // may hold rope_freqs.weight
    bool qkv_grouped = false;             // GPT-NeoX's attn_qkv rows reordered to [Q; K; V]
};

const GgufArchitecture kArchitectures[] = {
    {"llama", llama_gguf_name, kLlamaKeys, llama_config, build_llama_model, true, false, true},
    {"qwen2", llama_gguf_name, kLlamaKeys, llama_config, build_llama_model, false, false, true},
    {"qwen3", llama_gguf_name, kLlamaKeys, llama_config, build_llama_model, false, false, true},
    {"olmo2", olmo2_gguf_name, kLlamaKeys, llama_config, build_llama_model, false, false, true},
    {"phi3", phi3_gguf_name, kLlamaKeys, llama_config, build_llama_model, false, false, true},
    {"gemma", llama_gguf_name, kLlamaKeys, llama_config, build_llama_model, false, false, true},
    {"gemma2", gemma2_gguf_name, kGemma2Keys, gemma2_config, build_llama_model, false, false, true},
    {"gemma3", gemma2_gguf_name, kGemma2Keys, gemma2_config, build_llama_model, false, false, true},
    {"gptneox", gpt_neox_gguf_name, kGptNeoxKeys, gpt_neox_config, build_gpt_neox_model, false, false, false, true},
    {"gpt2", gpt2_gguf_name, kGpt2Keys, gpt2_config, build_gpt2_model, false, true, false},
    {"bert", bert_gguf_name, kBertKeys, bert_config, build_bert_model, false, false, false},
};

const GgufArchitecture& find_architecture(const std::string& name) {
    for (const GgufArchitecture& a : kArchitectures)
        if (name == a.name) return a;
    throw LoadError("general.architecture: \"" + cut_for_message(name, 40) +
                    "\" is not an architecture AttnScope runs from GGUF yet (it runs llama, which includes Mistral, qwen2, qwen3, olmo2, phi3, gemma, gemma2, gemma3, gptneox, gpt2 and bert)");
}

ModelPtr load_or_throw(const std::filesystem::path& path) {
    Result<GgufFile> opened = GgufFile::open(path);
    if (!opened.ok()) throw LoadError(opened.error().message);
    auto file = std::make_shared<const GgufFile>(std::move(opened).value());
    const std::string where = path.string() + ": ";
    try {
        const std::string arch_name = require_arch(*file);
        const GgufArchitecture& arch = find_architecture(arch_name);
        HfContext context;
        context.config = arch.config(*file, arch_name);
        context.conv1d_out_in = arch.conv1d_out_in;
        context.norms_hold_one_plus_w = arch_name.rfind("gemma", 0) == 0;   // llama.cpp's converter adds Gemma's 1 to its norm weights
        context.qkv_grouped = arch.qkv_grouped;
        const std::int64_t heads = context.config.value("num_attention_heads", 0);
        const std::int64_t kv = context.config.value("num_key_value_heads", heads);
        context.weights = std::make_shared<HfWeights>(std::make_unique<GgufSource>(file, arch.gguf_name, arch.permuted_qk, heads, kv));
        auto tokenizer = load_gguf_tokenizer(*file);
        if (!tokenizer.ok()) throw LoadError(tokenizer.error().message);
        context.tokenizer = tokenizer.value();
        const std::int64_t d_head = context.config.value("head_dim", heads > 0 ? context.config.value("hidden_size", 0) / heads : 0);
        if (arch.rope) context.rope_frequency_factors = rope_frequency_factors(*file, d_head);

        const auto name = file->get_string("general.name");
        context.info.name = name.ok() && !name.value().empty() ? cut_for_message(valid_utf8(name.value()), 60) : path.stem().string();
        context.info.source = path.string();
        context.info.dtype = context.weights->float_dtypes();
        context.info.n_parameters = context.weights->float_parameter_count();
        const auto file_type = file->get_uint("general.file_type");
        context.info.weight_types =
            describe_weight_types(context.weights->source().type_summary(), file_type.ok() ? gguf_file_type_name(file_type.value()) : "");
        context.info.file_bytes = file->file_size();
        context.info.description = "GGUF v" + std::to_string(file->version()) + " " + arch_name + " model";
        try {
            return arch.build(context);
        } catch (const LoadError& e) {
            throw LoadError(with_gguf_key_names(e.what(), arch_name, arch.keys));
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
