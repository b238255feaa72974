// Products with a weight matrix as its file stores it: F16, BF16 or ggml's quantized blocks,
// never expanded to float32 in memory.
//
// W is `rows` rows of `depth` values (row j holds output j's weights: torch.nn.Linear's out x in,
// as safetensors and GGUF store it). Each thread takes 16 rows at a time, dequantizes a stretch
// of at most 2,048 of their values into a 128 KB buffer that stays in its cache, and multiplies
// the rows of x against them there (dot products, 16 or 8 lanes at a time, summed at the end of
// the stretch). The file's bytes are read once per product; the weights' memory is the file's.
#pragma once

#include <cstddef>
#include <cstdint>

#include "attnscope/matrix.h"
#include "formats/gguf.h"   // GgmlType

namespace attnscope {

struct StoredRows {
    GgmlType type = GgmlType::F16;   // any type ggml_type_readable() accepts
    const std::uint8_t* data = nullptr;
    Index rows = 0, depth = 0;
    std::size_t row_bytes = 0;                // bytes of one stored row
    const std::int32_t* row_order = nullptr;  // row j is stored row row_order[j]; nullptr: j
};

// x W^T (+ bias, `rows` floats, or nullptr): x is n x depth, the result n x rows. Splits the
// rows across the OpenMP team (one thread inside a parallel region). Uses kernel_path()'s
// instructions.
Matrix stored_rows_product(const Matrix& x, const StoredRows& w, const float* bias = nullptr);

}  // namespace attnscope
