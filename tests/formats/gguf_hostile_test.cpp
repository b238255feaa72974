// The GGUF reader refuses hostile files before allocating anything, naming the file, the key or
// tensor and the problem (issue 16). Files are built byte by byte (gguf_files.h); the well-formed
// ones and the shared llama.cpp files are in gguf_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include "formats/gguf.h"
#include "gguf_files.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;
using namespace attnscope::testing;  // gguf_files.h

// [SECTION] Hostile files

TEST(GgufHostile, RefusesAnEmptyFileAndOtherMagic) {
    EXPECT_THAT(open_error(""), HasSubstr("expected the magic bytes \"GGUF\" at the start, got an empty file"));
    EXPECT_THAT(open_error("{\"a\": 1}"), HasSubstr("expected the magic bytes \"GGUF\" at the start, got \"{\"a\""));
}

TEST(GgufHostile, RefusesVersion1WithAHintAndOtherVersions) {
    GgufWriter w = small_file();
    w.version = 1;
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("GGUF version 1 is not read"));
    w.version = 4;
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("expected GGUF version 2 or 3, got 4"));
    w.version = 0x03000000;
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("big-endian GGUF files are not read"));
}

TEST(GgufHostile, RefusesAHeaderCutShort) {
    EXPECT_THAT(open_error(std::string("GGUF\x03\x00", 6)), HasSubstr("expected the version (4 bytes) at byte 4, got only 2 bytes left"));
    EXPECT_THAT(open_error(std::string("GGUF\x03\x00\x00\x00\x01\x00", 10)), HasSubstr("expected the tensor count"));
}

TEST(GgufHostile, RefusesCountsTheFileCannotHold) {
    GgufWriter w = small_file();
    w.kv_count = std::uint64_t{1} << 63;
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("metadata pairs (13 bytes each at least"));
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("got a count of 9223372036854775808"));
    w = small_file();
    w.tensor_count = ~std::uint64_t{0};
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("tensors (24 bytes of tensor info each at least"));
    w = small_file();
    w.kv_count = 2;   // one more pair than written, and the file ends after the first
    EXPECT_THAT(open_error(w.header() + w.kvs.s),
                HasSubstr("metadata pair 1 of 2: expected a string length (8 bytes) at byte 69, got the end of the file"));
}

TEST(GgufHostile, RefusesAStringLongerThanTheFile) {
    GgufWriter w = small_file();
    w.kv("general.name", Bytes().u32(kStr).u64(std::uint64_t{1} << 62));
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("key 'general.name': expected a string of at most"));
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("got a length of 4611686018427387904"));
    GgufWriter k;
    k.kvs.u64(~std::uint64_t{0});
    k.kvs.s += std::string(20, 'x');
    k.n_kv = 1;
    EXPECT_THAT(open_error(k.bytes()), HasSubstr("metadata pair 0 of 1: expected a key of at most"));
}

TEST(GgufHostile, RefusesAKeyOverTheSpecsLimitAndAnEmptyKey) {
    GgufWriter w;
    w.kv_u32(std::string(70000, 'k'), 1);
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("expected a key of at most 65535 bytes, got 70000 bytes"));
    GgufWriter e;
    e.kv_u32("", 1);
    EXPECT_THAT(open_error(e.bytes()), HasSubstr("metadata pair 0 of 1: expected a key, got an empty string"));
}

TEST(GgufHostile, RefusesArraysLongerThanTheFile) {
    GgufWriter w = small_file();
    w.kv("tokenizer.ggml.tokens", Bytes().u32(kArr).u32(kStr).u64(1000000));
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("key 'tokenizer.ggml.tokens': expected an array of at most"));
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("string ("));
    GgufWriter x = small_file();   // count * 8 wraps to 0 in 64 bits: must still be refused
    x.kv("t.u64s", Bytes().u32(kArr).u32(kU64).u64(std::uint64_t{1} << 61));
    EXPECT_THAT(open_error(x.bytes()), HasSubstr("got a length of 2305843009213693952"));
}

