#include "panels/view_tabs_panel.h"

#include <algorithm>
#include <iterator>

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
// The switch's labels: in presentation mode's one slim line, short ones.
constexpr const char* kShortStackNames[] = {"Enc", "Dec", "Cross"};
static_assert(std::size(kShortStackNames) == static_cast<std::size_t>(AttentionStack::Count), "a short name per stack");
const char* switch_label(AttentionStack s, bool compact) { return compact ? kShortStackNames[static_cast<int>(s)] : stack_button(s); }

// The switch Encoder | Decoder | Cross, and the gap before it.
float switch_width(bool compact) {
    float w = steppers_gap();
    for (int s = 0; s < static_cast<int>(AttentionStack::Count); ++s)
        w += ImGui::CalcTextSize(switch_label(static_cast<AttentionStack>(s), compact)).x + 2 * ImGui::GetStyle().FramePadding.x + 2.0f;
    return w;
}

constexpr const char* kStackTips[] = {
    "the encoder reads the source: every source token looks at every source token\n(rows and columns: the source) --attention encoder",
    "the decoder writes the target: each target token looks at itself and the ones before it\n(rows and columns: the target; later tokens masked) --attention decoder",
    "cross-attention: each target token looks back at the source sentence, through the encoder's output\n(rows: the target, columns: the source) --attention cross"};
static_assert(std::size(kStackTips) == static_cast<std::size_t>(AttentionStack::Count), "a tooltip per stack");

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
    bool tight = false;
    if (frame.state.compact) {  // the steppers without their ranges
        const bool pair = frame.stack.has_value();
        auto one_line = [pair] {
            return buttons_width() + ImGui::GetStyle().ItemSpacing.x + 2 * stepper_width() + steppers_gap() + (pair ? switch_width(true) : 0.0f);
        };
        // An encoder-decoder's switch shares the line: its type may go a little smaller still.
        const float available = ImGui::GetContentRegionAvail().x;
        const float scale = shrink_to_fit(available, pair ? kCompactFontScale * 0.8f : kCompactFontScale, one_line);
        // Still too wide (an encoder-decoder at text size 2): the padding and spacing, which the
        // window's font scale leaves alone, shrink with the type too.
        tight = one_line() > available;
        if (tight) push_scaled_spacing(scale);
    }
    draw_view_buttons(frame);
    draw_stack_switch(frame);
    draw_steppers(frame);
    if (tight) ImGui::PopStyleVar(2);
    ImGui::SetWindowFontScale(1.0f);
}

void ViewTabsPanel::push_scaled_spacing(float scale) {
    const ImGuiStyle& style = ImGui::GetStyle();
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(style.FramePadding.x * scale, style.FramePadding.y * scale));
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(style.ItemSpacing.x * scale, style.ItemSpacing.y * scale));
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

// Three buttons side by side, the chosen one lit: which attention of an encoder-decoder the views
// show. The steppers right of it then count that attention's layers and heads.
void ViewTabsPanel::draw_stack_switch(const FrameContext& frame) {
    if (!frame.stack) return;
    ImGui::SameLine(0.0f, steppers_gap());
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(2.0f, ImGui::GetStyle().ItemSpacing.y));
    for (int i = 0; i < static_cast<int>(AttentionStack::Count); ++i) {
        const AttentionStack s = static_cast<AttentionStack>(i);
        const bool active = *frame.stack == s;
        if (i > 0) ImGui::SameLine();
        ImGui::PushStyleColor(ImGuiCol_Button, active ? frame.theme.accent : ImGui::GetColorU32(ImGuiCol_Button));
        ImGui::PushStyleColor(ImGuiCol_Text, active ? readable_text_on(frame.theme.accent) : ImGui::GetColorU32(ImGuiCol_Text));
        if (ImGui::Button(switch_label(s, frame.state.compact))) frame.actions.set_stack(s);
        ImGui::PopStyleColor(2);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", kStackTips[i]);
    }
    ImGui::PopStyleVar();
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
