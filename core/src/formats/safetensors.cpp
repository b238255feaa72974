// safetensors reader: header validation, dtype conversion, sharded checkpoints (the memory map
// itself, MappedFile, is mapped_file.cpp).
//
// Index
// [SECTION] Helpers
// [SECTION] Dtypes and conversion
// [SECTION] SafetensorsFile: header parsing and validation
// [SECTION] SafetensorsCheckpoint: single files, directories and sharded indexes
// [SECTION] Reading tensors
// [SECTION] Pickle files
//
// Every error is a LoadError thrown inside and turned into a Result once, in the public open()
// and read_*() functions. Messages read "<file>: <where>: expected <what>, got <what>".
#include "formats/safetensors.h"
#include "util/file_read.h"
#include "attnscope/text.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the safetensors reader converts little-endian data in place: add byte swapping for this CPU"
#endif

namespace attnscope {

// [SECTION] Helpers
namespace {

using json = nlohmann::json;

// The table of dtype names as the files spell them; the enum is only ever seen by code.
struct DtypeEntry {
    Dtype dtype;
    const char* name;
    std::size_t size;
};
constexpr std::array<DtypeEntry, static_cast<std::size_t>(Dtype::Count)> kDtypes = {{
    {Dtype::BOOL, "BOOL", 1},   {Dtype::U8, "U8", 1},     {Dtype::I8, "I8", 1},
    {Dtype::F8_E5M2, "F8_E5M2", 1}, {Dtype::F8_E4M3, "F8_E4M3", 1},
    {Dtype::I16, "I16", 2},     {Dtype::U16, "U16", 2},   {Dtype::F16, "F16", 2},
    {Dtype::BF16, "BF16", 2},   {Dtype::I32, "I32", 4},   {Dtype::U32, "U32", 4},
    {Dtype::F32, "F32", 4},     {Dtype::F64, "F64", 8},   {Dtype::I64, "I64", 8},
    {Dtype::U64, "U64", 8},
}};
static_assert(kDtypes.size() == static_cast<std::size_t>(Dtype::Count), "give every dtype a name and size");

const DtypeEntry& entry_of(Dtype dtype) {
    const auto i = static_cast<std::size_t>(dtype);
    assert(i < kDtypes.size() && kDtypes[i].dtype == dtype);
    return kDtypes[i];
}

[[noreturn]] void fail(const std::string& what) { throw LoadError(what); }

std::string quote_name(std::string_view name) { return "'" + std::string(name) + "'"; }

// A JSON value for a message, cut short so a hostile header cannot make a megabyte message.
std::string describe(const json& value) {
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    constexpr std::size_t kMax = 80;
    if (text.size() > kMax) text = text.substr(0, kMax) + "...";
    return text;
}

std::string byte_count(std::uint64_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

// Whether value is a JSON integer >= 0 (nlohmann keeps "-0" signed, so both kinds are checked).
std::optional<std::uint64_t> as_unsigned(const json& value) {
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0) return value.get<std::uint64_t>();
    return std::nullopt;
}

std::uint16_t load_u16(const std::uint8_t* p) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);   // no alignment is promised inside the data section
    return v;
}

