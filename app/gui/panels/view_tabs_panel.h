// ViewTabsPanel: the row of view buttons above the main area (ImGui 1.86 has no docking, so the
// views share one place and this row brings one to the front), and the layer and head steppers
// every view uses. For an encoder-decoder, between them, the switch Encoder | Decoder | Cross that
// chooses which attention every view shows.
#pragma once

#include "panels/panel.h"

namespace attnscope::gui {

class ViewTabsPanel final : public Panel {
public:
    const char* id() const override { return "views"; }

protected:
    ImGuiWindowFlags window_flags() const override {
        return ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse;
    }
    void draw_content(const FrameContext& frame) override;

private:
    void draw_view_buttons(const FrameContext& frame);
    void draw_stack_switch(const FrameContext& frame);
    void draw_steppers(const FrameContext& frame);
    static void push_scaled_spacing(float scale);  // FramePadding and ItemSpacing times `scale`; pop 2
};

// "Layer [<] 1 / 2 [>]": returns the new value. `count` 0 shows a dash.
int draw_stepper(const char* label, int value, int count, const char* tooltip, bool show_range);

}  // namespace attnscope::gui
