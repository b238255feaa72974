#include "widgets/ablation_chart.h"

#include <algorithm>
#include <cmath>

#include "attnscope/top_k.h"
#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

// The bars shown: the heads whose removal moves the probability most.
constexpr std::size_t kBars = 12;

}  // namespace

AblationChart::AblationChart(std::function<void()> wake)
    : m_worker(
          [](const AblationRequest& r, std::uint64_t, const StaleCheck& stale) {
              return ablate_each_head(*r.model, r.tokens, r.target.id, r.kind, stale);
          },
          std::move(wake), OnShutdown::Join) {}

void AblationChart::draw(const FrameContext& frame, const Trace& trace) {
    if (!trace.made_by || !trace.model.causal || trace.model.encoder_decoder) {
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.text_dim),
                           "Ablation reads the next word's probability: this model is not a decoder.");
        return;
    }
    draw_controls(frame, trace);
    const auto status = m_worker.latest();
    if (status.busy()) {
        const int heads = trace.model.n_layers * trace.model.n_heads;
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.text_dim), "removing each of the %d heads in turn\xE2\x80\xA6", heads);
        return;
    }
    const auto& done = status.newest;
    if (!done) return;
    if (!done->result.ok()) {
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.error), "%s", done->result.error().message.c_str());
        return;
    }
    if (done->request->trace_id != trace.id)
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.text_dim), "(for the sentence before: run it again for this one)");
    draw_bars(frame, *done->request, done->result.value());
}

void AblationChart::draw_controls(const FrameContext& frame, const Trace& trace) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Which heads matter for the next word:");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("money money").x);
    ImGui::InputTextWithHint("##next", "its own guess", m_word.data(), m_word.size());
    ImGui::SameLine();
    ImGui::Checkbox("mean", &m_mean);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("replace each head's output by its mean over the tokens instead of zeros");
    ImGui::SameLine();
    if (ImGui::Button("Remove each head") && !m_worker.latest().busy()) {
        AblationRequest r;
        r.model = trace.made_by;
        r.tokens = trace.tokens;
        r.kind = m_mean ? ForwardOptions::Ablation::Kind::Mean : ForwardOptions::Ablation::Kind::Zero;
        r.trace_id = trace.id;
        const std::string word = m_word.data();
        r.word = word;
        m_problem.clear();
        if (!word.empty()) {
            // Tokenizing is quick and touches no weights: the worker runs the model.
            const auto target = next_token_for(*trace.made_by, trace.text, word);
            if (target.ok()) r.target = target.value();
            else m_problem = target.error().message;
        } else if (trace.has_logits_for(trace.n_tokens() - 1)) {
            r.target.id = top_k_softmax(trace.logits_of(trace.n_tokens() - 1), 1)[0].id;
            r.target.piece = trace.made_by->tokenizer().decode({r.target.id});
        } else {
            m_problem = "this trace has no next-word prediction";
        }
        if (m_problem.empty()) m_worker.request(std::move(r));
    }
    if (!m_problem.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.error), "%s", m_problem.c_str());
}

void AblationChart::draw_bars(const FrameContext& frame, const AblationRequest& asked, const std::vector<HeadEffect>& effects) {
    if (effects.empty()) return;
    std::vector<HeadEffect> ranked = effects;
    std::stable_sort(ranked.begin(), ranked.end(), [](const HeadEffect& a, const HeadEffect& b) {
        return std::abs(a.p_after - a.p_before) > std::abs(b.p_after - b.p_before);
    });
    ranked.resize(std::min(ranked.size(), kBars));
    const std::string word = asked.model->tokenizer().decode({asked.target.id});
    // A word the tokenizer splits is judged by its first piece: say so.
    const bool piece = !asked.word.empty() && word.find_first_not_of(' ') != std::string::npos &&
                       word.substr(word.find_first_not_of(' ')) != asked.word;
    ImGui::Text("p(\"%s\"%s next) = %.1f%%; without each head, the biggest changes:", word.c_str(),
                piece ? format(", the first piece of \"%s\",", asked.word.c_str()).c_str() : "", 100.0 * ranked[0].p_before);
    double largest = 1e-12;
    for (const HeadEffect& e : ranked) largest = std::max(largest, std::abs(e.p_after - e.p_before));
    const float font = ImGui::GetFontSize(), row = font * 1.35f, label_w = ImGui::CalcTextSize("L00 H00").x + font * 0.5f;
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x, value_w = ImGui::CalcTextSize("+100.0%").x + font * 0.5f;
    const float bar_room = std::max(font * 4, width - label_w - value_w), zero_x = at.x + label_w + bar_room * 0.5f;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddLine(ImVec2(zero_x, at.y), ImVec2(zero_x, at.y + row * static_cast<float>(ranked.size())), frame.theme.text_dim, frame.theme.stroke);
    for (std::size_t k = 0; k < ranked.size(); ++k) {
        const HeadEffect& e = ranked[k];
        const double change = e.p_after - e.p_before;
        const float y = at.y + row * static_cast<float>(k);
        const bool selected = e.layer == frame.selection.layer && e.head == frame.selection.head;
        dl->AddText(ImVec2(at.x, y), selected ? frame.theme.highlight : frame.theme.text, format("L%d H%d", e.layer, e.head).c_str());
        const float len = static_cast<float>(change / largest) * bar_room * 0.5f;
        const ImVec2 a(std::min(zero_x, zero_x + len), y + row * 0.15f), b(std::max(zero_x, zero_x + len), y + row * 0.85f);
        dl->AddRectFilled(a, b, change < 0 ? frame.theme.error : frame.theme.accent);
        dl->AddText(ImVec2(at.x + label_w + bar_room + font * 0.3f, y), frame.theme.text, format("%+.1f%%", 100.0 * change).c_str());
        ImGui::SetCursorScreenPos(ImVec2(at.x, y));
        ImGui::PushID(static_cast<int>(k));
        if (ImGui::InvisibleButton("bar", ImVec2(width, row))) {
            frame.selection.layer = e.layer;
            frame.selection.head = e.head;
        }
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("layer %d, head %d removed: p(\"%s\") %.2f%% -> %.2f%%", e.layer, e.head, word.c_str(), 100.0 * e.p_before,
                              100.0 * e.p_after);
        ImGui::PopID();
    }
    frame.actions.report_region("ablation-bars", at, ImVec2(at.x + width, at.y + row * static_cast<float>(ranked.size())));
}

}  // namespace attnscope::gui
