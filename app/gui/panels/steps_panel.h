// StepsPanel (--view steps): how one row of attention was computed, one step at a time, for the
// selected layer, head and query token, with the real numbers of the current trace. Ten steps:
// input x, W_Q/W_K/W_V, q, the keys, q·k term by term, the scale, the mask, exp, the
// normalisation and the weighted sum of the values.
//
// Keys while this view is in front and no text field has the keyboard: Space = next step,
// Backspace = previous step (the arrows keep moving the query token and the head, as everywhere).
// While a lesson plays (--lesson), Space and Backspace move the lesson instead; the buttons still step.
//
// The pages are built by core (explain_head + explain_steps) once per (Trace::id, layer, head,
// query); drawing only reads them. W_Q, W_K and W_V are the trace's own model's, sliced out by a
// worker (ProjectionCache); the panel never calls into a model, and shows "…" until they arrive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/explain.h"
#include "panels/panel.h"

namespace attnscope::gui {

class StepsPanel final : public Panel {
public:
    const char* id() const override { return "steps"; }
    int step() const { return m_step; }

protected:
    std::string caption(const FrameContext& frame) const override;
    void draw_content(const FrameContext& frame) override;

private:
    struct CacheKey {
        std::uint64_t trace_id = 0;
        int layer = -1, head = -1, query = -1;
        bool projection_ready = false;  // the pages are rebuilt once the head's W has arrived
        bool operator==(const CacheKey& o) const {
            return trace_id == o.trace_id && layer == o.layer && head == o.head && query == o.query &&
                   projection_ready == o.projection_ready;
        }
    };

    void refresh(const FrameContext& frame);
    void handle_keys(const FrameContext& frame);
    void go_to(int step);
    void draw_stepper(const FrameContext& frame);
    void follow_lesson(const FrameContext& frame);
    void draw_page(const FrameContext& frame, const StepPage& page);
    void draw_formulas(const FrameContext& frame, const StepPage& page);
    void draw_matrices(const FrameContext& frame, const StepPage& page);
    void draw_table(const FrameContext& frame, const StepPage& page);

    CacheKey m_key;
    std::vector<StepPage> m_pages;  // ExplainStep::Count pages for m_key
    int m_step = 0;
    int m_lesson_entered = 0;  // the lesson step whose page was applied (LessonCaption::entered)
};

}  // namespace attnscope::gui
