// The trainer's forward and backward passes, written out the way llm.c writes them: every op is a
// forward/backward pair kept side by side, the forward keeps what the backward needs in a named
// cache, and the backward quotes the forward line it differentiates. Backward functions ADD into
// the gradients of their inputs (+=), because a residual stream or a tied embedding receives
// gradient from more than one place.
//
// Legend: n = tokens of one sentence, d = d_model, H = n_heads, dh = d_head = d / H, F = d_ff,
// V = vocab size, L = n_layers. Row-major matrices, one row per token.
//
// The math is TransformerModel::forward's (transformer.cpp); the test "TrainerForward,
// MatchesTheInferenceForwardPass" holds the two together.
//
//   [SECTION] Shapes and conversions
//   [SECTION] encoder: token embedding + positions
//   [SECTION] layernorm
//   [SECTION] matmul: x W + b
//   [SECTION] attention: scores, mask, softmax, weighted values
//   [SECTION] activation: gelu, gelu_tanh, relu
//   [SECTION] lm head: tied or untied
//   [SECTION] crossentropy
//   [SECTION] The whole model on one sentence
//   [SECTION] Supervised attention: one head taught where to look
//   [SECTION] Batches and instantiations
#include "attnscope/transformer_backward.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>

namespace attnscope {

// [SECTION] Shapes and conversions

template <class T>
Parameters<T> zero_parameters(const TrainableShape& shape) {
    const TransformerConfig& c = shape.config;
    const Index d = c.d_model, f = c.d_ff, vocab = shape.vocab_size;
    const bool norm = c.norm == Norm::LayerNorm, mlp = c.d_ff > 0;
    auto zeros = [](Index rows, Index cols) { return MatrixOf<T>(MatrixOf<T>::Zero(rows, cols)); };
    auto layer = [&](bool cross) {
        LayerParameters<T> w;
        if (norm) w.ln1_gamma = zeros(1, d), w.ln1_beta = zeros(1, d);
        w.wq = zeros(d, d), w.wk = zeros(d, d), w.wv = zeros(d, d), w.wo = zeros(d, d);
        if (shape.biases) w.bq = zeros(1, d), w.bk = zeros(1, d), w.bv = zeros(1, d), w.bo = zeros(1, d);
        if (mlp) {
            if (norm) w.ln2_gamma = zeros(1, d), w.ln2_beta = zeros(1, d);
            w.w1 = zeros(d, f), w.w2 = zeros(f, d);
            if (shape.biases) w.b1 = zeros(1, f), w.b2 = zeros(1, d);
        }
        if (cross) {
            if (norm) w.lnc_gamma = zeros(1, d), w.lnc_beta = zeros(1, d);
            w.cq = zeros(d, d), w.ck = zeros(d, d), w.cv = zeros(d, d), w.co = zeros(d, d);
            if (shape.biases) w.bcq = zeros(1, d), w.bck = zeros(1, d), w.bcv = zeros(1, d), w.bco = zeros(1, d);
        }
        return w;
    };
    Parameters<T> p;
    p.token_embedding = zeros(vocab, d);
    if (c.positional == Positional::Learned) p.position_embedding = zeros(c.max_len, d);
    for (int l = 0; l < c.n_layers; ++l) p.layers.push_back(layer(c.is_encoder_decoder()));
    if (norm) p.final_gamma = zeros(1, d), p.final_beta = zeros(1, d);
    if (!shape.tied_head) p.lm_head = zeros(d, vocab);
    for (int l = 0; l < c.encoder_layers; ++l) p.encoder_layers.push_back(layer(false));
    if (norm && c.is_encoder_decoder()) p.encoder_final_gamma = zeros(1, d), p.encoder_final_beta = zeros(1, d);
    return p;
}

Parameters<float> parameters_from_weights(const TrainableShape& shape, const TransformerWeights& weights) {
    Parameters<float> p = zero_parameters<float>(shape);
    // Copy a tensor the shape has; the ones it lacks stay empty.
    auto copy = [](MatrixOf<float>& dst, const Matrix& src) { if (dst.size() > 0) dst = src; };
    auto copy_row = [](MatrixOf<float>& dst, const RowVector& src) { if (dst.size() > 0) dst = src; };
    auto copy_layer = [&](LayerParameters<float>& to, const TransformerLayerWeights& from) {
        copy_row(to.ln1_gamma, from.ln1.gamma), copy_row(to.ln1_beta, from.ln1.beta);
        copy(to.wq, from.wq), copy(to.wk, from.wk), copy(to.wv, from.wv), copy(to.wo, from.wo);
        copy_row(to.bq, from.bq), copy_row(to.bk, from.bk), copy_row(to.bv, from.bv), copy_row(to.bo, from.bo);
        copy_row(to.ln2_gamma, from.ln2.gamma), copy_row(to.ln2_beta, from.ln2.beta);
        copy(to.w1, from.w1), copy_row(to.b1, from.b1), copy(to.w2, from.w2), copy_row(to.b2, from.b2);
        const CrossAttentionWeights& x = from.cross;
        copy_row(to.lnc_gamma, x.ln.gamma), copy_row(to.lnc_beta, x.ln.beta);
        copy(to.cq, x.wq), copy(to.ck, x.wk), copy(to.cv, x.wv), copy(to.co, x.wo);
        copy_row(to.bcq, x.bq), copy_row(to.bck, x.bk), copy_row(to.bcv, x.bv), copy_row(to.bco, x.bo);
    };
    copy(p.token_embedding, weights.token_embedding);
    copy(p.position_embedding, weights.position_embedding);
    for (std::size_t l = 0; l < p.layers.size(); ++l) copy_layer(p.layers[l], weights.layers[l]);
    copy_row(p.final_gamma, weights.final_norm.gamma);
    copy_row(p.final_beta, weights.final_norm.beta);
    copy(p.lm_head, weights.lm_head);
    for (std::size_t l = 0; l < p.encoder_layers.size(); ++l) copy_layer(p.encoder_layers[l], weights.encoder_layers[l]);
    copy_row(p.encoder_final_gamma, weights.encoder_final_norm.gamma);
    copy_row(p.encoder_final_beta, weights.encoder_final_norm.beta);
    return p;
}

TransformerWeights weights_from_parameters(const TrainableShape& shape, const Parameters<float>& p) {
    const TransformerConfig& c = shape.config;
    const Index d = c.d_model;
    // An absent bias is a zero vector in TransformerWeights, as the loader makes it.
    auto bias = [](const MatrixOf<float>& b, Index n) { return b.size() > 0 ? RowVector(b.row(0)) : RowVector(RowVector::Zero(n)); };
    auto norm = [](const MatrixOf<float>& gamma, const MatrixOf<float>& beta) {
        return gamma.size() > 0 ? LayerNormWeights{gamma.row(0), beta.row(0)} : LayerNormWeights{};
    };
    auto layer = [&](const LayerParameters<float>& from) {
        TransformerLayerWeights to;
        to.ln1 = norm(from.ln1_gamma, from.ln1_beta);
        to.ln2 = norm(from.ln2_gamma, from.ln2_beta);
        to.wq = from.wq, to.wk = from.wk, to.wv = from.wv, to.wo = from.wo;
        to.has_wo = true;
        to.bq = bias(from.bq, d), to.bk = bias(from.bk, d), to.bv = bias(from.bv, d), to.bo = bias(from.bo, d);
        if (c.d_ff > 0) {
            to.w1 = from.w1, to.w2 = from.w2;
            to.b1 = bias(from.b1, c.d_ff), to.b2 = bias(from.b2, d);
        }
        if (from.cq.size() > 0) {
            CrossAttentionWeights& x = to.cross;
            x.ln = norm(from.lnc_gamma, from.lnc_beta);
            x.wq = from.cq, x.wk = from.ck, x.wv = from.cv, x.wo = from.co;
            x.bq = bias(from.bcq, d), x.bk = bias(from.bck, d), x.bv = bias(from.bcv, d), x.bo = bias(from.bco, d);
        }
        return to;
    };
    TransformerWeights w;
    w.token_embedding = p.token_embedding;
    w.position_embedding = p.position_embedding;
    for (const LayerParameters<float>& from : p.layers) w.layers.push_back(layer(from));
    w.final_norm = norm(p.final_gamma, p.final_beta);
    w.lm_head = p.lm_head;
    for (const LayerParameters<float>& from : p.encoder_layers) w.encoder_layers.push_back(layer(from));
    w.encoder_final_norm = norm(p.encoder_final_gamma, p.encoder_final_beta);
    return w;
}

namespace {

template <class T>
using ColumnOf = Eigen::Matrix<T, Eigen::Dynamic, 1>;

// [SECTION] encoder: token embedding + positions

// out: n x d. out[i] = E[ids[i]] + P[i] (learned), + PE[i] (sinusoidal) or nothing.
template <class T>
void encoder_forward(MatrixOf<T>& out, const std::vector<int>& ids, const MatrixOf<T>& token_embedding,
                     const MatrixOf<T>& position_embedding, Positional positional) {
    const Index n = static_cast<Index>(ids.size()), d = token_embedding.cols();
    out.resize(n, d);
    for (Index i = 0; i < n; ++i) out.row(i) = token_embedding.row(ids[static_cast<std::size_t>(i)]);
    if (positional == Positional::Learned) out += position_embedding.topRows(n);
    if (positional == Positional::Sinusoidal) out += sinusoidal_positions(static_cast<int>(n), static_cast<int>(d)).cast<T>();
}

// dout: n x d; d_token_embedding: V x d; d_position_embedding: max_len x d
template <class T>
void encoder_backward(MatrixOf<T>& d_token_embedding, MatrixOf<T>& d_position_embedding, const MatrixOf<T>& dout,
                      const std::vector<int>& ids, Positional positional) {
    // forward: out[i] = E[ids[i]] + P[i], so every row goes back to the embedding row it came
    // from (a word used twice collects both rows) and to its position's row
    for (Index i = 0; i < dout.rows(); ++i) d_token_embedding.row(ids[static_cast<std::size_t>(i)]) += dout.row(i);
    if (positional == Positional::Learned) d_position_embedding.topRows(dout.rows()) += dout;
    // sinusoidal positions are constants: nothing to learn
}

// [SECTION] layernorm

template <class T>
struct LayerNormCache {
    MatrixOf<T> xhat;  // n x d: (x - mean) * rstd, row by row
    ColumnOf<T> rstd;  // n: 1 / sqrt(variance + eps)
};

// out, inp: n x d; gamma, beta: 1 x d. Biased variance, eps inside the root (PyTorch's LayerNorm).
template <class T>
void layernorm_forward(MatrixOf<T>& out, LayerNormCache<T>& cache, const MatrixOf<T>& inp, const MatrixOf<T>& gamma,
                       const MatrixOf<T>& beta, T eps) {
    const Index n = inp.rows(), d = inp.cols();
    const T inv_d = T(1) / static_cast<T>(d);
    cache.xhat.resize(n, d);
    cache.rstd.resize(n);
    for (Index i = 0; i < n; ++i) {
        const T mean = inp.row(i).sum() * inv_d;
        cache.xhat.row(i) = inp.row(i).array() - mean;
        const T variance = cache.xhat.row(i).squaredNorm() * inv_d;
        cache.rstd(i) = T(1) / std::sqrt(variance + eps);
        cache.xhat.row(i) *= cache.rstd(i);
    }
    out = cache.xhat * gamma.row(0).asDiagonal();
    out.rowwise() += beta.row(0);
}

// dinp, dout: n x d; dgamma, dbeta: 1 x d
template <class T>
void layernorm_backward(MatrixOf<T>& dinp, MatrixOf<T>& dgamma, MatrixOf<T>& dbeta, const MatrixOf<T>& dout,
                        const LayerNormCache<T>& cache, const MatrixOf<T>& gamma) {
    const T inv_d = T(1) / static_cast<T>(dout.cols());
    // forward: out = xhat * gamma + beta, so
    dbeta += dout.colwise().sum();
    dgamma += dout.cwiseProduct(cache.xhat).colwise().sum();
    const MatrixOf<T> dnorm = dout * gamma.row(0).asDiagonal();  // d loss / d xhat
    // forward: xhat = (x - mean(x)) * rstd(x), where the mean and rstd depend on the whole row,
    // so dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    for (Index i = 0; i < dout.rows(); ++i) {
        const T mean_dnorm = dnorm.row(i).sum() * inv_d;
        const T mean_dnorm_xhat = dnorm.row(i).dot(cache.xhat.row(i)) * inv_d;
        dinp.row(i).array() +=
            cache.rstd(i) * (dnorm.row(i).array() - mean_dnorm - cache.xhat.row(i).array() * mean_dnorm_xhat);
    }
}

// [SECTION] matmul: x W + b

// out: n x out_dim = inp (n x in_dim) w (in_dim x out_dim) + b (1 x out_dim; empty: no bias)
template <class T>
void matmul_forward(MatrixOf<T>& out, const MatrixOf<T>& inp, const MatrixOf<T>& w, const MatrixOf<T>& b) {
    out.noalias() = inp * w;
    if (b.size() > 0) out.rowwise() += b.row(0);
}

template <class T>
void matmul_backward(MatrixOf<T>& dinp, MatrixOf<T>& dw, MatrixOf<T>& db, const MatrixOf<T>& dout,
                     const MatrixOf<T>& inp, const MatrixOf<T>& w) {
    // forward: out = inp w + b, so
    dinp.noalias() += dout * w.transpose();
    dw.noalias() += inp.transpose() * dout;
    if (db.size() > 0) db += dout.colwise().sum();
}

// [SECTION] attention: scores, mask, softmax, weighted values

template <class T>
struct AttentionCache {
    std::vector<MatrixOf<T>> weights;  // H of n x n, rows = queries: softmax of the scaled scores; masked cells 0
};

// Supervised attention's gradients of one layer: head -> d objective / d (its softmax input).
template <class T>
using HeadDscores = std::map<int, MatrixOf<T>>;

// atty: n x d, head h's output in columns [h*dh, (h+1)*dh); q: n x d; k, v: m x d (m = n for
// self-attention, the source's length for cross-attention, which is never causal)
template <class T>
void attention_forward(MatrixOf<T>& atty, AttentionCache<T>& cache, const MatrixOf<T>& q, const MatrixOf<T>& k,
                       const MatrixOf<T>& v, int n_heads, T scale, bool causal) {
    const Index n = q.rows(), m = k.rows(), dh = q.cols() / n_heads;
    atty.resize(n, q.cols());
    cache.weights.resize(static_cast<std::size_t>(n_heads));
    for (int h = 0; h < n_heads; ++h) {
        const Index c0 = h * dh;
        MatrixOf<T> scores = q.middleCols(c0, dh) * k.middleCols(c0, dh).transpose();  // n x m
        scores *= scale;
        MatrixOf<T>& w = cache.weights[static_cast<std::size_t>(h)];
        w.setZero(n, m);
        for (Index i = 0; i < n; ++i) {
            const Index end = causal ? i + 1 : m;  // causal: keys j > i are masked and keep weight 0
            // subtract the row max so exp() cannot overflow; the weights are unchanged by it
            const T row_max = scores.row(i).head(end).maxCoeff();
            w.row(i).head(end) = (scores.row(i).head(end).array() - row_max).exp().matrix();
            w.row(i).head(end) /= w.row(i).head(end).sum();
        }
        atty.middleCols(c0, dh).noalias() = w * v.middleCols(c0, dh);
    }
}

// dq, datty: n x d; dk, dv: m x d. extra_dscores, when given, maps a head to a gradient (n x m)
// that reaches its softmax input directly (supervised attention) and adds to what comes through
// its output.
template <class T>
void attention_backward(MatrixOf<T>& dq, MatrixOf<T>& dk, MatrixOf<T>& dv, const MatrixOf<T>& datty,
                        const AttentionCache<T>& cache, const MatrixOf<T>& q, const MatrixOf<T>& k, const MatrixOf<T>& v,
                        int n_heads, T scale, const HeadDscores<T>* extra_dscores = nullptr) {
    const Index dh = q.cols() / n_heads;
    for (int h = 0; h < n_heads; ++h) {
        const Index c0 = h * dh;
        const MatrixOf<T>& w = cache.weights[static_cast<std::size_t>(h)];
        const MatrixOf<T> dout_h = datty.middleCols(c0, dh);
        // forward: atty_h = w v_h, so
        const MatrixOf<T> dw = dout_h * v.middleCols(c0, dh).transpose();  // n x m
        dv.middleCols(c0, dh).noalias() += w.transpose() * dout_h;
        // forward: w(i, :) = softmax(scores(i, :)), so
        // dscores(i, j) = w(i, j) * (dw(i, j) - sum_k w(i, k) dw(i, k)). A masked cell has w = 0
        // and gets no gradient, as a constant minus infinity should.
        const ColumnOf<T> row_dot = w.cwiseProduct(dw).rowwise().sum();
        MatrixOf<T> dscores = (w.array() * (dw.array().colwise() - row_dot.array())).matrix();
        if (extra_dscores)
            if (const auto extra = extra_dscores->find(h); extra != extra_dscores->end()) dscores += extra->second;
        // forward: scores = q_h k_h^T * scale, so
        dq.middleCols(c0, dh).noalias() += scale * (dscores * k.middleCols(c0, dh));
        dk.middleCols(c0, dh).noalias() += scale * (dscores.transpose() * q.middleCols(c0, dh));
    }
}

// [SECTION] activation: gelu, gelu_tanh, relu

constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kGeluTanhCube = 0.044715;

template <class T>
T activation_value(T x, Activation a) {
    switch (a) {
        case Activation::Relu: return x > T(0) ? x : T(0);
        case Activation::Gelu: return T(0.5) * x * (T(1) + std::erf(x * T(kInvSqrt2)));  // x * Phi(x)
        case Activation::GeluTanh: return T(0.5) * x * (T(1) + std::tanh(T(kSqrt2OverPi) * (x + T(kGeluTanhCube) * x * x * x)));
        case Activation::Count: break;
    }
    return x;
}

template <class T>
T activation_derivative(T x, Activation a) {
    switch (a) {
        case Activation::Relu: return x > T(0) ? T(1) : T(0);
        case Activation::Gelu:  // d/dx x Phi(x) = Phi(x) + x phi(x)
            return T(0.5) * (T(1) + std::erf(x * T(kInvSqrt2))) + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
        case Activation::GeluTanh: {  // u = sqrt(2/pi) (x + c x^3); d/dx 0.5 x (1 + tanh u)
            const T t = std::tanh(T(kSqrt2OverPi) * (x + T(kGeluTanhCube) * x * x * x));
            const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluTanhCube) * x * x);
            return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
        }
        case Activation::Count: break;
    }
    return T(1);
}

