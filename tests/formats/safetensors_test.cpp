// Tests for the safetensors reader: single files, their conversion to float, and every way their
// header can be malformed. Sharded checkpoints, directories, pickle refusal and the shared
// checkpoints are in safetensors_checkpoint_test.cpp. Every file here is built byte by byte in
// the test (safetensors_files.h: 8-byte little-endian header length, header JSON typed by hand,
// data written from known bit patterns), so the expected values come from the IEEE 754 /
// bfloat16 definitions, not from the reader.
//
// Index
// [SECTION] Helpers
// [SECTION] Float16 and BFloat16 conversion
// [SECTION] Reading single files
// [SECTION] Malformed files
// [SECTION] Robustness under mutation
#include "formats/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "safetensors_files.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::f32_le;
using testing::le_bytes;
using testing::safetensors_bytes;
using testing::TempDir;
using testing::u16_le;
using testing::u64_le;

// [SECTION] Helpers

// The message of a file that must be refused ("<opened>" when it was not).
std::string open_error(const TempDir& dir, const std::string& bytes, const std::string& name = "bad.safetensors") {
    const fs::path file = dir.write(name, bytes);
    const Result<SafetensorsFile> result = SafetensorsFile::open(file);
    EXPECT_FALSE(result.ok()) << "a malformed file was accepted";
    if (result.ok()) return "<opened>";
    EXPECT_THAT(result.error().message, StartsWith(file.string() + ": "));
    return result.error().message;
}

// One F32 tensor 'w' with the given entry fields, over 8 bytes of data.
std::string one_tensor_file(const std::string& entry) {
    return safetensors_bytes("{\"w\":" + entry + "}", f32_le({1.0f, 2.0f}));
}

// Independent references from the format definitions, written with ldexp (no bit tricks).
double f16_reference(std::uint16_t bits) {
    const int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
    double magnitude;
    if (exponent == 0)
        magnitude = std::ldexp(mantissa, -24);                               // subnormal: m * 2^-24
    else if (exponent == 31)
        magnitude = mantissa == 0 ? HUGE_VAL : std::numeric_limits<double>::quiet_NaN();
    else
        magnitude = std::ldexp(1024 + mantissa, exponent - 25);              // (1 + m/2^10) * 2^(e-15)
    return sign ? -magnitude : magnitude;
}

double bf16_reference(std::uint16_t bits) {
    const int sign = bits >> 15, exponent = (bits >> 7) & 0xff, mantissa = bits & 0x7f;
    double magnitude;
    if (exponent == 0)
        magnitude = std::ldexp(mantissa, -133);                              // m * 2^-126 * 2^-7
    else if (exponent == 255)
        magnitude = mantissa == 0 ? HUGE_VAL : std::numeric_limits<double>::quiet_NaN();
    else
        magnitude = std::ldexp(128 + mantissa, exponent - 134);              // (1 + m/2^7) * 2^(e-127)
    return sign ? -magnitude : magnitude;
}

// [SECTION] Float16 and BFloat16 conversion

TEST(Float16, ConvertsKnownBitPatterns) {
    EXPECT_EQ(f16_to_float(0x3C00), 1.0f);
    EXPECT_EQ(f16_to_float(0xC000), -2.0f);
    EXPECT_EQ(f16_to_float(0x7BFF), 65504.0f);                 // largest finite half
    EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));    // smallest subnormal
    EXPECT_EQ(f16_to_float(0x03FF), 1023 * std::ldexp(1.0f, -24));   // largest subnormal
    EXPECT_EQ(f16_to_float(0x0400), std::ldexp(1.0f, -14));    // smallest normal
    EXPECT_EQ(f16_to_float(0x3555), 0.333251953125f);          // (1 + 341/1024) / 4
    EXPECT_EQ(f16_to_float(0x7C00), std::numeric_limits<float>::infinity());
    EXPECT_EQ(f16_to_float(0xFC00), -std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(f16_to_float(0x7E00)));
    EXPECT_TRUE(std::isnan(f16_to_float(0x7C01)));             // signalling pattern stays NaN, not inf
    EXPECT_EQ(f16_to_float(0x8000), 0.0f);
    EXPECT_TRUE(std::signbit(f16_to_float(0x8000)));           // -0 keeps its sign
}

