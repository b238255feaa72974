#include "kernels/packed_matrix.h"

#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <immintrin.h>

#include "formats/safetensors.h"   // convert_to_float
#include "kernels/cpu_features.h"

namespace attnscope {

namespace {
constexpr Index kPanel = PackedMatrix::kPanelCols;
// Rows of x per micro-kernel: 6 rows x 4 vectors of 16 floats = 24 accumulators, which with the
// 4 panel vectors and a broadcast fits the 32 vector registers of AVX-512.
constexpr int kRowBlock = 6;
// Depth is cut into blocks of at most this many steps, so a block of the panel, the rows of x it
// meets and the next panel being prefetched fit in L2 together (GPT-2's MLP output has depth 3,072:
// 264 GFLOP/s unblocked, 336 blocked, on 2 cores with the weights streamed).
constexpr Index kDepthBlock = 1024;
constexpr Index kCacheLine = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}  // namespace

// [SECTION] Packing

PackedMatrix::PackedMatrix(Index depth, Index cols, Element element) : m_depth(depth), m_cols(cols), m_element(element) {
    if (depth <= 0 || cols <= 0) return;
    // A large matrix on 2 MB boundaries, asking for transparent huge pages: packing a model of
    // gigabytes otherwise spends seconds faulting in 4 KB pages.
    const bool huge = bytes() >= kHugePage * 2;
    const std::size_t alignment = huge ? kHugePage : static_cast<std::size_t>(kCacheLine);
    void* memory = std::aligned_alloc(alignment, (bytes() + alignment - 1) / alignment * alignment);
    if (!memory) throw std::bad_alloc();
    if (huge) ::madvise(memory, (bytes() + alignment - 1) / alignment * alignment, MADV_HUGEPAGE);   // a hint
    m_data.reset(static_cast<std::uint8_t*>(memory));
    std::uint8_t* last = m_data.get() + static_cast<std::size_t>((panels() - 1) * depth * kPanel) * element_bytes();
    std::fill(last, m_data.get() + bytes(), std::uint8_t{0});  // the padding columns stay zero
}

PackedMatrix PackedMatrix::from_in_out_rows(const RowReader& read_row, Index depth, Index cols) {
    PackedMatrix packed(depth, cols);
    std::vector<float> row(static_cast<std::size_t>(cols));
    for (Index k = 0; k < depth; ++k) {
        read_row(k, row.data());
        for (Index p = 0; p < packed.panels(); ++p) {
            const Index c0 = p * kPanel, width = std::min(kPanel, cols - c0);
            std::memcpy(packed.panel_mut<float>(p) + k * kPanel, row.data() + c0, static_cast<std::size_t>(width) * sizeof(float));
        }
    }
    return packed;
}

namespace {
// Stored rows j < width (each `depth` long, row_of(j) the first) into a panel (depth x kPanel), in
// blocks of kPanel values of depth, so the reads run along each row and the writes stay in a
// block that fits in L1 (a plain transpose strides a whole row apart on every read: most of the
// first trace of a large model went there).
template <class T, class RowOf>
void transpose_into_panel(const RowOf& row_of, Index width, Index depth, T* panel) {
    for (Index k0 = 0; k0 < depth; k0 += kPanel) {
        const Index k1 = std::min(depth, k0 + kPanel);
        for (Index j = 0; j < width; ++j) {
            const T* src = row_of(j);
            for (Index k = k0; k < k1; ++k) panel[k * kPanel + j] = src[k];
        }
    }
}
}  // namespace

PackedMatrix PackedMatrix::from_out_in_rows(const RowReader& read_row, Index cols, Index depth) {
    PackedMatrix packed(depth, cols);
    // One panel's worth of stored rows at a time, then transposed in blocks.
    std::vector<float> rows(static_cast<std::size_t>(kPanel * depth));
    for (Index p = 0; p < packed.panels(); ++p) {
        const Index c0 = p * kPanel, width = std::min(kPanel, cols - c0);
        for (Index j = 0; j < width; ++j) read_row(c0 + j, rows.data() + j * depth);
        transpose_into_panel<float>([&](Index j) { return rows.data() + j * depth; }, width, depth, packed.panel_mut<float>(p));
    }
    return packed;
}

PackedMatrix PackedMatrix::from_in_out_16(const RawRow& row, Element element, Index depth, Index cols) {
    PackedMatrix packed(depth, cols, element);
#pragma omp parallel for schedule(dynamic, 16)
    for (Index k = 0; k < depth; ++k) {
        const std::uint8_t* src = row(k);
        for (Index p = 0; p < packed.panels(); ++p) {
            const Index c0 = p * kPanel, width = std::min(kPanel, cols - c0);
            std::memcpy(packed.panel_mut<std::uint16_t>(p) + k * kPanel, src + 2 * c0, static_cast<std::size_t>(width) * 2);
        }
    }
    return packed;
}

PackedMatrix PackedMatrix::from_out_in_16(const RawRow& row, Element element, Index cols, Index depth) {
    PackedMatrix packed(depth, cols, element);
#pragma omp parallel for schedule(dynamic, 1)
    for (Index p = 0; p < packed.panels(); ++p) {
        const Index c0 = p * kPanel, width = std::min(kPanel, cols - c0);
        std::vector<const std::uint8_t*> rows(static_cast<std::size_t>(width));
        for (Index j = 0; j < width; ++j) rows[static_cast<std::size_t>(j)] = row(c0 + j);
        std::uint16_t* panel = packed.panel_mut<std::uint16_t>(p);
        for (Index k0 = 0; k0 < depth; k0 += kPanel) {   // as transpose_into_panel; memcpy: rows may be odd-aligned
            const Index k1 = std::min(depth, k0 + kPanel);
            for (Index j = 0; j < width; ++j)
                for (Index k = k0; k < k1; ++k) std::memcpy(panel + k * kPanel + j, rows[static_cast<std::size_t>(j)] + 2 * k, 2);
        }
    }
    return packed;
}

PackedMatrix PackedMatrix::from_in_out(const float* w, Index depth, Index cols) {
    return from_in_out_rows(
        [&](Index k, float* out) { std::memcpy(out, w + k * cols, static_cast<std::size_t>(cols) * sizeof(float)); }, depth,
        cols);
}

PackedMatrix PackedMatrix::from_out_in(const float* w, Index cols, Index depth) {
    return from_out_in_rows(
        [&](Index c, float* out) { std::memcpy(out, w + c * depth, static_cast<std::size_t>(depth) * sizeof(float)); }, cols,
        depth);
}

// [SECTION] Product

namespace {

struct PanelJob {
    const float* x;       // first row of x for this block
    Index ldx;            // x's row stride (= depth)
    const void* panel;    // depth x kPanel elements of `element`
    PackedMatrix::Element element;
    Index depth;
    const float* bias;    // first bias value of the panel, or nullptr
    float* out;           // first output of the block
    Index ldo;            // output row stride
    Index width;          // valid columns of the panel (the rest is padding)
    bool accumulate;      // add to the output (a later depth block) instead of starting from the bias
};

// Spreads prefetches of the panel this thread will likely take next evenly over the current
// panel's work (one cache line every `every` steps of depth, finishing at about four fifths of
// it), so memory streams while the arithmetic runs instead of in bursts that stall it. Measured
// at 64 tokens on GPT-2's shapes: 46 ms without prefetching, 38 with a line every step, 35 spread.
struct Prefetcher {
    const char* next = nullptr;
    const char* end = nullptr;
    Index every = 1;
    Index countdown = 1;