// out, pre: n x F
template <class T>
void activation_forward(MatrixOf<T>& out, const MatrixOf<T>& pre, Activation a) {
    out = pre.unaryExpr([a](T x) { return activation_value(x, a); });
}

template <class T>
void activation_backward(MatrixOf<T>& dpre, const MatrixOf<T>& dout, const MatrixOf<T>& pre, Activation a) {
    // forward: out = f(pre), element by element, so
    dpre += dout.cwiseProduct(pre.unaryExpr([a](T x) { return activation_derivative(x, a); }));
}

// [SECTION] lm head: tied or untied

// logits: n x V; x: n x d (after the final norm)
template <class T>
void head_forward(MatrixOf<T>& logits, const MatrixOf<T>& x, const Parameters<T>& p) {
    if (p.lm_head.size() > 0) logits.noalias() = x * p.lm_head;
    else logits.noalias() = x * p.token_embedding.transpose();
}

template <class T>
void head_backward(MatrixOf<T>& dx, Parameters<T>& grads, const MatrixOf<T>& dlogits, const MatrixOf<T>& x,
                   const Parameters<T>& p) {
    if (p.lm_head.size() > 0) {
        // forward: logits = x lm_head, so
        dx.noalias() += dlogits * p.lm_head.transpose();
        grads.lm_head.noalias() += x.transpose() * dlogits;
    } else {
        // forward: logits = x E^T (tied: the embedding is also the output layer), so
        dx.noalias() += dlogits * p.token_embedding;
        grads.token_embedding.noalias() += dlogits.transpose() * x;
    }
}

