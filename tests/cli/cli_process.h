// Running attnscope-cli (or any program) from a test: stdout and stderr captured in files (no
// pipes, so no deadlock on big output), the exit code as a shell reports it (128 + signal).
// Shared by the CLI tests (cli_test.cpp, cli_tokenize_test.cpp).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../test_scratch.h"

extern char** environ;

namespace attnscope::testing {

struct ProcessResult {
    int exit_code;
    std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline ProcessResult run_program(const std::string& program, const std::vector<std::string>& args) {
    const std::filesystem::path out = scratch_dir() / "stdout", err = scratch_dir() / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv = {const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return {-1, "", "could not start " + program};
    int status = 0;
    waitpid(pid, &status, 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return {code, slurp(out), slurp(err)};
}

inline ProcessResult cli(const std::vector<std::string>& args) {
    return run_program(std::string(ATTNSCOPE_BIN_DIR) + "/attnscope-cli", args);
}

inline std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    const std::filesystem::path p = scratch_dir() / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
}

}  // namespace attnscope::testing
