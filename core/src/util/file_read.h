// Reading files from outside: only regular files are opened (a FIFO named config.json would block
// forever, a folder reads as nothing), and every refusal says the real cause, from errno or the
// file's kind, in words a user can act on. Messages name no file: callers put it in front, as
// every loader's message starts with the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope {

// What the first bytes say a file is, for formats people hand us by mistake: "a PNG image",
// "a GGUF file (llama.cpp's format)", "a zip archive", "a PyTorch pickle", ...; nullopt otherwise.
std::optional<std::string> binary_format_name(std::string_view head);

// errno as the words of a message: "no such file", "permission denied", "a symbolic link loop", ...
std::string describe_errno(int err);

// Opens `file` read-only and returns its descriptor (the caller closes it) and size. Throws
// LoadError when it cannot be opened or is not a regular file ("is a named pipe (FIFO), expected
// a regular file"). The open never blocks, whatever the file is.
struct OpenedFile {
    int fd = -1;
    std::uint64_t size = 0;
};
OpenedFile open_regular_file(const std::filesystem::path& file);

// The whole file, at most `max_bytes` of it (a larger file is refused with its size). Throws
// LoadError as open_regular_file does, and when the read fails half-way.
std::string read_regular_file(const std::filesystem::path& file, std::uint64_t max_bytes);

// As read_regular_file, for text formats: a file whose magic bytes say it is something else is
// refused by name ("is a PNG image, not a lesson file") instead of "not valid UTF-8 at byte 0".
std::string read_text_file(const std::filesystem::path& file, std::uint64_t max_bytes, const std::string& expected);

}  // namespace attnscope