// [SECTION] crossentropy

// logits, probs: n x V. Returns the sum over positions with a target of -log softmax(logits(i, :))[t_i].
template <class T>
T crossentropy_forward(MatrixOf<T>& probs, const MatrixOf<T>& logits, const std::vector<int>& targets) {
    probs.setZero(logits.rows(), logits.cols());
    T loss = 0;
    for (Index i = 0; i < logits.rows(); ++i) {
        const int t = targets[static_cast<std::size_t>(i)];
        if (t < 0) continue;  // no target here: no loss, no gradient
        // subtract the row max so exp() cannot overflow; log-sum-exp stays exact for tiny probabilities
        const T row_max = logits.row(i).maxCoeff();
        probs.row(i) = (logits.row(i).array() - row_max).exp().matrix();
        const T sum = probs.row(i).sum();
        probs.row(i) /= sum;
        loss += std::log(sum) + row_max - logits(i, t);
    }
    return loss;
}

// dlogits: n x V (overwritten). weight: 1 / (number of targets in the whole batch).
template <class T>
void crossentropy_backward(MatrixOf<T>& dlogits, const MatrixOf<T>& probs, const std::vector<int>& targets, T weight) {
    // forward: loss_i = -log probs(i, t_i), probs(i, :) = softmax(logits(i, :)), so
    // dlogits(i, :) = probs(i, :) - onehot(t_i), times the batch mean's weight
    dlogits = probs * weight;
    for (Index i = 0; i < dlogits.rows(); ++i) {
        const int t = targets[static_cast<std::size_t>(i)];
        if (t >= 0) dlogits(i, t) -= weight;
    }
}

