#include "widgets/matrix_view.h"

#include <algorithm>
#include <cmath>

#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

// Largest |value| among the cells that are drawn: colours run from -a to +a so 0 sits mid-scale.
float largest_magnitude(const Matrix& m, int rows, int cols) {
    float a = 0.0f;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) a = std::max(a, std::abs(m(r, c)));
    return a > 0.0f ? a : 1.0f;
}

float row_label_width(const StepMatrix& m, int rows) {
    float w = 0.0f;
    for (int r = 0; r < rows && r < static_cast<int>(m.row_labels.size()); ++r)
        w = std::max(w, ImGui::CalcTextSize(m.row_labels[static_cast<std::size_t>(r)].c_str()).x);
    return w > 0.0f ? w + ImGui::GetStyle().ItemSpacing.x : 0.0f;
}

}  // namespace

ImVec2 draw_matrix_view(const FrameContext& frame, const StepMatrix& m, float cell) {
    const int rows = std::min<int>(static_cast<int>(m.values.rows()), kMatrixViewMaxRows);
    const int cols = std::min<int>(static_cast<int>(m.values.cols()), kMatrixViewMaxCols);
    const ImVec2 start = ImGui::GetCursorScreenPos();
    ImGui::TextUnformatted(m.title.c_str());
    const ImVec2 grid_pos = ImGui::GetCursorScreenPos();
    const float label_w = row_label_width(m, rows);
    const float cell_h = std::max(cell * 0.6f, ImGui::GetFontSize() * 1.3f);
    const float a = largest_magnitude(m.values, rows, cols);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Colormap colormap = frame.state.settings.colormap;
    for (int r = 0; r < rows; ++r) {
        const float y = grid_pos.y + static_cast<float>(r) * cell_h;
        if (r < static_cast<int>(m.row_labels.size()))
            dl->AddText(ImVec2(grid_pos.x, y + (cell_h - ImGui::GetFontSize()) * 0.5f),
                        r == m.highlight_row ? frame.theme.accent : frame.theme.text, m.row_labels[static_cast<std::size_t>(r)].c_str());
        for (int c = 0; c < cols; ++c) {
            const ImVec2 p0(grid_pos.x + label_w + static_cast<float>(c) * cell, y);
            const ImVec2 p1(p0.x + cell - 1.0f, p0.y + cell_h - 1.0f);
            const ImU32 bg = colormap_color(colormap, 0.5f + 0.5f * m.values(r, c) / a);
            dl->AddRectFilled(p0, p1, bg);
            const std::string text = format_number(m.values(r, c));
            const ImVec2 ts = frame.fonts.mono->CalcTextSizeA(ImGui::GetFontSize(), FLT_MAX, 0.0f, text.c_str());
            if (ts.x < cell - 2.0f)
                dl->AddText(frame.fonts.mono, ImGui::GetFontSize(), ImVec2(p0.x + (cell - ts.x) * 0.5f, p0.y + (cell_h - ts.y) * 0.5f),
                            readable_text_on(bg), text.c_str());
        }
        if (r == m.highlight_row)
            dl->AddRect(ImVec2(grid_pos.x + label_w - 2, y - 1), ImVec2(grid_pos.x + label_w + cols * cell + 1, y + cell_h),
                        frame.theme.accent, 0.0f, 0, 3.0f * frame.theme.stroke);
    }
    ImGui::Dummy(ImVec2(label_w + static_cast<float>(cols) * cell, static_cast<float>(rows) * cell_h));
    if (rows < m.values.rows() || cols < m.values.cols())  // short, so side-by-side matrices keep their width
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.text_dim), "\xE2\x80\xA6 first %d \xC3\x97 %d", rows, cols);
    const ImVec2 end = ImGui::GetCursorScreenPos();
    return ImVec2(std::max(ImGui::GetItemRectMax().x - start.x, label_w + cols * cell), end.y - start.y);
}

}  // namespace attnscope::gui
