// An encoder's guesses for the [MASK] tokens of the sentence, one line each, shown with the
// heatmap and the token view: "[MASK] (token 6) → water 40% · reeds 20% · ball 12% ...", so a
// class sees what the model makes of the gap while looking at where it looks.
#pragma once

#include "panels/panel.h"

namespace attnscope::gui {

// Nothing when the sentence has no [MASK] (or the model is a decoder).
void draw_mask_guesses(const FrameContext& frame);

}  // namespace attnscope::gui
