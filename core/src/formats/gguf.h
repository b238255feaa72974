// GGUF: llama.cpp's model files (versions 2 and 3), read through a read-only memory map.
//
// A file is, little-endian and with no padding between fields:
//   "GGUF", u32 version, u64 tensor count, u64 metadata count,
//   metadata:     { string key, u32 value type, value } x metadata count
//   tensor infos: { string name, u32 n_dims, u64 dims[n_dims], u32 ggml type, u64 offset } x tensor count
//   zero padding up to a multiple of general.alignment (32 when the key is absent),
//   the data section: each tensor at its offset (a multiple of the alignment) from its start.
// A string is a u64 byte length and that many bytes (no terminator). An array is a u32 element
// type, a u64 element count and the elements; an element may itself be an array.
// dims are in ggml's order: dims[0] is the length of a row (the contiguous one), so a PyTorch
// weight of shape [out, in] is written with dims {in, out}.
//
// open() checks everything before anything is used or allocated: every count, length and offset
// against the bytes left in the file with overflow-safe arithmetic, every value type and ggml type,
// each tensor's dimensions (at most 4, each below 2^63, the element count and byte size within 64
// bits, a row a whole number of its type's blocks), offsets aligned and the bytes inside the file,
// no key or tensor name twice. Metadata values are not copied: a GgufValue points into the map, so
// an array of a million strings costs nothing until it is read. After a successful open every view
// is in bounds.
//
// Index
// [SECTION] ggml types
// [SECTION] Metadata values
// [SECTION] Tensors
// [SECTION] GgufFile
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

#include "attnscope/result.h"
#include "formats/safetensors.h"   // MappedFile, TensorShape

namespace attnscope {

// [SECTION] ggml types

// The tensor types of ggml, with the ids the files store (gaps are ids ggml has retired).
enum class GgmlType : std::uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};
inline constexpr std::size_t kGgmlTypeCount = 32;   // entries of the enum above

// A type's storage: `block_size` elements of a row are stored together in `block_bytes` bytes
// (1 and sizeof(element) for the plain types). A row must be a whole number of blocks.
struct GgmlTypeInfo {
    GgmlType type;
    const char* name;            // "Q4_K", as llama.cpp prints it in upper case
    std::uint32_t block_size;    // elements per block
    std::uint32_t block_bytes;   // bytes per block
};

const GgmlTypeInfo* ggml_type_info(std::uint32_t id);   // nullptr for an id ggml does not define
const GgmlTypeInfo& ggml_type_info(GgmlType type);
const char* ggml_type_name(GgmlType type);
const std::vector<GgmlTypeInfo>& ggml_types();          // every type, in id order

// [SECTION] Metadata values

enum class GgufValueType : std::uint32_t {
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12, Count = 13,
};
const char* gguf_value_type_name(GgufValueType type);   // "uint32", "string", "array", ...

// One metadata value, pointing into the file's map (valid while the GgufFile lives). open() has
// checked its bytes, so every accessor stays in bounds. The accessors return nullopt when the
// value is not of a kind they read; GgufFile's typed getters turn that into a message.
class GgufValue {
public:
    GgufValueType type() const { return m_type; }
    // "uint32", "string", "array of 512 string", "array of 3 array"
    std::string describe() const;

    std::optional<std::uint64_t> as_uint() const;   // any integer type holding a value >= 0
    std::optional<std::int64_t> as_int() const;     // any integer type holding a value < 2^63
    std::optional<double> as_float() const;         // float32 or float64 (exactly as stored)
    std::optional<bool> as_bool() const;
    std::optional<std::string_view> as_string() const;

    // Arrays. element_type() and size() are only meaningful for an array.
    GgufValueType element_type() const { return m_element_type; }
    std::uint64_t size() const { return m_count; }
    // The elements of an array (empty for anything else): walks the bytes, so keep the result.
    std::vector<GgufValue> elements() const;

private:
    friend class GgufParser;
    GgufValueType m_type = GgufValueType::UInt8;
    GgufValueType m_element_type = GgufValueType::UInt8;   // arrays only
    std::uint64_t m_count = 0;                   // array elements, or a string's bytes
    const std::uint8_t* m_data = nullptr;        // the scalar, the string's bytes, or the first element
    std::uint64_t m_n_bytes = 0;                 // bytes of the value after its type (array: after count)
};

