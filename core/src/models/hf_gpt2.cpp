// GPT-2 (model_type "gpt2"): learned positions, pre-LayerNorm blocks, one fused c_attn producing
// Q, K and V, tanh GELU, LM head tied to the token embedding. Its Conv1D weights are stored
// in x out, so x W needs no transpose; a GGUF file holds them out x in (HfContext::conv1d_out_in).
#include <cmath>

#include "kernels/attention.h"
#include "attnscope/transformer.h"
#include "models/hf_architectures.h"
#include "models/prefix_reuse.h"

namespace attnscope {

namespace {

// Tensor names, without the "transformer." prefix GPT2LMHeadModel adds.
constexpr const char* kWte = "wte.weight";
constexpr const char* kWpe = "wpe.weight";
constexpr const char* kLnF = "ln_f.%s";
constexpr const char* kLayer = "h.%d.%s";  // ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj

std::string layer_name(const std::string& prefix, int l, const char* what) {
    char buf[160];
    std::snprintf(buf, sizeof buf, kLayer, l, what);
    return prefix + buf;
}

struct Gpt2Layer {
    LayerNormWeights ln_1, ln_2;
    const HfTensor *c_attn_w, *c_attn_b, *attn_proj_w, *attn_proj_b, *c_fc_w, *c_fc_b, *mlp_proj_w, *mlp_proj_b;
};

class Gpt2Model final : public HfDecoderBase {
public:
    explicit Gpt2Model(HfContext& c) : HfDecoderBase(c) {
        const nlohmann::json& cfg = c.config;
        namespace L = config_limits;
        const int d = config_size(cfg, "n_embd", L::kWidth), heads = config_size(cfg, "n_head", L::kHeads);
        const int layers = config_size(cfg, "n_layer", L::kLayers), vocab = config_size(cfg, "vocab_size", L::kVocabulary);
        const int positions = config_size(cfg, "n_positions", L::kPositions, config_size(cfg, "n_ctx", L::kPositions, 1024));
        const int d_ff = config_size(cfg, "n_inner", L::kFeedForward, 4 * d);
        require_divisor(heads, "n_head", d, "n_embd");
        m_eps = config_positive_float(cfg, "layer_norm_epsilon", 1e-5f);
        m_activation = activation_from_config(config_string(cfg, "activation_function", "gelu_new"), "activation_function");
        m_scale_weights = config_bool(cfg, "scale_attn_weights", true);
        m_scale_by_layer = config_bool(cfg, "scale_attn_by_inverse_layer_idx", false);

        m_layout = c.conv1d_out_in ? HfTensor::Layout::OutIn : HfTensor::Layout::InOut;
        const auto conv1d_shape = [&](int in, int out) { return c.conv1d_out_in ? TensorShape{out, in} : TensorShape{in, out}; };
        HfWeights& w = *m_weights;
        const std::string p = w.name_prefix("transformer.", kWte, {vocab, d});
        m_wte = &w.require(p + kWte, {vocab, d});
        m_wpe = &w.require(p + kWpe, {positions, d});
        auto norm = [&](const std::string& base) {
            return LayerNormWeights{w.require(base + "weight", {d}).vector(), w.require(base + "bias", {d}).vector()};
        };
        for (int l = 0; l < layers; ++l) {
            Gpt2Layer L;
            L.ln_1 = norm(layer_name(p, l, "ln_1."));
            L.ln_2 = norm(layer_name(p, l, "ln_2."));
            L.c_attn_w = &w.require(layer_name(p, l, "attn.c_attn.weight"), conv1d_shape(d, 3 * d));
            L.c_attn_b = &w.require(layer_name(p, l, "attn.c_attn.bias"), {3 * d});
            L.attn_proj_w = &w.require(layer_name(p, l, "attn.c_proj.weight"), conv1d_shape(d, d));
            L.attn_proj_b = &w.require(layer_name(p, l, "attn.c_proj.bias"), {d});
            L.c_fc_w = &w.require(layer_name(p, l, "mlp.c_fc.weight"), conv1d_shape(d, d_ff));
            L.c_fc_b = &w.require(layer_name(p, l, "mlp.c_fc.bias"), {d_ff});
            L.mlp_proj_w = &w.require(layer_name(p, l, "mlp.c_proj.weight"), conv1d_shape(d_ff, d));
            L.mlp_proj_b = &w.require(layer_name(p, l, "mlp.c_proj.bias"), {d});
            m_layers.push_back(L);
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, kLnF, "");
        m_ln_f = norm(p + buf);
        // GPT2LMHeadModel ties lm_head to wte and does not store it; a stored one is used if present.
        m_lm_head = w.optional("lm_head.weight", {vocab, d});
        if (!m_lm_head) m_lm_head = m_wte;

        describe({Architecture::Gpt2, layers, heads, heads, d, d / heads, d_ff, vocab, positions, true, "learned",
                  "layernorm (pre)", activation_name(m_activation)});
    }

