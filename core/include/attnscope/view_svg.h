// The token view and the model overview as SVG figures for slides and handouts, drawn from the
// trace alone: the same numbers as the app's views, without a window (the heatmap's figure is in
// heatmap_export.h).
#pragma once

#include <string>

#include "attnscope/colormap.h"
#include "attnscope/trace.h"

namespace attnscope {

// [SECTION] Token view

// Weights below this draw no line (thinner than a hair), as in the app's token view.
inline constexpr float kTokenLineMinWeight = 0.005f;

// Query tokens in a column on the left, key tokens on the right (the source's tokens for a cross
// layer), and one <line class='weight'> from query i to key j for every weight w_ij of the head
// that is at least kTokenLineMinWeight, its opacity and width following the weight:
//   one query (query >= 0):  opacity 0.2 + 0.8 w (a weak line stays visible), width 1 + 12 w px,
//                            and the query's weights as bars with their values ("masked" for a
//                            key the mask hides);
//   every query (query < 0): opacity 0.8 w, width 0.5 + 6 w px, so the n rows' many weak lines
//                            do not cover the strong ones; no bars.
// Each line carries data-query, data-key and data-weight; `key` (>= 0) marks the chosen key token.
std::string token_view_svg(const Trace& trace, int layer, int head, int query, int key = -1);

// [SECTION] Overview

// Linear: a cell's colour is colormap(w); Contrast: colormap(sqrt w), as the overview's Contrast
// box, which lifts the weights of 0.01-0.2 most heads of a real model spread thinly.
enum class OverviewScale { Linear, Contrast };

// Thumbnails have at most this many cells a side, fewer when the model has many heads: all
// thumbnails together hold at most kOverviewCellBudget cells (1,024 heads of 1,024 tokens: 16 a side).
inline constexpr int kOverviewMaxCells = 32;
inline constexpr int kOverviewCellBudget = 256 * 1024;

// Cells a side of each thumbnail for a map of `n` rows (the longer side) in a model of `heads`
// heads in all: n itself when it fits, else ceil(n / step) for the smallest step that fits.
int overview_cells(int n, int heads);

// Every head as a thumbnail of its weights, layers in rows and heads in columns, labelled L0.. and
// H0..: one <g class='head' data-layer data-head> per head, its cells <rect x='col' y='row'> in
// cell units (scaled by the group's transform). A cell covers `step` queries by `step` keys and
// shows the largest weight among them (a single strong weight stays visible, as in the app); a
// cell whose weights are all masked is light grey (#e4e4e4). From the kept matrices, or from the
// heads' pooled summaries (HeadSummary::pooled, 32 tokens a cell) when the trace keeps none.
std::string overview_svg(const Trace& trace, Colormap colormap = Colormap::Viridis, OverviewScale scale = OverviewScale::Linear);

}  // namespace attnscope