float bits_to_float(std::uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

std::uint32_t float_to_bits(float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

}  // namespace

// [SECTION] Dtypes and conversion

const char* dtype_name(Dtype dtype) { return entry_of(dtype).name; }
std::size_t dtype_size(Dtype dtype) { return entry_of(dtype).size; }

bool dtype_readable_as_float(Dtype dtype) {
    return dtype == Dtype::F32 || dtype == Dtype::F16 || dtype == Dtype::BF16;
}

std::optional<Dtype> dtype_from_name(std::string_view name) {
    for (const DtypeEntry& e : kDtypes)
        if (name == e.name) return e.dtype;
    return std::nullopt;
}

// Half to float without branches, so the loop in convert_to_float vectorises (F. Giesen's method).
// Shifting the 15 exponent+mantissa bits left by 13 puts them in float position; adding
// (127 - 15) << 23 rebiases the exponent of a normal number. Exponent 31 (inf/NaN) must become
// 255, so it gets another (128 - 16) << 23. A subnormal (exponent 0) is mantissa * 2^-24: build
// 2^-14 * (1 + mantissa / 2^10) with the exponent of 2^-14 and subtract 2^-14 (exact in float).
float f16_to_float(std::uint16_t bits) {
    const std::uint32_t em = static_cast<std::uint32_t>(bits & 0x7fffu) << 13;
    const std::uint32_t exponent = em & 0x0f800000u;   // 0x7c00 << 13
    const std::uint32_t normal = em + 0x38000000u;     // (127 - 15) << 23
    const std::uint32_t inf_nan = em + 0x70000000u;    // + (128 - 16) << 23
    const float magic = bits_to_float(0x38800000u);    // 2^-14: exponent 113
    const std::uint32_t subnormal = float_to_bits(bits_to_float(em + 0x38800000u) - magic);
    const std::uint32_t magnitude =
        exponent == 0x0f800000u ? inf_nan : (exponent == 0 ? subnormal : normal);
    return bits_to_float(magnitude | (static_cast<std::uint32_t>(bits & 0x8000u) << 16));
}

// bfloat16 is the top half of a float32.
float bf16_to_float(std::uint16_t bits) { return bits_to_float(static_cast<std::uint32_t>(bits) << 16); }

void convert_to_float(Dtype dtype, const std::uint8_t* bytes, std::size_t count, float* out) {
    assert(dtype_readable_as_float(dtype));
    if (count == 0) return;   // an empty tensor's Matrix has no storage: memcpy must not see its null pointer
    switch (dtype) {
        case Dtype::F32:
            std::memcpy(out, bytes, count * sizeof(float));
            return;
        // omp simd: vectorised at -O2 too (OpenMP is on for all of core); the loads are unaligned.
        case Dtype::F16:
#pragma omp simd
            for (std::size_t i = 0; i < count; ++i) out[i] = f16_to_float(load_u16(bytes + 2 * i));
            return;
        case Dtype::BF16:
#pragma omp simd
            for (std::size_t i = 0; i < count; ++i) out[i] = bf16_to_float(load_u16(bytes + 2 * i));
            return;
        default:
            assert(false && "convert_to_float: dtype not readable as float");
    }
}

std::string shape_to_string(const TensorShape& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) text += ", ";
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

// [SECTION] SafetensorsFile: header parsing and validation
namespace {

// One tensor entry of the header: {"dtype": "F32", "shape": [2, 6], "data_offsets": [24, 72]}.
TensorInfo parse_tensor_entry(const std::string& name, const json& entry) {
    const std::string where = "tensor " + quote_name(name) + ": ";
    if (!entry.is_object())
        fail(where + "expected an object with dtype, shape and data_offsets, got " + describe(entry));
    TensorInfo t;
    t.name = name;

    const auto dtype_it = entry.find("dtype");
    if (dtype_it == entry.end()) fail(where + "expected a \"dtype\", got none");
    const std::optional<Dtype> dtype =
        dtype_it->is_string() ? dtype_from_name(dtype_it->get_ref<const std::string&>()) : std::nullopt;
    if (!dtype)
        fail(where + "expected a dtype (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, ...), got " +
             describe(*dtype_it));
    t.dtype = *dtype;

    // Element count with overflow checks. Zero dimensions are skipped in `nonzero` so that every
    // partial product (the 2-D views of read_matrix) fits in int64 too.
    const auto shape_it = entry.find("shape");
    if (shape_it == entry.end()) fail(where + "expected a \"shape\", got none");
    if (!shape_it->is_array()) fail(where + "expected shape to be an array of dimensions, got " + describe(*shape_it));
    std::uint64_t nonzero = 1;
    bool has_zero = false;
    for (const json& dim : *shape_it) {
        const std::optional<std::uint64_t> d = as_unsigned(dim);
        if (!d) fail(where + "expected non-negative integer dimensions, got shape " + describe(*shape_it));
        constexpr auto kMaxDim = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (*d == 0) has_zero = true;
        if (*d > kMaxDim || (*d != 0 && __builtin_mul_overflow(nonzero, *d, &nonzero)) || nonzero > kMaxDim)
            fail(where + "expected a shape whose element count fits in 63 bits, got " + describe(*shape_it));
        t.shape.push_back(static_cast<std::int64_t>(*d));
    }
    t.n_elements = has_zero ? 0 : nonzero;

    const auto offsets_it = entry.find("data_offsets");
    if (offsets_it == entry.end()) fail(where + "expected \"data_offsets\" [begin, end], got none");
    const json& offsets = *offsets_it;
    const bool is_pair = offsets.is_array() && offsets.size() == 2;
    if (!is_pair || !as_unsigned(offsets[0]) || !as_unsigned(offsets[1]))
        fail(where + "expected data_offsets [begin, end] of two non-negative integers, got " + describe(offsets));
    t.begin = offsets[0].get<std::uint64_t>();
    t.end = offsets[1].get<std::uint64_t>();
    if (t.begin > t.end) fail(where + "expected data_offsets with begin <= end, got " + describe(offsets) + " (reversed)");

    std::uint64_t expected_bytes = 0;
    if (__builtin_mul_overflow(t.n_elements, static_cast<std::uint64_t>(dtype_size(t.dtype)), &expected_bytes))
        fail(where + "expected a shape whose size in bytes fits in 64 bits, got " + shape_to_string(t.shape) +
             " of " + dtype_name(t.dtype));
    if (t.n_bytes() != expected_bytes)
        fail(where + "expected " + byte_count(expected_bytes) + " (" + std::string(dtype_name(t.dtype)) + " " +
             shape_to_string(t.shape) + "), got data_offsets " + describe(offsets) + " (" + byte_count(t.n_bytes()) + ")");
    return t;
}

std::map<std::string, std::string> parse_metadata(const json& node) {
    if (!node.is_object()) fail("header: expected __metadata__ to be an object of strings, got " + describe(node));
    std::map<std::string, std::string> metadata;
    for (const auto& [key, value] : node.items())
        metadata[key] = value.is_string() ? value.get<std::string>() : value.dump();
    return metadata;
}

// A parser callback refusing JSON nested deeper than any header or index (3 levels): the messages
// dump() the values they quote, which recurses once per level, so a header of a million '[' would
// exhaust the stack. `where` starts the message.
bool check_depth(int depth, json::parse_event_t event, const std::string& where) {
    constexpr int kMaxDepth = 64;
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) && depth >= kMaxDepth)
        fail(where + "expected JSON nested at most " + std::to_string(kMaxDepth) + " levels deep, got deeper");
    return true;
}

