#include "panels/sentence_bar_panel.h"

#include <algorithm>

#include <imgui_internal.h>  // ClearActiveID
#include <imgui_stdlib.h>

#include "attnscope/text.h"
#include "attnscope/token_labels.h"
#include "widgets/draw_util.h"
#include "shell/examples.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

const char* kExamplesPopup = "examples-popup";
constexpr float kTypedScale = 0.7f;  // an unknown word's typed text beside its <unk>, in smaller type
// Source and target side by side need each half's field this many times the font size wide:
// about 30 characters of the sentence beside the label and the button.
constexpr float kFieldEms = 16.0f;
const char* kExamplesLabel = "Examples \xE2\x96\xBE";
const char* kAgainLabel = "\xE2\x86\xBB Translate again###again";
const char* kAgainArrow = "\xE2\x86\xBB###again";  // where the field would be too short: the tooltip says the rest

float button_width(const char* label) { return ImGui::CalcTextSize(label, nullptr, true).x + 2 * ImGui::GetStyle().FramePadding.x; }

// Whether a field of kFieldEms fits `width` (0: the rest of the line) beside a label of `label_w`
// and a button of `button_w`.
bool field_fits(float width, float label_w, float button_w) {
    const float room = width > 0.0f ? width : ImGui::GetContentRegionAvail().x;
    return room >= label_w + kFieldEms * ImGui::GetFontSize() + button_w + ImGui::GetStyle().ItemSpacing.x;
}

}  // namespace

const char* draw_example_items(const FrameContext& frame) {
    const auto& examples = example_sentences();
    const char* chosen = nullptr;
    // An encoder-decoder's own stories first: each opens on the step writing its French word.
    if (frame.state.model && frame.state.model->encoder_decoder()) {
        for (const Example& e : translation_examples())
            if (ImGui::MenuItem(e.text, e.hint)) chosen = e.text;
        ImGui::Separator();
    }
    for (std::size_t e = 0; e < examples.size(); ++e) {
        const int unknowns = e < frame.state.example_unknowns.size() ? frame.state.example_unknowns[e] : 0;
        const bool causal = frame.state.model && frame.state.model->info().causal;
        const std::string note =
            unknowns > 0 ? format("%d unknown word%s", unknowns, unknowns == 1 ? "" : "s") : example_hint(examples[e], causal);
        ImGui::PushID(static_cast<int>(e));
        if (ImGui::MenuItem(examples[e].text, note.c_str())) chosen = examples[e].text;
        ImGui::PopID();
    }
    return chosen;
}

void SentenceBarPanel::draw_content(const FrameContext& frame) {
    const TraceBundle* whole = frame.whole;
    const bool pair = whole && whole->encoder_decoder();
    // "Source" and "Target" before the two fields of an encoder-decoder, in one column.
    const float label_w = pair ? std::max(ImGui::CalcTextSize("Source").x, ImGui::CalcTextSize("Target").x) +
                                     ImGui::GetStyle().ItemSpacing.x
                               : 0.0f;
    const bool side_by_side = pair && (frame.state.compact || fits_side_by_side(label_w));
    const float gap = ImGui::GetFontSize();
    const float half = (ImGui::GetContentRegionAvail().x - gap) * 0.5f;
    if (side_by_side) ImGui::BeginGroup();
    draw_text_field(frame, label_w, side_by_side ? half : 0.0f);
    ImGui::SameLine();
    draw_examples_button(frame);
    if (side_by_side) {
        ImGui::EndGroup();
        ImGui::SameLine(0.0f, gap);
        ImGui::BeginGroup();
        draw_target_field(frame, label_w, half);
        ImGui::EndGroup();
    }
    if (!whole) {
        ImGui::TextDisabled(frame.state.loading ? "loading the model\xE2\x80\xA6" : "the tokens appear here");
        if (!frame.state.trace.error.empty()) colored_wrapped_text(frame.theme.error, "\xE2\x9A\xA0 " + frame.state.trace.error);
        return;
    }
    const Trace& trace = *whole->trace;
    const bool source_stale = input_text(trace) != frame.state.text;  // computing, or the new text has an error
    if (!pair) {
        draw_chips(frame, m_chips, trace, Sequence::Text, source_stale, 3.0f);
        draw_problems(frame, &trace, source_stale);
        return;
    }
    const bool target_stale = source_stale || (frame.state.target && trace.text != *frame.state.target);
    if (!side_by_side) {  // a narrow window: the target under the source, two rows of chips at most each
        draw_chips(frame, m_chips, *trace.source, Sequence::Source, source_stale, 2.0f);
        draw_target_field(frame, label_w);
        draw_chips(frame, m_target_chips, trace, Sequence::Target, target_stale, 2.0f);
        draw_problems(frame, &trace, source_stale || target_stale);
        return;
    }
    // The target beside the source, each with one row of chips under it (the rest scroll, the
    // selected chip in view), so the views keep the height a projector needs: at 1280 x 720 the
    // fields one under the other took 154 px, side by side 82, and the cross heatmap's 11 rows
    // gained the numbers in their cells.
    ImGui::BeginGroup();
    draw_chips(frame, m_chips, *trace.source, Sequence::Source, source_stale, 1.0f, half);
    ImGui::EndGroup();
    ImGui::SameLine(0.0f, gap);
    ImGui::BeginGroup();
    draw_chips(frame, m_target_chips, trace, Sequence::Target, target_stale, 1.0f, half);
    ImGui::EndGroup();
    draw_problems(frame, &trace, source_stale || target_stale);
}

