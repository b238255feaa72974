// HfWeights: the tensors of a checkpoint (safetensors or GGUF, see tensor_source.h) as float32
// matrices, without reading the file whole. F32 tensors are used in place, straight from the
// memory map; F16, BF16 and ggml's quantized blocks are converted the first time a forward pass
// needs them (one layer at a time), so a large model opens at once and costs float32 memory only
// for what has run. The weight matrices of the layers are packed for packed_product the first
// time they are used, straight from the file's bytes, a row at a time (no float copy of a whole
// tensor on the way).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attnscope/matrix.h"
#include "kernels/packed_matrix.h"
#include "kernels/stored_rows.h"
#include "formats/tensor_source.h"

namespace attnscope {

using ConstMatrixMap = Eigen::Map<const Matrix, Eigen::Unaligned>;

// One tensor as a rows x cols float matrix (a 1-D tensor is 1 x n). Thread-safe.
class HfTensor {
public:
    HfTensor(StoredTensor stored, Index rows, Index cols);
    HfTensor(const HfTensor&) = delete;
    HfTensor& operator=(const HfTensor&) = delete;

    Index rows() const { return m_rows; }
    Index cols() const { return m_cols; }
    const std::string& name() const { return m_stored.name; }

    ConstMatrixMap matrix() const;  // converts on first use when the file is not F32
    RowVector vector() const;       // a copy of the whole tensor as one row (norms and biases)
    RowVector row(Index r) const;   // one row, converting only that row (embedding lookups)

    // How a weight matrix is stored: in x out (GPT-2's Conv1D) or out x in (torch.nn.Linear).
    enum class Layout { InOut, OutIn };
    // The matrix packed for x * W, built on first use. A tensor is used in one layout only.
    const PackedMatrix& packed(Layout layout) const;
    // How the products read the weights: F32 packed as float32 panels; F16 and BF16 packed as
    // 16-bit panels the kernel widens in registers; ggml's quantized types read as the file
    // stores them (stored_rows.h). ATTNSCOPE_FLOAT32_WEIGHTS=1 packs every type as float32 (the
    // path before issue 16, kept for benchmarks to compare with).
    enum class Storage { Float32Panels, HalfPanels, StoredRows };
    Storage storage() const;
    bool kept_in_file_precision() const { return storage() != Storage::Float32Panels; }
    StoredRows stored_rows() const;   // rows x cols, out x in

private:
    const float* floats() const;
    void read_row(Index r, float* out) const;

    StoredTensor m_stored;
    Index m_rows, m_cols;
    std::size_t m_row_bytes;
    bool m_in_place;  // F32 in file order with 4-byte alignment: no copy at all
    mutable std::once_flag m_converted_once;
    mutable std::vector<float> m_converted;
    mutable std::once_flag m_packed_once;
    mutable PackedMatrix m_packed;
    mutable Layout m_packed_layout = Layout::InOut;
};

// Looks tensors up by name and checks their shapes when the model is built, so a forward pass
// never meets a missing or misshapen tensor. Errors (LoadError) name the tensor as the file names
// it, the expected shape and the one found.
class HfWeights {
public:
    explicit HfWeights(std::unique_ptr<TensorSource> source) : m_source(std::move(source)) {}

    const HfTensor& require(const std::string& name, const TensorShape& expected);
    const HfTensor* optional(const std::string& name, const TensorShape& expected);  // nullptr when absent
    bool contains(const std::string& name) const { return m_source->find(name).has_value(); }
    // The prefix the checkpoint writes its names with: `prefix` when it has `prefix + first`
    // ("model.embed_tokens.weight", as LlamaForCausalLM saves), "" when it has `first` bare (a
    // base LlamaModel). With neither, the message names both, with `expected`, the first's shape.
    std::string name_prefix(const std::string& prefix, const std::string& first, const TensorShape& expected) const;
    const TensorSource& source() const { return *m_source; }

    // The type(s) the floats are stored in, largest share first, e.g. "f32", "bf16" or "q4_k+q6_k+f32".
    std::string float_dtypes() const;
    long long float_parameter_count() const;

private:
    std::unique_ptr<TensorSource> m_source;
    std::vector<std::unique_ptr<HfTensor>> m_tensors;
};

// [SECTION] Operations on float matrices and tensors, shared by the architectures.

// y = x W + b for W stored in x out (GPT-2's Conv1D).     x: n x in -> n x out
Matrix linear_in_out(const Matrix& x, const HfTensor& w, const HfTensor* b);
// y = x W^T + b for W stored out x in (torch.nn.Linear).  x: n x in -> n x out
Matrix linear_out_in(const Matrix& x, const HfTensor& w, const HfTensor* b);
// y = x W^T + b for an LM head (out x in, vocab x d). Not packed: it is usually the token
// embedding table itself (tied), read once per trace for one row, so packing would double the
// largest tensor of the model to save nothing. A 16-bit or quantized table is read as stored.
Matrix lm_head_product(const Matrix& x, const HfTensor& w, const HfTensor* b);
// One head's slice of a projection as d_model x width, read row by row from the file (the packed
// copy the forward pass uses has no simple slice), for the step-by-step view:
// columns [c0, c0 + width) of an in x out W, or rows [c0, c0 + width) of an out x in W, transposed.
Matrix head_slice(const HfTensor& w, HfTensor::Layout layout, Index c0, Index width);
// The rows of an output projection W_O that read one head's outputs, as height x d_model: rows
// [r0, r0 + height) of an in x out W, or columns [r0, r0 + height) of an out x in W, transposed.
Matrix head_output_rows(const HfTensor& w, HfTensor::Layout layout, Index r0, Index height);
// Entries [c0, c0 + width) of a bias, or zeros when there is none.
RowVector bias_slice(const HfTensor* b, Index c0, Index width);
// Embedding rows for the ids.                              -> n x d
Matrix gather_rows(const HfTensor& table, const std::vector<int>& ids);

// x: n x d; y = x / sqrt(mean(x^2) + eps) * gamma (RMSNorm, as Llama).
Matrix rms_norm_rows(const Matrix& x, const RowVector& gamma, float eps);

}  // namespace attnscope
