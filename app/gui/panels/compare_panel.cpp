// Sections: [SECTION] Panel  [SECTION] Second sentence  [SECTION] Cache  [SECTION] Heatmaps
//           [SECTION] Rows and difference  [SECTION] Predictions
#include "panels/compare_panel.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "attnscope/token_labels.h"
#include "widgets/draw_util.h"
#include "widgets/mini_heatmap.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

constexpr int kTopPredictions = 5;

// Rows of bars sit closer than lines of text: the bars keep them apart.
float bar_line_height() { return std::floor(ImGui::GetTextLineHeight() * 1.12f); }

// One horizontal bar per value with its label on the left and the number on the right.
// `values` in 0..1; `highlight`: the row drawn in the accent colour (-1: none).
void draw_bars(const FrameContext& frame, const std::vector<std::string>& labels, const std::vector<float>& values, ImU32 color,
               float width, int highlight) {
    const float fs = ImGui::GetFontSize(), line = bar_line_height();
    float label_w = 0.f;
    for (const std::string& l : labels) label_w = std::max(label_w, ImGui::CalcTextSize(l.c_str()).x);
    const float number_w = ImGui::CalcTextSize("0.00").x + fs * 0.5f;
    const float bar_w = std::max(fs * 2, width - label_w - number_w - fs);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    for (std::size_t r = 0; r < values.size(); ++r) {
        const float y = pos.y + static_cast<float>(r) * line;
        const ImU32 text = static_cast<int>(r) == highlight ? frame.theme.accent : frame.theme.text;
        dl->AddText(ImVec2(pos.x + label_w - ImGui::CalcTextSize(labels[r].c_str()).x, y), text, labels[r].c_str());
        const float x0 = pos.x + label_w + fs * 0.5f;
        dl->AddRectFilled(ImVec2(x0, y + line * 0.15f), ImVec2(x0 + bar_w, y + line * 0.85f), frame.theme.chip);
        dl->AddRectFilled(ImVec2(x0, y + line * 0.15f), ImVec2(x0 + bar_w * std::clamp(values[r], 0.f, 1.f), y + line * 0.85f), color);
        dl->AddText(ImVec2(x0 + bar_w + fs * 0.4f, y), frame.theme.text, format("%.2f", static_cast<double>(values[r])).c_str());
    }
    ImGui::Dummy(ImVec2(width, line * static_cast<float>(values.size())));
}

std::string quoted(const std::string& s) { return "\xE2\x80\x9C" + s + "\xE2\x80\x9D"; }

}  // namespace

// [SECTION] Panel

std::string ComparePanel::caption(const FrameContext& frame) const {
    if (!frame.trace) return "Compare two sentences";
    const std::string kind = frame.stack ? std::string(stack_title(*frame.stack)) + " \xC2\xB7 " : "";
    return format("Compare two sentences \xC2\xB7 %slayer %d, head %d", kind.c_str(), frame.selection.layer, frame.selection.head);
}

void ComparePanel::draw_content(const FrameContext& frame) {
    if (!frame.trace || !frame.state.model) {
        draw_centered_message(frame.state.loading ? "Loading the model\xE2\x80\xA6" : "Type a sentence above to compare it.",
                              frame.theme.text_dim, frame.state.loading || frame.state.trace.busy);
        return;
    }
    report_input(frame);
    draw_second_sentence_input(frame);
    const TraceStatus& second = frame.state.compare;  // taken once per frame by App: it keeps the trace alive
    if (!second.error.empty() && !second.busy)       // not busy: the failed request is the newest
        colored_wrapped_text(frame.theme.error, "Second sentence: " + second.error);
    // The second sentence's trace of the same kind of attention (an encoder-decoder's switch).
    const Trace* b = second.good ? second.good->stack(frame.state.stack).trace.get() : nullptr;
    const Selection& s = frame.selection;
    if (!b || s.layer >= static_cast<int>(b->layers.size()) || s.head >= static_cast<int>(b->layers[0].heads.size())) {
        draw_centered_message("Tracing the second sentence\xE2\x80\xA6", frame.theme.text_dim, second.busy);
        return;
    }
    // Two sentences side by side, cell by cell: for sentences, not long texts, whose matrices are
    // not kept (compare_rows and the mini heatmaps read them whole).
    if (!frame.trace->keeps_attention() || !b->keeps_attention()) {
        draw_centered_message(format("Compare is for two sentences: the %s is too long (%d tokens). Shorten it to compare.",
                                     frame.trace->keeps_attention() ? "second" : "first",
                                     (frame.trace->keeps_attention() ? *b : *frame.trace).n_tokens())
                                  .c_str(),
                              frame.theme.text_dim, false);
        return;
    }
    refresh(frame, *frame.trace, *b);
    draw_heatmaps(frame, *frame.trace, *b);
    draw_rows(frame);
    frame.actions.report_region("compare", ImGui::GetWindowPos(),
                                ImVec2(ImGui::GetWindowPos().x + ImGui::GetWindowSize().x, ImGui::GetWindowPos().y + ImGui::GetWindowSize().y));
}

