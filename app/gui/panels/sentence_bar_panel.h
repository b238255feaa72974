// SentenceBarPanel: the sentence being looked at. Every edit is sent to the worker at once (the
// newest wins, so typing never waits); the tokens appear as chips with their index. Click a chip
// to make it the query token, right-click to choose it as the key token; unknown tokens are marked.
//
// An encoder-decoder gets two fields: the source it reads, and the target, filled with the
// model's own translation after each edit of the source. Typing in the target forces the decoder
// on what was typed (until "Translate again"); each field has its row of chips. The two stand side
// by side, each with one line of chips, when the width allows (the views keep the height), else
// the target goes under the source. A chip picks the query or the key of the attention shown
// (cross: queries are target tokens, keys source tokens), or switches to the attention whose
// queries its row holds. A row that scrolls brings the selected chip into view when the selection
// changes (the arrow keys, a click in a view, a lesson step).
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
    // Which tokens a row of chips holds: a model's one sentence, or an encoder-decoder's source
    // or target.
    enum class Sequence { Text, Source, Target };

    // What a chip of `row` means in the attention shown: query, key, or neither.
    struct Roles {
        bool queries = false, keys = false;
    };
    static Roles roles_of(const FrameContext& frame, Sequence row);

    // One row of chips: labels and sizes rebuilt when the trace or the font size changes (not
    // every frame).
    struct ChipRow {
        std::uint64_t chips_for = 0;  // Trace::id of labels and sizes
        float font = 0.0f;
        std::vector<std::string> labels;
        std::vector<std::string> typed;  // per chip: the typed word an unknown token stands for, else ""
        std::string unknown_notice;      // "2 of your 5 words are new to this model ...", or ""
        std::vector<ImVec2> sizes;
        float height = 0.0f;             // height all chips took last frame
        // The selection this row last followed (-1: not its role), and for which trace.
        int followed_query = -1, followed_key = -1;
        std::uint64_t followed_for = 0;
        // The chip to bring into view, for a few more frames (the rows may still rewrap as the
        // scroll bar comes), or -1.
        int follow = -1, follow_frames = 0;
        void refresh(const Trace& trace);
        void follow_selection(Roles roles, const Selection& s, std::uint64_t trace_id);
    };

    // `width`: the field's share of the bar with its label (0: the rest of the line).
    void draw_text_field(const FrameContext& frame, float label_w, float width = 0.0f);
    void follow_app_text(const FrameContext& frame);
    void draw_examples_button(const FrameContext& frame);
    void draw_target_field(const FrameContext& frame, float label_w, float width = 0.0f);
    void follow_target(const FrameContext& frame);
    void draw_field_label(const char* label, float width, const char* tooltip);
    // `max_rows` of chips show, the rest scroll; `width` 0: the rest of the line.
    void draw_chips(const FrameContext& frame, ChipRow& row, const Trace& trace, Sequence sequence, bool stale, float max_rows,
                    float width = 0.0f);
    static void scroll_into_view(float chip_y, float chip_h);
    static const char* region_name(Sequence sequence, bool chip);
    static void report_rows(const FrameContext& frame, Sequence sequence);
    static bool fits_side_by_side(float label_w);
    bool draw_chip(const FrameContext& frame, const ChipRow& row, const Trace& trace, Sequence sequence, int i, ImVec2 size);
    void draw_chip_tooltip(const FrameContext& frame, const ChipRow& row, const Trace& trace, Sequence sequence, int i);
    void draw_problems(const FrameContext& frame, const Trace* trace, bool stale);

    ChipRow m_chips;         // the sentence's, or an encoder-decoder's source's
    ChipRow m_target_chips;  // an encoder-decoder's target's
    std::string m_text;           // the edit buffer
    std::string m_sent;           // the text this field last gave the app
    bool m_editing = false;       // the field had the keyboard last frame
    int m_focus_frames = 0;       // frames left to ask for the keyboard
    std::string m_target;         // the target's edit buffer
    bool m_target_editing = false;
};

// Draws the Examples list as menu items; returns the chosen sentence or nullptr. Shared by the
// sentence bar's button and the main menu.
const char* draw_example_items(const FrameContext& frame);

}  // namespace attnscope::gui
