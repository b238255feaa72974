// BART and Marian (model_type "bart", "marian"): encoder-decoders with post-LayerNorm blocks.
// BART: learned positions whose table starts 2 rows in (position p reads row p + 2), a LayerNorm
// on the embeddings, GELU. Marian: sinusoidal positions in Hugging Face's layout (sines in the
// first half of the columns, cosines in the second), embeddings scaled by sqrt(d_model), swish.
// Both: q scaled by 1/sqrt(d_head), a tied LM head plus final_logits_bias.
#include <cmath>
#include <cstdio>

#include "kernels/attention.h"
#include "models/hf_encoder_decoder.h"
#include "tokenize/sentencepiece_tokenizer.h"

namespace attnscope {

namespace {

constexpr float kBartNormEps = 1e-5f;  // not in config.json: torch.nn.LayerNorm's default
constexpr int kBartPositionOffset = 2;  // BartLearnedPositionalEmbedding's

struct BartAttention {
    HfLinear q, k, v, out;
    LayerNormWeights norm;  // after the residual sum (post-LN)
};

struct BartLayer {
    BartAttention self, cross;  // cross: decoder layers only
    HfLinear fc1, fc2;
    LayerNormWeights final_norm;
};

// One stack's sizes and weights.
struct BartStack {
    int heads = 0, layers = 0, d_ff = 0;
    const HfTensor* positions = nullptr;  // learned (BART) or stored sinusoids (Marian); null: computed
    LayerNormWeights embed_norm;          // BART only
    std::vector<BartLayer> blocks;
};

std::string layer_name(const std::string& stack, int l, const char* rest) {
    return stack + "layers." + std::to_string(l) + "." + rest;
}

// Hugging Face's MarianSinusoidalPositionalEmbedding: column j < d/2 is sin(p / 10000^(2j/d)),
// column d/2 + j its cosine (for odd d the sines take one column more).   n x d
Matrix marian_sinusoids(int first, int n, int d) {
    const int sines = (d + 1) / 2;
    Matrix out(n, d);
    for (int p = 0; p < n; ++p)
        for (int j = 0; j < d; ++j) {
            const int i = j < sines ? j : j - sines;  // the frequency index
            const double angle = (first + p) / std::pow(10000.0, 2.0 * i / d);
            out(p, j) = static_cast<float>(j < sines ? std::sin(angle) : std::cos(angle));
        }
    return out;
}

class BartModel final : public HfEncoderDecoderBase {
public:
    explicit BartModel(HfContext& c) : HfEncoderDecoderBase(c) {
        const nlohmann::json& cfg = c.config;
        namespace L = config_limits;
        m_marian = cfg.value("model_type", "") == "marian";
        m_d = config_size(cfg, "d_model", L::kWidth);
        const int vocab = config_size(cfg, "vocab_size", L::kVocabulary);
        m_positions = config_size(cfg, "max_position_embeddings", L::kPositions, 1024);
        if (config_bool(cfg, "normalize_before", false) || config_bool(cfg, "add_final_layer_norm", false))
            throw LoadError("config.json: normalize_before / add_final_layer_norm: pre-LayerNorm BART variants (mBART) are not supported");
        if (cfg.contains("decoder_vocab_size") && config_size(cfg, "decoder_vocab_size", L::kVocabulary) != vocab)
            throw LoadError("config.json: decoder_vocab_size: separate source and target vocabularies are not supported");
        m_activation = feed_forward_activation(config_string(cfg, "activation_function", "gelu"), "activation_function");
        m_embed_scale = config_bool(cfg, "scale_embedding", m_marian) ? std::sqrt(static_cast<float>(m_d)) : 1.0f;
        read_special_ids(cfg, vocab);
        if (m_marian) use_marian_target_tokenizer(c.info.source);

        HfWeights& w = *m_weights;
        const std::string p = w.name_prefix("model.", "shared.weight", {vocab, m_d});
        m_shared = &w.require(p + "shared.weight", {vocab, m_d});
        m_encoder = read_stack(cfg, p + "encoder.", "encoder", false);
        m_decoder = read_stack(cfg, p + "decoder.", "decoder", true);
        m_lm_head = w.optional("lm_head.weight", {vocab, m_d});
        if (!m_lm_head) m_lm_head = m_shared;
        m_logits_bias = w.optional("final_logits_bias", {1, vocab});

        describe_encoder_decoder({m_marian ? Architecture::Marian : Architecture::Bart, m_decoder.layers, m_decoder.heads,
                                  m_decoder.heads, m_d, m_d / m_decoder.heads, m_decoder.d_ff, vocab, m_positions, true,
                                  m_marian ? "sinusoidal" : "learned", "layernorm (post)",
                                  feed_forward_activation_name(m_activation)},
                                 {m_encoder.layers, m_encoder.heads, m_d / m_encoder.heads, m_encoder.d_ff});
    }

