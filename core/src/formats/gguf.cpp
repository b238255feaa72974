// GGUF reader: the ggml type table, metadata values, header and tensor-info validation.
//
// Index
// [SECTION] ggml types
// [SECTION] Helpers
// [SECTION] Metadata values
// [SECTION] Parsing: header, metadata, tensor infos, data section
// [SECTION] GgufFile: lookup and typed getters
//
// Every error is a LoadError thrown inside and turned into a Result once, in open() and the get_*
// getters. Messages read "<file>: <key or tensor>: expected <what>, got <what>". The parser
// never allocates by a count it has not checked against the bytes left in the file.
#include "formats/gguf.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <limits>
#include <utility>

#include "attnscope/text.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GGUF reader reads little-endian fields in place: add byte swapping for this CPU"
#endif

namespace attnscope {

// [SECTION] ggml types
namespace {

// Block sizes and bytes per block from ggml's block structs (ggml-common.h): QK_K = 256 elements
// per super-block, K_SCALE_SIZE = 12; ggml_half is 2 bytes.
const std::array<GgmlTypeInfo, kGgmlTypeCount> kGgmlTypes = {{
    {GgmlType::F32, "F32", 1, 4},
    {GgmlType::F16, "F16", 1, 2},
    {GgmlType::Q4_0, "Q4_0", 32, 2 + 16},              // d, 32 4-bit quants
    {GgmlType::Q4_1, "Q4_1", 32, 2 + 2 + 16},          // d, m, quants
    {GgmlType::Q5_0, "Q5_0", 32, 2 + 4 + 16},          // d, high bits, low nibbles
    {GgmlType::Q5_1, "Q5_1", 32, 2 + 2 + 4 + 16},
    {GgmlType::Q8_0, "Q8_0", 32, 2 + 32},
    {GgmlType::Q8_1, "Q8_1", 32, 2 + 2 + 32},          // d, s, quants
    {GgmlType::Q2_K, "Q2_K", 256, 16 + 64 + 2 + 2},    // scales, quants, d, dmin
    {GgmlType::Q3_K, "Q3_K", 256, 32 + 64 + 12 + 2},   // hmask, quants, scales, d
    {GgmlType::Q4_K, "Q4_K", 256, 2 + 2 + 12 + 128},   // d, dmin, scales, quants
    {GgmlType::Q5_K, "Q5_K", 256, 2 + 2 + 12 + 32 + 128},
    {GgmlType::Q6_K, "Q6_K", 256, 128 + 64 + 16 + 2},  // ql, qh, scales, d
    {GgmlType::Q8_K, "Q8_K", 256, 4 + 256 + 32},       // float d, quants, 16 int16 sums
    {GgmlType::IQ2_XXS, "IQ2_XXS", 256, 2 + 64},
    {GgmlType::IQ2_XS, "IQ2_XS", 256, 2 + 64 + 8},
    {GgmlType::IQ3_XXS, "IQ3_XXS", 256, 2 + 96},
    {GgmlType::IQ1_S, "IQ1_S", 256, 2 + 32 + 16},
    {GgmlType::IQ4_NL, "IQ4_NL", 32, 2 + 16},
    {GgmlType::IQ3_S, "IQ3_S", 256, 2 + 64 + 32 + 8 + 4},
    {GgmlType::IQ2_S, "IQ2_S", 256, 2 + 64 + 16},
    {GgmlType::IQ4_XS, "IQ4_XS", 256, 2 + 2 + 4 + 128},
    {GgmlType::I8, "I8", 1, 1},
    {GgmlType::I16, "I16", 1, 2},
    {GgmlType::I32, "I32", 1, 4},
    {GgmlType::I64, "I64", 1, 8},
    {GgmlType::F64, "F64", 1, 8},
    {GgmlType::IQ1_M, "IQ1_M", 256, 32 + 16 + 8},
    {GgmlType::BF16, "BF16", 1, 2},
    {GgmlType::TQ1_0, "TQ1_0", 256, 48 + 4 + 2},
    {GgmlType::TQ2_0, "TQ2_0", 256, 64 + 2},
    {GgmlType::MXFP4, "MXFP4", 32, 1 + 16},
}};
static_assert(kGgmlTypes.size() == kGgmlTypeCount, "give every ggml type its block size and bytes");

}  // namespace

const GgmlTypeInfo* ggml_type_info(std::uint32_t id) {
    for (const GgmlTypeInfo& t : kGgmlTypes)
        if (static_cast<std::uint32_t>(t.type) == id) return &t;
    return nullptr;
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
    const GgmlTypeInfo* info = ggml_type_info(static_cast<std::uint32_t>(type));
    assert(info != nullptr);
    return *info;
}

const char* ggml_type_name(GgmlType type) { return ggml_type_info(type).name; }

const std::vector<GgmlTypeInfo>& ggml_types() {
    static const std::vector<GgmlTypeInfo> kAll(kGgmlTypes.begin(), kGgmlTypes.end());
    return kAll;
}

// [SECTION] Helpers
namespace {

[[noreturn]] void fail(const std::string& what) { throw LoadError(what); }

std::string quote_name(std::string_view name) { return "'" + cut_for_message(name, 120) + "'"; }

std::string byte_count(std::uint64_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

template <class T>
T load(const std::uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);   // nothing in the metadata is aligned
    return v;
}

struct ValueTypeEntry {
    const char* name;
    std::uint64_t size;   // bytes of a scalar; 0 for string and array
};
constexpr std::array<ValueTypeEntry, static_cast<std::size_t>(GgufValueType::Count)> kValueTypes = {{
    {"uint8", 1}, {"int8", 1}, {"uint16", 2}, {"int16", 2}, {"uint32", 4}, {"int32", 4}, {"float32", 4},
    {"bool", 1}, {"string", 0}, {"array", 0}, {"uint64", 8}, {"int64", 8}, {"float64", 8},
}};
static_assert(kValueTypes.size() == static_cast<std::size_t>(GgufValueType::Count), "name every value type");

// The fewest bytes a value of this type takes in the file: what a count is checked against.
std::uint64_t min_value_bytes(GgufValueType type) {
    if (type == GgufValueType::String) return 8;        // the length
    if (type == GgufValueType::Array) return 4 + 8;     // element type and count
    return kValueTypes[static_cast<std::size_t>(type)].size;
}

bool is_integer(GgufValueType t) {
    switch (t) {
        case GgufValueType::UInt8: case GgufValueType::Int8: case GgufValueType::UInt16: case GgufValueType::Int16:
        case GgufValueType::UInt32: case GgufValueType::Int32: case GgufValueType::UInt64: case GgufValueType::Int64:
            return true;
        default:
            return false;
    }
}

bool is_signed(GgufValueType t) {
    return t == GgufValueType::Int8 || t == GgufValueType::Int16 || t == GgufValueType::Int32 || t == GgufValueType::Int64;
}

// An integer scalar at p widened: `negative` when a signed value is below zero.
struct Widened {
    std::uint64_t magnitude_bits;   // the value as uint64 (two's complement when negative)
    bool negative;
};
Widened widen_integer(GgufValueType t, const std::uint8_t* p) {
    switch (t) {
        case GgufValueType::UInt8: return {load<std::uint8_t>(p), false};
        case GgufValueType::UInt16: return {load<std::uint16_t>(p), false};
        case GgufValueType::UInt32: return {load<std::uint32_t>(p), false};
        case GgufValueType::UInt64: return {load<std::uint64_t>(p), false};
        case GgufValueType::Int8: { const std::int64_t v = load<std::int8_t>(p); return {static_cast<std::uint64_t>(v), v < 0}; }
        case GgufValueType::Int16: { const std::int64_t v = load<std::int16_t>(p); return {static_cast<std::uint64_t>(v), v < 0}; }
        case GgufValueType::Int32: { const std::int64_t v = load<std::int32_t>(p); return {static_cast<std::uint64_t>(v), v < 0}; }
        case GgufValueType::Int64: { const std::int64_t v = load<std::int64_t>(p); return {static_cast<std::uint64_t>(v), v < 0}; }
        default: assert(false); return {0, false};
    }
}

}  // namespace

// [SECTION] Metadata values

const char* gguf_value_type_name(GgufValueType type) {
    const auto i = static_cast<std::size_t>(type);
    assert(i < kValueTypes.size());
    return kValueTypes[i].name;
}

std::string GgufValue::describe() const {
    if (m_type != GgufValueType::Array) return gguf_value_type_name(m_type);
    return "array of " + std::to_string(m_count) + " " + gguf_value_type_name(m_element_type);
}

std::optional<std::uint64_t> GgufValue::as_uint() const {
    if (!is_integer(m_type)) return std::nullopt;
    const Widened w = widen_integer(m_type, m_data);
    if (w.negative) return std::nullopt;
    return w.magnitude_bits;
}

std::optional<std::int64_t> GgufValue::as_int() const {
    if (!is_integer(m_type)) return std::nullopt;
    const Widened w = widen_integer(m_type, m_data);
    if (!is_signed(m_type) && w.magnitude_bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    return static_cast<std::int64_t>(w.magnitude_bits);
}

std::optional<double> GgufValue::as_float() const {
    if (m_type == GgufValueType::Float32) return static_cast<double>(load<float>(m_data));
    if (m_type == GgufValueType::Float64) return load<double>(m_data);
    return std::nullopt;
}

std::optional<bool> GgufValue::as_bool() const {
    if (m_type != GgufValueType::Bool) return std::nullopt;
    return m_data[0] != 0;   // open() refused anything but 0 and 1
}

std::optional<std::string_view> GgufValue::as_string() const {
    if (m_type != GgufValueType::String) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(m_data), static_cast<std::size_t>(m_count));
}

// [SECTION] Parsing: header, metadata, tensor infos, data section

// Reads the bytes of a mapped file front to back; every read is checked against the bytes left.
// `where` is said in front of each refusal.
class GgufParser {
public:
    GgufParser(const std::uint8_t* data, std::uint64_t size) : m_data(data), m_size(size) {}

