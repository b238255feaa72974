// Llama-family decoders (model_type "llama", "mistral", "qwen2", "qwen3", "olmo2", "phi3",
// "gemma", "gemma2", "gemma3_text"): RMSNorm, rotary position embeddings (RoPE, the rotate_half
// layout Hugging Face uses), grouped key/value heads, a gated MLP, optional Q/K/V biases (qwen2), tied or untied LM head.
// Linear weights are out x in. Mistral's sliding_window, where set, masks keys more than that far
// back in every layer. What the families change:
// - qwen3 normalizes each head's q and k (q_norm, k_norm: d_head weights) before RoPE;
// - olmo2 has no norm before attention or MLP but one after each (post_attention_layernorm,
//   post_feedforward_layernorm), and normalizes the whole q and k projections before RoPE;
// - phi3 fuses q, k, v (qkv_proj) and gate, up (gate_up_proj), and may turn only part of each
//   head (partial_rotary_factor);
// - gemma scales the embeddings by sqrt(d_model), multiplies by 1 + w in its norms, gates with
//   tanh GELU (GeGLU), and has a head_dim of its own;
// - gemma2 adds a norm after each sublayer as well as before (four per layer), scales scores by
//   query_pre_attn_scalar^-1/2, soft-caps them (attn_logit_softcapping) and the logits
//   (final_logit_softcapping), and alternates sliding-window layers with global ones;
// - gemma3 (gemma3_text) also normalizes each head's q and k, and turns its sliding layers with a
//   RoPE of their own (rope_local_base_freq, no rope_scaling).
#include <cmath>
#include <cstdio>
#include <optional>

#include "attnscope/explain.h"   // format_number
#include "kernels/attention.h"
#include "models/hf_architectures.h"
#include "models/prefix_reuse.h"
#include "models/rope.h"

