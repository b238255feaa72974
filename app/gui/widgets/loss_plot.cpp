#include "widgets/loss_plot.h"

#include <algorithm>
#include <cmath>

#include "widgets/draw_util.h"

namespace attnscope::gui {

std::vector<double> round_ticks(double hi, int max_ticks) {
    if (!(hi > 0.0) || !std::isfinite(hi) || max_ticks < 2) return {0.0};
    const double rough = hi / (max_ticks - 1);
    const double power = std::pow(10.0, std::floor(std::log10(rough)));
    double step = power;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * power >= rough) {
            step = m * power;
            break;
        }
    std::vector<double> ticks;
    for (int k = 0; k * step <= hi * (1.0 + 1e-9) && static_cast<int>(ticks.size()) < max_ticks; ++k) ticks.push_back(k * step);
    if (ticks.back() < hi) ticks.push_back(ticks.back() + step);  // the top tick is at or above the highest loss
    return ticks;
}

namespace {

std::string tick_label(double v) {
    if (v == 0.0) return "0";
    if (std::fabs(v) >= 1000) return format("%.0fk", v / 1000.0);
    return std::fabs(v - std::round(v)) < 1e-9 ? format("%.0f", v) : format("%.1f", v);
}

}  // namespace

void draw_loss_plot(const FrameContext& frame, const std::vector<LossPoint>& points, int last_step, int marked, ImVec2 size) {
    const Theme& th = frame.theme;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    ImGui::Dummy(size);
    const float line = ImGui::GetTextLineHeight();
    float hi = 0.0f;
    for (const LossPoint& p : points) hi = std::max(hi, p.loss);
    const std::vector<double> y_ticks = round_ticks(hi > 0 ? hi : 1.0, 5);
    const std::vector<double> x_ticks = round_ticks(std::max(1, last_step), 5);
    float label_w = 0.0f;
    for (double t : y_ticks) label_w = std::max(label_w, ImGui::CalcTextSize(tick_label(t).c_str()).x);
    // The plot area: labels left and below, the axis names in the corners.
    const ImVec2 a(pos.x + label_w + line * 0.6f, pos.y + line * 0.5f);
    const ImVec2 b(pos.x + size.x - ImGui::CalcTextSize(tick_label(x_ticks.back()).c_str()).x * 0.5f, pos.y + size.y - line * 2.2f);
    if (b.x - a.x < 40 || b.y - a.y < 40) return;
    const double y_top = y_ticks.back(), x_right = x_ticks.back();
    auto to_screen = [&](double step, double loss) {
        return ImVec2(a.x + static_cast<float>(step / x_right) * (b.x - a.x), b.y - static_cast<float>(loss / y_top) * (b.y - a.y));
    };
    for (double t : y_ticks) {
        const ImVec2 p = to_screen(0, t);
        dl->AddLine(ImVec2(a.x, p.y), ImVec2(b.x, p.y), th.text_dim & 0x40FFFFFFu);  // faint grid line
        const std::string s = tick_label(t);
        dl->AddText(ImVec2(a.x - line * 0.3f - ImGui::CalcTextSize(s.c_str()).x, p.y - line * 0.5f), th.text_dim, s.c_str());
    }
    for (double t : x_ticks) {
        const ImVec2 p = to_screen(t, 0);
        dl->AddLine(ImVec2(p.x, b.y), ImVec2(p.x, b.y + line * 0.3f), th.text_dim);
        const std::string s = tick_label(t);
        dl->AddText(ImVec2(p.x - ImGui::CalcTextSize(s.c_str()).x * 0.5f, b.y + line * 0.3f), th.text_dim, s.c_str());
    }
    dl->AddLine(a, ImVec2(a.x, b.y), th.text, 1.5f);
    dl->AddLine(ImVec2(a.x, b.y), b, th.text, 1.5f);
    dl->AddText(ImVec2(b.x - ImGui::CalcTextSize("step").x, b.y + line * 1.2f), th.text_dim, "step");
    for (std::size_t k = 1; k < points.size(); ++k)
        dl->AddLine(to_screen(points[k - 1].step, points[k - 1].loss), to_screen(points[k].step, points[k].loss), th.accent, 2.5f * th.stroke);
    if (points.size() == 1) dl->AddCircleFilled(to_screen(points[0].step, points[0].loss), 3.0f * th.stroke, th.accent);
    if (marked >= 0 && marked < static_cast<int>(points.size())) {
        const ImVec2 p = to_screen(points[static_cast<std::size_t>(marked)].step, points[static_cast<std::size_t>(marked)].loss);
        dl->AddLine(ImVec2(p.x, a.y), ImVec2(p.x, b.y), th.highlight & 0x80FFFFFFu);
        dl->AddCircleFilled(p, 5.0f * th.stroke, th.highlight);
    }
}

}  // namespace attnscope::gui
