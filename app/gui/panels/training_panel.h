// TrainingPanel: trains a small model inside the app (TrainingWorker, on its own thread) and shows
// it learning: a progress bar, the loss curve, and the chosen sentence's heatmap for the selected
// snapshot of a timeline. Two runs: bank-decoder's shape on the ambiguous-words corpus, or the
// induction-head demo, whose every head's induction score is plotted beside the loss so a class
// sees the loss drop when an induction head forms. Snapshots are recorded every N steps, or read
// from a folder that `attnscope-cli train --snapshot-every` wrote. Stop, Resume, Save, and
// "Use this model" to make the main views show the selected snapshot.
#pragma once

#include <array>
#include <functional>
#include <utility>

#include "panels/panel.h"
#include "workers/training_worker.h"

namespace attnscope::gui {

class TrainingPanel final : public Panel {
public:
    // `autostart_steps` > 0 (--train-steps, for screenshots and tests): start a run of that many
    // steps on the first frame; settled() is false until it ends.
    explicit TrainingPanel(std::function<void()> wake = {}, int autostart_steps = 0,
                           TrainingKind kind = TrainingKind::AmbiguousWords);
    const char* id() const override { return "training"; }

    // What Train trains next; a kind of its own brings its own sentence and length of run.
    void set_kind(TrainingKind kind);
    TrainingKind kind() const { return m_kind; }

    bool settled() const;  // no launch-time run is still in progress

protected:
    std::string caption(const FrameContext& frame) const override;
    void draw_content(const FrameContext& frame) override;

private:
    void start(const FrameContext& frame);
    void follow_lesson(const FrameContext& frame);
    void draw_controls(const FrameContext& frame, const TrainingStatus& status, bool compact);
    void draw_kind_choice(bool running);
    void draw_progress(const FrameContext& frame, const TrainingStatus& status);
    void draw_timeline(const TrainingStatus& status);
    void draw_loss_and_heatmap(const FrameContext& frame, const TrainingStatus& status);
    void draw_loss(const FrameContext& frame, const TrainingStatus& status, ImVec2 size);
    void draw_head_scores(const FrameContext& frame, const TrainingStatus& status, ImVec2 size);
    void draw_snapshot_heatmap(const FrameContext& frame, const TrainingStatus& status, ImVec2 size);
    void follow_best_head(const FrameContext& frame, const std::vector<HeadDetectorScores>& heads);
    void draw_files(const FrameContext& frame, const TrainingStatus& status);
    const TrainingFrame* selected_frame(const TrainingStatus& status) const;
    static const TrainingFrame* newest_measured(const TrainingStatus& status);
    void follow_newest(const FrameContext& frame, const TrainingStatus& status);

    TrainingWorker m_worker;
    TrainingKind m_kind = TrainingKind::AmbiguousWords;
    int m_steps = 1500;         // a short run: the bank rows change within seconds
    int m_record_every = 50;
    int m_autostart_steps = 0;
    bool m_autostarted = false;
    std::array<char, 256> m_sentence{};
    std::array<char, 512> m_save_path{};
    std::array<char, 512> m_folder{};
    int m_selected = -1;        // timeline index; -1: follow the newest snapshot
    int m_lesson_entered = 0;   // the lesson step whose run choice was applied
    bool m_head_chosen = false; // a head picked in the scores' legend; else the best induction head is shown
    std::pair<int, int> m_followed_head{-1, -1};  // (layer, head) the views were last moved to
    bool m_views_follow = true; // the other views show the newest snapshot while it trains
    std::shared_ptr<const TransformerModel> m_followed;  // the snapshot they were last given
    std::string m_message;      // the last save / use result
    bool m_message_is_error = false;
};

}  // namespace attnscope::gui
