#include "widgets/mask_guesses.h"

#include <cmath>

#include "attnscope/text.h"
#include "widgets/draw_util.h"
#include "workers/trace_worker.h"

namespace attnscope::gui {

void draw_mask_guesses(const FrameContext& frame) {
    if (!frame.bundle) return;
    for (const TraceBundle::MaskGuess& g : frame.bundle->mask_guesses) {
        std::string line = format("[MASK] (token %d) \xE2\x86\x92", g.token);
        for (std::size_t k = 0; k < g.top.size(); ++k) {
            const float p = g.top[k].second * 100.0f;
            line += format("%s %s %.*f%%", k == 0 ? "" : " \xC2\xB7", escape_for_terminal(g.top[k].first).c_str(), p < 10.0f ? 1 : 0, p);
        }
        colored_wrapped_text(frame.theme.accent, line);
    }
}

}  // namespace attnscope::gui
