#include "panels/status_bar_panel.h"

#include "attnscope/text.h"
#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

void separator_dot() {
    ImGui::SameLine();
    ImGui::TextDisabled("\xC2\xB7");
    ImGui::SameLine();
}

}  // namespace

void StatusBarPanel::draw_content(const FrameContext& frame) {
    // Presentation mode: small type, so the views get the height (App::status_bar_height).
    if (frame.state.compact) ImGui::SetWindowFontScale(kCompactFontScale);
    draw_busy(frame);
    draw_model(frame);
    draw_trace(frame);
    draw_problem(frame);
    ImGui::SetWindowFontScale(1.0f);
}

void StatusBarPanel::draw_busy(const FrameContext& frame) {
    const float line = ImGui::GetTextLineHeight();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    if (frame.state.loading || frame.state.trace.busy)
        draw_spinner(ImGui::GetWindowDrawList(), ImVec2(p.x + line * 0.5f, p.y + line * 0.5f), line * 0.35f, frame.theme.accent, 2.5f);
    ImGui::Dummy(ImVec2(line, line));
    ImGui::SameLine();
    if (frame.state.loading) {
        ImGui::Text("loading %s \xE2\x80\xA6 %.1f s", frame.state.loading_spec.c_str(), frame.state.loading_seconds);
        separator_dot();
    }
}

void StatusBarPanel::draw_model(const FrameContext& frame) {
    if (!frame.state.model) {
        ImGui::TextDisabled("no model");
        return;
    }
    const ModelInfo& m = frame.state.model->info();
    ImGui::Text("%s", m.name.c_str());
    if (ImGui::IsItemHovered() && !m.description.empty()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
        ImGui::Text("%s\n\n%s", frame.state.model_spec.c_str(), m.description.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
    separator_dot();
    if (const EncoderDecoder* ed = frame.state.model->encoder_decoder()) {  // two stacks of their own shapes
        const ModelInfo& e = ed->encoder_info();
        ImGui::Text("%s (encoder-decoder)", architecture_name(m.architecture));
        separator_dot();
        ImGui::Text("encoder %d \xC3\x97 %d heads, decoder %d \xC3\x97 %d", e.n_layers, e.n_heads, m.n_layers, m.n_heads);
        return;
    }
    // The family names the model better where there is one ("qwen3 (decoder)", not "llama").
    ImGui::Text("%s%s", m.family.empty() ? architecture_name(m.architecture) : m.family.c_str(), m.causal ? " (decoder)" : " (encoder)");
    separator_dot();
    ImGui::Text("%d layers \xC3\x97 %d heads", m.n_layers, m.n_heads);
    draw_weights(frame, m);
}

// A file's weight types and size ("Q4_K_M mix: Q4_K 70%, Q6_K 25%, F32 5% · 4.9 GB"), the
// precision a practitioner wants to know the numbers were computed from.
void StatusBarPanel::draw_weights(const FrameContext& frame, const ModelInfo& m) {
    if (m.weight_types.empty()) return;
    separator_dot();
    ImGui::Text("%s \xC2\xB7 %s", m.weight_types.c_str(), human_bytes(m.file_bytes).c_str());
    frame.actions.report_region("status-weights", ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("how the weights are stored in the file (shares of its bytes), and the file's size;\n"
                          "every number shown is computed in float32 from them");
}

void StatusBarPanel::draw_trace(const FrameContext& frame) {
    if (!frame.trace) return;
    separator_dot();
    const Trace& whole = frame.whole ? *frame.whole->trace : *frame.trace;
    const int max_len = frame.trace->model.max_len;
    if (whole.source) ImGui::Text("%d source \xE2\x86\x92 %d target tokens", static_cast<int>(whole.source_tokens.size()), whole.n_tokens());
    else if (max_len > 0) ImGui::Text("%d / %d tokens", frame.trace->n_tokens(), max_len);
    else ImGui::Text("%d tokens", frame.trace->n_tokens());
    separator_dot();
    ImGui::Text("%.1f ms", whole.compute_ms);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("forward pass with every head's Q, K, V, scores and weights");
    separator_dot();
    ImGui::TextDisabled("frame %.1f ms", frame.state.frame_ms);
}

// An error (red), or else what the trace says about itself (only the start of a long text traced).
void StatusBarPanel::draw_problem(const FrameContext& frame) {
    std::string problem = !frame.state.trace.error.empty() ? frame.state.trace.error : frame.state.load_error;
    const bool note = problem.empty() && frame.trace && !frame.trace->note.empty();
    if (note) problem = frame.trace->note;
    if (problem.empty()) return;
    separator_dot();
    ImGui::PushStyleColor(ImGuiCol_Text, note ? frame.theme.unknown : frame.theme.error);
    ImGui::TextUnformatted(ellipsize("\xE2\x9A\xA0 " + problem, ImGui::GetContentRegionAvail().x).c_str());
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", problem.c_str());
}

}  // namespace attnscope::gui
