// Llama-family decoders (model_type "llama", "mistral", "qwen2", "qwen3", "olmo2", "phi3",
// "gemma"): RMSNorm, rotary position embeddings (RoPE, the rotate_half layout Hugging Face uses),
// grouped key/value heads, a gated MLP, optional Q/K/V biases (qwen2), tied or untied LM head.
// Linear weights are out x in. What the families change:
// - qwen3 normalizes each head's q and k (q_norm, k_norm: d_head weights) before RoPE;
// - olmo2 has no norm before attention or MLP but one after each (post_attention_layernorm,
//   post_feedforward_layernorm), and normalizes the whole q and k projections before RoPE;
// - phi3 fuses q, k, v (qkv_proj) and gate, up (gate_up_proj), and may turn only part of each
//   head (partial_rotary_factor);
// - gemma scales the embeddings by sqrt(d_model), multiplies by 1 + w in its norms, gates with
//   tanh GELU (GeGLU), and has a head_dim of its own.
#include <cmath>
#include <cstdio>
#include <optional>

#include "kernels/attention.h"
#include "models/hf_architectures.h"
#include "models/prefix_reuse.h"
#include "models/rope.h"

namespace attnscope {

namespace {

constexpr const char* kEmbed = "embed_tokens.weight";
constexpr const char* kFinalNorm = "norm.weight";
constexpr const char* kLmHead = "lm_head.weight";
constexpr const char* kLayer = "layers.%d.%s";  // input_layernorm, self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj

std::string layer_name(const std::string& prefix, int l, const char* what) {
    char buf[160];
    std::snprintf(buf, sizeof buf, kLayer, l, what);
    return prefix + buf;
}

struct LlamaLayer {
    RowVector input_norm, post_norm;   // olmo2: no input norm; post_norm follows the attention
    RowVector post_ff_norm;            // olmo2: after the MLP
    RowVector q_norm, k_norm;          // qwen3 (per head), olmo2 (whole projection); empty: none
    const HfTensor *q = nullptr, *k = nullptr, *v = nullptr, *o = nullptr, *bq = nullptr, *bk = nullptr, *bv = nullptr;
    const HfTensor* qkv = nullptr;     // phi3: [W_Q; W_K; W_V] in one tensor instead of q, k, v
    const HfTensor *gate = nullptr, *up = nullptr, *down = nullptr;
    const HfTensor* gate_up = nullptr; // phi3: [gate; up] in one tensor
};

// Where a family normalizes q and k, before RoPE.
enum class QkNorm { None, PerHead, WholeProjection };

// What sets a family apart from Llama, read from model_type and the config.
struct LlamaFamily {
    std::string name = "llama";
    QkNorm qk_norm = QkNorm::None;
    bool norms_after = false;        // olmo2: norms after attention and MLP, none before
    bool fused = false;              // phi3: qkv_proj and gate_up_proj
    bool gemma = false;              // embeddings x sqrt(d_model), norms x (1 + w), GeGLU
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
    f.qk_norm = f.name == "qwen3" ? QkNorm::PerHead : f.name == "olmo2" ? QkNorm::WholeProjection : QkNorm::None;
    f.norms_after = f.name == "olmo2";
    f.fused = f.name == "phi3";
    f.gemma = f.name == "gemma";
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
        m_freq = rope_frequencies(cfg, m_rotary_dims);
        if (!c.rope_frequency_factors.empty()) {
            if (c.rope_frequency_factors.size() != m_freq.size())
                throw LoadError("rope frequency factors: expected " + std::to_string(m_freq.size()) + ", got " +
                                std::to_string(c.rope_frequency_factors.size()));
            for (std::size_t i = 0; i < m_freq.size(); ++i) m_freq[i] /= c.rope_frequency_factors[i];
        }
        // Gemma multiplies the embeddings by sqrt(d_model), a float32 number in HF.
        if (m_family.gemma) m_embed_scale = std::sqrt(static_cast<float>(d));
        m_norms_hold_one_plus_w = c.norms_hold_one_plus_w;

        HfWeights& w = *m_weights;
        const std::string p = w.name_prefix("model.", kEmbed, {vocab, d});
        m_embed = &w.require(p + kEmbed, {vocab, d});
        for (int l = 0; l < layers; ++l) m_layers.push_back(read_layer(w, p, l, LayerSizes{d, heads, kv, d_head, d_ff}));
        m_final_norm = norm_weights(w.require(p + kFinalNorm, {d}));
        m_lm_head = w.optional(kLmHead, {vocab, d});
        if (!m_lm_head) {
            if (!config_bool(cfg, "tie_word_embeddings", m_family.gemma) && w.contains(p + kEmbed))
                m_info.description += " (no lm_head.weight: using the tied embedding)";
            m_lm_head = m_embed;
        }

