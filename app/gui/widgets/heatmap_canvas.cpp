// Sections: [SECTION] Layout  [SECTION] Input  [SECTION] Grid  [SECTION] Labels  [SECTION] Tooltip
#include "widgets/heatmap_canvas.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "widgets/draw_util.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

constexpr float kPad = 6.0f;
constexpr float kMaxCellLines = 10.0f;  // a 3-token sentence gets big cells, not a wall of colour
constexpr float kDiagonal = -0.7853982f;  // column labels read upwards at 45 degrees
constexpr float kSlant = 0.7071f;         // cos 45 degrees: leaning labels are cell * kSlant apart
constexpr float kLineFill = 0.9f;         // a label's type fills at most 90% of its row: neighbours keep a gap
constexpr float kLeanRise = 0.5f;         // of a leaning label's height: see leaning_gutter()
constexpr float kTopShare = 0.3f;         // the column labels take at most this share of the height
constexpr float kLeftShare = 0.3f;        // the row labels take at most this share of the width
constexpr float kNumberFill = 0.85f;      // of a cell's width, for the number in it
constexpr float kMonoAdvance = 0.61f;     // a digit's width in the monospaced type, in ems (DejaVu Sans Mono: 0.602)
constexpr float kNumberChars = 4.0f;      // "0.00": a weight (a score's sign makes its number a little smaller)

ImVec2 add(ImVec2 a, ImVec2 b) { return ImVec2(a.x + b.x, a.y + b.y); }

// Rows (or columns) [first, last) of the grid that are on screen.
void visible_range(float origin, float view_min, float view_max, float cell, int n, int& first, int& last) {
    first = std::clamp(static_cast<int>(std::floor((view_min - origin) / cell)), 0, n);
    last = std::clamp(static_cast<int>(std::ceil((view_max - origin) / cell)), 0, n);
}

}  // namespace

// [SECTION] Layout

// Two passes: the cells for labels at the font size, then labels sized for those cells and the
// cells again. Smaller labels only narrow the gutters, so the second cells are no smaller than the
// first, and labels sized for the first still fit them.
HeatmapCanvas::Geometry HeatmapCanvas::layout(ImVec2 pos, ImVec2 size, int rows, int cols) const {
    Geometry g;
    g.rows = rows;
    g.cols = cols;
    g.min = pos;
    g.max = add(pos, size);
    g.row_text = g.column_text = ImGui::GetFontSize();
    place_grid(g, size);
    size_labels(g, size);
    place_grid(g, size);
    g.origin = add(g.grid_min, m_pan);
    return g;
}

// The label gutters for the current label sizes, and the largest cells that fit beside them.
void HeatmapCanvas::place_grid(Geometry& g, ImVec2 size) const {
    const float left = std::min(label_width(g.row_text) + 2 * kPad, size.x * kLeftShare);
    auto cell_for = [&](float top) {
        const float fit = std::min((size.x - left) / g.cols, (size.y - top) / g.rows);
        // Zoom 1 shows the whole grid, even when a cell is then a fraction of a pixel (a long text:
        // the picture pools cells, and zooming in fetches them exactly).
        return std::clamp(fit, 1e-3f, kMaxCellLines * ImGui::GetTextLineHeight()) * m_zoom;
    };
    // Square cells, unless their numbers would be too small to read and the rows are tall enough
    // for readable ones: then spare width widens the columns (never past the canvas) as far as a
    // number needs, so a short grid in a wide view (a lesson on a projector, a translation's few
    // target rows) shows its numbers instead of leaving the width empty.
    auto widen = [&] {
        const float full = ImGui::GetFontSize(), per_px = kNumberChars * kMonoAdvance / kNumberFill;  // width / type size
        const float square_number = std::min({full, g.cell / per_px, g.cell * 0.5f});
        const float number = std::min(full, g.cell * 0.5f);
        const bool helps = square_number < kReadableNumberPx && number >= std::max(kReadableNumberPx, smallest_text_px());
        g.cell_w = helps ? std::max(g.cell, std::min((size.x - left) / g.cols * m_zoom, number * per_px)) : g.cell;
    };
    float top = g.column_text + 2 * kPad;
    g.cell = cell_for(top);
    widen();
    g.rotated_columns = g.cell_w < key_label_width(g.column_text) + kPad;  // labels wider than their column lean
    if (g.rotated_columns) {
        top = std::min(leaning_gutter(g.column_text), size.y * kTopShare);
        g.cell = cell_for(top);
        widen();
    }
    g.grid_min = ImVec2(g.min.x + left, g.min.y + top);
    g.grid_max = g.max;
}

