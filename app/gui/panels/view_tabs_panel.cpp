#include "panels/view_tabs_panel.h"

#include <algorithm>

#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

// Widths at the current type size: all view buttons; one stepper ("Layer [<] 0 [>]"); a
// stepper's range ("(0-11)"); the gap between the two steppers.
float buttons_width() {
    float w = 0.0f;
    for (const ViewNames& v : kViewNames) w += ImGui::CalcTextSize(v.tab).x + 2 * ImGui::GetStyle().FramePadding.x;
    return w + (static_cast<int>(ViewId::Count) - 1) * ImGui::GetStyle().ItemSpacing.x;
}
float stepper_width() {
    return ImGui::CalcTextSize("Layer").x + ImGui::CalcTextSize("00").x + 2 * ImGui::GetFrameHeight() +
           4 * ImGui::GetStyle().ItemSpacing.x;
}
float range_width() { return ImGui::CalcTextSize("(0\xE2\x80\x93" "00)").x + ImGui::GetStyle().ItemSpacing.x; }
float steppers_gap() { return ImGui::GetStyle().ItemSpacing.x * 3; }

}  // namespace

int draw_stepper(const char* label, int value, int count, const char* tooltip, bool show_range) {
    ImGui::PushID(label);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(label);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
    ImGui::SameLine();
    if (ImGui::ArrowButton("less", ImGuiDir_Left)) --value;
    ImGui::SameLine();
    const std::string shown = count > 0 ? std::to_string(value) : std::string("-");
    const float w = ImGui::CalcTextSize("00").x;
    const float x = ImGui::GetCursorPosX();
    ImGui::SetCursorPosX(x + (w - ImGui::CalcTextSize(shown.c_str()).x) * 0.5f);
    ImGui::TextUnformatted(shown.c_str());
    ImGui::SameLine(x + w + ImGui::GetStyle().ItemSpacing.x);
    if (ImGui::ArrowButton("more", ImGuiDir_Right)) ++value;
    if (show_range && count > 0) {  // the valid range, 0-based like --layer
        ImGui::SameLine();
        ImGui::TextDisabled("(0\xE2\x80\x93%d)", count - 1);
    }
    ImGui::PopID();
    return std::clamp(value, 0, std::max(0, count - 1));
}

void ViewTabsPanel::draw_content(const FrameContext& frame) {
    // Presentation mode keeps the buttons and the steppers on one line, in smaller type when the
    // large type does not fit: the line they would wrap onto is height the views need.
    if (frame.state.compact) {  // the steppers without their ranges
        auto one_line = [] { return buttons_width() + ImGui::GetStyle().ItemSpacing.x + 2 * stepper_width() + steppers_gap(); };
        shrink_to_fit(ImGui::GetContentRegionAvail().x, kCompactFontScale, one_line);
    }
    draw_view_buttons(frame);
    draw_steppers(frame);
    ImGui::SetWindowFontScale(1.0f);
}

void ViewTabsPanel::draw_view_buttons(const FrameContext& frame) {
    for (int v = 0; v < static_cast<int>(ViewId::Count); ++v) {
        const ViewId view = static_cast<ViewId>(v);
        const bool active = frame.state.front == view;
        if (v > 0) ImGui::SameLine();
        ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetColorU32(active ? ImGuiCol_ButtonActive : ImGuiCol_Button));
        if (ImGui::Button(view_names(view).tab)) frame.actions.show_view(view);
        ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("--view %s", view_name(view));
    }
}

void ViewTabsPanel::draw_steppers(const FrameContext& frame) {
    const int layers = frame.trace ? static_cast<int>(frame.trace->layers.size()) : 0;
    const int heads = frame.trace ? frame.trace->model.n_heads : 0;
    // Right-aligned on the row of view buttons; without the ranges, or on a line of their own,
    // when the window is narrow or the text large.
    const float range_w = range_width(), stepper_w = stepper_width(), gap = steppers_gap();
    ImGui::SameLine();
    const float right = ImGui::GetWindowContentRegionMax().x;
    const float room = right - ImGui::GetCursorPosX();
    bool show_range = room >= 2 * (stepper_w + range_w) + gap;
    float wanted = 2 * stepper_w + gap + (show_range ? 2 * range_w : 0.0f);
    if (room < wanted) {
        ImGui::NewLine();
        show_range = true;
        wanted = 2 * (stepper_w + range_w) + gap;
    }
    ImGui::SetCursorPosX(std::max(ImGui::GetCursorPosX(), right - wanted));
    frame.selection.layer = draw_stepper("Layer", frame.selection.layer, layers, "PgUp / PgDn", show_range);
    ImGui::SameLine(0.0f, gap);
    frame.selection.head = draw_stepper("Head", frame.selection.head, heads, "\xE2\x86\x91 / \xE2\x86\x93 (arrow keys)", show_range);
}

}  // namespace attnscope::gui
