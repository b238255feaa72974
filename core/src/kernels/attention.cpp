#include "kernels/attention.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace attnscope {

void apply_causal_mask(Matrix& scores) {
    const float minus_inf = -std::numeric_limits<float>::infinity();
    for (Index i = 0; i < scores.rows(); ++i)
        for (Index j = i + 1; j < scores.cols(); ++j) scores(i, j) = minus_inf;
}

namespace {

// Softmax of cells [begin, end) of row i, whose other cells are masked (weight exactly 0).
void softmax_range(const Matrix& scores, Index i, Index begin, Index end, Matrix& weights) {
    weights.row(i).head(begin).setZero();
    weights.row(i).tail(scores.cols() - end).setZero();
    if (end <= begin) return;  // every cell masked: nothing to attend to
    const auto row = scores.row(i).segment(begin, end - begin).array();
    // Subtract the row max so exp() cannot overflow; the weights are unchanged by it.
    const float row_max = row.maxCoeff();
    auto out = weights.row(i).segment(begin, end - begin).array();
    out = (row - row_max).exp();  // vectorised
    out /= out.sum();
}

void softmax_prefix(const Matrix& scores, Index i, Index end, Matrix& weights) { softmax_range(scores, i, 0, end, weights); }

}  // namespace

Matrix softmax_rows(const Matrix& scores) {
    const float minus_inf = -std::numeric_limits<float>::infinity();
    Matrix weights(scores.rows(), scores.cols());
    for (Index i = 0; i < scores.rows(); ++i) {
        // A causal row ends in masked cells: exp() only runs over the cells before them.
        Index end = scores.cols();
        while (end > 0 && scores(i, end - 1) == minus_inf) --end;
        softmax_prefix(scores, i, end, weights);
        // Eigen's vectorised exp() clamps very negative inputs instead of returning 0, so masked
        // cells inside the row (not a causal tail) are set to exactly 0, and the row renormalised.
        bool inner_masked = false;
        for (Index j = 0; j < end; ++j)
            if (scores(i, j) == minus_inf) {
                weights(i, j) = 0.0f;
                inner_masked = true;
            }
        if (inner_masked) weights.row(i).head(end) /= weights.row(i).head(end).sum();
    }
    return weights;
}

namespace {

// Softmax of a causal block: row i of the block (query i0 + i) attends to keys 0..i0 + i (from
// the window's first key in a sliding-window layer), by construction, so no search for the masked
// cells.
void causal_softmax_block(const Matrix& scores, Index i0, Matrix& weights, const ScoreShaping& shaping) {
    for (Index i = 0; i < scores.rows(); ++i) softmax_range(scores, i, shaping.first_key(i0 + i), i0 + i + 1, weights);
}

// s -> c tanh(s / c): every score kept inside (-c, c), small ones almost unchanged.
template <class Block>
void soft_cap(Block&& scores, float c) {
    scores = (scores.array() / c).tanh() * c;
}

}  // namespace

namespace {

// Adds the relative bias to block rows whose first `keys` columns are scores: query i0 + r, key j
// gets entry j - (i0 + r) + n_queries - 1.
template <class Block>
void add_relative_bias(Block&& scores, const RowVector& bias, Index n_queries, Index i0, Index keys) {
    assert(bias.size() >= n_queries - 1 + keys);
    for (Index r = 0; r < scores.rows(); ++r) scores.row(r).head(keys) += bias.segment(n_queries - 1 - (i0 + r), keys);
}

}  // namespace