// Parses the header JSON, refusing a tensor name listed twice (plain parsing keeps the last one).
json parse_header_json(const std::uint8_t* first, const std::uint8_t* last) {
    std::set<std::string> seen;
    auto reject_duplicates = [&](int depth, json::parse_event_t event, json& parsed) {
        check_depth(depth, event, "header: ");
        if (event == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
            const std::string& key = parsed.get_ref<const std::string&>();
            if (!seen.insert(key).second) fail("header: expected each tensor once, got " + quote_name(key) + " twice");
        }
        return true;
    };
    try {
        return json::parse(first, last, reject_duplicates);
    } catch (const json::exception& e) {  // parse_error, or out_of_range for a number such as 1e999
        // e.what() starts "[json.exception.parse_error.101] "; keep what follows.
        std::string detail = valid_utf8(e.what());
        const std::size_t cut = detail.find("] ");
        if (cut != std::string::npos) detail = detail.substr(cut + 2);
        fail("header: expected JSON, got a syntax error (" + detail + ")");
    }
}

}  // namespace

SafetensorsFile SafetensorsFile::open_or_throw(const std::filesystem::path& path) {
    SafetensorsFile file;
    file.m_path = path;
    file.m_file = MappedFile::map_or_throw(path);
    if (std::optional<Error> refusal = refuse_pickle(path)) fail(refusal->message);   // before any parsing
    try {
        file.parse_header();
    } catch (const LoadError& e) {
        fail(path.string() + ": " + valid_utf8(e.what()));
    }
    return file;
}

