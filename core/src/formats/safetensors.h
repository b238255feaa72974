// safetensors: the weight files of Hugging Face checkpoints, read through a read-only memory map.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON, then the data section:
//   { "__metadata__": {"format": "pt"},
//     "h.0.attn.c_attn.weight": {"dtype": "F32", "shape": [2, 6], "data_offsets": [24, 72]}, ... }
// data_offsets are [begin, end) in bytes from the start of the data section.
//
// open() checks everything before anything is used: the header length against the file size, every
// dtype, shape (element count without overflow), offset pair (begin <= end, end - begin equal to
// elements x dtype size) and that every tensor's bytes lie inside the file. A file cut short is
// refused naming the first tensor, in data order, whose bytes are missing. After a successful
// open, every view into the map is in bounds. Nothing is read whole into memory: a tensor's pages
// are touched only when it is read.
//
// PyTorch pickle files (.bin, .pt, .pth) are never parsed (unpickling can run code); refuse_pickle()
// says how to convert them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/result.h"

namespace attnscope {

// [SECTION] Dtypes

// The dtypes of the safetensors format. Only F32, F16 and BF16 can be read as float; the others
// are listed so `attnscope-cli info` can show them (e.g. BERT's I64 position_ids).
enum class Dtype { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, Count };

const char* dtype_name(Dtype dtype);            // "F32", as written in the file
std::size_t dtype_size(Dtype dtype);            // bytes per element
bool dtype_readable_as_float(Dtype dtype);      // F32, F16, BF16
std::optional<Dtype> dtype_from_name(std::string_view name);   // exact file spelling

// IEEE 754 binary16 (including subnormals, infinities and NaN) and bfloat16 to float. Exact.
float f16_to_float(std::uint16_t bits);
float bf16_to_float(std::uint16_t bits);

// out[i] = bytes[i] converted to float, for `count` elements of a readable dtype stored
// little-endian at `bytes` (any alignment). The loops vectorise; use it to convert one layer at a
// time from a TensorView. Preconditions: dtype_readable_as_float(dtype); out does not overlap bytes.
void convert_to_float(Dtype dtype, const std::uint8_t* bytes, std::size_t count, float* out);

// [SECTION] MappedFile

// A whole file mapped read-only (MAP_PRIVATE, PROT_READ). Movable, not copyable; unmapped by the
// destructor. An empty file has size() 0 and data() nullptr.
class MappedFile {
public:
    static Result<MappedFile> open(const std::filesystem::path& path);

    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    const std::uint8_t* data() const { return m_data; }
    std::size_t size() const { return m_size; }

    // Hints to the kernel for the pages holding [offset, offset + length); out-of-range parts are
    // ignored. Reading a tensor asks for its pages up front (MADV_WILLNEED).
    void advise_will_need(std::size_t offset, std::size_t length) const;
    // Drops the pages lying wholly inside [begin, begin + length) of any read-only mapping from this
    // process's memory (MADV_DONTNEED); touching them again reads them back from the file. For a
    // tensor whose bytes have been copied elsewhere (packed weights), so they are not held twice.
    static void release_pages(const std::uint8_t* begin, std::size_t length);
    // Maps the pages of [begin, begin + length) of a read-only mapping in one call
    // (MADV_POPULATE_READ; a hint to read ahead on older kernels), so reading a whole tensor
    // does not take a page fault every 4 KB. For a tensor about to be read whole (packing).
    static void populate(const std::uint8_t* begin, std::size_t length);

private:
    friend class SafetensorsFile;
    friend class SafetensorsCheckpoint;
    static MappedFile map_or_throw(const std::filesystem::path& path);   // LoadError naming the path
    std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
};

// [SECTION] Tensors

// Dimensions as written in the file. Every dimension and the element count fit in int64.
using TensorShape = std::vector<std::int64_t>;
std::string shape_to_string(const TensorShape& shape);   // "[2, 6]"; a scalar is "[]"

struct TensorInfo {
    std::string name;
    Dtype dtype = Dtype::F32;
    TensorShape shape;
    std::uint64_t n_elements = 0;   // product of shape (1 for a scalar)
    std::uint64_t begin = 0;        // data_offsets, in bytes from the start of the data section
    std::uint64_t end = 0;
    std::uint64_t n_bytes() const { return end - begin; }
};

// A tensor's raw bytes inside the map; valid while the file (or checkpoint) that gave it lives.
struct TensorView {
    const TensorInfo* info = nullptr;
    const std::uint8_t* data = nullptr;   // little-endian elements, no alignment guaranteed
    std::size_t n_bytes = 0;
};

// Per-dtype totals for `attnscope-cli info`.
struct DtypeSummary {
    Dtype dtype = Dtype::F32;
    std::size_t n_tensors = 0;
    std::uint64_t n_elements = 0;
    std::uint64_t n_bytes = 0;
};

// [SECTION] SafetensorsFile

class SafetensorsFile {
public:
    // The header length must be at most this (the limit of the reference implementation).
    static constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