// [SECTION] Second sentence

// Tells App what the second sentence is when it changed; App asks its compare worker for the
// trace in the next update step (never from here: drawing only reads).
void ComparePanel::report_input(const FrameContext& frame) {
    if (!m_input_initialized) {
        std::snprintf(m_input.data(), m_input.size(), "%s", initial_compare_text(frame.state).c_str());
        m_input_initialized = true;
    }
    if (m_reported == m_input.data()) return;
    m_reported = m_input.data();
    frame.actions.set_compare_input(m_reported);
}

void ComparePanel::draw_second_sentence_input(const FrameContext& frame) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.head_color(0)), "1");
    ImGui::SameLine();
    ImGui::TextUnformatted(input_text(*frame.whole->trace).c_str());
    ImGui::AlignTextToFramePadding();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.head_color(1)), "2");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(std::max(ImGui::GetFontSize() * 10, ImGui::GetContentRegionAvail().x));
    ImGui::InputTextWithHint("##compare", "a second sentence with a word of the first", m_input.data(), m_input.size());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the same layer and head are shown for both sentences; edit to compare another");
}

// [SECTION] Cache

void ComparePanel::refresh(const FrameContext& frame, const Trace& a, const Trace& b) {
    const Selection& s = frame.selection;
    const Key key{a.id, b.id, s.layer, s.head, s.query};
    if (key == m_key) return;
    m_key = key;
    const auto shared = choose_shared_word(a, b, s.query);
    m_rows.reset();
    if (shared) m_rows = compare_rows(a, b, *shared, s.layer, s.head);
    // Each with its own trace's tokenizer: the first may still be an older model's trace.
    m_next[0] = top_next_words_of(a, shared ? shared->i_a : a.n_tokens() - 1, kTopPredictions);
    m_next[1] = top_next_words_of(b, shared ? shared->i_b : b.n_tokens() - 1, kTopPredictions);
}

// [SECTION] Heatmaps

void ComparePanel::draw_heatmaps(const FrameContext& frame, const Trace& a, const Trace& b) {
    const float gap = ImGui::GetFontSize() * 1.5f;
    const float w = (ImGui::GetContentRegionAvail().x - 2 * gap) / 3.0f;
    const float h = std::clamp(ImGui::GetContentRegionAvail().y * 0.45f, ImGui::GetFontSize() * 8, w);
    const Selection& s = frame.selection;
    const Trace* traces[2] = {&a, &b};
    for (int k = 0; k < 2; ++k) {
        if (k == 1) ImGui::SameLine(0, gap);
        ImGui::BeginGroup();
        const int row = m_rows ? (k == 0 ? m_rows->shared.i_a : m_rows->shared.i_b) : -1;
        draw_mini_heatmap(frame, *traces[k], s.layer, s.head, row, ImVec2(w, h));
        ImGui::EndGroup();
    }
    ImGui::SameLine(0, gap);
    draw_predictions(frame, a, b, w);
}

// [SECTION] Rows and difference

void ComparePanel::draw_rows(const FrameContext& frame) {
    if (!m_rows) {
        colored_wrapped_text(frame.theme.text_dim, "The two sentences share no word: type a second sentence with a word of the first (bank).");
        return;
    }
    const RowComparison& r = *m_rows;
    ImGui::TextUnformatted(format("Where %s looks, layer %d head %d  (rows outlined above)", quoted(r.shared.word).c_str(), r.layer, r.head).c_str());
    const float gap = ImGui::GetFontSize() * 1.5f;
    const float w = (ImGui::GetContentRegionAvail().x - 2 * gap) / 3.0f;
    ImGui::BeginGroup();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.head_color(0)), "in sentence 1");
    draw_bars(frame, r.labels_a, r.row_a, frame.theme.head_color(0), w, r.shared.i_a);
    ImGui::EndGroup();
    ImGui::SameLine(0, gap);
    ImGui::BeginGroup();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.head_color(1)), "in sentence 2");
    draw_bars(frame, r.labels_b, r.row_b, frame.theme.head_color(1), w, r.shared.i_b);
    ImGui::EndGroup();
    ImGui::SameLine(0, gap);
    draw_difference(frame, w);
}