        describe({Architecture::Llama, layers, heads, kv, d, d_head, d_ff, vocab,
                  config_size(cfg, "max_position_embeddings", config_limits::kPositions, 4096), true, rope_description(d_head),
                  norm_description(), m_family.gelu_gate ? std::string(activation_name(*m_family.gelu_gate)) + " (GeGLU)" : "silu (SwiGLU)"});
        if (m_family.name != "llama") m_info.family = m_family.name;
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
        const int dims = static_cast<int>(static_cast<float>(d_head) * factor);
        if (dims < 2 || dims % 2 != 0)
            throw LoadError(std::string("config.json: ") + (factor < 1.0f ? "partial_rotary_factor" : "head_dim") +
                            ": RoPE needs an even number of rotated dimensions, got " + std::to_string(dims) + " of " + std::to_string(d_head));
        return dims;
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
        if (!m_family.norms_after) L.input_norm = norm("input_layernorm.weight");
        L.post_norm = norm("post_attention_layernorm.weight");
        if (m_family.norms_after) L.post_ff_norm = norm("post_feedforward_layernorm.weight");
        if (m_family.qk_norm != QkNorm::None) {
            const bool per_head = m_family.qk_norm == QkNorm::PerHead;
            L.q_norm = w.require(layer_name(p, l, "self_attn.q_norm.weight"), {per_head ? s.d_head : s.heads * s.d_head}).vector();
            L.k_norm = w.require(layer_name(p, l, "self_attn.k_norm.weight"), {per_head ? s.d_head : s.kv * s.d_head}).vector();
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
        if (m_family.norms_after) return "rmsnorm (after attention and MLP; q/k norm over all heads)";
        if (m_family.qk_norm == QkNorm::PerHead) return "rmsnorm (pre; q/k norm per head)";
        if (m_family.gemma) return "rmsnorm (pre; x (1 + w))";
        return "rmsnorm (pre)";
    }

    std::string rope_description(int d_head) const {
        if (m_rotary_dims == d_head) return "rope";
        return "rope (first " + std::to_string(m_rotary_dims) + " dimensions of each head)";
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
    Result<Trace> forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens, const ForwardOptions& options) const override {
        const auto ids = checked_ids(tokens);
        if (!ids.ok()) return ids.error();
        const int H = m_info.n_heads, KV = m_info.n_kv_heads, dh = m_info.d_head;
        const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
        Trace trace;
        trace.layers.resize(m_layers.size());
        Matrix x = gather_rows(*m_embed, std::vector<int>(ids.value().begin() + p, ids.value().end()));
        if (m_embed_scale != 1.0f) x *= m_embed_scale;
        for (std::size_t l = 0; l < m_layers.size(); ++l) {
            const LlamaLayer& L = m_layers[l];
            LayerTrace& layer = trace.layers[l];
            const LayerTrace* reused = reused_layer(prefix, p, l);
            Matrix x_in = m_family.norms_after ? x : rms_norm_rows(x, L.input_norm, m_eps);   // what attention reads
            layer.scale = scale;
            layer.causal = true;
            Qkv h = project(x_in, L);
            layer.x = layer_input_rows(reused, p, std::move(x_in));
            normalize_qk(h.q, h.k, L);
            apply_rope(h.q, H, dh, m_freq, p);  // the trace keeps q and k after RoPE: what was multiplied
            apply_rope(h.k, KV, dh, m_freq, p);  // at the new rows' own positions p..n-1
            const auto heads_out = attend_new_rows(h.q, h.k, h.v, H, KV, scale, true, reused, p, options, layer.heads);
            if (!heads_out) return Error{"cancelled"};
            const Matrix attended = linear_out_in(*heads_out, *L.o, nullptr);
            if (m_family.norms_after) {
                x += rms_norm_rows(attended, L.post_norm, m_eps);
                x += rms_norm_rows(mlp(x, L), L.post_ff_norm, m_eps);
            } else {
                x += attended;
                x += mlp(rms_norm_rows(x, L.post_norm, m_eps), L);
            }
        }
        if (options.logits != ForwardOptions::Logits::None)
            trace.logits = lm_head_product(rms_norm_rows(rows_for_logits(x, options, trace, p), m_final_norm, m_eps), *m_lm_head, nullptr);
        return trace;
    }

    LlamaFamily m_family;
    const HfTensor *m_embed = nullptr, *m_lm_head = nullptr;
    std::vector<LlamaLayer> m_layers;
    RowVector m_final_norm;
    std::vector<double> m_freq;
    int m_rotary_dims = 0;
    float m_eps = 1e-6f;
    float m_embed_scale = 1.0f;
    bool m_norms_hold_one_plus_w = false;   // a GGUF Gemma: the 1 is already in the weights
};

}  // namespace

ModelPtr build_llama_model(HfContext& context) { return std::make_shared<LlamaModel>(context); }

}  // namespace attnscope
