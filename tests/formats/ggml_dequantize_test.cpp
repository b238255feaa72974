// Tests for ggml's block formats read as floats (formats/ggml_dequantize.h), on blocks built here
// by hand from the layouts in ggml's ggml-common.h, with the values worked out by hand in each
// test. (Every type against a separately written numpy dequantizer, on real and random blocks, is
// the GGUF model tests' job: tests/models/gguf_reference/.)
#include "formats/ggml_dequantize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace attnscope {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Exact float16 bit patterns of the scales used below.
constexpr std::uint16_t kHalfOne = 0x3C00, kHalfTwo = 0x4000, kHalfHalf = 0x3800, kHalfQuarter = 0x3400, kHalfMinusOne = 0xBC00;

void put_half(Bytes& b, std::uint16_t bits) {
    b.push_back(static_cast<std::uint8_t>(bits & 0xFF));
    b.push_back(static_cast<std::uint8_t>(bits >> 8));
}

std::vector<float> dequantized(GgmlType type, const Bytes& bytes, std::size_t n) {
    EXPECT_EQ(ggml_row_bytes(type, n), bytes.size());
    std::vector<float> out(n, -999.0f);
    dequantize_row(type, bytes.data(), n, out.data());
    return out;
}

TEST(GgmlDequantize, ReadsTheTypesTheIssueNamesAndRefusesTheRest) {
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_K,
                       GgmlType::Q5_K, GgmlType::Q6_K})
        EXPECT_TRUE(ggml_type_readable(t)) << ggml_type_name(t);
    for (GgmlType t : {GgmlType::Q2_K, GgmlType::IQ2_XXS, GgmlType::I32, GgmlType::TQ1_0, GgmlType::MXFP4})
        EXPECT_FALSE(ggml_type_readable(t)) << ggml_type_name(t);
    EXPECT_THAT(ggml_readable_type_names(), testing::HasSubstr("Q4_K, Q5_K, Q6_K"));
}

// Q8_0: {f16 d; int8 q[32]}, x = d * q.
TEST(GgmlDequantize, Q8_0IsTheScaleTimesEachSignedByte) {
    Bytes b;
    put_half(b, kHalfHalf);
    for (int j = 0; j < 32; ++j) b.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(j - 16)));
    put_half(b, kHalfMinusOne);   // a second block: d = -1, q = 127, -128, 0, ...
    b.push_back(127);
    b.push_back(0x80);
    b.resize(b.size() + 30, 0);
    const auto y = dequantized(GgmlType::Q8_0, b, 64);
    for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * static_cast<float>(j - 16)) << j;
    EXPECT_EQ(y[32], -127.0f);
    EXPECT_EQ(y[33], 128.0f);
    EXPECT_EQ(y[34], 0.0f);
}

// Q4_0: {f16 d; u8 qs[16]}: value j is qs[j]'s low nibble, value j + 16 its high nibble; x = d * (q - 8).
TEST(GgmlDequantize, Q4_0PutsTheFirstHalfInLowNibblesAndTheSecondInHighOnes) {
    Bytes b;
    put_half(b, kHalfTwo);
    for (int j = 0; j < 16; ++j) b.push_back(static_cast<std::uint8_t>(j | ((15 - j) << 4)));
    const auto y = dequantized(GgmlType::Q4_0, b, 32);
    for (int j = 0; j < 16; ++j) {
        EXPECT_EQ(y[j], 2.0f * static_cast<float>(j - 8)) << j;
        EXPECT_EQ(y[j + 16], 2.0f * static_cast<float>(7 - j)) << j;
    }
}

// Q4_1: {f16 d, m; u8 qs[16]}, x = d * q + m.
TEST(GgmlDequantize, Q4_1AddsTheBlocksMinimum) {
    Bytes b;
    put_half(b, kHalfHalf);
    put_half(b, kHalfMinusOne);
    for (int j = 0; j < 16; ++j) b.push_back(static_cast<std::uint8_t>(0xF0 | 3));
    const auto y = dequantized(GgmlType::Q4_1, b, 32);
    EXPECT_EQ(y[0], 0.5f * 3 - 1.0f);
    EXPECT_EQ(y[16], 0.5f * 15 - 1.0f);
}

// Q5_0: {f16 d; u32 qh; u8 qs[16]}: qh bit j is value j's fifth bit, bit j + 16 value j + 16's; x = d * (q - 16).
TEST(GgmlDequantize, Q5_0TakesEachValuesFifthBitFromItsOwnBitOfQh) {
    Bytes b;
    put_half(b, kHalfOne);
    const std::uint32_t qh = (1u << 3) | (1u << 20);   // values 3 and 20
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<std::uint8_t>(qh >> (8 * k)));
    for (int j = 0; j < 16; ++j) b.push_back(j == 4 ? 0x50 : 0x00);   // value 20 (= 4 + 16): high nibble 5
    const auto y = dequantized(GgmlType::Q5_0, b, 32);
    for (int j = 0; j < 32; ++j) {
        const float expected = j == 3 ? 0.0f : j == 20 ? 5.0f : -16.0f;   // 16-16, (16|5)-16, 0-16
        EXPECT_EQ(y[j], expected) << j;
    }
}