namespace attnscope {

namespace {

constexpr const char* kEmbed = "embed_tokens.weight";
constexpr const char* kFinalNorm = "norm.weight";
constexpr const char* kLmHead = "lm_head.weight";
constexpr const char* kLayer = "layers.%d.%s";
// Gemma3ForConditionalGeneration's text model, as transformers saved it before 4.52 and since.
constexpr const char* kImageTextPrefixes[] = {"language_model.model.", "model.language_model."};  // input_layernorm, self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj

std::string layer_name(const std::string& prefix, int l, const char* what) {
    char buf[160];
    std::snprintf(buf, sizeof buf, kLayer, l, what);
    return prefix + buf;
}

// Each norm is empty where the family has none: Llama normalizes what enters attention and the
// MLP, OLMo-2 what leaves them, Gemma 2 and 3 both.
struct LlamaLayer {
    RowVector attn_in_norm, attn_out_norm, mlp_in_norm, mlp_out_norm;
    RowVector q_norm, k_norm;          // qwen3, gemma3 (per head), olmo2 (whole projection); empty: none
    const HfTensor *q = nullptr, *k = nullptr, *v = nullptr, *o = nullptr, *bq = nullptr, *bk = nullptr, *bv = nullptr;
    const HfTensor* qkv = nullptr;     // phi3: [W_Q; W_K; W_V] in one tensor instead of q, k, v
    const HfTensor *gate = nullptr, *up = nullptr, *down = nullptr;
    const HfTensor* gate_up = nullptr; // phi3: [gate; up] in one tensor
    ScoreShaping shaping;              // gemma2, gemma3, mistral: soft-capping, sliding window
    const std::vector<double>* rope = nullptr;   // this layer's RoPE frequencies (gemma3: local or global)
};

// Where a family normalizes q and k, before RoPE.
enum class QkNorm { None, PerHead, WholeProjection };

// What sets a family apart from Llama, read from model_type and the config.
struct LlamaFamily {
    std::string name = "llama";
    QkNorm qk_norm = QkNorm::None;
    bool norms_before = true;        // olmo2: none before attention and MLP
    bool norms_after = false;        // olmo2, gemma2, gemma3: norms after attention and MLP
    bool fused = false;              // phi3: qkv_proj and gate_up_proj
    bool gemma = false;              // embeddings x sqrt(d_model), norms x (1 + w), GeGLU
    int gemma_generation = 0;        // 1, 2, 3: what the Gemmas add (query_pre_attn_scalar, caps, windows)
    std::optional<Activation> gelu_gate;   // gemma's GELU; none: silu (SwiGLU)
};

// x: rows x (heads * d_head); each head's d_head numbers RMS-normalized with the same gamma.
void rms_norm_heads(Matrix& x, int heads, int d_head, const RowVector& gamma, float eps) {
    for (Index r = 0; r < x.rows(); ++r)
        for (int h = 0; h < heads; ++h) {
            auto head = x.row(r).segment(static_cast<Index>(h) * d_head, d_head);
            const float mean_square = head.squaredNorm() / static_cast<float>(d_head);
            head = (head / std::sqrt(mean_square + eps)).cwiseProduct(gamma);
        }
}

LlamaFamily read_family(const nlohmann::json& cfg) {
    LlamaFamily f;
    f.name = config_string(cfg, "model_type", "llama");
    f.gemma_generation = f.name == "gemma" ? 1 : f.name == "gemma2" ? 2 : f.name == "gemma3_text" ? 3 : 0;
    f.gemma = f.gemma_generation > 0;
    f.qk_norm = f.name == "qwen3" || f.gemma_generation == 3 ? QkNorm::PerHead
                : f.name == "olmo2"                          ? QkNorm::WholeProjection
                                                             : QkNorm::None;
    f.norms_before = f.name != "olmo2";
    f.norms_after = f.name == "olmo2" || f.gemma_generation >= 2;
    f.fused = f.name == "phi3";
    if (f.gemma) {
        // Google's Gemma configs say hidden_act "gelu" and hidden_activation "gelu_pytorch_tanh";
        // the model was trained with the tanh GELU, which HF's GemmaMLP read from
        // hidden_activation. So hidden_activation first, then hidden_act, then tanh GELU.
        const bool has_activation = cfg.contains("hidden_activation") && !cfg["hidden_activation"].is_null();
        const char* key = has_activation ? "hidden_activation" : "hidden_act";
        f.gelu_gate = activation_from_config(config_string(cfg, key, "gelu_pytorch_tanh"), key);
    } else {
        const std::string act = config_string(cfg, "hidden_act", "silu");
        if (act != "silu") throw LoadError("config.json: hidden_act: expected \"silu\", got \"" + act + "\"");
    }
    return f;
}

class LlamaModel final : public HfDecoderBase {
public:
    explicit LlamaModel(HfContext& c) : HfDecoderBase(c), m_family(read_family(c.config)) {
        const nlohmann::json& cfg = c.config;
        namespace L = config_limits;
        const int d = config_size(cfg, "hidden_size", L::kWidth), heads = config_size(cfg, "num_attention_heads", L::kHeads);
        const int kv = config_size(cfg, "num_key_value_heads", heads, heads);
        const int layers = config_size(cfg, "num_hidden_layers", L::kLayers);
        if (!cfg.contains("head_dim") || cfg["head_dim"].is_null()) require_divisor(heads, "num_attention_heads", d, "hidden_size");
        const int d_head = config_size(cfg, "head_dim", L::kHeadWidth, std::max(1, d / heads));
        const int d_ff = config_size(cfg, "intermediate_size", L::kFeedForward);
        const int vocab = config_size(cfg, "vocab_size", L::kVocabulary);
        require_divisor(kv, "num_key_value_heads", heads, "num_attention_heads");
        m_eps = config_positive_float(cfg, "rms_norm_eps", 1e-6f);
        m_rotary_dims = rotary_dims(cfg, d_head);
        m_freq = rope_frequencies(with_family_rope_theta(cfg), m_rotary_dims);
        if (!c.rope_frequency_factors.empty()) {
            if (c.rope_frequency_factors.size() != m_freq.size())
                throw LoadError("rope frequency factors: expected " + std::to_string(m_freq.size()) + ", got " +
                                std::to_string(c.rope_frequency_factors.size()));
            for (std::size_t i = 0; i < m_freq.size(); ++i) m_freq[i] /= c.rope_frequency_factors[i];
        }
        // Gemma multiplies the embeddings by sqrt(d_model), a float32 number in HF.
        if (m_family.gemma) m_embed_scale = std::sqrt(static_cast<float>(d));
        m_norms_hold_one_plus_w = c.norms_hold_one_plus_w;
        m_scale = 1.0f / std::sqrt(m_family.gemma_generation >= 2 ? config_positive_float(cfg, "query_pre_attn_scalar", 256.0f)
                                                                  : static_cast<float>(d_head));
        if (m_family.gemma_generation == 3) {
            m_local_rope_base = config_positive_float(cfg, "rope_local_base_freq", 10000.0f);
            m_local_freq = local_rope_frequencies();
        }
        const std::vector<bool> sliding = sliding_layers(cfg, layers);
        // HF's Gemma 3 reads attn_logit_softcapping but never applies it (nor does llama.cpp): Gemma 2's only.
        const std::optional<float> attn_cap =
            m_family.gemma_generation == 2 ? gemma_cap(cfg, "attn_logit_softcapping", 50.0f) : std::nullopt;
        m_final_softcap = gemma_cap(cfg, "final_logit_softcapping", 30.0f).value_or(0.0f);
        const int window = sliding.empty() ? 0 : config_size(cfg, "sliding_window", config_limits::kPositions);

        HfWeights& w = *m_weights;
        const std::string p = weights_prefix(w, vocab, d);
        m_embed = &w.require(p + kEmbed, {vocab, d});
        for (int l = 0; l < layers; ++l) {
            LlamaLayer& L = m_layers.emplace_back(read_layer(w, p, l, LayerSizes{d, heads, kv, d_head, d_ff}));
            const bool slides = !sliding.empty() && sliding[static_cast<std::size_t>(l)];
            L.shaping = ScoreShaping{attn_cap.value_or(0.0f), slides ? window : 0};
            L.rope = slides && !m_local_freq.empty() ? &m_local_freq : &m_freq;
        }
        m_final_norm = norm_weights(w.require(p + kFinalNorm, {d}));
        m_lm_head = w.optional(p == kImageTextPrefixes[0] ? std::string("language_model.") + kLmHead : std::string(kLmHead), {vocab, d});
        if (!m_lm_head) {
            if (!config_bool(cfg, "tie_word_embeddings", m_family.gemma) && w.contains(p + kEmbed))
                m_info.description += " (no lm_head.weight: using the tied embedding)";
            m_lm_head = m_embed;
        }

        describe({Architecture::Llama, layers, heads, kv, d, d_head, d_ff, vocab,
                  config_size(cfg, "max_position_embeddings", config_limits::kPositions, 4096), true, rope_description(d_head),
                  norm_description(), m_family.gelu_gate ? std::string(activation_name(*m_family.gelu_gate)) + " (GeGLU)" : "silu (SwiGLU)"});
        if (m_family.name != "llama") m_info.family = m_family.name;
        m_info.attention = attention_description(sliding, window, attn_cap);
    }

