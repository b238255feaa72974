// What the windowless GUI tests share (gui_unit_test.cpp, cross_attention_unit_test.cpp): the
// command line as main() reads it, a script read from a file, the built-in A/B/C model, waiting
// until the trace worker has answered, and the scratch folder.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../test_scratch.h"
#include "shell/options.h"
#include "shell/script.h"
#include "workers/trace_worker.h"

namespace attnscope::gui::unit {

namespace fs = std::filesystem;
using attnscope::testing::scratch_dir;  // removed again when the tests end (test_scratch.h)

inline ParsedOptions parse(std::vector<const char*> args) {
    args.insert(args.begin(), "attnscope");
    return parse_options(static_cast<int>(args.size()), args.data());
}

// `lines` written to <scratch>/<name>.script and read as --script reads it (messages name the file).
inline Result<std::vector<ScriptStep>> script_of(const std::string& name, const std::string& lines) {
    const fs::path file = scratch_dir() / (name + ".script");
    std::ofstream(file) << lines;
    return load_script(file.string());
}

inline ModelPtr abc_model() {
    static const ModelPtr model = [] {
        auto m = load_model("builtin:abc-example");
        EXPECT_TRUE(m.ok());
        return m.ok() ? m.value() : nullptr;
    }();
    return model;
}

// Polls until the worker has answered the newest request (or 30 s pass).
inline TraceStatus wait_until_idle(const TraceWorker& worker) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    TraceStatus s = worker.latest();
    while (s.busy && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        s = worker.latest();
    }
    return s;
}

}  // namespace attnscope::gui::unit
