// HeatmapCanvas: the zoomable, pannable grid of one head (rows = queries, columns = keys: the
// source's tokens for cross-attention, so the grid need not be square) with
// token labels on both axes, numbers in cells that are big enough, hover details and click-to-
// select. The colours come from a data texture through the colormap shader; HeatmapPanel owns
// the texture and the toolbar.
//
// Mouse: wheel scrolls, Shift+wheel scrolls sideways, Ctrl+wheel zooms at the pointer,
// right- or middle-drag pans, click a cell to select its query and key, click a label to select it.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <imgui_internal.h>  // ImRect

#include "attnscope/attribution.h"
#include "attnscope/heatmap_export.h"
#include "gfx/gl_texture.h"
#include "widgets/draw_util.h"
#include "panels/panel.h"

namespace attnscope::gui {

// Numbers in cells in type this large or larger can be read on a projector from the back of a
// classroom; the layout gives the grid room for them when it can (HeatmapPanel::place_toolbar).
inline constexpr float kReadableNumberPx = 14.0f;

struct HeatmapInput {
    const Trace& trace;
    int layer, head;
    HeatmapField field;
    // The whole grid, RG32F (value, masked flag): n x n_keys exact, or for a long trace a picture
    // whose texels each cover several cells (its first `base_uv` of each axis spans the grid);
    // not valid while nothing has come.
    const Texture& base;
    ImVec2 base_uv;
    // Exact cells over the picture once zoomed in (a long trace): `window` covers `window_span`.
    const Texture& window;
    WindowSpan window_span;
    ColormapParams& params;       // lives in the panel: used at render time
    ColormapParams& base_params;  // the same without cell borders for a picture of pooled texels
    bool numbers;                 // write values in cells that are big enough
    // A value-weighted field's shares and norms (the trace worker's); null for weights and scores.
    const ValueWeightedAttention* value_weighted = nullptr;
    bool layer_sum() const { return field == HeatmapField::ValueWeightedLayer; }
};

class HeatmapCanvas {
public:
    // Fills `size` at the cursor; returns the part of the grid on screen (below the column labels).
    // `label_overhang`: pixels right of `size` that leaning column labels may use.
    ImRect draw(const FrameContext& frame, const HeatmapInput& in, ImVec2 size, float label_overhang);

    // Pixels per cell (width, height) that draw() would give `trace`'s grid in `size`: lets the
    // panel compare places for its toolbar before it draws.
    ImVec2 cell_size(const Trace& trace, ImVec2 size);

    // Applied at the next draw, around the selected cell when it is on screen, else the view's
    // centre (the toolbar's buttons).
    void zoom_by(float factor) { m_pending_zoom *= factor; }
    // Zoom `zoom` (1 = fit) with the selected query and key cell in the middle (--script's zoom).
    void zoom_to_selection(float zoom) { m_zoom_to_selection = zoom; }
    void fit() { m_zoom = 1.0f; m_pan = ImVec2(0, 0); }
    float zoom() const { return m_zoom; }
    // What the last draw() showed, for --screenshot's report: pixels per cell, and the numbers'
    // type size in pixels (0: no numbers, the cells too small or Numbers off).
    float drawn_cell() const { return m_drawn_cell; }
    float drawn_number_px() const { return m_number_px; }

    // The type size of the numbers in cells of `cell` pixels (width, height), 0 when they would be
    // too small to read.
    static float number_px(ImFont* mono, ImVec2 cell, HeatmapField field);

private:
    struct Geometry {
        ImVec2 min, max;           // whole canvas
        float overhang = 0;        // pixels right of the canvas that leaning column labels may use
        ImVec2 grid_min, grid_max; // visible grid area (inside the label gutters)
        ImVec2 origin;             // screen position of cell (0, 0)'s corner
        float cell = 0;            // pixels per row (and per column, unless cell_w is wider)
        float cell_w = 0;          // pixels per column: cell, or wider where spare width lets numbers fit
        float row_text = 0;        // pixel size of the row labels: the font size, or less to fit a row
        float column_text = 0;     // pixel size of the column labels: likewise for a column
        bool rotated_columns = false;
        int rows = 0, cols = 0;    // queries, keys
    };

    Geometry layout(ImVec2 pos, ImVec2 size, int rows, int cols) const;
    void place_grid(Geometry& g, ImVec2 size) const;
    void size_labels(Geometry& g, ImVec2 size) const;
    // The widest row (query) label and column (key) label, and the gutter above the grid for
    // labels leaning at 45 degrees, in type of `text_px` pixels.
    float label_width(float text_px) const { return m_labels.max_width() * text_px / ImGui::GetFontSize(); }
    float key_label_width(float text_px) const { return m_key_labels.max_width() * text_px / ImGui::GetFontSize(); }
    float leaning_gutter(float text_px) const;
    void clamp_pan(Geometry& g);
    void apply_pending_zoom(const FrameContext& frame, Geometry& g);
    void follow_selection(const Selection& s, Geometry& g);
    void handle_input(const FrameContext& frame, Geometry& g);
    void draw_image(const FrameContext& frame, const HeatmapInput& in, const Geometry& g) const;
    void draw_numbers(const FrameContext& frame, const HeatmapInput& in, const Geometry& g);
    void draw_marks(const FrameContext& frame, const Geometry& g) const;
    void draw_row_labels(const FrameContext& frame, const Geometry& g) const;
    void draw_column_labels(const FrameContext& frame, const Geometry& g) const;
    void draw_tooltip(const FrameContext& frame, const HeatmapInput& in, int i, int j) const;
    void draw_value_weighted_tooltip(const HeatmapInput& in, int i, int j, float weight) const;
    void report_wants(const FrameContext& frame, const Geometry& g) const;
    bool cell_at(const Geometry& g, ImVec2 p, int& i, int& j) const;

    TokenLabels m_labels;      // the queries', cached per trace and font size
    TokenLabels m_key_labels;  // the keys' (keys_of: the source's for cross-attention)
    bool m_cross = false;      // the rows are target tokens and the columns source tokens
    float m_zoom = 1.0f;             // 1 = the whole grid fits
    float m_max_zoom = 64.0f;        // grows with the tokens
    float m_pending_zoom = 1.0f;     // zoom_by's factor, not applied yet
    float m_zoom_to_selection = 0;   // zoom_to_selection's zoom, not applied yet (0: none)
    ImVec2 m_pan{0, 0};              // pixels the grid is moved by (<= 0 when it is larger than the view)
    int m_hover_i = -1, m_hover_j = -1;
    int m_followed_query = -1, m_followed_key = -1;  // the selection follow_selection last saw
    float m_drawn_cell = 0.0f, m_number_px = 0.0f;  // the last draw's
};

}  // namespace attnscope::gui
