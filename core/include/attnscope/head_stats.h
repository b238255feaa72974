// Per-head summaries of a Trace that the GUI sorts and highlights heads by: entropy and the
// weight a head puts on the previous, the same and the first token, per query row and averaged,
// plus each layer's average over its heads and each head index's average over layers.
// Computed once per trace by the worker thread, never on the draw path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/result.h"
#include "attnscope/top_k.h"
#include "attnscope/trace.h"

namespace attnscope {

// What a head does, as numbers. Each field exists per query row and as the mean over the rows
// where it is defined (previous and first skip row 0: token 0 has no previous token, and its
// own first-token weight is its same-token weight). In cross-attention, whose keys are another
// sequence, "same" is the key at the query's position and "previous" the one before it (0 past
// the keys' end).
enum class HeadMetric { Entropy, Previous, Same, First, Count };

const char* head_metric_name(HeadMetric m);  // "entropy", "previous token", "same token", "first token"

struct HeadStat {
    // rows: n; row i of metric m is rows[m](i). Entropy in bits: -sum_j w_ij log2 w_ij.
    RowVector rows[static_cast<int>(HeadMetric::Count)];
    float mean[static_cast<int>(HeadMetric::Count)] = {};

    float row(HeadMetric m, int i) const { return rows[static_cast<int>(m)](i); }
    float average(HeadMetric m) const { return mean[static_cast<int>(m)]; }
};

struct HeadStats {
    std::uint64_t trace_id = 0;  // the Trace::id these were computed from
    int n_layers = 0;
    int n_heads = 0;
    int n_tokens = 0;                       // n: the queries
    int n_keys = 0;                         // the keys: n, or the source's tokens for cross-attention
    std::vector<HeadStat> heads;            // n_layers * n_heads, layer-major: heads[l * n_heads + h]
    // The averages are n x n_keys when the trace keeps its matrices; for a long trace that does not,
    // they average the heads' pooled maps (HeadSummary::pooled, ceil(n / 32) x ceil(n_keys / 32)) instead.
    bool averages_pooled = false;
    std::vector<Matrix> mean_over_heads;    // n_layers matrices: layer l's weights averaged over its heads
    std::vector<Matrix> mean_over_layers;   // n_heads matrices: head index h's weights averaged over layers
    Matrix mean_over_all;                   // every head of every layer

    const HeadStat& head(int l, int h) const { return heads[static_cast<std::size_t>(l) * n_heads + h]; }
};

// Self-attention (n x n) or cross-attention (a cross_attention_trace: n x n_keys, the keys the
// source's tokens). Errors: "cancelled" when `cancelled` returns true (polled between layers).
Result<std::shared_ptr<const HeadStats>> compute_head_stats(const Trace& trace,
                                                            const std::function<bool()>& cancelled = {});

// The weight from token `query` to token `key` in every head, layer-major: [l * n_heads + h].
std::vector<float> key_weights(const Trace& trace, int query, int key);

// Heads ranked by a value per head (layer-major, as key_weights or HeadStat gives them): their
// flat indices l * n_heads + h, best first. Equal values keep layer-major order.
std::vector<int> rank_heads(const std::vector<float>& values, Better better);

// Row entropy in bits of one row of weights (zero weights contribute nothing).
float row_entropy_bits(const Eigen::Ref<const RowVector>& weights_row);

}  // namespace attnscope