// [SECTION] The whole model on one sentence

template <class T>
struct LayerActivations {
    MatrixOf<T> ln1;  // n x d: LN1(x), what W_Q, W_K and W_V multiply (x itself without norm)
    LayerNormCache<T> ln1_cache;
    MatrixOf<T> q, k, v;  // n x d
    AttentionCache<T> att;
    MatrixOf<T> atty;       // n x d: the heads' outputs side by side
    // Encoder-decoders' decoder layers: h = x + atty W_O + b_O, then the cross-attention
    // residual2 = h + CrossAttn(LNc(h), memory), whose queries cq read lnc and keys and values
    // ck, cv the encoder's output.
    MatrixOf<T> residual_self;  // n x d: h
    MatrixOf<T> lnc;
    LayerNormCache<T> lnc_cache;
    MatrixOf<T> cq, ck, cv;  // n x d; m x d; m x d
    AttentionCache<T> catt;
    MatrixOf<T> catty;      // n x d
    MatrixOf<T> residual2;  // n x d: the MLP's input (h, or h after cross-attention)
    MatrixOf<T> ln2;        // n x d: LN2(h)
    LayerNormCache<T> ln2_cache;
    MatrixOf<T> fch;      // n x F: ln2 W1 + b1
    MatrixOf<T> fch_act;  // n x F: activation(fch)
    // Dropout's scaled masks (0 or 1 / (1 - rate)) on the attention's and the MLP's additions to
    // the stream, n x d; empty without dropout.
    MatrixOf<T> attention_keep, mlp_keep;
};

template <class T>
struct Activations {
    std::vector<MatrixOf<T>> residual;  // L + 1 of n x d: residual[l] enters layer l, residual[L] leaves the last
    std::vector<LayerActivations<T>> layers;
    // Encoder-decoders: the encoder's pass over the source (m tokens) and its normed output.
    std::vector<MatrixOf<T>> encoder_residual;  // encoder_layers + 1 of m x d
    std::vector<LayerActivations<T>> encoder_layers;
    MatrixOf<T> memory;  // m x d: LN(encoder_residual.back()), what every cross-attention reads
    LayerNormCache<T> memory_cache;
    MatrixOf<T> lnf;  // n x d: the final norm's output
    LayerNormCache<T> lnf_cache;
    MatrixOf<T> logits;  // n x V
    MatrixOf<T> embedding_keep;  // n x d: dropout's scaled mask on the embeddings; empty without dropout
};

// Where a sentence's dropout masks come from: one generator, read in the order of the forward pass.
struct DropoutDraw {
    float rate = 0.0f;
    std::mt19937 generator;
};

// A rows x cols mask of dropout: each entry 0 with chance `rate`, else 1 / (1 - rate), so the
// masked values keep their expected size.
template <class T>
MatrixOf<T> dropout_mask(Index rows, Index cols, DropoutDraw& draw) {
    // compared with the generator's raw 32 bits, which every standard library gives alike
    const auto threshold = static_cast<std::uint64_t>(static_cast<double>(draw.rate) * 4294967296.0);
    const T kept = T(1) / (T(1) - static_cast<T>(draw.rate));
    MatrixOf<T> mask(rows, cols);
    for (Index i = 0; i < mask.size(); ++i) mask.data()[i] = draw.generator() < threshold ? T(0) : kept;
    return mask;
}

