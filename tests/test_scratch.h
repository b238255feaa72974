// Scratch folders for tests: one per test process under the system's temp folder, removed when the
// test program ends, also after failed tests (a gtest Environment's TearDown runs either way).
// gtest_discover_tests runs every test in a process of its own, so removal at program end is what
// keeps /tmp clean. Only a crash or a kill leaves the folder behind.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>

namespace attnscope::testing {

// attnscope-test-<pid>, made on first use.
inline std::filesystem::path scratch_dir() {
    static const std::filesystem::path dir = [] {
        std::filesystem::path d = std::filesystem::temp_directory_path() / ("attnscope-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d;
    }();
    return dir;
}

// A subfolder of scratch_dir() for the running test alone (Suite.Name), emptied the first time the
// test asks for it, so a test that needs an empty folder gets one even under --gtest_repeat.
inline std::filesystem::path test_scratch_dir() {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (info == nullptr) return scratch_dir();  // outside a test: the process's folder
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::replace(name.begin(), name.end(), '/', '_');  // parameterised tests: "Prefix/Suite.Name/0"
    const std::filesystem::path dir = scratch_dir() / name;
    static std::string current_test;
    if (current_test != name) {
        current_test = name;
        std::filesystem::remove_all(dir);
    }
    std::filesystem::create_directories(dir);
    return dir;
}

// Removes scratch_dir() when the tests are done. The inline variable registers it once per test
// program, however many of its files include this header.
class RemoveScratchDir : public ::testing::Environment {
public:
    void TearDown() override {
        std::error_code ec;  // never throw from here: a failed removal must not hide the test results
        std::filesystem::remove_all(scratch_dir(), ec);
    }
};
inline ::testing::Environment* const kRemoveScratchDir = ::testing::AddGlobalTestEnvironment(new RemoveScratchDir);

}  // namespace attnscope::testing
