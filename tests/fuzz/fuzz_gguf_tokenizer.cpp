// Fuzz target: bytes as a .gguf file, through the GGUF reader and then the tokenizer its tokenizer.*
// metadata describes (tokenize/gguf_tokenizer.h). A file the reader opens either gives a tokenizer
// or a message that starts with the file; a tokenizer encodes a few fixed strings (special-token
// look-alikes, bytes of a split character, invalid UTF-8, nothing) and the input itself, and every
// token must pass fuzz::check_tokens. Seeds: one vocabulary per model (llama, gpt2 with several
// tokenizer.ggml.pre names, bert).
#include <cstdint>
#include <string>

#include "formats/gguf.h"
#include "fuzz_support.h"
#include "tokenize/gguf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace attnscope;
    fuzz::setup_once();
    const std::string_view input = fuzz::as_text(data, size);
    const std::filesystem::path file = fuzz::write_scratch_file("vocab.gguf", input);
    const Result<GgufFile> opened = GgufFile::open(file);
    if (!opened.ok()) return 0;  // the reader's refusals are fuzz_gguf's to check
    const auto tokenizer = load_gguf_tokenizer(opened.value());
    if (!tokenizer.ok()) {
        fuzz::check_error(tokenizer.error(), "load_gguf_tokenizer", input);
        fuzz::check(tokenizer.error().message.rfind(file.string() + ": ", 0) == 0,
                    "the message does not start with the file: " + fuzz::printable(tokenizer.error().message));
        return 0;
    }
    const Tokenizer& t = *tokenizer.value();
    for (const char* sample : {"Hello world 123", " caf\xc3\xa9 \xf0\x9f\xa6\x99 <s></s><|endoftext|>[CLS]", "\t\n  x\r\n",
                               "\xc0\x80 invalid", ""})
        fuzz::encode_and_check(t, sample, "encode");
    fuzz::encode_and_check(t, input.substr(0, 256), "encode");
    return 0;
}
