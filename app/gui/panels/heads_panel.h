// HeadsPanel: what kind each head is, for practitioners. A sortable table of every head's
// detector scores (previous-token, duplicate, induction, attention sink, self, entropy, distance;
// head_detectors.h) and a scatter of two chosen scores, one dot per head. Clicking a row or a dot
// selects that head in every view. The scores come with the trace (the worker computes them);
// drawing only sorts and reads them. A second tab asks which heads matter for one prediction
// (widgets/ablation_chart.h).
#pragma once

#include <utility>
#include <vector>

#include "attnscope/head_detectors.h"
#include "panels/panel.h"
#include "widgets/ablation_chart.h"

namespace attnscope::gui {

class HeadsPanel final : public Panel {
public:
    explicit HeadsPanel(std::function<void()> wake = {}) : m_ablation(std::move(wake)) {}
    const char* id() const override { return "heads"; }

protected:
    std::string caption(const FrameContext& frame) const override;
    void draw_content(const FrameContext& frame) override;

private:
    void draw_table(const FrameContext& frame, const std::vector<HeadDetectorScores>& scores, ImVec2 size);
    void draw_scatter(const FrameContext& frame, const std::vector<HeadDetectorScores>& scores, ImVec2 size);
    void draw_axis_choice(const char* label, HeadDetector& axis);
    void draw_layer_legend(const FrameContext& frame);
    void sort_rows(const std::vector<HeadDetectorScores>& scores);
    void draw_kinds(const FrameContext& frame, const std::vector<HeadDetectorScores>& scores);

    AblationChart m_ablation;
    HeadDetector m_x = HeadDetector::Previous, m_y = HeadDetector::Induction;
    // The table's order: indices into the scores, re-sorted when the column or the trace changes.
    std::vector<int> m_order;
    std::uint64_t m_sorted_trace = 0;
    int m_sort_column = -1;
    bool m_sort_descending = true;
    std::pair<int, int> m_scrolled_to{-1, -1};   // the selected (layer, head) the table last scrolled to
};

}  // namespace attnscope::gui