// Each half of the bar holds its label, a field kFieldEms font sizes wide and its button.
bool SentenceBarPanel::fits_side_by_side(float label_w) {
    return field_fits((ImGui::GetContentRegionAvail().x - ImGui::GetFontSize()) * 0.5f, label_w, button_width(kExamplesLabel));
}

void SentenceBarPanel::draw_field_label(const char* label, float width, const char* tooltip) {
    if (width <= 0.0f) return;
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(label);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
    ImGui::SameLine(ImGui::GetCursorPosX() + width);
}

void SentenceBarPanel::draw_text_field(const FrameContext& frame, float label_w, float width) {
    follow_app_text(frame);
    // Asked for a few frames: a window's first frame lays it out without taking focus requests.
    // A dialog opened meanwhile (a script's export-browser) keeps the keyboard.
    if (m_focus_frames > 0) {
        --m_focus_frames;
        if (ImGui::IsPopupOpen(nullptr, ImGuiPopupFlags_AnyPopupId)) m_focus_frames = 0;
        else if (!m_editing) ImGui::SetKeyboardFocusHere();
    }
    const float x0 = ImGui::GetCursorPosX();
    draw_field_label("Source", label_w, "the sentence the encoder reads");
    if (label_w > 0.0f) ImGui::SetCursorPosX(x0 + label_w);
    const float button_w = button_width(kExamplesLabel);
    const float room = width > 0.0f ? width - label_w : ImGui::GetContentRegionAvail().x;
    ImGui::SetNextItemWidth(room - button_w - ImGui::GetStyle().ItemSpacing.x);
    const bool pair = frame.whole && frame.whole->encoder_decoder();
    const char* hint = pair ? "type a sentence to translate, e.g. the red car" : "type a sentence, e.g. I took the money to the bank";
    if (ImGui::InputTextWithHint("##text", hint, &m_text)) {
        m_sent = m_text;
        frame.actions.set_text(m_text);
    }
    m_editing = ImGui::IsItemActive();
    if (m_editing) m_focus_frames = 0;
    if (ImGui::IsItemHovered() && !ImGui::IsItemActive())
        ImGui::SetTooltip("Type a sentence: every head is recomputed as you type.\nPress Enter to leave the field; then the arrow keys move the query token.");
}

// The app changed the text (an example from a menu, the sentence a new model suggests): show
// it. A field being edited keeps its own copy of the text, so it lets go and takes the keyboard
// back with the new text.
void SentenceBarPanel::follow_app_text(const FrameContext& frame) {
    const std::string& text = frame.state.text;
    if (text == m_sent || text == m_text) return;
    m_text = text;
    m_sent = text;
    if (m_editing) {
        ImGui::ClearActiveID();
        m_editing = false;
        m_focus_frames = 2;
    }
}

