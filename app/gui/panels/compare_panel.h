// ComparePanel: two sentences side by side with the same layer and head. The first is the app's
// sentence; the second is typed here (or given with --compare) and traced by the panel's own
// TraceWorker. For a word both contain (bank in a money and a river sentence) it shows the two
// attention rows as labelled bars, their difference per key word, and each sentence's top
// next-word predictions where the model has logits.
#pragma once

#include <array>
#include <memory>
#include <optional>

#include "workers/compare_logic.h"
#include "panels/panel.h"
#include "workers/trace_worker.h"

namespace attnscope::gui {

inline constexpr const char* kDefaultCompareText = "we sat on the river bank";

class ComparePanel final : public Panel {
public:
    // `wake`: runs on the worker thread when the second sentence's trace is ready.
    explicit ComparePanel(std::function<void()> wake = {});
    const char* id() const override { return "compare"; }

    // False while the second sentence is being traced (screenshots wait for it).
    bool settled() const { return !m_requested_model || !m_worker.latest().busy; }

protected:
    std::string caption(const FrameContext& frame) const override;
    void draw_content(const FrameContext& frame) override;

private:
    // What m_rows and m_next were computed for (a cache keyed by Trace::id).
    struct Key {
        std::uint64_t a = 0, b = 0;
        int layer = -1, head = -1, query = -1;
        bool operator==(const Key& o) const { return a == o.a && b == o.b && layer == o.layer && head == o.head && query == o.query; }
    };

    void sync_request(const FrameContext& frame);
    void draw_second_sentence_input(const FrameContext& frame);
    void refresh(const FrameContext& frame, const Trace& a, const Trace& b);
    void draw_heatmaps(const FrameContext& frame, const Trace& a, const Trace& b);
    void draw_rows(const FrameContext& frame);
    void draw_difference(const FrameContext& frame, float width);
    void draw_predictions(const FrameContext& frame, const Trace& a, const Trace& b, float width);

    TraceWorker m_worker;
    std::array<char, 512> m_input{};
    bool m_input_initialized = false;
    ModelPtr m_requested_model;
    std::string m_requested_text;

    Key m_key;
    std::optional<RowComparison> m_rows;
    std::array<NextWord, 2> m_next;
};

}  // namespace attnscope::gui