    // Linear weights, out x in; a query head's K and V are its key/value group's, and q and k are
    // rotated by position after the projection (RoPE). Phi-3's rows sit in one fused tensor.
    std::optional<HeadProjection> head_projection(int layer, int head) const override {
        if (!has_head(layer, head)) return std::nullopt;
        const LlamaLayer& L = m_layers[static_cast<std::size_t>(layer)];
        const Index dh = m_info.d_head, q0 = static_cast<Index>(head) * dh;
        const Index kv0 = static_cast<Index>(head / (m_info.n_heads / m_info.n_kv_heads)) * dh;
        const Index q_rows = static_cast<Index>(m_info.n_heads) * dh, kv_rows = static_cast<Index>(m_info.n_kv_heads) * dh;
        const auto rows = [&](const HfTensor* separate, Index fused_offset, Index r0) {
            return L.qkv ? head_slice(*L.qkv, HfTensor::Layout::OutIn, fused_offset + r0, dh) : head_slice(*separate, HfTensor::Layout::OutIn, r0, dh);
        };
        HeadProjection p{rows(L.q, 0, q0), rows(L.k, q_rows, kv0), rows(L.v, q_rows + kv_rows, kv0), bias_slice(L.bq, q0, dh),
                         bias_slice(L.bk, kv0, dh), bias_slice(L.bv, kv0, dh)};
        p.rotary = true;
        p.rotary_dims = m_rotary_dims == m_info.d_head ? 0 : m_rotary_dims;
        p.w_o = head_output_rows(*L.o, HfTensor::Layout::OutIn, q0, dh);
        if (m_family.qk_norm == QkNorm::PerHead) p.qk_norm = "each head's q and k RMS-normalized (q_norm, k_norm)";
        if (m_family.qk_norm == QkNorm::WholeProjection) p.qk_norm = "all heads' q and k RMS-normalized together (q_norm, k_norm)";
        return p;
    }

private:
    struct LayerSizes {
        int d, heads, kv, d_head, d_ff;
    };