    void parse(GgufFile& file);
    // The elements of a validated array value.
    static std::vector<GgufValue> elements_of(const GgufValue& array);

private:
    std::uint64_t left() const { return m_size - m_pos; }
    void need(std::uint64_t n, const std::string& where, const char* what) const {
        if (n > left())
            fail(where + "expected " + what + " (" + byte_count(n) + ") at byte " + std::to_string(m_pos) + ", got " +
                 (left() == 0 ? std::string("the end of the file") : "only " + byte_count(left()) + " left") +
                 ": the file is truncated");
    }
    std::uint32_t read_u32(const std::string& where, const char* what) {
        need(4, where, what);
        const auto v = load<std::uint32_t>(m_data + m_pos);
        m_pos += 4;
        return v;
    }
    std::uint64_t read_u64(const std::string& where, const char* what) {
        need(8, where, what);
        const auto v = load<std::uint64_t>(m_data + m_pos);
        m_pos += 8;
        return v;
    }
    // A string's length, checked against the bytes left before anything is made of it.
    std::string_view read_string(const std::string& where, const char* what, std::uint64_t max_bytes);

    void parse_header(GgufFile& file);
    GgufValueType read_value_type(const std::string& where);
    GgufValue read_value(GgufValueType type, const std::string& at, int depth);
    void parse_metadata(GgufFile& file);
    GgufTensorInfo read_tensor_info(std::uint64_t i);
    void parse_tensor_infos(GgufFile& file);
    void place_data_section(GgufFile& file);

