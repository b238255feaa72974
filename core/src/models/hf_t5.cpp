// T5 (model_type "t5": t5, t5 v1.1, FLAN-T5): pre-norm blocks with T5's RMS layer norm (no mean,
// no bias), no 1/sqrt(d) scaling of the scores, and a relative position bias instead of position
// embeddings: a table of num_buckets x n_heads learned numbers, stored in block 0 of each stack
// and added to the scores of every self-attention layer of that stack (cross-attention has
// none). The bucket of a key - query distance: exact for short distances, logarithmic up to
// relative_attention_max_distance; the encoder's buckets tell left from right, the decoder's only
// look back. Feed-forward: ReLU (v1.0) or gated GELU (v1.1, FLAN); a tied LM head reads the
// decoder's output times d_model^-0.5.
#include <cmath>
#include <cstdio>

#include "kernels/attention.h"
#include "models/hf_encoder_decoder.h"

namespace attnscope {

namespace {

struct T5Attention {
    HfLinear q, k, v, o;  // no biases
    RowVector norm;       // the RMS norm before it
};

struct T5Block {
    T5Attention self, cross;  // cross: decoder blocks only
    RowVector ff_norm;
    const HfTensor *wi = nullptr, *wi_gate = nullptr, *wo = nullptr;  // wi_gate: gated feed-forward (wi_0 of v1.1)
};

struct T5Stack {
    int layers = 0;
    bool bidirectional = false;         // the encoder's buckets tell left from right
    const HfTensor* bias_table = nullptr;  // num_buckets x n_heads, in block 0
    std::vector<T5Block> blocks;
    RowVector final_norm;
};

// What each kind of config names the feed-forward: "relu" (v1.0), "gated-gelu" (v1.1: tanh GELU,
// as transformers maps it), "gated-silu", "gelu".
struct T5FeedForward {
    bool gated = false;
    FeedForwardActivation activation = FeedForwardActivation::Relu;
};

T5FeedForward read_feed_forward(const std::string& name) {
    T5FeedForward f;
    std::string act = name;
    if (name.rfind("gated-", 0) == 0) {
        f.gated = true;
        act = name.substr(6);
    }
    if (name == "gated-gelu") act = "gelu_new";
    f.activation = feed_forward_activation(act, "feed_forward_proj");
    return f;
}

}  // namespace

// T5's bucket of a key - query distance `relative` (transformers' _relative_position_bucket),
// computed in float32 as torch does, so a distance on a bucket's edge lands where it does there.
int t5_relative_bucket(int relative, bool bidirectional, int num_buckets, int max_distance) {
    int bucket = 0, n = 0;
    if (bidirectional) {
        num_buckets /= 2;
        if (relative > 0) bucket += num_buckets;
        n = std::abs(relative);
    } else {
        n = -std::min(relative, 0);
    }
    const int max_exact = num_buckets / 2;
    if (n < max_exact) return bucket + n;
    if (max_distance <= max_exact) return bucket + num_buckets - 1;   // no log-spaced range (the builder refuses such a config)
    const float log_ratio = std::log(static_cast<float>(n) / static_cast<float>(max_exact)) /
                            static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact));
    const int large = max_exact + static_cast<int>(log_ratio * static_cast<float>(num_buckets - max_exact));
    return bucket + std::min(large, num_buckets - 1);
}