void SentenceBarPanel::draw_examples_button(const FrameContext& frame) {
    if (ImGui::Button(kExamplesLabel)) ImGui::OpenPopup(kExamplesPopup);
    if (ImGui::BeginPopup(kExamplesPopup)) {
        if (const char* chosen = draw_example_items(frame)) frame.actions.set_text(chosen);
        ImGui::EndPopup();
    }
}

// [SECTION] Target

// The field shows the user's own target while the decoder is forced on it, else the model's
// translation of the source on screen. While the user types, their buffer stays as typed.
void SentenceBarPanel::follow_target(const FrameContext& frame) {
    if (m_target_editing) return;
    if (frame.state.target) m_target = *frame.state.target;
    else if (frame.whole && input_text(*frame.whole->trace) == frame.state.text) m_target = frame.whole->trace->text;
}

void SentenceBarPanel::draw_target_field(const FrameContext& frame, float label_w, float width) {
    follow_target(frame);
    const bool forced = frame.state.target.has_value();
    const float x0 = ImGui::GetCursorPosX();
    draw_field_label("Target", label_w, forced ? "your target: the decoder is forced to read it, token by token"
                                               : "the model's own translation (greedy: the likeliest token each time)");
    ImGui::SetCursorPosX(x0 + label_w);
    // Beside the source in large type the button is its arrow alone; the tooltip says the rest.
    const char* again = field_fits(width, label_w, button_width(kAgainLabel)) ? kAgainLabel : kAgainArrow;
    const float button_w = button_width(again);
    const float room = width > 0.0f ? width - label_w : ImGui::GetContentRegionAvail().x;
    ImGui::SetNextItemWidth(room - button_w - ImGui::GetStyle().ItemSpacing.x);
    // A forced target has the accent's frame: the decoder reads what the user wrote, not its own words.
    if (forced) {
        ImGui::PushStyleColor(ImGuiCol_Border, frame.theme.accent);
        ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, 2.0f * frame.theme.stroke);
    }
    if (ImGui::InputTextWithHint("##target", "the model's translation appears here; type your own to force the decoder", &m_target))
        frame.actions.set_target(m_target);
    if (forced) {
        ImGui::PopStyleVar();
        ImGui::PopStyleColor();
    }
    m_target_editing = ImGui::IsItemActive();
    if (ImGui::IsItemHovered() && !m_target_editing)
        ImGui::SetTooltip(forced ? "Your target: the decoder reads it whatever it would have written itself.\n\"Translate again\" gives the model's own translation back."
                                 : "The model's translation of the source. Type here to make the decoder read your own target instead.");
    ImGui::SameLine();
    ImGui::BeginDisabled(!forced);
    if (ImGui::Button(again)) {
        frame.actions.set_target(std::nullopt);
        m_target_editing = false;
    }
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip(forced ? "Translate again: drop your target, the decoder writes its own translation"
                                 : "Translate again: the target is the model's own translation already");
}

// [SECTION] Chips