    const std::uint8_t* m_data;
    std::uint64_t m_size;
    std::uint64_t m_pos = 0;
    std::uint64_t m_tensor_count = 0;
    std::uint64_t m_kv_count = 0;
};

std::string_view GgufParser::read_string(const std::string& where, const char* what, std::uint64_t max_bytes) {
    const std::uint64_t length = read_u64(where, "a string length");
    if (length > left())
        fail(where + "expected " + what + " of at most " + byte_count(left()) + " (the rest of the file), got a length of " +
             std::to_string(length) + ": the file is truncated or the length is wrong");
    if (length > max_bytes)
        fail(where + "expected " + what + " of at most " + byte_count(max_bytes) + ", got " + byte_count(length));
    const std::string_view s(reinterpret_cast<const char*>(m_data + m_pos), static_cast<std::size_t>(length));
    m_pos += length;
    return s;
}

void GgufParser::parse_header(GgufFile& file) {
    if (m_size < 4 || std::memcmp(m_data, "GGUF", 4) != 0) {
        const std::string_view head(reinterpret_cast<const char*>(m_data), static_cast<std::size_t>(std::min<std::uint64_t>(m_size, 4)));
        fail("expected the magic bytes \"GGUF\" at the start, got " +
             (m_size == 0 ? std::string("an empty file") : "\"" + escape_for_terminal(valid_utf8(head)) + "\""));
    }
    m_pos = 4;
    const std::uint32_t version = read_u32("", "the version");
    if (version == 1)
        fail("GGUF version 1 is not read (its counts are 32-bit, from before August 2023); expected version 2 or 3: "
             "convert the model again with a recent llama.cpp");
    if (version != 2 && version != 3) {
        const std::uint32_t swapped = __builtin_bswap32(version);
        if (swapped == 2 || swapped == 3)
            fail("expected GGUF version 2 or 3 stored little-endian, got version " + std::to_string(swapped) +
                 " stored big-endian: big-endian GGUF files are not read");
        fail("expected GGUF version 2 or 3, got " + std::to_string(version));
    }
    file.m_version = version;
    m_tensor_count = read_u64("", "the tensor count");
    m_kv_count = read_u64("", "the metadata count");
    // Each metadata pair takes at least 13 bytes (key length, value type, a 1-byte value) and each
    // tensor info at least 24 (name length, n_dims, type, offset): counts the file cannot hold are
    // refused here, before any vector is sized by them.
    if (m_kv_count > left() / 13)
        fail("expected at most " + std::to_string(left() / 13) + " metadata pairs (13 bytes each at least, " +
             byte_count(left()) + " left), got a count of " + std::to_string(m_kv_count));
    if (m_tensor_count > left() / 24)
        fail("expected at most " + std::to_string(left() / 24) + " tensors (24 bytes of tensor info each at least, " +
             byte_count(left()) + " left), got a count of " + std::to_string(m_tensor_count));
}

GgufValueType GgufParser::read_value_type(const std::string& where) {
    const std::uint32_t id = read_u32(where, "a value type");
    if (id >= static_cast<std::uint32_t>(GgufValueType::Count))
        fail(where + "expected a value type 0..12 (uint8 ... float64), got " + std::to_string(id));
    return static_cast<GgufValueType>(id);
}

// A value of `type` at the current position: checked, skipped over, and returned as a view. `at`
// names it: "key 'tokenizer.ggml.tokens'", and an element of it "key 'tokenizer.ggml.tokens'[7]".
GgufValue GgufParser::read_value(GgufValueType type, const std::string& at, int depth) {
    const std::string where = at + ": ";
    GgufValue v;
    v.m_type = type;
    const std::uint64_t start = m_pos;
    if (type == GgufValueType::String) {
        const std::string_view s = read_string(where, "a string", std::numeric_limits<std::uint64_t>::max());
        v.m_count = s.size();
        v.m_data = reinterpret_cast<const std::uint8_t*>(s.data());
        v.m_n_bytes = s.size();
        return v;
    }
    if (type == GgufValueType::Array) {
        if (depth >= GgufFile::kMaxArrayDepth)
            fail(where + "expected arrays nested at most " + std::to_string(GgufFile::kMaxArrayDepth) + " deep, got deeper");
        v.m_element_type = read_value_type(where + "array element type: ");
        v.m_count = read_u64(where, "an array length");
        const std::uint64_t min_bytes = min_value_bytes(v.m_element_type);
        if (v.m_count > left() / min_bytes)
            fail(where + "expected an array of at most " + std::to_string(left() / min_bytes) + " " +
                 gguf_value_type_name(v.m_element_type) + " (" + byte_count(left()) + " left), got a length of " +
                 std::to_string(v.m_count) + ": the file is truncated or the length is wrong");
        v.m_data = m_data + m_pos;
        const std::uint64_t first = m_pos;
        if (v.m_element_type == GgufValueType::String || v.m_element_type == GgufValueType::Array) {
            for (std::uint64_t i = 0; i < v.m_count; ++i)
                read_value(v.m_element_type, at + "[" + std::to_string(i) + "]", depth + 1);
        } else {
            m_pos += v.m_count * min_bytes;   // checked above: count * size <= left
            if (v.m_element_type == GgufValueType::Bool)
                for (std::uint64_t i = 0; i < v.m_count; ++i)
                    if (v.m_data[i] > 1)
                        fail(at + "[" + std::to_string(i) + "]: expected a bool (0 or 1), got " +
                             std::to_string(v.m_data[i]));
        }
        v.m_n_bytes = m_pos - first;
        return v;
    }
    const std::uint64_t size = min_value_bytes(type);
    need(size, where, "a value");
    v.m_data = m_data + start;
    v.m_n_bytes = size;
    if (type == GgufValueType::Bool && v.m_data[0] > 1)
        fail(where + "expected a bool (0 or 1), got " + std::to_string(v.m_data[0]));
    m_pos += size;
    return v;
}

void GgufParser::parse_metadata(GgufFile& file) {
    file.m_metadata.reserve(static_cast<std::size_t>(m_kv_count));   // bounded by the file size above
    for (std::uint64_t i = 0; i < m_kv_count; ++i) {
        const std::string at = "metadata pair " + std::to_string(i) + " of " + std::to_string(m_kv_count) + ": ";
        const std::string_view key = read_string(at, "a key", GgufFile::kMaxKeyBytes);
        const std::string where = "key " + quote_name(key) + ": ";
        if (key.empty()) fail(at + "expected a key, got an empty string");
        const GgufValueType type = read_value_type(where);
        GgufValue value = read_value(type, "key " + quote_name(key), 0);
        if (!file.m_key_index.emplace(std::string(key), file.m_metadata.size()).second)
            fail(where + "expected each key once, got it twice (metadata pairs " +
                 std::to_string(file.m_key_index.at(std::string(key))) + " and " + std::to_string(i) + ")");
        file.m_metadata.emplace_back(std::string(key), value);
    }
}

GgufTensorInfo GgufParser::read_tensor_info(std::uint64_t i) {
    const std::string at = "tensor info " + std::to_string(i) + " of " + std::to_string(m_tensor_count) + ": ";
    GgufTensorInfo t;
    t.name = std::string(read_string(at, "a tensor name", GgufFile::kMaxTensorNameBytes));
    const std::string where = "tensor " + quote_name(t.name) + ": ";
    if (t.name.empty()) fail(at + "expected a tensor name, got an empty string");

    const std::uint32_t n_dims = read_u32(where, "the number of dimensions");
    if (n_dims == 0 || n_dims > GgufFile::kMaxDims)
        fail(where + "expected 1 to " + std::to_string(GgufFile::kMaxDims) + " dimensions, got " + std::to_string(n_dims));
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t n_elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
        const std::uint64_t dim = read_u64(where, "a dimension");
        if (dim > kMax) fail(where + "expected dimensions below 2^63, got " + std::to_string(dim) + " (dimension " + std::to_string(d) + ")");
        t.dims.push_back(dim);
    }
    // The element count: each partial product fits in int64 (zero makes the tensor empty).
    bool has_zero = false;
    std::uint64_t nonzero = 1;
    for (const std::uint64_t dim : t.dims) {
        if (dim == 0) { has_zero = true; continue; }
        if (__builtin_mul_overflow(nonzero, dim, &nonzero) || nonzero > kMax) {
            std::string dims;
            for (const std::uint64_t x : t.dims) dims += (dims.empty() ? "" : ", ") + std::to_string(x);
            fail(where + "expected an element count below 2^63, got dimensions {" + dims + "}");
        }
    }
    n_elements = has_zero ? 0 : nonzero;
    t.n_elements = n_elements;

