// Prefix reuse (Model::forward_reusing_prefix): what the causal families share. Each family's
// forward pass runs on the rows of tokens p..n-1 only, and builds every layer's matrices from the
// first p rows of the prefix's (none for a plain forward pass: p = 0, no prefix); these helpers
// decide p, join the rows, run the attention step on the new rows and put the prefix's logits
// back. Shapes: n = tokens, p = rows reused, m = n - p rows computed.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "attnscope/model.h"

namespace attnscope {

// How many leading rows of `prefix` a causal forward pass over `tokens` may take as they are:
// `reuse`, held to the rows the prefix has, to the tokens it shares with `tokens` (when it names
// its tokens) and to n - 1 (the last row is always computed: its logits). 0, compute everything:
// an encoder, a prefix of another shape, kept matrices that differ from options.keep_attention,
// or logits of every token asked for that the prefix does not have.
int reusable_rows(const Trace& prefix, int reuse, const std::vector<Token>& tokens, const ModelInfo& info,
                  const ForwardOptions& options);

// The layer of `prefix` whose first p rows a pass reuses, or null when it reuses none (p = 0).
const LayerTrace* reused_layer(const Trace* prefix, int p, std::size_t l);

// The first p rows of `earlier` (the prefix's layer input) over `later` (the new rows, m x cols);
// `later` itself when p = 0.
Matrix layer_input_rows(const LayerTrace* earlier, int p, Matrix later);

// One layer's attention over its new rows. q: m x (n_heads * d_head); k, v: m x (n_kv_heads *
// d_head). No `prefix`: multi_head_attention over all the rows; else the heads of n = p + m rows
// are built from the first p rows of the prefix's (extend_causal_heads). `shaping`: the layer's
// soft-capping and window (Gemma 2 and 3). Fills `heads`; returns the
// new rows of the heads' outputs side by side, or nothing when cancelled.
std::optional<Matrix> attend_new_rows(const Matrix& q, const Matrix& k, const Matrix& v, int n_heads, int n_kv_heads,
                                      float scale, bool causal, const LayerTrace* prefix, int p,
                                      const ForwardOptions& options, std::vector<HeadTrace>& heads,
                                      const ScoreShaping& shaping = {});

// After a pass that reused p rows and computed the logits of its new rows only: with
// Logits::All, puts the prefix's logits of tokens 0..p-1 above them; records p in the trace.
void finish_prefix_reuse(Trace& trace, const Trace& prefix, int p, const ForwardOptions& options);

// Model::forward_reusing_prefix of a family whose pass is `forward_rows(prefix, p)` (rows p..n-1
// over the prefix's first p): decides p, runs it, finishes the trace. Every causal family's override.
template <class ForwardRows>
Result<Trace> forward_reusing_rows(const Trace& prefix, int reuse, const std::vector<Token>& tokens, const ModelInfo& info,
                                   const ForwardOptions& options, ForwardRows forward_rows) {
    const int p = reusable_rows(prefix, reuse, tokens, info, options);  // 0 unless causal
    Result<Trace> trace = forward_rows(&prefix, p);
    if (trace.ok()) finish_prefix_reuse(trace.value(), prefix, p, options);
    return trace;
}

}  // namespace attnscope
