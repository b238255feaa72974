// Attribution beside the raw weights: where information actually flows, not only where a head
// looks. Attention rollout (Abnar & Zuidema 2020) follows the weights through the layers;
// value-weighted norms (Kobayashi et al. 2020) weigh each weight by how much the key's value
// moves the residual stream. Computed off the draw path from a trace (and, for the value norms,
// the model's W_O); core only.
#pragma once

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

}  // namespace attnscope