    const std::uint32_t type_id = read_u32(where, "a ggml type");
    const GgmlTypeInfo* type = ggml_type_info(type_id);
    if (!type)
        fail(where + "expected a ggml type this reader knows (F32, F16, BF16, Q4_0 ... Q8_0, Q2_K ... Q8_K, IQ*, I8 ... I64, "
                     "F64), got type id " + std::to_string(type_id));
    t.type = type->type;
    if (t.dims[0] % type->block_size != 0)
        fail(where + "expected a row length (dimension 0) that is a whole number of " + type->name + " blocks of " +
             std::to_string(type->block_size) + ", got " + std::to_string(t.dims[0]));
    // bytes = (elements / block size) * bytes per block; elements is a multiple of the block size.
    if (__builtin_mul_overflow(n_elements / type->block_size, static_cast<std::uint64_t>(type->block_bytes), &t.n_bytes))
        fail(where + "expected a size in bytes that fits in 64 bits, got " + std::to_string(n_elements) + " elements of " + type->name);
    t.offset = read_u64(where, "a data offset");
    return t;
}

void GgufParser::parse_tensor_infos(GgufFile& file) {
    if (m_tensor_count > left() / 24)   // checked again: the metadata used some of the bytes
        fail("expected at most " + std::to_string(left() / 24) + " tensors in the " + byte_count(left()) +
             " after the metadata, got a count of " + std::to_string(m_tensor_count));
    file.m_tensors.reserve(static_cast<std::size_t>(m_tensor_count));
    for (std::uint64_t i = 0; i < m_tensor_count; ++i) {
        GgufTensorInfo t = read_tensor_info(i);
        if (!file.m_tensor_index.emplace(t.name, file.m_tensors.size()).second)
            fail("tensor " + quote_name(t.name) + ": expected each tensor name once, got it twice (tensor infos " +
                 std::to_string(file.m_tensor_index.at(t.name)) + " and " + std::to_string(i) + ")");
        file.m_tensors.push_back(std::move(t));
    }
}

