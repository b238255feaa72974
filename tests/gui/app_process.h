// Running the real app in tests: spawning processes with their output in files, waiting with
// a timeout, and an Xvfb display of the test's own. Shared by the GUI tests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../test_scratch.h"  // scratch_dir(): this process's folder, removed when the tests end

extern char** environ;

namespace attnscope::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline bool on_path(const std::string& program) {
    std::stringstream dirs(std::getenv("PATH") ? std::getenv("PATH") : "");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    return false;
}

// The environment of this process with some variables replaced.
inline std::vector<std::string> environment_with(const std::map<std::string, std::string>& overrides) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string entry = *e;
        if (!overrides.count(entry.substr(0, entry.find('=')))) env.push_back(entry);
    }
    for (const auto& [k, v] : overrides) env.push_back(k + "=" + v);
    return env;
}

struct Spawned {
    pid_t pid = -1;
    fs::path out, err;
};

inline Spawned spawn(const std::string& program, const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
              const std::string& tag) {
    Spawned s{-1, scratch_dir() / (tag + ".out"), scratch_dir() / (tag + ".err")};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, s.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, s.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv = {const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> envs = environment_with(env);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (posix_spawnp(&s.pid, program.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) s.pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    return s;
}

// Exit code, or -1 after killing a process that outlived the timeout.
inline int wait_for(pid_t pid, double seconds) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Sends SIGUSR1 to an app started with --screenshot-on-signal and waits for its answer: the line
// "signal screenshot ..." number `previous_reports + 1` in its stdout file. "" after a minute.
inline std::string signal_screenshot(pid_t pid, const fs::path& out_file, std::size_t previous_reports) {
    ::kill(pid, SIGUSR1);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
        const std::string out = slurp(out_file);
        std::size_t reports = 0;
        for (std::size_t at = 0; (at = out.find("signal screenshot", at)) != std::string::npos; ++at) ++reports;
        if (reports > previous_reports) return out;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
}

// An X server of its own on a display number it picks itself (-displayfd).
class VirtualDisplay {
public:
    bool start(std::string& why) {
        if (!on_path("Xvfb")) {
            why = "Xvfb is not installed (Debian: apt-get install xvfb); skipping the GUI tests";
            return false;
        }
        int fds[2];
        if (::pipe(fds) != 0) return why = "pipe failed", false;
        // -noreset: the server would otherwise reset when its last client leaves, and a test's next
        // app (or xdotool) connecting during the reset fails to open the display.
        const std::vector<std::string> args = {"-displayfd", std::to_string(fds[1]), "-screen", "0", "1600x1000x24", "-nolisten", "tcp", "-noreset"};
        m_server = spawn("Xvfb", args, {}, "xvfb-" + std::to_string(fds[1]));
        ::close(fds[1]);
        std::string number;
        pollfd p{fds[0], POLLIN, 0};
        char c = 0;
        while (::poll(&p, 1, 15000) > 0 && ::read(fds[0], &c, 1) == 1 && c != '\n') number += c;
        ::close(fds[0]);
        if (number.empty()) return why = "Xvfb did not start: " + slurp(m_server.err), false;
        m_display = ":" + number;
        return true;
    }
    ~VirtualDisplay() {
        if (m_server.pid > 0) {
            ::kill(m_server.pid, SIGTERM);
            wait_for(m_server.pid, 10);
        }
    }
    const std::string& name() const { return m_display; }

private:
    Spawned m_server;
    std::string m_display;
};

}  // namespace attnscope::testing
