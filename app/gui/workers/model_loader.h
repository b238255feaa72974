// ModelLoader: loads weight files on its own thread, so a large Hugging Face model never blocks
// the window (the status bar shows a spinner meanwhile). The newest request wins: a load that
// finishes after a newer request was made is dropped. After loading, the worker also picks the
// example sentence the model knows best and marks which examples have unknown words.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "attnscope/model.h"

namespace attnscope::gui {

struct LoadedModel {
    ModelPtr model;
    std::string suggested_text;            // the example with the fewest unknown tokens
    std::vector<int> example_unknowns;     // per example_sentences() entry: unknown tokens (-1: unreadable)
    double load_ms = 0.0;
};

struct LoadOutcome {
    std::uint64_t id = 0;
    std::string spec;
    Result<LoadedModel> result = Error{""};
};

class ModelLoader {
public:
    explicit ModelLoader(std::function<void()> on_done = {});
    ~ModelLoader();  // waits for a running load: load_model() cannot be interrupted
    ModelLoader(const ModelLoader&) = delete;
    ModelLoader& operator=(const ModelLoader&) = delete;

    std::uint64_t request(std::string spec);  // UI thread; returns at once

    // UI thread, each frame: the newest request's outcome, once.
    std::optional<LoadOutcome> take_finished();

    bool busy() const;
    std::string loading_spec() const;  // "" when idle
    double loading_seconds() const;

    // The part after the load, public for tests: suggested text and unknown counts per example.
    static void rate_examples(const Model& model, LoadedModel& out);

private:
    void run();

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::optional<std::pair<std::uint64_t, std::string>> m_pending;
    std::optional<LoadOutcome> m_finished;
    std::uint64_t m_newest_id = 0;
    std::string m_loading_spec;
    std::chrono::steady_clock::time_point m_loading_since;
    bool m_stop = false;
    std::function<void()> m_on_done;
    std::thread m_thread;
};

}  // namespace attnscope::gui
