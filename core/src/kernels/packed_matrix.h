// PackedMatrix: a weight matrix laid out once for x * W, so the product streams it from memory
// while it computes.
//
// Why: at the token counts people type (tens to hundreds) a transformer's forward pass reads
// every weight once per product and does little work per weight, so it is bound by memory. A
// general GEMM (Eigen's) copies ("packs") each weight block into a cache-friendly order on every
// call, and that copy stalls on memory with no arithmetic to hide it: a third of a GPT-2-small
// trace of 64 tokens. Packing once, when a layer is first used, and prefetching the next panel
// while the current one is multiplied lets the memory traffic overlap the arithmetic.
//
// Layout: W (depth x cols) is cut into panels of kPanelCols columns; each panel is stored
// depth x kPanelCols, row after row, contiguous and 64-byte aligned; the last panel is padded
// with zeros.
//
// Elements: float32, or the 16 bits a checkpoint stores (BF16, F16), which the micro-kernel widens
// in registers: a half-precision model is packed at its own size and reads half the bytes.
#pragma once

#include <cstdlib>
#include <functional>
#include <memory>

#include <cstdint>

#include "attnscope/matrix.h"

namespace attnscope {

class PackedMatrix {
public:
    static constexpr Index kPanelCols = 64;
    enum class Element { F32, BF16, F16 };

    PackedMatrix() = default;
    // W as stored in x out (rows are the input, as GPT-2's Conv1D): depth x cols, row-major.
    static PackedMatrix from_in_out(const float* w, Index depth, Index cols);
    // W as stored out x in (torch.nn.Linear): cols x depth, row-major; packs W^T.
    static PackedMatrix from_out_in(const float* w, Index cols, Index depth);
    // Same, but the rows of the stored matrix come from a callback (one row of `row_length`
    // floats into `out`), so a half-precision tensor is packed without a float copy of it whole.
    using RowReader = std::function<void(Index row, float* out)>;
    static PackedMatrix from_in_out_rows(const RowReader& read_row, Index depth, Index cols);
    static PackedMatrix from_out_in_rows(const RowReader& read_row, Index cols, Index depth);
    // 16-bit elements kept as they are: row(i) points at stored row i's values (little-endian,
    // any alignment). Panels are packed in parallel (OpenMP) and transposed in cache-sized blocks.
    using RawRow = std::function<const std::uint8_t*(Index row)>;
    static PackedMatrix from_in_out_16(const RawRow& row, Element element, Index depth, Index cols);
    static PackedMatrix from_out_in_16(const RawRow& row, Element element, Index cols, Index depth);

    Index depth() const { return m_depth; }
    Index cols() const { return m_cols; }
    Index panels() const { return (m_cols + kPanelCols - 1) / kPanelCols; }
    Element element() const { return m_element; }
    std::size_t element_bytes() const { return m_element == Element::F32 ? 4 : 2; }
    // Panel p's first element (float or std::uint16_t, as element() says).
    const void* panel(Index p) const { return m_data.get() + static_cast<std::size_t>(p * m_depth * kPanelCols) * element_bytes(); }
    std::size_t bytes() const { return static_cast<std::size_t>(panels() * m_depth * kPanelCols) * element_bytes(); }
    bool empty() const { return !m_data; }

private:
    struct FreeAligned {
        void operator()(std::uint8_t* p) const { std::free(p); }
    };
    PackedMatrix(Index depth, Index cols, Element element = Element::F32);
    template <class T>
    T* panel_mut(Index p) {
        return reinterpret_cast<T*>(m_data.get() + static_cast<std::size_t>(p * m_depth * kPanelCols) * element_bytes());
    }

    Index m_depth = 0, m_cols = 0;
    Element m_element = Element::F32;
    std::unique_ptr<std::uint8_t[], FreeAligned> m_data;
};

// x * W (+ bias, a row of W.cols() floats, or nullptr): x is n x W.depth(), the result n x W.cols().
// Splits the panels across the OpenMP team (one thread inside a parallel region).
Matrix packed_product(const Matrix& x, const PackedMatrix& w, const float* bias = nullptr);

}  // namespace attnscope
