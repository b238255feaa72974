#include "attnscope/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace attnscope {

namespace {

// "<path>.tmp-<pid>-<n>": unique per process and call, so two writers (the app's autosave and an
// export, or two app windows) never share a temporary file. It never ends in ".json", so folder
// scans for step-NNNNNN.json snapshots skip it.
std::filesystem::path temporary_name(const std::filesystem::path& path) {
    static std::atomic<unsigned> counter{0};
    return path.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// Writes everything, retrying short writes and interrupted calls; false on an error.
bool write_all(int fd, std::string_view content) {
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// The new content on disk before the rename: otherwise a crash could leave a renamed, empty file.
bool write_and_sync(const std::filesystem::path& tmp, std::string_view content) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) return false;
    const bool ok = write_all(fd, content) && ::fsync(fd) == 0;
    return ::close(fd) == 0 && ok;
}

// The writer's process id in "<name>.tmp-<pid>-<n>", or 0 when `file_name` is not such a name.
pid_t writer_of(const std::string& file_name, const std::string& target_name) {
    const std::string prefix = target_name + ".tmp-";
    if (file_name.size() <= prefix.size() || file_name.compare(0, prefix.size(), prefix) != 0) return 0;
    const std::string rest = file_name.substr(prefix.size());
    const std::size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash + 1 == rest.size() || dash > 9) return 0;
    for (std::size_t i = 0; i < rest.size(); ++i)
        if (i != dash && (rest[i] < '0' || rest[i] > '9')) return 0;
    return static_cast<pid_t>(std::stol(rest.substr(0, dash)));
}

bool process_is_running(pid_t pid) { return pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

int remove_stale_temporaries(const std::filesystem::path& path) {
    const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const std::string target_name = path.filename().string();
    std::error_code ec;
    std::filesystem::directory_iterator it(folder, ec), end;
    int removed = 0;
    for (; !ec && it != end; it.increment(ec)) {
        const pid_t writer = writer_of(it->path().filename().string(), target_name);
        if (writer <= 0 || process_is_running(writer)) continue;
        std::error_code ignored;
        if (std::filesystem::remove(it->path(), ignored)) ++removed;
    }
    return removed;
}

Result<std::filesystem::path> write_file_atomically(const std::filesystem::path& path, std::string_view content) {
    remove_stale_temporaries(path);
    const std::filesystem::path tmp = temporary_name(path);
    std::error_code ignored;
    if (!write_and_sync(tmp, content)) {
        const std::string why = errno == ENOSPC || errno == EFBIG ? "write failed (disk full?)" : std::string("cannot write: ") + std::strerror(errno);
        std::filesystem::remove(tmp, ignored);
        return Error{path.string() + ": " + why};
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ignored);
        return Error{path.string() + ": cannot replace the file: " + ec.message()};
    }
    return path;
}

}  // namespace attnscope