// A label leaning from its anchor (kPad above the grid) rises width * cos 45 + height / (2 sqrt 2)
// above it; half its height leaves a little room.
float HeatmapCanvas::leaning_gutter(float text_px) const { return key_label_width(text_px) * kSlant + text_px * kLeanRise + kPad; }

// Labels shrink to fit their row or column (and leaning ones the gutter above the grid), down to
// smallest_text_px(); only below that do draw_row_labels / draw_column_labels leave some out.
void HeatmapCanvas::size_labels(Geometry& g, ImVec2 size) const {
    const float full = ImGui::GetFontSize(), smallest = std::min(full, smallest_text_px());
    // ... and their gutter: long row labels (cross-attention's "dépose \u2192 l'argent") shrink before they are cut
    const float in_left = label_width(1.0f) > 0.0f ? (size.x * kLeftShare - 2 * kPad) / label_width(1.0f) : full;
    g.row_text = std::clamp(std::min(g.cell * kLineFill, in_left), smallest, full);
    if (!g.rotated_columns) return;  // level labels fit their columns at the font size
    // leaning_gutter(s) = s * (width per px * kSlant + kLeanRise) + kPad must stay within the top share
    const float in_gutter = (size.y * kTopShare - kPad) / (key_label_width(1.0f) * kSlant + kLeanRise);
    g.column_text = std::clamp(std::min(g.cell_w * kSlant * kLineFill, in_gutter), smallest, full);
}

ImVec2 HeatmapCanvas::cell_size(const Trace& trace, ImVec2 size) {
    m_labels.refresh(trace);
    m_key_labels.refresh(keys_of(trace));
    const int rows = trace.n_tokens(), cols = key_count(trace);
    if (rows == 0 || cols == 0) return ImVec2(0, 0);
    const Geometry g = layout(ImVec2(0, 0), size, rows, cols);
    return ImVec2(g.cell_w, g.cell);
}

void HeatmapCanvas::clamp_pan(Geometry& g) {
    auto clamp_axis = [](float pan, float view, float total) { return total <= view ? 0.0f : std::clamp(pan, view - total, 0.0f); };
    m_pan = ImVec2(clamp_axis(m_pan.x, g.grid_max.x - g.grid_min.x, g.cell_w * g.cols),
                   clamp_axis(m_pan.y, g.grid_max.y - g.grid_min.y, g.cell * g.rows));
    g.origin = add(g.grid_min, m_pan);
}

bool HeatmapCanvas::cell_at(const Geometry& g, ImVec2 p, int& i, int& j) const {
    if (p.x < g.grid_min.x || p.y < g.grid_min.y || p.x >= g.grid_max.x || p.y >= g.grid_max.y) return false;
    j = static_cast<int>(std::floor((p.x - g.origin.x) / g.cell_w));
    i = static_cast<int>(std::floor((p.y - g.origin.y) / g.cell));
    return i >= 0 && j >= 0 && i < g.rows && j < g.cols;
}

ImRect HeatmapCanvas::draw(const FrameContext& frame, const HeatmapInput& in, ImVec2 size, float label_overhang) {
    m_labels.refresh(in.trace);
    m_key_labels.refresh(keys_of(in.trace));
    m_cross = shows_cross(in.trace);
    const int rows = in.trace.n_tokens(), cols = key_count(in.trace);
    m_drawn_cell = m_number_px = 0.0f;
    if (rows == 0 || cols == 0 || size.x < 40 || size.y < 40) return ImRect(ImGui::GetCursorScreenPos(), ImGui::GetCursorScreenPos());
    m_max_zoom = std::max(64.0f, static_cast<float>(std::max(rows, cols)));  // enough to read single cells of any length
    Geometry g = layout(ImGui::GetCursorScreenPos(), size, rows, cols);
    g.overhang = label_overhang;
    clamp_pan(g);
    apply_pending_zoom(frame, g);
    follow_selection(frame.selection, g);
    handle_input(frame, g);
    m_drawn_cell = g.cell;
    report_wants(frame, g);
    draw_image(frame, in, g);
    draw_numbers(frame, in, g);
    draw_marks(frame, g);
    draw_row_labels(frame, g);
    draw_column_labels(frame, g);
    if (m_hover_i >= 0) draw_tooltip(frame, in, m_hover_i, m_hover_j);
    const ImVec2 shown_max(std::min(g.grid_max.x, g.origin.x + g.cell_w * cols), std::min(g.grid_max.y, g.origin.y + g.cell * rows));
    frame.actions.report_region("heatmap", g.grid_min, shown_max);
    return ImRect(g.grid_min, shown_max);
}

