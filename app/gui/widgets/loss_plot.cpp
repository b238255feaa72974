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

namespace {

// The plot's frame: axes, ticks and grid for x in [0, x_right] and y in [0, y_top].
struct PlotFrame {
    ImVec2 a, b;  // top-left and bottom-right of the plot area
    double x_right = 1, y_top = 1;
    ImVec2 at(double step, double value) const {
        return ImVec2(a.x + static_cast<float>(step / x_right) * (b.x - a.x), b.y - static_cast<float>(value / y_top) * (b.y - a.y));
    }
};

// Draws the axes into `size` at the cursor; false when the space is too small for a plot.
bool draw_axes(const FrameContext& frame, int last_step, double y_hi, ImVec2 size, PlotFrame& out) {
    const Theme& th = frame.theme;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    ImGui::Dummy(size);
    const float line = ImGui::GetTextLineHeight();
    const std::vector<double> y_ticks = round_ticks(y_hi > 0 ? y_hi : 1.0, 5);
    const std::vector<double> x_ticks = round_ticks(std::max(1, last_step), 5);
    float label_w = 0.0f;
    for (double t : y_ticks) label_w = std::max(label_w, ImGui::CalcTextSize(tick_label(t).c_str()).x);
    // The plot area: labels left and below, the axis names in the corners.
    out.a = ImVec2(pos.x + label_w + line * 0.6f, pos.y + line * 0.5f);
    out.b = ImVec2(pos.x + size.x - ImGui::CalcTextSize(tick_label(x_ticks.back()).c_str()).x * 0.5f, pos.y + size.y - line * 2.2f);
    if (out.b.x - out.a.x < 40 || out.b.y - out.a.y < 40) return false;
    out.y_top = y_ticks.back();
    out.x_right = x_ticks.back();
    const ImVec2 a = out.a, b = out.b;
    for (double t : y_ticks) {
        const ImVec2 p = out.at(0, t);
        dl->AddLine(ImVec2(a.x, p.y), ImVec2(b.x, p.y), th.text_dim & 0x40FFFFFFu);  // faint grid line
        const std::string s = tick_label(t);
        dl->AddText(ImVec2(a.x - line * 0.3f - ImGui::CalcTextSize(s.c_str()).x, p.y - line * 0.5f), th.text_dim, s.c_str());
    }
    for (double t : x_ticks) {
        const ImVec2 p = out.at(t, 0);
        dl->AddLine(ImVec2(p.x, b.y), ImVec2(p.x, b.y + line * 0.3f), th.text_dim);
        const std::string s = tick_label(t);
        dl->AddText(ImVec2(p.x - ImGui::CalcTextSize(s.c_str()).x * 0.5f, b.y + line * 0.3f), th.text_dim, s.c_str());
    }
    dl->AddLine(a, ImVec2(a.x, b.y), th.text, 1.5f);
    dl->AddLine(ImVec2(a.x, b.y), b, th.text, 1.5f);
    dl->AddText(ImVec2(b.x - ImGui::CalcTextSize("step").x, b.y + line * 1.2f), th.text_dim, "step");
    return true;
}

void draw_curve(const PlotFrame& f, const std::vector<LossPoint>& points, ImU32 color, float thickness) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (std::size_t k = 1; k < points.size(); ++k)
        dl->AddLine(f.at(points[k - 1].step, points[k - 1].loss), f.at(points[k].step, points[k].loss), color, thickness);
    if (points.size() == 1) dl->AddCircleFilled(f.at(points[0].step, points[0].loss), thickness * 1.2f, color);
}

}  // namespace

void draw_loss_plot(const FrameContext& frame, const std::vector<LossPoint>& points, int last_step, int marked, ImVec2 size) {
    const Theme& th = frame.theme;
    float hi = 0.0f;
    for (const LossPoint& p : points) hi = std::max(hi, p.loss);
    PlotFrame f;
    if (!draw_axes(frame, last_step, hi, size, f)) return;
    draw_curve(f, points, th.accent, 2.5f * th.stroke);
    if (marked >= 0 && marked < static_cast<int>(points.size())) {
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 p = f.at(points[static_cast<std::size_t>(marked)].step, points[static_cast<std::size_t>(marked)].loss);
        dl->AddLine(ImVec2(p.x, f.a.y), ImVec2(p.x, f.b.y), th.highlight & 0x80FFFFFFu);
        dl->AddCircleFilled(p, 5.0f * th.stroke, th.highlight);
    }
}

void draw_step_plot(const FrameContext& frame, const std::vector<PlotSeries>& series, int last_step, double y_top,
                    int marked_step, ImVec2 size) {
    const Theme& th = frame.theme;
    double hi = y_top;
    if (!(hi > 0))
        for (const PlotSeries& s : series)
            for (const LossPoint& p : s.points) hi = std::max(hi, static_cast<double>(p.loss));
    PlotFrame f;
    if (!draw_axes(frame, last_step, hi, size, f)) return;
    for (const PlotSeries& s : series)
        if (!s.bold) draw_curve(f, s.points, s.color, 1.8f * th.stroke);
    for (const PlotSeries& s : series)  // the bold ones on top
        if (s.bold) draw_curve(f, s.points, s.color, 3.5f * th.stroke);
    if (marked_step >= 0) {
        const float x = f.at(marked_step, 0).x;
        ImGui::GetWindowDrawList()->AddLine(ImVec2(x, f.a.y), ImVec2(x, f.b.y), th.highlight & 0x80FFFFFFu, 2.0f);
    }
}

}  // namespace attnscope::gui