TEST(Float16, MatchesTheDefinitionForEveryBitPattern) {
    for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
        const double expected = f16_reference(static_cast<std::uint16_t>(bits));
        const float got = f16_to_float(static_cast<std::uint16_t>(bits));
        if (std::isnan(expected)) {
            ASSERT_TRUE(std::isnan(got)) << "bits 0x" << std::hex << bits;
        } else {
            ASSERT_EQ(static_cast<double>(got), expected) << "bits 0x" << std::hex << bits;
            ASSERT_EQ(std::signbit(got), std::signbit(expected)) << "bits 0x" << std::hex << bits;
        }
    }
}

TEST(BFloat16, ConvertsKnownBitPatterns) {
    EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
    EXPECT_EQ(bf16_to_float(0x4049), 3.140625f);
    EXPECT_EQ(bf16_to_float(0xC0A0), -5.0f);
    EXPECT_EQ(bf16_to_float(0x7F80), std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(bf16_to_float(0x7FC0)));
    EXPECT_EQ(bf16_to_float(0x0001), std::ldexp(1.0f, -133));   // a float subnormal
}

TEST(BFloat16, MatchesTheDefinitionForEveryBitPattern) {
    for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
        const double expected = bf16_reference(static_cast<std::uint16_t>(bits));
        const float got = bf16_to_float(static_cast<std::uint16_t>(bits));
        if (std::isnan(expected))
            ASSERT_TRUE(std::isnan(got)) << "bits 0x" << std::hex << bits;
        else
            ASSERT_EQ(static_cast<double>(got), expected) << "bits 0x" << std::hex << bits;
    }
}

TEST(ConvertToFloat, ConvertsUnalignedHalvesInBulk) {
    // One byte of padding in front, so every half sits at an odd address; long enough for the
    // vector loop and its tail.
    std::vector<std::uint16_t> halves;
    for (int i = 0; i < 37; ++i) halves.push_back(static_cast<std::uint16_t>(0x3C00 + 97 * i));
    std::string bytes = "x";
    for (std::uint16_t h : halves) bytes += le_bytes(h, 2);
    std::vector<float> out(halves.size());
    convert_to_float(Dtype::F16, reinterpret_cast<const std::uint8_t*>(bytes.data()) + 1, halves.size(), out.data());
    for (std::size_t i = 0; i < halves.size(); ++i) EXPECT_EQ(out[i], f16_reference(halves[i])) << "element " << i;
    convert_to_float(Dtype::BF16, reinterpret_cast<const std::uint8_t*>(bytes.data()) + 1, halves.size(), out.data());
    for (std::size_t i = 0; i < halves.size(); ++i) EXPECT_EQ(out[i], bf16_reference(halves[i])) << "element " << i;
}

// [SECTION] Reading single files

// a: F32 [2, 3] = 1..6, b: F32 [3], ids: I64 [1, 2] = {7, 8}; "format": "pt" metadata.
std::string f32_file() {
    const std::string header =
        R"({"__metadata__":{"format":"pt"},)"
        R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
        R"("b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)"
        R"("ids":{"dtype":"I64","shape":[1,2],"data_offsets":[36,52]}})";
    return safetensors_bytes(header, f32_le({1, 2, 3, 4, 5, 6}) + f32_le({0.5f, -1.5f, 2.25f}) + u64_le(7) + u64_le(8));
}

// h: F16 [2, 4], n: F16 [1] (NaN), g: BF16 [4]. The header length makes the data start at an odd
// offset, so every read is unaligned.
std::string half_file() {
    const std::string header =
        R"({"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]},)"
        R"("n":{"dtype":"F16","shape":[1],"data_offsets":[16,18]},)"
        R"("g":{"dtype":"BF16","shape":[4],"data_offsets":[18,26]}} )";
    return safetensors_bytes(header, u16_le({0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0xFC00, 0x3555, 0x8000}) +
                                         u16_le({0x7E00}) + u16_le({0x3F80, 0x4049, 0xC0A0, 0x0001}));
}

