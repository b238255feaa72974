// AttentionFetcher: computes, off the draw path, the parts of a long trace's attention the views
// are showing (attention_fetch.h), and keeps the newest of each for the panels to read.
//
// Panels say what they show while drawing (AttentionWants: the heatmap's field, the cells on
// screen, the row under the pointer); the next update step (App::before_frame) hands that and the
// selection to want(), which asks two latest-request-wins workers: one for the selected head's
// picture (a whole head: up to a second at 8,192 tokens, cancelled when the selection moves on)
// and one for rows (the selected query in every head, the zoomed-in window, the hovered row:
// milliseconds). A short trace that keeps its matrices asks for nothing.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "shell/selection.h"
#include "workers/attention_fetch.h"
#include "workers/background_worker.h"

namespace attnscope::gui {

// Filled by the panels while drawing; read by the next update step, then cleared.
struct AttentionWants {
    bool image = false;  // the heatmap is on screen
    HeatmapField field = HeatmapField::Weights;
    std::optional<WindowSpan> visible;  // rows r0..r1 x columns c0..c1 of the heatmap on screen
    int hover_row = -1;                 // the selected head's row under the pointer

    bool operator==(const AttentionWants& o) const {
        return image == o.image && field == o.field && visible.has_value() == o.visible.has_value() &&
               (!visible || *visible == *o.visible) && hover_row == o.hover_row;
    }
};

class AttentionFetcher {
public:
    // `on_publish` runs on a worker thread when an answer is ready (wake the UI).
    explicit AttentionFetcher(std::function<void()> on_publish = {});

    // UI thread, update step.
    void want(const std::shared_ptr<const Trace>& trace, const Selection& s, const AttentionWants& wants);
    void take_finished();

    // UI thread: what was fetched for `trace` (null: nothing yet), and its head's picture.
    const FetchedAttention* fetched(const Trace& trace) const;
    const HeadImage* image(const Trace& trace, int layer, int head, HeatmapField field) const;

    // Nothing asked for is still on its way (screenshots wait for this).
    bool settled() const;

private:
    struct ImageRequest {
        std::shared_ptr<const Trace> trace;
        int layer = 0, head = 0;
        HeatmapField field = HeatmapField::Weights;
    };
    struct RowsRequest {
        std::shared_ptr<const Trace> trace;
        int layer = 0, head = 0, query = 0;
        std::optional<WindowSpan> window;
        int hover_row = -1;
        bool same_as(const RowsRequest& o) const;
    };
    using Image = std::shared_ptr<const HeadImage>;
    using Fetched = std::shared_ptr<const FetchedAttention>;

    static Result<Fetched> fetch_rows(const RowsRequest& r, const std::shared_ptr<FetchedAttention>& memo);
    std::optional<WindowSpan> window_to_ask(const Trace& trace, const Selection& s, const AttentionWants& wants) const;

    BackgroundWorker<ImageRequest, Image> m_images;
    BackgroundWorker<RowsRequest, Fetched> m_rows;
    Image m_image;             // the newest picture taken
    Fetched m_fetched;         // the newest rows taken
    ImageRequest m_image_asked;
    RowsRequest m_rows_asked;
    std::uint64_t m_image_id = 0, m_rows_id = 0;  // request ids of what was asked last
    std::uint64_t m_image_taken = 0, m_rows_taken = 0;  // ... and of the newest answers taken
};

}  // namespace attnscope::gui
