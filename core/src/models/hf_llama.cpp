// Llama-family decoders (model_type "llama", "mistral", "qwen2", "qwen3", "olmo2"): RMSNorm,
// rotary position embeddings (RoPE, the rotate_half layout Hugging Face uses), grouped key/value
// heads, SwiGLU MLP, optional Q/K/V biases (qwen2), tied or untied LM head. Linear weights are
// out x in. Two families change where the norms sit:
// - qwen3 normalizes each head's q and k (q_norm, k_norm: d_head weights) before RoPE;
// - olmo2 has no norm before attention or MLP but one after each (post_attention_layernorm,
//   post_feedforward_layernorm), and normalizes the whole q and k projections before RoPE.
#include <cmath>
#include <cstdio>

#include "kernels/attention.h"
#include "models/hf_architectures.h"
#include "models/prefix_reuse.h"

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

// rope_scaling's adjustment of the rotary frequencies: "linear" divides them by the factor;
// "llama3" divides only the low frequencies and blends the band between.
void scale_rope_frequencies(const nlohmann::json& s, std::vector<double>& freq) {
    const std::string type = config_string(s, "rope_type", config_string(s, "type", "default"));
    if (type == "default") return;
    const double factor = config_positive_float(s, "factor");
    if (type == "linear") {
        for (double& f : freq) f /= factor;
        return;
    }
    if (type != "llama3")
        throw LoadError("config.json: rope_scaling.rope_type: expected \"default\", \"linear\" or \"llama3\", got \"" + type + "\"");
    const double low = config_positive_float(s, "low_freq_factor", 1.0f), high = config_positive_float(s, "high_freq_factor", 4.0f);
    if (!(high > low)) throw LoadError("config.json: rope_scaling.high_freq_factor: expected more than low_freq_factor " + std::to_string(low));
    const double original = config_size(s, "original_max_position_embeddings", config_limits::kPositions, 8192);
    const double low_wavelen = original / low, high_wavelen = original / high;
    for (double& f : freq) {
        const double wavelen = 2 * M_PI / f;
        if (wavelen < high_wavelen) continue;  // high frequencies: unchanged
        if (wavelen > low_wavelen) { f /= factor; continue; }
        const double smooth = (original / wavelen - low) / (high - low);
        f = (1 - smooth) * f / factor + smooth * f;
    }
}

// The rotary frequencies 1 / theta^(2i / d_head), i < d_head / 2, adjusted by the config's
// rope_scaling.
std::vector<double> rope_frequencies(const nlohmann::json& cfg, int d_head) {
    const double theta = config_positive_float(cfg, "rope_theta", 10000.0f);
    std::vector<double> freq(static_cast<std::size_t>(d_head / 2));
    for (int i = 0; i < d_head / 2; ++i) freq[static_cast<std::size_t>(i)] = 1.0 / std::pow(theta, 2.0 * i / d_head);
    if (!cfg.contains("rope_scaling") || cfg["rope_scaling"].is_null()) return freq;

    const nlohmann::json& s = cfg["rope_scaling"];
    if (!s.is_object()) throw LoadError("config.json: rope_scaling: expected an object or null");
    // The config readers name a key as if it were top-level ("config.json: factor: missing");
    // inside rope_scaling the user must be told where it is.
    const std::string top = "config.json: ", nested = top + "rope_scaling.";
    try {
        scale_rope_frequencies(s, freq);
    } catch (const LoadError& e) {
        const std::string what = e.what();
        if (what.rfind(top, 0) != 0 || what.rfind(nested, 0) == 0) throw;
        throw LoadError(nested + what.substr(top.size()));
    }
    return freq;
}

