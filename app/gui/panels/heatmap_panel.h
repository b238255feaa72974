// HeatmapPanel: the selected layer and head as a heatmap, rows = query tokens, columns = key
// tokens. Weights (after the softmax) or scores (before it), in a colour-blind-safe colormap with
// a legend; the values go to the GPU as one float texture, uploaded only when the trace, layer,
// head or field changes.
#pragma once

#include "attnscope/heatmap_export.h"
#include "widgets/heatmap_canvas.h"

namespace attnscope::gui {

class HeatmapPanel final : public Panel {
public:
    const char* id() const override { return "heatmap"; }

protected:
    std::string caption(const FrameContext& frame) const override;
    ImGuiWindowFlags window_flags() const override { return ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse; }
    void draw_content(const FrameContext& frame) override;

private:
    struct TextureKey {
        std::uint64_t trace_id = 0;
        int layer = -1, head = -1;
        HeatmapField field = HeatmapField::Weights;
        bool operator==(const TextureKey& o) const {
            return trace_id == o.trace_id && layer == o.layer && head == o.head && field == o.field;
        }
    };

    // Widths of the toolbar's groups at the current type size, in pixels.
    struct ToolbarWidths {
        float weights, scores, numbers, colormap, zoom;
        float spacing, gap;  // between Weights and Scores; between the other groups
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
    void draw_zoom_buttons();
    ToolbarWidths toolbar_widths() const;
    void refresh_texture(const Trace& trace, const Selection& s);
    void update_params(const FrameContext& frame);
    void draw_legend(const FrameContext& frame, ImVec2 pos, float height);
    float legend_width() const;

    HeatmapField m_field = HeatmapField::Weights;
    bool m_numbers = true;
    Texture m_texture;
    TextureKey m_key;          // what m_texture holds (a cache keyed by Trace::id)
    float m_lo = 0.0f, m_hi = 1.0f;  // value range of the uploaded data
    ColormapParams m_params;   // read by the shader callback when the frame is rendered
    HeatmapCanvas m_canvas;
};

// The text of the legend ticks and toolbar: "weight" or "score".
const char* field_noun(HeatmapField f);

}  // namespace attnscope::gui