void SafetensorsFile::parse_header() {
    // The header length: 8 bytes little-endian, checked against the file before anything is read.
    const std::uint64_t file_size = m_file.size();
    if (file_size < 8)
        fail("expected at least 8 bytes (the header length), got a file of " + byte_count(file_size));
    std::uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | m_file.data()[i];
    if (header_size < 2) fail("expected a header length of at least 2 (a JSON object), got " + std::to_string(header_size));
    if (header_size > kMaxHeaderBytes)
        fail("expected a header length of at most " + std::to_string(kMaxHeaderBytes) + ", got " +
             std::to_string(header_size));
    if (header_size > file_size - 8)   // file_size >= 8: no underflow
        fail("expected a header length of at most " + std::to_string(file_size - 8) +
             " (the bytes after the length field), got " + std::to_string(header_size) +
             ": the file is truncated or not a safetensors file");
    m_data_offset = 8 + header_size;
    const std::uint64_t data_size = file_size - m_data_offset;

    const json header = parse_header_json(m_file.data() + 8, m_file.data() + m_data_offset);
    if (!header.is_object()) fail("header: expected a JSON object, got " + std::string(header.type_name()));

    // Build locally, publish at the end: nothing is half-loaded.
    std::vector<TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__")
            metadata = parse_metadata(entry);
        else
            tensors.push_back(parse_tensor_entry(name, entry));
    }

    // Every tensor's bytes inside the file. In data order, so a file cut short names the first
    // tensor it lost (overlapping tensors are allowed; bytes outside the file never are).
    std::vector<const TensorInfo*> by_offset;
    for (const TensorInfo& t : tensors) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
    });
    const auto first_missing = std::find_if(by_offset.begin(), by_offset.end(),
                                            [&](const TensorInfo* t) { return t->end > data_size; });
    if (first_missing != by_offset.end()) {
        const TensorInfo& t = **first_missing;
        const auto n_more = std::count_if(first_missing + 1, by_offset.end(),
                                          [&](const TensorInfo* u) { return u->end > data_size; });
        fail("tensor " + quote_name(t.name) + " needs bytes " + std::to_string(t.begin) + ".." + std::to_string(t.end) +
             " of the data section, but the data section ends at byte " + std::to_string(data_size) +
             " (the file is " + byte_count(file_size) + " long; " +
             (n_more == 0 ? std::string("no later tensor is missing")
                           : std::to_string(n_more) + (n_more == 1 ? " later tensor is" : " later tensors are") + " missing too") +
             "): the file is truncated or its offsets are wrong");
    }

    // nlohmann keeps object keys sorted, so `tensors` is already in name order.
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < tensors.size(); ++i) index.emplace(tensors[i].name, i);
    m_tensors = std::move(tensors);
    m_index = std::move(index);
    m_metadata = std::move(metadata);
}

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
    try {
        return open_or_throw(path);
    } catch (const LoadError& e) {
        return Error{valid_utf8(e.what())};
    }
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
    const auto it = m_index.find(std::string(name));
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

void SafetensorsFile::prefetch(const TensorInfo& tensor) const {
    m_file.advise_will_need(static_cast<std::size_t>(m_data_offset + tensor.begin), static_cast<std::size_t>(tensor.n_bytes()));
}

TensorView SafetensorsFile::view(const TensorInfo& tensor) const {
    assert(&tensor >= m_tensors.data() && &tensor < m_tensors.data() + m_tensors.size());
    // open() checked begin <= end <= data size, so this stays inside the map.
    return TensorView{&tensor, m_file.data() + m_data_offset + tensor.begin, static_cast<std::size_t>(tensor.n_bytes())};
}