    void step() {
        if (--countdown > 0) return;
        countdown = every;
        if (next >= end) return;
        __builtin_prefetch(next, 0, 2);  // read, keep in L2 (prefetcht1)
        next += kCacheLine;
    }
};

// The AVX-512 micro-kernel, compiled for AVX-512 whatever the library's baseline and taken only
// when kernel_path() says the CPU has it (cpu_features.h).
#define ATTNSCOPE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))

ATTNSCOPE_AVX512 __mmask16 lane_mask(Index width, int vector) {
    const Index lanes = std::clamp<Index>(width - 16 * vector, 0, 16);
    return static_cast<__mmask16>((1u << lanes) - 1u);
}

// 16 elements of a panel as floats: float32 loaded, BF16 shifted into a float's top half, F16
// converted; widened in registers, so a 16-bit panel is read at its own size.
template <PackedMatrix::Element E>
ATTNSCOPE_AVX512 __m512 load16(const void* base, Index i) {
    if constexpr (E == PackedMatrix::Element::F32) return _mm512_load_ps(static_cast<const float*>(base) + i);
    const __m256i h = _mm256_load_si256(reinterpret_cast<const __m256i*>(static_cast<const std::uint16_t*>(base) + i));
    if constexpr (E == PackedMatrix::Element::BF16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    else return _mm512_cvtph_ps(h);
}

template <int Rows, PackedMatrix::Element E>
ATTNSCOPE_AVX512 void micro_kernel(const PanelJob& job, Prefetcher& prefetch) {
    const __mmask16 mask[4] = {lane_mask(job.width, 0), lane_mask(job.width, 1), lane_mask(job.width, 2),
                               lane_mask(job.width, 3)};
    __m512 acc[Rows][4];
    for (int c = 0; c < 4; ++c) {
        const __m512 start = job.bias ? _mm512_maskz_loadu_ps(mask[c], job.bias + 16 * c) : _mm512_setzero_ps();
        for (int r = 0; r < Rows; ++r)
            acc[r][c] = job.accumulate ? _mm512_maskz_loadu_ps(mask[c], job.out + r * job.ldo + 16 * c) : start;
    }
    for (Index k = 0; k < job.depth; ++k) {
        const __m512 b0 = load16<E>(job.panel, k * kPanel), b1 = load16<E>(job.panel, k * kPanel + 16),
                     b2 = load16<E>(job.panel, k * kPanel + 32), b3 = load16<E>(job.panel, k * kPanel + 48);
#pragma GCC unroll 6
        for (int r = 0; r < Rows; ++r) {
            const __m512 a = _mm512_set1_ps(job.x[r * job.ldx + k]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(a, b3, acc[r][3]);
        }
        prefetch.step();
    }
    for (int r = 0; r < Rows; ++r)
        for (int c = 0; c < 4; ++c) _mm512_mask_storeu_ps(job.out + r * job.ldo + 16 * c, mask[c], acc[r][c]);
}

template <PackedMatrix::Element E>
void multiply_rows_avx512(const PanelJob& job, int rows, Prefetcher& prefetch) {
    switch (rows) {
        case 6: return micro_kernel<6, E>(job, prefetch);
        case 5: return micro_kernel<5, E>(job, prefetch);
        case 4: return micro_kernel<4, E>(job, prefetch);
        case 3: return micro_kernel<3, E>(job, prefetch);
        case 2: return micro_kernel<2, E>(job, prefetch);
        default: return micro_kernel<1, E>(job, prefetch);
    }
}

// A CPU without AVX-512 (or ATTNSCOPE_KERNELS=avx2/generic): Eigen on the panel, vectorised for
// the library's baseline.
// A 16-bit panel block as floats, for the Eigen path.
const float* panel_floats(const PanelJob& job) {
    if (job.element == PackedMatrix::Element::F32) return static_cast<const float*>(job.panel);
    thread_local std::vector<float> floats;
    floats.resize(static_cast<std::size_t>(job.depth * kPanel));
    const auto* h = static_cast<const std::uint8_t*>(job.panel);
    convert_to_float(job.element == PackedMatrix::Element::BF16 ? Dtype::BF16 : Dtype::F16, h, floats.size(), floats.data());
    return floats.data();
}

void multiply_rows_eigen(const PanelJob& job, int rows) {
    using ConstMap = Eigen::Map<const Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    using Map = Eigen::Map<Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    const ConstMap x(job.x, rows, job.depth, Eigen::OuterStride<>(job.ldx));
    const ConstMap panel(panel_floats(job), job.depth, job.width, Eigen::OuterStride<>(kPanel));
    Map out(job.out, rows, job.width, Eigen::OuterStride<>(job.ldo));
    if (job.accumulate) {
        out.noalias() += x * panel;
        return;
    }
    out.noalias() = x * panel;
    if (job.bias) out.rowwise() += Eigen::Map<const RowVector>(job.bias, job.width);
}

void multiply_rows(const PanelJob& job, int rows, Prefetcher& prefetch, KernelPath path) {
    if (path == KernelPath::Avx512) {
        switch (job.element) {
            case PackedMatrix::Element::F32: return multiply_rows_avx512<PackedMatrix::Element::F32>(job, rows, prefetch);
            case PackedMatrix::Element::BF16: return multiply_rows_avx512<PackedMatrix::Element::BF16>(job, rows, prefetch);
            case PackedMatrix::Element::F16: return multiply_rows_avx512<PackedMatrix::Element::F16>(job, rows, prefetch);
        }
    }
    multiply_rows_eigen(job, rows);
}

void multiply_panel(const Matrix& x, const PackedMatrix& w, Index p, const float* bias, Matrix& out, Prefetcher prefetch,
                    KernelPath path) {
    const Index c0 = p * kPanel, depth = w.depth();
    const Index blocks = (depth + kDepthBlock - 1) / kDepthBlock, block = (depth + blocks - 1) / blocks;
    PanelJob job{nullptr, x.cols(), nullptr, w.element(), 0, bias ? bias + c0 : nullptr, nullptr, out.cols(),
                 std::min(kPanel, w.cols() - c0), false};
    for (Index k0 = 0; k0 < depth; k0 += block) {
        job.panel = static_cast<const std::uint8_t*>(w.panel(p)) + static_cast<std::size_t>(k0 * kPanel) * w.element_bytes();
        job.depth = std::min(block, depth - k0);
        job.accumulate = k0 > 0;
        for (Index r0 = 0; r0 < x.rows(); r0 += kRowBlock) {
            job.x = x.data() + r0 * x.cols() + k0;
            job.out = out.data() + r0 * out.cols() + c0;
            multiply_rows(job, static_cast<int>(std::min<Index>(kRowBlock, x.rows() - r0)), prefetch, path);
        }
    }
}

Prefetcher prefetch_for(const PackedMatrix& w, Index panel, Index rows) {
    if (panel >= w.panels()) return {};
    const char* begin = reinterpret_cast<const char*>(w.panel(panel));
    const Index bytes = w.depth() * kPanel * static_cast<Index>(w.element_bytes()), lines = bytes / kCacheLine;
    const Index steps = (rows + kRowBlock - 1) / kRowBlock * w.depth();
    const Index every = std::max<Index>(1, steps * 4 / (5 * lines));
    return {begin, begin + bytes, every, every};
}

}  // namespace

Matrix packed_product(const Matrix& x, const PackedMatrix& w, const float* bias) {
    if (x.cols() != w.depth())
        throw std::invalid_argument("packed_product: x has " + std::to_string(x.cols()) + " columns, W has depth " +
                                    std::to_string(w.depth()));
    Matrix out(x.rows(), w.cols());
    if (out.size() == 0) return out;
    const Index panels = w.panels();
    const KernelPath path = kernel_path();
    const double flops = 2.0 * static_cast<double>(x.rows()) * static_cast<double>(w.depth()) * static_cast<double>(w.cols());
    const int threads = omp_in_parallel() || flops < 4e6 ? 1 : std::min<int>(omp_get_max_threads(), static_cast<int>(panels));
    if (threads == 1) {
        for (Index p = 0; p < panels; ++p) multiply_panel(x, w, p, bias, out, prefetch_for(w, p + 1, x.rows()), path);
        return out;
    }
    // Panels are handed out one at a time, so a core that is busy elsewhere simply takes fewer; a
    // thread prefetches the panel `threads` further on, the one it most likely takes next.
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (Index p = 0; p < panels; ++p) multiply_panel(x, w, p, bias, out, prefetch_for(w, p + threads, x.rows()), path);
    return out;
}

}  // namespace attnscope
