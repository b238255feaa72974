#include "attnscope/attention.h"

#include <cassert>
#include <cmath>
#include <limits>

namespace attnscope {

void apply_causal_mask(Matrix& scores) {
    const float minus_inf = -std::numeric_limits<float>::infinity();
    for (Index i = 0; i < scores.rows(); ++i)
        for (Index j = i + 1; j < scores.cols(); ++j) scores(i, j) = minus_inf;
}

Matrix softmax_rows(const Matrix& scores) {
    const float minus_inf = -std::numeric_limits<float>::infinity();
    Matrix weights(scores.rows(), scores.cols());
    for (Index i = 0; i < scores.rows(); ++i) {
        // A causal row ends in masked cells: exp() only runs over the cells before them.
        Index end = scores.cols();
        while (end > 0 && scores(i, end - 1) == minus_inf) --end;
        weights.row(i).tail(scores.cols() - end).setZero();
        if (end == 0) continue;  // every cell masked: nothing to attend to

        const auto row = scores.row(i).head(end).array();
        // Subtract the row max so exp() cannot overflow; the weights are unchanged by it.
        const float row_max = row.maxCoeff();
        auto out = weights.row(i).head(end).array();
        out = (row - row_max).exp();  // vectorised
        // Eigen's vectorised exp() clamps very negative inputs instead of returning 0, so masked
        // cells inside the row (not a causal tail) are set to exactly 0 afterwards.
        for (Index j = 0; j < end; ++j)
            if (scores(i, j) == minus_inf) out(j) = 0.0f;
        out /= out.sum();
    }
    return weights;
}

HeadTrace attention_head_forward(const Matrix& q, const Matrix& k, const Matrix& v, float scale, bool causal) {
    HeadTrace head;
    head.q = q;
    head.k = k;
    head.v = v;
    // Multiply, then scale in place: Eigen evaluates "(q k^T) * scale" coefficient by coefficient
    // instead of as one matrix product, which was 15x slower at 1,024 tokens.
    head.scores.noalias() = q * k.transpose();
    head.scores *= scale;
    if (causal) apply_causal_mask(head.scores);
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
