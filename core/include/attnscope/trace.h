// Trace: everything one forward pass computed that the views show. Immutable once built; shared
// between the worker thread and the panels through shared_ptr<const Trace>. It names the model
// that made it, so a view decodes or explains it with that model's tokenizer and weights, never
// with whichever model happens to be loaded now.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/model_info.h"
#include "attnscope/tokenizer.h"

namespace attnscope {

// What the overview and the head rankings read about a head, made in the forward pass a block of
// query rows at a time, so a trace of any length has them without its n x n matrices.
struct HeadSummary {
    // The pooled map's cells cover this many queries by as many keys: fixed, not a fraction of n,
    // so appending tokens (prefix reuse) only adds cells.
    static constexpr int kPoolTokens = 32;
    // ceil(n / kPoolTokens) x ceil(n_keys / kPoolTokens) (square for self-attention): cell (a, b) is
    // the largest weight of queries [32a, 32a + 32) on keys [32b, 32b + 32). The maximum, not the
    // mean, so a thin diagonal stays visible.
    Matrix pooled;
    // Per query row: the entropy of its weights in bits; the weight on the previous token (row 0:
    // 0), on itself, on token 0; and sum_j w_ij |i - j|, how far from itself the row looks.
    RowVector entropy, previous, same, first, distance;
};

// Shapes: n = tokens, n_keys = the keys' sequence length (n, or the source's for cross-attention),
// d_head = head width.
struct HeadTrace {
    Matrix q;        // n x d_head: the queries actually multiplied (after RoPE where the model has it)
    Matrix k;        // n_keys x d_head: this head's keys (its KV group's for grouped heads)
    Matrix v;        // n_keys x d_head
    // Kept only when the forward pass was asked to (ForwardOptions::keep_attention: short texts,
    // the app); otherwise empty, and Trace::head_scores / head_weights compute them from q and k.
    Matrix scores;   // n x n_keys, rows = queries: q k^T * scale (then soft-capped: ScoreShaping); masked cells are -infinity
    Matrix weights;  // n x n_keys: softmax of each scores row; masked cells exactly 0, rows sum to 1
    Matrix out;      // n x d_head: weights v
    HeadSummary summary;
    // Added to the scaled scores before the mask, by key - query distance (T5's relative position
    // bias): score(i, j) += relative_bias(j - i + n - 1), n + n_keys - 1 entries. Empty: none.
    RowVector relative_bias;
};

// One head's n x n scores or weights. Kept matrices are lent (valid while the Trace lives);
// computed ones are shared with the attention cache (attention_cache.h).
using AttentionMatrix = std::shared_ptr<const Matrix>;

// How a layer shapes its scores beyond the scale and the causal mask: Gemma 2's and 3's soft-capping
// and sliding windows (trace JSON version 2's "attention" object). Default: neither.
struct ScoreShaping {
    // > 0: each score s becomes softcap * tanh(s / softcap) after the scale (and any bias), before
    // the mask: scores stay inside (-softcap, softcap).
    float softcap = 0.0f;
    // > 0, causal layers only: a sliding-window layer, where query i sees keys i - window + 1 .. i;
    // earlier keys are masked as later ones are (-infinity, weight 0).
    int window = 0;
    bool any() const { return softcap > 0.0f || window > 0; }
    // The first key query i sees: 0 without a window.
    Index first_key(Index i) const { return window > 0 && i >= window ? i - window + 1 : 0; }
};

struct LayerTrace {
    Matrix x;  // n x d_model: the attention input, after the layer's norm (Q = x W_Q + b_Q)
    std::vector<HeadTrace> heads;
    // The factor this layer's scores were multiplied by: 1/sqrt(d_head) unless configured, and
    // per layer because GPT-2's scale_attn_by_inverse_layer_idx also divides layer l by l + 1.
    float scale = 1.0f;
    // Whether a query sees only itself and earlier keys (decoders): how its scores are masked.
    bool causal = false;
    ScoreShaping shaping{};
    // Cross-attention (an encoder-decoder's decoder): the queries are the trace's tokens, the keys
    // and values come from Trace::source_tokens (the encoder's), so its matrices are n x n_source.
    // Never causal. Self-attention otherwise: queries and keys are the same sequence.
    bool cross = false;
    // A cross layer's other input: the encoder's output rows, which its keys and values are
    // computed from (K = key_x W_K + b_K; n_source x d_model). Empty for self-attention (K reads x).
    Matrix key_x{};
};

struct ForwardOptions;
class Model;

// A fresh Trace::id, unique in the process: every producer (the GUI's workers, training frames,
// the CLI) draws from this one atomic counter, so a cache keyed by id never mixes two traces.
std::uint64_t next_trace_id();

struct Trace {
    Trace() = default;
    Trace(const Trace&) = default;
    Trace(Trace&&) = default;
    Trace& operator=(const Trace&) = default;
    Trace& operator=(Trace&&) = default;
    ~Trace();  // drops its matrices from the attention cache

