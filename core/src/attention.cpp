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
        // Subtract the row max so exp() cannot overflow; the weights are unchanged by it.
        const float row_max = scores.row(i).maxCoeff();
        if (!std::isfinite(row_max)) {  // every cell masked (or a NaN): nothing to attend to
            weights.row(i).setZero();
            if (std::isnan(row_max) || row_max > 0) weights.row(i).setConstant(std::numeric_limits<float>::quiet_NaN());
            continue;
        }
        const auto row = scores.row(i).array();
        // Eigen's vectorised exp() clamps very negative inputs instead of returning 0, so the
        // masked cells are set to exactly 0 afterwards.
        weights.row(i) = (row == minus_inf).select(0.0f, (row - row_max).exp());
        const float sum = weights.row(i).sum();
        weights.row(i) /= sum;
    }
    return weights;
}

HeadTrace attention_head_forward(const Matrix& q, const Matrix& k, const Matrix& v, float scale, bool causal) {
    HeadTrace head;
    head.q = q;
    head.k = k;
    head.v = v;
    head.scores.noalias() = (q * k.transpose()) * scale;
    if (causal) apply_causal_mask(head.scores);
    head.weights = softmax_rows(head.scores);
    head.out.noalias() = head.weights * v;
    return head;
}

}  // namespace attnscope
