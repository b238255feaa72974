// ComparePanel: two sentences side by side with the same layer and head. The first is the app's
// sentence; the second is typed here (or given with --compare) and traced by App's second
// TraceWorker, which App asks in its update step (the panel only reports what was typed). For a
// word both contain (bank in a money and a river sentence) it shows the two attention rows as
// labelled bars, their difference per key word, and each sentence's top next-word predictions
// where the model has logits, each decoded with its own trace's tokenizer.
#pragma once

#include <array>
#include <memory>
#include <optional>

#include "workers/compare_logic.h"
#include "panels/panel.h"

namespace attnscope::gui {

inline constexpr const char* kDefaultCompareText = "we sat on the river bank";

// The second sentence before anything is typed: --compare or the session's, else the default.
inline std::string initial_compare_text(const AppState& state) {
    return state.compare_text.empty() ? std::string(kDefaultCompareText) : state.compare_text;
}

class ComparePanel final : public Panel {
public:
    const char* id() const override { return "compare"; }

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

    void report_input(const FrameContext& frame);
    void draw_second_sentence_input(const FrameContext& frame);
    void refresh(const FrameContext& frame, const Trace& a, const Trace& b);
    void draw_heatmaps(const FrameContext& frame, const Trace& a, const Trace& b);
    void draw_rows(const FrameContext& frame);
    void draw_difference(const FrameContext& frame, float width);
    void draw_predictions(const FrameContext& frame, const Trace& a, const Trace& b, float width);

    std::array<char, 512> m_input{};
    bool m_input_initialized = false;
    std::string m_reported;  // the text last handed to App::set_compare_input

    Key m_key;
    std::optional<RowComparison> m_rows;
    std::array<NextWord, 2> m_next;
};

}  // namespace attnscope::gui