TEST(SafetensorsFile, ListsTensorsWithDtypeShapeAndOffsets) {
    TempDir dir;
    const Result<SafetensorsFile> file = SafetensorsFile::open(dir.write("model.safetensors", f32_file()));
    ASSERT_TRUE(file.ok()) << file.error().message;
    ASSERT_EQ(file.value().tensors().size(), 3u);
    const TensorInfo* a = file.value().find("a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->dtype, Dtype::F32);
    EXPECT_EQ(a->shape, (TensorShape{2, 3}));
    EXPECT_EQ(a->n_elements, 6u);
    EXPECT_EQ(a->begin, 0u);
    EXPECT_EQ(a->end, 24u);
    EXPECT_EQ(file.value().find("ids")->dtype, Dtype::I64);
    EXPECT_FALSE(file.value().contains("__metadata__"));
    EXPECT_EQ(file.value().metadata().at("format"), "pt");
}

TEST(SafetensorsCheckpoint, ReadsF32TensorsAsRowMajorMatrices) {
    TempDir dir;
    const auto checkpoint = SafetensorsCheckpoint::open(dir.write("model.safetensors", f32_file()));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    const Result<Matrix> a = checkpoint.value().read_matrix("a", {2, 3});
    ASSERT_TRUE(a.ok()) << a.error().message;
    Matrix expected_a(2, 3);
    expected_a << 1, 2, 3, 4, 5, 6;
    EXPECT_EQ(a.value(), expected_a);
    const Result<Matrix> b = checkpoint.value().read_matrix("b");   // 1-D: one row
    ASSERT_TRUE(b.ok()) << b.error().message;
    ASSERT_EQ(b.value().rows(), 1);
    ASSERT_EQ(b.value().cols(), 3);
    EXPECT_EQ(b.value()(0, 0), 0.5f);
    EXPECT_EQ(b.value()(0, 1), -1.5f);
    EXPECT_EQ(b.value()(0, 2), 2.25f);
}

TEST(SafetensorsCheckpoint, ReadsF16AndBF16ValuesIncludingSubnormalsAndInfinities) {
    TempDir dir;
    const auto checkpoint = SafetensorsCheckpoint::open(dir.write("model.safetensors", half_file()));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    const Result<Matrix> h = checkpoint.value().read_matrix("h", {2, 4});
    ASSERT_TRUE(h.ok()) << h.error().message;
    const float inf = std::numeric_limits<float>::infinity();
    EXPECT_EQ(h.value()(0, 0), 1.0f);
    EXPECT_EQ(h.value()(0, 1), -2.0f);
    EXPECT_EQ(h.value()(0, 2), 65504.0f);
    EXPECT_EQ(h.value()(0, 3), std::ldexp(1.0f, -24));
    EXPECT_EQ(h.value()(1, 0), inf);
    EXPECT_EQ(h.value()(1, 1), -inf);
    EXPECT_EQ(h.value()(1, 2), 0.333251953125f);
    EXPECT_TRUE(h.value()(1, 3) == 0.0f && std::signbit(h.value()(1, 3)));
    const Result<Matrix> n = checkpoint.value().read_matrix("n");
    ASSERT_TRUE(n.ok()) << n.error().message;
    EXPECT_TRUE(std::isnan(n.value()(0, 0)));
    const Result<Matrix> g = checkpoint.value().read_matrix("g", {4});
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(g.value()(0, 0), 1.0f);
    EXPECT_EQ(g.value()(0, 1), 3.140625f);
    EXPECT_EQ(g.value()(0, 2), -5.0f);
    EXPECT_EQ(g.value()(0, 3), std::ldexp(1.0f, -133));
}

TEST(SafetensorsCheckpoint, ViewsScalarsAndHigherRankTensorsAsTwoDimensions) {
    TempDir dir;
    const std::string header =
        R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
        R"("t":{"dtype":"F32","shape":[2,2,2],"data_offsets":[4,36]},)"
        R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[36,36]}})";
    const auto checkpoint = SafetensorsCheckpoint::open(
        dir.write("model.safetensors", safetensors_bytes(header, f32_le({9, 1, 2, 3, 4, 5, 6, 7, 8}))));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    const Result<Matrix> s = checkpoint.value().read_matrix("s", {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s.value(), Matrix::Constant(1, 1, 9.0f));
    const Result<Matrix> t = checkpoint.value().read_matrix("t", {2, 2, 2});
    ASSERT_TRUE(t.ok()) << t.error().message;
    Matrix expected_t(2, 4);
    expected_t << 1, 2, 3, 4, 5, 6, 7, 8;
    EXPECT_EQ(t.value(), expected_t);
    const Result<Matrix> e = checkpoint.value().read_matrix("e", {0, 3});
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e.value().rows(), 0);
    EXPECT_EQ(e.value().cols(), 3);
}

