// Sections: [SECTION] Panel  [SECTION] Controls  [SECTION] Progress and timeline
//           [SECTION] Loss and heatmap  [SECTION] Files
#include "panels/training_panel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "attnscope/induction_demo.h"
#include "widgets/draw_util.h"
#include "widgets/loss_plot.h"
#include "widgets/mini_heatmap.h"

namespace attnscope::gui {

namespace {

constexpr const char* kDefaultSentence = "i took the money to the bank";
// The induction run: long enough for the plateau, the drop (near step 1,000-1,500) and after.
constexpr int kInductionSteps = 3000;
constexpr int kAmbiguousSteps = 1500;

const char* kind_label(TrainingKind k) {
    return k == TrainingKind::InductionHeads ? "Induction heads (made-up words)" : "Ambiguous words (bank)";
}
// Every recorded snapshot is a whole model in memory (bank-decoder's shape: about 0.4 MB), so a
// long run records less often rather than more snapshots.
constexpr int kMaxRecorded = 200;

}  // namespace

// [SECTION] Panel

TrainingPanel::TrainingPanel(std::function<void()> wake, int autostart_steps, TrainingKind kind)
    : m_worker(std::move(wake)), m_autostart_steps(autostart_steps) {
    std::snprintf(m_sentence.data(), m_sentence.size(), "%s", kDefaultSentence);
    std::snprintf(m_save_path.data(), m_save_path.size(), "%s", "trained-live.json");
    std::snprintf(m_folder.data(), m_folder.size(), "%s", "model.snapshots");
    set_kind(kind);
    if (autostart_steps > 0) {
        m_steps = autostart_steps;
        m_record_every = std::max(1, autostart_steps / 20);
    }
}

bool TrainingPanel::settled() const {
    if (m_autostart_steps <= 0) return true;
    if (!m_autostarted) return false;
    const TrainingPhase p = m_worker.latest().phase;
    return p == TrainingPhase::Finished || p == TrainingPhase::Failed || p == TrainingPhase::Stopped;
}

std::string TrainingPanel::caption(const FrameContext&) const { return "Live training"; }

void TrainingPanel::draw_content(const FrameContext& frame) {
    if (m_autostart_steps > 0 && !m_autostarted) {
        m_autostarted = true;
        start(frame);
    }
    follow_lesson(frame);
    const TrainingStatus status = m_worker.latest();  // immutable for this frame
    // Presentation mode: the run's button and its progress on one line, no settings, so the curve
    // and the heatmap keep the height of a 720p projector.
    const bool compact = frame.state.compact;
    draw_controls(frame, status, compact);
    if (compact) ImGui::SameLine();
    draw_progress(frame, status);
    draw_timeline(status);
    if (!frame.state.compact) draw_files(frame, status);  // a class watches; saving is for later
    draw_loss_and_heatmap(frame, status);
    follow_newest(frame, status);
    frame.actions.report_region("training", ImGui::GetWindowPos(),
                                ImVec2(ImGui::GetWindowPos().x + ImGui::GetWindowSize().x, ImGui::GetWindowPos().y + ImGui::GetWindowSize().y));
}

const TrainingFrame* TrainingPanel::selected_frame(const TrainingStatus& status) const {
    if (!status.frames || status.frames->empty()) return nullptr;
    const int n = static_cast<int>(status.frames->size());
    const int i = m_selected < 0 ? n - 1 : std::min(m_selected, n - 1);
    return &(*status.frames)[static_cast<std::size_t>(i)];
}

// [SECTION] Controls

void TrainingPanel::set_kind(TrainingKind kind) {
    if (kind == m_kind && m_sentence[0] != '\0') return;
    m_kind = kind;
    const bool induction = kind == TrainingKind::InductionHeads;
    // Made-up words repeated: the sentence an induction head's pattern shows on.
    const std::string sentence = induction ? induction_watch_sentence() : kDefaultSentence;
    std::snprintf(m_sentence.data(), m_sentence.size(), "%s", sentence.c_str());
    m_steps = induction ? kInductionSteps : kAmbiguousSteps;
}

// A lesson step that names a run chooses it once, when the step is entered; Train stays the
// class's to press.
void TrainingPanel::follow_lesson(const FrameContext& frame) {
    const LessonCaption& lesson = frame.state.lesson;
    if (!lesson.active() || !lesson.shown || lesson.entered == m_lesson_entered) return;
    m_lesson_entered = lesson.entered;
    if (lesson.training == "induction") set_kind(TrainingKind::InductionHeads);
    else if (lesson.training == "ambiguous-words") set_kind(TrainingKind::AmbiguousWords);
}

void TrainingPanel::start(const FrameContext& frame) {
    m_record_every = std::max(m_record_every, (m_steps + kMaxRecorded - 1) / kMaxRecorded);
    const bool induction = m_kind == TrainingKind::InductionHeads;
    auto setup = induction ? induction_training_setup(m_steps, m_record_every, m_sentence.data())
                           : builtin_training_setup(m_steps, m_record_every, m_sentence.data());
    // The other views follow the run: they show the sentence it is watched on, not a text in
    // words the made-up-word model has never seen.
    if (induction && m_views_follow) frame.actions.set_text(m_sentence.data());
    if (!setup.ok()) {
        m_message = setup.error().message;
        m_message_is_error = true;
        return;
    }
    m_selected = -1;
    m_head_chosen = false;
    m_followed_head = {-1, -1};
    m_message.clear();
    m_worker.start(std::move(setup).value());
}

void TrainingPanel::draw_controls(const FrameContext& frame, const TrainingStatus& status, bool compact) {
    const bool running = status.phase == TrainingPhase::Running || status.phase == TrainingPhase::Preparing;
    const float fs = ImGui::GetFontSize();
    if (running) {
        if (ImGui::Button("Stop")) m_worker.stop();
    } else {
        if (ImGui::Button("Train")) start(frame);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(m_kind == TrainingKind::InductionHeads
                                  ? "train 2 layers of attention only afresh on made-up words whose spans repeat"
                                  : "train bank-decoder's shape afresh on the ambiguous-words corpus");
        if (status.phase == TrainingPhase::Stopped) {
            ImGui::SameLine();
            if (ImGui::Button("Resume")) m_worker.resume();
        }
    }
    if (compact) return;
    ImGui::SameLine(0, fs);
    draw_kind_choice(running);
    ImGui::SameLine(0, fs);
    ImGui::SetNextItemWidth(fs * 6);
    ImGui::BeginDisabled(running);
    ImGui::InputInt("steps", &m_steps, 100, 1000);
    m_steps = std::clamp(m_steps, 10, 100000);
    ImGui::SameLine(0, fs);
    ImGui::SetNextItemWidth(fs * 6);
    ImGui::InputInt("record every", &m_record_every, 10, 100);
    m_record_every = std::clamp(m_record_every, 1, 10000);
    ImGui::EndDisabled();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Watch");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
    if (ImGui::InputText("##sentence", m_sentence.data(), m_sentence.size(), ImGuiInputTextFlags_EnterReturnsTrue) ||
        ImGui::IsItemDeactivatedAfterEdit())
        if (status.sentence != m_sentence.data()) m_worker.set_sentence(m_sentence.data());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the sentence whose heatmap is shown for each snapshot (Enter to apply)");
}

void TrainingPanel::draw_kind_choice(bool running) {
    ImGui::BeginDisabled(running);
    ImGui::SetNextItemWidth(ImGui::CalcTextSize(kind_label(TrainingKind::InductionHeads)).x + ImGui::GetFrameHeight() * 1.5f);
    if (ImGui::BeginCombo("##kind", kind_label(m_kind))) {
        for (TrainingKind k : {TrainingKind::AmbiguousWords, TrainingKind::InductionHeads})
            if (ImGui::Selectable(kind_label(k), k == m_kind)) set_kind(k);
        ImGui::EndCombo();
    }
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("what Train trains: bank-decoder's shape on ambiguous words, or 2 layers of attention only\n"
                          "on made-up words, where an induction head forms and the loss drops");
}

// [SECTION] Progress and timeline

void TrainingPanel::draw_progress(const FrameContext& frame, const TrainingStatus& status) {
    const float fraction = status.total_steps > 0 ? static_cast<float>(status.step) / static_cast<float>(status.total_steps) : 0.f;
    std::string label = format("%s \xC2\xB7 step %d / %d", training_phase_name(status.phase), status.step, status.total_steps);
    if (const TrainingFrame* f = newest_measured(status)) label += format(" \xC2\xB7 loss %.3f", static_cast<double>(f->loss));
    ImGui::ProgressBar(fraction, ImVec2(-1, 0), label.c_str());
    if (status.phase == TrainingPhase::Failed) colored_wrapped_text(frame.theme.error, status.error);
    if (!m_message.empty()) colored_wrapped_text(m_message_is_error ? frame.theme.error : frame.theme.text_dim, m_message);
}

void TrainingPanel::draw_timeline(const TrainingStatus& status) {
    const int n = status.frames ? static_cast<int>(status.frames->size()) : 0;
    if (n == 0) return;
    int index = m_selected < 0 ? n - 1 : std::min(m_selected, n - 1);
    const TrainingFrame& f = (*status.frames)[static_cast<std::size_t>(index)];
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Snapshot");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize("newest views follow").x - ImGui::GetFontSize() * 5);
    const std::string shown = std::isnan(f.loss) ? format("step %d", f.step) : format("step %d \xC2\xB7 loss %.3f", f.step, static_cast<double>(f.loss));
    if (ImGui::SliderInt("##timeline", &index, 0, n - 1, shown.c_str())) m_selected = index;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("drag to replay how the attention formed");
    ImGui::SameLine();
    bool follow = m_selected < 0;
    if (ImGui::Checkbox("newest", &follow)) m_selected = follow ? -1 : index;
    ImGui::SameLine();
    ImGui::Checkbox("views follow", &m_views_follow);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the heatmap, tokens and overview show the newest snapshot while it trains");
}

// [SECTION] Loss and heatmap

void TrainingPanel::draw_loss_and_heatmap(const FrameContext& frame, const TrainingStatus& status) {
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float gap = ImGui::GetFontSize();
    const float plot_w = std::floor((avail.x - gap) * 0.42f);
    const bool scored = status.frames && !status.frames->empty() && !status.frames->back().heads.empty();
    if (scored && frame.state.compact) {
        // A projector's height: the two curves side by side, full height; the main views already
        // show the snapshot's attention (views follow).
        const float half_w = std::floor((avail.x - gap) * 0.5f);
        ImGui::BeginGroup();
        draw_loss(frame, status, ImVec2(half_w, avail.y));
        ImGui::EndGroup();
        ImGui::SameLine(0, gap);
        ImGui::BeginGroup();
        draw_head_scores(frame, status, ImVec2(avail.x - half_w - gap, avail.y));
        ImGui::EndGroup();
        return;
    }
    ImGui::BeginGroup();
    if (scored) {
        // The loss and the heads' scores one above the other, on the same steps: the drop in
        // the one lines up with the rise in the other.
        const float half = std::floor((avail.y - gap * 0.5f) * 0.5f);
        draw_loss(frame, status, ImVec2(plot_w, half));
        draw_head_scores(frame, status, ImVec2(plot_w, avail.y - half - gap * 0.5f));
    } else {
        draw_loss(frame, status, ImVec2(plot_w, avail.y));
    }
    ImGui::EndGroup();
    ImGui::SameLine(0, gap);
    draw_snapshot_heatmap(frame, status, ImVec2(avail.x - plot_w - gap, avail.y));
}

void TrainingPanel::draw_loss(const FrameContext& frame, const TrainingStatus& status, ImVec2 size) {
    // One loss everywhere (the bar, the slider, the curve): the model's loss on a fixed sample of
    // the corpus at each snapshot. Each step's own batch loss jumps with its batch.
    ImGui::TextUnformatted("Loss on a fixed sample of the corpus");
    std::vector<LossPoint> points;
    int marked = -1;
    const TrainingFrame* selected = selected_frame(status);
    if (status.frames)
        for (const TrainingFrame& f : *status.frames) {
            if (std::isnan(f.loss)) continue;
            if (&f == selected) marked = static_cast<int>(points.size());
            points.push_back(LossPoint{f.step, f.loss});
        }
    const float line = ImGui::GetTextLineHeightWithSpacing();
    if (!points.empty())
        draw_loss_plot(frame, points, std::max(status.total_steps, points.back().step), marked,
                       ImVec2(size.x, std::max(ImGui::GetFontSize() * 5, size.y - line)));
    else
        colored_wrapped_text(frame.theme.text_dim, m_kind == TrainingKind::InductionHeads
                                                       ? "Press Train: the loss stays flat, then drops when an induction head forms."
                                                       : "Press Train: the loss falls as the model learns which words go together.");
}

// Every head's induction score per snapshot, one colour per head; the selected head bold. Its
// legend names each head with its score at the selected snapshot; a click selects the head.
void TrainingPanel::draw_head_scores(const FrameContext& frame, const TrainingStatus& status, ImVec2 size) {
    const std::vector<TrainingFrame>& frames = *status.frames;
    const std::vector<HeadDetectorScores>& newest = frames.back().heads;
    const TrainingFrame* selected = selected_frame(status);
    follow_best_head(frame, selected ? selected->heads : newest);
    std::vector<PlotSeries> series(newest.size());
    for (std::size_t i = 0; i < newest.size(); ++i) {
        series[i].color = frame.theme.head_color(static_cast<int>(i));
        series[i].bold = newest[i].layer == frame.selection.layer && newest[i].head == frame.selection.head;
    }
    for (const TrainingFrame& f : frames)
        for (std::size_t i = 0; i < f.heads.size() && i < series.size(); ++i)
            series[i].points.push_back(LossPoint{f.step, static_cast<float>(f.heads[i].induction)});
    ImGui::TextUnformatted("Induction score of each head");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("on 10 made-up sequences, each said twice: the weight a head gives, from each word of the\n"
                          "second time, to the word after that word's first time (TransformerLens' induction score)");
    // The legend follows the title, wrapping within the plot's width.
    float x = ImGui::GetItemRectSize().x;
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    float legend_h = ImGui::GetTextLineHeightWithSpacing();
    for (std::size_t i = 0; i < newest.size(); ++i) {
        const HeadDetectorScores& h = newest[i];
        const double score = selected && i < selected->heads.size() ? selected->heads[i].induction : h.induction;
        const float w = ImGui::CalcTextSize(format("\xE2\x97\x8F L%dH%d %.2f", h.layer, h.head, score).c_str()).x;
        if (x + spacing + w <= size.x) {
            ImGui::SameLine();
            x += spacing + w;
        } else {
            x = w;
            legend_h += ImGui::GetTextLineHeightWithSpacing();
        }
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(series[i].color));
        const std::string label = format("\xE2\x97\x8F L%dH%d %.2f##score%zu", h.layer, h.head, score, i);
        if (ImGui::Selectable(label.c_str(), series[i].bold, 0, ImGui::CalcTextSize(label.c_str(), nullptr, true))) {
            frame.selection.layer = h.layer;
            frame.selection.head = h.head;
            m_head_chosen = true;
        }
        ImGui::PopStyleColor();
    }
    const ImVec2 plot_size(size.x, std::max(ImGui::GetFontSize() * 5, size.y - legend_h));
    const ImVec2 at = ImGui::GetCursorScreenPos();
    draw_step_plot(frame, series, std::max(status.total_steps, frames.back().step), 1.0, selected ? selected->step : -1, plot_size);
    frame.actions.report_region("training-head-scores", at, ImVec2(at.x + plot_size.x, at.y + plot_size.y));
}

