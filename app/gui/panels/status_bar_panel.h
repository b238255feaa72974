// StatusBarPanel: one line at the bottom. The model (name, architecture, layers x heads), the
// sentence (tokens, compute time), the frame time, and the newest problem ("the text is empty",
// a file that would not load) in the error colour, while the last good trace stays on screen.
#pragma once

#include "panels/panel.h"

namespace attnscope::gui {

class StatusBarPanel final : public Panel {
public:
    const char* id() const override { return "status"; }

protected:
    ImGuiWindowFlags window_flags() const override {
        return ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse;
    }
    void draw_content(const FrameContext& frame) override;

private:
    void draw_busy(const FrameContext& frame);
    void draw_model(const FrameContext& frame);
    void draw_weights(const FrameContext& frame, const ModelInfo& m);
    void draw_trace(const FrameContext& frame);
    void draw_problem(const FrameContext& frame);
};

}  // namespace attnscope::gui
