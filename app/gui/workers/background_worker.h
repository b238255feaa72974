// The one mechanism behind every background producer of the GUI (traces, the compare sentence,
// head projections, model loading, training):
//
//   WorkerCore          a thread that sleeps on one condition variable, a stop flag its jobs poll,
//                       and the on_publish callback that wakes the UI. Everything the thread uses
//                       lives in the core, which the thread co-owns through a shared_ptr, so a
//                       thread may be detached and finish after its owner is gone.
//   BackgroundWorker    a latest-request-wins job slot on a WorkerCore: the UI thread asks and
//                       returns at once; a newer request replaces one not yet started and makes the
//                       running one stale (its job polls `stale` and stops early); answers are
//                       published as immutable shared_ptr snapshots, and an old answer never
//                       overwrites the answer to a newer request.
//
// Shutdown never lets a job that blocks on I/O hang the UI thread: a worker whose job may block
// in a system call (load_model on a FIFO named config.json waits for a writer forever) is made
// with OnShutdown::Detach. Its destructor then only raises the stop flag and detaches: the thread
// finishes the blocked job whenever the call returns, publishes nothing and calls nobody. Jobs
// that poll `stale` often (forward passes, training steps) use OnShutdown::Join, which returns
// as soon as the job notices.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <optional>
#include <thread>
#include <utility>

#include "attnscope/result.h"

namespace attnscope::gui {

// Polled by a job between units of work; true once its answer is no longer wanted.
using StaleCheck = std::function<bool()>;

enum class OnShutdown {
    Join,    // the destructor waits for the thread: for jobs that poll `stale` often
    Detach,  // the destructor leaves the thread to finish alone: for jobs that may block on I/O
};

class WorkerCore {
public:
    explicit WorkerCore(std::function<void()> on_publish) : m_on_publish(std::move(on_publish)) {}
    WorkerCore(const WorkerCore&) = delete;
    WorkerCore& operator=(const WorkerCore&) = delete;

    // Starts `body` on the thread; `keep_alive` (the shared_ptr that owns this core, or the state
    // around it) travels with the thread so a detached thread never outlives what it uses.
    void start(std::shared_ptr<void> keep_alive, std::function<void()> body) {
        m_thread = std::thread([keep_alive = std::move(keep_alive), body = std::move(body)] { body(); });
    }

    // UI thread, once. After it returns, on_publish is never called again, whatever the thread does.
    void shutdown(OnShutdown how) {
        {
            std::lock_guard lock(m_signal_mutex);  // waits for an on_publish in progress (it is short)
            std::lock_guard state(mutex);
            m_stopping = true;
        }
        wake.notify_all();
        if (!m_thread.joinable()) return;
        if (how == OnShutdown::Join) m_thread.join();
        else m_thread.detach();
    }

    bool stopping() const { return m_stopping.load(); }

    // Worker thread: sleeps until `has_work()` or shutdown; false on shutdown. `lock` holds `mutex`.
    template <class HasWork>
    bool wait(std::unique_lock<std::mutex>& lock, HasWork has_work) {
        wake.wait(lock, [&] { return m_stopping.load() || has_work(); });
        return !m_stopping.load();
    }

    // Worker thread, after publishing and outside `mutex`: wakes the UI, unless it shut us down.
    void notify_published() {
        std::lock_guard lock(m_signal_mutex);
        if (!m_stopping.load() && m_on_publish) m_on_publish();
    }

    std::mutex mutex;              // guards the owner's queue and its published snapshot
    std::condition_variable wake;  // a request arrived, or shutdown

private:
    std::atomic<bool> m_stopping{false};
    std::mutex m_signal_mutex;     // orders on_publish before shutdown's return
    std::function<void()> m_on_publish;
    std::thread m_thread;
};

// A latest-request-wins worker: Job turns a Request into an Output on the worker thread.
template <class Request, class Output>
class BackgroundWorker {
public:
    // One finished request, immutable once published.
    struct Done {
        std::uint64_t id = 0;
        std::shared_ptr<const Request> request;
        Result<Output> result;
    };

    // What the UI thread sees; the shared_ptrs keep what they point to alive for the frame.
    struct Status {
        std::shared_ptr<const Done> newest;     // the answer to the newest answered request; null before the first
        std::shared_ptr<const Done> newest_ok;  // the newest successful answer (older than `newest` when that failed)
        std::shared_ptr<const Request> pending; // asked for, not started yet
        std::shared_ptr<const Request> running; // being worked on
        std::chrono::steady_clock::time_point running_since;
        bool busy() const { return pending || running; }
    };

