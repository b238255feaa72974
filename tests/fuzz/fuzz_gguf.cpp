// Fuzz target: bytes as a .gguf file, through the GGUF container reader (formats/gguf.h).
// The reader must refuse with a message or succeed. When it succeeds: every tensor lies inside the
// file at an aligned offset, its byte size is its element count in whole blocks of its type, every
// metadata value can be read through every accessor and getter (a getter of the wrong type gives a
// message naming the file), nested arrays can be walked, and the same file cut one byte before its
// last tensor's end is refused; then the file as a model (load_model) loads or names the file,
// and a model traces a short text or says why not.
#include <algorithm>
#include <cstdint>
#include <string>

#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "formats/gguf.h"
#include "fuzz_support.h"

namespace {

using namespace attnscope;

void check_getter_error(const GgufFile& file, const Error& error, const std::string& at, std::string_view bytes) {
    fuzz::check_error(error, at, bytes);
    fuzz::check(error.message.rfind(file.path().string() + ": ", 0) == 0, at + ": the message does not start with the file");
}

// Every accessor of a value, and of its elements down the nesting.
void walk_value(const GgufValue& v, const std::string& at, int depth) {
    fuzz::check(depth <= GgufFile::kMaxArrayDepth, at + ": arrays nested deeper than the reader allows");
    (void)v.describe();
    (void)v.as_uint();
    (void)v.as_int();
    (void)v.as_float();
    (void)v.as_bool();
    if (const auto s = v.as_string()) fuzz::check(v.type() == GgufValueType::String, at + ": a string from a non-string");
    if (v.type() != GgufValueType::Array) return;
    const std::vector<GgufValue> elements = v.elements();
    fuzz::check(elements.size() == v.size(), at + ": elements() gave " + std::to_string(elements.size()) + " of " +
                                                 std::to_string(v.size()));
    for (const GgufValue& e : elements) {
        fuzz::check(e.type() == v.element_type(), at + ": an element of another type than the array's");
        walk_value(e, at + "[]", depth + 1);
    }
}

void read_every_key(std::string_view bytes, const GgufFile& file) {
    for (const auto& [key, value] : file.metadata()) {
        const std::string at = "key '" + fuzz::printable(key) + "'";
        fuzz::check(file.find_key(key) == &value, at + ": find_key does not find it");
        walk_value(value, at, 0);
        auto getter = [&](const auto& result, const char* what) {
            if (!result.ok()) check_getter_error(file, result.error(), at + " " + what, bytes);
        };
        getter(file.get_string(key), "get_string");
        getter(file.get_uint(key), "get_uint");
        getter(file.get_int(key), "get_int");
        getter(file.get_float(key), "get_float");
        getter(file.get_bool(key), "get_bool");
        getter(file.get_string_array(key), "get_string_array");
        getter(file.get_float_array(key), "get_float_array");
        getter(file.get_int_array(key), "get_int_array");
    }
    const Result<std::string> missing = file.get_string("no such key \xe2\x80\x99");
    fuzz::check(!missing.ok(), "read a key that is not there");
    check_getter_error(file, missing.error(), "missing key", bytes);
}

void check_every_tensor(const GgufFile& file) {
    fuzz::check(file.data_offset() % file.alignment() == 0, "the data section is not aligned");
    for (const GgufTensorInfo& t : file.tensors()) {
        const std::string at = "tensor '" + fuzz::printable(t.name) + "'";
        fuzz::check(file.find_tensor(t.name) == &t, at + ": find_tensor does not find it");
        const GgmlTypeInfo& type = ggml_type_info(t.type);
        fuzz::check(!t.dims.empty() && t.dims.size() <= GgufFile::kMaxDims, at + ": a dimension count outside 1..4");
        fuzz::check(t.dims[0] % type.block_size == 0, at + ": a row that is not whole blocks");
        std::uint64_t n = 1;
        for (const std::uint64_t d : t.dims) n *= d;   // the reader checked this cannot overflow
        fuzz::check(n == t.n_elements, at + ": the element count is not the product of the dimensions");
        fuzz::check(t.n_bytes == t.n_elements / type.block_size * type.block_bytes, at + ": a byte size that is not whole blocks");
        fuzz::check(t.offset % file.alignment() == 0, at + ": a misaligned offset");
        fuzz::check(file.data_offset() + t.offset + t.n_bytes <= file.file_size(), at + ": bytes outside the file");
        const GgufTensorView view = file.view(t);
        fuzz::check(view.n_bytes == t.n_bytes, at + ": a view of another size");
        if (view.n_bytes > 0) {   // touch both ends: outside the map this would fault
            volatile std::uint8_t first = view.data[0], last = view.data[view.n_bytes - 1];
            (void)first;
            (void)last;
        }
        (void)t.shape();
    }
}

// A file that opened, cut one byte before its last tensor's end, must be refused.
void check_truncation_is_refused(std::string_view bytes, const GgufFile& file) {
    std::uint64_t end = 0;
    for (const GgufTensorInfo& t : file.tensors())
        if (t.n_bytes > 0) end = std::max(end, file.data_offset() + t.offset + t.n_bytes);
    if (end == 0) return;   // no tensor has bytes
    const auto path = fuzz::write_scratch_file("cut.gguf", bytes.substr(0, static_cast<std::size_t>(end - 1)));
    const Result<GgufFile> reopened = GgufFile::open(path);
    fuzz::check(!reopened.ok(), "a file cut before its last tensor's end was opened");
    fuzz::check_error(reopened.error(), "truncated file", bytes);
}

// A sound container as a model (models/gguf_model.cpp reads its metadata and tensors): a model or
// a message naming the file; a model traces a short text or says why not.
void check_model(const std::filesystem::path& path, std::string_view bytes) {
    const Result<ModelPtr> model = load_model(path.string());
    if (!model.ok()) {
        fuzz::check_error(model.error(), "load_model", bytes);
        fuzz::check(model.error().message.rfind(path.string() + ": ", 0) == 0, "load_model: the message does not start with the file");
        return;
    }
    const auto trace = compute_trace(*model.value(), "the bank");
    if (!trace.ok()) fuzz::check_error(trace.error(), "trace", bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::setup_once();
    const std::string_view bytes = fuzz::as_text(data, size);
    const auto path = fuzz::write_scratch_file("model.gguf", bytes);
    const Result<GgufFile> file = GgufFile::open(path);
    if (!file.ok()) {
        fuzz::check_error(file.error(), "open", bytes);
        fuzz::check(file.error().message.rfind(path.string() + ": ", 0) == 0, "open: the message does not start with the file");
        return 0;
    }
    read_every_key(bytes, file.value());
    check_every_tensor(file.value());
    check_truncation_is_refused(bytes, file.value());
    check_model(path, bytes);
    return 0;
}
