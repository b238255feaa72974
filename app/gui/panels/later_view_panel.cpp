#include "panels/later_view_panel.h"

#include "widgets/draw_util.h"

namespace attnscope::gui {

void LaterViewPanel::draw_content(const FrameContext& frame) {
    ImGui::Dummy(ImVec2(1, ImGui::GetFontSize()));
    ImGui::TextUnformatted(m_title);
    colored_wrapped_text(frame.theme.accent, "Coming in a later version of AttnScope.");
    ImGui::Spacing();
    colored_wrapped_text(frame.theme.text, m_description);
    if (m_view == ViewId::Compare && !frame.state.compare_text.empty()) {
        ImGui::Spacing();
        colored_wrapped_text(frame.theme.text_dim, "Second sentence (--compare): " + frame.state.compare_text);
    }
    ImGui::Spacing();
    colored_wrapped_text(frame.theme.text_dim, "Meanwhile: Heatmap, Tokens and Overview are in the row of buttons above.");
    frame.actions.report_region(view_name(m_view), ImGui::GetWindowPos(),
                                ImVec2(ImGui::GetWindowPos().x + ImGui::GetWindowSize().x, ImGui::GetWindowPos().y + ImGui::GetWindowSize().y));
}

}  // namespace attnscope::gui
