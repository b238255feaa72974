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

    int d_head() const { return n_heads > 0 ? d_model / n_heads : 0; }
    float scale() const;
};

struct LayerNormWeights {
    RowVector gamma;  // d_model
    RowVector beta;   // d_model
};

// Absent biases are stored as zeros and an absent W_O as the identity, so the forward pass has
// no special cases; the `has_*` flags remember what the file said, for writing it back.
struct TransformerLayerWeights {
    LayerNormWeights ln1, ln2;
    Matrix wq, wk, wv, wo;  // d_model x d_model, in x out
    RowVector bq, bk, bv, bo;
    Matrix w1;              // d_model x d_ff
    RowVector b1;           // d_ff
    Matrix w2;              // d_ff x d_model
    RowVector b2;           // d_model
    bool has_wo = true;
};

struct TransformerWeights {
    Matrix token_embedding;     // vocab x d_model
    Matrix position_embedding;  // max_len x d_model, learned positions only
    std::vector<TransformerLayerWeights> layers;
    LayerNormWeights final_norm;
    Matrix lm_head;             // d_model x vocab; empty: tied to token_embedding
};

// PE[p][2i] = sin(p / 10000^(2i/d_model)), PE[p][2i+1] = cos(same), for positions p = first ..
// first + n - 1.  n x d_model
Matrix sinusoidal_positions(int n, int d_model, int first = 0);

// x: n x d. Normalizes each row to zero mean and unit variance, then gamma * . + beta.
Matrix layer_norm_rows(const Matrix& x, const LayerNormWeights& w, float eps);

// Element-wise activation, in place.
void apply_activation(Matrix& x, Activation a);

class TransformerModel final : public Model {
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

    ModelInfo m_info;
    TransformerConfig m_config;
    TransformerWeights m_weights;
    std::shared_ptr<const Tokenizer> m_tokenizer;
};

}  // namespace attnscope