    // Phi-3's partial_rotary_factor turns only the first part of each head.
    static int rotary_dims(const nlohmann::json& cfg, int d_head) {
        const float factor = cfg.contains("partial_rotary_factor") ? config_positive_float(cfg, "partial_rotary_factor") : 1.0f;
        if (factor > 1.0f) throw LoadError("config.json: partial_rotary_factor: expected at most 1, got " + std::to_string(factor));
        // HF truncates d_head * factor in double precision; the config's value read as a float can land
        // just below a whole number (0.7f * 10 = 6.9999998), so a hair is added before truncating.
        const int dims = static_cast<int>(static_cast<double>(d_head) * factor + 1e-4);
        if (dims < 2 || dims % 2 != 0)
            throw LoadError(std::string("config.json: ") + (factor < 1.0f ? "partial_rotary_factor" : "head_dim") +
                            ": RoPE needs an even number of rotated dimensions, got " + std::to_string(dims) + " of " + std::to_string(d_head));
        return dims;
    }

    // A Gemma 2 or 3 soft-cap: the config's value, HF's default where the key is absent (Gemma 2's
    // 50 and 30; Gemma 3 has none), none where it is null. Other families: none.
    std::optional<float> gemma_cap(const nlohmann::json& cfg, const char* key, float gemma2_default) const {
        if (m_family.gemma_generation < 2) return std::nullopt;
        if (!cfg.contains(key)) return m_family.gemma_generation == 2 ? std::optional<float>(gemma2_default) : std::nullopt;
        if (cfg[key].is_null()) return std::nullopt;
        return config_positive_float(cfg, key);
    }

    // Gemma 3's sliding layers turn q and k with a base of their own and no rope_scaling.
    std::vector<double> local_rope_frequencies() const {
        const nlohmann::json local = {{"rope_theta", m_local_rope_base}};
        return rope_frequencies(local, m_rotary_dims);
    }

    // Which layers see only a window of recent keys; empty: none. config.json's layer_types where
    // it has them ("sliding_attention" / "full_attention"), else the family's pattern: Gemma 2's
    // even layers, Gemma 3's all but every sliding_window_pattern-th (1-based), every layer of a
    // Mistral that sets sliding_window. A null sliding_window means no window anywhere.
    std::vector<bool> sliding_layers(const nlohmann::json& cfg, int layers) const {
        const bool has_window = cfg.contains("sliding_window") && !cfg["sliding_window"].is_null();
        if (!has_window || (m_family.gemma_generation < 2 && m_family.name != "mistral")) return {};
        std::vector<bool> sliding(static_cast<std::size_t>(layers));
        if (cfg.contains("layer_types") && !cfg["layer_types"].is_null()) {
            const nlohmann::json& types = cfg["layer_types"];
            if (!types.is_array() || types.size() != sliding.size())
                throw LoadError("config.json: layer_types: expected a list of " + std::to_string(layers) + " layer types (num_hidden_layers)");
            for (std::size_t l = 0; l < sliding.size(); ++l) {
                const std::string type = types[l].is_string() ? types[l].get<std::string>() : types[l].dump();
                if (type != "sliding_attention" && type != "full_attention")
                    throw LoadError("config.json: layer_types[" + std::to_string(l) +
                                    "]: expected \"sliding_attention\" or \"full_attention\", got " + type);
                sliding[l] = type == "sliding_attention";
            }
            return sliding;
        }
        const int pattern = m_family.gemma_generation == 3 ? config_size(cfg, "sliding_window_pattern", config_limits::kLayers, 6) : 0;
        for (int l = 0; l < layers; ++l)
            sliding[static_cast<std::size_t>(l)] = m_family.gemma_generation == 2   ? l % 2 == 0
                                                   : m_family.gemma_generation == 3 ? (l + 1) % pattern != 0
                                                                                    : true;
        return sliding;
    }