// [SECTION] Tensors

struct GgufTensorInfo {
    std::string name;
    std::vector<std::uint64_t> dims;    // ggml order: dims[0] is a row's length; 1 to 4 of them
    GgmlType type = GgmlType::F32;
    std::uint64_t offset = 0;           // from the start of the data section; aligned
    std::uint64_t n_elements = 0;       // product of dims
    std::uint64_t n_bytes = 0;          // n_elements / block_size * block_bytes

    // dims in row-major (PyTorch) order, outermost first: {in, out} -> [out, in]. Every entry fits
    // in int64.
    TensorShape shape() const;
};

struct GgufTensorView {
    const GgufTensorInfo* info = nullptr;
    const std::uint8_t* data = nullptr;   // little-endian blocks, aligned as the file says
    std::size_t n_bytes = 0;
};

// [SECTION] GgufFile

class GgufFile {
public:
    static constexpr std::uint32_t kDefaultAlignment = 32;
    static constexpr std::uint32_t kMaxDims = 4;                // ggml's GGML_MAX_DIMS
    static constexpr std::uint64_t kMaxKeyBytes = 65535;        // the spec's limit for a key
    static constexpr std::uint64_t kMaxTensorNameBytes = 64;    // the spec's limit for a name
    static constexpr int kMaxArrayDepth = 8;                    // arrays inside arrays; files use 1

    // Maps and validates the file. Errors start with the path: "<path>: <problem>".
    static Result<GgufFile> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return m_path; }
    std::uint32_t version() const { return m_version; }
    std::uint32_t alignment() const { return m_alignment; }
    std::uint64_t data_offset() const { return m_data_offset; }   // start of the data section in the file
    std::uint64_t file_size() const { return m_file.size(); }

    // Metadata, in file order.
    const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return m_metadata; }
    const GgufValue* find_key(std::string_view key) const;        // nullptr when absent
    bool has_key(std::string_view key) const { return find_key(key) != nullptr; }

    // Typed getters. An absent key or a value of another type is an error naming the file, the
    // key, what was expected and what the file holds: "<path>: key 'llama.block_count': expected
    // an unsigned integer, got string".
    Result<std::string> get_string(std::string_view key) const;
    Result<std::uint64_t> get_uint(std::string_view key) const;   // any integer type, >= 0
    Result<std::int64_t> get_int(std::string_view key) const;     // any integer type
    Result<double> get_float(std::string_view key) const;         // float32 or float64
    Result<bool> get_bool(std::string_view key) const;
    Result<std::vector<std::string>> get_string_array(std::string_view key) const;
    Result<std::vector<double>> get_float_array(std::string_view key) const;        // any number type
    Result<std::vector<std::int64_t>> get_int_array(std::string_view key) const;    // any integer type

    // Throwing versions for loaders that catch LoadError once: the message starts "key '<key>': "
    // and the caller adds the file.
    std::string require_string(std::string_view key) const;
    std::uint64_t require_uint(std::string_view key) const;
    std::int64_t require_int(std::string_view key) const;
    double require_float(std::string_view key) const;
    bool require_bool(std::string_view key) const;
    std::vector<std::string> require_string_array(std::string_view key) const;
    std::vector<double> require_float_array(std::string_view key) const;
    std::vector<std::int64_t> require_int_array(std::string_view key) const;

    // Tensors, in file order.
    const std::vector<GgufTensorInfo>& tensors() const { return m_tensors; }
    const GgufTensorInfo* find_tensor(std::string_view name) const;   // nullptr when absent
    GgufTensorView view(const GgufTensorInfo& tensor) const;          // tensor must come from this file

private:
    friend class GgufParser;
    std::filesystem::path m_path;
    MappedFile m_file;
    std::uint32_t m_version = 0;
    std::uint32_t m_alignment = kDefaultAlignment;
    std::uint64_t m_data_offset = 0;
    std::vector<std::pair<std::string, GgufValue>> m_metadata;
    std::unordered_map<std::string, std::size_t> m_key_index;      // key -> position in m_metadata
    std::vector<GgufTensorInfo> m_tensors;
    std::unordered_map<std::string, std::size_t> m_tensor_index;   // name -> position in m_tensors
};

}  // namespace attnscope