namespace {

class T5Model final : public HfEncoderDecoderBase {
public:
    explicit T5Model(HfContext& c) : HfEncoderDecoderBase(c) {
        const nlohmann::json& cfg = c.config;
        namespace L = config_limits;
        m_d = config_size(cfg, "d_model", L::kWidth);
        m_heads = config_size(cfg, "num_heads", L::kHeads);
        m_d_kv = config_size(cfg, "d_kv", L::kHeadWidth);
        const int d_ff = config_size(cfg, "d_ff", L::kFeedForward);
        const int vocab = config_size(cfg, "vocab_size", L::kVocabulary);
        const int encoder_layers = config_size(cfg, "num_layers", L::kLayers);
        const int decoder_layers = config_size(cfg, "num_decoder_layers", L::kLayers, encoder_layers);
        m_buckets = config_size(cfg, "relative_attention_num_buckets", 1 << 16, 32);
        m_max_distance = config_size(cfg, "relative_attention_max_distance", 1 << 20, 128);
        if (m_buckets < 4) throw LoadError("config.json: relative_attention_num_buckets: expected at least 4, got " + std::to_string(m_buckets));
        // The log-spaced buckets run from the decoder's last exact distance (num_buckets / 2) to
        // max_distance; at or below it their width is log(1) = 0 and the bucket 0 / 0.
        if (m_max_distance <= m_buckets / 2)
            throw LoadError("config.json: relative_attention_max_distance: expected more than relative_attention_num_buckets / 2 = " +
                            std::to_string(m_buckets / 2) + ", got " + std::to_string(m_max_distance));
        m_eps = config_positive_float(cfg, "layer_norm_epsilon", 1e-6f);
        m_feed_forward = read_feed_forward(config_string(cfg, "feed_forward_proj", "relu"));
        m_tied = config_bool(cfg, "tie_word_embeddings", true);
        // T5 has no position table: its context is what it was trained on (n_positions, 512).
        const int max_len = config_size(cfg, "n_positions", L::kPositions, 512);
        read_special_ids(cfg, vocab);

        HfWeights& w = *m_weights;
        m_shared = &w.require("shared.weight", {vocab, m_d});
        m_encoder = read_stack("encoder.", encoder_layers, false, d_ff);
        m_decoder = read_stack("decoder.", decoder_layers, true, d_ff);
        m_lm_head = m_tied ? m_shared : &w.require("lm_head.weight", {vocab, m_d});

        const std::string activation = std::string(m_feed_forward.gated ? "gated " : "") +
                                       feed_forward_activation_name(m_feed_forward.activation);
        m_activation_name = activation;
        describe_encoder_decoder({Architecture::T5, decoder_layers, m_heads, m_heads, m_d, m_d_kv, d_ff, vocab, max_len, true,
                                  "relative (T5 buckets)", "rmsnorm (pre)", m_activation_name.c_str()},
                                 {encoder_layers, m_heads, m_d_kv, d_ff});
    }

    Result<Encoded> encode(const std::vector<Token>& source, const ForwardOptions& options) const override {
        const auto ids = checked_ids(source);
        if (!ids.ok()) return ids.error();
        Encoded e;
        Matrix x = gather_rows(*m_shared, ids.value());
        const std::vector<RowVector> bias = position_bias(m_encoder, x.rows());
        e.trace.layers.resize(m_encoder.blocks.size());
        for (std::size_t l = 0; l < m_encoder.blocks.size(); ++l) {
            const T5Block& B = m_encoder.blocks[l];
            if (!attention(B.self, x, nullptr, &bias, false, options, e.trace.layers[l])) return Error{"cancelled"};
            x += feed_forward(B, x);
        }
        e.memory = rms_norm_rows(x, m_encoder.final_norm, m_eps);
        return e;
    }

    Result<Trace> decode(const Encoded& source, const std::vector<Token>& target, const ForwardOptions& options) const override {
        const auto ids = checked_ids(target);
        if (!ids.ok()) return ids.error();
        Trace trace;
        Matrix x = gather_rows(*m_shared, ids.value());
        const std::vector<RowVector> bias = position_bias(m_decoder, x.rows());
        trace.layers.resize(m_decoder.blocks.size());
        trace.cross_layers.resize(m_decoder.blocks.size());
        for (std::size_t l = 0; l < m_decoder.blocks.size(); ++l) {
            const T5Block& B = m_decoder.blocks[l];
            if (!attention(B.self, x, nullptr, &bias, true, options, trace.layers[l])) return Error{"cancelled"};
            trace.cross_layers[l].cross = true;
            if (!attention(B.cross, x, &source.memory, nullptr, false, options, trace.cross_layers[l])) return Error{"cancelled"};
            x += feed_forward(B, x);
        }
        if (options.logits != ForwardOptions::Logits::None) {
            Matrix out = rms_norm_rows(x, m_decoder.final_norm, m_eps);
            // The tied head reads the embedding table, whose rows are about d_model^0.5 long.
            if (m_tied) out *= 1.0f / std::sqrt(static_cast<float>(m_d));
            trace.logits = lm_head_product(rows_for_logits(out, options, trace), *m_lm_head, nullptr);
        }
        return trace;
    }

private:
    // T5 has no biases: HfLinear::b stays null and the projections' biases are zero.
    std::optional<QkvWeights> qkv(AttentionKind kind, int layer) const override {
        const T5Block* block = block_at((kind == AttentionKind::EncoderSelf ? m_encoder : m_decoder).blocks, layer);
        if (!block) return std::nullopt;
        const T5Attention& a = kind == AttentionKind::Cross ? block->cross : block->self;  // an encoder block's cross is empty
        return QkvWeights{a.q, a.k, a.v, m_heads, m_d_kv};
    }