// [SECTION] SafetensorsCheckpoint: single files, directories and sharded indexes
namespace {

constexpr const char* kIndexFileName = "model.safetensors.index.json";
constexpr const char* kSingleFileName = "model.safetensors";

bool ends_with(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_file(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

// A shard must be a plain file name next to the index: no directories, no "..", nothing absolute.
bool is_plain_file_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

// The checkpoint inside a directory: the index, else model.safetensors, else the only *.safetensors.
std::filesystem::path checkpoint_in_directory(const std::filesystem::path& dir) {
    if (is_file(dir / kIndexFileName)) return dir / kIndexFileName;
    if (is_file(dir / kSingleFileName)) return dir / kSingleFileName;
    std::vector<std::filesystem::path> candidates, pickles;
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = item.path().filename().string();
        if (!is_file(item.path())) continue;
        if (ends_with(name, ".safetensors")) candidates.push_back(item.path());
        const std::string ext = item.path().extension().string();
        if (ext == ".bin" || ext == ".pt" || ext == ".pth") pickles.push_back(item.path());
    }
    std::sort(candidates.begin(), candidates.end());
    if (candidates.size() == 1) return candidates.front();
    if (candidates.size() > 1)
        fail(dir.string() + ": expected " + kIndexFileName + " to say which of " + std::to_string(candidates.size()) +
             " .safetensors files belong to the model, got none");
    if (!pickles.empty()) {
        std::sort(pickles.begin(), pickles.end());
        fail(refuse_pickle(pickles.front())->message);
    }
    fail(dir.string() + ": expected " + kSingleFileName + " or " + kIndexFileName + ", got neither");
}

}  // namespace

SafetensorsCheckpoint SafetensorsCheckpoint::open_or_throw(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return open_or_throw(checkpoint_in_directory(path));
    if (ends_with(path.filename().string(), ".index.json")) return open_index_or_throw(path);

    SafetensorsCheckpoint checkpoint;
    checkpoint.m_path = path;
    checkpoint.m_files.push_back(SafetensorsFile::open_or_throw(path));
    const std::vector<TensorInfo>& tensors = checkpoint.m_files.front().tensors();
    for (std::size_t i = 0; i < tensors.size(); ++i) checkpoint.m_tensors.emplace(tensors[i].name, Location{0, i});
    return checkpoint;
}

// {"metadata": {...}, "weight_map": {"tensor name": "model-00001-of-00002.safetensors", ...}}
SafetensorsCheckpoint SafetensorsCheckpoint::open_index_or_throw(const std::filesystem::path& index_path) {
    const std::string where = index_path.string() + ": ";
    const MappedFile index_file = MappedFile::map_or_throw(index_path);
    if (index_file.size() > SafetensorsFile::kMaxHeaderBytes)
        fail(where + "expected an index of at most " + std::to_string(SafetensorsFile::kMaxHeaderBytes) +
             " bytes, got " + std::to_string(index_file.size()));
    json index;
    try {
        index = json::parse(index_file.data(), index_file.data() + index_file.size(),
                            [&](int depth, json::parse_event_t event, json&) { return check_depth(depth, event, where); });
    } catch (const json::exception& e) {  // parse_error, or out_of_range for a number such as 1e999
        fail(where + "expected JSON, got a syntax error (" + valid_utf8(e.what()) + ")");
    }
    const auto map_it = index.is_object() ? index.find("weight_map") : index.end();
    if (!index.is_object() || map_it == index.end() || !map_it->is_object())
        fail(where + "expected an object with \"weight_map\": {tensor name: shard file name}, got " + describe(index));
    if (map_it->empty()) fail(where + "expected at least one tensor in weight_map, got none");

    // Check every name before opening anything, then open each shard once.
    const std::filesystem::path dir = index_path.parent_path();
    SafetensorsCheckpoint checkpoint;
    checkpoint.m_path = index_path;
    std::map<std::string, std::size_t> shard_of_name;   // shard file name -> index into m_files
    for (const auto& [tensor, shard] : map_it->items()) {
        const std::string in_map = "tensor " + quote_name(tensor) + " is mapped to shard ";
        if (!shard.is_string()) fail(where + in_map + describe(shard) + ": expected a file name");
        const std::string& shard_name = shard.get_ref<const std::string&>();
        if (!is_plain_file_name(shard_name))
            fail(where + in_map + quote_name(shard_name) + ": expected a plain file name in the index's directory");
        if (shard_of_name.count(shard_name) > 0) continue;
        if (!is_file(dir / shard_name))
            fail(where + in_map + quote_name(shard_name) + ", which does not exist in " +
                 (dir.empty() ? std::string(".") : dir.string()));
        shard_of_name.emplace(shard_name, shard_of_name.size());
    }
    std::vector<std::string> shard_names(shard_of_name.size());
    for (const auto& [name, i] : shard_of_name) shard_names[i] = name;
    for (const std::string& name : shard_names) checkpoint.m_files.push_back(SafetensorsFile::open_or_throw(dir / name));

    for (const auto& [tensor, shard] : map_it->items()) {
        const std::size_t file = shard_of_name.at(shard.get<std::string>());
        const TensorInfo* info = checkpoint.m_files[file].find(tensor);
        if (!info)
            fail(where + "tensor " + quote_name(tensor) + " is mapped to shard " + quote_name(shard.get<std::string>()) +
                 ", which does not contain it");
        const std::size_t i = static_cast<std::size_t>(info - checkpoint.m_files[file].tensors().data());
        checkpoint.m_tensors.emplace(tensor, Location{file, i});
    }
    return checkpoint;
}

Result<SafetensorsCheckpoint> SafetensorsCheckpoint::open(const std::filesystem::path& path) {
    try {
        return open_or_throw(path);
    } catch (const LoadError& e) {
        return Error{valid_utf8(e.what())};
    }
}

const std::map<std::string, std::string>& SafetensorsCheckpoint::metadata() const {
    static const std::map<std::string, std::string> kNone;
    return m_files.empty() ? kNone : m_files.front().metadata();
}

const TensorInfo* SafetensorsCheckpoint::find(std::string_view name) const {
    const auto it = m_tensors.find(name);
    if (it == m_tensors.end()) return nullptr;
    return &m_files[it->second.file].tensors()[it->second.tensor];
}

const SafetensorsFile* SafetensorsCheckpoint::file_of(std::string_view name) const {
    const auto it = m_tensors.find(name);
    return it == m_tensors.end() ? nullptr : &m_files[it->second.file];
}

std::vector<const TensorInfo*> SafetensorsCheckpoint::tensors() const {
    std::vector<const TensorInfo*> out;
    out.reserve(m_tensors.size());
    for (const auto& [name, at] : m_tensors) out.push_back(&m_files[at.file].tensors()[at.tensor]);
    return out;
}

std::vector<std::string> SafetensorsCheckpoint::tensor_names() const {
    std::vector<std::string> out;
    out.reserve(m_tensors.size());
    for (const auto& [name, at] : m_tensors) out.push_back(name);
    return out;
}

std::uint64_t SafetensorsCheckpoint::parameter_count() const {
    std::uint64_t total = 0;   // each count is bounded by the file's bytes, so the sum cannot overflow
    for (const TensorInfo* t : tensors()) total += t->n_elements;
    return total;
}

std::vector<DtypeSummary> SafetensorsCheckpoint::dtype_summary() const {
    std::vector<DtypeSummary> all(static_cast<std::size_t>(Dtype::Count));
    for (const TensorInfo* t : tensors()) {
        DtypeSummary& s = all[static_cast<std::size_t>(t->dtype)];
        s.dtype = t->dtype;
        s.n_tensors += 1;
        s.n_elements += t->n_elements;
        s.n_bytes += t->n_bytes();
    }
    std::vector<DtypeSummary> present;
    for (const DtypeSummary& s : all)
        if (s.n_tensors > 0) present.push_back(s);
    return present;
}

// [SECTION] Reading tensors

TensorView SafetensorsCheckpoint::require_view(std::string_view name) const {
    const auto it = m_tensors.find(name);
    if (it == m_tensors.end()) fail("tensor " + quote_name(name) + ": expected in the checkpoint, got no such tensor");
    const SafetensorsFile& file = m_files[it->second.file];
    return file.view(file.tensors()[it->second.tensor]);
}

Matrix SafetensorsCheckpoint::require_matrix(std::string_view name) const {
    const TensorView view = require_view(name);
    const TensorInfo& t = *view.info;
    if (!dtype_readable_as_float(t.dtype))
        fail("tensor " + quote_name(name) + ": expected dtype F32, F16 or BF16 to read as float, got " + dtype_name(t.dtype));
    // The 2-D view: [] -> 1 x 1, [n] -> 1 x n, [a, b, ...] -> a x (b * ...). open() made sure the
    // product of the non-zero dimensions fits in int64.
    Index rows = 1, cols = 1;
    if (t.shape.size() == 1) cols = t.shape[0];
    if (t.shape.size() >= 2) {
        rows = t.shape[0];
        for (std::size_t i = 1; i < t.shape.size(); ++i) cols *= t.shape[i];
    }
    Matrix m(rows, cols);
    assert(static_cast<std::uint64_t>(m.size()) == t.n_elements);
    file_of(name)->prefetch(t);   // ask for the pages before the conversion walks them
    convert_to_float(t.dtype, view.data, static_cast<std::size_t>(t.n_elements), m.data());
    return m;
}

Matrix SafetensorsCheckpoint::require_matrix(std::string_view name, const TensorShape& expected) const {
    const TensorInfo* t = find(name);
    if (!t) fail("tensor " + quote_name(name) + ": expected shape " + shape_to_string(expected) + ", got no such tensor");
    if (t->shape != expected)
        fail("tensor " + quote_name(name) + ": expected shape " + shape_to_string(expected) + ", got " + shape_to_string(t->shape));
    return require_matrix(name);
}

Result<TensorView> SafetensorsCheckpoint::read_view(std::string_view name) const {
    try {
        return require_view(name);
    } catch (const LoadError& e) {
        return Error{m_path.string() + ": " + valid_utf8(e.what())};
    }
}

Result<Matrix> SafetensorsCheckpoint::read_matrix(std::string_view name) const {
    try {
        return require_matrix(name);
    } catch (const LoadError& e) {
        const SafetensorsFile* file = file_of(name);
        return Error{(file ? file->path() : m_path).string() + ": " + valid_utf8(e.what())};
    }
}

Result<Matrix> SafetensorsCheckpoint::read_matrix(std::string_view name, const TensorShape& expected) const {
    try {
        return require_matrix(name, expected);
    } catch (const LoadError& e) {
        const SafetensorsFile* file = file_of(name);
        return Error{(file ? file->path() : m_path).string() + ": " + valid_utf8(e.what())};
    }
}

// [SECTION] Pickle files

bool looks_like_pickle(const std::filesystem::path& path) {
    const std::string ext = path.extension().string();
    if (ext == ".bin" || ext == ".pt" || ext == ".pth" || ext == ".ckpt") return true;
    // A .safetensors file can legitimately start with 0x80 (its header length), so only other
    // names are judged by content: a zip archive (torch.save since 1.6) or a raw pickle (protocol 2-5).
    if (ext == ".safetensors" || !is_file(path)) return false;
    std::ifstream in(path, std::ios::binary);
    unsigned char magic[4] = {};
    in.read(reinterpret_cast<char*>(magic), sizeof magic);
    if (in.gcount() >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) return true;
    return in.gcount() >= 2 && magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5;
}

std::optional<Error> refuse_pickle(const std::filesystem::path& path) {
    if (!looks_like_pickle(path)) return std::nullopt;
    const std::string name = path.filename().string();
    return Error{path.string() +
                 ": PyTorch pickle files are not read (loading one can run code); convert the model to "
                 ".safetensors, e.g. `python -c \"import torch; from safetensors.torch import save_file; "
                 "sd = torch.load('" + name + "', map_location='cpu', weights_only=True); "
                 "save_file({k: v.contiguous().clone() for k, v in sd.items()}, 'model.safetensors', "
                 "metadata={'format': 'pt'})\"`, or with transformers: "
                 "model.save_pretrained(directory, safe_serialization=True)"};
}

}  // namespace attnscope
