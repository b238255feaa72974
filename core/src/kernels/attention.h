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

// Queries per block. A head's scores and weights are computed in blocks of this many query rows,
// starting at multiples of it, by the forward pass and by every later reader alike: a block's
// products are the same products, so the numbers are the same whoever computed them.
inline constexpr Index kAttentionBlock = 128;

// Query rows [i0, i0 + rows) of one head against all its keys: scores (rows x n_keys) = q k^T *
// scale, -infinity where masked (causal: key j > query i); weights = their row softmax, exactly 0
// where masked. `i0` is a multiple of kAttentionBlock (the forward pass's blocks, which every
// reader of a trace shares) or, for the new rows of extended_causal_head, any row; `rows` at most
// kAttentionBlock.
// `relative_bias` (T5's position bias; null: none) is added to the scaled scores by key - query
// distance: score(i, j) += (*relative_bias)(j - i + q.rows() - 1), so one row of
// q.rows() + k.rows() - 1 numbers covers the whole matrix (relative_bias_entries).
// `shaping`: soft-capping after scale and bias, and (causal only) the sliding window's mask.
void attention_rows(const Matrix& q, const Matrix& k, float scale, bool causal, Index i0, Index rows, Matrix& scores,
                    Matrix& weights, const RowVector* relative_bias = nullptr, const ScoreShaping& shaping = {});

// How many entries a relative bias for n_queries x n_keys scores has: one per key - query distance.
inline Index relative_bias_entries(Index n_queries, Index n_keys) { return n_queries + n_keys - 1; }

// Adds query rows [i0, i0 + weights.rows()) of a head's weights to its summary, whose row vectors
// and pooled map are already sized for all n tokens (pooled cells only grow: max). `causal`: row i
// is zero past column i, so only columns 0..i are read.
void summarize_rows(const Matrix& weights, Index i0, bool causal, HeadSummary& summary);

// A summary of n query rows against n_keys keys (default n: self-attention), all zero, ready for
// summarize_rows.
void size_summary(HeadSummary& summary, Index n, Index n_keys = -1);

// Any rows [r0, r1) of a head's scores and/or weights (null: not wanted), through the same blocks.
void attention_rows_of(const Matrix& q, const Matrix& k, float scale, bool causal, Index r0, Index r1, Matrix* scores,
                       Matrix* weights, const RowVector* relative_bias = nullptr, const ScoreShaping& shaping = {});

// q: n x d_head; k, v: n_keys x d_head (n_keys = n for self-attention; another sequence's length for
// cross-attention, which is never causal). Returns the head's q, k, v and out (= weights v); with
// `keep`, also its n x n_keys scores and weights (otherwise they are left empty, to be read later through Trace).
// `relative_bias`: as attention_rows; the head keeps a copy (HeadTrace::relative_bias), so its
// matrices can be computed again later.
HeadTrace attention_head_forward(const Matrix& q, const Matrix& k, const Matrix& v, float scale, bool causal,
                                 bool keep = true, const RowVector* relative_bias = nullptr, const ScoreShaping& shaping = {});

// A causal head traced for p tokens, extended by m more (prefix reuse while typing): the head of n
// = p + m tokens whose first p rows are those of `prefix` (which may have more rows, from a longer
// text; they are not read) and whose last m rows of q, k, v are q_new, k_new, v_new (m x d_head
// each). Only the new query rows are computed: their out rows, and their scores and weights rows
// when `keep` (the earlier rows then get the new keys as masked columns), and the new rows'
// summary (the prefix's for the first p rows). A causal query never
// sees a later key, so the earlier rows do not change, and the result equals a forward pass over
// all n tokens (the new rows to float rounding: they are computed in blocks starting at p).
// `keep`: the head keeps its n x n matrices (ForwardOptions::keep_attention); the prefix's must
// then be kept too. Each of the p rows is copied once, into the result.
HeadTrace extended_causal_head(const HeadTrace& prefix, Index p, const Matrix& q_new, const Matrix& k_new,
                               const Matrix& v_new, float scale, bool keep, const ScoreShaping& shaping = {});

// The head as a forward pass over its first `reuse` tokens would have made it (a causal head: the
// earlier rows never depend on later tokens): extended_causal_head with nothing new.
void truncate_causal_head(HeadTrace& head, Index reuse, float scale, const ScoreShaping& shaping = {});

// The same in place, for a head traced for exactly p = head.q.rows() tokens.
void extend_causal_head(HeadTrace& head, const Matrix& q_new, const Matrix& k_new, const Matrix& v_new, float scale,
                        bool keep, const ScoreShaping& shaping = {});

// extended_causal_head for every head of a causal layer: `prefix` holds the layer's heads traced
// for at least p tokens; q_new is m x (n_heads * d_head), k_new and v_new m x (n_kv_heads *
// d_head), the rows of the m new tokens; query head h reads key/value head h / (n_heads /
// n_kv_heads), as in multi_head_attention. Heads run in parallel. Fills `heads` (n_heads entries of
// p + m rows) and returns the new rows of the heads' outputs side by side (m x n_heads * d_head),
// or nothing when `cancelled` said stop.
std::optional<Matrix> extend_causal_heads(const std::vector<HeadTrace>& prefix, Index p, const Matrix& q_new,
                                          const Matrix& k_new, const Matrix& v_new, int n_heads, int n_kv_heads,
                                          float scale, bool keep, const std::function<bool()>& cancelled,
                                          std::vector<HeadTrace>& heads, const ScoreShaping& shaping = {});

// All heads of one layer. q: n x (n_heads * d_head); k, v: n x (n_kv_heads * d_head). Query head h
// reads key/value head h / (n_heads / n_kv_heads), so grouped heads share their K and V. Heads run
// in parallel, one per core. Fills `heads` (n_heads entries) and returns the heads' outputs side
// by side (n x n_heads * d_head), or nothing when `cancelled` said stop. `keep`: as
// attention_head_forward.
// `relative_biases`: one relative bias per head (attention_rows), or null for none.
std::optional<Matrix> multi_head_attention(const Matrix& q, const Matrix& k, const Matrix& v, int n_heads,
                                           int n_kv_heads, float scale, bool causal, bool keep,
                                           const std::function<bool()>& cancelled, std::vector<HeadTrace>& heads,
                                           const std::vector<RowVector>* relative_biases = nullptr,
                                           const ScoreShaping& shaping = {});

}  // namespace attnscope