// Diverging bars around a centre line: to the right where sentence 1 gives the key word more
// weight, to the left where sentence 2 does.
void ComparePanel::draw_difference(const FrameContext& frame, float width) {
    const RowComparison& r = *m_rows;
    ImGui::BeginGroup();
    ImGui::TextUnformatted("difference 1 \xE2\x88\x92 2");
    const float fs = ImGui::GetFontSize(), line = bar_line_height();
    float label_w = 0.f;
    for (const KeyWordWeights& k : r.by_word) label_w = std::max(label_w, ImGui::CalcTextSize(k.word.c_str()).x);
    const float number_w = ImGui::CalcTextSize("\xE2\x88\x92" "0.00").x + fs * 0.5f;
    const float half = std::max(fs, (width - label_w - number_w - fs) * 0.5f);
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float centre = pos.x + label_w + fs * 0.5f + half;
    // The largest differences, as many as the longer row has tokens: the rest are near 0.
    const std::size_t shown = std::min(r.by_word.size(), std::max(r.row_a.size(), r.row_b.size()));
    for (std::size_t i = 0; i < shown; ++i) {
        const KeyWordWeights& k = r.by_word[i];
        const float y = pos.y + static_cast<float>(i) * line;
        dl->AddText(ImVec2(pos.x + label_w - ImGui::CalcTextSize(k.word.c_str()).x, y), frame.theme.text, k.word.c_str());
        const float len = half * std::clamp(std::fabs(k.diff), 0.f, 1.f);
        const ImU32 color = frame.theme.head_color(k.diff >= 0 ? 0 : 1);
        const float x0 = k.diff >= 0 ? centre : centre - len, x1 = k.diff >= 0 ? centre + len : centre;
        dl->AddRectFilled(ImVec2(x0, y + line * 0.15f), ImVec2(x1, y + line * 0.85f), color);
        const bool zero = std::fabs(k.diff) < 0.005f;  // would print as "0.00" anyway
        const std::string value = (zero ? " " : k.diff < 0 ? "\xE2\x88\x92" : "+") + format("%.2f", std::fabs(static_cast<double>(k.diff)));
        dl->AddText(ImVec2(centre + half + fs * 0.4f, y), frame.theme.text, value.c_str());
    }
    const float height = line * static_cast<float>(shown);
    dl->AddLine(ImVec2(centre, pos.y), ImVec2(centre, pos.y + height), frame.theme.text_dim, frame.theme.stroke);
    ImGui::Dummy(ImVec2(width, height));
    ImGui::EndGroup();
}

// [SECTION] Predictions

// Both sentences' predictions, one above the other, in a column `w` wide.
void ComparePanel::draw_predictions(const FrameContext& frame, const Trace& a, const Trace& b, float w) {
    const Trace* traces[2] = {&a, &b};
    ImGui::BeginGroup();
    for (int k = 0; k < 2; ++k) {
        if (k == 1) ImGui::Spacing();
        const NextWord& next = m_next[static_cast<std::size_t>(k)];
        const ImVec4 color = ImGui::ColorConvertU32ToFloat4(frame.theme.head_color(k));
        if (next.after < 0) {
            ImGui::TextColored(color, "%d: this model predicts no words", k + 1);
        } else {
            const std::string after = token_label(*traces[k], next.after);
            // A decoder predicts the word after a token; an encoder the word at a (masked) token.
            const char* what = traces[k]->model.causal ? "next word after" : "prediction at";
            ImGui::TextColored(color, "%d: %s %s", k + 1, what, quoted(after).c_str());
            std::vector<std::string> labels;
            std::vector<float> p;
            for (const Prediction& pr : next.top) labels.push_back(pr.piece), p.push_back(pr.probability);
            draw_bars(frame, labels, p, frame.theme.head_color(k), w, -1);
        }
    }
    ImGui::EndGroup();
}

}  // namespace attnscope::gui