// One block: h = x + Attn(LN1(x)), then x' = h + MLP(LN2(h)); a decoder layer of an
// encoder-decoder adds h2 = h + CrossAttn(LNc(h), memory) between the two. x, out: n x d;
// memory: m x d or null. `causal` is the block's self-attention mask (an encoder's is not).
template <class T>
void layer_forward(MatrixOf<T>& out, LayerActivations<T>& a, const MatrixOf<T>& x, const LayerParameters<T>& w,
                   const TransformerConfig& c, bool causal, const MatrixOf<T>* memory, DropoutDraw* dropout = nullptr) {
    const bool norm = c.norm == Norm::LayerNorm;
    const T eps = static_cast<T>(c.norm_eps);
    if (norm) layernorm_forward(a.ln1, a.ln1_cache, x, w.ln1_gamma, w.ln1_beta, eps);
    else a.ln1 = x;
    matmul_forward(a.q, a.ln1, w.wq, w.bq);
    matmul_forward(a.k, a.ln1, w.wk, w.bk);
    matmul_forward(a.v, a.ln1, w.wv, w.bv);
    attention_forward(a.atty, a.att, a.q, a.k, a.v, c.n_heads, static_cast<T>(c.scale()), causal);
    MatrixOf<T> attproj;  // n x d
    matmul_forward(attproj, a.atty, w.wo, w.bo);
    a.attention_keep.resize(0, 0);  // a reused LayerActivations keeps no old mask
    a.mlp_keep.resize(0, 0);
    if (dropout) {
        a.attention_keep = dropout_mask<T>(attproj.rows(), attproj.cols(), *dropout);
        attproj = attproj.cwiseProduct(a.attention_keep);
    }
    a.residual2 = x + attproj;  // h = x + Attn(LN1(x))
    if (memory) {
        a.residual_self = a.residual2;
        if (norm) layernorm_forward(a.lnc, a.lnc_cache, a.residual_self, w.lnc_gamma, w.lnc_beta, eps);
        else a.lnc = a.residual_self;
        matmul_forward(a.cq, a.lnc, w.cq, w.bcq);
        matmul_forward(a.ck, *memory, w.ck, w.bck);
        matmul_forward(a.cv, *memory, w.cv, w.bcv);
        attention_forward(a.catty, a.catt, a.cq, a.ck, a.cv, c.n_heads, static_cast<T>(c.scale()), false);
        MatrixOf<T> crossproj;  // n x d
        matmul_forward(crossproj, a.catty, w.co, w.bco);
        a.residual2 = a.residual_self + crossproj;  // h2 = h + CrossAttn(LNc(h), memory)
    }
    if (c.d_ff == 0) {
        out = a.residual2;
        return;
    }
    if (norm) layernorm_forward(a.ln2, a.ln2_cache, a.residual2, w.ln2_gamma, w.ln2_beta, eps);
    else a.ln2 = a.residual2;
    matmul_forward(a.fch, a.ln2, w.w1, w.b1);
    activation_forward(a.fch_act, a.fch, c.activation);
    MatrixOf<T> fcproj;  // n x d
    matmul_forward(fcproj, a.fch_act, w.w2, w.b2);
    if (dropout) {
        a.mlp_keep = dropout_mask<T>(fcproj.rows(), fcproj.cols(), *dropout);
        fcproj = fcproj.cwiseProduct(a.mlp_keep);
    }
    out = a.residual2 + fcproj;  // x' = h + MLP(LN2(h))
}

// dx: n x d. In: d loss / d out; out: d loss / d x (replaced). Adds the block's weight gradients
// to g, and with cross-attention d loss / d memory to *dmemory (m x d).
// supervised_dscores, when given, reach their heads' self-attention softmax inputs.
template <class T>
void layer_backward(MatrixOf<T>& dx, LayerParameters<T>& g, const LayerActivations<T>& a, const LayerParameters<T>& w,
                    const TransformerConfig& c, const MatrixOf<T>* memory, MatrixOf<T>* dmemory,
                    const HeadDscores<T>* supervised_dscores = nullptr) {
    const bool norm = c.norm == Norm::LayerNorm;
    const Index n = dx.rows(), d = c.d_model;
    auto zeros = [](Index rows, Index cols) { return MatrixOf<T>(MatrixOf<T>::Zero(rows, cols)); };
    // forward: out = residual2 + MLP(LN2(residual2)), so the stream passes dx on as it is
    MatrixOf<T> dresidual2 = dx;
    if (c.d_ff > 0) {
        MatrixOf<T> dfch_act = zeros(n, c.d_ff);
        // forward: the MLP's addition is fcproj (times its dropout mask)
        const MatrixOf<T> dfcproj = a.mlp_keep.size() > 0 ? MatrixOf<T>(dx.cwiseProduct(a.mlp_keep)) : dx;
        matmul_backward(dfch_act, g.w2, g.b2, dfcproj, a.fch_act, w.w2);
        MatrixOf<T> dfch = zeros(n, c.d_ff);
        activation_backward(dfch, dfch_act, a.fch, c.activation);
        MatrixOf<T> dln2 = zeros(n, d);
        matmul_backward(dln2, g.w1, g.b1, dfch, a.ln2, w.w1);
        if (norm) layernorm_backward(dresidual2, g.ln2_gamma, g.ln2_beta, dln2, a.ln2_cache, w.ln2_gamma);
        else dresidual2 += dln2;
    }
    if (memory) {
        // forward: residual2 = residual_self + catty W_Oc + b_Oc, so the stream passes it on
        MatrixOf<T> dresidual_self = dresidual2;
        MatrixOf<T> dcatty = zeros(n, d);
        matmul_backward(dcatty, g.co, g.bco, dresidual2, a.catty, w.co);
        const Index m = memory->rows();
        MatrixOf<T> dcq = zeros(n, d), dck = zeros(m, d), dcv = zeros(m, d);
        attention_backward(dcq, dck, dcv, dcatty, a.catt, a.cq, a.ck, a.cv, c.n_heads, static_cast<T>(c.scale()));
        // forward: cq = lnc W_Qc + b, ck = memory W_Kc + b, cv = memory W_Vc + b
        MatrixOf<T> dlnc = zeros(n, d);
        matmul_backward(dlnc, g.cq, g.bcq, dcq, a.lnc, w.cq);
        matmul_backward(*dmemory, g.ck, g.bck, dck, *memory, w.ck);
        matmul_backward(*dmemory, g.cv, g.bcv, dcv, *memory, w.cv);
        if (norm) layernorm_backward(dresidual_self, g.lnc_gamma, g.lnc_beta, dlnc, a.lnc_cache, w.lnc_gamma);
        else dresidual_self += dlnc;
        dresidual2 = std::move(dresidual_self);  // from here on: d loss / d h
    }
    // forward: residual2 = x + atty W_O + b_O, so again the stream passes dresidual2 on
    MatrixOf<T> dresidual = dresidual2;
    MatrixOf<T> datty = zeros(n, d);
    const MatrixOf<T> dattproj = a.attention_keep.size() > 0 ? MatrixOf<T>(dresidual2.cwiseProduct(a.attention_keep)) : dresidual2;
    matmul_backward(datty, g.wo, g.bo, dattproj, a.atty, w.wo);
    MatrixOf<T> dq = zeros(n, d), dk = zeros(n, d), dv = zeros(n, d);
    attention_backward(dq, dk, dv, datty, a.att, a.q, a.k, a.v, c.n_heads, static_cast<T>(c.scale()), supervised_dscores);
    // forward: q = ln1 W_Q + b_Q, k = ln1 W_K + b_K, v = ln1 W_V + b_V: ln1 feeds all three
    MatrixOf<T> dln1 = zeros(n, d);
    matmul_backward(dln1, g.wq, g.bq, dq, a.ln1, w.wq);
    matmul_backward(dln1, g.wk, g.bk, dk, a.ln1, w.wk);
    matmul_backward(dln1, g.wv, g.bv, dv, a.ln1, w.wv);
    if (norm) layernorm_backward(dresidual, g.ln1_gamma, g.ln1_beta, dln1, a.ln1_cache, w.ln1_gamma);
    else dresidual += dln1;
    dx = std::move(dresidual);
}

