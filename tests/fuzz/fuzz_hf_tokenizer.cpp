// Fuzz target: text as a Hugging Face tokenizer.json (attnscope/hf_tokenizer.h). A tokenizer that
// loads encodes a few fixed strings (words, accents, emoji, special-token look-alikes, invalid
// UTF-8, a long run) and the input itself; every result must pass fuzz::check_tokens, and the ids
// must decode without failing.
#include <cstdint>
#include <string>

#include "tokenize/hf_tokenizer.h"
#include "fuzz_support.h"

namespace {

const char* const kTexts[] = {
    "Hello world",
    "The capital of France is [MASK] .",
    "  caf\xc3\xa9  na\xc3\xafve\tdon't 123,456.78 ",
    "\xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87 \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",  // emoji, CJK, Arabic
    "<s><|endoftext|>[CLS]</s><unk>",
    "a\xcc\x81 \xe2\x80\x8b \x01\x7f",  // a combining accent, a zero-width space, controls
    "\xff\xfe invalid",                    // not UTF-8: refused with the byte offset
    "",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace attnscope;
    fuzz::setup_once();
    const std::string_view text = fuzz::as_text(data, size);
    const auto tokenizer = load_hf_tokenizer_json(text, "tokenizer.json");
    if (!tokenizer.ok()) {
        fuzz::check_error(tokenizer.error(), "load_hf_tokenizer_json", text);
        return 0;
    }
    const Tokenizer& t = *tokenizer.value();
    (void)t.kind();
    for (const char* sample : kTexts) fuzz::encode_and_check(t, sample, "encode");
    fuzz::encode_and_check(t, std::string(300, 'a') + " " + std::string(100, ' ') + std::string(50, '!'), "encode");
    fuzz::encode_and_check(t, text, "encode");
    return 0;
}
