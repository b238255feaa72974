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

// Several curves against the same steps (e.g. every head's induction score), each in its colour,
// thicker when `bold`. `y_top` > 0 fixes the top of the y axis (a score's 1), else the highest
// value sets it; `marked_step` >= 0 draws a line at that step. What each colour means is the
// caller's to say.
struct PlotSeries {
    std::vector<LossPoint> points;
    ImU32 color = 0;
    bool bold = false;
};
void draw_step_plot(const FrameContext& frame, const std::vector<PlotSeries>& series, int last_step, double y_top,
                    int marked_step, ImVec2 size);

// Round tick values covering [0, hi]: 0, step, 2 step, ... with step 1, 2 or 5 times a power of
// ten and at most `max_ticks` ticks; public for tests.
std::vector<double> round_ticks(double hi, int max_ticks);

}  // namespace attnscope::gui