    // `id`: the request's, as request() returned it.
    using Job = std::function<Result<Output>(const Request&, std::uint64_t id, const StaleCheck& stale)>;

    // `next_id` numbers the requests (default 1, 2, 3, ...); the trace workers pass next_trace_id
    // so a request's id is also its trace's. `on_publish` runs on the worker thread (wake the UI).
    BackgroundWorker(Job job, std::function<void()> on_publish, OnShutdown on_shutdown,
                     std::function<std::uint64_t()> next_id = {})
        : m_state(std::make_shared<State>(std::move(job), std::move(on_publish))), m_on_shutdown(on_shutdown),
          m_next_id(std::move(next_id)) {
        State* state = m_state.get();
        m_state->core.start(m_state, [state] { state->run(); });
    }
    ~BackgroundWorker() {
        {
            std::lock_guard lock(m_state->core.mutex);
            m_state->pending.reset();
            m_state->pending_id = 0;
            m_state->status.pending.reset();
        }
        m_state->core.shutdown(m_on_shutdown);
    }
    BackgroundWorker(const BackgroundWorker&) = delete;
    BackgroundWorker& operator=(const BackgroundWorker&) = delete;

    // UI thread; returns at once with the request's id.
    std::uint64_t request(Request r) {
        const std::uint64_t id = m_next_id ? m_next_id() : ++m_counter;
        std::lock_guard lock(m_state->core.mutex);
        m_state->newest_id = id;  // atomic: makes the running job stale
        m_state->pending = std::make_shared<const Request>(std::move(r));
        m_state->pending_id = id;
        m_state->status.pending = m_state->pending;
        m_state->core.wake.notify_one();
        return id;
    }

    Status latest() const {
        std::lock_guard lock(m_state->core.mutex);
        return m_state->status;
    }

    std::uint64_t newest_id() const { return m_state->newest_id.load(); }

private:
    struct State {
        State(Job j, std::function<void()> on_publish) : core(std::move(on_publish)), job(std::move(j)) {}

        // Worker thread: one job at a time until shutdown.
        void run() {
            for (;;) {
                std::shared_ptr<const Request> request;
                std::uint64_t id = 0;
                {
                    std::unique_lock lock(core.mutex);
                    if (!core.wait(lock, [this] { return pending != nullptr; })) return;
                    request = std::exchange(pending, nullptr);
                    id = std::exchange(pending_id, 0);
                    status.pending = nullptr;
                    status.running = request;
                    status.running_since = std::chrono::steady_clock::now();
                }
                const StaleCheck stale = [this, id] { return core.stopping() || newest_id.load() != id; };
                Result<Output> out = run_job(*request, id, stale);
                if (publish(id, std::move(request), std::move(out))) core.notify_published();
            }
        }

        // An exception (an allocation the machine could not give, a library's own error) becomes
        // the answer's message: the thread lives on, and the app keeps its last good answer.
        Result<Output> run_job(const Request& request, std::uint64_t id, const StaleCheck& stale) {
            try {
                return job(request, id, stale);
            } catch (const std::bad_alloc&) {
                return Error{"out of memory: this needs more memory than the app can get; the last result stays"};
            } catch (const std::exception& e) {
                return Error{std::string("unexpected error: ") + e.what()};
            }
        }

        // False when nothing was published: the answer is stale or the worker is shutting down.
        bool publish(std::uint64_t id, std::shared_ptr<const Request> request, Result<Output> out) {
            std::lock_guard lock(core.mutex);
            status.running = nullptr;
            if (core.stopping() || newest_id.load() != id) return false;  // old answers never overwrite new ones
            auto done = std::make_shared<const Done>(Done{id, std::move(request), std::move(out)});
            if (done->result.ok()) status.newest_ok = done;
            status.newest = std::move(done);
            return true;
        }

        WorkerCore core;
        Job job;
        std::atomic<std::uint64_t> newest_id{0};
        std::shared_ptr<const Request> pending;  // one slot: a newer request replaces an older one
        std::uint64_t pending_id = 0;
        Status status;  // pending/running mirror the slot, so the UI sees them in one copy
    };

    std::shared_ptr<State> m_state;
    OnShutdown m_on_shutdown;
    std::function<std::uint64_t()> m_next_id;
    std::uint64_t m_counter = 0;  // UI thread only
};

}  // namespace attnscope::gui
