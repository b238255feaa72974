#include "attnscope/head_stats.h"

#include <cassert>
#include <cmath>
#include <iterator>
#include <utility>

namespace attnscope {

namespace {

constexpr const char* kMetricNames[] = {"entropy", "previous token", "same token", "first token"};
static_assert(std::size(kMetricNames) == static_cast<std::size_t>(HeadMetric::Count), "name every head metric");

constexpr int idx(HeadMetric m) { return static_cast<int>(m); }

// Mean of rows[from..n), or 0 when that range is empty (a one-token text has no previous token).
float mean_from(const RowVector& rows, int from) {
    const int n = static_cast<int>(rows.size());
    return n > from ? rows.tail(n - from).mean() : 0.0f;
}

void set_means(HeadStat& s) {
    s.mean[idx(HeadMetric::Entropy)] = mean_from(s.rows[idx(HeadMetric::Entropy)], 0);
    s.mean[idx(HeadMetric::Same)] = mean_from(s.rows[idx(HeadMetric::Same)], 0);
    s.mean[idx(HeadMetric::Previous)] = mean_from(s.rows[idx(HeadMetric::Previous)], 1);
    s.mean[idx(HeadMetric::First)] = mean_from(s.rows[idx(HeadMetric::First)], 1);
}

// From the summary the forward pass made: no n x n matrix needed.
HeadStat head_stat(const HeadSummary& summary) {
    HeadStat s;
    s.rows[idx(HeadMetric::Entropy)] = summary.entropy;
    s.rows[idx(HeadMetric::Previous)] = summary.previous;
    s.rows[idx(HeadMetric::Same)] = summary.same;
    s.rows[idx(HeadMetric::First)] = summary.first;
    set_means(s);
    return s;
}

// weights: n x n_keys, rows = queries (a trace built by hand has no summary). As the forward
// pass's summary (kernels/attention.cpp): "same" is key i and "previous" key i - 1 also when the
// keys are another sequence (cross-attention), 0 where that key is past the keys' end.
HeadStat head_stat(const Matrix& weights) {
    const Index n = weights.rows(), n_keys = weights.cols();
    HeadStat s;
    for (auto& r : s.rows) r = RowVector::Zero(n);
    for (Index i = 0; i < n; ++i) {
        s.rows[idx(HeadMetric::Entropy)](i) = row_entropy_bits(weights.row(i));
        if (i < n_keys) s.rows[idx(HeadMetric::Same)](i) = weights(i, i);
        if (n_keys > 0) s.rows[idx(HeadMetric::First)](i) = weights(i, 0);
        if (i > 0 && i - 1 < n_keys) s.rows[idx(HeadMetric::Previous)](i) = weights(i, i - 1);
    }
    set_means(s);
    return s;
}

// The shape of the averaged maps: the weights' n x n_keys, or the pooled maps' (one cell per
// kPoolTokens x kPoolTokens block) for a trace that keeps no matrices.
std::pair<Index, Index> averages_shape(Index n, Index n_keys, bool exact) {
    if (exact) return {n, n_keys};
    const auto pooled = [](Index len) { return (len + HeadSummary::kPoolTokens - 1) / HeadSummary::kPoolTokens; };
    return {pooled(n), pooled(n_keys)};
}

bool has_summary(const HeadTrace& head) { return head.summary.entropy.size() == head.q.rows() && head.q.rows() > 0; }

}  // namespace

const char* head_metric_name(HeadMetric m) { return kMetricNames[idx(m)]; }

float row_entropy_bits(const Eigen::Ref<const RowVector>& weights_row) {
    double h = 0.0;
    for (Index j = 0; j < weights_row.size(); ++j) {
        const double w = weights_row(j);
        if (w > 0.0) h -= w * std::log2(w);  // lim w->0 of w log w is 0: masked keys add nothing
    }
    return static_cast<float>(h);
}

// The averages are of the n x n_keys weights when the trace keeps them; a long trace averages its
// heads' pooled maps instead (the overview draws them the same way, at a coarser grain). Every
// layer of a trace has the same keys: its own tokens, or the source's (cross_attention_trace).
Result<std::shared_ptr<const HeadStats>> compute_head_stats(const Trace& trace, const std::function<bool()>& cancelled) {
    auto stats = std::make_shared<HeadStats>();
    const int n = trace.n_tokens();
    stats->trace_id = trace.id;
    stats->n_layers = static_cast<int>(trace.layers.size());
    stats->n_heads = stats->n_layers > 0 ? static_cast<int>(trace.layers[0].heads.size()) : 0;
    stats->n_tokens = n;
    stats->n_keys = stats->n_layers > 0 ? trace.n_keys(0) : n;
    stats->heads.reserve(static_cast<std::size_t>(stats->n_layers) * stats->n_heads);
    const bool exact = trace.keeps_attention();
    const auto [rows, cols] = averages_shape(n, stats->n_keys, exact);
    stats->averages_pooled = !exact;
    stats->mean_over_layers.assign(stats->n_heads, Matrix::Zero(rows, cols));
    stats->mean_over_all = Matrix::Zero(rows, cols);

    for (int l = 0; l < stats->n_layers; ++l) {
        if (cancelled && cancelled()) return Error{"cancelled"};
        Matrix layer_sum = Matrix::Zero(rows, cols);
        for (int h = 0; h < stats->n_heads; ++h) {
            const HeadTrace& head = trace.head(l, h);
            const Matrix& w = exact ? head.weights : head.summary.pooled;
            assert(w.rows() == rows && w.cols() == cols && "every head of a trace has the same queries and keys");
            stats->heads.push_back(has_summary(head) ? head_stat(head.summary) : head_stat(w));
            layer_sum += w;
            stats->mean_over_layers[h] += w;
        }
        stats->mean_over_all += layer_sum;
        if (stats->n_heads > 0) layer_sum /= static_cast<float>(stats->n_heads);
        stats->mean_over_heads.push_back(std::move(layer_sum));
    }
    if (stats->n_layers > 0)
        for (Matrix& m : stats->mean_over_layers) m /= static_cast<float>(stats->n_layers);
    if (stats->n_layers * stats->n_heads > 0) stats->mean_over_all /= static_cast<float>(stats->n_layers * stats->n_heads);
    return std::shared_ptr<const HeadStats>(std::move(stats));
}

std::vector<float> key_weights(const Trace& trace, int query, int key) {
    std::vector<float> out;
    for (int l = 0; l < static_cast<int>(trace.layers.size()); ++l)
        for (int h = 0; h < trace.model.n_heads; ++h) out.push_back(trace.head_weight_rows(l, h, query, query + 1)(0, key));
    return out;
}

std::vector<int> rank_heads(const std::vector<float>& values, Better better) {
    const int n = static_cast<int>(values.size());
    return best_indices(Eigen::Map<const RowVector>(values.data(), n), n, better);
}

}  // namespace attnscope