void attention_rows(const Matrix& q, const Matrix& k, float scale, bool causal, Index i0, Index rows, Matrix& scores,
                    Matrix& weights, const RowVector* relative_bias, const ScoreShaping& shaping) {
    assert(causal || shaping.window == 0);  // a window is a causal layer's
    const float minus_inf = -std::numeric_limits<float>::infinity();
    const Index n = k.rows();
    scores.resize(rows, n);
    weights.resize(rows, n);
    // Multiply, then scale in place: Eigen evaluates "(q k^T) * scale" coefficient by coefficient
    // instead of as one matrix product, which was 15x slower at 1,024 tokens.
    if (!causal) {
        scores.noalias() = q.middleRows(i0, rows) * k.transpose();
        scores *= scale;
        if (relative_bias) add_relative_bias(scores, *relative_bias, q.rows(), i0, n);
        if (shaping.softcap > 0.0f) soft_cap(scores, shaping.softcap);
        weights = softmax_rows(scores);
        return;
    }
    // A causal block's queries see only the keys up to its last row: the product skips the rest.
    const Index keys = i0 + rows;
    auto seen = scores.leftCols(keys);
    seen.noalias() = q.middleRows(i0, rows) * k.topRows(keys).transpose();
    seen *= scale;
    if (relative_bias) add_relative_bias(seen, *relative_bias, q.rows(), i0, keys);
    if (shaping.softcap > 0.0f) soft_cap(seen, shaping.softcap);
    scores.rightCols(n - keys).setConstant(minus_inf);
    for (Index i = 0; i < rows; ++i) {
        scores.row(i).segment(i0 + i + 1, rows - i - 1).setConstant(minus_inf);  // the block's own triangle: key j > query i0 + i
        scores.row(i).head(shaping.first_key(i0 + i)).setConstant(minus_inf);     // keys the window has passed
    }
    causal_softmax_block(scores, i0, weights, shaping);
}

void size_summary(HeadSummary& s, Index n, Index n_keys) {
    if (n_keys < 0) n_keys = n;
    const Index rows = (n + HeadSummary::kPoolTokens - 1) / HeadSummary::kPoolTokens;
    const Index cols = (n_keys + HeadSummary::kPoolTokens - 1) / HeadSummary::kPoolTokens;
    const Index old_rows = s.pooled.rows(), old_cols = s.pooled.cols(), old_n = s.entropy.size();
    s.pooled.conservativeResize(rows, cols);  // an extension keeps the cells it had
    s.pooled.rightCols(cols - old_cols).setZero();
    s.pooled.bottomRows(rows - old_rows).setZero();
    for (RowVector* v : {&s.entropy, &s.previous, &s.same, &s.first, &s.distance}) {
        v->conservativeResize(n);
        v->tail(n - old_n).setZero();
    }
}

// Vectorised over a row (Eigen's packet log): on a long text this runs for every cell of every
// head, and a scalar log2 per cell took 40% of an 8,192-token forward pass.
void summarize_rows(const Matrix& weights, Index i0, bool causal, HeadSummary& s) {
    constexpr Index P = HeadSummary::kPoolTokens;
    constexpr double kLn2 = 0.69314718055994530942;
    const Index n = weights.cols();
    const Eigen::ArrayXf key_index = Eigen::ArrayXf::LinSpaced(n, 0.0f, static_cast<float>(n - 1));
    Eigen::ArrayXf log_w(n);
    for (Index r = 0; r < weights.rows(); ++r) {
        const Index i = i0 + r, end = causal ? std::min(n, i + 1) : n;
        const auto w = weights.row(r).head(end).transpose().array();
        // Masked or underflowed weights (0) add nothing: 0 * log(FLT_MIN) is 0, where 0 * log 0
        // would be NaN; the clamp keeps the loop one vectorised pass without a branch.
        log_w.head(end) = w.max(std::numeric_limits<float>::min()).log();
        const double w_ln_w = (w * log_w.head(end)).sum();
        const double distance = (w * (static_cast<float>(i) - key_index.head(end)).abs()).sum();
        s.entropy(i) = static_cast<float>(-w_ln_w / kLn2);
        s.distance(i) = static_cast<float>(distance);
        const auto row = weights.row(r);
        s.same(i) = i < n ? row(i) : 0.0f;
        s.first(i) = row(0);
        s.previous(i) = i > 0 && i - 1 < n ? row(i - 1) : 0.0f;  // a cross layer may have fewer keys than queries
        for (Index b = 0; b * P < end; ++b) {  // columns past `end` are 0 and cells start at 0
            float& cell = s.pooled(i / P, b);
            cell = std::max(cell, row.segment(b * P, std::min(P, end - b * P)).maxCoeff());
        }
    }
}

