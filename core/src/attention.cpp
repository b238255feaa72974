#include "attnscope/attention.h"

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

}  // namespace attnscope
