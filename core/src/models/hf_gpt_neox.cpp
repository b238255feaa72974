// GPT-NeoX and Pythia (model_type "gpt_neox"): learned token embeddings, LayerNorm with bias,
// rotary position embeddings on the first rotary_pct of each head, GELU MLP, untied embed_out.
// What it changes in attention:
// - query_key_value is one tensor whose output is interleaved per head: head h's q, k and v are
//   its rows [3h dh, 3h dh + dh), [.. + dh, .. + 2 dh), [.. + 2 dh, .. + 3 dh) (a GGUF file's
//   are [all Q; all K; all V] instead: llama.cpp's converter reorders them);
// - only the first rotary_ndims = d_head * rotary_pct numbers of q and k are turned;
// - with use_parallel_residual (Pythia), attention and MLP both read the layer's input:
//   x + attn(ln1(x)) + mlp(ln2(x)); without it they run one after the other.
#include <cmath>
#include <cstdio>

#include "attnscope/transformer.h"
#include "kernels/attention.h"
#include "models/hf_architectures.h"
#include "models/prefix_reuse.h"
#include "models/rope.h"

namespace attnscope {

namespace {

constexpr const char* kLayer = "layers.%d.%s";

std::string layer_name(const std::string& prefix, int l, const char* what) {
    char buf[160];
    std::snprintf(buf, sizeof buf, kLayer, l, what);
    return prefix + buf;
}

struct NeoxLayer {
    LayerNormWeights ln_1, ln_2;
    const HfTensor *qkv_w = nullptr, *qkv_b = nullptr, *dense_w = nullptr, *dense_b = nullptr;
    const HfTensor *up_w = nullptr, *up_b = nullptr, *down_w = nullptr, *down_b = nullptr;
};

class GptNeoxModel final : public HfDecoderBase {
public:
    explicit GptNeoxModel(HfContext& c) : HfDecoderBase(c) {
        const nlohmann::json& cfg = c.config;
        namespace L = config_limits;
        const int d = config_size(cfg, "hidden_size", L::kWidth), heads = config_size(cfg, "num_attention_heads", L::kHeads);
        const int layers = config_size(cfg, "num_hidden_layers", L::kLayers), vocab = config_size(cfg, "vocab_size", L::kVocabulary);
        const int d_ff = config_size(cfg, "intermediate_size", L::kFeedForward, 4 * d);
        const int positions = config_size(cfg, "max_position_embeddings", L::kPositions, 2048);
        require_divisor(heads, "num_attention_heads", d, "hidden_size");
        const int d_head = d / heads;
        m_eps = config_positive_float(cfg, "layer_norm_eps", 1e-5f);
        m_activation = activation_from_config(config_string(cfg, "hidden_act", "gelu"), "hidden_act");
        m_parallel = config_bool(cfg, "use_parallel_residual", true);
        m_qkv_grouped = c.qkv_grouped;
        m_rotary_dims = rotary_dims(cfg, d_head);
        m_freq = rope_frequencies(cfg, m_rotary_dims, cfg.contains("rotary_emb_base") ? "rotary_emb_base" : "rope_theta");

        HfWeights& w = *m_weights;
        const std::string p = w.name_prefix("gpt_neox.", "embed_in.weight", {vocab, d});
        m_embed = &w.require(p + "embed_in.weight", {vocab, d});
        const auto norm = [&](const std::string& base) {
            return LayerNormWeights{w.require(base + "weight", {d}).vector(), w.require(base + "bias", {d}).vector()};
        };
        // attention_bias (newer configs) can drop the biases of query_key_value and dense.
        const auto bias = [&](const std::string& name, int n) { return w.optional(name, {n}); };
        for (int l = 0; l < layers; ++l) {
            NeoxLayer L;
            L.ln_1 = norm(layer_name(p, l, "input_layernorm."));
            L.ln_2 = norm(layer_name(p, l, "post_attention_layernorm."));
            L.qkv_w = &w.require(layer_name(p, l, "attention.query_key_value.weight"), {3 * d, d});
            L.qkv_b = bias(layer_name(p, l, "attention.query_key_value.bias"), 3 * d);
            L.dense_w = &w.require(layer_name(p, l, "attention.dense.weight"), {d, d});
            L.dense_b = bias(layer_name(p, l, "attention.dense.bias"), d);
            L.up_w = &w.require(layer_name(p, l, "mlp.dense_h_to_4h.weight"), {d_ff, d});
            L.up_b = &w.require(layer_name(p, l, "mlp.dense_h_to_4h.bias"), {d_ff});
            L.down_w = &w.require(layer_name(p, l, "mlp.dense_4h_to_h.weight"), {d, d_ff});
            L.down_b = &w.require(layer_name(p, l, "mlp.dense_4h_to_h.bias"), {d});
            m_layers.push_back(L);
        }
        m_final_norm = norm(p + "final_layer_norm.");
        m_lm_head = w.optional("embed_out.weight", {vocab, d});
        if (!m_lm_head) m_lm_head = m_embed;

        const std::string rope = m_rotary_dims == d_head ? "rope" : "rope (first " + std::to_string(m_rotary_dims) + " dimensions of each head)";
        describe({Architecture::GptNeox, layers, heads, heads, d, d_head, d_ff, vocab, positions, true, rope,
                  m_parallel ? "layernorm (pre; attention and MLP in parallel)" : "layernorm (pre)", activation_name(m_activation)});
    }