void attention_rows_of(const Matrix& q, const Matrix& k, float scale, bool causal, Index r0, Index r1, Matrix* scores,
                       Matrix* weights, const RowVector* relative_bias, const ScoreShaping& shaping) {
    const Index n = k.rows();
    if (scores) scores->resize(r1 - r0, n);
    if (weights) weights->resize(r1 - r0, n);
    Matrix block_scores, block_weights;
    // The same blocks as the forward pass (multiples of kAttentionBlock), so the same products.
    for (Index i0 = (r0 / kAttentionBlock) * kAttentionBlock; i0 < r1; i0 += kAttentionBlock) {
        const Index rows = std::min(kAttentionBlock, q.rows() - i0);
        attention_rows(q, k, scale, causal, i0, rows, block_scores, block_weights, relative_bias, shaping);
        const Index from = std::max(r0, i0), to = std::min(r1, i0 + rows);
        if (scores) scores->middleRows(from - r0, to - from) = block_scores.middleRows(from - i0, to - from);
        if (weights) weights->middleRows(from - r0, to - from) = block_weights.middleRows(from - i0, to - from);
    }
}

HeadTrace attention_head_forward(const Matrix& q, const Matrix& k, const Matrix& v, float scale, bool causal, bool keep,
                                 const RowVector* relative_bias, const ScoreShaping& shaping) {
    HeadTrace head;
    head.q = q;
    head.k = k;
    head.v = v;
    if (relative_bias) head.relative_bias = *relative_bias;
    const Index n = q.rows(), n_keys = k.rows();  // cross-attention: keys from another sequence
    assert(!causal || n_keys == n);
    head.out.resize(n, v.cols());
    if (keep) {
        head.scores.resize(n, n_keys);
        head.weights.resize(n, n_keys);
    }
    size_summary(head.summary, n, n_keys);
    Matrix scores, weights;  // one block of rows, reused
    for (Index i0 = 0; i0 < n; i0 += kAttentionBlock) {
        const Index rows = std::min(kAttentionBlock, n - i0), keys = causal ? i0 + rows : k.rows();
        attention_rows(q, k, scale, causal, i0, rows, scores, weights, relative_bias, shaping);
        head.out.middleRows(i0, rows).noalias() = weights.leftCols(keys) * v.topRows(keys);
        summarize_rows(weights, i0, causal, head.summary);
        if (!keep) continue;
        head.scores.middleRows(i0, rows) = scores;
        head.weights.middleRows(i0, rows) = weights;
    }
    return head;
}

namespace {

// The first p rows of `earlier` over `later`: (p + later.rows()) x cols.
Matrix stacked_rows(const Matrix& earlier, Index p, const Matrix& later) {
    Matrix out(p + later.rows(), later.cols());
    out.topRows(p) = earlier.topRows(p);
    out.bottomRows(later.rows()) = later;
    return out;
}

// Scores and weights of the causal query rows p..n-1 (all of q's rows after p), in blocks that
// start at p. Not the forward pass's blocks (multiples of kAttentionBlock): the one holding p
// would compute up to 128 rows for a few typed tokens, 2.4 of the 2.5 GFLOP of appending 8
// tokens to 1,016 in GPT-2-small. Their numbers then equal the forward pass's to float rounding
// (a product of other sizes), not bit for bit.
void new_causal_rows(const Matrix& q, const Matrix& k, float scale, Index p, const ScoreShaping& shaping, Matrix& scores,
                     Matrix& weights) {
    const Index m = q.rows() - p;
    scores.resize(m, k.rows());
    weights.resize(m, k.rows());
    Matrix block_scores, block_weights;
    for (Index i0 = p; i0 < q.rows(); i0 += kAttentionBlock) {
        const Index rows = std::min(kAttentionBlock, q.rows() - i0);
        attention_rows(q, k, scale, /*causal=*/true, i0, rows, block_scores, block_weights, nullptr, shaping);
        scores.middleRows(i0 - p, rows) = block_scores;
        weights.middleRows(i0 - p, rows) = block_weights;
    }
}

}  // namespace