    Result<Encoded> encode(const std::vector<Token>& source, const ForwardOptions& options) const override {
        const auto ids = checked_ids(source);
        if (!ids.ok()) return ids.error();
        Encoded e;
        Matrix x = embed(m_encoder, ids.value());
        e.trace.layers.resize(m_encoder.blocks.size());
        for (std::size_t l = 0; l < m_encoder.blocks.size(); ++l) {
            const BartLayer& L = m_encoder.blocks[l];
            auto attended = attention(L.self, x, x, m_encoder.heads, false, options, e.trace.layers[l]);
            if (!attended) return Error{"cancelled"};
            x = std::move(*attended);
            x = feed_forward(L, x);
        }
        e.memory = std::move(x);
        return e;
    }

    Result<Trace> decode(const Encoded& source, const std::vector<Token>& target, const ForwardOptions& options) const override {
        const auto ids = checked_ids(target);
        if (!ids.ok()) return ids.error();
        Trace trace;
        Matrix x = embed(m_decoder, ids.value());
        trace.layers.resize(m_decoder.blocks.size());
        trace.cross_layers.resize(m_decoder.blocks.size());
        for (std::size_t l = 0; l < m_decoder.blocks.size(); ++l) {
            const BartLayer& L = m_decoder.blocks[l];
            auto attended = attention(L.self, x, x, m_decoder.heads, true, options, trace.layers[l]);
            if (!attended) return Error{"cancelled"};
            trace.cross_layers[l].cross = true;
            auto crossed = attention(L.cross, *attended, source.memory, m_decoder.heads, false, options, trace.cross_layers[l]);
            if (!crossed) return Error{"cancelled"};
            x = feed_forward(L, *crossed);
        }
        if (options.logits != ForwardOptions::Logits::None)
            trace.logits = lm_head_product(rows_for_logits(x, options, trace), *m_lm_head, m_logits_bias);
        return trace;
    }

private:
    std::optional<QkvWeights> qkv(AttentionKind kind, int layer) const override {
        const BartStack& stack = kind == AttentionKind::EncoderSelf ? m_encoder : m_decoder;
        const BartLayer* block = block_at(stack.blocks, layer);
        if (!block) return std::nullopt;
        const BartAttention& a = kind == AttentionKind::Cross ? block->cross : block->self;  // an encoder layer's cross is empty
        return QkvWeights{a.q, a.k, a.v, stack.heads, m_d / stack.heads};
    }

    // A Marian folder writes its target language with target.spm (the ids are vocab.json's, shared).
    void use_marian_target_tokenizer(const std::string& source) {
        const std::filesystem::path path(source);
        const std::filesystem::path folder = std::filesystem::is_directory(path) ? path : path.parent_path();
        if (!is_marian_folder(folder)) return;
        auto target = load_marian_tokenizer(folder, MarianSide::Target);
        if (!target.ok()) throw LoadError(target.error().message);
        m_target_tokenizer = target.value();
    }

