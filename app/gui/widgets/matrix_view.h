// MatrixView: a small matrix drawn as a heatmap of coloured cells with its numbers written in them
// (for x and W_Q/W_K/W_V in the step view). Larger matrices show their top-left corner and say
// how many rows and columns are left out.
#pragma once

#include "attnscope/explain.h"
#include "panels/panel.h"

namespace attnscope::gui {

inline constexpr int kMatrixViewMaxRows = 12;
inline constexpr int kMatrixViewMaxCols = 12;

// Draws `m` at the cursor with cells `cell` pixels wide; returns the size it took.
ImVec2 draw_matrix_view(const FrameContext& frame, const StepMatrix& m, float cell);

}  // namespace attnscope::gui
