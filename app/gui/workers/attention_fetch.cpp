#include "workers/attention_fetch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::gui {

namespace {

constexpr int kRowsAtOnce = 128;  // rows of a head computed together: 128 x n floats in memory

bool is_masked(float score) { return std::isinf(score) && score < 0; }

bool valid_head(const Trace& trace, int layer, int head) {
    return layer >= 0 && layer < static_cast<int>(trace.layers.size()) && head >= 0 &&
           head < static_cast<int>(trace.layers[static_cast<std::size_t>(layer)].heads.size());
}

}  // namespace

std::optional<HeadImage> compute_head_image(const Trace& trace, int layer, int head, HeatmapField field,
                                            const std::function<bool()>& stale) {
    if (!valid_head(trace, layer, head)) return std::nullopt;
    HeadImage image;
    image.trace_id = trace.id;
    image.layer = layer;
    image.head = head;
    image.field = field;
    image.n = trace.n_tokens();
    image.n_keys = trace.n_keys(layer);
    image.pool = std::max(1, (std::max(image.n, image.n_keys) + kImageSide - 1) / kImageSide);
    image.side = (image.n + image.pool - 1) / image.pool;
    image.side_keys = (image.n_keys + image.pool - 1) / image.pool;
    const std::size_t cells = static_cast<std::size_t>(image.side) * image.side_keys;
    // Start every texel as "all masked, no value"; any unmasked cell clears the flag.
    std::vector<float> best(cells, -std::numeric_limits<float>::infinity());
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    Matrix scores, weights;
    for (int r0 = 0; r0 < image.n; r0 += kRowsAtOnce) {
        if (stale && stale()) return std::nullopt;
        const int r1 = std::min(image.n, r0 + kRowsAtOnce);
        trace.head_attention_rows(layer, head, r0, r1, &scores, field == HeatmapField::Weights ? &weights : nullptr);
        const Matrix& values = field == HeatmapField::Weights ? weights : scores;
        for (int i = r0; i < r1; ++i) {
            float* texel_row = best.data() + static_cast<std::size_t>(i / image.pool) * image.side_keys;
            for (int j = 0; j < image.n_keys; ++j) {
                if (is_masked(scores(i - r0, j))) continue;
                const float v = values(i - r0, j);
                float& t = texel_row[j / image.pool];
                t = std::max(t, v);
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    image.texels.resize(2 * cells);
    for (std::size_t c = 0; c < cells; ++c) {
        const bool all_masked = std::isinf(best[c]);
        image.texels[2 * c] = all_masked ? 0.0f : best[c];
        image.texels[2 * c + 1] = all_masked ? 1.0f : 0.0f;
    }
    // Weights keep the fixed range 0..1, so heads can be compared by colour; scores use their own.
    image.lo = field == HeatmapField::Weights ? 0.0f : (std::isfinite(lo) ? lo : 0.0f);
    image.hi = field == HeatmapField::Weights ? 1.0f : (hi > lo ? hi : image.lo + 1.0f);
    return image;
}

RowWindow fetch_window(const Trace& trace, int layer, int head, int r0, int r1, int c0, int c1) {
    RowWindow w;
    w.layer = layer;
    w.head = head;
    if (!valid_head(trace, layer, head)) return w;
    const int n = trace.n_tokens(), n_keys = trace.n_keys(layer);
    w.r0 = std::clamp(r0, 0, n);
    w.r1 = std::clamp(r1, w.r0, n);
    w.c0 = std::clamp(c0, 0, n_keys);
    w.c1 = std::clamp(c1, w.c0, n_keys);
    w.scores.resize(w.r1 - w.r0, w.c1 - w.c0);
    w.weights.resize(w.r1 - w.r0, w.c1 - w.c0);
    Matrix scores, weights;
    for (int i = w.r0; i < w.r1; i += kRowsAtOnce) {
        const int i1 = std::min(w.r1, i + kRowsAtOnce);
        trace.head_attention_rows(layer, head, i, i1, &scores, &weights);
        w.scores.middleRows(i - w.r0, i1 - i) = scores.middleCols(w.c0, w.c1 - w.c0);
        w.weights.middleRows(i - w.r0, i1 - i) = weights.middleCols(w.c0, w.c1 - w.c0);
    }
    return w;
}

std::optional<WindowSpan> window_around(int n, int i0, int i1, int j0, int j1) {
    const int rows = i1 - i0, cols = j1 - j0;
    if (n <= 0 || rows <= 0 || cols <= 0 || rows > kWindowSide || cols > kWindowSide) return std::nullopt;
    // Grow each side by half the visible span, within kWindowSide and the grid.
    auto grow = [n](int a, int b) {
        const int span = std::min(kWindowSide, 2 * (b - a));
        const int start = std::clamp(a - (span - (b - a)) / 2, 0, std::max(0, n - span));
        return std::pair<int, int>(start, std::min(n, start + span));
    };
    const auto [r0, r1] = grow(i0, i1);
    const auto [c0, c1] = grow(j0, j1);
    return WindowSpan{r0, r1, c0, c1};
}

QueryRows fetch_query_rows(const Trace& trace, int query) {
    QueryRows q;
    q.query = query;
    const int n = trace.n_tokens(), layers = static_cast<int>(trace.layers.size());
    q.n_heads = layers > 0 ? static_cast<int>(trace.layers[0].heads.size()) : 0;
    if (query < 0 || query >= n) return q;
    const int n_keys = layers > 0 ? trace.n_keys(0) : n;  // every layer of a trace has the same keys
    q.scores.resize(layers * q.n_heads, n_keys);
    q.weights.resize(layers * q.n_heads, n_keys);
    Matrix scores, weights;
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < q.n_heads; ++h) {
            trace.head_attention_rows(l, h, query, query + 1, &scores, &weights);
            q.scores.row(l * q.n_heads + h) = scores.row(0);
            q.weights.row(l * q.n_heads + h) = weights.row(0);
        }
    return q;
}

HeadRow fetch_row(const Trace& trace, int layer, int head, int row) {
    HeadRow r{layer, head, row, {}, {}};
    if (valid_head(trace, layer, head) && row >= 0 && row < trace.n_tokens())
        trace.head_attention_rows(layer, head, row, row + 1, &r.scores, &r.weights);
    return r;
}

// [SECTION] Reader

AttentionReader::AttentionReader(const Trace* trace, const FetchedAttention* fetched)
    : m_trace(trace), m_fetched(fetched && trace && fetched->trace_id == trace->id ? fetched : nullptr) {}

const float* AttentionReader::row_of(int layer, int head, int i, bool scores) const {
    if (!m_trace || !valid_head(*m_trace, layer, head) || i < 0 || i >= m_trace->n_tokens()) return nullptr;
    if (kept()) {
        const HeadTrace& h = m_trace->head(layer, head);
        return (scores ? h.scores : h.weights).row(i).data();
    }
    if (!m_fetched) return nullptr;
    if (const HeadRow* r = m_fetched->hover.get(); r && r->layer == layer && r->head == head && r->row == i && r->weights.rows() == 1)
        return (scores ? r->scores : r->weights).data();
    if (const QueryRows* q = m_fetched->query_rows.get(); q && q->query == i && q->weights.rows() > 0)
        return (scores ? q->scores : q->weights).row(layer * q->n_heads + head).data();
    return nullptr;
}

const float* AttentionReader::weight_row(int layer, int head, int i) const { return row_of(layer, head, i, false); }
const float* AttentionReader::score_row(int layer, int head, int i) const { return row_of(layer, head, i, true); }

std::optional<CellValue> AttentionReader::cell(int layer, int head, int i, int j) const {
    if (!m_trace || !valid_head(*m_trace, layer, head) || j < 0 || j >= m_trace->n_keys(layer)) return std::nullopt;
    if (const RowWindow* w = m_fetched ? m_fetched->window.get() : nullptr; w && !kept() && w->covers(layer, head, i, i + 1, j, j + 1)) {
        const float s = w->scores(i - w->r0, j - w->c0);
        return CellValue{s, w->weights(i - w->r0, j - w->c0), is_masked(s)};
    }
    const float* s = score_row(layer, head, i);
    const float* wt = weight_row(layer, head, i);
    if (!s || !wt) return std::nullopt;
    return CellValue{s[j], wt[j], is_masked(s[j])};
}

}  // namespace attnscope::gui
