#include "panels/lens_panel.h"

#include <algorithm>

#include "attnscope/token_labels.h"
#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

// A predicted token as a cell shows it: a space or line end that decodes to nothing visible is
// drawn as the open box, so an empty cell never looks like a missing answer.
std::string shown_token(const Tokenizer& tok, int id) {
    const std::string s = tok.decode({id});
    return s.find_first_not_of(" \t\r\n") == std::string::npos ? std::string("\xE2\x90\xA3") : s;
}

}  // namespace

LensPanel::LensPanel(std::function<void()> wake)
    : m_worker([](const LensRequest& r, std::uint64_t, const StaleCheck& stale) { return logit_lens(*r.model, r.tokens, 3, stale); },
               std::move(wake), OnShutdown::Join) {}

std::string LensPanel::caption(const FrameContext& frame) const {
    if (!frame.trace) return "Logit lens";
    return "Logit lens \xC2\xB7 the next token each layer would predict, at every position \xC2\xB7 brighter: more sure";
}

void LensPanel::draw_content(const FrameContext& frame) {
    const TraceBundle* bundle = frame.whole ? frame.whole : frame.bundle;
    const Trace* trace = bundle ? bundle->trace.get() : nullptr;
    if (!trace || !trace->made_by) {
        draw_centered_message("Type a sentence: each layer's guess for the next word appears here.", frame.theme.text_dim, false);
        return;
    }
    if (!trace->model.causal || trace->model.encoder_decoder) {
        draw_centered_message("The logit lens reads next-word predictions: this model is not a decoder.", frame.theme.text_dim, false);
        return;
    }
    if (m_asked != trace->id) {   // a new trace: ask for its lens (the worker runs the model, not this frame)
        LensRequest r;
        r.model = trace->made_by;
        r.first = std::max(0, trace->n_tokens() - kMaxPositions);
        r.tokens.assign(trace->tokens.begin() + r.first, trace->tokens.end());
        r.trace_id = trace->id;
        m_worker.request(std::move(r));
        m_asked = trace->id;
    }
    const auto status = m_worker.latest();
    const auto& done = status.newest;
    if (!done || done->request->trace_id != trace->id) {
        draw_centered_message("Reading every layer's guess\xE2\x80\xA6", frame.theme.text_dim, true);
        return;
    }
    if (!done->result.ok()) {
        draw_centered_message(done->result.error().message.c_str(), frame.theme.error, false);
        return;
    }
    draw_grid(frame, *done->request, done->result.value());
}

void LensPanel::draw_grid(const FrameContext& frame, const LensRequest& shown, const LogitLens& lens) {
    const Trace& trace = *(frame.whole ? frame.whole : frame.bundle)->trace;
    const Tokenizer& tok = shown.model->tokenizer();
    const float font = ImGui::GetFontSize(), pad = font * 0.3f;
    const float label_w = ImGui::CalcTextSize("L00").x + 2 * pad, cell_w = font * 5.0f, cell_h = font * 1.6f;
    if (shown.first > 0) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.text_dim), "the last %d tokens of %d", lens.n_tokens,
                                            trace.n_tokens());
    ImGui::BeginChild("lens-grid", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    // The header row: the token at each position (the prediction in its column is for the token after it).
    for (int i = 0; i < lens.n_tokens; ++i) {
        const int index = shown.first + i;
        const std::string label = ellipsize(token_label(trace, index, ControlChars::AsTyped), cell_w - 2 * pad);
        const bool query = index == frame.selection.query;
        dl->AddText(ImVec2(origin.x + label_w + i * cell_w + pad, origin.y), query ? frame.theme.highlight : frame.theme.text, label.c_str());
    }
    const float top = origin.y + cell_h;
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    for (int l = 0; l < lens.n_layers; ++l) {
        const float y = top + l * cell_h;
        for (int i = 0; i < lens.n_tokens; ++i) {
            const TokenProbability& best = lens.top[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)][0];
            const ImVec2 a(origin.x + label_w + i * cell_w, y), b(a.x + cell_w - 1, y + cell_h - 1);
            const ImU32 fill = colormap_color(frame.state.settings.colormap, best.probability);
            dl->AddRectFilled(a, b, fill);
            const std::string word = ellipsize(shown_token(tok, best.id), cell_w - 2 * pad);
            dl->AddText(ImVec2(a.x + pad, a.y + (cell_h - font) * 0.5f), readable_text_on(fill), word.c_str());
            if (shown.first + i == frame.selection.query) dl->AddRect(a, b, frame.theme.highlight, 0.0f, 0, 2.0f * frame.theme.stroke);
            const bool over = mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y && ImGui::IsWindowHovered();
            if (!over) continue;
            std::string tip = format("after \"%s\", read after layer %d:", token_label(trace, shown.first + i, ControlChars::AsTyped).c_str(), l);
            for (const TokenProbability& t : lens.top[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)])
                tip += format("\n  %s  %.0f%%", shown_token(tok, t.id).c_str(), 100.0 * t.probability);
            ImGui::SetTooltip("%s", tip.c_str());
            if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) frame.selection.query = shown.first + i;
        }
    }
    // The layer labels stay at the left edge while the positions scroll under them.
    const float left = ImGui::GetWindowPos().x;
    dl->AddRectFilled(ImVec2(left, top), ImVec2(left + label_w, top + lens.n_layers * cell_h), frame.theme.background);
    for (int l = 0; l < lens.n_layers; ++l)
        dl->AddText(ImVec2(left + pad, top + l * cell_h + (cell_h - font) * 0.5f), frame.theme.text_dim, format("L%d", l).c_str());
    ImGui::Dummy(ImVec2(label_w + lens.n_tokens * cell_w, cell_h * (lens.n_layers + 1)));
    // The query's column is scrolled into view when it changes (the last token's, at first).
    const int query_column = frame.selection.query - shown.first;
    if (query_column != m_scrolled_column && query_column >= 0 && query_column < lens.n_tokens) {
        ImGui::SetScrollX(std::max(0.0f, label_w + (query_column + 1) * cell_w - ImGui::GetWindowWidth()));
        m_scrolled_column = query_column;
    }
    frame.actions.report_region("lens-grid", ImVec2(origin.x + label_w, top), ImVec2(origin.x + label_w + lens.n_tokens * cell_w, top + lens.n_layers * cell_h));
    ImGui::EndChild();
}

}  // namespace attnscope::gui
