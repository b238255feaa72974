// CaptionPanel: the lesson's caption under the main view, in big type for the back row: the step
// title, one or two sentences saying what to look at and why, and Back / Next buttons (P / N).
// Shown only while a lesson plays (--lesson, App::layout_panels).
#pragma once

#include "panels/panel.h"

namespace attnscope::gui {

class CaptionPanel final : public Panel {
public:
    const char* id() const override { return "caption"; }

protected:
    ImGuiWindowFlags window_flags() const override { return ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar; }
    void draw_content(const FrameContext& frame) override;

private:
    void draw_progress(const FrameContext& frame);
    void draw_buttons(const FrameContext& frame);
    void draw_text(const FrameContext& frame);
    float fit_scale(const LessonCaption& c, float width, float height) const;
};

}  // namespace attnscope::gui
