// TokenLinesPanel: the "head view" of one query token. Tokens in two columns, queries on the left
// and keys on the right; lines from the query token to every key token, as wide and as opaque as
// the weight. One head in one colour, or every head of the layer in its own colour. A bar chart
// of the weights sits beside the key column, row for row. Cross-attention (an encoder-decoder's)
// has the target's tokens in the query column and the source's in the key column.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "widgets/draw_util.h"
#include "panels/panel.h"

namespace attnscope::gui {

class TokenLinesPanel final : public Panel {
public:
    const char* id() const override { return "tokens"; }

protected:
    std::string caption(const FrameContext& frame) const override;
    void draw_content(const FrameContext& frame) override;

private:
    struct Columns {
        float query_x0, query_x1;  // query labels, right-aligned to query_x1
        float key_x0, key_x1;      // key labels, left-aligned at key_x0
        float bars_x0, bars_x1;
        float top, row_h;
        int n;       // queries
        int n_keys;  // keys: n, or the source's tokens for cross-attention
        float row_y(int i) const { return top + (i + 0.5f) * row_h; }
        int rows() const { return std::max(n, n_keys); }
    };

    void draw_toolbar(const FrameContext& frame);
    void draw_head_legend(const FrameContext& frame);
    void draw_summary(const FrameContext& frame, int query);
    Columns layout(ImVec2 pos, ImVec2 size, int n, int n_keys) const;
    void draw_tokens(const FrameContext& frame, const Columns& c, int query);
    void draw_lines(const FrameContext& frame, const Columns& c, int query) const;
    void draw_head_lines(ImDrawList* dl, const float* weights, const Columns& c, int query, ImU32 color,
                         float max_width, float y_offset) const;
    // Rows [first, last) of the list inside the panel's visible part: a long text draws only those.
    // `count`: the column's rows (queries or keys).
    static void visible_rows(const Columns& c, int count, int& first, int& last);
    void follow_query(const Columns& c, int query);
    void draw_bars(const FrameContext& frame, const Columns& c, int query) const;

    struct SummaryKey {
        std::uint64_t trace_id = 0;
        int layer = -1, head = -1, query = -1;
        bool all_heads = false;
        bool operator==(const SummaryKey& o) const {
            return trace_id == o.trace_id && layer == o.layer && head == o.head && query == o.query && all_heads == o.all_heads;
        }
    };

    bool m_all_heads = false;
    SummaryKey m_summary_key;  // what m_summary was written for
    std::string m_summary;
    int m_followed_query = -1;  // the query last scrolled into view
    int m_preview = -1;  // query token under the mouse: its lines are shown until the mouse leaves
    TokenLabels m_labels;      // the queries', cached per trace and font size
    TokenLabels m_key_labels;  // the keys' (the source's for cross-attention)
};

}  // namespace attnscope::gui