    // c_attn holds [W_Q | W_K | W_V] side by side: the head's columns of each third (its rows when out x in).
    std::optional<HeadProjection> head_projection(int layer, int head) const override {
        if (!has_head(layer, head)) return std::nullopt;
        const Gpt2Layer& L = m_layers[static_cast<std::size_t>(layer)];
        const Index d = m_info.d_model, dh = m_info.d_head, c0 = static_cast<Index>(head) * dh;
        const auto w = [&](Index third) { return head_slice(*L.c_attn_w, m_layout, third * d + c0, dh); };
        const auto b = [&](Index third) { return bias_slice(L.c_attn_b, third * d + c0, dh); };
        HeadProjection p{w(0), w(1), w(2), b(0), b(1), b(2)};
        p.w_o = head_output_rows(*L.attn_proj_w, m_layout, c0, dh);
        return p;
    }

private:
    // x W + b for a Conv1D weight, in the file's layout.
    Matrix conv1d(const Matrix& x, const HfTensor& w, const HfTensor* b) const {
        return m_layout == HfTensor::Layout::InOut ? linear_in_out(x, w, b) : linear_out_in(x, w, b);
    }

    // Computes rows p..n-1 of every layer and takes rows 0..p-1 from `prefix` (none when p = 0).
    // Row i depends on earlier rows only through their keys and values, which the prefix keeps, so
    // the residual stream x holds the new rows only: m x d.
    Result<Trace> forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens, const ForwardOptions& options) const override {
        const auto ids = checked_ids(tokens);
        if (!ids.ok()) return ids.error();
        const int n = static_cast<int>(tokens.size()), m = n - p, d = m_info.d_model, H = m_info.n_heads;
        Trace trace;
        trace.layers.resize(m_layers.size());
        const int first = resume_layer(options, p, m, static_cast<int>(m_layers.size()));
        Matrix x;
        if (first > 0) {
            x = resumed_stream(options, first);
        } else {
            x = gather_rows(*m_wte, std::vector<int>(ids.value().begin() + p, ids.value().end()));
            x += m_wpe->matrix().middleRows(p, m);  // learned positions: the new rows' own
        }
        for (std::size_t l = static_cast<std::size_t>(first); l < m_layers.size(); ++l) {
            const Gpt2Layer& L = m_layers[l];
            LayerTrace& layer = trace.layers[l];
            const LayerTrace* reused = reused_layer(prefix, p, l);
            Matrix x_norm = layer_norm_rows(x, L.ln_1, m_eps);
            const Matrix qkv = conv1d(x_norm, *L.c_attn_w, L.c_attn_b);  // m x 3d: [Q | K | V]
            layer.x = layer_input_rows(reused, p, std::move(x_norm));
            // HF's GPT2Attention: scores / sqrt(d_head) when scale_attn_weights, and then / (l + 1)
            // when scale_attn_by_inverse_layer_idx, so each layer records its own factor.
            layer.scale = m_scale_weights ? 1.0f / std::sqrt(static_cast<float>(d / H)) : 1.0f;
            layer.causal = true;
            if (m_scale_by_layer) layer.scale /= static_cast<float>(l + 1);
            auto heads_out = attend_new_rows(qkv.leftCols(d), qkv.middleCols(d, d), qkv.rightCols(d), H, H,
                                                   layer.scale, true, reused, p, options, layer.heads);
            if (!heads_out) return Error{"cancelled"};
            ablate_head_outputs(*heads_out, static_cast<int>(l), m_info.d_head, options);
            x += conv1d(*heads_out, *L.attn_proj_w, L.attn_proj_b);
            Matrix hidden = conv1d(layer_norm_rows(x, L.ln_2, m_eps), *L.c_fc_w, L.c_fc_b);
            apply_activation(hidden, m_activation);
            x += conv1d(hidden, *L.mlp_proj_w, L.mlp_proj_b);
            if (options.keep_residual) trace.residual.push_back(x);
        }
        if (options.logits != ForwardOptions::Logits::None) trace.logits = *lens_logits(rows_for_logits(x, options, trace, p));
        return trace;
    }

public:
    std::optional<Matrix> lens_logits(const Matrix& stream) const override {
        return lm_head_product(layer_norm_rows(stream, m_ln_f, m_eps), *m_lm_head, nullptr);
    }

private:

    const HfTensor *m_wte = nullptr, *m_wpe = nullptr, *m_lm_head = nullptr;
    std::vector<Gpt2Layer> m_layers;
    LayerNormWeights m_ln_f;
    float m_eps = 1e-5f;
    Activation m_activation = Activation::GeluTanh;
    HfTensor::Layout m_layout = HfTensor::Layout::InOut;
    bool m_scale_weights = true, m_scale_by_layer = false;
};

}  // namespace

ModelPtr build_gpt2_model(HfContext& context) { return std::make_shared<Gpt2Model>(context); }

}  // namespace attnscope
