// HeatmapPanel: the selected layer and head as a heatmap, rows = query tokens, columns = key
// tokens. Weights (after the softmax), scores (before it), or value-weighted attention (Kobayashi
// et al. 2020: ||weight x f(value)||, each row as shares of its sum, per head or the layer's heads
// summed; the trace worker computes it, TraceBundle::value_weighted), in a colour-blind-safe
// colormap with a legend; the values go to the GPU as one float texture, uploaded only when the
// trace, layer, head or field changes. The field is the app's (AppState::field), which the
// overview follows.
#pragma once

#include "attnscope/heatmap_export.h"
#include "widgets/heatmap_canvas.h"

namespace attnscope::gui {

class HeatmapPanel final : public Panel {
public:
    const char* id() const override { return "heatmap"; }
    void zoom_to_selection(float zoom) { m_canvas.zoom_to_selection(zoom); }
    // What the grid showed when last drawn, for --script's report: "every cell", "squares of 3 x 3
    // (largest)", "exact cells 2700-3000 x 2650-3000 over squares of 3 x 3", "nothing yet".
    std::string shown() const;
    // "heatmap cells 35.7 px, numbers 14.7 px" (or "numbers none") when the grid was drawn in this
    // ImGui frame, else "": for --screenshot's report (tests of the layout).
    std::string cells_shown() const;
    float zoom() const { return m_canvas.zoom(); }

protected:
    std::string caption(const FrameContext& frame) const override;
    ImGuiWindowFlags window_flags() const override { return ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse; }
    void draw_content(const FrameContext& frame) override;

private:
    // Where the grid's texture came from: the kept matrix, the fetcher's picture of a long trace,
    // or (until the picture comes) the forward pass's summary, pooled in 32-token cells.
    enum class Source { Kept, ValueWeighted, Image, Summary, None };
    struct TextureKey {
        std::uint64_t trace_id = 0;
        int layer = -1, head = -1;
        HeatmapField field = HeatmapField::Weights;
        Source source = Source::None;
        bool operator==(const TextureKey& o) const {
            return trace_id == o.trace_id && layer == o.layer && head == o.head && field == o.field && source == o.source;
        }
    };

    // Widths of the toolbar's groups at the current type size, in pixels.
    struct ToolbarWidths {
        float weights, scores, value_weighted, layer_sum, numbers, colormap, zoom;
        float spacing, gap;  // between the fields' buttons; between the other groups
        float row() const;
        float column() const;
    };

    // Where the toolbar goes, and the window font scale it is drawn at.
    struct ToolbarPlace {
        bool beside = false;  // a column right of the legend; else a row above the grid
        float scale = 1.0f;
    };

    ToolbarPlace place_toolbar(const FrameContext& frame);
    void draw_toolbar(const FrameContext& frame, ToolbarPlace place);
    void draw_field_choice(const FrameContext& frame, const ToolbarWidths& w, bool column);
    int column_lines() const;
    void draw_zoom_buttons();
    ToolbarWidths toolbar_widths() const;
    void refresh_texture(const FrameContext& frame);
    void upload_kept(const Trace& trace, const Selection& s, const ValueWeightedAttention* vw);
    void upload_image(const HeadImage& image);
    void upload_summary(const Trace& trace, const Selection& s);
    void refresh_window(const FrameContext& frame);
    void follow_lesson(const FrameContext& frame);
    int shown_pool(const FrameContext& frame) const;
    void update_params(const FrameContext& frame);
    void draw_legend(const FrameContext& frame, ImVec2 pos, float height);
    float legend_width() const;

    HeatmapField m_field = HeatmapField::Weights;  // AppState::field, as this frame draws it
    bool m_numbers = true;
    Texture m_texture;
    TextureKey m_key;          // what m_texture holds (a cache keyed by Trace::id)
    ImVec2 m_texture_uv{1, 1}; // the share of m_texture's width and height that spans the grid
    int m_pool = 1;            // tokens on a side of one of its texels
    float m_lo = 0.0f, m_hi = 1.0f;  // value range of the uploaded data
    Texture m_window;          // a long trace's exact cells on screen
    std::shared_ptr<const RowWindow> m_window_from;  // the fetched window it holds
    HeatmapField m_window_field = HeatmapField::Weights;
    WindowSpan m_window_span;
    ColormapParams m_params;   // read by the shader callback when the frame is rendered
    ColormapParams m_base_params;  // m_params without cell borders, for a picture of pooled texels
    HeatmapCanvas m_canvas;
    int m_lesson_entered = 0;  // the lesson step whose field and zoom were applied
    int m_drawn_frame = -1;    // ImGui's frame count when the grid was last drawn
};

// The text of the legend ticks and toolbar: "weight", "score" or "share" (value-weighted).
const char* field_noun(HeatmapField f);

// The value-weighted view of what the views show, or null: an encoder-decoder's kinds of
// attention have none, and a trace has it only when the worker was asked (AppState::field).
const ValueWeightedAttention* value_weighted_of(const FrameContext& frame);
// Why the views show no value-weighted attention now: the worker's refusal ("value-weighted view
// for texts up to 482 tokens ..."), an encoder-decoder's, or "" while it is being computed.
std::string value_weighted_missing(const FrameContext& frame);
// The switch cannot be used at all (an encoder-decoder): why, for its tooltip; else "".
std::string value_weighted_disabled(const FrameContext& frame);

}  // namespace attnscope::gui
