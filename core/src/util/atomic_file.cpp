#include "attnscope/atomic_file.h"

#include <fcntl.h>
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

}  // namespace

Result<std::filesystem::path> write_file_atomically(const std::filesystem::path& path, std::string_view content) {
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
