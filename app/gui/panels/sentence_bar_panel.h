// SentenceBarPanel: the sentence being looked at. Every edit is sent to the worker at once (the
// newest wins, so typing never waits); the tokens appear as chips with their index. Click a chip
// to make it the query token, right-click to choose it as the key token; unknown tokens are marked.
#pragma once

#include <string>
#include <vector>

#include "panels/panel.h"

namespace attnscope::gui {

class SentenceBarPanel final : public Panel {
public:
    const char* id() const override { return "sentence"; }
    void focus_text() { m_focus_frames = 5; }

protected:
    ImGuiWindowFlags window_flags() const override { return ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar; }
    void draw_content(const FrameContext& frame) override;

private:
    void draw_text_field(const FrameContext& frame);
    void follow_app_text(const FrameContext& frame);
    void draw_examples_button(const FrameContext& frame);
    void draw_chips(const FrameContext& frame);
    bool draw_chip(const FrameContext& frame, int i, ImVec2 size);  // true when clicked
    void refresh_chips(const Trace& trace);
    void draw_chip_tooltip(const FrameContext& frame, int i);

    std::uint64_t m_chips_for = 0;  // Trace::id of m_labels and m_sizes
    float m_chips_font = 0.0f;
    std::vector<std::string> m_labels;
    std::vector<std::string> m_typed;  // per chip: the typed word an unknown token stands for, else ""
    std::string m_unknown_notice;      // "2 of your 5 words are new to this model ...", or ""
    std::vector<ImVec2> m_sizes;
    std::string m_text;           // the edit buffer
    std::string m_sent;           // the text this field last gave the app
    float m_chips_height = 0.0f;  // height all chips took last frame
    bool m_editing = false;       // the field had the keyboard last frame
    int m_focus_frames = 0;       // frames left to ask for the keyboard
};

// Draws the Examples list as menu items; returns the chosen sentence or nullptr. Shared by the
// sentence bar's button and the main menu.
const char* draw_example_items(const FrameContext& frame);

}  // namespace attnscope::gui