namespace {

// The summary of a causal head's first p rows, from the summary of more rows: the per-row values
// as they were; the pooled map's cells up to row p, except the last row of cells when p ends
// inside it (rows from p on fed it too), which is made again from those rows' weights.
HeadSummary summary_of_first_rows(const HeadSummary& more, const Matrix& q, const Matrix& k, float scale, Index p,
                                  const ScoreShaping& shaping) {
    constexpr Index P = HeadSummary::kPoolTokens;
    HeadSummary s;
    s.entropy = more.entropy.head(p);
    s.previous = more.previous.head(p);
    s.same = more.same.head(p);
    s.first = more.first.head(p);
    s.distance = more.distance.head(p);
    const Index cells = (p + P - 1) / P;
    s.pooled = more.pooled.topLeftCorner(cells, cells);
    if (p % P == 0) return s;
    const Index first_row = (cells - 1) * P;
    s.pooled.row(cells - 1).setZero();
    Matrix weights;
    attention_rows_of(q.topRows(p), k.topRows(p), scale, /*causal=*/true, first_row, p, nullptr, &weights, nullptr, shaping);
    summarize_rows(weights, first_row, /*causal=*/true, s);
    return s;
}

}  // namespace

HeadTrace extended_causal_head(const HeadTrace& prefix, Index p, const Matrix& q_new, const Matrix& k_new,
                               const Matrix& v_new, float scale, bool keep, const ScoreShaping& shaping) {
    assert(prefix.q.rows() >= p && (!keep || prefix.weights.rows() >= p));
    const Index m = q_new.rows(), n = p + m;
    HeadTrace head;
    head.q = stacked_rows(prefix.q, p, q_new);
    head.k = stacked_rows(prefix.k, p, k_new);
    head.v = stacked_rows(prefix.v, p, v_new);
    Matrix scores, weights;  // the new query rows: m x n
    new_causal_rows(head.q, head.k, scale, p, shaping, scores, weights);
    head.out.resize(n, head.v.cols());
    head.out.topRows(p) = prefix.out.topRows(p);
    head.out.bottomRows(m).noalias() = weights * head.v;  // masked cells are exactly 0
    head.summary = summary_of_first_rows(prefix.summary, head.q, head.k, scale, p, shaping);
    size_summary(head.summary, n);
    summarize_rows(weights, p, /*causal=*/true, head.summary);
    if (!keep) return head;
    const float minus_inf = -std::numeric_limits<float>::infinity();
    head.scores.resize(n, n);
    head.weights.resize(n, n);
    head.scores.topLeftCorner(p, p) = prefix.scores.topLeftCorner(p, p);
    head.weights.topLeftCorner(p, p) = prefix.weights.topLeftCorner(p, p);
    head.scores.topRightCorner(p, m).setConstant(minus_inf);  // earlier queries, new keys: masked
    head.weights.topRightCorner(p, m).setZero();
    head.scores.bottomRows(m) = scores;
    head.weights.bottomRows(m) = weights;
    return head;
}

void extend_causal_head(HeadTrace& head, const Matrix& q_new, const Matrix& k_new, const Matrix& v_new, float scale,
                        bool keep, const ScoreShaping& shaping) {
    head = extended_causal_head(head, head.q.rows(), q_new, k_new, v_new, scale, keep, shaping);
}