// general.alignment, then the data section's start and every tensor's bytes inside the file.
void GgufParser::place_data_section(GgufFile& file) {
    if (const GgufValue* a = file.find_key("general.alignment")) {
        const std::string where = "key 'general.alignment': ";
        if (a->type() != GgufValueType::UInt32)
            fail(where + "expected uint32, got " + a->describe());
        const std::uint64_t alignment = *a->as_uint();
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            fail(where + "expected a power of two, got " + std::to_string(alignment));
        file.m_alignment = static_cast<std::uint32_t>(alignment);
    }
    const std::uint64_t alignment = file.m_alignment;
    // The end of the tensor infos rounded up; m_pos <= file size < 2^64 - 2^32, so no overflow.
    const std::uint64_t data_offset = (m_pos + alignment - 1) / alignment * alignment;
    file.m_data_offset = data_offset;
    for (const GgufTensorInfo& t : file.m_tensors) {
        const std::string where = "tensor " + quote_name(t.name) + ": ";
        if (t.offset % alignment != 0)
            fail(where + "expected a data offset that is a multiple of the alignment " + std::to_string(alignment) + ", got " +
                 std::to_string(t.offset));
        std::uint64_t begin = 0, end = 0;
        if (__builtin_add_overflow(data_offset, t.offset, &begin) || __builtin_add_overflow(begin, t.n_bytes, &end) ||
            end > m_size)
            fail(where + "needs " + byte_count(t.n_bytes) + " (" + ggml_type_name(t.type) + ", " +
                 std::to_string(t.n_elements) + " elements) at data offset " + std::to_string(t.offset) +
                 ", but the data section holds " + byte_count(m_size > data_offset ? m_size - data_offset : 0) +
                 " (the file is " + byte_count(m_size) + " long): the file is truncated or the offset is wrong");
    }
}

