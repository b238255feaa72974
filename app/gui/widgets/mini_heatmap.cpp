#include "widgets/mini_heatmap.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "attnscope/token_labels.h"
#include "widgets/draw_util.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

constexpr float kUp = -1.5707963f;  // column labels read upwards

}  // namespace

void draw_mini_heatmap(const FrameContext& frame, const Trace& trace, int layer, int head, int highlight_row, ImVec2 size) {
    const int n = trace.n_tokens();
    const Trace& keys = keys_of(trace);  // the source's tokens for cross-attention: n x n_keys
    const int n_keys = keys.n_tokens();
    if (n == 0 || n_keys == 0 || layer >= static_cast<int>(trace.layers.size()) || head >= static_cast<int>(trace.layers[0].heads.size())) return;
    if (!trace.keeps_attention()) return;  // a long text: its callers show sentences, and say so
    ImFont* font = ImGui::GetFont();
    // Labels in type that fits their row (down to smallest_text_px()): large presentation type
    // beside small cells would run into each other. Two passes: smaller labels leave more room.
    float widest = 0.f;  // at the font size
    for (int i = 0; i < n; ++i) widest = std::max(widest, ImGui::CalcTextSize(token_label(trace, i).c_str()).x);
    for (int j = 0; j < n_keys; ++j) widest = std::max(widest, ImGui::CalcTextSize(token_label(keys, j).c_str()).x);
    float fs = ImGui::GetFontSize(), label_w = 0.f, cell = 0.f;
    for (int pass = 0; pass < 2; ++pass) {
        label_w = widest * fs / ImGui::GetFontSize() + fs * 0.5f;
        cell = std::max(4.0f, std::floor(std::min((size.x - label_w) / n_keys, (size.y - label_w) / n)));
        fs = std::clamp(cell * 0.85f, std::min(ImGui::GetFontSize(), smallest_text_px()), ImGui::GetFontSize());
    }
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const ImVec2 origin(pos.x + label_w, pos.y + label_w);  // cell (0, 0)'s corner
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Matrix& w = trace.head(layer, head).weights;      // n x n_keys, rows = queries
    const Matrix& scores = trace.head(layer, head).scores;
    const Colormap cmap = frame.state.settings.colormap;
    const bool numbers = cell >= ImGui::GetFontSize() * 2.2f;  // numbers at the full font size
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n_keys; ++j) {
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
        const float row_w = font->CalcTextSizeA(fs, FLT_MAX, 0.0f, row.c_str()).x;
        dl->AddText(font, fs, ImVec2(origin.x - fs * 0.3f - row_w, origin.y + i * cell + (cell - fs) * 0.5f), color, row.c_str());
    }
    for (int j = 0; j < n_keys; ++j)
        draw_rotated_text(dl, font, fs, ImVec2(origin.x + j * cell + (cell - fs) * 0.5f, origin.y - fs * 0.3f), frame.theme.text,
                          token_label(keys, j).c_str(), kUp);
    dl->AddRect(origin, ImVec2(origin.x + n_keys * cell, origin.y + n * cell), frame.theme.text_dim);
    if (highlight_row >= 0 && highlight_row < n)
        dl->AddRect(ImVec2(origin.x, origin.y + highlight_row * cell), ImVec2(origin.x + n_keys * cell, origin.y + (highlight_row + 1) * cell),
                    frame.theme.accent, 0.f, 0, 3.0f * frame.theme.stroke);
    ImGui::Dummy(ImVec2(label_w + n_keys * cell, label_w + n * cell));
}

}  // namespace attnscope::gui
