// A built-in model loaded once per test binary: the trained models are 17 MB of JSON each, and
// every test of a file asks for the same two.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "attnscope/model.h"

namespace attnscope::testing {

inline const Model& cached_model(const std::string& spec) {
    static std::map<std::string, ModelPtr> cache;
    auto& m = cache[spec];
    if (!m) {
        auto loaded = load_model(spec);
        EXPECT_TRUE(loaded.ok()) << loaded.error().message;
        m = loaded.value();
    }
    return *m;
}

}  // namespace attnscope::testing