    // Maps and validates the file. Errors start with the path: "<path>: <problem>".
    static Result<SafetensorsFile> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return m_path; }
    const std::vector<TensorInfo>& tensors() const { return m_tensors; }   // sorted by name
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }   // "__metadata__"
    std::uint64_t data_offset() const { return m_data_offset; }   // 8 + header length
    std::uint64_t file_size() const { return m_file.size(); }

    const TensorInfo* find(std::string_view name) const;   // nullptr when absent
    bool contains(std::string_view name) const { return find(name) != nullptr; }
    TensorView view(const TensorInfo& tensor) const;       // tensor must come from this file
    void prefetch(const TensorInfo& tensor) const;         // MADV_WILLNEED on the tensor's pages

private:
    friend class SafetensorsCheckpoint;
    static SafetensorsFile open_or_throw(const std::filesystem::path& path);   // LoadError naming the path
    void parse_header();
    std::filesystem::path m_path;
    MappedFile m_file;
    std::uint64_t m_data_offset = 0;
    std::vector<TensorInfo> m_tensors;
    std::unordered_map<std::string, std::size_t> m_index;   // name -> position in m_tensors
    std::map<std::string, std::string> m_metadata;
};

// [SECTION] SafetensorsCheckpoint

// One .safetensors file or a sharded set described by model.safetensors.index.json
// ({"weight_map": {tensor name: shard file name}}), seen as one set of tensors. Shard names must be
// plain file names in the index's directory; each shard is opened and validated once, and every
// tensor of the weight map must be in its shard.
class SafetensorsCheckpoint {
public:
    // `path` is a .safetensors file, a *.safetensors.index.json file, or a directory holding
    // model.safetensors.index.json or model.safetensors (or exactly one *.safetensors file).
    // Pickle files are refused (see refuse_pickle).
    static Result<SafetensorsCheckpoint> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return m_path; }   // the file or index opened
    const std::vector<SafetensorsFile>& files() const { return m_files; }   // one per shard
    const std::map<std::string, std::string>& metadata() const;   // the first file's __metadata__

    std::vector<const TensorInfo*> tensors() const;   // sorted by name
    std::vector<std::string> tensor_names() const;    // sorted
    const TensorInfo* find(std::string_view name) const;   // nullptr when absent
    bool contains(std::string_view name) const { return find(name) != nullptr; }

    std::uint64_t parameter_count() const;            // sum of element counts, every dtype
    std::vector<DtypeSummary> dtype_summary() const;  // one entry per dtype present, in enum order

    // Reading. A tensor is converted to float32 and returned as a 2-D view of its row-major data:
    // a scalar is 1 x 1, [n] is 1 x n, [rows, cols] is rows x cols, and [a, b, c, ...] is
    // a x (b * c * ...). The caller transposes when the layout asks for it (GPT-2 Conv1D stores
    // in x out, Linear stores out x in).
    //
    // Result versions: the message starts with the file the tensor lives in.
    Result<TensorView> read_view(std::string_view name) const;
    Result<Matrix> read_matrix(std::string_view name) const;
    // Checks the shape first: "tensor 'h.0.attn.c_attn.weight': expected shape [2, 6], got [2, 5]".
    Result<Matrix> read_matrix(std::string_view name, const TensorShape& expected) const;

    // Throwing versions for use inside a loader that catches LoadError once at its boundary; the
    // message starts "tensor '<name>': ..." and the caller adds the file.
    TensorView require_view(std::string_view name) const;
    Matrix require_matrix(std::string_view name) const;
    Matrix require_matrix(std::string_view name, const TensorShape& expected) const;

private:
    static SafetensorsCheckpoint open_or_throw(const std::filesystem::path& path);
    static SafetensorsCheckpoint open_index_or_throw(const std::filesystem::path& index_path);
    struct Location {
        std::size_t file = 0;     // index into m_files
        std::size_t tensor = 0;   // index into m_files[file].tensors()
    };
    const SafetensorsFile* file_of(std::string_view name) const;

    std::filesystem::path m_path;
    std::vector<SafetensorsFile> m_files;
    std::map<std::string, Location, std::less<>> m_tensors;   // name -> where it lives
};

// [SECTION] Pickle files

// True for a path ending .bin, .pt, .pth or .ckpt, or (other than a .safetensors file) one whose
// first bytes are a zip archive's or a pickle's magic. Reads at most 4 bytes; never unpickles.
bool looks_like_pickle(const std::filesystem::path& path);

// The error for a pickle file ("model.bin: PyTorch pickle files are not read (...); convert ...")
// or nothing when the path does not look like one.
std::optional<Error> refuse_pickle(const std::filesystem::path& path);

}  // namespace attnscope