// Everything up to the final norm; the lm head runs once for the whole batch (batch_head).
// An encoder-decoder's encoder over the source: its layers (bidirectional), then the norm of
// its output, the memory every cross-attention reads.
template <class T>
void source_forward(Activations<T>& acts, const TrainableShape& shape, const Parameters<T>& p, const std::vector<int>& source) {
    const TransformerConfig& c = shape.config;
    acts.encoder_residual.resize(static_cast<std::size_t>(c.encoder_layers) + 1);
    acts.encoder_layers.resize(static_cast<std::size_t>(c.encoder_layers));
    encoder_forward(acts.encoder_residual[0], source, p.token_embedding, p.position_embedding, c.positional);
    for (std::size_t l = 0; l < acts.encoder_layers.size(); ++l)
        layer_forward(acts.encoder_residual[l + 1], acts.encoder_layers[l], acts.encoder_residual[l], p.encoder_layers[l], c,
                      false, static_cast<const MatrixOf<T>*>(nullptr));
    const MatrixOf<T>& last = acts.encoder_residual.back();
    if (c.norm == Norm::LayerNorm)
        layernorm_forward(acts.memory, acts.memory_cache, last, p.encoder_final_gamma, p.encoder_final_beta,
                          static_cast<T>(c.norm_eps));
    else acts.memory = last;
}

template <class T>
void body_forward(Activations<T>& acts, const TrainableShape& shape, const Parameters<T>& p, const std::vector<int>& ids,
                  const std::vector<int>& source, float dropout_rate = 0.0f, std::uint32_t dropout_seed = 0) {
    const TransformerConfig& c = shape.config;
    const bool seq2seq = c.is_encoder_decoder();
    if (seq2seq) source_forward(acts, shape, p, source);
    acts.residual.resize(static_cast<std::size_t>(c.n_layers) + 1);
    acts.layers.resize(static_cast<std::size_t>(c.n_layers));
    encoder_forward(acts.residual[0], ids, p.token_embedding, p.position_embedding, c.positional);
    std::optional<DropoutDraw> dropout;
    acts.embedding_keep.resize(0, 0);
    if (dropout_rate > 0.0f) {
        dropout.emplace(DropoutDraw{dropout_rate, std::mt19937(dropout_seed)});
        acts.embedding_keep = dropout_mask<T>(acts.residual[0].rows(), acts.residual[0].cols(), *dropout);
        acts.residual[0] = acts.residual[0].cwiseProduct(acts.embedding_keep);
    }
    for (std::size_t l = 0; l < acts.layers.size(); ++l)
        layer_forward(acts.residual[l + 1], acts.layers[l], acts.residual[l], p.layers[l], c, c.causal,
                      seq2seq ? &acts.memory : nullptr, dropout ? &*dropout : nullptr);
    const MatrixOf<T>& last = acts.residual.back();
    if (c.norm == Norm::LayerNorm)
        layernorm_forward(acts.lnf, acts.lnf_cache, last, p.final_gamma, p.final_beta, static_cast<T>(c.norm_eps));
    else acts.lnf = last;
}

template <class T>
void model_forward(Activations<T>& acts, const TrainableShape& shape, const Parameters<T>& p, const std::vector<int>& ids,
                   const std::vector<int>& source) {
    body_forward(acts, shape, p, ids, source);
    head_forward(acts.logits, acts.lnf, p);
}

// Adds this sentence's gradient into grads, given d loss / d lnf (the head's part is done by
// batch_head) and, for supervised attention, d objective / d (softmax input) of the supervised
// heads, per layer of the decoder stack (empty: none).
template <class T>
void body_backward(Parameters<T>& grads, const Activations<T>& acts, const TrainableShape& shape,
                   const Parameters<T>& p, const Example& e, const MatrixOf<T>& dlnf,
                   const std::map<int, HeadDscores<T>>& supervised_dscores = {}) {
    const TransformerConfig& c = shape.config;
    const bool seq2seq = c.is_encoder_decoder();
    MatrixOf<T> dx = MatrixOf<T>::Zero(dlnf.rows(), c.d_model);  // d loss / d residual[l + 1], walking down the layers
    if (c.norm == Norm::LayerNorm) layernorm_backward(dx, grads.final_gamma, grads.final_beta, dlnf, acts.lnf_cache, p.final_gamma);
    else dx = dlnf;
    // every decoder layer's cross-attention reads the memory: their gradients add up here
    MatrixOf<T> dmemory = MatrixOf<T>::Zero(seq2seq ? acts.memory.rows() : 0, c.d_model);
    for (std::size_t l = acts.layers.size(); l-- > 0;) {
        const auto supervised = supervised_dscores.find(static_cast<int>(l));
        layer_backward(dx, grads.layers[l], acts.layers[l], p.layers[l], c, seq2seq ? &acts.memory : nullptr,
                       seq2seq ? &dmemory : nullptr, supervised == supervised_dscores.end() ? nullptr : &supervised->second);
    }
    if (acts.embedding_keep.size() > 0) dx = dx.cwiseProduct(acts.embedding_keep);  // forward: residual[0] = embeddings * mask
    encoder_backward(grads.token_embedding, grads.position_embedding, dx, e.ids, c.positional);
    if (!seq2seq) return;
    // forward: memory = LN(encoder_residual.back()), then the encoder's layers, then the source's embeddings
    MatrixOf<T> dsource = MatrixOf<T>::Zero(dmemory.rows(), c.d_model);
    if (c.norm == Norm::LayerNorm)
        layernorm_backward(dsource, grads.encoder_final_gamma, grads.encoder_final_beta, dmemory, acts.memory_cache,
                           p.encoder_final_gamma);
    else dsource = dmemory;
    for (std::size_t l = acts.encoder_layers.size(); l-- > 0;)
        layer_backward(dsource, grads.encoder_layers[l], acts.encoder_layers[l], p.encoder_layers[l], c,
                       static_cast<const MatrixOf<T>*>(nullptr), static_cast<MatrixOf<T>*>(nullptr));
    encoder_backward(grads.token_embedding, grads.position_embedding, dsource, e.source, c.positional);
}