// Rotates each head's (i, i + d_head/2) pairs by position * freq[i]. x: the rows of positions
// first, first + 1, ... x (heads * d_head): a pass reusing a prefix rotates only its new rows.
void apply_rope(Matrix& x, int heads, int d_head, const std::vector<double>& freq, Index first) {
    const int half = d_head / 2;
    for (Index r = 0; r < x.rows(); ++r) {
        const Index p = first + r;
        for (int i = 0; i < half; ++i) {
            const double angle = static_cast<double>(p) * freq[static_cast<std::size_t>(i)];
            const auto c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
            for (int h = 0; h < heads; ++h) {
                float& a = x(r, h * d_head + i);
                float& b = x(r, h * d_head + i + half);
                const float a0 = a, b0 = b;
                a = a0 * c - b0 * s;  // rotate_half: [-x2, x1]
                b = b0 * c + a0 * s;
            }
        }
    }
}

struct LlamaLayer {
    RowVector input_norm, post_norm;   // olmo2: no input norm; post_norm follows the attention
    RowVector post_ff_norm;            // olmo2: after the MLP
    RowVector q_norm, k_norm;          // qwen3 (per head), olmo2 (whole projection); empty: none
    const HfTensor *q, *k, *v, *o, *bq, *bk, *bv, *gate, *up, *down;
};

// Where a family normalizes q and k, before RoPE.
enum class QkNorm { None, PerHead, WholeProjection };

// x: rows x (heads * d_head); each head's d_head numbers RMS-normalized with the same gamma.
void rms_norm_heads(Matrix& x, int heads, int d_head, const RowVector& gamma, float eps) {
    for (Index r = 0; r < x.rows(); ++r)
        for (int h = 0; h < heads; ++h) {
            auto head = x.row(r).segment(static_cast<Index>(h) * d_head, d_head);
            const float mean_square = head.squaredNorm() / static_cast<float>(d_head);
            head = (head / std::sqrt(mean_square + eps)).cwiseProduct(gamma);
        }
}

class LlamaModel final : public HfModelBase {
public:
    explicit LlamaModel(HfContext& c) : HfModelBase(c) {
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
        if (d_head % 2 != 0) throw LoadError("config.json: head_dim: expected an even number for RoPE, got " + std::to_string(d_head));
        const std::string act = config_string(cfg, "hidden_act", "silu");
        if (act != "silu") throw LoadError("config.json: hidden_act: expected \"silu\", got \"" + act + "\"");
        m_eps = config_positive_float(cfg, "rms_norm_eps", 1e-6f);
        m_freq = rope_frequencies(cfg, d_head);
        if (!c.rope_frequency_factors.empty()) {
            if (c.rope_frequency_factors.size() != m_freq.size())
                throw LoadError("rope frequency factors: expected " + std::to_string(m_freq.size()) + ", got " +
                                std::to_string(c.rope_frequency_factors.size()));
            for (std::size_t i = 0; i < m_freq.size(); ++i) m_freq[i] /= c.rope_frequency_factors[i];
        }

        const std::string family = config_string(cfg, "model_type", "llama");
        m_norms_after = family == "olmo2";
        m_qk_norm = family == "qwen3" ? QkNorm::PerHead : family == "olmo2" ? QkNorm::WholeProjection : QkNorm::None;
        HfWeights& w = *m_weights;
        const std::string p = w.name_prefix("model.", kEmbed, {vocab, d});
        m_embed = &w.require(p + kEmbed, {vocab, d});
        for (int l = 0; l < layers; ++l) {
            LlamaLayer L;
            if (!m_norms_after) L.input_norm = w.require(layer_name(p, l, "input_layernorm.weight"), {d}).vector();
            L.post_norm = w.require(layer_name(p, l, "post_attention_layernorm.weight"), {d}).vector();
            if (m_norms_after) L.post_ff_norm = w.require(layer_name(p, l, "post_feedforward_layernorm.weight"), {d}).vector();
            if (m_qk_norm != QkNorm::None) {
                const bool per_head = m_qk_norm == QkNorm::PerHead;
                L.q_norm = w.require(layer_name(p, l, "self_attn.q_norm.weight"), {per_head ? d_head : heads * d_head}).vector();
                L.k_norm = w.require(layer_name(p, l, "self_attn.k_norm.weight"), {per_head ? d_head : kv * d_head}).vector();
            }
            L.q = &w.require(layer_name(p, l, "self_attn.q_proj.weight"), {heads * d_head, d});
            L.k = &w.require(layer_name(p, l, "self_attn.k_proj.weight"), {kv * d_head, d});
            L.v = &w.require(layer_name(p, l, "self_attn.v_proj.weight"), {kv * d_head, d});
            L.o = &w.require(layer_name(p, l, "self_attn.o_proj.weight"), {d, heads * d_head});
            L.bq = w.optional(layer_name(p, l, "self_attn.q_proj.bias"), {heads * d_head});  // qwen2
            L.bk = w.optional(layer_name(p, l, "self_attn.k_proj.bias"), {kv * d_head});
            L.bv = w.optional(layer_name(p, l, "self_attn.v_proj.bias"), {kv * d_head});
            L.gate = &w.require(layer_name(p, l, "mlp.gate_proj.weight"), {d_ff, d});
            L.up = &w.require(layer_name(p, l, "mlp.up_proj.weight"), {d_ff, d});
            L.down = &w.require(layer_name(p, l, "mlp.down_proj.weight"), {d, d_ff});
            m_layers.push_back(L);
        }
        m_final_norm = w.require(p + kFinalNorm, {d}).vector();
        m_lm_head = w.optional(kLmHead, {vocab, d});
        if (!m_lm_head) {
            if (!config_bool(cfg, "tie_word_embeddings", false) && w.contains(p + kEmbed))
                m_info.description += " (no lm_head.weight: using the tied embedding)";
            m_lm_head = m_embed;
        }

        describe({Architecture::Llama, layers, heads, kv, d, d_head, d_ff, vocab,
                  config_size(cfg, "max_position_embeddings", config_limits::kPositions, 4096), true, "rope", norm_description(),
                  "silu (SwiGLU)"});
    }

