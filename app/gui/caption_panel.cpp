#include "caption_panel.h"

#include <string>

namespace attnscope::gui {

namespace {

constexpr float kTitleScale = 1.5f;  // the title reads first, from across the room
constexpr float kTextScale = 1.15f;  // the caption is the one thing to read: a little larger than the interface

}  // namespace

void CaptionPanel::draw_content(const FrameContext& frame) {
    const LessonCaption& c = frame.state.lesson;
    draw_progress(frame);
    ImGui::Spacing();
    ImGui::SetWindowFontScale(kTitleScale);
    ImGui::PushStyleColor(ImGuiCol_Text, frame.theme.accent);
    ImGui::TextWrapped("%s", c.title.c_str());
    ImGui::PopStyleColor();
    ImGui::SetWindowFontScale(kTextScale);
    ImGui::Spacing();
    ImGui::TextWrapped("%s", c.text.c_str());
    ImGui::SetWindowFontScale(1.0f);
    ImGui::Spacing();
    draw_buttons(frame);
    const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    frame.actions.report_region("caption", pos, ImVec2(pos.x + size.x, pos.y + size.y));
}

// "Step 2 of 6 · What are Q, K and V?"
void CaptionPanel::draw_progress(const FrameContext& frame) {
    const LessonCaption& c = frame.state.lesson;
    ImGui::PushStyleColor(ImGuiCol_Text, frame.theme.text_dim);
    ImGui::TextWrapped("Step %d of %d  \xC2\xB7  %s", c.step + 1, c.count, c.lesson_title.c_str());
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
