// A loss curve with axes: steps along the bottom, the loss up the side, ticks at round numbers,
// the selected snapshot marked. ImGui's PlotLines has no axes, and a class reading a curve from
// the back of the room needs to know what "down" means in numbers.
#pragma once

#include <vector>

#include "panels/panel.h"

namespace attnscope::gui {

struct LossPoint {
    int step = 0;
    float loss = 0.0f;
};

// Draws into `size` at the cursor. `last_step`: the x axis runs from 0 to it (the run's length,
// so the curve grows to the right while it trains). `marked`: index into `points`, or -1.
void draw_loss_plot(const FrameContext& frame, const std::vector<LossPoint>& points, int last_step, int marked, ImVec2 size);

// Round tick values covering [0, hi]: 0, step, 2 step, ... with step 1, 2 or 5 times a power of
// ten and at most `max_ticks` ticks; public for tests.
std::vector<double> round_ticks(double hi, int max_ticks);

}  // namespace attnscope::gui