// Labels and chip sizes, rebuilt when the trace or the font size changes (not every frame).
void SentenceBarPanel::ChipRow::refresh(const Trace& trace) {
    if (chips_for == trace.id && font == ImGui::GetFontSize() && !labels.empty()) return;
    chips_for = trace.id;
    font = ImGui::GetFontSize();
    labels.clear();
    typed.clear();
    sizes.clear();
    const ImGuiStyle& style = ImGui::GetStyle();
    for (int i = 0; i < trace.n_tokens(); ++i) {
        // An unknown word's chip shows what the model saw, its unknown token, and the typed word
        // small beside it: the two rows of "grandmother" and "deposited" are the same vector.
        const Token& t = trace.tokens[static_cast<std::size_t>(i)];
        const bool unknown = t.unknown && !t.piece.empty();
        labels.push_back(unknown ? escape_for_terminal(t.piece) : token_label(trace, i));
        typed.push_back(unknown ? token_label(trace, i) : "");
        const float index_w = ImGui::CalcTextSize(std::to_string(i).c_str()).x * 0.7f;
        const float label_w = ImGui::CalcTextSize(labels.back().c_str()).x;
        const float typed_w = unknown ? ImGui::CalcTextSize(typed.back().c_str()).x * kTypedScale + style.FramePadding.x : 0.0f;
        sizes.emplace_back(index_w + label_w + typed_w + style.FramePadding.x * 3, ImGui::GetFontSize() + style.FramePadding.y * 2 + 2);
    }
    const WordCount words = count_unknown_words(trace);
    unknown_notice = words.unknown == 0 ? ""
                                        : format("%d of your %d word%s %s new to this model: it reads %s as its unknown token", words.unknown,
                                                 words.words, words.words == 1 ? "" : "s", words.unknown == 1 ? "is" : "are",
                                                 words.unknown == 1 ? "it" : "each");
}

// In the attention shown, a row's chips are its queries (rows of the heatmap), its keys (columns),
// both (self-attention) or neither (the decoder's target while the encoder is shown).
SentenceBarPanel::Roles SentenceBarPanel::roles_of(const FrameContext& frame, Sequence row) {
    if (row == Sequence::Text || !frame.stack) return Roles{true, true};
    const AttentionStack s = *frame.stack;
    const Sequence queries = s == AttentionStack::Encoder ? Sequence::Source : Sequence::Target;
    const Sequence keys = s == AttentionStack::Decoder ? Sequence::Target : Sequence::Source;
    return Roles{row == queries, row == keys};
}

void SentenceBarPanel::draw_chips(const FrameContext& frame, ChipRow& row, const Trace& trace, Sequence sequence, bool stale,
                                  float max_rows, float width) {
    row.refresh(trace);
    if (row.sizes.empty()) return;
    // Long texts: the chips scroll after a few rows, so the views keep most of the window.
    const float row_h = row.sizes.front().y + ImGui::GetStyle().ItemSpacing.y;
    const float wanted = row.height > 0.0f ? row.height : row_h;
    ImGui::PushID(static_cast<int>(sequence));
    // The last row shown has no spacing under it: the next row's top edge would peek in.
    const float shown = std::min(wanted, row_h * max_rows - (wanted > row_h * max_rows ? ImGui::GetStyle().ItemSpacing.y : 0.0f));
    ImGui::BeginChild("chips", ImVec2(width, shown), false);
    const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
    const Roles roles = roles_of(frame, sequence);
    row.follow_selection(roles, frame.selection, trace.id);
    const int selected = roles.queries ? frame.selection.query : roles.keys ? frame.selection.key : -1;
    if (stale) ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 0.55f);
    for (int i = 0; i < trace.n_tokens(); ++i) {
        const ImVec2 size = row.sizes[static_cast<std::size_t>(i)];
        if (i > 0) {
            ImGui::SameLine();
            if (ImGui::GetCursorScreenPos().x + size.x > right) ImGui::NewLine();
        }
        if (i == row.follow) {
            scroll_into_view(ImGui::GetCursorPosY(), size.y);
            if (--row.follow_frames <= 0) row.follow = -1;
        }
        ImGui::PushID(i);
        draw_chip(frame, row, trace, sequence, i, size);
        ImGui::PopID();
        if (i == selected) frame.actions.report_region(region_name(sequence, true), ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
    }
    row.height = ImGui::GetCursorPosY();  // content coordinates: the whole list, scrolled or not
    if (stale) ImGui::PopStyleVar();
    report_rows(frame, sequence);
    ImGui::EndChild();
    ImGui::PopID();
    if (!stale && !row.unknown_notice.empty()) colored_wrapped_text(frame.theme.unknown, "? " + row.unknown_notice);
}