void GgufParser::parse(GgufFile& file) {
    parse_header(file);
    parse_metadata(file);
    parse_tensor_infos(file);
    place_data_section(file);
}

std::vector<GgufValue> GgufParser::elements_of(const GgufValue& array) {
    std::vector<GgufValue> out;
    if (array.m_type != GgufValueType::Array) return out;
    out.reserve(static_cast<std::size_t>(array.m_count));   // the count was checked against the file
    // Walk the already validated bytes with a parser confined to them.
    GgufParser walk(array.m_data, array.m_n_bytes);
    for (std::uint64_t i = 0; i < array.m_count; ++i) out.push_back(walk.read_value(array.m_element_type, "element", 1));
    return out;
}

std::vector<GgufValue> GgufValue::elements() const { return GgufParser::elements_of(*this); }

// [SECTION] GgufFile: lookup and typed getters

Result<GgufFile> GgufFile::open(const std::filesystem::path& path) {
    try {
        GgufFile file;   // built here, returned only when complete
        file.m_path = path;
        Result<MappedFile> mapped = MappedFile::open(path);   // the message starts with the path
        if (!mapped.ok()) return mapped.error();
        file.m_file = std::move(mapped).value();
        try {
            GgufParser(file.m_file.data(), file.m_file.size()).parse(file);
        } catch (const LoadError& e) {
            fail(path.string() + ": " + e.what());
        }
        return file;
    } catch (const LoadError& e) {
        return Error{valid_utf8(e.what())};
    }
}