    // `info`'s attention line: "sliding window of 4096 on layers 0, 2, 4; scores soft-capped at 50;
    // logits soft-capped at 30".
    std::string attention_description(const std::vector<bool>& sliding, int window, std::optional<float> attn_cap) const {
        std::vector<std::string> parts;
        std::string layers;
        int count = 0;
        for (std::size_t l = 0; l < sliding.size(); ++l)
            if (sliding[l]) layers += (count++ ? ", " : "") + std::to_string(l);
        if (count == static_cast<int>(sliding.size()) && count > 0) layers = "every layer";
        else if (count > 0) layers = "layers " + layers;
        if (count > 0) parts.push_back("sliding window of " + std::to_string(window) + " on " + layers);
        if (m_local_rope_base > 0.0f && count > 0) parts.push_back("RoPE base " + format_number(m_local_rope_base) + " on the sliding layers");
        if (attn_cap) parts.push_back("scores soft-capped at " + format_number(*attn_cap));
        if (m_final_softcap > 0.0f) parts.push_back("logits soft-capped at " + format_number(m_final_softcap));
        std::string out;
        for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
        return out;
    }

    // Where the text model's tensors are: "model." (or nothing) for a causal LM, a Gemma 3 image-text
    // checkpoint's language model otherwise.
    static std::string weights_prefix(HfWeights& w, int vocab, int d) {
        for (const char* wrapped : kImageTextPrefixes)
            if (w.contains(std::string(wrapped) + kEmbed)) return wrapped;
        return w.name_prefix("model.", kEmbed, {vocab, d});
    }

    // Gemma 3's rope_theta is 1,000,000 where its config leaves it out (HF's default); 10,000 otherwise.
    nlohmann::json with_family_rope_theta(const nlohmann::json& cfg) const {
        if (m_family.gemma_generation != 3 || cfg.contains("rope_theta")) return cfg;
        nlohmann::json out = cfg;
        out["rope_theta"] = 1000000.0;
        return out;
    }

    // A norm's weights as the forward pass multiplies by them: Gemma stores w and multiplies by 1 + w.
    RowVector norm_weights(const HfTensor& t) const {
        RowVector g = t.vector();
        if (m_family.gemma && !m_norms_hold_one_plus_w) g.array() += 1.0f;
        return g;
    }

    LlamaLayer read_layer(HfWeights& w, const std::string& p, int l, const LayerSizes& s) const {
        LlamaLayer L;
        const auto norm = [&](const char* name) { return norm_weights(w.require(layer_name(p, l, name), {s.d})); };
        const auto matrix = [&](const char* name, int rows, int cols) { return &w.require(layer_name(p, l, name), {rows, cols}); };
        // Llama's post_attention_layernorm is the MLP's input norm; OLMo-2's and Gemma 2's follow the attention.
        if (m_family.norms_before) L.attn_in_norm = norm("input_layernorm.weight");
        if (m_family.norms_after) {
            L.attn_out_norm = norm("post_attention_layernorm.weight");
            L.mlp_out_norm = norm("post_feedforward_layernorm.weight");
            if (m_family.norms_before) L.mlp_in_norm = norm("pre_feedforward_layernorm.weight");
        } else {
            L.mlp_in_norm = norm("post_attention_layernorm.weight");
        }
        if (m_family.qk_norm != QkNorm::None) {
            const bool per_head = m_family.qk_norm == QkNorm::PerHead;
            L.q_norm = norm_weights(w.require(layer_name(p, l, "self_attn.q_norm.weight"), {per_head ? s.d_head : s.heads * s.d_head}));
            L.k_norm = norm_weights(w.require(layer_name(p, l, "self_attn.k_norm.weight"), {per_head ? s.d_head : s.kv * s.d_head}));
        }
        const int q_rows = s.heads * s.d_head, kv_rows = s.kv * s.d_head;
        if (m_family.fused) {
            L.qkv = matrix("self_attn.qkv_proj.weight", q_rows + 2 * kv_rows, s.d);
            L.gate_up = matrix("mlp.gate_up_proj.weight", 2 * s.d_ff, s.d);
        } else {
            L.q = matrix("self_attn.q_proj.weight", q_rows, s.d);
            L.k = matrix("self_attn.k_proj.weight", kv_rows, s.d);
            L.v = matrix("self_attn.v_proj.weight", kv_rows, s.d);
            L.bq = w.optional(layer_name(p, l, "self_attn.q_proj.bias"), {q_rows});  // qwen2
            L.bk = w.optional(layer_name(p, l, "self_attn.k_proj.bias"), {kv_rows});
            L.bv = w.optional(layer_name(p, l, "self_attn.v_proj.bias"), {kv_rows});
            L.gate = matrix("mlp.gate_proj.weight", s.d_ff, s.d);
            L.up = matrix("mlp.up_proj.weight", s.d_ff, s.d);
        }
        L.o = matrix("self_attn.o_proj.weight", s.d, q_rows);
        L.down = matrix("mlp.down_proj.weight", s.d, s.d_ff);
        return L;
    }

