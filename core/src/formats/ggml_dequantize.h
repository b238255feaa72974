// ggml's block formats turned back into floats, one row at a time: the plain types (F32, F16,
// BF16) and the block-quantized ones llama.cpp's files mostly hold (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1
// and the K-quants Q4_K, Q5_K, Q6_K).
//
// The layouts are ggml's (ggml-common.h): a row is a run of blocks, each a scale (and for the
// "_1" and K types a minimum) in float16 followed by packed small integers. A K-quant block
// covers 256 values in sub-blocks of 32 (Q4_K, Q5_K) or 16 (Q6_K), each with its own 6- or 8-bit
// scale. Dequantizing is exact arithmetic on those fields; the results equal ggml's
// dequantize_row_* functions bit for bit (the same float operations in the same order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/gguf.h"

namespace attnscope {

// Whether dequantize_row reads this type.
bool ggml_type_readable(GgmlType type);
// "F32, F16, BF16, Q8_0, ..." for messages.
std::string ggml_readable_type_names();

// out[0..n) = the n values stored at `bytes` (a whole number of the type's blocks, any
// alignment). Preconditions: ggml_type_readable(type); n is a multiple of the block size.
void dequantize_row(GgmlType type, const std::uint8_t* bytes, std::size_t n, float* out);

// Bytes of a row of n values (n a multiple of the block size).
std::size_t ggml_row_bytes(GgmlType type, std::size_t n);

}  // namespace attnscope
