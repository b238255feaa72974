// MainMenu: the menu bar. File (open, built-in models, recent files, quit), Examples, View
// (the views, text size), Colours (theme, colormap) and Help (keys).
#pragma once

#include "panels/panel.h"

namespace attnscope::gui {

class MainMenu {
public:
    // Returns the menu bar's height.
    float draw(const FrameContext& frame);

private:
    void draw_file_menu(const FrameContext& frame);
    void draw_view_menu(const FrameContext& frame);
    void draw_colours_menu(const FrameContext& frame);
    void draw_help_menu(const FrameContext& frame);
};

// The keyboard shortcuts, for Help and the help popup.
void draw_key_help();

}  // namespace attnscope::gui