    Result<Trace> forward(const std::vector<Token>& tokens, const ForwardOptions& options) const override {
        return forward_rows(nullptr, 0, tokens, options);
    }

    Result<Trace> forward_reusing_prefix(const Trace& prefix, int reuse, const std::vector<Token>& tokens,
                                         const ForwardOptions& options) const override {
        return forward_reusing_rows(prefix, reuse, tokens, m_info, options,
                                    [&](const Trace* from, int p) { return forward_rows(from, p, tokens, options); });
    }

    // Linear weights, out x in; a query head's K and V are its key/value group's, and q and k are
    // rotated by position after the projection (RoPE).
    std::optional<HeadProjection> head_projection(int layer, int head) const override {
        if (layer < 0 || layer >= m_info.n_layers || head < 0 || head >= m_info.n_heads) return std::nullopt;
        const LlamaLayer& L = m_layers[static_cast<std::size_t>(layer)];
        const Index dh = m_info.d_head, q0 = static_cast<Index>(head) * dh;
        const Index kv0 = static_cast<Index>(head / (m_info.n_heads / m_info.n_kv_heads)) * dh;
        HeadProjection p{head_slice(*L.q, HfTensor::Layout::OutIn, q0, dh), head_slice(*L.k, HfTensor::Layout::OutIn, kv0, dh),
                         head_slice(*L.v, HfTensor::Layout::OutIn, kv0, dh), bias_slice(L.bq, q0, dh),
                         bias_slice(L.bk, kv0, dh), bias_slice(L.bv, kv0, dh)};
        p.rotary = true;
        if (m_qk_norm == QkNorm::PerHead) p.qk_norm = "each head's q and k RMS-normalized (q_norm, k_norm)";
        if (m_qk_norm == QkNorm::WholeProjection) p.qk_norm = "all heads' q and k RMS-normalized together (q_norm, k_norm)";
        return p;
    }

private:
    // What `info` says of the norms: where they sit is what sets these families apart.
    const char* norm_description() const {
        if (m_norms_after) return "rmsnorm (after attention and MLP; q/k norm over all heads)";
        if (m_qk_norm == QkNorm::PerHead) return "rmsnorm (pre; q/k norm per head)";
        return "rmsnorm (pre)";
    }

