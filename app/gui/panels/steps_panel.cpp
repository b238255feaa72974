// Sections: [SECTION] Cache  [SECTION] Keys and stepping  [SECTION] Drawing
#include "panels/steps_panel.h"

#include <algorithm>

#include "attnscope/token_labels.h"

#include "widgets/draw_util.h"
#include "widgets/matrix_view.h"
#include "workers/attention_stacks.h"
#include "workers/projection_cache.h"

namespace attnscope::gui {

namespace {

constexpr int kStepCount = static_cast<int>(ExplainStep::Count);
constexpr float kTitleScale = 1.35f;  // the step title reads from the back of the room
constexpr float kBodyScale = 1.25f;

}  // namespace

// Written from this frame's selection (the title is drawn before the pages are refreshed), so it
// never names the head or the kind of attention shown a frame ago.
std::string StepsPanel::caption(const FrameContext& frame) const {
    if (!frame.trace || frame.trace->n_tokens() == 0) return "Step by step";
    Selection s = frame.selection;
    clamp_to_view(s, *frame.trace);
    const std::string kind = frame.stack ? std::string(stack_title(*frame.stack)) + " \xC2\xB7 " : "";
    const std::string query = token_label(*frame.trace, s.query, ControlChars::AsTyped);
    const std::string writes = shows_cross(*frame.trace) ? format(" (writes \"%s\")", written_at(*frame.trace, s.query, ControlChars::AsTyped).c_str()) : "";
    return format("Step by step: %slayer %d \xC2\xB7 head %d \xC2\xB7 query \"%s\"%s", kind.c_str(), s.layer, s.head, query.c_str(), writes.c_str());
}

void StepsPanel::draw_content(const FrameContext& frame) {
    if (!frame.trace || frame.trace->n_tokens() == 0) {
        draw_centered_message("Type a sentence above to see how its attention is computed.", frame.theme.text_dim,
                              frame.state.loading);
        return;
    }
    refresh(frame);
    follow_lesson(frame);
    handle_keys(frame);
    draw_stepper(frame);
    ImGui::Separator();
    ImGui::BeginChild("##page");
    ImGui::SetWindowFontScale(kBodyScale);
    if (m_key.projection_ready) draw_page(frame, m_pages[static_cast<std::size_t>(m_step)]);
    else draw_centered_message("\xE2\x80\xA6", frame.theme.text_dim, true);  // the head's W is on its way
    ImGui::EndChild();
    frame.actions.report_region("steps", ImGui::GetWindowPos(),
                                ImVec2(ImGui::GetWindowPos().x + ImGui::GetWindowSize().x, ImGui::GetWindowPos().y + ImGui::GetWindowSize().y));
}

// [SECTION] Cache

// Rebuilds the pages only when the trace, the selected layer, head or query changed, or the head's
// W arrived. The W is the trace's own model's (App asks the ProjectionCache for it each update).
//
// An encoder-decoder's model gives W only for its decoder's self-attention (Model::head_projection),
// so the encoder's and the cross-attention's steps show the trace's own q, k and v without W, and
// say so; cross-attention's keys and values are the source's (explain_head reads a cross layer so).
void StepsPanel::refresh(const FrameContext& frame) {
    const Selection& s = frame.selection;
    const bool own_w = !frame.stack || *frame.stack == AttentionStack::Decoder;
    const std::optional<HeadProjection>* projection = own_w ? frame.projections.find(*frame.trace, s.layer, s.head) : nullptr;
    const CacheKey key{frame.trace->id, s.layer, s.head, s.query, !own_w || projection != nullptr};
    if (key == m_key && !m_pages.empty()) return;
    m_key = key;
    if (own_w) {
        const HeadExplanation e = explain_head(*frame.trace, s.layer, s.head, s.query, projection ? *projection : std::nullopt);
        m_pages = explain_steps(e);
    } else {
        const AttentionStack stack = *frame.stack;
        const HeadExplanation e = explain_head(*frame.trace, s.layer, s.head, s.query, std::nullopt);
        m_pages = stack_steps(e, stack);
    }
}

// [SECTION] Keys and stepping

// A playing lesson owns Space and Backspace (app_presentation.cpp); then the buttons step.
void StepsPanel::handle_keys(const FrameContext& frame) {
    if (frame.state.front != ViewId::Steps || frame.state.lesson.active()) return;
    if (ImGui::GetIO().WantTextInput || ImGui::GetIO().KeyCtrl || ImGui::IsPopupOpen(nullptr, ImGuiPopupFlags_AnyPopupId)) return;
    auto pressed = [](ImGuiKey key) { return ImGui::IsKeyPressed(ImGui::GetKeyIndex(key)); };
    if (pressed(ImGuiKey_Space) || pressed(ImGuiKey_RightArrow)) go_to(m_step + 1);
    if (pressed(ImGuiKey_Backspace) || pressed(ImGuiKey_LeftArrow)) go_to(m_step - 1);
}

static_assert(kStepCount == 10, "lesson_page_names() (lesson.cpp) names every page");

// A lesson step that names a page opens it once, when the step is entered.
void StepsPanel::follow_lesson(const FrameContext& frame) {
    const LessonCaption& lesson = frame.state.lesson;
    if (!lesson.active() || !lesson.shown || lesson.entered == m_lesson_entered) return;
    m_lesson_entered = lesson.entered;
    if (lesson.page > 0) go_to(lesson.page - 1);
}

void StepsPanel::go_to(int step) { m_step = std::clamp(step, 0, kStepCount - 1); }

// [SECTION] Drawing

// Back / Next and one numbered button per step, so a teacher can also jump.
void StepsPanel::draw_stepper(const FrameContext& frame) {
    ImGui::BeginDisabled(m_step == 0);
    if (ImGui::Button("\xE2\x97\x80 Back")) go_to(m_step - 1);
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(m_step == kStepCount - 1);
    if (ImGui::Button("Next \xE2\x96\xB6")) go_to(m_step + 1);
    ImGui::EndDisabled();
    for (int i = 0; i < kStepCount; ++i) {
        ImGui::SameLine();
        const bool current = i == m_step;
        if (current) ImGui::PushStyleColor(ImGuiCol_Button, frame.theme.accent);
        if (current) ImGui::PushStyleColor(ImGuiCol_Text, readable_text_on(frame.theme.accent));
        ImGui::PushID(i);
        if (ImGui::Button(format("%d", i + 1).c_str())) go_to(i);
        ImGui::PopID();
        if (current) ImGui::PopStyleColor(2);
    }
    ImGui::SameLine();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.text_dim), "\xE2\x86\x92 or Space: next   \xE2\x86\x90 or Backspace: back");
}