// [SECTION] Input

// The grid point kept in place is the selected cell's centre when it is on screen (or when asked
// to go there), else the view's centre.
void HeatmapCanvas::apply_pending_zoom(const FrameContext& frame, Geometry& g) {
    if (m_pending_zoom == 1.0f && m_zoom_to_selection == 0.0f) return;
    const Selection& s = frame.selection;
    const ImVec2 view_centre((g.grid_min.x + g.grid_max.x) * 0.5f, (g.grid_min.y + g.grid_max.y) * 0.5f);
    const ImVec2 selected(g.origin.x + (std::max(0, s.key >= 0 ? s.key : s.query) + 0.5f) * g.cell_w, g.origin.y + (s.query + 0.5f) * g.cell);
    const bool selected_on_screen = selected.x >= g.grid_min.x && selected.x < g.grid_max.x && selected.y >= g.grid_min.y && selected.y < g.grid_max.y;
    const bool go_to_selection = m_zoom_to_selection > 0.0f;
    const ImVec2 anchor = go_to_selection || selected_on_screen ? selected : view_centre;
    const ImVec2 under((anchor.x - g.origin.x) / g.cell_w, (anchor.y - g.origin.y) / g.cell);  // in cells
    m_zoom = std::clamp(go_to_selection ? m_zoom_to_selection : m_zoom * m_pending_zoom, 1.0f, m_max_zoom);
    m_pending_zoom = 1.0f;
    m_zoom_to_selection = 0.0f;
    const float overhang = g.overhang;
    g = layout(g.min, ImVec2(g.max.x - g.min.x, g.max.y - g.min.y), g.rows, g.cols);
    g.overhang = overhang;
    const ImVec2 target = go_to_selection ? ImVec2((g.grid_min.x + g.grid_max.x) * 0.5f, (g.grid_min.y + g.grid_max.y) * 0.5f) : anchor;
    m_pan = ImVec2(target.x - under.x * g.cell_w - g.grid_min.x, target.y - under.y * g.cell - g.grid_min.y);
    clamp_pan(g);
}

// A new query (or key) chosen off screen in a zoomed-in grid (the arrow keys, a chip, a lesson
// step) pans the grid as little as it takes to show its row (and column), so the highlighted row
// and its label never go missing; a click on the grid picks a cell already in view.
void HeatmapCanvas::follow_selection(const Selection& s, Geometry& g) {
    const bool query_changed = s.query != m_followed_query, key_changed = s.key != m_followed_key;
    m_followed_query = s.query;
    m_followed_key = s.key;
    // Moves `pan` so the cell [lo, lo + cell) lies within [view_lo, view_hi), or at least its start
    // when the cell is larger than the view.
    auto show = [](float& pan, float lo, float cell, float view_lo, float view_hi) {
        if (lo < view_lo) pan += view_lo - lo;
        else if (lo + cell > view_hi) pan -= std::min(lo + cell - view_hi, lo - view_lo);
    };
    if (query_changed && s.query >= 0 && s.query < g.rows) show(m_pan.y, g.origin.y + s.query * g.cell, g.cell, g.grid_min.y, g.grid_max.y);
    if (key_changed && s.key >= 0 && s.key < g.cols) show(m_pan.x, g.origin.x + s.key * g.cell_w, g.cell_w, g.grid_min.x, g.grid_max.x);
    clamp_pan(g);
}

