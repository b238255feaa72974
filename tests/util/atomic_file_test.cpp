// Atomic file writing: the new content arrives whole, and a write that fails half-way (a file-size
// limit stands in for a full disk) leaves the old file as it was and no temporary file behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "attnscope/atomic_file.h"
#include "test_scratch.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::test_scratch_dir;

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    return names;
}

// Lowers this process's file-size limit for its lifetime; a write past it fails with EFBIG
// instead of killing the process (SIGXFSZ is ignored meanwhile).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &m_old);
        m_old_handler = std::signal(SIGXFSZ, SIG_IGN);
        const rlimit lower{bytes, m_old.rlim_max};
        setrlimit(RLIMIT_FSIZE, &lower);
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_old_handler);
    }

private:
    rlimit m_old{};
    void (*m_old_handler)(int) = nullptr;
};

TEST(WriteFileAtomically, ReplacesTheContentAndLeavesNoTemporaryFile) {
    const fs::path file = test_scratch_dir() / "model.json";
    std::ofstream(file) << "old";
    const auto written = write_file_atomically(file, "new content");
    ASSERT_TRUE(written.ok()) << written.error().message;
    EXPECT_EQ(written.value(), file);
    EXPECT_EQ(slurp(file), "new content");
    EXPECT_EQ(names_in(test_scratch_dir()), std::vector<std::string>{"model.json"});
}

TEST(WriteFileAtomically, KeepsTheOldFileWhenTheWriteFails) {
    const fs::path file = test_scratch_dir() / "settings.json";
    std::ofstream(file) << "old settings";
    {
        const FileSizeLimit limit(1000);
        const auto written = write_file_atomically(file, std::string(100000, 'x'));
        ASSERT_FALSE(written.ok());
        EXPECT_THAT(written.error().message, HasSubstr(file.string() + ": write failed"));
    }
    EXPECT_EQ(slurp(file), "old settings");
    EXPECT_EQ(names_in(test_scratch_dir()), std::vector<std::string>{"settings.json"});
}

TEST(WriteFileAtomically, NamesTheFileItCannotCreate) {
    const fs::path file = test_scratch_dir() / "no-such-folder" / "x.svg";
    const auto written = write_file_atomically(file, "x");
    ASSERT_FALSE(written.ok());
    EXPECT_THAT(written.error().message, HasSubstr(file.string() + ": cannot write"));
}

// The process id of a process that has ended (a child that exited and was reaped).
pid_t pid_of_an_ended_process() {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
}

TEST(RemoveStaleTemporaries, RemovesWhatAnEndedWriterLeftAndKeepsEverythingElse) {
    const fs::path dir = test_scratch_dir();
    const fs::path file = dir / "session.json";
    const std::string ended = std::to_string(pid_of_an_ended_process());
    const std::string running = std::to_string(getppid());  // our parent is alive while we run
    for (const std::string& name : std::vector<std::string>{"session.json", "session.json.tmp-" + ended + "-1", "session.json.tmp-" + ended + "-27",
                                   "session.json.tmp-" + running + "-3", "other.json.tmp-" + ended + "-1",
                                   "session.json.tmp-x-1", "session.json.tmp-" + ended + "-", "session.json.tmp-" + ended})
        std::ofstream(dir / name) << "x";
    EXPECT_EQ(remove_stale_temporaries(file), 2);
    EXPECT_THAT(names_in(dir), ::testing::UnorderedElementsAre(
        "session.json", "session.json.tmp-" + running + "-3", "other.json.tmp-" + ended + "-1", "session.json.tmp-x-1",
        "session.json.tmp-" + ended + "-", "session.json.tmp-" + ended));
}

TEST(RemoveStaleTemporaries, AnAtomicWriteCleansUpAfterAnInterruptedOne) {
    const fs::path dir = test_scratch_dir();
    const fs::path file = dir / "trained.json";
    std::ofstream(dir / ("trained.json.tmp-" + std::to_string(pid_of_an_ended_process()) + "-1")) << "half a fi";
    ASSERT_TRUE(write_file_atomically(file, "whole").ok());
    EXPECT_THAT(names_in(dir), ::testing::ElementsAre("trained.json"));
}

TEST(RemoveStaleTemporaries, AMissingFolderRemovesNothing) {
    EXPECT_EQ(remove_stale_temporaries(test_scratch_dir() / "no-such-folder" / "x.json"), 0);
}

}  // namespace
}  // namespace attnscope
