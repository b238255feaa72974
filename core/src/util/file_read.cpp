#include "util/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "attnscope/result.h"

namespace attnscope {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The kind of a file that is not a regular one, as a message says it.
std::string describe_file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "is a folder, expected a file";
    if (S_ISFIFO(mode)) return "is a named pipe (FIFO), expected a regular file";
    if (S_ISSOCK(mode)) return "is a socket, expected a regular file";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, expected a regular file";
    return "is not a regular file";
}

std::string mebibytes(std::uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

// Closes a descriptor when the scope ends, also when a LoadError leaves it.
struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::optional<std::string> binary_format_name(std::string_view head) {
    if (starts_with(head, "GGUF")) return "a GGUF file (llama.cpp's format)";
    if (starts_with(head, "\x89PNG")) return "a PNG image";
    if (starts_with(head, "\xFF\xD8\xFF")) return "a JPEG image";
    if (starts_with(head, "GIF8")) return "a GIF image";
    if (starts_with(head, "%PDF")) return "a PDF document";
    if (starts_with(head, "PK\x03\x04")) return "a zip archive (PyTorch's torch.save writes these)";
    if (starts_with(head, "\x1F\x8B")) return "a gzip archive";
    if (starts_with(head, "\x7F" "ELF")) return "a program (ELF binary)";
    if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x80 && head[1] >= 2 && head[1] <= 5)
        return "a Python pickle (PyTorch .bin/.pt)";
    return std::nullopt;
}

std::string describe_errno(int err) {
    switch (err) {
        case ENOENT: return "no such file";
        case EACCES:
        case EPERM: return "permission denied";
        case ELOOP: return "a symbolic link loop";
        case ENOTDIR: return "a part of its path is not a folder";
        case ENAMETOOLONG: return "the path is too long";
        case EISDIR: return "is a folder, expected a file";
        case ENOMEM: return "out of memory";
        default: return std::strerror(err);
    }
}

OpenedFile open_regular_file(const std::filesystem::path& file) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It changes
    // nothing for a regular file, the only kind read further.
    const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw LoadError(describe_errno(errno));
    FdCloser guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw LoadError("cannot read its size (" + describe_errno(errno) + ")");
    if (!S_ISREG(st.st_mode)) throw LoadError(describe_file_kind(st.st_mode));
    guard.fd = -1;  // the caller owns it now
    return OpenedFile{fd, static_cast<std::uint64_t>(st.st_size)};
}

std::string read_regular_file(const std::filesystem::path& file, std::uint64_t max_bytes) {
    const OpenedFile opened = open_regular_file(file);
    FdCloser guard{opened.fd};
    if (opened.size > max_bytes)
        throw LoadError("is " + mebibytes(opened.size) + "; at most " + mebibytes(max_bytes) + " is read");
    std::string bytes(static_cast<std::size_t>(opened.size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t got = ::read(opened.fd, bytes.data() + done, bytes.size() - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw LoadError("could not be read (" + describe_errno(errno) + ")");
        if (got == 0) break;  // shrank while we read: keep what is there
        done += static_cast<std::size_t>(got);
    }
    bytes.resize(done);
    return bytes;
}

std::string read_text_file(const std::filesystem::path& file, std::uint64_t max_bytes, const std::string& expected) {
    std::string text = read_regular_file(file, max_bytes);
    if (const auto format = binary_format_name(text)) throw LoadError("is " + *format + ", not " + expected);
    return text;
}

}  // namespace attnscope
