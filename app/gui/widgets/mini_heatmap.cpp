#include "widgets/mini_heatmap.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "attnscope/token_labels.h"
#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

constexpr float kUp = -1.5707963f;  // column labels read upwards

}  // namespace

void draw_mini_heatmap(const FrameContext& frame, const Trace& trace, int layer, int head, int highlight_row, ImVec2 size) {
    const int n = trace.n_tokens();
    if (n == 0 || layer >= static_cast<int>(trace.layers.size()) || head >= static_cast<int>(trace.layers[0].heads.size())) return;
    if (!trace.keeps_attention()) return;  // a long text: its callers show sentences, and say so
    ImFont* font = ImGui::GetFont();
    const float fs = ImGui::GetFontSize();
    float label_w = 0.f;
    for (int i = 0; i < n; ++i) label_w = std::max(label_w, ImGui::CalcTextSize(token_label(trace, i).c_str()).x);
    label_w += fs * 0.5f;
    const float cell = std::max(4.0f, std::floor(std::min((size.x - label_w) / n, (size.y - label_w) / n)));
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const ImVec2 origin(pos.x + label_w, pos.y + label_w);  // cell (0, 0)'s corner
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Matrix& w = trace.head(layer, head).weights;      // n x n, rows = queries
    const Matrix& scores = trace.head(layer, head).scores;
    const Colormap cmap = frame.state.settings.colormap;
    const bool numbers = cell >= fs * 2.2f;
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
            const ImVec2 a(origin.x + j * cell, origin.y + i * cell), b(a.x + cell, a.y + cell);
            const bool masked = std::isinf(scores(i, j)) && scores(i, j) < 0;
            const ImU32 fill = masked ? ImGui::ColorConvertFloat4ToU32(frame.theme.mask_a) : colormap_color(cmap, w(i, j));
            dl->AddRectFilled(a, b, fill);
            if (numbers && !masked) {
                const std::string v = format("%.2f", static_cast<double>(w(i, j)));
                const ImVec2 ts = ImGui::CalcTextSize(v.c_str());
                dl->AddText(ImVec2(a.x + (cell - ts.x) * 0.5f, a.y + (cell - ts.y) * 0.5f), readable_text_on(fill), v.c_str());
            }
        }
        const std::string row = token_label(trace, i);
        const ImU32 color = i == highlight_row ? frame.theme.accent : frame.theme.text;
        dl->AddText(ImVec2(origin.x - fs * 0.3f - ImGui::CalcTextSize(row.c_str()).x, origin.y + i * cell + (cell - fs) * 0.5f), color, row.c_str());
        draw_rotated_text(dl, font, fs, ImVec2(origin.x + i * cell + (cell - fs) * 0.5f, origin.y - fs * 0.3f), frame.theme.text, row.c_str(), kUp);
    }
    dl->AddRect(origin, ImVec2(origin.x + n * cell, origin.y + n * cell), frame.theme.text_dim);
    if (highlight_row >= 0 && highlight_row < n)
        dl->AddRect(ImVec2(origin.x, origin.y + highlight_row * cell), ImVec2(origin.x + n * cell, origin.y + (highlight_row + 1) * cell),
                    frame.theme.accent, 0.f, 0, 3.0f * frame.theme.stroke);
    ImGui::Dummy(ImVec2(label_w + n * cell, label_w + n * cell));
}

}  // namespace attnscope::gui
