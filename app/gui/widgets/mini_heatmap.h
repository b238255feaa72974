// A small, fixed heatmap of one head's weights for the compare and training views: no zoom or
// pan (HeatmapCanvas has those), cells drawn as coloured rectangles from the CPU colormap, token
// labels on both axes and the numbers when the cells are big enough. For sentences of a few
// dozen tokens at most; it only reads the trace.
#pragma once

#include <imgui.h>

#include "attnscope/trace.h"
#include "panels/panel.h"

namespace attnscope::gui {

// Fills at most `size` at the cursor (square cells) and moves the cursor below it.
// `highlight_row`: a query row to outline (-1: none).
void draw_mini_heatmap(const FrameContext& frame, const Trace& trace, int layer, int head, int highlight_row, ImVec2 size);

}  // namespace attnscope::gui
