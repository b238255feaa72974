#include "formats/hf_weights.h"

#include "formats/ggml_dequantize.h"
#include "kernels/parallel_product.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <stdexcept>
#include <map>

namespace attnscope {

// [SECTION] HfTensor

HfTensor::HfTensor(StoredTensor stored, Index rows, Index cols)
    : m_stored(std::move(stored)),
      m_rows(rows),
      m_cols(cols),
      m_row_bytes(ggml_row_bytes(m_stored.type, static_cast<std::size_t>(cols))),
      m_in_place(m_stored.type == GgmlType::F32 && m_stored.row_order.empty() &&
                 reinterpret_cast<std::uintptr_t>(m_stored.data) % alignof(float) == 0) {}

const float* HfTensor::floats() const {
    if (m_in_place) return reinterpret_cast<const float*>(m_stored.data);
    std::call_once(m_converted_once, [this] {
        m_converted.resize(static_cast<std::size_t>(m_rows * m_cols));
        for (Index r = 0; r < m_rows; ++r) read_row(r, m_converted.data() + static_cast<std::size_t>(r * m_cols));
    });
    return m_converted.data();
}

ConstMatrixMap HfTensor::matrix() const { return ConstMatrixMap(floats(), m_rows, m_cols); }

RowVector HfTensor::vector() const { return Eigen::Map<const RowVector>(floats(), m_rows * m_cols); }

RowVector HfTensor::row(Index r) const {
    RowVector out(m_cols);
    read_row(r, out.data());
    return out;
}

void HfTensor::read_row(Index r, float* out) const {
    const std::size_t count = static_cast<std::size_t>(m_cols);
    const auto file_row = static_cast<std::size_t>(m_stored.row_order.empty() ? r : m_stored.row_order[static_cast<std::size_t>(r)]);
    dequantize_row(m_stored.type, m_stored.data + file_row * m_row_bytes, count, out);
}

const PackedMatrix& HfTensor::packed(Layout layout) const {
    std::call_once(m_packed_once, [&] {
        m_packed_layout = layout;
        MappedFile::populate(m_stored.data, m_stored.n_bytes);   // read whole: one call, not a fault per page
        if (storage() == Storage::HalfPanels) {
            const auto element = m_stored.type == GgmlType::BF16 ? PackedMatrix::Element::BF16 : PackedMatrix::Element::F16;
            const auto raw = [this](Index r) {
                const auto file_row = static_cast<std::size_t>(m_stored.row_order.empty() ? r : m_stored.row_order[static_cast<std::size_t>(r)]);
                return m_stored.data + file_row * m_row_bytes;
            };
            m_packed = layout == Layout::InOut ? PackedMatrix::from_in_out_16(raw, element, m_rows, m_cols)
                                               : PackedMatrix::from_out_in_16(raw, element, m_rows, m_cols);
        } else {
            const auto reader = [this](Index r, float* out) { read_row(r, out); };
            m_packed = layout == Layout::InOut ? PackedMatrix::from_in_out_rows(reader, m_rows, m_cols)
                                               : PackedMatrix::from_out_in_rows(reader, m_rows, m_cols);
        }
        // The forward passes read the packed copy only; a later matrix() or row() maps them back in.
        MappedFile::release_pages(m_stored.data, m_stored.n_bytes);
    });
    if (layout != m_packed_layout) throw std::logic_error("tensor '" + name() + "' is used in two layouts");
    return m_packed;
}

HfTensor::Storage HfTensor::storage() const {
    static const bool float32_forced = [] {
        const char* v = std::getenv("ATTNSCOPE_FLOAT32_WEIGHTS");
        return v && *v && std::string(v) != "0";
    }();
    if (float32_forced || m_stored.type == GgmlType::F32) return Storage::Float32Panels;
    if (m_stored.type == GgmlType::F16 || m_stored.type == GgmlType::BF16) return Storage::HalfPanels;
    return Storage::StoredRows;
}

StoredRows HfTensor::stored_rows() const {
    return StoredRows{m_stored.type, m_stored.data, m_rows, m_cols, m_row_bytes,
                      m_stored.row_order.empty() ? nullptr : m_stored.row_order.data()};
}

// [SECTION] HfWeights

namespace {
// The 2-D view design.md's convention needs: [n] -> 1 x n, [r, c] -> r x c.
std::pair<Index, Index> view_shape(const TensorShape& shape) {
    if (shape.size() == 1) return {1, shape[0]};
    return {shape[0], shape[1]};
}
}  // namespace

const HfTensor& HfWeights::require(const std::string& name, const TensorShape& expected) {
    const HfTensor* t = optional(name, expected);
    if (!t)
        throw LoadError("tensor '" + m_source->file_name_of(name) + "' is missing (expected shape " + shape_to_string(expected) + ")");
    return *t;
}

std::string HfWeights::name_prefix(const std::string& prefix, const std::string& first, const TensorShape& expected) const {
    if (contains(prefix + first)) return prefix;
    if (contains(first)) return "";
    const std::string with = m_source->file_name_of(prefix + first), without = m_source->file_name_of(first);
    throw LoadError("tensor '" + with + (with == without ? "'" : "' (or '" + without + "')") + " is missing (expected shape " +
                    shape_to_string(expected) + ")");
}

const HfTensor* HfWeights::optional(const std::string& name, const TensorShape& expected) {
    std::optional<StoredTensor> stored = m_source->find(name);
    if (!stored) return nullptr;
    if (!stored->unreadable_type.empty())
        throw LoadError("tensor '" + stored->name + "': expected F32, F16 or BF16, got " + stored->unreadable_type);
    if (!ggml_type_readable(stored->type))
        throw LoadError("tensor '" + stored->name + "' is " + ggml_type_name(stored->type) +
                        ", a type AttnScope cannot read yet (it reads " + ggml_readable_type_names() + ")");
    if (stored->shape != expected)
        throw LoadError("tensor '" + stored->name + "': expected shape " + shape_to_string(expected) + ", got " +
                        shape_to_string(stored->shape));
    const auto [rows, cols] = view_shape(expected);
    m_tensors.push_back(std::make_unique<HfTensor>(std::move(*stored), rows, cols));
    return m_tensors.back().get();
}

std::string HfWeights::float_dtypes() const {
    std::string out;
    for (const WeightTypeSummary& s : m_source->type_summary()) {
        std::string name = ggml_type_name(s.type);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out += (out.empty() ? "" : "+") + name;
    }
    return out;
}

long long HfWeights::float_parameter_count() const {
    long long count = 0;
    for (const WeightTypeSummary& s : m_source->type_summary()) count += static_cast<long long>(s.n_elements);
    return count;
}

// [SECTION] Operations

Matrix linear_in_out(const Matrix& x, const HfTensor& w, const HfTensor* b) {
    const RowVector bias = b ? b->vector() : RowVector();
    return packed_product(x, w.packed(HfTensor::Layout::InOut), b ? bias.data() : nullptr);
}

Matrix linear_out_in(const Matrix& x, const HfTensor& w, const HfTensor* b) {
    const RowVector bias = b ? b->vector() : RowVector();
    if (w.storage() == HfTensor::Storage::StoredRows) return stored_rows_product(x, w.stored_rows(), b ? bias.data() : nullptr);
    return packed_product(x, w.packed(HfTensor::Layout::OutIn), b ? bias.data() : nullptr);
}

Matrix lm_head_product(const Matrix& x, const HfTensor& w, const HfTensor* b) {
    if (w.kept_in_file_precision()) {
        const RowVector bias = b ? b->vector() : RowVector();
        return stored_rows_product(x, w.stored_rows(), b ? bias.data() : nullptr);
    }
    Matrix y = parallel_product(x, w.matrix().transpose());
    if (b) y.rowwise() += b->vector();
    return y;
}

Matrix head_slice(const HfTensor& w, HfTensor::Layout layout, Index c0, Index width) {
    if (layout == HfTensor::Layout::InOut) {
        Matrix out(w.rows(), width);
        for (Index r = 0; r < w.rows(); ++r) out.row(r) = w.row(r).segment(c0, width);
        return out;
    }
    Matrix out(w.cols(), width);
    for (Index j = 0; j < width; ++j) out.col(j) = w.row(c0 + j).transpose();
    return out;
}

Matrix head_output_rows(const HfTensor& w, HfTensor::Layout layout, Index r0, Index height) {
    if (layout == HfTensor::Layout::InOut) {
        Matrix out(height, w.cols());
        for (Index r = 0; r < height; ++r) out.row(r) = w.row(r0 + r);
        return out;
    }
    Matrix out(height, w.rows());
    for (Index c = 0; c < w.rows(); ++c) out.col(c) = w.row(c).segment(r0, height).transpose();
    return out;
}

RowVector bias_slice(const HfTensor* b, Index c0, Index width) {
    return b ? RowVector(b->vector().segment(c0, width)) : RowVector(RowVector::Zero(width));
}

Matrix gather_rows(const HfTensor& table, const std::vector<int>& ids) {
    Matrix out(static_cast<Index>(ids.size()), table.cols());
    for (std::size_t i = 0; i < ids.size(); ++i) out.row(static_cast<Index>(i)) = table.row(ids[i]);
    return out;
}

Matrix rms_norm_rows(const Matrix& x, const RowVector& gamma, float eps) {
    Matrix y(x.rows(), x.cols());
    for (Index i = 0; i < x.rows(); ++i) {
        const float mean_square = x.row(i).squaredNorm() / static_cast<float>(x.cols());
        y.row(i) = (x.row(i) / std::sqrt(mean_square + eps)).cwiseProduct(gamma);
    }
    return y;
}

}  // namespace attnscope
