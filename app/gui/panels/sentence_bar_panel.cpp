#include "panels/sentence_bar_panel.h"

#include <algorithm>

#include <imgui_internal.h>  // ClearActiveID
#include <imgui_stdlib.h>

#include "attnscope/text.h"
#include "attnscope/token_labels.h"
#include "widgets/draw_util.h"
#include "shell/examples.h"

namespace attnscope::gui {

namespace {

const char* kExamplesPopup = "examples-popup";
constexpr float kTypedScale = 0.7f;  // an unknown word's typed text beside its <unk>, in smaller type

}  // namespace

const char* draw_example_items(const FrameContext& frame) {
    const auto& examples = example_sentences();
    const char* chosen = nullptr;
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
    draw_text_field(frame);
    ImGui::SameLine();
    draw_examples_button(frame);
    draw_chips(frame);
}

void SentenceBarPanel::draw_text_field(const FrameContext& frame) {
    follow_app_text(frame);
    // Asked for a few frames: a window's first frame lays it out without taking focus requests.
    // A dialog opened meanwhile (a script's export-browser) keeps the keyboard.
    if (m_focus_frames > 0) {
        --m_focus_frames;
        if (ImGui::IsPopupOpen(nullptr, ImGuiPopupFlags_AnyPopupId)) m_focus_frames = 0;
        else if (!m_editing) ImGui::SetKeyboardFocusHere();
    }
    const float button_w = ImGui::CalcTextSize("Examples \xE2\x96\xBE").x + 2 * ImGui::GetStyle().FramePadding.x;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - button_w - ImGui::GetStyle().ItemSpacing.x);
    if (ImGui::InputTextWithHint("##text", "type a sentence, e.g. I took the money to the bank", &m_text)) {
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
    if (ImGui::Button("Examples \xE2\x96\xBE")) ImGui::OpenPopup(kExamplesPopup);
    if (ImGui::BeginPopup(kExamplesPopup)) {
        if (const char* chosen = draw_example_items(frame)) frame.actions.set_text(chosen);
        ImGui::EndPopup();
    }
}

// Labels and chip sizes, rebuilt when the trace or the font size changes (not every frame).
void SentenceBarPanel::refresh_chips(const Trace& trace) {
    if (m_chips_for == trace.id && m_chips_font == ImGui::GetFontSize() && !m_labels.empty()) return;
    m_chips_for = trace.id;
    m_chips_font = ImGui::GetFontSize();
    m_labels.clear();
    m_typed.clear();
    m_sizes.clear();
    const ImGuiStyle& style = ImGui::GetStyle();
    for (int i = 0; i < trace.n_tokens(); ++i) {
        // An unknown word's chip shows what the model saw, its unknown token, and the typed word
        // small beside it: the two rows of "grandmother" and "deposited" are the same vector.
        const Token& t = trace.tokens[static_cast<std::size_t>(i)];
        const bool unknown = t.unknown && !t.piece.empty();
        m_labels.push_back(unknown ? escape_for_terminal(t.piece) : token_label(trace, i));
        m_typed.push_back(unknown ? token_label(trace, i) : "");
        const float index_w = ImGui::CalcTextSize(std::to_string(i).c_str()).x * 0.7f;
        const float label_w = ImGui::CalcTextSize(m_labels.back().c_str()).x;
        const float typed_w = unknown ? ImGui::CalcTextSize(m_typed.back().c_str()).x * kTypedScale + style.FramePadding.x : 0.0f;
        m_sizes.emplace_back(index_w + label_w + typed_w + style.FramePadding.x * 3, ImGui::GetFontSize() + style.FramePadding.y * 2 + 2);
    }
    const WordCount words = count_unknown_words(trace);
    m_unknown_notice = words.unknown == 0 ? ""
                                          : format("%d of your %d word%s %s new to this model: it reads %s as its unknown token", words.unknown,
                                                   words.words, words.words == 1 ? "" : "s", words.unknown == 1 ? "is" : "are",
                                                   words.unknown == 1 ? "it" : "each");
}

void SentenceBarPanel::draw_chips(const FrameContext& frame) {
    if (!frame.trace) {
        ImGui::TextDisabled(frame.state.loading ? "loading the model\xE2\x80\xA6" : "the tokens appear here");
        return;
    }
    const Trace& trace = *frame.trace;
    refresh_chips(trace);
    // Long texts: the chips scroll after three rows, so the views keep most of the window.
    const float row_h = m_sizes.front().y + ImGui::GetStyle().ItemSpacing.y;
    const float wanted = m_chips_height > 0.0f ? m_chips_height : row_h;
    ImGui::BeginChild("chips", ImVec2(0, std::min(wanted, row_h * 3.0f)), false);
    const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
    const bool stale = trace.text != frame.state.text;  // computing, or the new text has an error
    if (stale) ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 0.55f);
    for (int i = 0; i < trace.n_tokens(); ++i) {
        const ImVec2 size = m_sizes[static_cast<std::size_t>(i)];
        if (i > 0) {
            ImGui::SameLine();
            if (ImGui::GetCursorScreenPos().x + size.x > right) ImGui::NewLine();
        }
        ImGui::PushID(i);
        draw_chip(frame, i, size);
        ImGui::PopID();
    }
    m_chips_height = ImGui::GetCursorPosY();  // content coordinates: the whole list, scrolled or not
    if (stale) ImGui::PopStyleVar();
    ImGui::EndChild();
    if (!frame.state.trace.error.empty()) colored_wrapped_text(frame.theme.error, "\xE2\x9A\xA0 " + frame.state.trace.error);
    else if (!stale && !trace.note.empty()) colored_wrapped_text(frame.theme.unknown, "\xE2\x9A\xA0 " + trace.note);
    if (!stale && !m_unknown_notice.empty()) colored_wrapped_text(frame.theme.unknown, "? " + m_unknown_notice);
}

