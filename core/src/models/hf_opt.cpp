// OPT (model_type "opt"): learned positions read with an offset of 2 (position p is row p + 2 of
// embed_positions, a table of max_position_embeddings + 2 rows), LayerNorm before or after each
// block (do_layer_norm_before; OPT-350m is post-LN), ReLU, biases everywhere, and for OPT-350m a
// narrower word embedding projected in and out (project_in, project_out: word_embed_proj_dim).
// The LM head is tied to the word embeddings. HF scales q by 1/sqrt(d_head) before the product;
// the trace keeps q unscaled and the scale in the scores, as for every family.
#include <cmath>
#include <cstdio>

#include "attnscope/transformer.h"
#include "kernels/attention.h"
#include "models/hf_architectures.h"
#include "models/prefix_reuse.h"

namespace attnscope {

namespace {

// Rows of embed_positions before position 0's (OPTLearnedPositionalEmbedding's offset).
constexpr int kPositionOffset = 2;

std::string layer_name(const std::string& prefix, int l, const char* what) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "decoder.layers.%d.%s", l, what);
    return prefix + buf;
}

struct OptLayer {
    LayerNormWeights attn_norm, ff_norm;
    const HfTensor *q_w, *q_b, *k_w, *k_b, *v_w, *v_b, *out_w, *out_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b;
};

class OptModel final : public HfDecoderBase {
public:
    explicit OptModel(HfContext& c) : HfDecoderBase(c) {
        const nlohmann::json& cfg = c.config;
        namespace L = config_limits;
        const int d = config_size(cfg, "hidden_size", L::kWidth), heads = config_size(cfg, "num_attention_heads", L::kHeads);
        const int layers = config_size(cfg, "num_hidden_layers", L::kLayers), vocab = config_size(cfg, "vocab_size", L::kVocabulary);
        const int d_ff = config_size(cfg, "ffn_dim", L::kFeedForward, 4 * d);
        const int positions = config_size(cfg, "max_position_embeddings", L::kPositions, 2048);
        const int d_word = config_size(cfg, "word_embed_proj_dim", L::kWidth, d);
        require_divisor(heads, "num_attention_heads", d, "hidden_size");
        m_pre_ln = config_bool(cfg, "do_layer_norm_before", true);
        m_activation = activation_from_config(config_string(cfg, "activation_function", "relu"), "activation_function");
        const bool biases = config_bool(cfg, "enable_bias", true), affine = config_bool(cfg, "layer_norm_elementwise_affine", true);

        HfWeights& w = *m_weights;
        // OPTForCausalLM writes "model.decoder.", a bare OPTModel "decoder.".
        const std::string p = w.name_prefix("model.", "decoder.embed_tokens.weight", {vocab, d_word});
        m_embed = &w.require(p + "decoder.embed_tokens.weight", {vocab, d_word});
        m_positions = &w.require(p + "decoder.embed_positions.weight", {positions + kPositionOffset, d});
        if (d_word != d) {
            m_project_in = &w.require(p + "decoder.project_in.weight", {d, d_word});
            m_project_out = &w.require(p + "decoder.project_out.weight", {d_word, d});
        }
        // layer_norm_elementwise_affine false: norms without weights (1 and 0).
        const auto norm = [&](const std::string& base) {
            if (!affine) return LayerNormWeights{RowVector::Ones(d), RowVector::Zero(d)};
            return LayerNormWeights{w.require(base + "weight", {d}).vector(), w.require(base + "bias", {d}).vector()};
        };
        const auto linear = [&](const std::string& base, int out, int in, const HfTensor*& weight, const HfTensor*& bias) {
            weight = &w.require(base + "weight", {out, in});
            bias = biases ? &w.require(base + "bias", {out}) : nullptr;
        };
        for (int l = 0; l < layers; ++l) {
            OptLayer L;
            linear(layer_name(p, l, "self_attn.q_proj."), d, d, L.q_w, L.q_b);
            linear(layer_name(p, l, "self_attn.k_proj."), d, d, L.k_w, L.k_b);
            linear(layer_name(p, l, "self_attn.v_proj."), d, d, L.v_w, L.v_b);
            linear(layer_name(p, l, "self_attn.out_proj."), d, d, L.out_w, L.out_b);
            linear(layer_name(p, l, "fc1."), d_ff, d, L.fc1_w, L.fc1_b);
            linear(layer_name(p, l, "fc2."), d, d_ff, L.fc2_w, L.fc2_b);
            L.attn_norm = norm(layer_name(p, l, "self_attn_layer_norm."));
            L.ff_norm = norm(layer_name(p, l, "final_layer_norm."));
            m_layers.push_back(L);
        }
        // HF builds the decoder's final norm only for pre-LN models.
        if (m_pre_ln) m_final_norm = norm(p + "decoder.final_layer_norm.");
        m_lm_head = w.optional("lm_head.weight", {vocab, d_word});
        if (!m_lm_head) m_lm_head = m_embed;

        describe({Architecture::Opt, layers, heads, heads, d, d / heads, d_ff, vocab, positions, true, "learned (offset 2)",
                  m_pre_ln ? "layernorm (pre)" : "layernorm (post)", activation_name(m_activation)});
    }

