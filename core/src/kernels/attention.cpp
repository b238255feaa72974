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

// Softmax of cells [0, end) of row i, whose later cells are masked (weight exactly 0).
void softmax_prefix(const Matrix& scores, Index i, Index end, Matrix& weights) {
    weights.row(i).tail(scores.cols() - end).setZero();
    if (end == 0) return;  // every cell masked: nothing to attend to
    const auto row = scores.row(i).head(end).array();
    // Subtract the row max so exp() cannot overflow; the weights are unchanged by it.
    const float row_max = row.maxCoeff();
    auto out = weights.row(i).head(end).array();
    out = (row - row_max).exp();  // vectorised
    out /= out.sum();
}

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

// Rows of queries per block in a causal head: a block's queries see only the keys up to its last
// row, so the products skip the masked upper triangle (half the work of q k^T and weights v at
// long inputs) while each block stays large enough for an efficient product.
constexpr Index kCausalBlock = 128;

void causal_scores(const Matrix& q, const Matrix& k, float scale, Matrix& scores) {
    const float minus_inf = -std::numeric_limits<float>::infinity();
    const Index n = q.rows();
    scores.resize(n, n);
    for (Index i0 = 0; i0 < n; i0 += kCausalBlock) {
        const Index rows = std::min(kCausalBlock, n - i0), keys = i0 + rows;
        auto block = scores.block(i0, 0, rows, keys);
        block.noalias() = q.middleRows(i0, rows) * k.topRows(keys).transpose();
        block *= scale;
        scores.block(i0, keys, rows, n - keys).setConstant(minus_inf);
        for (Index i = 0; i < rows; ++i)  // the block's own triangle: key j > query i0 + i
            scores.row(i0 + i).segment(i0 + i + 1, rows - i - 1).setConstant(minus_inf);
    }
}

// Softmax of a causal head's scores: row i attends to keys 0..i, by construction, so no search
// for the masked tail and no masked cells inside it.
Matrix causal_softmax_rows(const Matrix& scores) {
    Matrix weights(scores.rows(), scores.cols());
    for (Index i = 0; i < scores.rows(); ++i) softmax_prefix(scores, i, i + 1, weights);
    return weights;
}

void causal_weighted_sum(const Matrix& weights, const Matrix& v, Matrix& out) {
    const Index n = weights.rows();
    out.resize(n, v.cols());
    for (Index i0 = 0; i0 < n; i0 += kCausalBlock) {
        const Index rows = std::min(kCausalBlock, n - i0), keys = i0 + rows;
        out.middleRows(i0, rows).noalias() = weights.block(i0, 0, rows, keys) * v.topRows(keys);
    }
}

}  // namespace

HeadTrace attention_head_forward(const Matrix& q, const Matrix& k, const Matrix& v, float scale, bool causal) {
    HeadTrace head;
    head.q = q;
    head.k = k;
    head.v = v;
    if (causal) {
        causal_scores(q, k, scale, head.scores);
        head.weights = causal_softmax_rows(head.scores);
        causal_weighted_sum(head.weights, v, head.out);
        return head;
    }
    // Multiply, then scale in place: Eigen evaluates "(q k^T) * scale" coefficient by coefficient
    // instead of as one matrix product, which was 15x slower at 1,024 tokens.
    head.scores.noalias() = q * k.transpose();
    head.scores *= scale;
    head.weights = softmax_rows(head.scores);
    head.out.noalias() = head.weights * v;
    return head;
}

std::optional<Matrix> multi_head_attention(const Matrix& q, const Matrix& k, const Matrix& v, int n_heads,
                                           int n_kv_heads, float scale, bool causal,
                                           const std::function<bool()>& cancelled, std::vector<HeadTrace>& heads) {
    assert(n_heads > 0 && n_kv_heads > 0 && n_heads % n_kv_heads == 0);
    const Index d_head = q.cols() / n_heads;
    const int group = n_heads / n_kv_heads;
    heads.assign(static_cast<std::size_t>(n_heads), HeadTrace{});
    bool stopped = false;
    // Heads are independent: one per core. Eigen sees it is inside a parallel region and keeps
    // each head's products single-threaded.
#pragma omp parallel for schedule(dynamic) reduction(|| : stopped)
    for (int h = 0; h < n_heads; ++h) {
        if (cancelled && cancelled()) { stopped = true; continue; }
        const Index qc = static_cast<Index>(h) * d_head, kc = static_cast<Index>(h / group) * d_head;
        heads[static_cast<std::size_t>(h)] = attention_head_forward(
            q.middleCols(qc, d_head), k.middleCols(kc, d_head), v.middleCols(kc, d_head), scale, causal);
    }
    if (stopped) return std::nullopt;
    Matrix concat(q.rows(), q.cols());
    for (int h = 0; h < n_heads; ++h)
        concat.middleCols(static_cast<Index>(h) * d_head, d_head) = heads[static_cast<std::size_t>(h)].out;
    return concat;
}

}  // namespace attnscope
