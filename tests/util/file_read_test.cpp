// Reading outside files (core/src/util/file_read.h) and keeping messages short
// (attnscope/text.h: cut_for_message): each refusal names the real cause.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "attnscope/result.h"
#include "attnscope/text.h"
#include "test_scratch.h"
#include "util/file_read.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string refusal(const fs::path& file, std::uint64_t max_bytes = 1 << 20) {
    try {
        read_text_file(file, max_bytes, "a lesson file");
    } catch (const LoadError& e) {
        return e.what();
    }
    return "";
}

TEST(FileRead, ReadsARegularFileWhole) {
    const fs::path file = testing::test_scratch_dir() / "a.txt";
    std::ofstream(file, std::ios::binary) << std::string("one\0two", 7);
    EXPECT_EQ(read_regular_file(file, 100), std::string("one\0two", 7));
}

TEST(FileRead, NamesEachKindOfFileItWillNotRead) {
    const fs::path dir = testing::test_scratch_dir();
    EXPECT_EQ(refusal(dir / "absent.json"), "no such file");
    EXPECT_EQ(refusal(dir), "is a folder, expected a file");
    ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
    EXPECT_EQ(refusal(dir / "pipe"), "is a named pipe (FIFO), expected a regular file");
    fs::create_symlink(dir / "loop", dir / "loop");
    EXPECT_EQ(refusal(dir / "loop"), "a symbolic link loop");
    EXPECT_EQ(refusal("/dev/null"), "is a device, expected a regular file");
    std::ofstream(dir / "file") << "x";
    EXPECT_EQ(refusal(dir / "file" / "below"), "a part of its path is not a folder");
}

TEST(FileRead, SaysPermissionDeniedForAFileItMayNotRead) {
    // Root reads every file, so the errno's words are checked directly as well.
    EXPECT_EQ(describe_errno(EACCES), "permission denied");
    const fs::path file = testing::test_scratch_dir() / "secret.json";
    std::ofstream(file) << "{}";
    fs::permissions(file, fs::perms::none);
    if (::geteuid() != 0) {
        EXPECT_EQ(refusal(file), "permission denied");
    }
}

TEST(FileRead, RefusesAFileLargerThanTheLimitWithItsSize) {
    const fs::path file = testing::test_scratch_dir() / "big.txt";
    std::ofstream(file) << std::string(3 << 20, 'a');
    EXPECT_EQ(refusal(file, 1 << 20), "is 3 MiB; at most 1 MiB is read");
}

TEST(FileRead, NamesBinaryFormatsByTheirMagicBytes) {
    const fs::path dir = testing::test_scratch_dir();
    std::ofstream(dir / "m.gguf", std::ios::binary) << std::string("GGUF\x03\0\0\0", 8);
    std::ofstream(dir / "p.png", std::ios::binary) << "\x89PNG\r\n\x1a\n";
    EXPECT_EQ(refusal(dir / "m.gguf"), "is a GGUF file (llama.cpp's format), not a lesson file");
    EXPECT_EQ(refusal(dir / "p.png"), "is a PNG image, not a lesson file");
    EXPECT_FALSE(binary_format_name("{\"format\": 1}").has_value());
}

TEST(CutForMessage, KeepsShortTextAsItIs) { EXPECT_EQ(cut_for_message("short", 10), "short"); }

TEST(CutForMessage, CutsALongTextAndSaysHowMuchWasLeftOut) {
    EXPECT_EQ(cut_for_message(std::string(1000, 'x'), 10), "xxxxxxxxxx... (990 more bytes)");
}

TEST(CutForMessage, NeverCutsInsideACharacter) {
    // "é" is two bytes (C3 A9): a cut at 3 bytes would split the second one, so it cuts at 2.
    EXPECT_EQ(cut_for_message("\xC3\xA9\xC3\xA9\xC3\xA9", 3), "\xC3\xA9... (4 more bytes)");
}

}  // namespace
}  // namespace attnscope