// The lm head and the cross-entropy for the rows of a whole batch that have a target, as one
// product: with a vocabulary of thousands of words this is most of a step's work, and one
// (rows x d) x (d x V) product runs far faster than one per sentence. Rows without a target
// (an encoder's unmasked words, a decoder's last word) cost nothing. Returns the summed loss;
// with grads, adds the head's gradient and writes d loss / d lnf (rows x d) into dfinal.
template <class T>
T batch_head(const MatrixOf<T>& final_rows, const std::vector<int>& targets, const Parameters<T>& p, T weight,
             Parameters<T>* grads, MatrixOf<T>* dfinal) {
    MatrixOf<T> logits, probs;
    head_forward(logits, final_rows, p);
    const T loss = crossentropy_forward(probs, logits, targets);
    if (grads == nullptr) return loss;
    MatrixOf<T> dlogits;
    crossentropy_backward(dlogits, probs, targets, weight);
    dfinal->setZero(final_rows.rows(), final_rows.cols());
    head_backward(*dfinal, *grads, dlogits, final_rows, p);
    return loss;
}

// The final-norm rows of every target position of a batch, stacked in order, and their targets.
template <class T>
void gather_target_rows(MatrixOf<T>& rows, std::vector<int>& targets, const std::vector<Activations<T>>& acts,
                        const std::vector<Example>& batch, Index d) {
    targets.clear();
    for (const Example& e : batch)
        for (int t : e.targets)
            if (t >= 0) targets.push_back(t);
    rows.resize(static_cast<Index>(targets.size()), d);
    Index row = 0;
    for (std::size_t s = 0; s < batch.size(); ++s)
        for (std::size_t i = 0; i < batch[s].targets.size(); ++i)
            if (batch[s].targets[i] >= 0) rows.row(row++) = acts[s].lnf.row(static_cast<Index>(i));
}

// Every sentence up to its final norm, in order, and the final-norm rows that have a target.
template <class T>
void batch_forward(std::vector<Activations<T>>& acts, MatrixOf<T>& rows, std::vector<int>& targets,
                   const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& batch) {
    acts.resize(batch.size());
    for (std::size_t s = 0; s < batch.size(); ++s) {
        assert(batch[s].ids.size() == batch[s].targets.size());
        body_forward(acts[s], shape, p, batch[s].ids, batch[s].source, batch[s].dropout, batch[s].dropout_seed);
    }
    gather_target_rows(rows, targets, acts, batch, shape.config.d_model);
}

std::size_t count_targets(const std::vector<Example>& batch) {
    std::size_t count = 0;
    for (const Example& e : batch)
        for (int t : e.targets) count += t >= 0 ? 1 : 0;
    return count;
}

// [SECTION] Supervised attention: heads taught where to look

// How many of the batch's attention targets each supervised head has (inactive heads: 0).
std::vector<std::size_t> count_attention_targets(const std::vector<Example>& batch, const AttentionSupervisions& supervisions) {
    std::vector<std::size_t> counts(supervisions.size(), 0);
    for (const Example& e : batch)
        for (const AttentionTarget& target : e.attention_targets) {
            const auto s = static_cast<std::size_t>(target.supervision);
            if (s < supervisions.size() && supervisions[s].active()) ++counts[s];
        }
    return counts;
}

// One supervised head's weights in one sentence's pass (n x n, rows = queries).
template <class T>
const MatrixOf<T>& supervised_weights(const Activations<T>& acts, const AttentionSupervision& supervision) {
    return acts.layers.at(static_cast<std::size_t>(supervision.layer)).att.weights.at(static_cast<std::size_t>(supervision.head));
}

// -sum_j t_j log w(query, j), t spread evenly over the target's keys. A weight that underflowed
// to 0 counts as the smallest normal number, so the sum stays finite.
template <class T>
T attention_cross_entropy(const MatrixOf<T>& w, const AttentionTarget& target) {
    T sum = 0;
    const T share = T(1) / static_cast<T>(target.keys.size());
    for (int key : target.keys) sum -= share * std::log(std::max(w(target.query, key), std::numeric_limits<T>::min()));
    return sum;
}

// forward: w(q, :) = softmax(s(q, :)), loss = -sum_j t_j log w(q, j) with sum_j t_j = 1, so
// d loss / d s(q, :) = w(q, :) - t. Scaled by `factor` (the head's weight over its target count)
// and added into dscores (n x n).
template <class T>
void add_attention_cross_entropy_dscores(MatrixOf<T>& dscores, const MatrixOf<T>& w, const AttentionTarget& target, T factor) {
    dscores.row(target.query) += factor * w.row(target.query);
    const T share = factor / static_cast<T>(target.keys.size());
    for (int key : target.keys) dscores(target.query, key) -= share;
}

// The weight of each supervised head over its target count in the whole batch (0: no term).
template <class T>
std::vector<T> attention_factors(const BatchCounts& whole, const AttentionSupervisions& supervisions) {
    std::vector<T> factors(supervisions.size(), T(0));
    for (std::size_t s = 0; s < supervisions.size() && s < whole.attention_targets.size(); ++s)
        if (whole.attention_targets[s] > 0) factors[s] = static_cast<T>(supervisions[s].weight) / static_cast<T>(whole.attention_targets[s]);
    return factors;
}

