#include "formats/ggml_dequantize.h"

#include <cstring>

#include "formats/safetensors.h"   // f16_to_float, convert_to_float

namespace attnscope {

namespace {

constexpr std::size_t kBlock = 32;     // QK4_0, QK5_0, QK8_0: values per block of the simple types
constexpr std::size_t kSuper = 256;    // QK_K: values per super-block of the K-quants

float half_at(const std::uint8_t* p) {
    std::uint16_t bits;
    std::memcpy(&bits, p, sizeof bits);
    return f16_to_float(bits);
}

std::uint32_t u32_at(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Q8_0: {f16 d; int8 q[32]}; x = d * q.
void q8_0_row(const std::uint8_t* b, std::size_t n, float* y) {
    for (std::size_t i = 0; i < n / kBlock; ++i, b += 34, y += kBlock) {
        const float d = half_at(b);
        for (std::size_t j = 0; j < kBlock; ++j) y[j] = d * static_cast<float>(static_cast<std::int8_t>(b[2 + j]));
    }
}

// Q4_0: {f16 d; u8 qs[16]}: value j in the low nibble of qs[j], value j + 16 in its high nibble;
// x = d * (q - 8). Q4_1 adds a minimum: {f16 d, m; u8 qs[16]}, x = d * q + m.
void q4_row(const std::uint8_t* b, std::size_t n, float* y, bool with_min) {
    const std::size_t bytes = with_min ? 20 : 18, qs = with_min ? 4 : 2;
    for (std::size_t i = 0; i < n / kBlock; ++i, b += bytes, y += kBlock) {
        const float d = half_at(b), m = with_min ? half_at(b + 2) : 0.0f;
        const int offset = with_min ? 0 : 8;
        for (std::size_t j = 0; j < kBlock / 2; ++j) {
            const int lo = (b[qs + j] & 0x0F) - offset, hi = (b[qs + j] >> 4) - offset;
            y[j] = static_cast<float>(lo) * d + m;
            y[j + kBlock / 2] = static_cast<float>(hi) * d + m;
        }
    }
}

// Q5_0: {f16 d; u32 qh; u8 qs[16]}: as Q4_0 with a fifth bit per value in qh (bit j for value j,
// bit j + 16 for value j + 16); x = d * (q - 16). Q5_1: {f16 d, m; u32 qh; u8 qs[16]}, x = d * q + m.
void q5_row(const std::uint8_t* b, std::size_t n, float* y, bool with_min) {
    const std::size_t bytes = with_min ? 24 : 22, qh_at = with_min ? 4 : 2, qs = qh_at + 4;
    for (std::size_t i = 0; i < n / kBlock; ++i, b += bytes, y += kBlock) {
        const float d = half_at(b), m = with_min ? half_at(b + 2) : 0.0f;
        const std::uint32_t qh = u32_at(b + qh_at);
        const int offset = with_min ? 0 : 16;
        for (std::size_t j = 0; j < kBlock / 2; ++j) {
            const int hi_lo = static_cast<int>((qh >> j) & 1u) << 4, hi_hi = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
            const int lo = ((b[qs + j] & 0x0F) | hi_lo) - offset, hi = ((b[qs + j] >> 4) | hi_hi) - offset;
            y[j] = static_cast<float>(lo) * d + m;
            y[j + kBlock / 2] = static_cast<float>(hi) * d + m;
        }
    }
}

// The K-quants' eight 6-bit (scale, min) pairs packed in 12 bytes: pairs 0-3 in the low six bits
// of bytes 0-3 (scales) and 4-7 (mins); pairs 4-7 take their low four bits from bytes 8-11 and
// their top two from the spare top bits of bytes 0-7.
void scale_min_k4(int j, const std::uint8_t* q, int& scale, int& min) {
    if (j < 4) {
        scale = q[j] & 63;
        min = q[j + 4] & 63;
    } else {
        scale = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
        min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// Q4_K: {f16 d, dmin; u8 scales[12]; u8 qs[128]}: 8 sub-blocks of 32, x = d*sc*q - dmin*m.
// Q5_K: {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}: the same with a fifth bit from qh.
void q45_k_row(const std::uint8_t* b, std::size_t n, float* y, bool five_bits) {
    const std::size_t bytes = five_bits ? 176 : 144;
    for (std::size_t i = 0; i < n / kSuper; ++i, b += bytes) {
        const float d = half_at(b), dmin = half_at(b + 2);
        const std::uint8_t* scales = b + 4;
        const std::uint8_t* qh = b + 16;
        const std::uint8_t* q = five_bits ? b + 48 : b + 16;
        unsigned bit_lo = 1, bit_hi = 2;
        for (int j = 0; j < 8; j += 2, q += 32, bit_lo <<= 2, bit_hi <<= 2) {
            int sc, m;
            scale_min_k4(j, scales, sc, m);
            const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
            scale_min_k4(j + 1, scales, sc, m);
            const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
            for (int l = 0; l < 32; ++l) {
                const int hi = five_bits && (qh[l] & bit_lo) ? 16 : 0;
                *y++ = d1 * static_cast<float>((q[l] & 0x0F) + hi) - m1;
            }
            for (int l = 0; l < 32; ++l) {
                const int hi = five_bits && (qh[l] & bit_hi) ? 16 : 0;
                *y++ = d2 * static_cast<float>((q[l] >> 4) + hi) - m2;
            }
        }
    }
}

// Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: 16 sub-blocks of 16 with 8-bit scales;
// each value's low four bits are in ql, its top two in qh; x = d * scale * (q - 32).
void q6_k_row(const std::uint8_t* b, std::size_t n, float* y) {
    for (std::size_t i = 0; i < n / kSuper; ++i, b += 210) {
        const std::uint8_t* ql = b;
        const std::uint8_t* qh = b + 128;
        const auto* sc = reinterpret_cast<const std::int8_t*>(b + 192);
        const float d = half_at(b + 208);
        for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
                y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
                y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
                y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
            }
        }
    }
}

constexpr GgmlType kReadable[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1,
                                  GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

}  // namespace

bool ggml_type_readable(GgmlType type) {
    for (GgmlType t : kReadable)
        if (t == type) return true;
    return false;
}

std::string ggml_readable_type_names() {
    std::string out;
    for (GgmlType t : kReadable) out += (out.empty() ? "" : ", ") + std::string(ggml_type_name(t));
    return out;
}

std::size_t ggml_row_bytes(GgmlType type, std::size_t n) {
    const GgmlTypeInfo& info = ggml_type_info(type);
    return n / info.block_size * info.block_bytes;
}

void dequantize_row(GgmlType type, const std::uint8_t* bytes, std::size_t n, float* out) {
    switch (type) {
        case GgmlType::F32: convert_to_float(Dtype::F32, bytes, n, out); return;
        case GgmlType::F16: convert_to_float(Dtype::F16, bytes, n, out); return;
        case GgmlType::BF16: convert_to_float(Dtype::BF16, bytes, n, out); return;
        case GgmlType::Q8_0: q8_0_row(bytes, n, out); return;
        case GgmlType::Q4_0: q4_row(bytes, n, out, false); return;
        case GgmlType::Q4_1: q4_row(bytes, n, out, true); return;
        case GgmlType::Q5_0: q5_row(bytes, n, out, false); return;
        case GgmlType::Q5_1: q5_row(bytes, n, out, true); return;
        case GgmlType::Q4_K: q45_k_row(bytes, n, out, false); return;
        case GgmlType::Q5_K: q45_k_row(bytes, n, out, true); return;
        case GgmlType::Q6_K: q6_k_row(bytes, n, out); return;
        default: break;
    }
    std::memset(out, 0, n * sizeof(float));   // unreachable when the precondition holds
}

}  // namespace attnscope
