// ModelOverviewPanel: every head of the model at once, a thumbnail per head (rows = layers,
// columns = heads), plus each layer's average over its heads (last column) and each head's
// average over layers (last row). Heads are ranked by what they do: the weight from the query
// token to a chosen key token ("which heads make bank look at money?"), entropy, or attention to
// the previous, same or first token. The best five get a numbered frame; the rest fade by rank.
//
// With the app's field value-weighted (the heatmap's switch, or the box here), the tiles are each
// head's value-weighted shares and the last column each layer's heads summed; the ranking by the
// key reads the shares too. The thumbnails come from one texture atlas built by the worker and
// uploaded once per trace and field;
// a 32 x 32-head model is still one texture and one draw call per visible row.
#pragma once

#include <vector>

#include "attnscope/head_stats.h"
#include "gfx/gl_texture.h"
#include "panels/panel.h"

namespace attnscope::gui {

// What heads are ranked by: the key weight, or one of the head metrics.
enum class RankBy { KeyWeight, Entropy, Previous, Same, First, Count };

class ModelOverviewPanel final : public Panel {
public:
    const char* id() const override { return "overview"; }
    bool contrast() const { return m_contrast; }  // the export draws the overview as it is seen

protected:
    std::string caption(const FrameContext& frame) const override;
    ImGuiWindowFlags window_flags() const override { return ImGuiWindowFlags_NoScrollbar; }
    void draw_content(const FrameContext& frame) override;

private:
    struct RankingKey {
        std::uint64_t trace_id = 0;
        RankBy by = RankBy::Count;
        bool whole_text = false;
        int query = -1, key = -1;
        bool value_weighted = false;
        bool operator==(const RankingKey& o) const {
            return trace_id == o.trace_id && by == o.by && whole_text == o.whole_text && query == o.query && key == o.key &&
                   value_weighted == o.value_weighted;
        }
    };
    struct Ranking {
        RankingKey key;
        std::vector<float> value;  // per head, layer-major
        std::vector<int> order;    // head indices, best first
        std::vector<int> rank;     // per head: its place in `order`
        float lo = 0, hi = 0;
        int n_heads = 0;
        bool valid = false;        // false when the ranking needs a key token and none is chosen
    };
    struct Grid {
        ImVec2 origin;     // screen position of the first tile (layer 0, head 0)
        float tile = 0, gap = 0;
        float label_w = 0;
        int rows = 0, cols = 0;
        float step() const { return tile + gap; }
    };

    void draw_toolbar(const FrameContext& frame);
    void draw_key_choice(const FrameContext& frame);
    void draw_value_weighted_choice(const FrameContext& frame);
    void refresh_atlas(const FrameContext& frame);
    // The value-weighted view when the field asks for it and the worker made it; else null.
    static const ValueWeightedAttention* shown_value_weighted(const FrameContext& frame);
    void refresh_ranking(const FrameContext& frame);
    float head_value(const FrameContext& frame, int l, int h) const;
    Grid layout(const FrameContext& frame, float width, float height) const;
    void draw_header(const FrameContext& frame, const Grid& g);
    void draw_grid(const FrameContext& frame, Grid g, ImVec2 size);
    void draw_tiles(const FrameContext& frame, const Grid& g, const std::vector<int>& rows, const std::vector<float>& ys);
    void draw_tile_marks(const FrameContext& frame, const Grid& g, int row, float y);
    void draw_tile_value(const FrameContext& frame, ImVec2 tile_min, float tile, int row, int col) const;
    void handle_tile_input(const FrameContext& frame, const Grid& g, int row, float y);
    void draw_tile_tooltip(const FrameContext& frame, int l, int h);
    void draw_top_list(const FrameContext& frame, bool column);
    float list_height() const;
    float list_width() const;
    float tile_alpha(int l, int h) const;
    bool worth_framing(int l, int h) const;
    std::string ranking_title(const FrameContext& frame) const;

    RankBy m_by = RankBy::KeyWeight;
    bool m_whole_text = false;  // metrics averaged over every query token instead of the selected one
    bool m_contrast = false;  // square-root colours
    bool m_fade = true;
    Ranking m_ranking;          // cached by RankingKey
    Texture m_atlas;
    std::uint64_t m_atlas_for = 0;  // Trace::id of m_atlas
    bool m_atlas_value_weighted = false;  // ... and whether it holds the value-weighted tiles
    ColormapParams m_params;
    static constexpr int kTop = 5;
};

const char* rank_by_name(RankBy by);

}  // namespace attnscope::gui
