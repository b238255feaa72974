#include "attnscope/attribution.h"

#include <algorithm>
#include <cassert>

#include "attnscope/model.h"

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

Matrix row_shares(const Matrix& m) {
    Matrix out = m;
    for (Index i = 0; i < out.rows(); ++i) {
        const float sum = out.row(i).sum();
        if (sum > 0.0f) out.row(i) /= sum;
        else out.row(i).setZero();
    }
    return out;
}

std::optional<std::string> value_weighted_refusal(const Trace& trace) {
    if (is_encoder_decoder(trace) || std::any_of(trace.layers.begin(), trace.layers.end(), [](const LayerTrace& l) { return l.cross; }))
        return "encoder-decoders are not weighed by their values (their heads' W_O is not read)";
    if (!trace.made_by) return "the trace has no model to read W_O from";
    for (int l = 0; l < static_cast<int>(trace.layers.size()); ++l)
        for (int h = 0; h < static_cast<int>(trace.layers[static_cast<std::size_t>(l)].heads.size()); ++h) {
            const auto p = trace.made_by->head_projection(l, h);
            if (!p || p->w_o.rows() != trace.head(l, h).v.cols() || p->w_o.cols() != trace.model.d_model)
                return "model '" + trace.model.name + "' does not give its heads' W_O";
        }
    return std::nullopt;
}

std::vector<Matrix> heads_w_o(const Trace& trace) {
    std::vector<Matrix> out;
    for (int l = 0; l < static_cast<int>(trace.layers.size()); ++l)
        for (int h = 0; h < static_cast<int>(trace.layers[static_cast<std::size_t>(l)].heads.size()); ++h)
            out.push_back(trace.made_by->head_projection(l, h)->w_o);
    return out;
}

std::optional<ValueWeightedAttention> value_weighted_attention(const Trace& trace, const std::vector<Matrix>& w_o,
                                                                const std::function<bool()>& cancelled) {
    ValueWeightedAttention a;
    a.n_layers = static_cast<int>(trace.layers.size());
    a.n_heads = a.n_layers > 0 ? static_cast<int>(trace.layers[0].heads.size()) : 0;
    assert(w_o.size() == static_cast<std::size_t>(a.n_layers * a.n_heads));
    for (int l = 0; l < a.n_layers; ++l) {
        if (cancelled && cancelled()) return std::nullopt;
        Matrix layer_sum = Matrix::Zero(trace.n_tokens(), trace.n_keys(l));
        for (int h = 0; h < a.n_heads; ++h) {
            const Matrix& w_o_h = w_o[a.index(l, h)];
            a.value_norms.push_back(transformed_value_norms(trace.head(l, h), w_o_h));
            const Matrix norms = value_weighted_norms(trace, l, h, w_o_h);  // n x n_keys
            layer_sum += norms;
            a.row_sums.push_back(norms.rowwise().sum().transpose());
            a.shares.push_back(row_shares(norms));
        }
        a.layer_row_sums.push_back(layer_sum.rowwise().sum().transpose());
        a.layer_shares.push_back(row_shares(layer_sum));
    }
    return a;
}

Matrix value_weighted_shares(const Trace& trace, int layer, int head, bool layer_sum) {
    if (!layer_sum) return row_shares(value_weighted_norms(trace, layer, head, trace.made_by->head_projection(layer, head)->w_o));
    Matrix sum = Matrix::Zero(trace.n_tokens(), trace.n_keys(layer));
    for (int h = 0; h < static_cast<int>(trace.layers[static_cast<std::size_t>(layer)].heads.size()); ++h)
        sum += value_weighted_norms(trace, layer, h, trace.made_by->head_projection(layer, h)->w_o);
    return row_shares(sum);
}

}  // namespace attnscope