    // What `info` says of the norms: where they sit is what sets these families apart.
    const char* norm_description() const {
        if (m_family.gemma_generation == 3) return "rmsnorm (before and after attention and MLP; q/k norm per head; x (1 + w))";
        if (m_family.gemma_generation == 2) return "rmsnorm (before and after attention and MLP; x (1 + w))";
        if (m_family.norms_after) return "rmsnorm (after attention and MLP; q/k norm over all heads)";
        if (m_family.qk_norm == QkNorm::PerHead) return "rmsnorm (pre; q/k norm per head)";
        if (m_family.gemma) return "rmsnorm (pre; x (1 + w))";
        return "rmsnorm (pre)";
    }

    std::string rope_description(int d_head) const {
        if (m_rotary_dims != d_head) return "rope (first " + std::to_string(m_rotary_dims) + " dimensions of each head)";
        if (!m_local_freq.empty()) return "rope (base " + format_number(m_local_rope_base) + " on sliding layers, the config's on global ones)";
        return "rope";
    }

    // q and k normalized as the family does it, before RoPE.
    void normalize_qk(Matrix& q, Matrix& k, const LlamaLayer& L) const {
        if (m_family.qk_norm == QkNorm::PerHead) {
            rms_norm_heads(q, m_info.n_heads, m_info.d_head, L.q_norm, m_eps);
            rms_norm_heads(k, m_info.n_kv_heads, m_info.d_head, L.k_norm, m_eps);
        } else if (m_family.qk_norm == QkNorm::WholeProjection) {
            q = rms_norm_rows(q, L.q_norm, m_eps);
            k = rms_norm_rows(k, L.k_norm, m_eps);
        }
    }

    struct Qkv {
        Matrix q, k, v;
    };
    Qkv project(const Matrix& x, const LlamaLayer& L) const {
        if (!L.qkv) return {linear_out_in(x, *L.q, L.bq), linear_out_in(x, *L.k, L.bk), linear_out_in(x, *L.v, L.bv)};
        const Matrix all = linear_out_in(x, *L.qkv, nullptr);
        const Index q_cols = static_cast<Index>(m_info.n_heads) * m_info.d_head, kv_cols = static_cast<Index>(m_info.n_kv_heads) * m_info.d_head;
        return {all.leftCols(q_cols), all.middleCols(q_cols, kv_cols), all.rightCols(kv_cols)};
    }

    // The gated MLP: down(act(gate m) * up m), silu (SwiGLU) or GELU (Gemma's GeGLU).
    Matrix mlp(const Matrix& m, const LlamaLayer& L) const {
        Matrix gate, up;
        if (L.gate_up) {
            const Matrix both = linear_out_in(m, *L.gate_up, nullptr);
            gate = both.leftCols(both.cols() / 2);
            up = both.rightCols(both.cols() / 2);
        } else {
            gate = linear_out_in(m, *L.gate, nullptr);
            up = linear_out_in(m, *L.up, nullptr);
        }
        if (m_family.gelu_gate) apply_activation(gate, *m_family.gelu_gate);
        else gate.array() /= (1.0f + (-gate.array()).exp());  // silu(g) = g * sigmoid(g)
        return linear_out_in(gate.cwiseProduct(up), *L.down, nullptr);
    }

    // Computes rows p..n-1 of every layer and takes rows 0..p-1 from `prefix` (none when p = 0).
    // Row i depends on earlier rows only through their keys and values, which the prefix keeps, so
    // the residual stream x holds the new rows only: m x d.
    // x, RMS-normalized by `gamma` where the family has that norm (gamma not empty).
    Matrix maybe_norm(Matrix x, const RowVector& gamma) const { return gamma.size() > 0 ? rms_norm_rows(x, gamma, m_eps) : x; }

