// The real checkpoints and tokenizer files of ../shared/models (ATTNSCOPE_SHARED_MODELS), which a
// user's clone does not have: tests that read them skip with a message naming the missing path.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace attnscope::testing {

inline std::filesystem::path shared_model(const std::string& name) { return std::filesystem::path(ATTNSCOPE_SHARED_MODELS) / name; }

}  // namespace attnscope::testing

#define SKIP_WITHOUT_SHARED_MODEL(name)                                                   \
    if (!std::filesystem::exists(::attnscope::testing::shared_model(name)))              \
    GTEST_SKIP() << ::attnscope::testing::shared_model(name).string()                   \
                 << " is absent (the shared test checkpoints are not in a user's clone)"
