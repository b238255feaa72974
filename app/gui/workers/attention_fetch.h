// What the views read of a trace whose n x n matrices are not kept (long texts): the pieces of
// attention a worker computes from the trace's q and k, and AttentionReader, through which every
// panel reads attention values while drawing, kept or fetched, without ever computing one.
//
// A short trace keeps every head's matrices and the reader lends them. A long one keeps none (a
// 16-layer, 32-head model at 4,096 tokens would need 68 GB), and the views ask instead for:
//   - HeadImage: the selected head as a picture of at most kImageSide x kImageSide cells, each the
//     largest value of the pool x pool token cells it covers (pool 1: every cell exact);
//   - RowWindow: the exact cells of the selected head that are on screen once the heatmap is zoomed
//     in far enough (at most kWindowSide x kWindowSide), scores and weights;
//   - the selected query's row in every layer and head (the token view's lines for all heads, the
//     overview's ranking by the chosen key's weight);
//   - the row under the pointer, so the heatmap's tooltip is exact at any zoom.
// All come from Trace::head_attention_rows, the forward pass's kernel in its own blocks, so they
// are the numbers the forward pass would have kept.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "attnscope/heatmap_export.h"
#include "attnscope/trace.h"

namespace attnscope::gui {

inline constexpr int kImageSide = 1024;   // texels on a side of a head's picture
inline constexpr int kWindowSide = 1024;  // exact cells fetched on a side, once zoomed in

struct HeadImage {
    std::uint64_t trace_id = 0;
    int layer = 0, head = 0;
    HeatmapField field = HeatmapField::Weights;
    int n = 0;       // tokens (rows)
    int n_keys = 0;  // key tokens (columns): n, or the source's for cross-attention
    int pool = 1;    // tokens on a side of one texel
    int side = 0;    // texels down: ceil(n / pool)
    int side_keys = 0;  // texels across: ceil(n_keys / pool)
    // side x side_keys RG pairs: r = the largest unmasked value of the texel's cells, g = 1 when
    // all its cells are masked (then r = 0). Ready for an RG32F texture.
    std::vector<float> texels;
    float lo = 0.0f, hi = 1.0f;  // exact range of the unmasked values (weights: 0..1)
};

// The head's picture: rows fetched kAttentionBlock at a time, so memory stays O(block x n).
// Returns nothing when `stale` turns true (a newer selection) before it is done.
std::optional<HeadImage> compute_head_image(const Trace& trace, int layer, int head, HeatmapField field,
                                            const std::function<bool()>& stale = {});

// Rows [r0, r1) x columns [c0, c1) of one head, exact.
struct RowWindow {
    int layer = 0, head = 0;
    int r0 = 0, r1 = 0, c0 = 0, c1 = 0;
    Matrix scores, weights;  // (r1 - r0) x (c1 - c0)
    bool covers(int layer_, int head_, int i0, int i1, int j0, int j1) const {
        return layer == layer_ && head == head_ && r0 <= i0 && i1 <= r1 && c0 <= j0 && j1 <= c1;
    }
};
RowWindow fetch_window(const Trace& trace, int layer, int head, int r0, int r1, int c0, int c1);

// The window to ask for when rows [i0, i1) and columns [j0, j1) of n are on screen: the visible
// cells and as much again around them (panning a little needs no new fetch), at most kWindowSide
// on a side. Nothing when the visible part is itself larger (the picture then has every pixel).
struct WindowSpan {
    int r0 = 0, r1 = 0, c0 = 0, c1 = 0;
    bool operator==(const WindowSpan& o) const { return r0 == o.r0 && r1 == o.r1 && c0 == o.c0 && c1 == o.c1; }
};
std::optional<WindowSpan> window_around(int n, int i0, int i1, int j0, int j1);

// One query row of every layer and head: row l * n_heads + h of each matrix.
struct QueryRows {
    int query = 0;
    int n_heads = 0;
    Matrix scores, weights;  // (layers x heads) x n_keys
};
QueryRows fetch_query_rows(const Trace& trace, int query);

// One row of one head (the tooltip's).
struct HeadRow {
    int layer = 0, head = 0, row = 0;
    Matrix scores, weights;  // 1 x n
};
HeadRow fetch_row(const Trace& trace, int layer, int head, int row);

// What the worker has fetched for one trace; each part may be missing (not asked for yet, or
// still on its way). Parts are shared between successive answers, never copied.
struct FetchedAttention {
    std::uint64_t trace_id = 0;
    std::shared_ptr<const QueryRows> query_rows;
    std::shared_ptr<const RowWindow> window;
    std::shared_ptr<const HeadRow> hover;
};

// One cell as the views show it.
struct CellValue {
    float score = 0.0f, weight = 0.0f;
    bool masked = false;
};

// Reads attention for the views: lends the trace's kept matrices, or finds the cell in what was
// fetched for this very trace. Never computes; nothing means "not here yet" (show "…").
class AttentionReader {
public:
    AttentionReader() = default;
    AttentionReader(const Trace* trace, const FetchedAttention* fetched);

    // True when every cell is at hand (a short trace): views may read any row.
    bool kept() const { return m_trace && m_trace->keeps_attention(); }

    std::optional<CellValue> cell(int layer, int head, int i, int j) const;
    // Row i of a head, n values, or null when it is not at hand.
    const float* weight_row(int layer, int head, int i) const;
    const float* score_row(int layer, int head, int i) const;

private:
    const float* row_of(int layer, int head, int i, bool scores) const;

    const Trace* m_trace = nullptr;
    const FetchedAttention* m_fetched = nullptr;  // null, or fetched for m_trace
};

}  // namespace attnscope::gui
