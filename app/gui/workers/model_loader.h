// ModelLoader: loads weight files on its own thread (a BackgroundWorker), so a large Hugging Face
// model never blocks the window (the status bar shows a spinner meanwhile). The newest request
// wins: a load that finishes after a newer request was made is dropped. After loading, the worker
// also picks the example sentence the model knows best and marks which examples have unknown words.
//
// load_model() cannot be interrupted, and it may block for good in a system call (a FIFO named
// config.json waits for a writer). So the loader's thread is detached at shutdown, never joined:
// quitting the app never waits for a load.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/model.h"
#include "workers/background_worker.h"

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
    // `on_done` runs on the loader's thread after a load is published (wake the UI). Destroying
    // the loader returns at once, even while a load is blocked: its thread is detached (see above).
    explicit ModelLoader(std::function<void()> on_done = {});

    std::uint64_t request(std::string spec);  // UI thread; returns at once

    // UI thread, each frame: the newest request's outcome, once.
    std::optional<LoadOutcome> take_finished();

    bool busy() const;
    std::string loading_spec() const;  // "" when idle
    double loading_seconds() const;

    // The part after the load, public for tests: suggested text and unknown counts per example.
    static void rate_examples(const Model& model, LoadedModel& out);
    static void rate_bank_examples(const Model& model, LoadedModel& out);  // the Examples menu's, fewest unknown words first

private:
    BackgroundWorker<std::string, LoadedModel> m_worker;
    std::uint64_t m_taken = 0;  // UI thread: the id of the last outcome handed out
};

}  // namespace attnscope::gui
