#include "workers/trace_worker.h"

#include <chrono>

#include "attnscope/forward.h"

namespace attnscope::gui {

TraceWorker::TraceWorker(std::function<void()> on_publish)
    : m_on_publish(std::move(on_publish)), m_thread([this] { run(); }) {}

TraceWorker::~TraceWorker() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_pending.reset();
    }
    ++m_newest_id;  // makes the running job stale, so it stops at the next head
    m_wake.notify_one();
    m_thread.join();
}

std::uint64_t TraceWorker::request(ModelPtr model, std::string text) {
    std::lock_guard lock(m_mutex);
    const std::uint64_t id = ++m_newest_id;  // atomic: the running forward pass polls it
    m_pending = TraceRequest{std::move(model), std::move(text), id};
    m_latest.busy = true;
    m_wake.notify_one();
    return id;
}

TraceStatus TraceWorker::latest() const {
    std::lock_guard lock(m_mutex);
    return m_latest;
}

std::optional<TraceRequest> TraceWorker::wait_for_job() {
    std::unique_lock lock(m_mutex);
    m_wake.wait(lock, [this] { return m_stop || m_pending.has_value(); });
    if (m_stop) return std::nullopt;
    std::optional<TraceRequest> job = std::move(m_pending);
    m_pending.reset();
    m_running_id = job->id;
    return job;
}

void TraceWorker::run() {
    while (auto job = wait_for_job()) {
        auto stale = [this, id = job->id] { return m_newest_id.load() != id; };
        publish(*job, compute(*job, stale));
    }
}

void TraceWorker::publish(const TraceRequest& job, Result<std::shared_ptr<const TraceBundle>> out) {
    {
        std::lock_guard lock(m_mutex);
        m_running_id = 0;
        m_latest.busy = m_pending.has_value();
        if (m_newest_id.load() != job.id) return;  // old answers never overwrite new ones
        if (out.ok()) {
            m_latest.good = std::move(out).value();
            m_latest.error.clear();
        } else {
            m_latest.error = out.error().message;  // the last good bundle stays on screen
        }
        m_latest.error_id = out.ok() ? 0 : job.id;
    }
    if (m_on_publish) m_on_publish();
}

Result<std::shared_ptr<const TraceBundle>> TraceWorker::compute(const TraceRequest& job, const std::function<bool()>& stale) {
    if (!job.model) return Error{"no model is loaded"};
    auto trace = compute_trace(*job.model, job.text, job.id, stale);
    if (!trace.ok()) return trace.error();
    const auto started = std::chrono::steady_clock::now();
    auto stats = compute_head_stats(*trace.value(), stale);
    if (!stats.ok()) return stats.error();
    if (stale()) return Error{"cancelled"};

    auto bundle = std::make_shared<TraceBundle>();
    bundle->trace = trace.value();
    bundle->stats = stats.value();
    bundle->thumbnails = std::make_shared<const ThumbnailAtlas>(build_thumbnail_atlas(*bundle->trace, *bundle->stats));
    bundle->derive_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return std::shared_ptr<const TraceBundle>(std::move(bundle));
}

}  // namespace attnscope::gui
