// ProjectionCache: the selected head's W_Q, W_K, W_V for the steps view, resolved off the draw
// path. The weights come from the model that made the trace (Trace::made_by), never from the
// model loaded now: two training snapshots share a source name but not their weights, and right
// after a model change the trace on screen may still be the old model's.
//
// The UI thread asks in its update step (want), a BackgroundWorker slices the head out of the
// model (for a memory-mapped Hugging Face model that may read from disk), and take_finished()
// moves answers into a small cache; the steps panel only reads it (find), showing "…" until the
// answer is there. Entries are keyed by the trace's model, layer and head: every new trace of the
// same model (each keystroke) finds its head at once. The model is compared by identity through
// a weak_ptr, so the cache never keeps a model alive and a freed model's address can never match.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "attnscope/model.h"
#include "workers/background_worker.h"

namespace attnscope::gui {

struct ProjectionRequest {
    ModelPtr model;  // the trace's own (Trace::made_by)
    int layer = 0, head = 0;
};

class ProjectionCache {
public:
    // `on_publish` runs on the worker thread when an answer is ready (wake the UI).
    explicit ProjectionCache(std::function<void()> on_publish = {});

    // UI thread, update step: asks for the head's projection unless it is cached or asked for.
    // Out-of-range layers and heads (a selection not yet clamped to a new trace) are ignored.
    void want(const Trace& trace, int layer, int head);

    // UI thread, update step: files finished answers into the cache.
    void take_finished();

    // UI thread: the cached answer for the trace's own model, layer and head; null while pending.
    // The optional inside is empty when that model does not expose its W (or the trace has no model).
    const std::optional<HeadProjection>* find(const Trace& trace, int layer, int head) const;

    bool busy() const { return m_worker.latest().busy(); }

private:
    struct Entry {
        std::weak_ptr<const Model> model;
        int layer = 0, head = 0;
        std::optional<HeadProjection> projection;
    };
    using Answer = std::optional<HeadProjection>;

    const Entry* lookup(const std::shared_ptr<const Model>& model, int layer, int head) const;

    BackgroundWorker<ProjectionRequest, Answer> m_worker;
    std::vector<Entry> m_entries;  // newest last; a few heads of a few models
    std::uint64_t m_taken = 0;     // the id of the last answer filed
    ProjectionRequest m_asked;     // the newest request (its model kept alive only until answered)
};

}  // namespace attnscope::gui