const GgufValue* GgufFile::find_key(std::string_view key) const {
    const auto it = m_key_index.find(std::string(key));
    return it == m_key_index.end() ? nullptr : &m_metadata[it->second].second;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
    const auto it = m_tensor_index.find(std::string(name));
    return it == m_tensor_index.end() ? nullptr : &m_tensors[it->second];
}

GgufTensorView GgufFile::view(const GgufTensorInfo& tensor) const {
    assert(&tensor >= m_tensors.data() && &tensor < m_tensors.data() + m_tensors.size());
    // open() checked data_offset + offset + n_bytes <= file size.
    return GgufTensorView{&tensor, m_file.data() + m_data_offset + tensor.offset, static_cast<std::size_t>(tensor.n_bytes)};
}

TensorShape GgufTensorInfo::shape() const {
    TensorShape out;
    for (auto it = dims.rbegin(); it != dims.rend(); ++it) out.push_back(static_cast<std::int64_t>(*it));
    return out;
}

namespace {

// The value under `key`, or a LoadError saying what was expected instead.
const GgufValue& require_key(const GgufFile& file, std::string_view key, const char* expected) {
    const GgufValue* v = file.find_key(key);
    if (!v) fail("key " + quote_name(key) + ": expected " + expected + ", got no such key");
    return *v;
}

[[noreturn]] void wrong_type(std::string_view key, const char* expected, const GgufValue& v, const std::string& detail = "") {
    fail("key " + quote_name(key) + ": expected " + expected + ", got " + v.describe() + detail);
}

// An array under `key` whose every element `read` accepts; `expected` names the element kind.
template <class T, class Read>
std::vector<T> require_array(const GgufFile& file, std::string_view key, const char* expected, Read read) {
    const GgufValue& v = require_key(file, key, expected);
    if (v.type() != GgufValueType::Array) wrong_type(key, expected, v);
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(v.size()));
    const std::vector<GgufValue> elements = v.elements();
    for (std::size_t i = 0; i < elements.size(); ++i) {
        std::optional<T> x = read(elements[i]);
        if (!x) wrong_type(key, expected, v, elements[i].type() == v.element_type() && is_integer(v.element_type())
                                                 ? " (element " + std::to_string(i) + " is out of range)" : "");
        out.push_back(std::move(*x));
    }
    return out;
}

