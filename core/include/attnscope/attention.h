// Scaled dot-product attention for one head, as design.md writes it.
#pragma once

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

}  // namespace attnscope