TEST(SafetensorsCheckpoint, NamesTheTensorWhenTheShapeIsNotTheExpectedOne) {
    TempDir dir;
    const std::string header = R"({"h.0.attn.c_attn.weight":{"dtype":"F32","shape":[2,5],"data_offsets":[0,40]}})";
    const fs::path file = dir.write("model.safetensors", safetensors_bytes(header, f32_le({0, 1, 2, 3, 4, 5, 6, 7, 8, 9})));
    const auto checkpoint = SafetensorsCheckpoint::open(file);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    const Result<Matrix> m = checkpoint.value().read_matrix("h.0.attn.c_attn.weight", {2, 6});
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().message,
              file.string() + ": tensor 'h.0.attn.c_attn.weight': expected shape [2, 6], got [2, 5]");
    // The transposed shape holds the same number of values and is still refused.
    EXPECT_FALSE(checkpoint.value().read_matrix("h.0.attn.c_attn.weight", {5, 2}).ok());
}

TEST(SafetensorsCheckpoint, RefusesToReadAnIntegerTensorAsFloat) {
    TempDir dir;
    const auto checkpoint = SafetensorsCheckpoint::open(dir.write("model.safetensors", f32_file()));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    const Result<Matrix> ids = checkpoint.value().read_matrix("ids");
    ASSERT_FALSE(ids.ok());
    EXPECT_THAT(ids.error().message, HasSubstr("tensor 'ids': expected dtype F32, F16 or BF16 to read as float, got I64"));
}

TEST(SafetensorsCheckpoint, NamesATensorItDoesNotHave) {
    TempDir dir;
    const auto checkpoint = SafetensorsCheckpoint::open(dir.write("model.safetensors", f32_file()));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    EXPECT_FALSE(checkpoint.value().contains("wte.weight"));
    const Result<Matrix> m = checkpoint.value().read_matrix("wte.weight");
    ASSERT_FALSE(m.ok());
    EXPECT_THAT(m.error().message, HasSubstr("tensor 'wte.weight': expected in the checkpoint, got no such tensor"));
    EXPECT_THROW(checkpoint.value().require_matrix("wte.weight", {2}), LoadError);
}

TEST(SafetensorsCheckpoint, GivesTheRawBytesAndDtypeForLazyConversion) {
    TempDir dir;
    const auto checkpoint = SafetensorsCheckpoint::open(dir.write("model.safetensors", half_file()));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    const Result<TensorView> view = checkpoint.value().read_view("h");
    ASSERT_TRUE(view.ok()) << view.error().message;
    EXPECT_EQ(view.value().info->dtype, Dtype::F16);
    ASSERT_EQ(view.value().n_bytes, 16u);
    const std::string written = u16_le({0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0xFC00, 0x3555, 0x8000});
    EXPECT_EQ(std::memcmp(view.value().data, written.data(), 16), 0);
    // Convert only the second row, as a per-layer conversion would.
    float row[4];
    convert_to_float(view.value().info->dtype, view.value().data + 8, 4, row);
    EXPECT_EQ(row[2], 0.333251953125f);
}

TEST(SafetensorsCheckpoint, CountsParametersAndSummarisesDtypes) {
    TempDir dir;
    const auto checkpoint = SafetensorsCheckpoint::open(dir.write("model.safetensors", f32_file()));
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
    EXPECT_EQ(checkpoint.value().parameter_count(), 6u + 3u + 2u);
    const std::vector<DtypeSummary> summary = checkpoint.value().dtype_summary();
    ASSERT_EQ(summary.size(), 2u);
    EXPECT_EQ(summary[0].dtype, Dtype::F32);
    EXPECT_EQ(summary[0].n_tensors, 2u);
    EXPECT_EQ(summary[0].n_elements, 9u);
    EXPECT_EQ(summary[0].n_bytes, 36u);
    EXPECT_EQ(summary[1].dtype, Dtype::I64);
    EXPECT_EQ(summary[1].n_elements, 2u);
    EXPECT_STREQ(dtype_name(summary[1].dtype), "I64");
    EXPECT_EQ(checkpoint.value().tensor_names(), (std::vector<std::string>{"a", "b", "ids"}));
}