void HeatmapCanvas::handle_input(const FrameContext& frame, Geometry& g) {
    ImGui::SetCursorScreenPos(g.min);
    ImGui::InvisibleButton("canvas", ImVec2(g.max.x - g.min.x, g.max.y - g.min.y),
                           ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
    const ImGuiIO& io = ImGui::GetIO();
    const bool hovered = ImGui::IsItemHovered();
    if (hovered && io.MouseWheel != 0.0f && io.KeyCtrl) {
        // Zoom at the pointer: the grid point under it stays under it.
        const ImVec2 under((io.MousePos.x - g.origin.x) / g.cell_w, (io.MousePos.y - g.origin.y) / g.cell);
        zoom_by(io.MouseWheel > 0 ? 1.25f : 0.8f);
        const float overhang = g.overhang;
        g = layout(g.min, ImVec2(g.max.x - g.min.x, g.max.y - g.min.y), g.rows, g.cols);
        g.overhang = overhang;
        m_pan = ImVec2(io.MousePos.x - under.x * g.cell_w - g.grid_min.x, io.MousePos.y - under.y * g.cell - g.grid_min.y);
    } else if (hovered && io.MouseWheel != 0.0f) {
        const float step = 3.0f * ImGui::GetTextLineHeight() * io.MouseWheel;
        (io.KeyShift ? m_pan.x : m_pan.y) += step;
    }
    if (hovered) m_pan.x += 3.0f * ImGui::GetTextLineHeight() * io.MouseWheelH;
    if (ImGui::IsItemActive() && (ImGui::IsMouseDragging(ImGuiMouseButton_Right) || ImGui::IsMouseDragging(ImGuiMouseButton_Middle)))
        m_pan = add(m_pan, io.MouseDelta);
    clamp_pan(g);

    m_hover_i = m_hover_j = -1;
    int i = -1, j = -1;
    if (hovered && cell_at(g, io.MousePos, i, j)) {
        m_hover_i = i;
        m_hover_j = j;
    }
    if (!ImGui::IsItemClicked(ImGuiMouseButton_Left)) return;
    Selection& s = frame.selection;
    const ImVec2 m = io.MousePos;
    const int row = static_cast<int>(std::floor((m.y - g.origin.y) / g.cell));
    const int col = static_cast<int>(std::floor((m.x - g.origin.x) / g.cell_w));
    if (m_hover_i >= 0) {
        s.query = m_hover_i;
        s.key = m_hover_j;
    } else if (m.x < g.grid_min.x && m.y >= g.grid_min.y && row >= 0 && row < g.rows) {
        s.query = row;  // a row label
    } else if (m.y < g.grid_min.y && m.x >= g.grid_min.x && col >= 0 && col < g.cols) {
        s.key = col;    // a column label
    }
}

// [SECTION] Grid

// A long trace's heatmap asks the attention fetcher for the cells on screen and the row under the
// pointer (sent in the next update step); a short one has them all.
void HeatmapCanvas::report_wants(const FrameContext& frame, const Geometry& g) const {
    WindowSpan visible;
    visible_range(g.origin.y, g.grid_min.y, g.grid_max.y, g.cell, g.rows, visible.r0, visible.r1);
    visible_range(g.origin.x, g.grid_min.x, g.grid_max.x, g.cell_w, g.cols, visible.c0, visible.c1);
    frame.wants.visible = visible;
    frame.wants.hover_row = m_hover_i;
}

void HeatmapCanvas::draw_image(const FrameContext& frame, const HeatmapInput& in, const Geometry& g) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 side(g.cell_w * g.cols, g.cell * g.rows);
    dl->PushClipRect(g.grid_min, g.grid_max, true);
    if (in.base.valid()) {
        const bool pooled = in.base_uv.x < 1.0f || in.base_uv.y < 1.0f || in.base.width() < g.cols;
        frame.shader.begin(dl, pooled ? &in.base_params : &in.params);
        dl->AddImage(in.base.imgui_id(), g.origin, ImVec2(g.origin.x + side.x, g.origin.y + side.y), ImVec2(0, 0), in.base_uv);
        ColormapShader::end(dl);
    }
    if (!in.base.valid() && !in.window.valid()) {  // a long trace's scores: the picture is on its way
        const char* text = "computing this head\xE2\x80\xA6";
        const ImVec2 ts = ImGui::CalcTextSize(text);
        const ImVec2 shown_max(std::min(g.grid_max.x, g.origin.x + side.x), std::min(g.grid_max.y, g.origin.y + side.y));
        dl->AddText(ImVec2((g.grid_min.x + shown_max.x - ts.x) * 0.5f, (g.grid_min.y + shown_max.y - ts.y) * 0.5f),
                    frame.theme.text_dim, text);
    }
    if (in.window.valid()) {
        const WindowSpan& w = in.window_span;
        frame.shader.begin(dl, &in.params);
        dl->AddImage(in.window.imgui_id(), ImVec2(g.origin.x + w.c0 * g.cell_w, g.origin.y + w.r0 * g.cell),
                     ImVec2(g.origin.x + w.c1 * g.cell_w, g.origin.y + w.r1 * g.cell));
        ColormapShader::end(dl);
    }
    dl->PopClipRect();
}

