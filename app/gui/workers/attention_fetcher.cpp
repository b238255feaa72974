#include "workers/attention_fetcher.h"

#include <algorithm>

namespace attnscope::gui {

namespace {

bool same_window(const std::optional<WindowSpan>& a, const std::optional<WindowSpan>& b) {
    return a.has_value() == b.has_value() && (!a || *a == *b);
}

}  // namespace

bool AttentionFetcher::RowsRequest::same_as(const RowsRequest& o) const {
    return trace == o.trace && layer == o.layer && head == o.head && query == o.query && same_window(window, o.window) &&
           hover_row == o.hover_row;
}

// Both join at shutdown: a picture polls `stale` every 128 rows, and rows take milliseconds.
AttentionFetcher::AttentionFetcher(std::function<void()> on_publish)
    : m_images([](const ImageRequest& r, std::uint64_t, const StaleCheck& stale) -> Result<Image> {
                   auto image = compute_head_image(*r.trace, r.layer, r.head, r.field, stale);
                   if (!image) return Error{"cancelled"};
                   return Image(std::make_shared<const HeadImage>(std::move(*image)));
               },
               on_publish, OnShutdown::Join),
      m_rows([memo = std::make_shared<FetchedAttention>()](const RowsRequest& r, std::uint64_t, const StaleCheck&) {
                 return fetch_rows(r, memo);
             },
             on_publish, OnShutdown::Join) {}

// Worker thread. Each part is computed only when it differs from the last answer's (`memo`, which
// only this thread touches): moving the pointer fetches one row, not the window again.
Result<AttentionFetcher::Fetched> AttentionFetcher::fetch_rows(const RowsRequest& r, const std::shared_ptr<FetchedAttention>& memo) {
    const Trace& trace = *r.trace;
    if (memo->trace_id != trace.id) *memo = FetchedAttention{trace.id, nullptr, nullptr, nullptr};
    if (!memo->query_rows || memo->query_rows->query != r.query)
        memo->query_rows = std::make_shared<const QueryRows>(fetch_query_rows(trace, r.query));
    if (!r.window) {
        memo->window = nullptr;
    } else if (const RowWindow* w = memo->window.get();
               !w || !(w->layer == r.layer && w->head == r.head && w->r0 == r.window->r0 && w->r1 == r.window->r1 &&
                       w->c0 == r.window->c0 && w->c1 == r.window->c1)) {
        memo->window = std::make_shared<const RowWindow>(
            fetch_window(trace, r.layer, r.head, r.window->r0, r.window->r1, r.window->c0, r.window->c1));
    }
    if (r.hover_row < 0) {
        memo->hover = nullptr;
    } else if (const HeadRow* h = memo->hover.get(); !h || h->layer != r.layer || h->head != r.head || h->row != r.hover_row) {
        memo->hover = std::make_shared<const HeadRow>(fetch_row(trace, r.layer, r.head, r.hover_row));
    }
    return Fetched(std::make_shared<const FetchedAttention>(*memo));
}

// The window on its way or at hand is kept while it still covers what is on screen, so scrolling
// within it asks for nothing.
std::optional<WindowSpan> AttentionFetcher::window_to_ask(const Trace& trace, const Selection& s, const AttentionWants& wants) const {
    if (!wants.visible) return std::nullopt;
    const WindowSpan& v = *wants.visible;
    const auto& asked = m_rows_asked.window;
    if (asked && m_rows_asked.trace.get() == &trace && m_rows_asked.layer == s.layer && m_rows_asked.head == s.head &&
        asked->r0 <= v.r0 && v.r1 <= asked->r1 && asked->c0 <= v.c0 && v.c1 <= asked->c1)
        return asked;
    // Rows and columns are clamped to the trace's own counts when fetched (fetch_window): a cross
    // layer's keys are fewer or more than its queries.
    return window_around(std::max(trace.n_tokens(), trace.layers.empty() ? 0 : trace.n_keys(0)), v.r0, v.r1, v.c0, v.c1);
}

void AttentionFetcher::want(const std::shared_ptr<const Trace>& trace, const Selection& s, const AttentionWants& wants) {
    if (!trace || trace->keeps_attention()) return;
    if (m_image_asked.trace && m_image_asked.trace != trace) m_image_asked = {};  // let an old trace go
    if (wants.image && !image(*trace, s.layer, s.head, wants.field)) {
        const bool asked = m_image_asked.trace == trace && m_image_asked.layer == s.layer && m_image_asked.head == s.head &&
                           m_image_asked.field == wants.field;
        if (!asked) {
            m_image_asked = ImageRequest{trace, s.layer, s.head, wants.field};
            m_image_id = m_images.request(m_image_asked);
        }
    }
    RowsRequest rows{trace, s.layer, s.head, s.query, window_to_ask(*trace, s, wants), wants.hover_row};
    // A hovered row inside the window, or the query's own row, is already fetched.
    if (rows.window && rows.hover_row >= rows.window->r0 && rows.hover_row < rows.window->r1) rows.hover_row = -1;
    if (rows.hover_row == rows.query) rows.hover_row = -1;
    if (!rows.same_as(m_rows_asked)) {
        m_rows_asked = rows;
        m_rows_id = m_rows.request(std::move(rows));
    }
}

void AttentionFetcher::take_finished() {
    if (const auto s = m_images.latest(); s.newest) {
        if (s.newest_ok) m_image = s.newest_ok->result.value();
        m_image_taken = s.newest->id;
    }
    if (const auto s = m_rows.latest(); s.newest) {
        if (s.newest_ok) m_fetched = s.newest_ok->result.value();
        m_rows_taken = s.newest->id;
    }
}

const FetchedAttention* AttentionFetcher::fetched(const Trace& trace) const {
    return m_fetched && m_fetched->trace_id == trace.id ? m_fetched.get() : nullptr;
}

const HeadImage* AttentionFetcher::image(const Trace& trace, int layer, int head, HeatmapField field) const {
    const HeadImage* i = m_image.get();
    return i && i->trace_id == trace.id && i->layer == layer && i->head == head && i->field == field ? i : nullptr;
}

bool AttentionFetcher::settled() const {
    // Taken, not only answered: an answer that came after this frame's take_finished is not drawn yet.
    return m_image_taken == m_image_id && m_rows_taken == m_rows_id;
}

}  // namespace attnscope::gui