// Q5_1: {f16 d, m; u32 qh; u8 qs[16]}, x = d * q + m.
TEST(GgmlDequantize, Q5_1AddsTheMinimumToTheFiveBitValue) {
    Bytes b;
    put_half(b, kHalfQuarter);
    put_half(b, kHalfOne);
    const std::uint32_t qh = 1u << 31;   // value 31
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<std::uint8_t>(qh >> (8 * k)));
    for (int j = 0; j < 16; ++j) b.push_back(0xF1);
    const auto y = dequantized(GgmlType::Q5_1, b, 32);
    EXPECT_EQ(y[0], 0.25f * 1 + 1.0f);
    EXPECT_EQ(y[30], 0.25f * 15 + 1.0f);
    EXPECT_EQ(y[31], 0.25f * 31 + 1.0f);
}

// The K-quants' 12 bytes of eight 6-bit (scale, min) pairs: pairs 0-3 in the low six bits of bytes
// 0-3 and 4-7; pairs 4-7 in the nibbles of bytes 8-11 with their top two bits in the spare top
// bits of bytes 0-3 (scales) and 4-7 (mins).
Bytes pack_scales(const int (&scale)[8], const int (&min)[8]) {
    Bytes q(12, 0);
    for (int j = 0; j < 4; ++j) {
        q[j] = static_cast<std::uint8_t>((scale[j] & 63) | ((scale[j + 4] >> 4) << 6));
        q[j + 4] = static_cast<std::uint8_t>((min[j] & 63) | ((min[j + 4] >> 4) << 6));
        q[j + 8] = static_cast<std::uint8_t>((scale[j + 4] & 15) | ((min[j + 4] & 15) << 4));
    }
    return q;
}

// Q4_K: {f16 d, dmin; scales[12]; qs[128]}: 64 values per 32 bytes of qs, the low nibbles with
// pair 2k, the high nibbles with pair 2k + 1; x = d * scale * q - dmin * min.
TEST(GgmlDequantize, Q4_KUsesEachSubBlocksSixBitScaleAndMin) {
    const int scale[8] = {1, 2, 3, 4, 40, 50, 60, 63}, min[8] = {0, 1, 2, 3, 33, 44, 55, 62};
    Bytes b;
    put_half(b, kHalfOne);
    put_half(b, kHalfHalf);
    const Bytes s = pack_scales(scale, min);
    b.insert(b.end(), s.begin(), s.end());
    for (int j = 0; j < 128; ++j) b.push_back(0x21);   // low nibble 1, high nibble 2
    const auto y = dequantized(GgmlType::Q4_K, b, 256);
    for (int sub = 0; sub < 8; ++sub) {
        const float q = sub % 2 == 0 ? 1.0f : 2.0f;
        const float expected = static_cast<float>(scale[sub]) * q - 0.5f * static_cast<float>(min[sub]);
        EXPECT_EQ(y[static_cast<std::size_t>(sub * 32)], expected) << sub;
        EXPECT_EQ(y[static_cast<std::size_t>(sub * 32 + 31)], expected) << sub;
    }
}

// Q5_K: as Q4_K with qh[32] before qs: bit 2k of qh[l] is the fifth bit of value l of sub-block
// 2k, bit 2k + 1 that of sub-block 2k + 1.
TEST(GgmlDequantize, Q5_KAddsSixteenWhereTheSubBlocksBitOfQhIsSet) {
    const int scale[8] = {1, 1, 1, 1, 1, 1, 1, 1}, min[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    Bytes b;
    put_half(b, kHalfOne);
    put_half(b, kHalfOne);
    const Bytes s = pack_scales(scale, min);
    b.insert(b.end(), s.begin(), s.end());
    for (int l = 0; l < 32; ++l) b.push_back(l == 5 ? 0x82 : 0x00);   // value 5 of sub-blocks 1 and 7
    for (int j = 0; j < 128; ++j) b.push_back(0x00);
    const auto y = dequantized(GgmlType::Q5_K, b, 256);
    for (std::size_t i = 0; i < 256; ++i) {
        const bool high = i == 32 + 5 || i == 224 + 5;
        EXPECT_EQ(y[i], high ? 16.0f : 0.0f) << i;
    }
}

// Q6_K: {ql[128]; qh[64]; int8 scales[16]; f16 d}; each half of 128 values uses 64 bytes of ql
// and 32 of qh; value l + 32r of a half (r < 4) has its low four bits in ql[l] (r = 0, 2: low and
// high nibble) or ql[l + 32] (r = 1, 3), its top two in bits 2r..2r+1 of qh[l]; x = d * scale * (q - 32),
// one scale per 16 values.
TEST(GgmlDequantize, Q6_KJoinsFourLowBitsAndTwoHighBitsWithASignedScalePerSixteen) {
    Bytes b(210, 0);
    b[0] = 0x0F;             // value 0: low bits 15
    b[32] = 0x30;            // value 96 (r = 3, l = 0): low bits 3
    b[128] = 0b11000001;     // qh[0]: value 0's top bits 01, value 96's top bits 11
    for (int k = 0; k < 16; ++k) b[192 + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(static_cast<std::int8_t>(k % 2 ? -2 : 3));
    b[208] = kHalfHalf & 0xFF;
    b[209] = kHalfHalf >> 8;
    const auto y = dequantized(GgmlType::Q6_K, b, 256);
    EXPECT_EQ(y[0], 0.5f * 3 * static_cast<float>((15 | 16) - 32));   // scale 0 (=3)
    EXPECT_EQ(y[96], 0.5f * 3 * static_cast<float>((3 | 48) - 32));   // scale 6 (=3)
    EXPECT_EQ(y[16], 0.5f * -2 * -32.0f);                               // scale 1 (=-2), q = 0
    EXPECT_EQ(y[255], 0.5f * -2 * -32.0f);                              // scale 15 (=-2)
}

}  // namespace
}  // namespace attnscope