TEST(GgufHostile, LimitsTheNestingOfArrays) {
    auto nested = [](int depth) {
        Bytes v;
        v.u32(kArr);
        for (int i = 1; i < depth; ++i) v.u32(kArr).u64(1);   // an array holding one array
        v.u32(kU8).u64(0);
        return v;
    };
    GgufWriter ok;
    ok.kv("deep", nested(GgufFile::kMaxArrayDepth));
    const TempDir dir;
    const Result<GgufFile> opened = open_bytes(dir, ok.bytes());
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    GgufWriter bad;
    bad.kv("deep", nested(GgufFile::kMaxArrayDepth + 1));
    EXPECT_THAT(open_error(bad.bytes()), HasSubstr("key 'deep'[0][0][0][0][0][0][0][0]: "));
    EXPECT_THAT(open_error(bad.bytes()), HasSubstr("expected arrays nested at most 8 deep, got deeper"));
}

TEST(GgufHostile, RefusesUnknownValueTypesAndBadBools) {
    GgufWriter w;
    w.kv("t.x", Bytes().u32(13).u32(0));
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("key 't.x': expected a value type 0..12 (uint8 ... float64), got 13"));
    GgufWriter b;
    b.kv("t.flag", Bytes().u32(kBool).u8(2));
    EXPECT_THAT(open_error(b.bytes()), HasSubstr("key 't.flag': expected a bool (0 or 1), got 2"));
    GgufWriter a;
    a.kv("t.flags", Bytes().u32(kArr).u32(kBool).u64(3).u8(0).u8(1).u8(7));
    EXPECT_THAT(open_error(a.bytes()), HasSubstr("key 't.flags'[2]: expected a bool (0 or 1), got 7"));
    GgufWriter e;
    e.kv("t.arr", Bytes().u32(kArr).u32(99).u64(0));
    EXPECT_THAT(open_error(e.bytes()), HasSubstr("key 't.arr': array element type: expected a value type 0..12"));
}

TEST(GgufHostile, RefusesAKeyGivenTwice) {
    GgufWriter w = small_file();
    w.kv_str("general.architecture", "gpt2");
    EXPECT_THAT(open_error(w.bytes()),
                HasSubstr("key 'general.architecture': expected each key once, got it twice (metadata pairs 0 and 1)"));
}

TEST(GgufHostile, RefusesATensorNameGivenTwice) {
    GgufWriter w = small_file();
    w.tensor_with_data("w", {2}, kTypeF32, f32_bytes({3, 4}));
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("tensor 'w': expected each tensor name once, got it twice (tensor infos 0 and 1)"));
}

TEST(GgufHostile, RefusesBadDimensionCounts) {
    GgufWriter w;
    w.tensor("t5d", {1, 1, 1, 1, 1}, kTypeF32, 0);
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("tensor 't5d': expected 1 to 4 dimensions, got 5"));
    GgufWriter z;
    z.tensor("t0d", {}, kTypeF32, 0);
    EXPECT_THAT(open_error(z.bytes()), HasSubstr("tensor 't0d': expected 1 to 4 dimensions, got 0"));
}

TEST(GgufHostile, RefusesDimensionsOf2To63AndOverflowingProducts) {
    GgufWriter w;
    w.tensor("huge", {std::uint64_t{1} << 63, 1}, kTypeF32, 0);
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("tensor 'huge': expected dimensions below 2^63, got 9223372036854775808"));
    GgufWriter p;   // 2^32 * 2^32 wraps to 0 in 64 bits
    p.tensor("wraps", {std::uint64_t{1} << 32, std::uint64_t{1} << 32}, kTypeF32, 0);
    EXPECT_THAT(open_error(p.bytes()),
                HasSubstr("tensor 'wraps': expected an element count below 2^63, got dimensions {4294967296, 4294967296}"));
    GgufWriter b;   // 2^62 elements fit, 2^62 * 8 bytes do not
    b.tensor("bytes", {std::uint64_t{1} << 62}, kTypeF64, 0);
    EXPECT_THAT(open_error(b.bytes()), HasSubstr("tensor 'bytes': expected a size in bytes that fits in 64 bits"));
}