    T5Stack read_stack(const std::string& stack, int layers, bool decoder, int d_ff) {
        HfWeights& w = *m_weights;
        const int inner = m_heads * m_d_kv;
        T5Stack s;
        s.layers = layers;
        s.bidirectional = !decoder;
        auto block = [&](int l) { return stack + "block." + std::to_string(l) + ".layer."; };
        auto norm = [&](const std::string& name) { return w.require(name, {m_d}).vector(); };
        auto attention_weights = [&](const std::string& base) {
            return T5Attention{HfLinear{&w.require(base + "q.weight", {inner, m_d})},
                               HfLinear{&w.require(base + "k.weight", {inner, m_d})},
                               HfLinear{&w.require(base + "v.weight", {inner, m_d})},
                               HfLinear{&w.require(base + "o.weight", {m_d, inner})}, RowVector()};
        };
        s.bias_table = &w.require(block(0) + "0.SelfAttention.relative_attention_bias.weight", {m_buckets, m_heads});
        for (int l = 0; l < layers; ++l) {
            T5Block b;
            b.self = attention_weights(block(l) + "0.SelfAttention.");
            b.self.norm = norm(block(l) + "0.layer_norm.weight");
            const std::string ff = block(l) + (decoder ? "2." : "1.");
            if (decoder) {
                b.cross = attention_weights(block(l) + "1.EncDecAttention.");
                b.cross.norm = norm(block(l) + "1.layer_norm.weight");
            }
            b.ff_norm = norm(ff + "layer_norm.weight");
            const std::string dense = ff + (m_feed_forward.gated ? "DenseReluDense." : "DenseReluDense.");
            if (m_feed_forward.gated) {
                b.wi_gate = &w.require(dense + "wi_0.weight", {d_ff, m_d});
                b.wi = &w.require(dense + "wi_1.weight", {d_ff, m_d});
            } else {
                b.wi = &w.require(dense + "wi.weight", {d_ff, m_d});
            }
            b.wo = &w.require(dense + "wo.weight", {m_d, d_ff});
            s.blocks.push_back(b);
        }
        s.final_norm = norm(stack + "final_layer_norm.weight");
        return s;
    }

    // Each head's bias by key - query distance for n tokens (attention_rows' layout: entry
    // j - i + n - 1), from the stack's bucket table.
    std::vector<RowVector> position_bias(const T5Stack& s, Index n) const {
        const ConstMatrixMap table = s.bias_table->matrix();  // buckets x heads
        std::vector<RowVector> bias(static_cast<std::size_t>(m_heads), RowVector(relative_bias_entries(n, n)));
        for (Index e = 0; e < relative_bias_entries(n, n); ++e) {
            const int bucket = t5_relative_bucket(static_cast<int>(e - (n - 1)), s.bidirectional, m_buckets, m_max_distance);
            for (int h = 0; h < m_heads; ++h) bias[static_cast<std::size_t>(h)](e) = table(bucket, h);
        }
        return bias;
    }

    // Pre-norm attention, added to x in place: queries from norm(x), keys and values from
    // `memory` (cross-attention: the encoder's output, already normed) or norm(x). No scaling.
    bool attention(const T5Attention& a, Matrix& x, const Matrix* memory, const std::vector<RowVector>* bias, bool causal,
                   const ForwardOptions& options, LayerTrace& layer) const {
        const Matrix h = rms_norm_rows(x, a.norm, m_eps);
        const Matrix& keys = memory ? *memory : h;
        layer.x = h;
        if (memory) layer.key_x = *memory;
        layer.scale = 1.0f;
        layer.causal = causal;
        const auto out = multi_head_attention(a.q(h), a.k(keys), a.v(keys), m_heads, m_heads, 1.0f, causal,
                                              options.keep_attention, options.cancelled, layer.heads, bias);
        if (!out) return false;
        x += a.o(*out);
        return true;
    }

    Matrix feed_forward(const T5Block& b, const Matrix& x) const {
        const Matrix h = rms_norm_rows(x, b.ff_norm, m_eps);
        Matrix hidden = linear_out_in(h, *(b.wi_gate ? b.wi_gate : b.wi), nullptr);
        apply_feed_forward_activation(hidden, m_feed_forward.activation);
        if (b.wi_gate) hidden.array() *= linear_out_in(h, *b.wi, nullptr).array();
        return linear_out_in(hidden, *b.wo, nullptr);
    }

    int m_d = 0, m_heads = 0, m_d_kv = 0, m_buckets = 32, m_max_distance = 128;
    float m_eps = 1e-6f;
    bool m_tied = true;
    T5FeedForward m_feed_forward;
    std::string m_activation_name;
    const HfTensor *m_shared = nullptr, *m_lm_head = nullptr;
    T5Stack m_encoder, m_decoder;
};

}  // namespace

ModelPtr build_t5_model(HfContext& context) { return std::make_shared<T5Model>(context); }

}  // namespace attnscope