TEST(SafetensorsFile, AcceptsAHeaderPaddedWithSpaces) {
    TempDir dir;   // writers pad the header so the data starts 8-byte aligned
    const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})" + std::string(7, ' ');
    const Result<SafetensorsFile> file = SafetensorsFile::open(dir.write("m.safetensors", safetensors_bytes(header, f32_le({1, 2}))));
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_EQ(file.value().data_offset(), 8u + header.size());
}

TEST(MappedFile, MovesOwnershipOfTheMapping) {
    TempDir dir;
    Result<MappedFile> opened = MappedFile::open(dir.write("bytes", "hello"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    MappedFile a = std::move(opened).value();
    ASSERT_EQ(a.size(), 5u);
    const std::uint8_t* data = a.data();
    MappedFile b = std::move(a);
    EXPECT_EQ(b.data(), data);
    EXPECT_EQ(a.data(), nullptr);
    EXPECT_EQ(a.size(), 0u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), b.size()), "hello");
}

TEST(MappedFile, ReleasedPagesReadBackFromTheFile) {
    // Five pages of distinct bytes; releasing a range that starts and ends mid-page drops the
    // three pages inside it, and reading them again must give the file's bytes, not zeros.
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::string bytes(5 * page, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(1 + i % 251);
    TempDir dir;
    Result<MappedFile> opened = MappedFile::open(dir.write("pages", bytes));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const MappedFile file = std::move(opened).value();
    ASSERT_EQ(std::string(reinterpret_cast<const char*>(file.data()), file.size()), bytes);  // all pages touched
    MappedFile::release_pages(file.data() + page / 2, 4 * page);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(file.data()), file.size()), bytes);
}

TEST(MappedFile, NamesAFileThatCannotBeOpened) {
    TempDir dir;
    const Result<MappedFile> missing = MappedFile::open(dir.path() / "absent.safetensors");
    ASSERT_FALSE(missing.ok());
    EXPECT_THAT(missing.error().message, HasSubstr("absent.safetensors: no such file"));
    const Result<MappedFile> directory = MappedFile::open(dir.path());
    ASSERT_FALSE(directory.ok());
    EXPECT_THAT(directory.error().message, HasSubstr("is a folder, expected a file"));
}

// [SECTION] Malformed files

TEST(SafetensorsFile, RefusesAnEmptyFile) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, ""), HasSubstr("expected at least 8 bytes (the header length), got a file of 0 bytes"));
}

TEST(SafetensorsFile, RefusesASevenByteFile) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, "\x02\0\0\0\0\0\0"s), HasSubstr("got a file of 7 bytes"));
}

TEST(SafetensorsFile, RefusesAHeaderLengthOfZero) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, u64_le(0) + "{}"), HasSubstr("expected a header length of at least 2 (a JSON object), got 0"));
}

TEST(SafetensorsFile, RefusesAHeaderLengthLargerThanTheFile) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, u64_le(1000) + "{\"w\":1234}"),
                HasSubstr("expected a header length of at most 10 (the bytes after the length field), got 1000"));
}

TEST(SafetensorsFile, RefusesAHeaderLengthAboveTheLimitWithoutOverflowing) {
    TempDir dir;   // 8 + N wraps around to 7 in 64 bits: the check must not add first
    EXPECT_THAT(open_error(dir, u64_le(std::numeric_limits<std::uint64_t>::max()) + "{}"),
                HasSubstr("expected a header length of at most 100000000, got 18446744073709551615"));
}

TEST(SafetensorsFile, RefusesAHeaderThatIsNotJson) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, safetensors_bytes("{not json}", "")), HasSubstr("header: expected JSON, got a syntax error"));
}

TEST(SafetensorsFile, RefusesAHeaderThatIsNotAnObject) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, safetensors_bytes("[1, 2]", "")), HasSubstr("header: expected a JSON object, got array"));
}

TEST(SafetensorsFile, RefusesATensorEntryThatIsNotAnObject) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file("5")),
                HasSubstr("tensor 'w': expected an object with dtype, shape and data_offsets, got 5"));
}

TEST(SafetensorsFile, RefusesAnUnknownDtype) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"Q4_K","shape":[2],"data_offsets":[0,8]})")),
                HasSubstr("tensor 'w': expected a dtype (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, ...), got \"Q4_K\""));
}

