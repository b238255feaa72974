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

// Shapes: n = tokens, d_head = head width.
struct HeadTrace {
    Matrix q;        // n x d_head: the queries actually multiplied (after RoPE where the model has it)
    Matrix k;        // n x d_head: this head's keys (its KV group's for grouped heads)
    Matrix v;        // n x d_head
    Matrix scores;   // n x n, rows = queries: q k^T * scale; masked cells are -infinity
    Matrix weights;  // n x n: softmax of each scores row; masked cells exactly 0, rows sum to 1
    Matrix out;      // n x d_head: weights v
};

struct LayerTrace {
    Matrix x;  // n x d_model: the attention input, after the layer's norm (Q = x W_Q + b_Q)
    std::vector<HeadTrace> heads;
    // The factor this layer's scores were multiplied by: 1/sqrt(d_head) unless configured, and
    // per layer because GPT-2's scale_attn_by_inverse_layer_idx also divides layer l by l + 1.
    float scale = 1.0f;
};

struct ForwardOptions;
class Model;

// A fresh Trace::id, unique in the process: every producer (the GUI's workers, training frames,
// the CLI) draws from this one atomic counter, so a cache keyed by id never mixes two traces.
std::uint64_t next_trace_id();

struct Trace {
    std::uint64_t id = 0;  // from next_trace_id(): caches key on it, never on the address
    ModelInfo model;
    // The model whose forward pass this is (null for traces built by hand). Views decode logits
    // with its tokenizer and show its W; it keeps the model alive as long as the trace.
    std::shared_ptr<const Model> made_by;
    std::string text;
    std::vector<Token> tokens;
    std::vector<LayerTrace> layers;
    // Next-token (decoder) or masked-token (encoder) logits: row r belongs to token
    // logits_first_token + r. All tokens, only the last (decoders by default), or none.
    Matrix logits;
    int logits_first_token = 0;
    double compute_ms = 0.0;

    const HeadTrace& head(int layer, int head_index) const { return layers[layer].heads[head_index]; }
    int n_tokens() const { return static_cast<int>(tokens.size()); }
    bool has_logits_for(int i) const { return i >= logits_first_token && i < logits_first_token + logits.rows(); }
    Eigen::Block<const Matrix, 1, Eigen::Dynamic, true> logits_of(int i) const { return logits.row(i - logits_first_token); }
};

}  // namespace attnscope