// Until someone picks a head in the legend, the views move to the head with the highest induction
// score at the snapshot shown (the one a class is waiting for) whenever that head changes; a
// head chosen elsewhere in between (the layer and head steppers) stays until then.
void TrainingPanel::follow_best_head(const FrameContext& frame, const std::vector<HeadDetectorScores>& heads) {
    if (m_head_chosen || heads.empty()) return;
    const auto best = std::max_element(heads.begin(), heads.end(), [](const HeadDetectorScores& a, const HeadDetectorScores& b) {
        return a.induction < b.induction;
    });
    const std::pair<int, int> head{best->layer, best->head};
    if (head == m_followed_head) return;
    m_followed_head = head;
    frame.selection.layer = best->layer;
    frame.selection.head = best->head;
}

void TrainingPanel::draw_snapshot_heatmap(const FrameContext& frame, const TrainingStatus& status, ImVec2 size) {
    ImGui::BeginGroup();
    const TrainingFrame* f = selected_frame(status);
    if (!f) {
        ImGui::TextUnformatted("Attention");
    } else if (!f->trace) {
        ImGui::TextUnformatted(format("Step %d", f->step).c_str());
        colored_wrapped_text(frame.theme.error, f->trace_error);
    } else {
        const int layer = std::min(frame.selection.layer, static_cast<int>(f->trace->layers.size()) - 1);
        const int head = std::min(frame.selection.head, static_cast<int>(f->trace->layers[0].heads.size()) - 1);
        ImGui::TextUnformatted(format("Step %d \xC2\xB7 layer %d, head %d", f->step, layer, head).c_str());
        draw_mini_heatmap(frame, *f->trace, layer, head, f->trace->n_tokens() - 1,
                          ImVec2(size.x, size.y - ImGui::GetTextLineHeightWithSpacing()));
    }
    ImGui::EndGroup();
}

