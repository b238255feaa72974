// Where a model's weights come from, seen the same way whatever the file: a safetensors
// checkpoint (F32, F16, BF16) or a GGUF file (those and ggml's block-quantized types). The
// architectures (models/hf_*.cpp) ask for tensors by their Hugging Face names; a GGUF source
// answers under llama.cpp's names ("blk.0.attn_q.weight" for "model.layers.0.self_attn.q_proj.weight").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/safetensors.h"

namespace attnscope {

// One tensor's bytes in its file, with what is needed to read them as floats.
struct StoredTensor {
    std::string name;           // as the file names it (for messages)
    TensorShape shape;          // row-major, outermost first: a Linear weight is [out, in]
    GgmlType type = GgmlType::F32;   // F32, F16 and BF16 stand for safetensors' dtypes too
    const std::uint8_t* data = nullptr;   // little-endian, any alignment
    std::size_t n_bytes = 0;
    // Row r of the tensor as the architecture expects it is row row_order[r] of the file (empty:
    // the same row). llama.cpp stores Llama's q and k rows in another order (see gguf_model.cpp).
    std::vector<std::int32_t> row_order;
    // Set when the bytes are not floats at all (a safetensors I64 tensor): the type as the file
    // spells it. HfWeights refuses such a tensor naming it.
    std::string unreadable_type;
};

// Per-type totals of a model's weights, for `attnscope-cli info` and the status bar.
struct WeightTypeSummary {
    GgmlType type = GgmlType::F32;
    std::uint64_t n_elements = 0;
    std::uint64_t n_bytes = 0;
};

class TensorSource {
public:
    virtual ~TensorSource() = default;
    // The tensor a Hugging Face name stands for, or nullopt when the file has none. A tensor whose
    // type no reader handles is still returned; HfWeights refuses it naming the type.
    virtual std::optional<StoredTensor> find(const std::string& hf_name) const = 0;
    // How the file names `hf_name`, for "tensor '...' is missing" messages.
    virtual std::string file_name_of(const std::string& hf_name) const { return hf_name; }
    virtual const std::filesystem::path& path() const = 0;
    // The float weights' types, largest share first.
    virtual std::vector<WeightTypeSummary> type_summary() const = 0;
    virtual std::uint64_t file_bytes() const = 0;
};

// "Q4_K_M mix: Q4_K 70%, Q6_K 25%, F32 5%" (shares of the weights' bytes, largest first; the
// label, when given, is what the file says it is, as llama.cpp names its file types) or "BF16"
// when there is one type.
std::string describe_weight_types(const std::vector<WeightTypeSummary>& types, const std::string& label = "");

// llama.cpp's name for a GGUF file's general.file_type ("Q4_K_M" for 15), or "" for an unknown one.
std::string gguf_file_type_name(std::uint64_t file_type);

// A safetensors checkpoint (one file or shards), tensors under their own names.
std::unique_ptr<TensorSource> make_safetensors_source(SafetensorsCheckpoint checkpoint);

// The GgmlType a safetensors float dtype is stored as (F32, F16, BF16), or nullopt.
std::optional<GgmlType> ggml_type_of(Dtype dtype);

}  // namespace attnscope