TEST(GgufHostile, RefusesUnknownGgmlTypesNamingTheTensorAndId) {
    GgufWriter w;
    w.tensor("blk.0.attn_q.weight", {32}, 31, 0);
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("tensor 'blk.0.attn_q.weight': expected a ggml type this reader knows"));
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("got type id 31"));
}

TEST(GgufHostile, RefusesARowThatIsNotAWholeNumberOfBlocks) {
    GgufWriter w;
    w.tensor_with_data("q", {100, 2}, kTypeQ4_K, std::string(144, '\0'));
    EXPECT_THAT(open_error(w.bytes()),
                HasSubstr("tensor 'q': expected a row length (dimension 0) that is a whole number of Q4_K blocks of 256, got 100"));
    GgufWriter q;
    q.tensor_with_data("q", {48}, kTypeQ4_0, std::string(36, '\0'));
    EXPECT_THAT(open_error(q.bytes()), HasSubstr("whole number of Q4_0 blocks of 32, got 48"));
}

TEST(GgufHostile, RefusesTensorDataPastTheEnd) {
    GgufWriter w = small_file();
    w.tensor("late", {8}, kTypeF32, 64);
    const std::string message = open_error(w.bytes());
    EXPECT_THAT(message, HasSubstr("tensor 'late': needs 32 bytes (F32, 8 elements) at data offset 64, but the data section holds 8 bytes"));
    EXPECT_THAT(message, HasSubstr("the file is truncated or the offset is wrong"));
    GgufWriter wrap = small_file();   // offset + size wraps around 2^64
    wrap.tensor("wrap", {8}, kTypeF32, ~std::uint64_t{0} - 31);
    EXPECT_THAT(open_error(wrap.bytes()), HasSubstr("tensor 'wrap': needs 32 bytes"));
}

TEST(GgufHostile, RefusesMisalignedOffsets) {
    GgufWriter w = small_file();
    w.tensor("odd", {1}, kTypeF32, 4);
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("tensor 'odd': expected a data offset that is a multiple of the alignment 32, got 4"));
}

TEST(GgufHostile, RefusesBadAlignments) {
    for (std::uint32_t a : {0u, 48u, 3u}) {
        GgufWriter w = small_file();
        w.kv_u32("general.alignment", a);
        EXPECT_THAT(open_error(w.bytes()), HasSubstr("key 'general.alignment': expected a power of two, got " + std::to_string(a)));
    }
    GgufWriter t = small_file();
    t.kv("general.alignment", Bytes().u32(kU64).u64(32));
    EXPECT_THAT(open_error(t.bytes()), HasSubstr("key 'general.alignment': expected uint32, got uint64"));
}

TEST(GgufHostile, RefusesATensorNameOverTheSpecsLimit) {
    GgufWriter w;
    w.tensor(std::string(65, 'n'), {1}, kTypeF32, 0);
    EXPECT_THAT(open_error(w.bytes()), HasSubstr("tensor info 0 of 1: expected a tensor name of at most 64 bytes, got 65 bytes"));
}

TEST(GgufHostile, RefusesTheFileCutAtEveryLength) {
    const std::string bytes = every_type_file().bytes();
    const TempDir dir;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        const fs::path file = dir.write("cut.gguf", bytes.substr(0, n));
        const Result<GgufFile> r = GgufFile::open(file);
        ASSERT_FALSE(r.ok()) << "opened when cut to " << n << " of " << bytes.size() << " bytes";
        ASSERT_THAT(r.error().message, StartsWith(file.string() + ": "));
    }
}

}  // namespace
}  // namespace attnscope