TEST(SafetensorsFile, RefusesAMissingDtype) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"shape":[2],"data_offsets":[0,8]})")),
                HasSubstr("tensor 'w': expected a \"dtype\", got none"));
}

TEST(SafetensorsFile, RefusesANegativeDimension) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]})")),
                HasSubstr("tensor 'w': expected non-negative integer dimensions, got shape [2,-1]"));
}

TEST(SafetensorsFile, RefusesAFractionalDimension) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,8]})")),
                HasSubstr("tensor 'w': expected non-negative integer dimensions, got shape [2.5]"));
}

TEST(SafetensorsFile, RefusesAShapeWhoseElementCountOverflows) {
    TempDir dir;   // 2^32 * 2^32 = 2^64: wraps to 0 in unchecked 64-bit arithmetic
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]})")),
                HasSubstr("tensor 'w': expected a shape whose element count fits in 63 bits"));
}

TEST(SafetensorsFile, RefusesAShapeWhoseByteCountOverflows) {
    TempDir dir;   // 2^62 elements fit; 2^62 * 4 bytes wraps to 0
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]})")),
                HasSubstr("tensor 'w': expected a shape whose size in bytes fits in 64 bits"));
}

TEST(SafetensorsFile, RefusesReversedDataOffsets) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})")),
                HasSubstr("tensor 'w': expected data_offsets with begin <= end, got [8,0] (reversed)"));
}

TEST(SafetensorsFile, RefusesDataOffsetsOutsideTheFile) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2],"data_offsets":[1000,1008]})")),
                HasSubstr("tensor 'w' needs bytes 1000..1008 of the data section, but the data section ends at byte 8"));
}

TEST(SafetensorsFile, RefusesOffsetsNearTheTopOfTheRange) {
    TempDir dir;   // begin + size would wrap; only end <= data size is trusted
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2],"data_offsets":[18446744073709551608,18446744073709551615]})")),
                HasSubstr("tensor 'w': expected 8 bytes (F32 [2])"));
}

TEST(SafetensorsFile, RefusesASizeThatDoesNotMatchTheShape) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2,3],"data_offsets":[0,8]})")),
                HasSubstr("tensor 'w': expected 24 bytes (F32 [2, 3]), got data_offsets [0,8] (8 bytes)"));
}

TEST(SafetensorsFile, RefusesATensorWithoutDataOffsets) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2]})")),
                HasSubstr("tensor 'w': expected \"data_offsets\" [begin, end], got none"));
}

TEST(SafetensorsFile, RefusesDataOffsetsThatAreNotAPair) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})")),
                HasSubstr("tensor 'w': expected data_offsets [begin, end] of two non-negative integers, got [0]"));
}

TEST(SafetensorsFile, RefusesATensorListedTwice) {
    TempDir dir;
    const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
    EXPECT_THAT(open_error(dir, safetensors_bytes(header, f32_le({1, 2}))), HasSubstr("header: expected each tensor once, got 'w' twice"));
}

TEST(SafetensorsFile, RefusesMetadataThatIsNotAnObject) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, safetensors_bytes(R"({"__metadata__":[1]})", "")),
                HasSubstr("header: expected __metadata__ to be an object of strings, got [1]"));
}

TEST(SafetensorsFile, NamesTheFirstTensorInDataOrderWhoseBytesAreMissing) {
    TempDir dir;
    // Alphabetically 'a_last' comes first, but in the data 'z_first' then 'm_middle' then 'a_last'.
    // The file stops at data byte 10: 'm_middle' (8..16) is the first tensor cut off.
    const std::string header =
        R"({"a_last":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
        R"("m_middle":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
        R"("z_first":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string message = open_error(dir, safetensors_bytes(header, f32_le({1, 2}) + "xy"), "cut.safetensors");
    EXPECT_THAT(message, HasSubstr("cut.safetensors: tensor 'm_middle' needs bytes 8..16 of the data section, "
                                   "but the data section ends at byte 10"));
    EXPECT_THAT(message, HasSubstr("1 later tensor is missing too"));
}

