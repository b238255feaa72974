// LensPanel: the logit lens (logit_lens.h) as a grid, one row per layer and one column per
// position: each cell shows the token the model would predict next if it stopped after that
// layer, shaded by its probability; hovering gives the top three, clicking selects the position
// as the query token. The lens is one more forward pass and an LM head per layer, so it is
// computed only while this view is shown, on the panel's own worker, for the trace's own model.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "attnscope/logit_lens.h"
#include "panels/panel.h"
#include "workers/background_worker.h"

namespace attnscope::gui {

struct LensRequest {
    std::shared_ptr<const Model> model;   // the trace's own (Trace::made_by)
    std::vector<Token> tokens;            // the positions shown (the text's last kMaxPositions)
    std::uint64_t trace_id = 0;
    int first = 0;                        // the trace index of tokens[0]
};

class LensPanel final : public Panel {
public:
    explicit LensPanel(std::function<void()> wake = {});
    const char* id() const override { return "lens"; }

    // The lens covers at most this many positions, the text's last ones: each costs an LM head
    // product per layer (GPT-2-small: 40 MFLOP a cell).
    static constexpr int kMaxPositions = 48;

protected:
    std::string caption(const FrameContext& frame) const override;
    void draw_content(const FrameContext& frame) override;

private:
    void draw_grid(const FrameContext& frame, const LensRequest& shown, const LogitLens& lens);

    BackgroundWorker<LensRequest, LogitLens> m_worker;
    std::uint64_t m_asked = 0;   // the trace id last asked for
    int m_scrolled_column = -1;  // the query column the grid last scrolled to
};

}  // namespace attnscope::gui
