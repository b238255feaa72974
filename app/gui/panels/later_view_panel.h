// LaterViewPanel: the place of a view that is planned but not built yet (steps, compare,
// playground, training: issue 7). `--view steps` is accepted and shows what is coming, so
// scripts and lessons can already name the views.
#pragma once

#include "panels/panel.h"

namespace attnscope::gui {

class LaterViewPanel final : public Panel {
public:
    LaterViewPanel(ViewId view, const char* title, const char* description)
        : m_view(view), m_title(title), m_description(description) {}
    const char* id() const override { return view_name(m_view); }

protected:
    std::string caption(const FrameContext&) const override { return m_title; }
    void draw_content(const FrameContext& frame) override;

private:
    ViewId m_view;
    const char* m_title;
    const char* m_description;
};

}  // namespace attnscope::gui