    BartStack read_stack(const nlohmann::json& cfg, const std::string& stack, const std::string& side, bool decoder) {
        namespace L = config_limits;
        HfWeights& w = *m_weights;
        BartStack s;
        const std::string heads_key = side + "_attention_heads", layers_key = side + "_layers", ff_key = side + "_ffn_dim";
        s.heads = config_size(cfg, heads_key.c_str(), L::kHeads);
        s.layers = config_size(cfg, layers_key.c_str(), L::kLayers);
        s.d_ff = config_size(cfg, ff_key.c_str(), L::kFeedForward);
        require_divisor(s.heads, heads_key.c_str(), m_d, "d_model");
        auto norm = [&](const std::string& base) {
            return LayerNormWeights{w.require(base + "weight", {m_d}).vector(), w.require(base + "bias", {m_d}).vector()};
        };
        auto linear = [&](const std::string& base, int out, int in) {
            return HfLinear{&w.require(base + "weight", {out, in}), &w.require(base + "bias", {out})};
        };
        auto attention_weights = [&](int l, const std::string& name) {
            const std::string base = layer_name(stack, l, name.c_str());
            return BartAttention{linear(base + ".q_proj.", m_d, m_d), linear(base + ".k_proj.", m_d, m_d),
                                 linear(base + ".v_proj.", m_d, m_d), linear(base + ".out_proj.", m_d, m_d),
                                 norm(base + "_layer_norm.")};
        };
        if (m_marian) {  // the sinusoids as the checkpoint stored them, if it did (older Marian files)
            s.positions = w.optional(stack + "embed_positions.weight", {m_positions, m_d});
        } else {
            s.positions = &w.require(stack + "embed_positions.weight", {m_positions + kBartPositionOffset, m_d});
            s.embed_norm = norm(stack + "layernorm_embedding.");
        }
        for (int l = 0; l < s.layers; ++l) {
            BartLayer b;
            b.self = attention_weights(l, "self_attn");
            if (decoder) b.cross = attention_weights(l, "encoder_attn");
            b.fc1 = linear(layer_name(stack, l, "fc1."), s.d_ff, m_d);
            b.fc2 = linear(layer_name(stack, l, "fc2."), m_d, s.d_ff);
            b.final_norm = norm(layer_name(stack, l, "final_layer_norm."));
            s.blocks.push_back(b);
        }
        return s;
    }

    // Token embeddings (scaled where the config says) plus positions 0..n-1, then BART's norm.
    Matrix embed(const BartStack& s, const std::vector<int>& ids) const {
        const int n = static_cast<int>(ids.size());
        Matrix x = gather_rows(*m_shared, ids) * m_embed_scale;
        if (!m_marian) {
            x += s.positions->matrix().middleRows(kBartPositionOffset, n);
            return layer_norm_rows(x, s.embed_norm, kBartNormEps);
        }
        x += s.positions ? Matrix(s.positions->matrix().topRows(n)) : marian_sinusoids(0, n, m_d);
        return x;
    }

    // Post-LN attention: norm(x + out(heads)), queries from x, keys and values from `keys`.
    std::optional<Matrix> attention(const BartAttention& a, const Matrix& x, const Matrix& keys, int heads, bool causal,
                                    const ForwardOptions& options, LayerTrace& layer) const {
        const float scale = 1.0f / std::sqrt(static_cast<float>(m_d / heads));
        layer.x = x;
        if (&keys != &x) layer.key_x = keys;  // cross-attention: the encoder's output
        layer.scale = scale;
        layer.causal = causal;
        const auto out = multi_head_attention(a.q(x), a.k(keys), a.v(keys), heads, heads, scale, causal,
                                              options.keep_attention, options.cancelled, layer.heads);
        if (!out) return std::nullopt;
        return layer_norm_rows(x + a.out(*out), a.norm, kBartNormEps);
    }

    Matrix feed_forward(const BartLayer& L, const Matrix& x) const {
        Matrix hidden = L.fc1(x);
        apply_feed_forward_activation(hidden, m_activation);
        return layer_norm_rows(x + L.fc2(hidden), L.final_norm, kBartNormEps);
    }

    bool m_marian = false;
    int m_d = 0, m_positions = 0;
    float m_embed_scale = 1.0f;
    FeedForwardActivation m_activation = FeedForwardActivation::Gelu;
    const HfTensor *m_shared = nullptr, *m_lm_head = nullptr, *m_logits_bias = nullptr;
    BartStack m_encoder, m_decoder;
};

}  // namespace

ModelPtr build_bart_model(HfContext& context) { return std::make_shared<BartModel>(context); }

}  // namespace attnscope