// Sets the chip to bring into view: the query's when the query changed or a new trace came, else
// the key's when the key changed; none when nothing this row shows changed (the user may have
// scrolled it since). A role the row does not have counts as -1, so switching the attention shown
// brings its chip into view too.
void SentenceBarPanel::ChipRow::follow_selection(Roles roles, const Selection& s, std::uint64_t trace_id) {
    // New chips wrap again once the scroll bar comes and the child has its height (a few frames):
    // the chip's row is looked for that long.
    constexpr int kFollowFrames = 4;
    const int query = roles.queries ? s.query : -1, key = roles.keys ? s.key : -1;
    const bool new_trace = trace_id != followed_for;
    int chip = -1;
    if (key >= 0 && (key != followed_key || new_trace)) chip = key;
    if (query >= 0 && (query != followed_query || new_trace)) chip = query;  // the heatmap's row: it wins
    followed_query = query;
    followed_key = key;
    followed_for = trace_id;
    if (chip < 0 || chip >= static_cast<int>(sizes.size())) return;
    follow = chip;
    follow_frames = kFollowFrames;
}

// Scrolls the chips' child window, when the chip at `chip_y` (content coordinates) does not show,
// so its row is at the top (or as low as the scroll goes): whole rows, as a row cut at its top or
// bottom would read as another. ImGui applies it at the next frame.
void SentenceBarPanel::scroll_into_view(float chip_y, float chip_h) {
    const float top = ImGui::GetScrollY();
    if (chip_y < top || chip_y + chip_h > top + ImGui::GetWindowHeight()) ImGui::SetScrollY(chip_y);
}

// "chips-target": the part of a row of chips on screen, and "chip-target-selected" its query's
// chip (or key's, in a row of keys) wherever it is, scrolled away or not: the screenshot report's
// regions, so a test can see the selected chip was brought into view.
const char* SentenceBarPanel::region_name(Sequence sequence, bool chip) {
    static constexpr const char* kRows[] = {"chips-text", "chips-source", "chips-target"};
    static constexpr const char* kChips[] = {"chip-text-selected", "chip-source-selected", "chip-target-selected"};
    return (chip ? kChips : kRows)[static_cast<int>(sequence)];
}

void SentenceBarPanel::report_rows(const FrameContext& frame, Sequence sequence) {
    const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    frame.actions.report_region(region_name(sequence, false), pos, ImVec2(pos.x + size.x, pos.y + size.y));
}

// The newest request's error (the last good trace stays on screen), else what the trace says
// about itself (only the start of a long text traced).
void SentenceBarPanel::draw_problems(const FrameContext& frame, const Trace* trace, bool stale) {
    if (!frame.state.trace.error.empty()) colored_wrapped_text(frame.theme.error, "\xE2\x9A\xA0 " + frame.state.trace.error);
    else if (trace && !stale && !trace->note.empty()) colored_wrapped_text(frame.theme.unknown, "\xE2\x9A\xA0 " + trace->note);
}