    std::optional<HeadProjection> head_projection(int layer, int head) const override {
        if (!has_head(layer, head)) return std::nullopt;
        const NeoxLayer& L = m_layers[static_cast<std::size_t>(layer)];
        const Index dh = m_info.d_head;
        const auto w = [&](Index part) { return head_slice(*L.qkv_w, HfTensor::Layout::OutIn, qkv_row(head, part), dh); };
        const auto b = [&](Index part) { return bias_slice(L.qkv_b, qkv_row(head, part), dh); };
        HeadProjection p{w(0), w(1), w(2), b(0), b(1), b(2)};
        p.w_o = head_output_rows(*L.dense_w, HfTensor::Layout::OutIn, static_cast<Index>(head) * dh, dh);
        p.rotary = true;
        p.rotary_dims = m_rotary_dims == m_info.d_head ? 0 : m_rotary_dims;
        return p;
    }

private:
    static int rotary_dims(const nlohmann::json& cfg, int d_head) {
        const float pct = cfg.contains("rotary_pct") ? config_positive_float(cfg, "rotary_pct") : 1.0f;
        if (pct > 1.0f) throw LoadError("config.json: rotary_pct: expected at most 1, got " + std::to_string(pct));
        // HF truncates d_head * pct in double precision; the config's value read as a float can land
        // just below a whole number (0.7f * 10 = 6.9999998), so a hair is added before truncating.
        const int dims = static_cast<int>(static_cast<double>(d_head) * pct + 1e-4);
        if (dims < 2 || dims % 2 != 0)
            throw LoadError("config.json: rotary_pct: RoPE needs an even number of rotated dimensions, got " + std::to_string(dims) +
                            " of " + std::to_string(d_head));
        return dims;
    }

    // Where head h's q (part 0), k (1) or v (2) starts among query_key_value's rows: 3h dh + part dh
    // interleaved (Hugging Face), part d + h dh grouped (GGUF).
    Index qkv_row(Index head, Index part) const {
        const Index dh = m_info.d_head;
        return m_qkv_grouped ? part * m_info.d_model + head * dh : (3 * head + part) * dh;
    }

