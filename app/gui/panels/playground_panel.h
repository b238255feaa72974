// PlaygroundPanel (--view playground): a tiny attention head to play with. d = 2 or 3, up to six
// tokens; drag (or Ctrl+click and type) each token's q, k and v; pick the query token; switch
// softmax and plain normalisation; move the scale to see why we divide by √d. Opens on the A/B/C
// worked example. Saves and opens own-format JSON (core/include/attnscope/playground.h).
//
// The numbers are recomputed only when something was edited, and kept in m_result.
#pragma once

#include <string>
#include <vector>

#include "attnscope/playground.h"
#include "panels/panel.h"

namespace attnscope::gui {

class PlaygroundPanel final : public Panel {
public:
    PlaygroundPanel();
    const char* id() const override { return "playground"; }

protected:
    std::string caption(const FrameContext&) const override { return "Playground: one attention head by hand"; }
    void draw_content(const FrameContext& frame) override;

private:
    // Each returns true when it changed the playground.
    bool draw_settings(const FrameContext& frame);
    bool draw_scale(const FrameContext& frame);
    bool draw_vectors(const FrameContext& frame);
    void draw_results(const FrameContext& frame);
    void draw_output(const FrameContext& frame);
    void draw_file(const FrameContext& frame);
    void recompute();
    void save();
    void open();

    Playground m_playground;
    PlaygroundResult m_result;     // compute_playground(m_playground), refreshed on every edit
    struct ResultText {            // m_result as the table prints it, one entry per key token
        std::vector<std::string> dots, scores, exps, weights, unscaled;
        std::string out;
    } m_text;
    std::string m_path = "playground.json";
    std::string m_file_message;    // what the last save or open did
    bool m_file_error = false;
};

}  // namespace attnscope::gui