// Runs a throwing getter and adds the file to its message.
template <class F>
auto with_file(const GgufFile& file, F get) -> Result<decltype(get())> {
    try {
        return get();
    } catch (const LoadError& e) {
        return Error{valid_utf8(file.path().string() + ": " + e.what())};
    }
}

}  // namespace

std::string GgufFile::require_string(std::string_view key) const {
    const GgufValue& v = require_key(*this, key, "a string");
    const auto s = v.as_string();
    if (!s) wrong_type(key, "a string", v);
    return std::string(*s);
}

std::uint64_t GgufFile::require_uint(std::string_view key) const {
    const GgufValue& v = require_key(*this, key, "an unsigned integer");
    const auto x = v.as_uint();
    if (!x) wrong_type(key, "an unsigned integer", v, is_integer(v.type()) ? " holding a negative value" : "");
    return *x;
}

std::int64_t GgufFile::require_int(std::string_view key) const {
    const GgufValue& v = require_key(*this, key, "an integer");
    const auto x = v.as_int();
    if (!x) wrong_type(key, "an integer", v, is_integer(v.type()) ? " holding a value of 2^63 or more" : "");
    return *x;
}

double GgufFile::require_float(std::string_view key) const {
    const GgufValue& v = require_key(*this, key, "a float32 or float64");
    const auto x = v.as_float();
    if (!x) wrong_type(key, "a float32 or float64", v);
    return *x;
}

bool GgufFile::require_bool(std::string_view key) const {
    const GgufValue& v = require_key(*this, key, "a bool");
    const auto x = v.as_bool();
    if (!x) wrong_type(key, "a bool", v);
    return *x;
}

std::vector<std::string> GgufFile::require_string_array(std::string_view key) const {
    return require_array<std::string>(*this, key, "an array of strings", [](const GgufValue& e) -> std::optional<std::string> {
        if (const auto s = e.as_string()) return std::string(*s);
        return std::nullopt;
    });
}

std::vector<double> GgufFile::require_float_array(std::string_view key) const {
    return require_array<double>(*this, key, "an array of numbers", [](const GgufValue& e) -> std::optional<double> {
        if (const auto f = e.as_float()) return f;
        if (const auto i = e.as_int()) return static_cast<double>(*i);
        if (const auto u = e.as_uint()) return static_cast<double>(*u);
        return std::nullopt;
    });
}

std::vector<std::int64_t> GgufFile::require_int_array(std::string_view key) const {
    return require_array<std::int64_t>(*this, key, "an array of integers", [](const GgufValue& e) { return e.as_int(); });
}

Result<std::string> GgufFile::get_string(std::string_view key) const { return with_file(*this, [&] { return require_string(key); }); }
Result<std::uint64_t> GgufFile::get_uint(std::string_view key) const { return with_file(*this, [&] { return require_uint(key); }); }
Result<std::int64_t> GgufFile::get_int(std::string_view key) const { return with_file(*this, [&] { return require_int(key); }); }
Result<double> GgufFile::get_float(std::string_view key) const { return with_file(*this, [&] { return require_float(key); }); }
Result<bool> GgufFile::get_bool(std::string_view key) const { return with_file(*this, [&] { return require_bool(key); }); }
Result<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
    return with_file(*this, [&] { return require_string_array(key); });
}
Result<std::vector<double>> GgufFile::get_float_array(std::string_view key) const {
    return with_file(*this, [&] { return require_float_array(key); });
}
Result<std::vector<std::int64_t>> GgufFile::get_int_array(std::string_view key) const {
    return with_file(*this, [&] { return require_int_array(key); });
}

}  // namespace attnscope
