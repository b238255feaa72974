#include "attnscope/attribution.h"

#include <cassert>

namespace attnscope {

std::vector<Matrix> attention_rollout(const Trace& trace) {
    const Index n = trace.n_tokens();
    std::vector<Matrix> out;
    Matrix rollout = Matrix::Identity(n, n);
    for (int l = 0; l < static_cast<int>(trace.layers.size()); ++l) {
        const int heads = static_cast<int>(trace.layers[static_cast<std::size_t>(l)].heads.size());
        Matrix mixed = Matrix::Identity(n, n);   // the residual path
        Matrix mean = Matrix::Zero(n, n);
        for (int h = 0; h < heads; ++h) mean += *trace.head_weights(l, h);
        if (heads > 0) mixed += mean / static_cast<float>(heads);
        for (Index i = 0; i < n; ++i) mixed.row(i) /= mixed.row(i).sum();
        rollout = mixed * rollout;
        out.push_back(rollout);
    }
    return out;
}

RowVector transformed_value_norms(const HeadTrace& head, const Matrix& w_o) {
    assert(w_o.rows() == head.v.cols());
    const Matrix moved = head.v * w_o;   // n_keys x d_model: f(x_j) per row
    return moved.rowwise().norm().transpose();
}

Matrix value_weighted_norms(const Trace& trace, int layer, int head, const Matrix& w_o) {
    const RowVector f = transformed_value_norms(trace.head(layer, head), w_o);
    // ||A_ij f_j|| = A_ij ||f_j|| (weights are never negative)
    return trace.head_weights(layer, head)->array().rowwise() * f.array();
}

}  // namespace attnscope
