// What the issue 18 tests share: the numpy references in tests/analysis/ run as programs, the
// random GPT-2 reference checkpoint, and a text's token ids as the references take them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attnscope/forward.h"
#include "../cli/cli_process.h"

namespace attnscope::testing {

// tests/analysis/<script> with `args`, through the Python the build found.
inline ProcessResult run_reference(const std::string& script, const std::vector<std::string>& args) {
    std::vector<std::string> all = {std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/analysis/" + script};
    all.insert(all.end(), args.begin(), args.end());
    return run_program(ATTNSCOPE_PYTHON, all);
}

// make_reference.py's random GPT-2 (the hf_reference fixture writes it).
inline std::filesystem::path reference_gpt2() { return std::filesystem::path(ATTNSCOPE_HF_REFERENCE_DIR) / "gpt2_f32"; }

// The token ids of `text` under `model` as a JSON list, as the references read them.
inline nlohmann::json token_ids(const Model& model, const std::string& text) {
    const auto trace = compute_trace(model, text);
    EXPECT_TRUE(trace.ok());
    nlohmann::json ids = nlohmann::json::array();
    if (trace.ok())
        for (const Token& t : trace.value()->tokens) ids.push_back(t.id);
    return ids;
}

}  // namespace attnscope::testing

#define SKIP_WITHOUT_REFERENCE_GPT2()                                                          \
    if (!std::filesystem::exists(::attnscope::testing::reference_gpt2() / "config.json"))      \
    GTEST_SKIP() << "no reference checkpoint at " << ::attnscope::testing::reference_gpt2()
