// AblationChart: "which heads matter for this prediction", in the Heads view. Every head's output
// is removed in turn (zeroed, or its mean over the tokens) and the probability of the next word
// the user names is read again (ablation.h); the heads that move it most are drawn as a ranked
// bar chart, a bar per head, and clicking one selects that head. One forward pass per head, so it
// runs on its own worker when asked, for the trace's own model; drawing only reads the answer.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "attnscope/ablation.h"
#include "panels/panel.h"
#include "workers/background_worker.h"

namespace attnscope::gui {

struct AblationRequest {
    std::shared_ptr<const Model> model;   // the trace's own
    std::vector<Token> tokens;
    Token target;                          // the next token whose probability is read
    std::string word;                      // as typed; "" for the model's own guess
    ForwardOptions::Ablation::Kind kind = ForwardOptions::Ablation::Kind::Zero;
    std::uint64_t trace_id = 0;
};

class AblationChart {
public:
    explicit AblationChart(std::function<void()> wake = {});
    // Draws the controls and the chart in the space left; `trace` is the sentence's.
    void draw(const FrameContext& frame, const Trace& trace);

private:
    void draw_controls(const FrameContext& frame, const Trace& trace);
    void draw_bars(const FrameContext& frame, const AblationRequest& asked, const std::vector<HeadEffect>& effects);

    BackgroundWorker<AblationRequest, std::vector<HeadEffect>> m_worker;
    std::array<char, 64> m_word{};   // the next word typed; empty: the model's own top guess
    bool m_mean = false;
    std::string m_problem;           // why the last request could not be made ("no such word")
};

}  // namespace attnscope::gui