    // The projection split into Q, K and V, each n x d with head h at columns h dh.
    void split_heads(const Matrix& qkv, Matrix& q, Matrix& k, Matrix& v) const {
        const Index dh = m_info.d_head, d = m_info.d_model;
        q.resize(qkv.rows(), d);
        k.resize(qkv.rows(), d);
        v.resize(qkv.rows(), d);
        for (Index h = 0; h < m_info.n_heads; ++h) {
            q.middleCols(h * dh, dh) = qkv.middleCols(qkv_row(h, 0), dh);
            k.middleCols(h * dh, dh) = qkv.middleCols(qkv_row(h, 1), dh);
            v.middleCols(h * dh, dh) = qkv.middleCols(qkv_row(h, 2), dh);
        }
    }

    Matrix mlp(const Matrix& m, const NeoxLayer& L) const {
        Matrix hidden = linear_out_in(m, *L.up_w, L.up_b);
        apply_activation(hidden, m_activation);
        return linear_out_in(hidden, *L.down_w, L.down_b);
    }

    // Computes rows p..n-1 of every layer and takes rows 0..p-1 from `prefix` (none when p = 0).
    Result<Trace> forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens, const ForwardOptions& options) const override {
        const auto ids = checked_ids(tokens);
        if (!ids.ok()) return ids.error();
        const int H = m_info.n_heads, dh = m_info.d_head;
        const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
        Trace trace;
        trace.layers.resize(m_layers.size());
        const int first = resume_layer(options, p, static_cast<Index>(tokens.size()) - p, static_cast<int>(m_layers.size()));
        Matrix x = first > 0 ? resumed_stream(options, first)
                             : gather_rows(*m_embed, std::vector<int>(ids.value().begin() + p, ids.value().end()));
        for (std::size_t l = static_cast<std::size_t>(first); l < m_layers.size(); ++l) {
            const NeoxLayer& L = m_layers[l];
            LayerTrace& layer = trace.layers[l];
            const LayerTrace* reused = reused_layer(prefix, p, l);
            Matrix x_norm = layer_norm_rows(x, L.ln_1, m_eps);
            Matrix q, k, v;
            split_heads(linear_out_in(x_norm, *L.qkv_w, L.qkv_b), q, k, v);
            layer.x = layer_input_rows(reused, p, std::move(x_norm));
            layer.scale = scale;
            layer.causal = true;
            apply_rope(q, H, dh, m_freq, p);  // the first rotary_dims of each head, at positions p..n-1
            apply_rope(k, H, dh, m_freq, p);
            auto heads_out = attend_new_rows(q, k, v, H, H, scale, true, reused, p, options, layer.heads);
            if (!heads_out) return Error{"cancelled"};
            ablate_head_outputs(*heads_out, static_cast<int>(l), dh, options);
            const Matrix attended = linear_out_in(*heads_out, *L.dense_w, L.dense_b);
            if (m_parallel) {
                const Matrix mlp_out = mlp(layer_norm_rows(x, L.ln_2, m_eps), L);   // reads the layer's input too
                x += attended + mlp_out;
            } else {
                x += attended;
                x += mlp(layer_norm_rows(x, L.ln_2, m_eps), L);
            }
            if (options.keep_residual) trace.residual.push_back(x);
        }
        if (options.logits != ForwardOptions::Logits::None) trace.logits = *lens_logits(rows_for_logits(x, options, trace, p));
        return trace;
    }

public:
    std::optional<Matrix> lens_logits(const Matrix& stream) const override {
        return lm_head_product(layer_norm_rows(stream, m_final_norm, m_eps), *m_lm_head, nullptr);
    }

private:

    const HfTensor *m_embed = nullptr, *m_lm_head = nullptr;
    std::vector<NeoxLayer> m_layers;
    LayerNormWeights m_final_norm;
    std::vector<double> m_freq;
    int m_rotary_dims = 0;
    float m_eps = 1e-5f;
    Activation m_activation = Activation::Gelu;
    bool m_parallel = true;
    bool m_qkv_grouped = false;   // query_key_value's rows [all Q; all K; all V] (GGUF)
};

}  // namespace

ModelPtr build_gpt_neox_model(HfContext& context) { return std::make_shared<GptNeoxModel>(context); }

}  // namespace attnscope