    // q and k normalized as the family does it, before RoPE.
    void normalize_qk(Matrix& q, Matrix& k, const LlamaLayer& L) const {
        if (m_qk_norm == QkNorm::PerHead) {
            rms_norm_heads(q, m_info.n_heads, m_info.d_head, L.q_norm, m_eps);
            rms_norm_heads(k, m_info.n_kv_heads, m_info.d_head, L.k_norm, m_eps);
        } else if (m_qk_norm == QkNorm::WholeProjection) {
            q = rms_norm_rows(q, L.q_norm, m_eps);
            k = rms_norm_rows(k, L.k_norm, m_eps);
        }
    }

    // The SwiGLU MLP: down(silu(gate m) * up m).
    Matrix mlp(const Matrix& m, const LlamaLayer& L) const {
        Matrix gate = linear_out_in(m, *L.gate, nullptr);
        gate.array() /= (1.0f + (-gate.array()).exp());  // silu(g) = g * sigmoid(g)
        return linear_out_in(gate.cwiseProduct(linear_out_in(m, *L.up, nullptr)), *L.down, nullptr);
    }

    // Computes rows p..n-1 of every layer and takes rows 0..p-1 from `prefix` (none when p = 0).
    // Row i depends on earlier rows only through their keys and values, which the prefix keeps, so
    // the residual stream x holds the new rows only: m x d.
    Result<Trace> forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens, const ForwardOptions& options) const {
        const auto ids = checked_ids(tokens);
        if (!ids.ok()) return ids.error();
        const int H = m_info.n_heads, KV = m_info.n_kv_heads, dh = m_info.d_head;
        const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
        Trace trace;
        trace.layers.resize(m_layers.size());
        Matrix x = gather_rows(*m_embed, std::vector<int>(ids.value().begin() + p, ids.value().end()));
        for (std::size_t l = 0; l < m_layers.size(); ++l) {
            const LlamaLayer& L = m_layers[l];
            LayerTrace& layer = trace.layers[l];
            const LayerTrace* reused = reused_layer(prefix, p, l);
            Matrix x_in = m_norms_after ? x : rms_norm_rows(x, L.input_norm, m_eps);   // what attention reads
            layer.scale = scale;
            layer.causal = true;
            Matrix q = linear_out_in(x_in, *L.q, L.bq), k = linear_out_in(x_in, *L.k, L.bk);
            const Matrix v = linear_out_in(x_in, *L.v, L.bv);
            layer.x = layer_input_rows(reused, p, std::move(x_in));
            normalize_qk(q, k, L);
            apply_rope(q, H, dh, m_freq, p);  // the trace keeps q and k after RoPE: what was multiplied
            apply_rope(k, KV, dh, m_freq, p);  // at the new rows' own positions p..n-1
            const auto heads_out = attend_new_rows(q, k, v, H, KV, scale, true, reused, p, options, layer.heads);
            if (!heads_out) return Error{"cancelled"};
            const Matrix attended = linear_out_in(*heads_out, *L.o, nullptr);
            if (m_norms_after) {
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

    const HfTensor *m_embed = nullptr, *m_lm_head = nullptr;
    std::vector<LlamaLayer> m_layers;
    RowVector m_final_norm;
    std::vector<double> m_freq;
    float m_eps = 1e-6f;
    bool m_norms_after = false;   // olmo2
    QkNorm m_qk_norm = QkNorm::None;
};

}  // namespace

ModelPtr build_llama_model(HfContext& context) { return std::make_shared<LlamaModel>(context); }

}  // namespace attnscope
