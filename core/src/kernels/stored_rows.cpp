#include "kernels/stored_rows.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/ggml_dequantize.h"
#include "kernels/cpu_features.h"

namespace attnscope {

namespace {

constexpr Index kTile = 16;            // rows of W a thread dequantizes at a time
constexpr Index kColumns = 4;          // rows of W per dot kernel call
constexpr int kRowBlock = 6;           // rows of x per dot kernel call: 6 x 4 accumulators
constexpr Index kDepthBlock = 2048;    // a multiple of every block size (the K-quants' 256)

// One call of a dot kernel: out[r][c] (+)= sum_k x[r][k] * w[c][k], r < rows, c < kColumns.
struct DotJob {
    const float* x;
    Index ldx;
    const float* w;        // kColumns rows of `depth` floats, ldw apart (missing rows are zeros)
    Index ldw;
    Index depth;
    float* out;
    Index ldo;
    int rows;
    Index cols;            // valid columns of out (<= kColumns)
    const float* bias;     // first bias value of these columns, or nullptr
    bool accumulate;       // add to out (a later stretch of depth) instead of starting from the bias
};

void finish(const DotJob& j, int r, Index c, float sum) {
    float& o = j.out[r * j.ldo + c];
    o = (j.accumulate ? o : (j.bias ? j.bias[c] : 0.0f)) + sum;
}

// [SECTION] Kernels, one per instruction set

template <int R>
__attribute__((target("avx512f,avx512bw,avx512vl,fma"))) void dot_avx512(const DotJob& j) {
    __m512 acc[R][kColumns];
    for (int r = 0; r < R; ++r)
        for (Index c = 0; c < kColumns; ++c) acc[r][c] = _mm512_setzero_ps();
    for (Index k = 0; k < j.depth; k += 16) {
        const __mmask16 m = j.depth - k >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (j.depth - k)) - 1u);
        __m512 w[kColumns];
        for (Index c = 0; c < kColumns; ++c) w[c] = _mm512_maskz_loadu_ps(m, j.w + c * j.ldw + k);
        for (int r = 0; r < R; ++r) {
            const __m512 a = _mm512_maskz_loadu_ps(m, j.x + r * j.ldx + k);
            for (Index c = 0; c < kColumns; ++c) acc[r][c] = _mm512_fmadd_ps(a, w[c], acc[r][c]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (Index c = 0; c < j.cols; ++c) finish(j, r, c, _mm512_reduce_add_ps(acc[r][c]));
}

__attribute__((target("avx2,fma"))) float sum_lanes(__m256 v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

template <int R>
__attribute__((target("avx2,fma"))) void dot_avx2(const DotJob& j) {
    __m256 acc[R][kColumns];
    for (int r = 0; r < R; ++r)
        for (Index c = 0; c < kColumns; ++c) acc[r][c] = _mm256_setzero_ps();
    const Index whole = j.depth / 8 * 8;
    for (Index k = 0; k < whole; k += 8) {
        __m256 w[kColumns];
        for (Index c = 0; c < kColumns; ++c) w[c] = _mm256_loadu_ps(j.w + c * j.ldw + k);
        for (int r = 0; r < R; ++r) {
            const __m256 a = _mm256_loadu_ps(j.x + r * j.ldx + k);
            for (Index c = 0; c < kColumns; ++c) acc[r][c] = _mm256_fmadd_ps(a, w[c], acc[r][c]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (Index c = 0; c < j.cols; ++c) {
            float sum = sum_lanes(acc[r][c]);
            for (Index k = whole; k < j.depth; ++k) sum += j.x[r * j.ldx + k] * j.w[c * j.ldw + k];
            finish(j, r, c, sum);
        }
}

void dot_generic(const DotJob& j) {
    for (int r = 0; r < j.rows; ++r)
        for (Index c = 0; c < j.cols; ++c) {
            float sum = 0.0f;
            for (Index k = 0; k < j.depth; ++k) sum += j.x[r * j.ldx + k] * j.w[c * j.ldw + k];
            finish(j, r, c, sum);
        }
}

void dot(const DotJob& j, KernelPath path) {
    if (path == KernelPath::Avx512) {
        switch (j.rows) {
            case 6: return dot_avx512<6>(j);
            case 5: return dot_avx512<5>(j);
            case 4: return dot_avx512<4>(j);
            case 3: return dot_avx512<3>(j);
            case 2: return dot_avx512<2>(j);
            default: return dot_avx512<1>(j);
        }
    }
    if (path == KernelPath::Avx2) {
        switch (j.rows) {
            case 6: return dot_avx2<6>(j);
            case 5: return dot_avx2<5>(j);
            case 4: return dot_avx2<4>(j);
            case 3: return dot_avx2<3>(j);
            case 2: return dot_avx2<2>(j);
            default: return dot_avx2<1>(j);
        }
    }
    dot_generic(j);
}

// [SECTION] The product

// Rows [r0, r0 + kTile) of W, values [d0, d0 + width), as floats in `buffer` (kTile x width,
// rows past the end of W zero).
void dequantize_tile(const StoredRows& w, Index r0, Index d0, Index width, float* buffer) {
    const GgmlTypeInfo& type = ggml_type_info(w.type);
    const std::size_t skip = static_cast<std::size_t>(d0) / type.block_size * type.block_bytes;
    for (Index t = 0; t < kTile; ++t) {
        float* out = buffer + t * width;
        if (r0 + t >= w.rows) {
            std::fill(out, out + width, 0.0f);
            continue;
        }
        const Index row = w.row_order ? w.row_order[r0 + t] : r0 + t;
        dequantize_row(w.type, w.data + static_cast<std::size_t>(row) * w.row_bytes + skip, static_cast<std::size_t>(width), out);
    }
}

void multiply_tile(const Matrix& x, const StoredRows& w, Index r0, const float* bias, Matrix& out, KernelPath path) {
    thread_local std::vector<float> buffer;
    buffer.resize(static_cast<std::size_t>(kTile * kDepthBlock));
    for (Index d0 = 0; d0 < w.depth; d0 += kDepthBlock) {
        const Index width = std::min(kDepthBlock, w.depth - d0);
        dequantize_tile(w, r0, d0, width, buffer.data());
        for (Index c0 = 0; c0 < kTile && r0 + c0 < w.rows; c0 += kColumns) {
            const Index cols = std::min(kColumns, w.rows - r0 - c0);
            for (Index n0 = 0; n0 < x.rows(); n0 += kRowBlock) {
                const DotJob job{x.data() + n0 * x.cols() + d0, x.cols(), buffer.data() + c0 * width, width, width,
                                 out.data() + n0 * out.cols() + r0 + c0, out.cols(),
                                 static_cast<int>(std::min<Index>(kRowBlock, x.rows() - n0)), cols,
                                 bias ? bias + r0 + c0 : nullptr, d0 > 0};
                dot(job, path);
            }
        }
    }
}

}  // namespace

Matrix stored_rows_product(const Matrix& x, const StoredRows& w, const float* bias) {
    if (x.cols() != w.depth)
        throw std::invalid_argument("stored_rows_product: x has " + std::to_string(x.cols()) + " columns, W has depth " +
                                    std::to_string(w.depth));
    Matrix out(x.rows(), w.rows);
    if (out.size() == 0) return out;
    const KernelPath path = kernel_path();
    const Index tiles = (w.rows + kTile - 1) / kTile;
    const double flops = 2.0 * static_cast<double>(x.rows()) * static_cast<double>(w.depth) * static_cast<double>(w.rows);
    const int threads = omp_in_parallel() || flops < 4e6 ? 1 : std::min<int>(omp_get_max_threads(), static_cast<int>(tiles));
    if (threads == 1) {
        for (Index t = 0; t < tiles; ++t) multiply_tile(x, w, t * kTile, bias, out, path);
        return out;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (Index t = 0; t < tiles; ++t) multiply_tile(x, w, t * kTile, bias, out, path);
    return out;
}

}  // namespace attnscope