// Found by tests/fuzz (safetensors): the message quoting the entry dump()ed it, recursing once per
// level, and a header of 100,000 nested arrays overflowed the stack.
TEST(SafetensorsFile, RefusesAHeaderNestedDeeperThanAnyRealFile) {
    TempDir dir;
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    EXPECT_THAT(open_error(dir, safetensors_bytes("{\"w\":" + deep + "}", "")),
                HasSubstr("header: expected JSON nested at most 64 levels deep, got deeper"));
    EXPECT_THAT(open_error(dir, safetensors_bytes("{\"__metadata__\":{\"x\":" + deep + "}}", "")),
                HasSubstr("header: expected JSON nested at most 64 levels deep, got deeper"));
}

// Found by tests/fuzz (safetensors): a number too large for a double is not a parse_error to
// nlohmann::json but an out_of_range, which escaped open() and ended the program.
TEST(SafetensorsFile, RefusesANumberTooLargeForADouble) {
    TempDir dir;
    EXPECT_THAT(open_error(dir, one_tensor_file(R"({"dtype":"F32","shape":[2],"data_offsets":[0,1e999]})")),
                HasSubstr("header: expected JSON, got a syntax error (number overflow parsing '1e999')"));
}

// [SECTION] Robustness under mutation

// Deterministic mutations of a valid file's header: byte flips, JSON-ish byte replacements,
// truncations and rewritten length fields. open() must return (a value or an Error, never a crash
// or a hang), and a file it accepts must be readable in full without leaving the map (run under
// ATTNSCOPE_SANITIZE to have AddressSanitizer check that).
TEST(SafetensorsRobustness, MutatedFilesAreRefusedOrReadSafely) {
    TempDir dir;
    const std::string header =
        R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
        R"("b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},"c":{"dtype":"BF16","shape":[1,1],"data_offsets":[22,24]}})";
    const std::string valid = safetensors_bytes(header, f32_le({1, 2, 3, 4}) + u16_le({0x3C00, 0x4000, 0x4200, 0x3F80}));
    const std::string interesting = "{}[]\",:-0123456789.eE \\";
    std::mt19937 rng(20240606);
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };

    int accepted = 0, refused = 0;
    for (int round = 0; round < 600; ++round) {
        std::string bytes = valid;
        const int kind = round % 4;
        if (kind == 0) {                        // flip bits in 1..4 header bytes
            for (std::size_t k = 0, n = 1 + pick(4); k < n; ++k) bytes[8 + pick(header.size())] ^= static_cast<char>(1 << pick(8));
        } else if (kind == 1) {                 // replace a header byte with JSON punctuation or a digit
            bytes[8 + pick(header.size())] = interesting[pick(interesting.size())];
        } else if (kind == 2) {                 // cut the file anywhere
            bytes.resize(pick(bytes.size()));
        } else {                                // rewrite the length field
            const std::uint64_t lengths[] = {0, 1, header.size() - 1, header.size() + 1, bytes.size(), rng(),
                                             std::numeric_limits<std::uint64_t>::max() - pick(16)};
            bytes.replace(0, 8, u64_le(lengths[pick(std::size(lengths))]));
        }
        const fs::path file = dir.write("mutant.safetensors", bytes);
        const auto checkpoint = SafetensorsCheckpoint::open(file);
        if (!checkpoint.ok()) {
            ++refused;
            EXPECT_THAT(checkpoint.error().message, StartsWith(file.string() + ": ")) << "round " << round;
            continue;
        }
        ++accepted;
        for (const TensorInfo* t : checkpoint.value().tensors()) {
            const Result<TensorView> view = checkpoint.value().read_view(t->name);
            ASSERT_TRUE(view.ok());
            ASSERT_LE(view.value().n_bytes, bytes.size());
            if (!dtype_readable_as_float(t->dtype)) continue;
            const Result<Matrix> m = checkpoint.value().read_matrix(t->name);
            ASSERT_TRUE(m.ok()) << m.error().message;
            EXPECT_EQ(static_cast<std::uint64_t>(m.value().size()), t->n_elements);
        }
    }
    ::testing::Test::RecordProperty("accepted", accepted);
    ::testing::Test::RecordProperty("refused", refused);
    // Both outcomes occur, so the mutations reached the checks rather than all failing one way.
    EXPECT_GT(accepted, 0);
    EXPECT_GT(refused, 300);
}

}  // namespace
}  // namespace attnscope
