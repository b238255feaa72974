// Fuzz target: bytes as a .safetensors file, through the public reader (attnscope/safetensors.h).
// Opens the file as a checkpoint, lists it, reads every tensor's bytes and every float tensor as
// floats. The reader must refuse with a message or succeed; when it succeeds, every tensor must
// lie inside the file, and the same file cut short before its last tensor's end must be refused.
#include <algorithm>
#include <cstdint>
#include <string>

#include "formats/safetensors.h"
#include "fuzz_support.h"

namespace {

using namespace attnscope;

// What a message may quote: the header, as far as the file has it (a message about the length
// itself quotes nothing).
std::string_view header_of(std::string_view bytes) {
    if (bytes.size() < 8) return {};
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    return bytes.substr(8, static_cast<std::size_t>(std::min<std::uint64_t>(length, bytes.size() - 8)));
}

void read_every_tensor(std::string_view bytes, const SafetensorsCheckpoint& checkpoint) {
    const SafetensorsFile& file = checkpoint.files().front();
    for (const TensorInfo* t : checkpoint.tensors()) {
        const std::string at = "tensor '" + fuzz::printable(t->name) + "'";
        fuzz::check(t->begin <= t->end && file.data_offset() + t->end <= file.file_size(),
                    at + ": bytes " + std::to_string(t->begin) + ".." + std::to_string(t->end) + " outside the file");
        fuzz::check(t->n_bytes() == t->n_elements * dtype_size(t->dtype), at + ": byte count does not match shape and dtype");
        const Result<TensorView> view = checkpoint.read_view(t->name);
        fuzz::check(view.ok() && view.value().n_bytes == t->n_bytes(), at + ": read_view failed or has the wrong size");

        const Result<Matrix> m = checkpoint.read_matrix(t->name);
        if (!dtype_readable_as_float(t->dtype)) {
            fuzz::check(!m.ok(), at + ": read as float although its dtype is " + dtype_name(t->dtype));
            fuzz::check_error(m.error(), at, header_of(bytes));
            continue;
        }
        fuzz::check(m.ok(), at + ": a readable tensor could not be read: " + (m.ok() ? "" : m.error().message));
        fuzz::check(static_cast<std::uint64_t>(m.value().size()) == t->n_elements, at + ": matrix size differs from the shape");
        // The shape check: the right shape reads, a wrong one is refused with a message.
        fuzz::check(checkpoint.read_matrix(t->name, t->shape).ok(), at + ": refused with its own shape");
        TensorShape wrong = t->shape;
        wrong.push_back(2);
        const Result<Matrix> refused = checkpoint.read_matrix(t->name, wrong);
        fuzz::check(!refused.ok(), at + ": read with a shape it does not have");
        fuzz::check_error(refused.error(), at, header_of(bytes));
    }
    const Result<Matrix> missing = checkpoint.read_matrix("no such tensor \xe2\x80\x99");
    fuzz::check(!missing.ok(), "read a tensor that is not there");
    fuzz::check_error(missing.error(), "missing tensor", header_of(bytes));
    (void)checkpoint.parameter_count();
    (void)checkpoint.dtype_summary();
    (void)checkpoint.metadata();
}

// A file that opened, cut one byte before its last tensor ends, must be refused: nothing is read
// past the end of a file.
void check_truncation_is_refused(std::string_view bytes, const SafetensorsCheckpoint& checkpoint) {
    const SafetensorsFile& file = checkpoint.files().front();
    std::uint64_t end = 0;
    for (const TensorInfo& t : file.tensors()) end = std::max(end, t.end);
    if (end == 0) return;  // no tensor has bytes
    const std::uint64_t cut = file.data_offset() + end - 1;
    const auto path = fuzz::write_scratch_file("cut.safetensors", bytes.substr(0, static_cast<std::size_t>(cut)));
    const Result<SafetensorsCheckpoint> reopened = SafetensorsCheckpoint::open(path);
    fuzz::check(!reopened.ok(), "a file cut before its last tensor's end was opened");
    fuzz::check_error(reopened.error(), "truncated file", header_of(bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::setup_once();
    const std::string_view bytes = fuzz::as_text(data, size);
    const auto path = fuzz::write_scratch_file("model.safetensors", bytes);
    const Result<SafetensorsCheckpoint> checkpoint = SafetensorsCheckpoint::open(path);
    if (!checkpoint.ok()) {
        fuzz::check_error(checkpoint.error(), "open", header_of(bytes));
        return 0;
    }
    fuzz::check(checkpoint.value().files().size() == 1, "one file opened as several");
    read_every_tensor(bytes, checkpoint.value());
    check_truncation_is_refused(bytes, checkpoint.value());
    return 0;
}