// One sentence's share of the supervised term, and (when `dscores` is given) its gradient with
// respect to each supervised head's softmax input, by layer.
template <class T>
T supervised_term(const Activations<T>& acts, const Example& e, const AttentionSupervisions& supervisions,
                  const std::vector<T>& factors, std::map<int, HeadDscores<T>>* dscores) {
    T term = 0;
    for (const AttentionTarget& target : e.attention_targets) {
        const auto s = static_cast<std::size_t>(target.supervision);
        if (s >= factors.size() || factors[s] == T(0)) continue;
        const AttentionSupervision& supervision = supervisions[s];
        const MatrixOf<T>& w = supervised_weights(acts, supervision);
        term += factors[s] * attention_cross_entropy(w, target);
        if (!dscores) continue;
        auto [cell, added] = (*dscores)[supervision.layer].try_emplace(supervision.head);
        if (added) cell->second = MatrixOf<T>::Zero(w.rows(), w.cols());
        add_attention_cross_entropy_dscores(cell->second, w, target, factors[s]);
    }
    return term;
}

}  // namespace

// [SECTION] Batches and instantiations

template <class T>
MatrixOf<T> forward_logits(const TrainableShape& shape, const Parameters<T>& p, const std::vector<int>& ids,
                           const std::vector<int>& source) {
    Activations<T> acts;
    model_forward(acts, shape, p, ids, source);
    return std::move(acts.logits);
}

template <class T>
T batch_loss(const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& batch) {
    const std::size_t count = count_targets(batch);
    if (count == 0) return T(0);
    std::vector<Activations<T>> acts;
    MatrixOf<T> rows;
    std::vector<int> targets;
    batch_forward(acts, rows, targets, shape, p, batch);
    return batch_head<T>(rows, targets, p, T(0), nullptr, nullptr) / static_cast<T>(count);
}

template <class T>
T batch_attention_loss(const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& batch,
                       const AttentionSupervisions& supervisions) {
    const std::vector<T> factors = attention_factors<T>(count_batch(batch, supervisions), supervisions);
    T sum = 0;
    for (const Example& e : batch) {
        if (e.attention_targets.empty()) continue;
        Activations<T> acts;
        body_forward(acts, shape, p, e.ids, e.source);
        sum += supervised_term<T>(acts, e, supervisions, factors, nullptr);
    }
    return sum;
}

BatchCounts count_batch(const std::vector<Example>& batch, const AttentionSupervisions& supervisions) {
    return {count_targets(batch), count_attention_targets(batch, supervisions)};
}

template <class T>
T shard_loss_and_gradients(const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& shard,
                           const BatchCounts& whole, Parameters<T>& grads, const AttentionSupervisions& supervisions,
                           T* attention_loss) {
    grads = zero_parameters<T>(shape);
    if (attention_loss) *attention_loss = T(0);
    if (whole.targets == 0) return T(0);
    const T weight = T(1) / static_cast<T>(whole.targets);  // the loss is the mean over the batch's targets
    std::vector<Activations<T>> acts;
    MatrixOf<T> rows, drows;
    std::vector<int> targets;
    batch_forward(acts, rows, targets, shape, p, shard);
    const T total = batch_head<T>(rows, targets, p, weight, &grads, &drows);
    const std::vector<T> factors = attention_factors<T>(whole, supervisions);
    T attention_sum = 0;
    Index row = 0;
    for (std::size_t s = 0; s < shard.size(); ++s) {  // in order, one thread: the same sums in the same order every run
        const Example& e = shard[s];
        MatrixOf<T> dlnf = MatrixOf<T>::Zero(static_cast<Index>(e.ids.size()), shape.config.d_model);
        for (std::size_t i = 0; i < e.targets.size(); ++i)
            if (e.targets[i] >= 0) dlnf.row(static_cast<Index>(i)) = drows.row(row++);
        std::map<int, HeadDscores<T>> dscores;
        attention_sum += supervised_term<T>(acts[s], e, supervisions, factors, &dscores);
        body_backward(grads, acts[s], shape, p, e, dlnf, dscores);
    }
    if (attention_loss) *attention_loss = attention_sum;
    return total * weight;
}

template <class T>
T batch_loss_and_gradients(const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& batch,
                           Parameters<T>& grads, const AttentionSupervisions& supervisions, T* attention_loss) {
    return shard_loss_and_gradients(shape, p, batch, count_batch(batch, supervisions), grads, supervisions, attention_loss);
}

template Parameters<float> zero_parameters<float>(const TrainableShape&);
template Parameters<double> zero_parameters<double>(const TrainableShape&);
template MatrixOf<float> forward_logits<float>(const TrainableShape&, const Parameters<float>&, const std::vector<int>&,
                                              const std::vector<int>&);
template MatrixOf<double> forward_logits<double>(const TrainableShape&, const Parameters<double>&, const std::vector<int>&,
                                                 const std::vector<int>&);
template float batch_loss<float>(const TrainableShape&, const Parameters<float>&, const std::vector<Example>&);
template double batch_loss<double>(const TrainableShape&, const Parameters<double>&, const std::vector<Example>&);
template float batch_attention_loss<float>(const TrainableShape&, const Parameters<float>&, const std::vector<Example>&,
                                           const AttentionSupervisions&);
template double batch_attention_loss<double>(const TrainableShape&, const Parameters<double>&, const std::vector<Example>&,
                                             const AttentionSupervisions&);
template float shard_loss_and_gradients<float>(const TrainableShape&, const Parameters<float>&, const std::vector<Example>&,
                                               const BatchCounts&, Parameters<float>&, const AttentionSupervisions&, float*);
template double shard_loss_and_gradients<double>(const TrainableShape&, const Parameters<double>&,
                                                 const std::vector<Example>&, const BatchCounts&, Parameters<double>&,
                                                 const AttentionSupervisions&, double*);
template float batch_loss_and_gradients<float>(const TrainableShape&, const Parameters<float>&, const std::vector<Example>&,
                                               Parameters<float>&, const AttentionSupervisions&, float*);
template double batch_loss_and_gradients<double>(const TrainableShape&, const Parameters<double>&,
                                                 const std::vector<Example>&, Parameters<double>&, const AttentionSupervisions&,
                                                 double*);

}  // namespace attnscope
