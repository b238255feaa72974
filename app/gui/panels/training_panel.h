// TrainingPanel: trains a small model from the built-in corpus inside the app (TrainingWorker,
// on its own thread) and shows it learning: a progress bar, the loss curve, and the chosen
// sentence's heatmap for the selected snapshot of a timeline (recorded every N steps, or read
// from a folder that `attnscope-cli train --snapshot-every` wrote). Stop, Resume, Save, and
// "Use this model" to make the main views show the selected snapshot.
#pragma once

#include <array>
#include <functional>

#include "panels/panel.h"
#include "workers/training_worker.h"

namespace attnscope::gui {

class TrainingPanel final : public Panel {
public:
    // `autostart_steps` > 0 (--train-steps, for screenshots and tests): start a run of that many
    // steps on the first frame; settled() is false until it ends.
    explicit TrainingPanel(std::function<void()> wake = {}, int autostart_steps = 0);
    const char* id() const override { return "training"; }

    bool settled() const;  // no launch-time run is still in progress

protected:
    std::string caption(const FrameContext& frame) const override;
    void draw_content(const FrameContext& frame) override;

private:
    void start();
    void draw_controls(const TrainingStatus& status, bool compact);
    void draw_progress(const FrameContext& frame, const TrainingStatus& status);
    void draw_timeline(const TrainingStatus& status);
    void draw_loss_and_heatmap(const FrameContext& frame, const TrainingStatus& status);
    void draw_files(const FrameContext& frame, const TrainingStatus& status);
    const TrainingFrame* selected_frame(const TrainingStatus& status) const;
    static const TrainingFrame* newest_measured(const TrainingStatus& status);
    void follow_newest(const FrameContext& frame, const TrainingStatus& status);

    TrainingWorker m_worker;
    int m_steps = 1500;         // a short run: the bank rows change within seconds
    int m_record_every = 50;
    int m_autostart_steps = 0;
    bool m_autostarted = false;
    std::array<char, 256> m_sentence{};
    std::array<char, 512> m_save_path{};
    std::array<char, 512> m_folder{};
    int m_selected = -1;        // timeline index; -1: follow the newest snapshot
    bool m_views_follow = true; // the other views show the newest snapshot while it trains
    std::shared_ptr<const TransformerModel> m_followed;  // the snapshot they were last given
    std::string m_message;      // the last save / use result
    bool m_message_is_error = false;
};

}  // namespace attnscope::gui
