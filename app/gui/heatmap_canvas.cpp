// Sections: [SECTION] Layout  [SECTION] Input  [SECTION] Grid  [SECTION] Labels  [SECTION] Tooltip
#include "heatmap_canvas.h"

#include <algorithm>
#include <cmath>

#include "draw_util.h"

namespace attnscope::gui {

namespace {

constexpr float kPad = 6.0f;
constexpr float kMaxCellLines = 10.0f;  // a 3-token sentence gets big cells, not a wall of colour
constexpr float kDiagonal = -0.7853982f;  // column labels read upwards at 45 degrees

ImVec2 add(ImVec2 a, ImVec2 b) { return ImVec2(a.x + b.x, a.y + b.y); }

bool is_masked(float score) { return std::isinf(score) && score < 0; }

// Rows (or columns) [first, last) of the grid that are on screen.
void visible_range(float origin, float view_min, float view_max, float cell, int n, int& first, int& last) {
    first = std::clamp(static_cast<int>(std::floor((view_min - origin) / cell)), 0, n);
    last = std::clamp(static_cast<int>(std::ceil((view_max - origin) / cell)), 0, n);
}

}  // namespace

// [SECTION] Layout

HeatmapCanvas::Geometry HeatmapCanvas::layout(ImVec2 pos, ImVec2 size, int n) const {
    Geometry g;
    g.n = n;
    g.min = pos;
    g.max = add(pos, size);
    const float line_h = ImGui::GetTextLineHeight();
    const float left = std::min(m_labels.max_width() + 2 * kPad, size.x * 0.3f);
    auto cell_for = [&](float top) {
        const float fit = std::min((size.x - left) / n, (size.y - top) / n);
        return std::clamp(fit, 1.0f, kMaxCellLines * line_h) * m_zoom;
    };
    float top = line_h + 2 * kPad;
    g.cell = cell_for(top);
    g.rotated_columns = g.cell < m_labels.max_width() + kPad;  // labels wider than their column lean
    if (g.rotated_columns) {
        top = std::min(m_labels.max_width() * 0.7071f + line_h * 1.5f + kPad, size.y * 0.3f);
        g.cell = cell_for(top);
    }
    g.grid_min = ImVec2(pos.x + left, pos.y + top);
    g.grid_max = g.max;
    g.origin = add(g.grid_min, m_pan);
    return g;
}

void HeatmapCanvas::clamp_pan(Geometry& g) {
    const float total = g.cell * g.n;
    auto clamp_axis = [total](float pan, float view) { return total <= view ? 0.0f : std::clamp(pan, view - total, 0.0f); };
    m_pan = ImVec2(clamp_axis(m_pan.x, g.grid_max.x - g.grid_min.x), clamp_axis(m_pan.y, g.grid_max.y - g.grid_min.y));
    g.origin = add(g.grid_min, m_pan);
}

bool HeatmapCanvas::cell_at(const Geometry& g, ImVec2 p, int& i, int& j) const {
    if (p.x < g.grid_min.x || p.y < g.grid_min.y || p.x >= g.grid_max.x || p.y >= g.grid_max.y) return false;
    j = static_cast<int>(std::floor((p.x - g.origin.x) / g.cell));
    i = static_cast<int>(std::floor((p.y - g.origin.y) / g.cell));
    return i >= 0 && j >= 0 && i < g.n && j < g.n;
}

ImRect HeatmapCanvas::draw(const FrameContext& frame, const HeatmapInput& in, ImVec2 size, float label_overhang) {
    m_labels.refresh(in.trace);
    const int n = in.trace.n_tokens();
    if (n == 0 || size.x < 40 || size.y < 40) return ImRect(ImGui::GetCursorScreenPos(), ImGui::GetCursorScreenPos());
    Geometry g = layout(ImGui::GetCursorScreenPos(), size, n);
    g.overhang = label_overhang;
    clamp_pan(g);
    handle_input(frame, g);
    draw_image(frame, in, g);
    draw_numbers(frame, in, g);
    draw_marks(frame, g);
    draw_row_labels(frame, g);
    draw_column_labels(frame, g);
    if (m_hover_i >= 0) draw_tooltip(frame, in, m_hover_i, m_hover_j);
    const ImVec2 shown_max(std::min(g.grid_max.x, g.origin.x + g.cell * n), std::min(g.grid_max.y, g.origin.y + g.cell * n));
    frame.actions.report_region("heatmap", g.grid_min, shown_max);
    return ImRect(g.grid_min, shown_max);
}

// [SECTION] Input

void HeatmapCanvas::handle_input(const FrameContext& frame, Geometry& g) {
    ImGui::SetCursorScreenPos(g.min);
    ImGui::InvisibleButton("canvas", ImVec2(g.max.x - g.min.x, g.max.y - g.min.y),
                           ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
    const ImGuiIO& io = ImGui::GetIO();
    const bool hovered = ImGui::IsItemHovered();
    if (hovered && io.MouseWheel != 0.0f && io.KeyCtrl) {
        // Zoom at the pointer: the grid point under it stays under it.
        const float old_cell = g.cell;
        const ImVec2 under((io.MousePos.x - g.origin.x) / old_cell, (io.MousePos.y - g.origin.y) / old_cell);
        zoom_by(io.MouseWheel > 0 ? 1.25f : 0.8f);
        const float overhang = g.overhang;
        g = layout(g.min, ImVec2(g.max.x - g.min.x, g.max.y - g.min.y), g.n);
        g.overhang = overhang;
        m_pan = ImVec2(io.MousePos.x - under.x * g.cell - g.grid_min.x, io.MousePos.y - under.y * g.cell - g.grid_min.y);
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
    const int col = static_cast<int>(std::floor((m.x - g.origin.x) / g.cell));
    if (m_hover_i >= 0) {
        s.query = m_hover_i;
        s.key = m_hover_j;
    } else if (m.x < g.grid_min.x && m.y >= g.grid_min.y && row >= 0 && row < g.n) {
        s.query = row;  // a row label
    } else if (m.y < g.grid_min.y && m.x >= g.grid_min.x && col >= 0 && col < g.n) {
        s.key = col;    // a column label
    }
}

// [SECTION] Grid

void HeatmapCanvas::draw_image(const FrameContext& frame, const HeatmapInput& in, const Geometry& g) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float side = g.cell * g.n;
    dl->PushClipRect(g.grid_min, g.grid_max, true);
    frame.shader.begin(dl, &in.params);
    dl->AddImage(in.texture.imgui_id(), g.origin, ImVec2(g.origin.x + side, g.origin.y + side));
    ColormapShader::end(dl);
    dl->PopClipRect();
}

void HeatmapCanvas::draw_numbers(const FrameContext& frame, const HeatmapInput& in, const Geometry& g) const {
    if (!in.numbers) return;
    ImFont* font = frame.fonts.mono;
    const float size = std::min(ImGui::GetFontSize(), g.cell * 0.34f);
    const bool weights = in.field == HeatmapField::Weights;
    const float sample_w = font->CalcTextSizeA(size, 1e9f, 0.0f, weights ? "0.00" : "-0.00").x;
    // Numbers much smaller than the text around them cannot be read from the back of a room:
    // below 60% of the font size, the colours speak alone (the tooltip still has the values).
    if (size < std::max(10.0f, ImGui::GetFontSize() * 0.6f) || sample_w > g.cell - 4.0f) return;
    const HeadTrace& h = in.trace.head(in.layer, in.head);
    int i0, i1, j0, j1;
    visible_range(g.origin.y, g.grid_min.y, g.grid_max.y, g.cell, g.n, i0, i1);
    visible_range(g.origin.x, g.grid_min.x, g.grid_max.x, g.cell, g.n, j0, j1);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->PushClipRect(g.grid_min, g.grid_max, true);
    for (int i = i0; i < i1; ++i)
        for (int j = j0; j < j1; ++j) {
            if (is_masked(h.scores(i, j))) continue;
            const float v = weights ? h.weights(i, j) : h.scores(i, j);
            const std::string text = format(weights || std::fabs(v) < 10 ? "%.2f" : "%.1f", v);
            const float t = (v - in.params.lo) / std::max(in.params.hi - in.params.lo, 1e-12f);
            const ImU32 color = readable_text_on(colormap_color(in.params.colormap, t));
            const ImVec2 ts = font->CalcTextSizeA(size, 1e9f, 0.0f, text.c_str());
            const ImVec2 p(g.origin.x + (j + 0.5f) * g.cell - ts.x * 0.5f, g.origin.y + (i + 0.5f) * g.cell - ts.y * 0.5f);
            dl->AddText(font, size, p, color, text.c_str());
        }
    dl->PopClipRect();
}

// Outlines: the hovered cell's row and column, the selected query row and the chosen key column.
void HeatmapCanvas::draw_marks(const FrameContext& frame, const Geometry& g) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Theme& th = frame.theme;
    const float side = g.cell * g.n;
    auto row_rect = [&](int i, ImU32 c, float w) {
        dl->AddRect(ImVec2(g.origin.x, g.origin.y + i * g.cell), ImVec2(g.origin.x + side, g.origin.y + (i + 1) * g.cell), c, 0, 0, w);
    };
    auto col_rect = [&](int j, ImU32 c, float w) {
        dl->AddRect(ImVec2(g.origin.x + j * g.cell, g.origin.y), ImVec2(g.origin.x + (j + 1) * g.cell, g.origin.y + side), c, 0, 0, w);
    };
    dl->PushClipRect(ImVec2(g.grid_min.x - 2, g.grid_min.y - 2), ImVec2(g.grid_max.x, g.grid_max.y), true);
    if (m_hover_i >= 0) {
        row_rect(m_hover_i, th.text_dim, 1.0f);
        col_rect(m_hover_j, th.text_dim, 1.0f);
    }
    const Selection& s = frame.selection;
    if (s.key >= 0 && s.key < g.n) col_rect(s.key, th.chip_key, 2.5f * th.stroke);
    if (s.query < g.n) row_rect(s.query, th.highlight, 2.5f * th.stroke);
    dl->PopClipRect();
}

// [SECTION] Labels

void HeatmapCanvas::draw_row_labels(const FrameContext& frame, const Geometry& g) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float line_h = ImGui::GetTextLineHeight();
    const int every = std::max(1, static_cast<int>(std::ceil(line_h / g.cell)));  // skip labels that would overlap
    int i0, i1;
    visible_range(g.origin.y, g.grid_min.y, g.grid_max.y, g.cell, g.n, i0, i1);
    dl->PushClipRect(ImVec2(g.min.x, g.grid_min.y), ImVec2(g.grid_min.x, g.grid_max.y), true);
    for (int i = i0; i < i1; ++i) {
        const bool query = i == frame.selection.query, key = i == frame.selection.key;
        if (i % every != 0 && !query) continue;
        const std::string& label = m_labels[static_cast<std::size_t>(i)];
        const float w = ImGui::CalcTextSize(label.c_str()).x;
        // Centred on its row. Rows thinner than a line: a label that would stick out of the grid is
        // skipped, except the query's, which is pulled inside.
        float y = g.origin.y + (i + 0.5f) * g.cell - line_h * 0.5f;
        const bool outside = y < g.grid_min.y || y + line_h > g.grid_max.y;
        if (outside && !query) continue;
        if (outside) y = std::clamp(y, g.grid_min.y, g.grid_max.y - line_h);
        const ImVec2 p(g.grid_min.x - kPad - w, y);
        if (query) dl->AddRectFilled(ImVec2(p.x - 3, p.y), ImVec2(p.x + w + 3, p.y + line_h), frame.theme.chip_query, 3.0f);
        const ImU32 color = query ? readable_text_on(frame.theme.chip_query) : (key ? frame.theme.chip_key : frame.theme.text);
        dl->AddText(p, color, label.c_str());
    }
    dl->PopClipRect();
}