bool SentenceBarPanel::draw_chip(const FrameContext& frame, const ChipRow& row, const Trace& trace, Sequence sequence, int i, ImVec2 size) {
    const Token& token = trace.tokens[static_cast<std::size_t>(i)];
    const Theme& th = frame.theme;
    const Roles roles = roles_of(frame, sequence);
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("chip", size, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
    const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
    if (clicked) {
        if (roles.queries) {
            frame.selection.query = i;
        } else if (roles.keys) {
            frame.selection.key = i;
        } else {  // the other sequence's chip: show the attention whose queries it is
            frame.actions.set_stack(sequence == Sequence::Source ? AttentionStack::Encoder : AttentionStack::Decoder);
            frame.selection.query = i;
        }
    }
    if (ImGui::IsItemClicked(ImGuiMouseButton_Right) && roles.keys) frame.selection.key = frame.selection.key == i ? -1 : i;

    const bool is_query = roles.queries && frame.selection.query == i, is_key = roles.keys && frame.selection.key == i;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 q(p.x + size.x, p.y + size.y);
    const float rounding = ImGui::GetStyle().FrameRounding;
    ImU32 fill = is_query ? th.chip_query : (is_key ? th.chip_key : th.chip);
    if (ImGui::IsItemHovered() && !is_query && !is_key) fill = ImGui::GetColorU32(ImGuiCol_ButtonHovered);
    dl->AddRectFilled(p, q, fill, rounding);
    const ImU32 border = token.unknown ? th.unknown : (is_key ? th.chip_key : th.chip_border);
    dl->AddRect(p, q, border, rounding, 0, (token.unknown || is_key ? 2.5f : 1.0f) * th.stroke);

    const ImU32 text = (is_query || is_key) ? readable_text_on(fill) : (token.special ? th.text_dim : th.text);
    const ImGuiStyle& style = ImGui::GetStyle();
    const std::string index = std::to_string(i);
    const float small = ImGui::GetFontSize() * 0.7f;
    dl->AddText(nullptr, small, ImVec2(p.x + style.FramePadding.x, q.y - small - style.FramePadding.y), text, index.c_str());
    const float label_x = p.x + style.FramePadding.x * 2 + ImGui::CalcTextSize(index.c_str()).x * 0.7f;
    const std::string& label = row.labels[static_cast<std::size_t>(i)];
    dl->AddText(ImVec2(label_x, p.y + style.FramePadding.y + 1), token.unknown && !is_query && !is_key ? th.unknown : text, label.c_str());
    if (const std::string& typed = row.typed[static_cast<std::size_t>(i)]; !typed.empty()) {  // what was typed, small
        const float typed_size = ImGui::GetFontSize() * kTypedScale;
        const float typed_x = label_x + ImGui::CalcTextSize(label.c_str()).x + style.FramePadding.x;
        dl->AddText(nullptr, typed_size, ImVec2(typed_x, q.y - typed_size - style.FramePadding.y), is_query || is_key ? text : th.text_dim,
                    typed.c_str());
    }
    if (token.unknown) {  // a mark that does not depend on telling colours apart
        const float small_q = ImGui::GetFontSize() * 0.6f;
        dl->AddText(nullptr, small_q, ImVec2(q.x - small_q * 0.55f, p.y), th.unknown, "?");
    }
    if (ImGui::IsItemHovered()) draw_chip_tooltip(frame, row, trace, sequence, i);
    return clicked;
}

void SentenceBarPanel::draw_chip_tooltip(const FrameContext& frame, const ChipRow& row, const Trace& trace, Sequence sequence, int i) {
    const Token& t = trace.tokens[static_cast<std::size_t>(i)];
    const std::size_t k = static_cast<std::size_t>(i);
    ImGui::BeginTooltip();
    const std::string& typed = row.typed[k].empty() ? row.labels[k] : row.typed[k];
    const char* which = sequence == Sequence::Source ? "source token" : sequence == Sequence::Target ? "target token" : "token";
    ImGui::Text("%s %d: \"%s\"  (id %d, piece \"%s\")", which, i, typed.c_str(), t.id, escape_for_terminal(t.piece).c_str());
    if (t.unknown)
        colored_wrapped_text(frame.theme.unknown, format("\"%s\" is not in the model's vocabulary: the model sees its unknown token %s, the same "
                                                         "vector for every new word", row.typed[k].c_str(), row.labels[k].c_str()));
    if (t.special) ImGui::TextUnformatted(sequence == Sequence::Target && i == 0 ? "the decoder's start token: it covers no text"
                                                                                : "added by the tokenizer");
    // Cross-attention's row for this token is the decoder step that reads it and writes the next.
    if (sequence == Sequence::Target && frame.trace && shows_cross(*frame.trace))
        ImGui::Text("cross-attention's row %d: the decoder step that reads it writes \"%s\"", i, written_at(trace, i).c_str());
    const Roles roles = roles_of(frame, sequence);
    if (roles.queries && roles.keys) ImGui::TextDisabled("click: make it the query token \xC2\xB7 right-click: choose it as the key token");
    else if (roles.queries) ImGui::TextDisabled("click: make it the query token");
    else if (roles.keys) ImGui::TextDisabled("click or right-click: choose it as the key token");
    else ImGui::TextDisabled("click: show the %s and make it the query token", sequence == Sequence::Source ? "encoder" : "decoder");
    ImGui::EndTooltip();
}

}  // namespace attnscope::gui