// At the font size, or smaller so a number fills at most kNumberFill of its cell's width and half
// its height. Much smaller numbers cannot be read from the back of a room: below
// smallest_text_px() the colours speak alone (the tooltip still has the values), and this is 0.
float HeatmapCanvas::number_px(ImFont* mono, ImVec2 cell, HeatmapField field) {
    const float full = ImGui::GetFontSize();
    const float sample_w = mono->CalcTextSizeA(full, FLT_MAX, 0.0f, field == HeatmapField::Scores ? "-0.00" : "0.00").x;
    const float size = std::min({full, full * cell.x * kNumberFill / sample_w, cell.y * 0.5f});
    return size < smallest_text_px() ? 0.0f : size;
}

void HeatmapCanvas::draw_numbers(const FrameContext& frame, const HeatmapInput& in, const Geometry& g) {
    m_number_px = in.numbers ? number_px(frame.fonts.mono, ImVec2(g.cell_w, g.cell), in.field) : 0.0f;
    if (m_number_px <= 0.0f) return;
    ImFont* font = frame.fonts.mono;
    const bool weights = in.field == HeatmapField::Weights;
    const ValueWeightedAttention* vw = in.value_weighted;
    const Matrix* shares = vw ? &vw->shown(in.layer, in.head, in.layer_sum()) : nullptr;
    const float size = m_number_px;
    int i0, i1, j0, j1;
    visible_range(g.origin.y, g.grid_min.y, g.grid_max.y, g.cell, g.rows, i0, i1);
    visible_range(g.origin.x, g.grid_min.x, g.grid_max.x, g.cell_w, g.cols, j0, j1);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->PushClipRect(g.grid_min, g.grid_max, true);
    for (int i = i0; i < i1; ++i)
        for (int j = j0; j < j1; ++j) {
            const std::optional<CellValue> c = frame.attention.cell(in.layer, in.head, i, j);
            if (!c || c->masked) continue;  // not fetched yet (a long trace): the colour comes first
            const float v = shares ? (*shares)(i, j) : weights ? c->weight : c->score;
            const std::string text = format(weights || shares || std::fabs(v) < 10 ? "%.2f" : "%.1f", v);
            const float t = (v - in.params.lo) / std::max(in.params.hi - in.params.lo, 1e-12f);
            const ImU32 color = readable_text_on(colormap_color(in.params.colormap, t));
            const ImVec2 ts = font->CalcTextSizeA(size, 1e9f, 0.0f, text.c_str());
            const ImVec2 p(g.origin.x + (j + 0.5f) * g.cell_w - ts.x * 0.5f, g.origin.y + (i + 0.5f) * g.cell - ts.y * 0.5f);
            dl->AddText(font, size, p, color, text.c_str());
        }
    dl->PopClipRect();
}

