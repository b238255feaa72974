// The own-format transformer's forward pass. Shapes: n = tokens, d = d_model, V = vocab.
#include "attnscope/transformer.h"

#include "attnscope/forward.h"

#include <cmath>
#include <iterator>
#include <string>

#include <unsupported/Eigen/SpecialFunctions>  // vectorised erf() for GELU

#include "kernels/attention.h"
#include "kernels/parallel_product.h"
#include "models/prefix_reuse.h"

namespace attnscope {

// [SECTION] Names used by the JSON files

namespace {
constexpr const char* kPositionalNames[] = {"none", "learned", "sinusoidal"};
constexpr const char* kNormNames[] = {"none", "layernorm"};
constexpr const char* kActivationNames[] = {"gelu", "gelu_tanh", "relu"};
static_assert(std::size(kPositionalNames) == static_cast<std::size_t>(Positional::Count));
static_assert(std::size(kNormNames) == static_cast<std::size_t>(Norm::Count));
static_assert(std::size(kActivationNames) == static_cast<std::size_t>(Activation::Count));
}  // namespace

const char* positional_name(Positional p) { return kPositionalNames[static_cast<int>(p)]; }
const char* norm_name(Norm n) { return kNormNames[static_cast<int>(n)]; }
const char* activation_name(Activation a) { return kActivationNames[static_cast<int>(a)]; }

float TransformerConfig::scale() const {
    if (attn_scale) return *attn_scale;
    return 1.0f / std::sqrt(static_cast<float>(d_head()));
}

// [SECTION] Building blocks

Matrix sinusoidal_positions(int n, int d_model, int first) {
    Matrix pe(n, d_model);
    for (int r = 0; r < n; ++r) {
        const int p = first + r;
        for (int c = 0; c < d_model; ++c) {
            const int two_i = c - (c % 2);  // columns 2i and 2i+1 share one frequency
            const double angle = p / std::pow(10000.0, static_cast<double>(two_i) / d_model);
            pe(r, c) = static_cast<float>(c % 2 == 0 ? std::sin(angle) : std::cos(angle));
        }
    }
    return pe;
}

Matrix layer_norm_rows(const Matrix& x, const LayerNormWeights& w, float eps) {
    Matrix y(x.rows(), x.cols());
    const float inv_d = 1.0f / static_cast<float>(x.cols());
    for (Index i = 0; i < x.rows(); ++i) {
        const float mean = x.row(i).sum() * inv_d;
        const RowVector centered = x.row(i).array() - mean;
        const float variance = centered.squaredNorm() * inv_d;  // biased, as PyTorch's LayerNorm
        const float rstd = 1.0f / std::sqrt(variance + eps);
        y.row(i) = (centered * rstd).cwiseProduct(w.gamma) + w.beta;
    }
    return y;
}

namespace {
template <class Rows>
void apply_activation_to(Rows x, Activation a) {
    switch (a) {
        case Activation::Relu:
            x = x.cwiseMax(0.0f);
            break;
        case Activation::Gelu:  // x * Phi(x), with the exact normal CDF
            x = 0.5f * x * (1.0f + (x * 0.70710678118654752f).erf());  // vectorised erf
            break;
        case Activation::GeluTanh: {  // GPT-2's approximation ("gelu_new")
            constexpr float kSqrt2OverPi = 0.79788456080286536f;
            x = 0.5f * x * (1.0f + (kSqrt2OverPi * (x + 0.044715f * x.cube())).tanh());
            break;
        }
        case Activation::Count:
            break;
    }
}
}  // namespace

void apply_activation(Matrix& x, Activation a) {
    // Row blocks across the cores: tanh/erf over an MLP's hidden layer is otherwise the longest
    // single-threaded stretch of a forward pass (GPT-2-small, 512 tokens: 13 ms of 360).
    constexpr Index kBlock = 16;
    const Index blocks = (x.rows() + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (x.size() >= (1 << 16))
    for (Index b = 0; b < blocks; ++b) {
        const Index r0 = b * kBlock;
        apply_activation_to(x.middleRows(r0, std::min(kBlock, x.rows() - r0)).array(), a);
    }
}

// [SECTION] TransformerModel

TransformerModel::TransformerModel(ModelInfo info, TransformerConfig config, TransformerWeights weights,
                                   std::shared_ptr<const Tokenizer> tokenizer)
    : m_info(std::move(info)), m_config(config), m_weights(std::move(weights)), m_tokenizer(std::move(tokenizer)) {
    m_info.architecture = Architecture::Attnscope;
    m_info.n_layers = config.n_layers;
    m_info.n_heads = config.n_heads;
    m_info.n_kv_heads = config.n_heads;
    m_info.d_model = config.d_model;
    m_info.d_head = config.d_head();
    m_info.d_ff = config.d_ff;
    m_info.max_len = config.max_len;
    m_info.causal = config.causal;
    m_info.vocab_size = static_cast<int>(m_weights.token_embedding.rows());
    m_info.positional = positional_name(config.positional);
    m_info.norm = norm_name(config.norm);
    m_info.activation = config.d_ff > 0 ? activation_name(config.activation) : "none (no MLP)";
    long long count = m_weights.token_embedding.size() + m_weights.position_embedding.size() +
                      m_weights.lm_head.size() + m_weights.final_norm.gamma.size() * 2 +
                      m_weights.encoder_final_norm.gamma.size() * 2;
    for (const auto* stack : {&m_weights.layers, &m_weights.encoder_layers})
        for (const auto& l : *stack)
            count += l.wq.size() * 4 + l.bq.size() * 4 + l.w1.size() + l.b1.size() + l.w2.size() + l.b2.size() +
                     l.ln1.gamma.size() * 2 + l.ln2.gamma.size() * 2 + l.cross.wq.size() * 4 + l.cross.bq.size() * 4 +
                     l.cross.ln.gamma.size() * 2;
    m_info.n_parameters = count;
    if (!config.is_encoder_decoder()) return;
    m_info.encoder_decoder = true;
    m_info.n_encoder_layers = config.encoder_layers;
    m_encoder_info = m_info;
    m_encoder_info.n_layers = config.encoder_layers;
    m_encoder_info.causal = false;
    // The loader checks that both are in the vocabulary (json_model_loader.cpp).
    m_start_id = m_tokenizer->find(kStartToken).value_or(0);
    m_end_id = m_tokenizer->find(kEndToken).value_or(0);
}

namespace {

// Columns [head*d_head, (head+1)*d_head) of W_Q, W_K, W_V and their biases (W: a layer's
// self-attention weights or a decoder layer's cross-attention weights, named alike).
template <class W>
HeadProjection head_columns(const W& w, Index dh, int head) {
    const Index c0 = head * dh;
    HeadProjection p{w.wq.middleCols(c0, dh), w.wk.middleCols(c0, dh), w.wv.middleCols(c0, dh),
                     w.bq.segment(c0, dh), w.bk.segment(c0, dh), w.bv.segment(c0, dh)};
    p.w_o = w.wo.middleRows(c0, dh);   // W_O is in x out: the rows that read this head
    return p;
}

}  // namespace

std::optional<HeadProjection> TransformerModel::head_projection(int layer, int head) const {
    if (layer < 0 || layer >= m_config.n_layers || head < 0 || head >= m_config.n_heads) return std::nullopt;
    return head_columns(m_weights.layers[static_cast<std::size_t>(layer)], m_config.d_head(), head);
}

std::optional<HeadProjection> TransformerModel::encoder_head_projection(int layer, int head) const {
    if (layer < 0 || layer >= m_config.encoder_layers || head < 0 || head >= m_config.n_heads) return std::nullopt;
    return head_columns(m_weights.encoder_layers[static_cast<std::size_t>(layer)], m_config.d_head(), head);
}

std::optional<HeadProjection> TransformerModel::cross_head_projection(int layer, int head) const {
    if (!m_config.is_encoder_decoder() || layer < 0 || layer >= m_config.n_layers || head < 0 || head >= m_config.n_heads)
        return std::nullopt;
    return head_columns(m_weights.layers[static_cast<std::size_t>(layer)].cross, m_config.d_head(), head);
}

Matrix TransformerModel::embed(const std::vector<Token>& tokens, int p) const {
    const Index m = static_cast<Index>(tokens.size()) - p;
    Matrix x(m, m_config.d_model);
    for (Index i = 0; i < m; ++i) x.row(i) = m_weights.token_embedding.row(tokens[static_cast<std::size_t>(p + i)].id);
    if (m_config.positional == Positional::Learned) x += m_weights.position_embedding.middleRows(p, m);
    if (m_config.positional == Positional::Sinusoidal) x += sinusoidal_positions(static_cast<int>(m), m_config.d_model, p);
    return x;
}

Matrix TransformerModel::mlp(const Matrix& x, const TransformerLayerWeights& w) const {
    // x: n x d -> hidden n x d_ff -> n x d
    Matrix hidden = parallel_product(x, w.w1);
    hidden.rowwise() += w.b1;
    apply_activation(hidden, m_config.activation);
    Matrix out = parallel_product(hidden, w.w2);
    out.rowwise() += w.b2;
    return out;
}

Result<Trace> TransformerModel::forward(const std::vector<Token>& tokens, const ForwardOptions& options) const {
    if (m_config.is_encoder_decoder()) return forward_translation(*this, tokens, options);
    return forward_rows(nullptr, 0, tokens, options);
}

Result<Trace> TransformerModel::forward_reusing_prefix(const Trace& prefix, int reuse, const std::vector<Token>& tokens,
                                                       const ForwardOptions& options) const {
    if (m_config.is_encoder_decoder()) return forward(tokens, options);  // a new source: a new translation
    return forward_reusing_rows(prefix, reuse, tokens, m_info, options,
                                [&](const Trace* from, int p) { return forward_rows(from, p, tokens, options); });
}

// Row i depends on earlier rows only through their keys and values, which the prefix keeps, so the
// residual stream x holds the new rows only: (n - p) x d.
Result<Trace> TransformerModel::forward_rows(const Trace* prefix, int p, const std::vector<Token>& tokens,
                                             const ForwardOptions& options) const {
    if (auto error = check_tokens(tokens)) return *error;

    const bool layer_norm = m_config.norm == Norm::LayerNorm;
    const float scale = m_config.scale();

    Trace trace;
    trace.layers.resize(static_cast<std::size_t>(m_config.n_layers));
    // (n - p) x d: the residual stream of the new rows (or, resumed, after the layer before `first`)
    const int first = resume_layer(options, p, static_cast<Index>(tokens.size()) - p, m_config.n_layers);
    Matrix x = first > 0 ? resumed_stream(options, first) : embed(tokens, p);

    for (int l = first; l < m_config.n_layers; ++l) {
        const TransformerLayerWeights& w = m_weights.layers[static_cast<std::size_t>(l)];
        LayerTrace& layer = trace.layers[static_cast<std::size_t>(l)];
        const LayerTrace* reused = reused_layer(prefix, p, static_cast<std::size_t>(l));
        layer.scale = scale;
        layer.causal = m_config.causal;
        Matrix x_norm = layer_norm ? layer_norm_rows(x, w.ln1, m_config.norm_eps) : x;

        Matrix q = parallel_product(x_norm, w.wq);  // (n - p) x d each
        Matrix k = parallel_product(x_norm, w.wk);
        Matrix v = parallel_product(x_norm, w.wv);
        q.rowwise() += w.bq;
        k.rowwise() += w.bk;
        v.rowwise() += w.bv;
        layer.x = layer_input_rows(reused, p, std::move(x_norm));

        std::optional<Matrix> concat = attend_new_rows(q, k, v, m_config.n_heads, m_config.n_heads, scale,
                                                       m_config.causal, reused, p, options, layer.heads);
        if (!concat) return Error{"cancelled"};
        ablate_head_outputs(*concat, l, m_config.d_head(), options);
        Matrix attn = parallel_product(*concat, w.wo);
        attn.rowwise() += w.bo;
        x += attn;  // h = x + Attn(LN1(x))

        if (m_config.d_ff > 0) x += mlp(layer_norm ? layer_norm_rows(x, w.ln2, m_config.norm_eps) : x, w);
        if (options.keep_residual) trace.residual.push_back(x);
    }

    if (options.logits != ForwardOptions::Logits::None) trace.logits = logits_of(x, options, trace, p);
    return trace;
}

std::optional<Error> TransformerModel::check_tokens(const std::vector<Token>& tokens) const {
    const int n = static_cast<int>(tokens.size());
    if (n == 0) return Error{"no tokens to run the model on"};
    if (m_config.positional == Positional::Learned && n > m_config.max_len)
        return Error{"the text has " + std::to_string(n) + " tokens but model '" + m_info.name +
                     "' takes at most " + std::to_string(m_config.max_len) + " (max_len)"};
    for (const Token& t : tokens)
        if (t.id < 0 || t.id >= m_info.vocab_size)
            return Error{"token id " + std::to_string(t.id) + " is outside the vocabulary (size " +
                         std::to_string(m_info.vocab_size) + ")"};
    return std::nullopt;
}

// The final norm, then the tied or untied head, on the rows `options` asks for.
Matrix TransformerModel::logits_of(const Matrix& x, const ForwardOptions& options, Trace& trace, int first_row) const {
    return head_logits(rows_for_logits(x, options, trace, first_row));
}

Matrix TransformerModel::head_logits(const Matrix& stream) const {
    const Matrix final_x = m_config.norm == Norm::LayerNorm ? layer_norm_rows(stream, m_weights.final_norm, m_config.norm_eps) : stream;
    return m_weights.lm_head.size() > 0 ? parallel_product(final_x, m_weights.lm_head)
                                        : parallel_product(final_x, m_weights.token_embedding.transpose());
}

std::optional<Matrix> TransformerModel::lens_logits(const Matrix& residual_rows) const {
    if (!m_config.causal || m_config.is_encoder_decoder()) return std::nullopt;   // an encoder's head fills in, not next
    return head_logits(residual_rows);
}

// [SECTION] Encoder-decoders: the same blocks, an encoder pass and a decoder pass with cross-attention

namespace {

// x += Attn W_O + b_O, with queries from layer.x and keys and values from `keys` (layer.x itself
// for self-attention, the encoder's output for cross-attention). W: TransformerLayerWeights or
// CrossAttentionWeights, which name their projections alike. False when cancelled.
template <class W>
bool attend_and_add(Matrix& x, const W& w, const Matrix& keys, bool causal, int n_heads, const ForwardOptions& options,
                    LayerTrace& layer) {
    Matrix q = parallel_product(layer.x, w.wq), k = parallel_product(keys, w.wk), v = parallel_product(keys, w.wv);
    q.rowwise() += w.bq;
    k.rowwise() += w.bk;
    v.rowwise() += w.bv;
    const auto concat = multi_head_attention(q, k, v, n_heads, n_heads, layer.scale, causal, options.keep_attention,
                                             options.cancelled, layer.heads);
    if (!concat) return false;
    Matrix attn = parallel_product(*concat, w.wo);
    attn.rowwise() += w.bo;
    x += attn;
    return true;
}

}  // namespace

bool TransformerModel::self_attention(Matrix& x, const TransformerLayerWeights& w, bool causal, const ForwardOptions& options,
                                      LayerTrace& layer) const {
    layer.scale = m_config.scale();
    layer.causal = causal;
    layer.x = m_config.norm == Norm::LayerNorm ? layer_norm_rows(x, w.ln1, m_config.norm_eps) : x;
    return attend_and_add(x, w, layer.x, causal, m_config.n_heads, options, layer);
}

bool TransformerModel::cross_attention(Matrix& x, const CrossAttentionWeights& w, const Matrix& memory,
                                       const ForwardOptions& options, LayerTrace& layer) const {
    layer.scale = m_config.scale();
    layer.causal = false;  // every target token may read every source token
    layer.cross = true;
    layer.x = m_config.norm == Norm::LayerNorm ? layer_norm_rows(x, w.ln, m_config.norm_eps) : x;
    layer.key_x = memory;
    return attend_and_add(x, w, memory, false, m_config.n_heads, options, layer);
}

void TransformerModel::add_mlp(Matrix& x, const TransformerLayerWeights& w) const {
    if (m_config.d_ff > 0) x += mlp(m_config.norm == Norm::LayerNorm ? layer_norm_rows(x, w.ln2, m_config.norm_eps) : x, w);
}

Result<EncoderDecoder::Encoded> TransformerModel::encode(const std::vector<Token>& source, const ForwardOptions& options) const {
    if (auto error = check_tokens(source)) return *error;
    Encoded e;
    Matrix x = embed(source, 0);
    e.trace.layers.resize(m_weights.encoder_layers.size());
    for (std::size_t l = 0; l < m_weights.encoder_layers.size(); ++l) {
        const TransformerLayerWeights& w = m_weights.encoder_layers[l];
        if (!self_attention(x, w, false, options, e.trace.layers[l])) return Error{"cancelled"};
        add_mlp(x, w);
    }
    e.memory = m_config.norm == Norm::LayerNorm ? layer_norm_rows(x, m_weights.encoder_final_norm, m_config.norm_eps) : x;
    return e;
}

Result<Trace> TransformerModel::decode(const Encoded& source, const std::vector<Token>& target,
                                       const ForwardOptions& options) const {
    if (auto error = check_tokens(target)) return *error;
    Trace trace;
    Matrix x = embed(target, 0);
    trace.layers.resize(m_weights.layers.size());
    trace.cross_layers.resize(m_weights.layers.size());
    for (std::size_t l = 0; l < m_weights.layers.size(); ++l) {
        const TransformerLayerWeights& w = m_weights.layers[l];
        if (!self_attention(x, w, true, options, trace.layers[l])) return Error{"cancelled"};
        if (!cross_attention(x, w.cross, source.memory, options, trace.cross_layers[l])) return Error{"cancelled"};
        add_mlp(x, w);
    }
    if (options.logits != ForwardOptions::Logits::None) trace.logits = logits_of(x, options, trace, 0);
    return trace;
}

}  // namespace attnscope