void truncate_causal_head(HeadTrace& head, Index reuse, float scale, const ScoreShaping& shaping) {
    const Index d = head.q.cols();
    head = extended_causal_head(head, reuse, Matrix(0, d), Matrix(0, d), Matrix(0, head.v.cols()), scale,
                                head.weights.size() > 0, shaping);
}

namespace {

// Runs `one_head(h, q_columns, kv_columns)` for every query head, one head per core (heads are
// independent; Eigen sees it is inside a parallel region and keeps each head's products
// single-threaded), then puts the heads' last `rows` output rows side by side. Query head h reads
// key/value head h / (n_heads / n_kv_heads). Nothing when `cancelled` said stop.
template <class OneHead>
std::optional<Matrix> for_each_head(Index d_head, int n_heads, int n_kv_heads, Index rows,
                                    const std::function<bool()>& cancelled, std::vector<HeadTrace>& heads,
                                    OneHead one_head) {
    assert(n_heads > 0 && n_kv_heads > 0 && n_heads % n_kv_heads == 0);
    const int group = n_heads / n_kv_heads;
    heads.assign(static_cast<std::size_t>(n_heads), HeadTrace{});
    bool stopped = false;
#pragma omp parallel for schedule(dynamic) reduction(|| : stopped)
    for (int h = 0; h < n_heads; ++h) {
        if (cancelled && cancelled()) { stopped = true; continue; }
        heads[static_cast<std::size_t>(h)] = one_head(h, static_cast<Index>(h) * d_head, static_cast<Index>(h / group) * d_head);
    }
    if (stopped) return std::nullopt;
    Matrix concat(rows, d_head * n_heads);
    for (int h = 0; h < n_heads; ++h)
        concat.middleCols(static_cast<Index>(h) * d_head, d_head) = heads[static_cast<std::size_t>(h)].out.bottomRows(rows);
    return concat;
}

}  // namespace

std::optional<Matrix> multi_head_attention(const Matrix& q, const Matrix& k, const Matrix& v, int n_heads,
                                           int n_kv_heads, float scale, bool causal, bool keep,
                                           const std::function<bool()>& cancelled, std::vector<HeadTrace>& heads,
                                           const std::vector<RowVector>* relative_biases, const ScoreShaping& shaping) {
    const Index d_head = q.cols() / n_heads;
    assert(!relative_biases || relative_biases->size() == static_cast<std::size_t>(n_heads));
    return for_each_head(d_head, n_heads, n_kv_heads, q.rows(), cancelled, heads, [&](int h, Index qc, Index kc) {
        return attention_head_forward(q.middleCols(qc, d_head), k.middleCols(kc, d_head), v.middleCols(kc, d_head), scale,
                                      causal, keep, relative_biases ? &(*relative_biases)[static_cast<std::size_t>(h)] : nullptr,
                                      shaping);
    });
}

// Copying each head's p earlier rows is the larger part of the work for a few new tokens, and
// independent per head: one head per core too.
std::optional<Matrix> extend_causal_heads(const std::vector<HeadTrace>& prefix, Index p, const Matrix& q_new,
                                          const Matrix& k_new, const Matrix& v_new, int n_heads, int n_kv_heads,
                                          float scale, bool keep, const std::function<bool()>& cancelled,
                                          std::vector<HeadTrace>& heads, const ScoreShaping& shaping) {
    assert(prefix.size() == static_cast<std::size_t>(n_heads));
    const Index d_head = q_new.cols() / n_heads;
    return for_each_head(d_head, n_heads, n_kv_heads, q_new.rows(), cancelled, heads, [&](int h, Index qc, Index kc) {
        return extended_causal_head(prefix[static_cast<std::size_t>(h)], p, q_new.middleCols(qc, d_head),
                                    k_new.middleCols(kc, d_head), v_new.middleCols(kc, d_head), scale, keep, shaping);
    });
}

}  // namespace attnscope