// Outlines: the hovered cell's row and column, the selected query row and the chosen key column.
void HeatmapCanvas::draw_marks(const FrameContext& frame, const Geometry& g) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Theme& th = frame.theme;
    const float width = g.cell_w * g.cols, height = g.cell * g.rows;
    auto row_rect = [&](int i, ImU32 c, float w) {
        dl->AddRect(ImVec2(g.origin.x, g.origin.y + i * g.cell), ImVec2(g.origin.x + width, g.origin.y + (i + 1) * g.cell), c, 0, 0, w);
    };
    auto col_rect = [&](int j, ImU32 c, float w) {
        dl->AddRect(ImVec2(g.origin.x + j * g.cell_w, g.origin.y), ImVec2(g.origin.x + (j + 1) * g.cell_w, g.origin.y + height), c, 0, 0, w);
    };
    dl->PushClipRect(ImVec2(g.grid_min.x - 2, g.grid_min.y - 2), ImVec2(g.grid_max.x, g.grid_max.y), true);
    if (m_hover_i >= 0) {
        row_rect(m_hover_i, th.text_dim, 1.0f);
        col_rect(m_hover_j, th.text_dim, 1.0f);
    }
    const Selection& s = frame.selection;
    if (s.key >= 0 && s.key < g.cols) col_rect(s.key, th.chip_key, 2.5f * th.stroke);
    if (s.query < g.rows) row_rect(s.query, th.highlight, 2.5f * th.stroke);
    dl->PopClipRect();
    // The selected row's part on screen, for the screenshot report (none when it is scrolled away).
    const float top = std::max(g.origin.y + s.query * g.cell, g.grid_min.y), bottom = std::min(g.origin.y + (s.query + 1) * g.cell, g.grid_max.y);
    const float left = std::max(g.origin.x, g.grid_min.x), right = std::min(g.origin.x + width, g.grid_max.x);
    if (s.query < g.rows && top < bottom && left < right) frame.actions.report_region("heatmap-query", ImVec2(left, top), ImVec2(right, bottom));
}

// [SECTION] Labels

// Row labels in type of g.row_text pixels, so each row has its own; when even the smallest type is
// taller than a row, every few rows have one, and the query row always does.
void HeatmapCanvas::draw_row_labels(const FrameContext& frame, const Geometry& g) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImFont* font = ImGui::GetFont();
    const float line_h = g.row_text;
    const int every = std::max(1, static_cast<int>(std::ceil(line_h / g.cell)));  // skip labels that would overlap
    int i0, i1;
    visible_range(g.origin.y, g.grid_min.y, g.grid_max.y, g.cell, g.rows, i0, i1);
    dl->PushClipRect(ImVec2(g.min.x, g.grid_min.y), ImVec2(g.grid_min.x, g.grid_max.y), true);
    const bool same_tokens = g.rows == g.cols && !m_cross;  // a row's token is also a column's
    for (int i = i0; i < i1; ++i) {
        const bool query = i == frame.selection.query, key = same_tokens && i == frame.selection.key;
        if (i % every != 0 && !query) continue;
        const std::string& label = m_labels[static_cast<std::size_t>(i)];
        const float w = font->CalcTextSizeA(line_h, FLT_MAX, 0.0f, label.c_str()).x;
        // Centred on its row. Rows thinner than a line: a label that would stick out of the grid is
        // skipped, except the query's, which is pulled inside.
        float y = g.origin.y + (i + 0.5f) * g.cell - line_h * 0.5f;
        const bool outside = y < g.grid_min.y || y + line_h > g.grid_max.y;
        if (outside && !query) continue;
        if (outside) y = std::clamp(y, g.grid_min.y, g.grid_max.y - line_h);
        const ImVec2 p(g.grid_min.x - kPad - w, y);
        if (query) {
            dl->AddRectFilled(ImVec2(p.x - 3, p.y), ImVec2(p.x + w + 3, p.y + line_h), frame.theme.chip_query, 3.0f);
            frame.actions.report_region("heatmap-query-label", ImVec2(std::max(p.x, g.min.x), p.y), ImVec2(p.x + w, p.y + line_h));
        }
        const ImU32 color = query ? readable_text_on(frame.theme.chip_query) : (key ? frame.theme.chip_key : frame.theme.text);
        dl->AddText(font, line_h, p, color, label.c_str());
    }
    dl->PopClipRect();
}

