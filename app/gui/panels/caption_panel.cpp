#include "panels/caption_panel.h"

#include <algorithm>
#include <cfloat>
#include <string>

#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

constexpr float kTitleScale = 1.5f;  // the title reads first, from across the room
constexpr float kTextScale = 1.15f;  // the caption is the one thing to read: a little larger than the interface

}  // namespace

// The step and the Back / Next buttons first, so they stay on screen however long the text is.
// In presentation mode the caption is a column beside the views and its title and text scroll
// when a small projector cannot show them whole; under the views it is a bar that grows with them.
void CaptionPanel::draw_content(const FrameContext& frame) {
    draw_progress(frame);
    draw_buttons(frame);
    ImGui::Spacing();
    const bool column = frame.state.compact;
    if (column) ImGui::BeginChild("caption_text", ImVec2(0, 0), false);
    draw_text(frame);
    if (column) ImGui::EndChild();
    const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    frame.actions.report_region("caption", pos, ImVec2(pos.x + size.x, pos.y + size.y));
}

// The factor (at most 1) by which title and text shrink so both fit `height` at `width`, but not
// below smallest_text_px(): a 720p projector shows the whole caption without scrolling, and a
// caption too long even then scrolls rather than turning unreadable.
float CaptionPanel::fit_scale(const LessonCaption& c, float width, float height) const {
    ImFont* font = ImGui::GetFont();
    const float base = ImGui::GetFontSize();
    auto needed = [&](float f) {
        const float title = font->CalcTextSizeA(base * kTitleScale * f, FLT_MAX, width, c.title.c_str()).y;
        const float text = font->CalcTextSizeA(base * kTextScale * f, FLT_MAX, width, c.text.c_str()).y;
        return title + ImGui::GetStyle().ItemSpacing.y * 2 + text;
    };
    const float smallest = std::min(1.0f, smallest_text_px() / (base * kTextScale));
    float f = 1.0f;
    while (f > smallest && needed(f) > height) f = std::max(smallest, f * 0.92f);
    return f;
}

void CaptionPanel::draw_text(const FrameContext& frame) {
    const LessonCaption& c = frame.state.lesson;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float f = frame.state.compact ? fit_scale(c, avail.x, avail.y) : 1.0f;
    ImGui::SetWindowFontScale(kTitleScale * f);
    ImGui::PushStyleColor(ImGuiCol_Text, frame.theme.accent);
    text_wrapped_any_length(c.title);  // a lesson file can hold text of any length
    ImGui::PopStyleColor();
    ImGui::SetWindowFontScale(kTextScale * f);
    ImGui::Spacing();
    text_wrapped_any_length(c.text);
    ImGui::SetWindowFontScale(1.0f);
}

// "Step 2 of 6 · What are Q, K and V?"
void CaptionPanel::draw_progress(const FrameContext& frame) {
    const LessonCaption& c = frame.state.lesson;
    ImGui::PushStyleColor(ImGuiCol_Text, frame.theme.text_dim);
    text_wrapped_any_length(format("Step %d of %d  \xC2\xB7  ", c.step + 1, c.count) + c.lesson_title);
    ImGui::PopStyleColor();
}

void CaptionPanel::draw_buttons(const FrameContext& frame) {
    const LessonCaption& c = frame.state.lesson;
    ImGui::BeginDisabled(c.step == 0);
    if (ImGui::Button("\xE2\x97\x80 Back (P)")) frame.actions.lesson_step(-1);
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(c.step + 1 >= c.count);
    if (ImGui::Button("Next (N) \xE2\x96\xB6")) frame.actions.lesson_step(+1);
    ImGui::EndDisabled();
}

}  // namespace attnscope::gui
