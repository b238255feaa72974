// The own-format transformer (design.md, "Own model format"): pre-norm blocks, learned,
// sinusoidal or no positions, optional MLP, causal or bidirectional. The JSON loader builds one;
// the trainer exports into one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/model.h"

namespace attnscope {

enum class Positional { None, Learned, Sinusoidal, Count };
enum class Norm { None, LayerNorm, Count };
enum class Activation { Gelu, GeluTanh, Relu, Count };

// The strings the JSON files use, in enum order.
const char* positional_name(Positional p);
const char* norm_name(Norm n);
const char* activation_name(Activation a);

struct TransformerConfig {
    int d_model = 0;
    int n_heads = 0;
    int n_layers = 0;
    int d_ff = 0;     // 0: no MLP in the blocks
    int max_len = 0;
    bool causal = true;
    Positional positional = Positional::Learned;
    Norm norm = Norm::LayerNorm;
    float norm_eps = 1e-5f;
    Activation activation = Activation::Gelu;
    std::optional<float> attn_scale;  // unset: 1/sqrt(d_head)
    // > 0: an encoder-decoder (a translator): an encoder of this many bidirectional layers reads
    // the source, and the n_layers (causal) decoder layers each add cross-attention to its output.
    int encoder_layers = 0;
    bool is_encoder_decoder() const { return encoder_layers > 0; }

    int d_head() const { return n_heads > 0 ? d_model / n_heads : 0; }
    float scale() const;
};

struct LayerNormWeights {
    RowVector gamma;  // d_model
    RowVector beta;   // d_model
};

// Absent biases are stored as zeros and an absent W_O as the identity, so the forward pass has
// no special cases; the `has_*` flags remember what the file said, for writing it back.
// A decoder layer's cross-attention (encoder-decoders): h2 = h + CrossAttn(LN(h), memory), with
// queries from the decoder (W_Q) and keys and values from the encoder's output (W_K, W_V).
struct CrossAttentionWeights {
    LayerNormWeights ln;
    Matrix wq, wk, wv, wo;  // d_model x d_model, in x out
    RowVector bq, bk, bv, bo;
};

struct TransformerLayerWeights {
    LayerNormWeights ln1, ln2;
    Matrix wq, wk, wv, wo;  // d_model x d_model, in x out
    RowVector bq, bk, bv, bo;
    Matrix w1;              // d_model x d_ff
    RowVector b1;           // d_ff
    Matrix w2;              // d_ff x d_model
    RowVector b2;           // d_model
    bool has_wo = true;
    CrossAttentionWeights cross;  // encoder-decoders' decoder layers only; empty otherwise
};

struct TransformerWeights {
    Matrix token_embedding;     // vocab x d_model
    Matrix position_embedding;  // max_len x d_model, learned positions only
    std::vector<TransformerLayerWeights> layers;
    LayerNormWeights final_norm;
    Matrix lm_head;             // d_model x vocab; empty: tied to token_embedding
    // Encoder-decoders: the encoder's layers (self-attention and MLP, no cross) and the norm of its
    // output, which every cross-attention reads. Token and position embeddings are shared.
    std::vector<TransformerLayerWeights> encoder_layers;
    LayerNormWeights encoder_final_norm;
};

// PE[p][2i] = sin(p / 10000^(2i/d_model)), PE[p][2i+1] = cos(same), for positions p = first ..
// first + n - 1.  n x d_model
Matrix sinusoidal_positions(int n, int d_model, int first = 0);

// x: n x d. Normalizes each row to zero mean and unit variance, then gamma * . + beta.
Matrix layer_norm_rows(const Matrix& x, const LayerNormWeights& w, float eps);

// Element-wise activation, in place.
void apply_activation(Matrix& x, Activation a);

// An own-format model. With config.encoder_layers > 0 it is an encoder-decoder (the built-in
// translator): forward() then traces its greedy translation, and encode/decode are its two
// halves; its vocabulary holds both languages and the tokens "<s>" (start) and "</s>" (end).
class TransformerModel final : public Model, public EncoderDecoder {
public:
    TransformerModel(ModelInfo info, TransformerConfig config, TransformerWeights weights,
                     std::shared_ptr<const Tokenizer> tokenizer);