void StepsPanel::draw_page(const FrameContext& frame, const StepPage& page) {
    ImGui::SetWindowFontScale(kTitleScale);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.accent), "%s", page.title.c_str());
    ImGui::SetWindowFontScale(kBodyScale);
    colored_wrapped_text(frame.theme.text, page.caption);
    ImGui::Spacing();
    draw_formulas(frame, page);
    draw_matrices(frame, page);
    draw_table(frame, page);
}

void StepsPanel::draw_formulas(const FrameContext& frame, const StepPage& page) {
    // The UI font, not the mono one: formulas use √, Σ, → and … which DejaVu Sans has.
    for (const std::string& f : page.formulas) colored_wrapped_text(frame.theme.text, f);
    if (!page.formulas.empty()) ImGui::Spacing();
}

// Side by side (W_Q, W_K, W_V), each cell wide enough for "−0.000" when there is room; wide
// matrices get narrower cells and show colours only, so all of them stay on screen.
void StepsPanel::draw_matrices(const FrameContext& frame, const StepPage& page) {
    if (page.matrices.empty()) return;
    const float gap = ImGui::GetFontSize() * 1.5f;
    const float n = static_cast<float>(page.matrices.size());
    const float budget = (ImGui::GetContentRegionAvail().x - gap * (n - 1.0f)) / n - ImGui::GetFontSize() * 4.0f;  // minus row labels
    const float wide = frame.fonts.mono->CalcTextSizeA(ImGui::GetFontSize(), FLT_MAX, 0.0f, "\xE2\x88\x92" "0.000").x + 8.0f;
    for (std::size_t i = 0; i < page.matrices.size(); ++i) {
        const float cols = static_cast<float>(std::min<Index>(page.matrices[i].values.cols(), kMatrixViewMaxCols));
        const float cell = std::max(4.0f, std::min(wide, budget / cols));
        if (i > 0) ImGui::SameLine(0.0f, gap);
        ImGui::BeginGroup();
        draw_matrix_view(frame, page.matrices[i], cell);
        ImGui::EndGroup();
    }
    ImGui::Spacing();
}

void StepsPanel::draw_table(const FrameContext& frame, const StepPage& page) {
    if (page.columns.empty()) return;
    const int n_cols = static_cast<int>(page.columns.size());
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit |
                                  ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX;
    if (!ImGui::BeginTable("##steps", n_cols, flags)) return;
    ImGui::TableSetupScrollFreeze(1, 1);
    for (const std::string& c : page.columns) ImGui::TableSetupColumn(c.c_str());
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;  // a 1000-token sentence draws only the rows on screen
    clipper.Begin(static_cast<int>(page.rows.size()));
    while (clipper.Step())
        for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) {
            ImGui::TableNextRow();
            if (r == page.highlight_row)
                ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, (frame.theme.highlight & 0x00FFFFFF) | 0x60000000);
            for (int c = 0; c < n_cols; ++c) {
                ImGui::TableSetColumnIndex(c);
                ImGui::TextUnformatted(page.rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)].c_str());
            }
        }
    ImGui::EndTable();
}

}  // namespace attnscope::gui
