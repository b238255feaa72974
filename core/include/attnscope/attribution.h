// Attribution beside the raw weights: where information actually flows, not only where a head
// looks. Attention rollout (Abnar & Zuidema 2020) follows the weights through the layers;
// value-weighted norms (Kobayashi et al. 2020) weigh each weight by how much the key's value
// moves the residual stream. Computed off the draw path from a trace (and, for the value norms,
// the model's W_O); core only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/model.h"
#include "attnscope/trace.h"

namespace attnscope {

// Rollout of the trace's (self-attention) layers: R_l = Â_l R_{l-1}, R_{-1} = I, with
// Â_l = the mean over layer l's heads of their weights, plus the identity (the residual path),
// each row divided by its sum. n x n per layer; row i of R_l: how much of layer l's output at
// token i comes from each input token.
std::vector<Matrix> attention_rollout(const Trace& trace);

// One head's value-weighted norms: cell (i, j) = ||A[i][j] f(x_j)||, with f(x_j) = v_j W_O^h the
// vector token j's value adds to the residual stream through this head (v_j the trace's value,
// bias included; w_o: HeadProjection::w_o, d_head x d_model). n x n_keys.
Matrix value_weighted_norms(const Trace& trace, int layer, int head, const Matrix& w_o);

// The length of each key's f(x_j) = v_j W_O^h (n_keys): the norms are the weights times these.
RowVector transformed_value_norms(const HeadTrace& head, const Matrix& w_o);

// Each row divided by its sum, so it reads as shares adding up to 1 (comparable with the weights,
// 0..1); a row that sums to 0 (nothing reaches the token) stays 0. n x n_keys in and out.
Matrix row_shares(const Matrix& m);

// Why the trace's heads cannot be weighed by their values, or nothing: an encoder-decoder's
// (its decoder's heads read a second stream, and cross-attention's values are the source's), a
// trace without its model (Trace::made_by), a model that does not give W_O.
std::optional<std::string> value_weighted_refusal(const Trace& trace);

// Every head's W_O (HeadProjection::w_o, d_head x d_model), layer-major, from the trace's own
// model. Call only when value_weighted_refusal is empty.
std::vector<Matrix> heads_w_o(const Trace& trace);

// The value-weighted view of a whole trace, as the app's heatmap and overview show it. Heads are
// layer-major (l * n_heads + h).
struct ValueWeightedAttention {
    int n_layers = 0, n_heads = 0;
    std::vector<RowVector> value_norms;    // per head: ||f(x_j)|| for each key, n_keys
    std::vector<Matrix> shares;            // per head: row_shares(value_weighted_norms), n x n_keys
    std::vector<RowVector> row_sums;       // per head: what each row was divided by, n
    std::vector<Matrix> layer_shares;      // per layer: the heads' norms summed, then row shares
    std::vector<RowVector> layer_row_sums; // per layer: what those rows were divided by, n

    std::size_t index(int l, int h) const { return static_cast<std::size_t>(l * n_heads + h); }
    // The shares a heatmap of (l, h) shows; `layer_sum`: the layer's.
    const Matrix& shown(int l, int h, bool layer_sum) const { return layer_sum ? layer_shares[static_cast<std::size_t>(l)] : shares[index(l, h)]; }
    // Cell (i, j)'s norm before sharing: ||A_ij f(x_j)|| (summed over the heads with `layer_sum`).
    float norm(int l, int h, bool layer_sum, int i, int j) const {
        const RowVector& sums = layer_sum ? layer_row_sums[static_cast<std::size_t>(l)] : row_sums[index(l, h)];
        return shown(l, h, layer_sum)(i, j) * sums(i);
    }
};

// From the trace's weights and values and `w_o` (heads_w_o's). Nothing when `cancelled` turns
// true (polled between layers). Reads every head's n x n_keys weights: a trace that keeps them.
std::optional<ValueWeightedAttention> value_weighted_attention(const Trace& trace, const std::vector<Matrix>& w_o,
                                                                const std::function<bool()>& cancelled = {});

// One head's shares (or its layer's, `layer_sum`) from the trace's own model: the exports'.
Matrix value_weighted_shares(const Trace& trace, int layer, int head, bool layer_sum);

}  // namespace attnscope