    const ModelInfo& info() const override { return m_info; }
    const Tokenizer& tokenizer() const override { return *m_tokenizer; }
    Result<Trace> forward(const std::vector<Token>& tokens, const ForwardOptions& options) const override;
    // Causal models reuse the prefix's rows; bidirectional ones compute everything.
    Result<Trace> forward_reusing_prefix(const Trace& prefix, int reuse, const std::vector<Token>& tokens,
                                         const ForwardOptions& options) const override;
    std::optional<HeadProjection> head_projection(int layer, int head) const override;
    std::optional<Matrix> lens_logits(const Matrix& residual_rows) const override;

    const EncoderDecoder* encoder_decoder() const override { return m_config.is_encoder_decoder() ? this : nullptr; }
    Result<Encoded> encode(const std::vector<Token>& source, const ForwardOptions& options) const override;
    Result<Trace> decode(const Encoded& source, const std::vector<Token>& target, const ForwardOptions& options) const override;
    const Tokenizer& target_tokenizer() const override { return *m_tokenizer; }
    int decoder_start_id() const override { return m_start_id; }
    int end_id() const override { return m_end_id; }
    int max_target_len() const override { return m_config.max_len; }
    const ModelInfo& encoder_info() const override { return m_encoder_info; }
    std::optional<HeadProjection> encoder_head_projection(int layer, int head) const override;
    std::optional<HeadProjection> cross_head_projection(int layer, int head) const override;

    const TransformerConfig& config() const { return m_config; }
    const TransformerWeights& weights() const { return m_weights; }
    std::shared_ptr<const Tokenizer> tokenizer_ptr() const { return m_tokenizer; }

private:
    // Token and position embeddings of tokens[p..n-1], at positions p..n-1.  (n - p) x d_model
    Matrix embed(const std::vector<Token>& tokens, int p) const;
    // Computes rows p..n-1 of every layer and takes rows 0..p-1 from `prefix` (none when p = 0).
    Result<Trace> forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens,
                               const ForwardOptions& options) const;
    Matrix mlp(const Matrix& x, const TransformerLayerWeights& w) const;
    // The checks every pass makes before it computes: some tokens, not too many, ids in the vocabulary.
    std::optional<Error> check_tokens(const std::vector<Token>& tokens) const;
    // x += Attn(LN1(x)) over x's own rows (pre-norm), traced into `layer`; false when cancelled.
    bool self_attention(Matrix& x, const TransformerLayerWeights& w, bool causal, const ForwardOptions& options,
                        LayerTrace& layer) const;
    // x += CrossAttn(LN(x), memory): queries from x, keys and values from the encoder's output.
    bool cross_attention(Matrix& x, const CrossAttentionWeights& w, const Matrix& memory, const ForwardOptions& options,
                         LayerTrace& layer) const;
    void add_mlp(Matrix& x, const TransformerLayerWeights& w) const;  // x += MLP(LN2(x)) when d_ff > 0
    Matrix logits_of(const Matrix& x, const ForwardOptions& options, Trace& trace, int first_row) const;
    Matrix head_logits(const Matrix& stream) const;   // final norm and LM head

    ModelInfo m_info;
    TransformerConfig m_config;
    TransformerWeights m_weights;
    std::shared_ptr<const Tokenizer> m_tokenizer;
    ModelInfo m_encoder_info;       // encoder-decoders: the encoder's shape, for its trace
    int m_start_id = 0, m_end_id = 0;  // encoder-decoders: "<s>" and "</s>"
};

// The tokens an own-format encoder-decoder's vocabulary must hold.
inline constexpr const char* kStartToken = "<s>";
inline constexpr const char* kEndToken = "</s>";

}  // namespace attnscope