void HeatmapCanvas::draw_column_labels(const FrameContext& frame, const Geometry& g) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float line_h = ImGui::GetTextLineHeight();
    const float spacing = g.rotated_columns ? g.cell * 0.7071f : g.cell;  // distance between neighbouring labels
    const int every = g.rotated_columns ? std::max(1, static_cast<int>(std::ceil(line_h / spacing))) : 1;
    int j0, j1;
    visible_range(g.origin.x, g.grid_min.x, g.grid_max.x, g.cell, g.n, j0, j1);
    dl->PushClipRect(ImVec2(g.grid_min.x - line_h, g.min.y), ImVec2(g.max.x + g.overhang, g.grid_min.y), true);
    for (int j = j0; j < j1; ++j) {
        const bool key = j == frame.selection.key, query = j == frame.selection.query;
        if (j % every != 0 && !key) continue;
        const char* label = m_labels[static_cast<std::size_t>(j)].c_str();
        const ImU32 color = key ? frame.theme.chip_key : (query ? frame.theme.highlight : frame.theme.text);
        const float cx = g.origin.x + (j + 0.5f) * g.cell;
        if (!g.rotated_columns) {
            const float w = ImGui::CalcTextSize(label).x;
            dl->AddText(ImVec2(cx - w * 0.5f, g.grid_min.y - kPad - line_h), color, label);
            continue;
        }
        // The label's left end, half a line down its own "down" direction, sits above the column.
        const ImVec2 down(0.7071f, 0.7071f);
        const ImVec2 anchor(cx, g.grid_min.y - kPad);
        const ImVec2 pivot(anchor.x - down.x * line_h * 0.5f, anchor.y - down.y * line_h * 0.5f);
        draw_rotated_text(dl, nullptr, ImGui::GetFontSize(), pivot, color, label, kDiagonal);
    }
    dl->PopClipRect();
}

// [SECTION] Tooltip

void HeatmapCanvas::draw_tooltip(const FrameContext& frame, const HeatmapInput& in, int i, int j) const {
    const HeadTrace& h = in.trace.head(in.layer, in.head);
    const float scaled = h.scores(i, j);
    ImGui::BeginTooltip();
    ImGui::Text("query %d \"%s\"  \xE2\x86\x92  key %d \"%s\"", i, m_labels[i].c_str(), j, m_labels[j].c_str());
    ImGui::Separator();
    if (is_masked(scaled)) {
        colored_wrapped_text(frame.theme.text_dim, "masked: in a causal model a token cannot look at later tokens, so this weight is exactly 0");
    } else {
        const float scale = in.trace.scale;
        ImGui::Text("raw score  q\xC2\xB7k         %9.4f", scaled / scale);
        ImGui::Text("scaled score \xC3\x97 %.4f  %9.4f", scale, scaled);
        ImGui::Text("weight (softmax)      %9.4f", h.weights(i, j));
    }
    ImGui::TextDisabled("click: query %d, key %d", i, j);
    ImGui::EndTooltip();
}

}  // namespace attnscope::gui