    // Computes rows p..n-1 of every layer and takes rows 0..p-1 from `prefix` (none when p = 0).
    // Row i depends on earlier rows only through their keys and values, which the prefix keeps, so
    // the residual stream x holds the new rows only: m x d.
    Result<Trace> forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens, const ForwardOptions& options) const override {
        const auto ids = checked_ids(tokens);
        if (!ids.ok()) return ids.error();
        const int H = m_info.n_heads, KV = m_info.n_kv_heads, dh = m_info.d_head;
        Trace trace;
        trace.layers.resize(m_layers.size());
        const int first = resume_layer(options, p, static_cast<Index>(tokens.size()) - p, static_cast<int>(m_layers.size()));
        Matrix x;
        if (first > 0) {
            x = resumed_stream(options, first);
        } else {
            x = gather_rows(*m_embed, std::vector<int>(ids.value().begin() + p, ids.value().end()));
            if (m_embed_scale != 1.0f) x *= m_embed_scale;
        }
        for (std::size_t l = static_cast<std::size_t>(first); l < m_layers.size(); ++l) {
            const LlamaLayer& L = m_layers[l];
            LayerTrace& layer = trace.layers[l];
            const LayerTrace* reused = reused_layer(prefix, p, l);
            Matrix x_in = maybe_norm(x, L.attn_in_norm);   // what attention reads
            layer.scale = m_scale;
            layer.causal = true;
            layer.shaping = L.shaping;
            Qkv h = project(x_in, L);
            layer.x = layer_input_rows(reused, p, std::move(x_in));
            normalize_qk(h.q, h.k, L);
            apply_rope(h.q, H, dh, *L.rope, p);  // the trace keeps q and k after RoPE: what was multiplied
            apply_rope(h.k, KV, dh, *L.rope, p);  // at the new rows' own positions p..n-1
            auto heads_out = attend_new_rows(h.q, h.k, h.v, H, KV, m_scale, true, reused, p, options, layer.heads, L.shaping);
            if (!heads_out) return Error{"cancelled"};
            ablate_head_outputs(*heads_out, static_cast<int>(l), dh, options);
            x += maybe_norm(linear_out_in(*heads_out, *L.o, nullptr), L.attn_out_norm);
            x += maybe_norm(mlp(maybe_norm(x, L.mlp_in_norm), L), L.mlp_out_norm);
            if (options.keep_residual) trace.residual.push_back(x);
        }
        if (options.logits != ForwardOptions::Logits::None) trace.logits = logits_from(rows_for_logits(x, options, trace, p));
        return trace;
    }

    // The final norm, the LM head and Gemma 2's final soft-cap (c tanh(logits / c)).
    Matrix logits_from(const Matrix& stream) const {
        Matrix logits = lm_head_product(rms_norm_rows(stream, m_final_norm, m_eps), *m_lm_head, nullptr);
        if (m_final_softcap > 0.0f) logits = (logits.array() / m_final_softcap).tanh() * m_final_softcap;
        return logits;
    }

public:
    std::optional<Matrix> lens_logits(const Matrix& residual_rows) const override { return logits_from(residual_rows); }

private:

    LlamaFamily m_family;
    const HfTensor *m_embed = nullptr, *m_lm_head = nullptr;
    std::vector<LlamaLayer> m_layers;
    RowVector m_final_norm;
    std::vector<double> m_freq;
    int m_rotary_dims = 0;
    float m_eps = 1e-6f;
    float m_embed_scale = 1.0f;
    float m_scale = 1.0f;              // the scores' factor: 1/sqrt(d_head), Gemma 2/3's 1/sqrt(query_pre_attn_scalar)
    float m_final_softcap = 0.0f;      // > 0: the logits are soft-capped (Gemma 2)
    float m_local_rope_base = 0.0f;    // > 0: Gemma 3's sliding layers' RoPE base
    std::vector<double> m_local_freq;  // ... and their frequencies
    bool m_norms_hold_one_plus_w = false;   // a GGUF Gemma: the 1 is already in the weights
};

}  // namespace

ModelPtr build_llama_model(HfContext& context) { return std::make_shared<LlamaModel>(context); }

}  // namespace attnscope