bool SentenceBarPanel::draw_chip(const FrameContext& frame, int i, ImVec2 size) {
    const Trace& trace = *frame.trace;
    const Token& token = trace.tokens[static_cast<std::size_t>(i)];
    const Theme& th = frame.theme;
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("chip", size, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
    const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
    if (clicked) frame.selection.query = i;
    if (ImGui::IsItemClicked(ImGuiMouseButton_Right)) frame.selection.key = frame.selection.key == i ? -1 : i;

    const bool is_query = frame.selection.query == i, is_key = frame.selection.key == i;
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
    const std::string& label = m_labels[static_cast<std::size_t>(i)];
    dl->AddText(ImVec2(label_x, p.y + style.FramePadding.y + 1), token.unknown && !is_query && !is_key ? th.unknown : text, label.c_str());
    if (const std::string& typed = m_typed[static_cast<std::size_t>(i)]; !typed.empty()) {  // what was typed, small
        const float typed_size = ImGui::GetFontSize() * kTypedScale;
        const float typed_x = label_x + ImGui::CalcTextSize(label.c_str()).x + style.FramePadding.x;
        dl->AddText(nullptr, typed_size, ImVec2(typed_x, q.y - typed_size - style.FramePadding.y), is_query || is_key ? text : th.text_dim,
                    typed.c_str());
    }
    if (token.unknown) {  // a mark that does not depend on telling colours apart
        const float small_q = ImGui::GetFontSize() * 0.6f;
        dl->AddText(nullptr, small_q, ImVec2(q.x - small_q * 0.55f, p.y), th.unknown, "?");
    }
    if (ImGui::IsItemHovered()) draw_chip_tooltip(frame, i);
    return clicked;
}

void SentenceBarPanel::draw_chip_tooltip(const FrameContext& frame, int i) {
    const Trace& trace = *frame.trace;
    const Token& t = trace.tokens[static_cast<std::size_t>(i)];
    ImGui::BeginTooltip();
    const std::string& typed = m_typed[static_cast<std::size_t>(i)].empty() ? m_labels[static_cast<std::size_t>(i)] : m_typed[static_cast<std::size_t>(i)];
    ImGui::Text("token %d: \"%s\"  (id %d, piece \"%s\")", i, typed.c_str(), t.id, escape_for_terminal(t.piece).c_str());
    if (t.unknown)
        colored_wrapped_text(frame.theme.unknown, format("\"%s\" is not in the model's vocabulary: the model sees its unknown token %s, the same "
                                                         "vector for every new word", m_typed[static_cast<std::size_t>(i)].c_str(),
                                                         m_labels[static_cast<std::size_t>(i)].c_str()));
    if (t.special) ImGui::TextUnformatted("added by the tokenizer");
    ImGui::TextDisabled("click: make it the query token \xC2\xB7 right-click: choose it as the key token");
    ImGui::EndTooltip();
}

}  // namespace attnscope::gui