// Column labels in type of g.column_text pixels, level or leaning; like the rows, only labels the
// smallest type cannot keep apart are left out, and never the key column's.
void HeatmapCanvas::draw_column_labels(const FrameContext& frame, const Geometry& g) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImFont* font = ImGui::GetFont();
    const float line_h = g.column_text;
    const float spacing = g.rotated_columns ? g.cell_w * kSlant : g.cell_w;  // distance between neighbouring labels
    const int every = g.rotated_columns ? std::max(1, static_cast<int>(std::ceil(line_h / spacing))) : 1;
    int j0, j1;
    visible_range(g.origin.x, g.grid_min.x, g.grid_max.x, g.cell_w, g.cols, j0, j1);
    dl->PushClipRect(ImVec2(g.grid_min.x - line_h, g.min.y), ImVec2(g.max.x + g.overhang, g.grid_min.y), true);
    for (int j = j0; j < j1; ++j) {
        const bool key = j == frame.selection.key, query = !m_cross && j == frame.selection.query;
        if (j % every != 0 && !key) continue;
        const char* label = m_key_labels[static_cast<std::size_t>(j)].c_str();
        const ImU32 color = key ? frame.theme.chip_key : (query ? frame.theme.highlight : frame.theme.text);
        const float cx = g.origin.x + (j + 0.5f) * g.cell_w;
        if (!g.rotated_columns) {
            const float w = font->CalcTextSizeA(line_h, FLT_MAX, 0.0f, label).x;
            dl->AddText(font, line_h, ImVec2(cx - w * 0.5f, g.grid_min.y - kPad - line_h), color, label);
            continue;
        }
        // The label's left end, half a line down its own "down" direction, sits above the column.
        const ImVec2 down(kSlant, kSlant);
        const ImVec2 anchor(cx, g.grid_min.y - kPad);
        const ImVec2 pivot(anchor.x - down.x * line_h * 0.5f, anchor.y - down.y * line_h * 0.5f);
        draw_rotated_text(dl, font, line_h, pivot, color, label, kDiagonal);
    }
    dl->PopClipRect();
}

// [SECTION] Tooltip

void HeatmapCanvas::draw_tooltip(const FrameContext& frame, const HeatmapInput& in, int i, int j) const {
    const std::optional<CellValue> c = frame.attention.cell(in.layer, in.head, i, j);
    ImGui::BeginTooltip();
    if (m_cross)
        ImGui::Text("decoder step %d (%s: it writes \"%s\")  looks at  source %d \"%s\"", i, m_labels[i].c_str(),
                    written_at(in.trace, i).c_str(), j, m_key_labels[j].c_str());
    else
        ImGui::Text("query %d \"%s\"  \xE2\x86\x92  key %d \"%s\"", i, m_labels[i].c_str(), j, m_key_labels[j].c_str());
    ImGui::Separator();
    if (!c) {
        ImGui::TextDisabled("computing this row\xE2\x80\xA6");  // a long trace: fetched in the background, in a moment
    } else if (c->masked) {
        colored_wrapped_text(frame.theme.text_dim, "masked: in a causal model a token cannot look at later tokens, so this weight is exactly 0");
    } else {
        const float scale = in.trace.layers[static_cast<std::size_t>(in.layer)].scale;  // this layer's own factor
        ImGui::Text("raw score  q\xC2\xB7k         %9.4f", c->score / scale);
        ImGui::Text("scaled score \xC3\x97 %.4f  %9.4f", scale, c->score);
        ImGui::Text("weight (softmax)      %9.4f", c->weight);
        if (in.value_weighted) draw_value_weighted_tooltip(in, i, j, c->weight);
    }
    ImGui::TextDisabled("click: query %d, key %d", i, j);
    ImGui::EndTooltip();
}

// The cell's norm before it became a share of its row, and where it comes from: the weight times
// the length of what the key's value adds (one head), or the layer's heads' norms summed.
void HeatmapCanvas::draw_value_weighted_tooltip(const HeatmapInput& in, int i, int j, float weight) const {
    const ValueWeightedAttention& vw = *in.value_weighted;
    const bool sum = in.layer_sum();
    ImGui::Separator();
    if (sum) {
        ImGui::Text("\xE2\x80\x96\xCE\xB1\xC2\xB7" "f(x)\xE2\x80\x96 summed over %d heads %9.4f", vw.n_heads, vw.norm(in.layer, in.head, true, i, j));
    } else {
        const float f = vw.value_norms[vw.index(in.layer, in.head)](j);
        ImGui::Text("\xE2\x80\x96" "f(x_j)\xE2\x80\x96 what key %d's value adds %9.4f", j, f);
        ImGui::Text("\xE2\x80\x96\xCE\xB1\xC2\xB7" "f(x_j)\xE2\x80\x96 = %.4f \xC3\x97 %.4f  %9.4f", weight, f, vw.norm(in.layer, in.head, false, i, j));
    }
    ImGui::Text("share of row %d (shown) %9.4f", i, vw.shown(in.layer, in.head, sum)(i, j));
}

}  // namespace attnscope::gui
