// Scaled dot-product attention for one head, as design.md writes it.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/trace.h"

namespace attnscope {

// scores: n x n, rows = queries. Sets every key j > query i to -infinity.
void apply_causal_mask(Matrix& scores);

// scores: n x m, rows = queries; -infinity marks a masked cell. Returns the row-wise softmax,
// computed stably; masked cells are exactly 0. A row with every cell masked becomes all 0.
Matrix softmax_rows(const Matrix& scores);

// q, k, v: n x d_head. Returns the head's q, k, v, scores (= q k^T * scale, masked when causal),
// weights and out (= weights v).
HeadTrace attention_head_forward(const Matrix& q, const Matrix& k, const Matrix& v, float scale, bool causal);

// All heads of one layer. q: n x (n_heads * d_head); k, v: n x (n_kv_heads * d_head). Query head h
// reads key/value head h / (n_heads / n_kv_heads), so grouped heads share their K and V. Heads run
// in parallel, one per core. Fills `heads` (n_heads entries) and returns the heads' outputs side
// by side (n x n_heads * d_head), or nothing when `cancelled` said stop.
std::optional<Matrix> multi_head_attention(const Matrix& q, const Matrix& k, const Matrix& v, int n_heads,
                                           int n_kv_heads, float scale, bool causal,
                                           const std::function<bool()>& cancelled, std::vector<HeadTrace>& heads);

}  // namespace attnscope
