// The own-format transformer as the trainer sees it: its parameters as one struct of named
// tensors, a forward pass that keeps what the backward pass needs, the backward pass itself and
// the cross-entropy loss. Templated on the scalar so the trainer runs in float and the gradient
// check in double; both are instantiated in transformer_backward.cpp.
//
// Legend: n = tokens of one sentence, d = d_model, H = n_heads, dh = d_head = d / H, F = d_ff,
// V = vocab size, L = n_layers. Matrices are row-major, one row per token, as everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "attnscope/transformer.h"

namespace attnscope {

template <class T>
using MatrixOf = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A TransformerConfig plus the two choices the own format leaves to the file: whether the
// biases exist and whether the LM head is tied to the token embedding.
struct TrainableShape {
    TransformerConfig config;
    int vocab_size = 0;
    bool biases = true;     // false: every bias is absent (zero) and never trained
    bool tied_head = true;  // true: logits = x E^T; false: logits = x lm_head
};

// Decides how AdamW treats a tensor: weight decay applies to Matrix and Embedding kinds only,
// as in GPT-2, never to biases or norm parameters.
enum class ParameterKind { Embedding, Matrix, Bias, NormGain, NormBias, Count };

// Empty (0 x 0) tensors are the ones the shape does not have (no norm, no MLP, no biases,
// tied head, positions not learned); they are skipped everywhere.
template <class T>
struct LayerParameters {
    MatrixOf<T> ln1_gamma, ln1_beta;  // 1 x d
    MatrixOf<T> wq, wk, wv, wo;       // d x d, in x out
    MatrixOf<T> bq, bk, bv, bo;       // 1 x d
    MatrixOf<T> ln2_gamma, ln2_beta;  // 1 x d
    MatrixOf<T> w1;                   // d x F
    MatrixOf<T> b1;                   // 1 x F
    MatrixOf<T> w2;                   // F x d
    MatrixOf<T> b2;                   // 1 x d
    // Encoder-decoders' decoder layers: cross-attention's norm, projections and biases (the
    // queries read the decoder, the keys and values the encoder's output). Empty otherwise.
    MatrixOf<T> lnc_gamma, lnc_beta;  // 1 x d
    MatrixOf<T> cq, ck, cv, co;       // d x d
    MatrixOf<T> bcq, bck, bcv, bco;   // 1 x d
};

template <class T>
struct Parameters {
    MatrixOf<T> token_embedding;     // V x d
    MatrixOf<T> position_embedding;  // max_len x d
    std::vector<LayerParameters<T>> layers;
    MatrixOf<T> final_gamma, final_beta;  // 1 x d
    MatrixOf<T> lm_head;                  // d x V
    // Encoder-decoders (config.encoder_layers > 0): the encoder's layers and its output norm.
    std::vector<LayerParameters<T>> encoder_layers;
    MatrixOf<T> encoder_final_gamma, encoder_final_beta;  // 1 x d
};

// Calls fn(name, kind, tensor) for every tensor the shape has, always in the same order.
// Names follow the JSON paths: "layers[1].wq", "layers[0].ln2.gamma", "final_norm.beta".
// P is Parameters<T> or const Parameters<T>.
template <class P, class Fn>
void for_each_parameter(P& p, Fn&& fn) {
    auto visit = [&](const std::string& name, ParameterKind kind, auto& m) {
        if (m.size() > 0) fn(name, kind, m);
    };
    visit("token_embedding", ParameterKind::Embedding, p.token_embedding);
    visit("position_embedding", ParameterKind::Embedding, p.position_embedding);
    auto visit_layer = [&](const std::string& at, auto& w) {
        visit(at + "ln1.gamma", ParameterKind::NormGain, w.ln1_gamma);
        visit(at + "ln1.beta", ParameterKind::NormBias, w.ln1_beta);
        visit(at + "wq", ParameterKind::Matrix, w.wq);
        visit(at + "bq", ParameterKind::Bias, w.bq);
        visit(at + "wk", ParameterKind::Matrix, w.wk);
        visit(at + "bk", ParameterKind::Bias, w.bk);
        visit(at + "wv", ParameterKind::Matrix, w.wv);
        visit(at + "bv", ParameterKind::Bias, w.bv);
        visit(at + "wo", ParameterKind::Matrix, w.wo);
        visit(at + "bo", ParameterKind::Bias, w.bo);
        visit(at + "ln2.gamma", ParameterKind::NormGain, w.ln2_gamma);
        visit(at + "ln2.beta", ParameterKind::NormBias, w.ln2_beta);
        visit(at + "w1", ParameterKind::Matrix, w.w1);
        visit(at + "b1", ParameterKind::Bias, w.b1);
        visit(at + "w2", ParameterKind::Matrix, w.w2);
        visit(at + "b2", ParameterKind::Bias, w.b2);
        visit(at + "cross.ln.gamma", ParameterKind::NormGain, w.lnc_gamma);
        visit(at + "cross.ln.beta", ParameterKind::NormBias, w.lnc_beta);
        visit(at + "cross.wq", ParameterKind::Matrix, w.cq);
        visit(at + "cross.bq", ParameterKind::Bias, w.bcq);
        visit(at + "cross.wk", ParameterKind::Matrix, w.ck);
        visit(at + "cross.bk", ParameterKind::Bias, w.bck);
        visit(at + "cross.wv", ParameterKind::Matrix, w.cv);
        visit(at + "cross.bv", ParameterKind::Bias, w.bcv);
        visit(at + "cross.wo", ParameterKind::Matrix, w.co);
        visit(at + "cross.bo", ParameterKind::Bias, w.bco);
    };
    for (std::size_t l = 0; l < p.layers.size(); ++l) visit_layer("layers[" + std::to_string(l) + "].", p.layers[l]);
    visit("final_norm.gamma", ParameterKind::NormGain, p.final_gamma);
    visit("final_norm.beta", ParameterKind::NormBias, p.final_beta);
    visit("lm_head", ParameterKind::Matrix, p.lm_head);
    for (std::size_t l = 0; l < p.encoder_layers.size(); ++l)
        visit_layer("encoder.layers[" + std::to_string(l) + "].", p.encoder_layers[l]);
    visit("encoder.final_norm.gamma", ParameterKind::NormGain, p.encoder_final_gamma);
    visit("encoder.final_norm.beta", ParameterKind::NormBias, p.encoder_final_beta);
}

// Every tensor of the shape at its size, filled with zeros (the start of a gradient).
template <class T>
Parameters<T> zero_parameters(const TrainableShape& shape);

// The same tensors in another scalar type (float weights -> double for the gradient check).
template <class To, class From>
Parameters<To> cast_parameters(const Parameters<From>& p) {
    auto c = [](const MatrixOf<From>& m) { return MatrixOf<To>(m.template cast<To>()); };
    auto layer = [&](const LayerParameters<From>& a) {
        LayerParameters<To> b;
        b.ln1_gamma = c(a.ln1_gamma); b.ln1_beta = c(a.ln1_beta);
        b.wq = c(a.wq); b.wk = c(a.wk); b.wv = c(a.wv); b.wo = c(a.wo);
        b.bq = c(a.bq); b.bk = c(a.bk); b.bv = c(a.bv); b.bo = c(a.bo);
        b.ln2_gamma = c(a.ln2_gamma); b.ln2_beta = c(a.ln2_beta);
        b.w1 = c(a.w1); b.b1 = c(a.b1); b.w2 = c(a.w2); b.b2 = c(a.b2);
        b.lnc_gamma = c(a.lnc_gamma); b.lnc_beta = c(a.lnc_beta);
        b.cq = c(a.cq); b.ck = c(a.ck); b.cv = c(a.cv); b.co = c(a.co);
        b.bcq = c(a.bcq); b.bck = c(a.bck); b.bcv = c(a.bcv); b.bco = c(a.bco);
        return b;
    };
    Parameters<To> out;
    out.token_embedding = c(p.token_embedding);
    out.position_embedding = c(p.position_embedding);
    for (const auto& a : p.layers) out.layers.push_back(layer(a));
    out.final_gamma = c(p.final_gamma);
    out.final_beta = c(p.final_beta);
    out.lm_head = c(p.lm_head);
    for (const auto& a : p.encoder_layers) out.encoder_layers.push_back(layer(a));
    out.encoder_final_gamma = c(p.encoder_final_gamma);
    out.encoder_final_beta = c(p.encoder_final_beta);
    return out;
}

// The trainable tensors of a model, and back. weights_from_parameters gives absent biases as
// zeros and W_O as a matrix (has_wo), which is what write_json_model writes.
Parameters<float> parameters_from_weights(const TrainableShape& shape, const TransformerWeights& weights);
TransformerWeights weights_from_parameters(const TrainableShape& shape, const Parameters<float>& p);

// Supervised attention: the query at `query` should spread its weight evenly over `keys` (for
// an ambiguous word, the words of its sentence that tell its sense), in the head that
// AttentionSupervision names.
struct AttentionTarget {
    int query = 0;
    std::vector<int> keys;  // distinct, in order; a causal model's are <= query
    int supervision = 0;    // which supervised head teaches it: an index into AttentionSupervisions
};

// One training sentence: ids fed to the model and, per position, the id the model should
// predict there or -1 for no loss at that position.
struct Example {
    std::vector<int> ids;      // n
    std::vector<int> targets;  // n; -1 = ignored
    std::vector<int> source{};  // encoder-decoders: what the encoder reads (ids are the decoder's)
    std::vector<AttentionTarget> attention_targets{};  // read only when an AttentionSupervision is active
    // Dropout on the embeddings and on what each attention and MLP block adds to the residual
    // stream (the decoder stack's): each such value is zeroed with this chance and the rest scaled
    // by 1 / (1 - dropout). The masks are drawn from dropout_seed, so a sentence's pass, and its
    // gradient, are the same every time it is computed. 0: none.
    float dropout = 0.0f;
    std::uint32_t dropout_seed = 0;
};

// Which head's weights are taught directly, and how strongly (Strubell et al. 2018 train one
// head to attend to each word's syntactic parent the same way). The objective becomes
//   mean cross-entropy of the words + sum over the supervised heads of
//   weight * mean over the batch's attention targets for that head of -sum_j t_j log w(query, j),
// with t spread evenly over the target's keys. Several heads may each be taught other keys.
// Inactive (layer < 0 or weight 0): the words' loss alone, as before.
struct AttentionSupervision {
    int layer = -1, head = 0;  // a self-attention layer of the decoder stack (the only stack of a decoder or encoder)
    float weight = 0.0f;
    // Which words count as deciding (Trainer::deciding_words): the share of a word's sentences
    // that must have the sense, and how many of the corpus's commonest words never decide.
    float min_share = 0.9f;
    int skip_commonest = 0;
    // Which of a sentence's deciding words the head looks at (the target spreads evenly over them).
    enum class Keys {
        All,     // every one
        Purest,  // the one with the highest share (of two pure words, the more frequent)
        Rarest,  // the one least frequent in the corpus: the most specific clue
        Before,  // the ones before the ambiguous word
        After,   // the ones after it (an encoder's)
        First,   // the earliest in the sentence: where a sentence sets its scene, often its subject
        Count,
    };
    Keys keys = Keys::All;
    // masked_word: also teach the head where the ambiguous word itself was chosen for prediction
    // (shown as <mask>, a random word or itself). The hidden word's position then looks for the
    // words that tell what it hides, which is what filling it in needs; otherwise such a query
    // teaches nothing, since the head's target is the sense of a word it cannot see.
    bool at_masks = false;
    bool active() const { return layer >= 0 && weight > 0.0f; }
};
using AttentionSupervisions = std::vector<AttentionSupervision>;

// The model's logits for one sentence, n x V. The same math as TransformerModel::forward (an
// encoder-decoder: decode over `ids` with the encoder over `source`).
template <class T>
MatrixOf<T> forward_logits(const TrainableShape& shape, const Parameters<T>& p, const std::vector<int>& ids,
                           const std::vector<int>& source = {});

// Mean cross-entropy over every target of the batch (sentences may differ in length).
template <class T>
T batch_loss(const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& batch);

// The supervised heads' term of the objective: the sum over the active heads of their weight times
// their mean attention cross-entropy over the batch's targets for them (a head without targets: 0).
template <class T>
T batch_attention_loss(const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& batch,
                       const AttentionSupervisions& supervision);

// The same loss, and its gradient with respect to every parameter, written into `grads`
// (overwritten; it takes the parameters' shapes). Sentences run one after another in order,
// so the sums are always added in the same order and a run is reproducible bit for bit.
// With supervised heads the gradient is that of batch_loss + batch_attention_loss; the words'
// loss is still what it returns, and the attention term goes to *attention_loss.
template <class T>
T batch_loss_and_gradients(const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& batch,
                           Parameters<T>& grads, const AttentionSupervisions& supervision = {},
                           T* attention_loss = nullptr);

// What a batch's losses are divided by: its number of word targets, and each supervised head's
// number of attention targets. A shard of a batch (data parallel) is divided by its whole batch's.
struct BatchCounts {
    std::size_t targets = 0;
    std::vector<std::size_t> attention_targets;  // per AttentionSupervision (inactive: 0)
};
BatchCounts count_batch(const std::vector<Example>& batch, const AttentionSupervisions& supervisions);

// batch_loss_and_gradients for `shard`, a part of a batch whose counts are `whole`: the shards'
// losses, attention losses and gradients add up to the whole batch's.
template <class T>
T shard_loss_and_gradients(const TrainableShape& shape, const Parameters<T>& p, const std::vector<Example>& shard,
                           const BatchCounts& whole, Parameters<T>& grads, const AttentionSupervisions& supervision = {},
                           T* attention_loss = nullptr);

// The same as batch_loss_and_gradients with the batch cut into `shards` consecutive parts of
// (nearly) equal size, each computed on a thread of its own, their losses and gradients added in
// shard order. The result depends on `shards` but never on the machine's cores or the threads'
// timing, so a run is still reproducible bit for bit; shards = 1 is batch_loss_and_gradients.
float sharded_loss_and_gradients(const TrainableShape& shape, const Parameters<float>& p, const std::vector<Example>& batch,
                                 int shards, Parameters<float>& grads, const AttentionSupervisions& supervision = {},
                                 float* attention_loss = nullptr);

extern template Parameters<float> zero_parameters<float>(const TrainableShape&);
extern template Parameters<double> zero_parameters<double>(const TrainableShape&);
extern template MatrixOf<float> forward_logits<float>(const TrainableShape&, const Parameters<float>&, const std::vector<int>&,
                                                     const std::vector<int>&);
extern template MatrixOf<double> forward_logits<double>(const TrainableShape&, const Parameters<double>&,
                                                        const std::vector<int>&, const std::vector<int>&);
extern template float batch_loss<float>(const TrainableShape&, const Parameters<float>&, const std::vector<Example>&);
extern template double batch_loss<double>(const TrainableShape&, const Parameters<double>&, const std::vector<Example>&);
extern template float batch_attention_loss<float>(const TrainableShape&, const Parameters<float>&,
                                                  const std::vector<Example>&, const AttentionSupervisions&);
extern template double batch_attention_loss<double>(const TrainableShape&, const Parameters<double>&,
                                                    const std::vector<Example>&, const AttentionSupervisions&);
extern template float shard_loss_and_gradients<float>(const TrainableShape&, const Parameters<float>&,
                                                      const std::vector<Example>&, const BatchCounts&, Parameters<float>&,
                                                      const AttentionSupervisions&, float*);
extern template double shard_loss_and_gradients<double>(const TrainableShape&, const Parameters<double>&,
                                                        const std::vector<Example>&, const BatchCounts&, Parameters<double>&,
                                                        const AttentionSupervisions&, double*);
extern template float batch_loss_and_gradients<float>(const TrainableShape&, const Parameters<float>&,
                                                      const std::vector<Example>&, Parameters<float>&,
                                                      const AttentionSupervisions&, float*);
extern template double batch_loss_and_gradients<double>(const TrainableShape&, const Parameters<double>&,
                                                        const std::vector<Example>&, Parameters<double>&,
                                                        const AttentionSupervisions&, double*);

}  // namespace attnscope