// The newest snapshot that has a measured loss (files read from a folder have none).
const TrainingFrame* TrainingPanel::newest_measured(const TrainingStatus& status) {
    if (!status.frames) return nullptr;
    for (auto it = status.frames->rbegin(); it != status.frames->rend(); ++it)
        if (!std::isnan(it->loss)) return &*it;
    return nullptr;
}

// While a run trains and the newest snapshot is shown, the other views show it too: the heatmap,
// tokens and overview trace the typed sentence with the model as it is now.
void TrainingPanel::follow_newest(const FrameContext& frame, const TrainingStatus& status) {
    if (!m_views_follow || m_selected >= 0 || !status.frames || status.frames->empty()) return;
    if (status.phase != TrainingPhase::Running && status.phase != TrainingPhase::Finished) return;
    const TrainingFrame& newest = status.frames->back();
    if (newest.model == m_followed) return;
    m_followed = newest.model;
    frame.actions.use_model(newest.model, format("training: step %d", newest.step));
}

// [SECTION] Files

void TrainingPanel::draw_files(const FrameContext& frame, const TrainingStatus& status) {
    const float fs = ImGui::GetFontSize();
    const TrainingFrame* f = selected_frame(status);
    ImGui::BeginDisabled(f == nullptr);
    if (ImGui::Button("Use this model") && f) {
        frame.actions.use_model(f->model, format("trained: step %d", f->step));
        m_message = format("The main views now show the model at step %d.", f->step);
        m_message_is_error = false;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("show the selected snapshot in the heatmap, tokens and overview views");
    ImGui::SameLine(0, fs);
    if (ImGui::Button("Save") && f) {
        const auto saved = save_training_model(*f->model, m_save_path.data());
        m_message_is_error = !saved.ok();
        m_message = saved.ok() ? "Saved " + saved.value().string() : saved.error().message;
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fs * 10);
    ImGui::InputText("##save", m_save_path.data(), m_save_path.size());
    ImGui::SameLine(0, fs);
    const bool running = status.phase == TrainingPhase::Running;
    ImGui::BeginDisabled(running);
    if (ImGui::Button("Open snapshots")) {
        m_selected = -1;
        m_message.clear();
        m_worker.open_snapshot_folder(m_folder.data());
    }
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("a folder of step-NNNNNN.json files from attnscope-cli train --snapshot-every");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
    ImGui::InputText("##folder", m_folder.data(), m_folder.size());
}

}  // namespace attnscope::gui
