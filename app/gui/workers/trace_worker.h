// TraceWorker: turns the newest (model, text) request into a Trace, its head statistics and the
// overview's thumbnail atlas, on its own thread. The newest request wins: an older one still
// computing is cancelled through compute_trace's `cancelled` callback, and its answer is never
// published. Panels read immutable snapshots, so nothing is locked while drawing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "attnscope/head_stats.h"
#include "attnscope/model.h"
#include "workers/thumbnails.h"

namespace attnscope::gui {

// Everything the views draw for one sentence; immutable once published.
struct TraceBundle {
    std::shared_ptr<const Trace> trace;
    std::shared_ptr<const HeadStats> stats;
    std::shared_ptr<const ThumbnailAtlas> thumbnails;
    double derive_ms = 0.0;  // time for stats and thumbnails, after the forward pass

    std::uint64_t id() const { return trace->id; }
};

struct TraceRequest {
    ModelPtr model;
    std::string text;
    std::uint64_t id = 0;
};

struct TraceStatus {
    std::shared_ptr<const TraceBundle> good;  // the newest successful bundle; null before the first
    std::string error;                        // why the newest request failed; "" if it did not
    std::uint64_t error_id = 0;               // the request that failed
    bool busy = false;                        // a request is waiting or being computed
};

class TraceWorker {
public:
    // `on_publish` runs on the worker thread after each published result (e.g. to wake the UI).
    explicit TraceWorker(std::function<void()> on_publish = {});
    ~TraceWorker();
    TraceWorker(const TraceWorker&) = delete;
    TraceWorker& operator=(const TraceWorker&) = delete;

    // UI thread; returns at once with the request's id. Replaces any request not yet started.
    std::uint64_t request(ModelPtr model, std::string text);

    // UI thread, once per frame: the local shared_ptr keeps the bundle alive for the frame.
    TraceStatus latest() const;

    std::uint64_t newest_id() const { return m_newest_id.load(); }

private:
    std::optional<TraceRequest> wait_for_job();
    void run();
    void publish(const TraceRequest& job, Result<std::shared_ptr<const TraceBundle>> out);

    // Forward pass, statistics, thumbnails; `stale` is polled between heads and layers.
    static Result<std::shared_ptr<const TraceBundle>> compute(const TraceRequest& job, const std::function<bool()>& stale);

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::optional<TraceRequest> m_pending;  // one slot: a newer request replaces an older one
    std::atomic<std::uint64_t> m_newest_id{0};
    std::uint64_t m_running_id = 0;         // 0 when idle
    TraceStatus m_latest;
    bool m_stop = false;
    std::function<void()> m_on_publish;
    std::thread m_thread;                   // last member: starts after everything it uses exists
};

}  // namespace attnscope::gui