    std::optional<HeadProjection> head_projection(int layer, int head) const override {
        if (!has_head(layer, head)) return std::nullopt;
        const OptLayer& L = m_layers[static_cast<std::size_t>(layer)];
        const Index dh = m_info.d_head, r0 = static_cast<Index>(head) * dh;
        const auto w = [&](const HfTensor* t) { return head_slice(*t, HfTensor::Layout::OutIn, r0, dh); };
        HeadProjection p{w(L.q_w), w(L.k_w), w(L.v_w), bias_slice(L.q_b, r0, dh), bias_slice(L.k_b, r0, dh), bias_slice(L.v_b, r0, dh)};
        p.w_o = head_output_rows(*L.out_w, HfTensor::Layout::OutIn, r0, dh);
        return p;
    }

private:
    Matrix mlp(const Matrix& m, const OptLayer& L) const {
        Matrix hidden = linear_out_in(m, *L.fc1_w, L.fc1_b);
        apply_activation(hidden, m_activation);
        return linear_out_in(hidden, *L.fc2_w, L.fc2_b);
    }

    // Computes rows p..n-1 of every layer and takes rows 0..p-1 from `prefix` (none when p = 0).
    Result<Trace> forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens, const ForwardOptions& options) const override {
        const auto ids = checked_ids(tokens);
        if (!ids.ok()) return ids.error();
        const int n = static_cast<int>(tokens.size()), m = n - p, H = m_info.n_heads;
        const float scale = 1.0f / std::sqrt(static_cast<float>(m_info.d_head));
        Trace trace;
        trace.layers.resize(m_layers.size());
        const int first = resume_layer(options, p, m, static_cast<int>(m_layers.size()));
        Matrix x;
        if (first > 0) {
            x = resumed_stream(options, first);
        } else {
            x = gather_rows(*m_embed, std::vector<int>(ids.value().begin() + p, ids.value().end()));
            if (m_project_in) x = linear_out_in(x, *m_project_in, nullptr);
            x += m_positions->matrix().middleRows(p + kPositionOffset, m);
        }
        for (std::size_t l = static_cast<std::size_t>(first); l < m_layers.size(); ++l) {
            const OptLayer& L = m_layers[l];
            LayerTrace& layer = trace.layers[l];
            const LayerTrace* reused = reused_layer(prefix, p, l);
            Matrix x_in = m_pre_ln ? layer_norm_rows(x, L.attn_norm, kEps) : x;
            const Matrix q = linear_out_in(x_in, *L.q_w, L.q_b), k = linear_out_in(x_in, *L.k_w, L.k_b);
            const Matrix v = linear_out_in(x_in, *L.v_w, L.v_b);
            layer.x = layer_input_rows(reused, p, std::move(x_in));
            layer.scale = scale;
            layer.causal = true;
            auto heads_out = attend_new_rows(q, k, v, H, H, scale, true, reused, p, options, layer.heads);
            if (!heads_out) return Error{"cancelled"};
            ablate_head_outputs(*heads_out, static_cast<int>(l), m_info.d_head, options);
            x += linear_out_in(*heads_out, *L.out_w, L.out_b);
            if (m_pre_ln) {
                x += mlp(layer_norm_rows(x, L.ff_norm, kEps), L);
            } else {
                x = layer_norm_rows(x, L.attn_norm, kEps);
                x = layer_norm_rows(x + mlp(x, L), L.ff_norm, kEps);
            }
            if (options.keep_residual) trace.residual.push_back(x);
        }
        if (options.logits != ForwardOptions::Logits::None) trace.logits = *lens_logits(rows_for_logits(x, options, trace, p));
        return trace;
    }

public:
    // Pre-LN OPT's final norm, project_out where the words are narrower, the tied head.
    std::optional<Matrix> lens_logits(const Matrix& stream) const override {
        Matrix h = m_pre_ln ? layer_norm_rows(stream, m_final_norm, kEps) : stream;
        if (m_project_out) h = linear_out_in(h, *m_project_out, nullptr);
        return lm_head_product(h, *m_lm_head, nullptr);
    }

private:

    static constexpr float kEps = 1e-5f;   // torch.nn.LayerNorm's default: OPT's config has no epsilon
    const HfTensor *m_embed = nullptr, *m_positions = nullptr, *m_lm_head = nullptr;
    const HfTensor *m_project_in = nullptr, *m_project_out = nullptr;
    std::vector<OptLayer> m_layers;
    LayerNormWeights m_final_norm;
    Activation m_activation = Activation::Relu;
    bool m_pre_ln = true;
};

}  // namespace

ModelPtr build_opt_model(HfContext& context) { return std::make_shared<OptModel>(context); }

}  // namespace attnscope