    std::uint64_t id = 0;  // from next_trace_id(): caches key on it, never on the address
    ModelInfo model;
    // The model whose forward pass this is (null for traces built by hand). Views decode logits
    // with its tokenizer and show its W; it keeps the model alive as long as the trace.
    std::shared_ptr<const Model> made_by;
    std::string text;
    std::vector<Token> tokens;
    // The other sequence of an encoder-decoder trace: the text the encoder read and its tokens, the
    // keys of every `cross` layer. Empty for decoders and encoders alone.
    std::string source_text;
    std::vector<Token> source_tokens;
    std::vector<LayerTrace> layers;
    // An encoder-decoder's cross-attention: entry l is decoder layer l's, its queries the trace's
    // tokens and its keys and values the source's (n x n_source; `cross` set). The encoder's own
    // pass is `source`: its tokens are source_tokens and its layers the encoder's self-attention.
    // Both empty for decoders and encoders alone. cross_attention_trace() shows the cross layers
    // as a trace's `layers`, so every view reads them as it reads self-attention.
    std::vector<LayerTrace> cross_layers;
    std::shared_ptr<const Trace> source;
    // Next-token (decoder) or masked-token (encoder) logits: row r belongs to token
    // logits_first_token + r. All tokens, only the last (decoders by default), or none.
    Matrix logits;
    int logits_first_token = 0;
    double compute_ms = 0.0;
    // Set when only the start of the text was traced (TraceOptions::trace_start_of_long_text):
    // "the text has 10000 tokens; model 'x' takes at most 32 (max_len): the first 32 are traced".
    // `tokens` then covers the traced part; `text` is still the whole text.
    std::string note;
    // ForwardOptions::keep_residual: entry l is the residual stream after layer l (n x d_model),
    // what the logit lens reads. Empty otherwise.
    std::vector<Matrix> residual;
    // Leading rows of every layer taken as they were from an earlier trace of the same model,
    // not computed (Model::forward_reusing_prefix: a decoder while the user types); 0 otherwise.
    int reused_rows = 0;

    const HeadTrace& head(int layer, int head_index) const { return layers[layer].heads[head_index]; }

    // A head's n x n scores and weights, kept or computed on demand (the same numbers: the same
    // kernel in the same blocks; attention.h). Computing one takes O(n^2 d_head) and n^2 floats.
    bool keeps_attention() const { return layers.empty() || layers[0].heads.empty() || layers[0].heads[0].weights.size() > 0; }
    AttentionMatrix head_scores(int layer, int head_index) const;
    AttentionMatrix head_weights(int layer, int head_index) const;
    // Query rows [r0, r1) only: O((r1 - r0) n) memory, nothing cached (long texts, a few rows).
    Matrix head_score_rows(int layer, int head_index, int r0, int r1) const;
    Matrix head_weight_rows(int layer, int head_index, int r0, int r1) const;
    // Both at once (either may be null), for one pass of the kernel: a viewer that shows a weight
    // shows its score beside it.
    void head_attention_rows(int layer, int head_index, int r0, int r1, Matrix* scores, Matrix* weights) const;
    int n_tokens() const { return static_cast<int>(tokens.size()); }
    // Columns of a layer's matrices: the source's tokens for a cross-attention layer, else n_tokens().
    int n_keys(int layer) const {
        return layers[static_cast<std::size_t>(layer)].cross ? static_cast<int>(source_tokens.size()) : n_tokens();
    }
    bool has_logits_for(int i) const { return i >= logits_first_token && i < logits_first_token + logits.rows(); }
    Eigen::Block<const Matrix, 1, Eigen::Dynamic, true> logits_of(int i) const { return logits.row(i - logits_first_token); }
};

// The same trace with its cross-attention layers as `layers` (an encoder-decoder trace; a copy of
// the matrices, which are small for sentences): the heatmap, tokens view and overview then show
// cross-attention as they show self-attention, rows the target, columns the source.
std::shared_ptr<const Trace> cross_attention_trace(const Trace& trace);

bool is_encoder_decoder(const Trace& trace);

}  // namespace attnscope
