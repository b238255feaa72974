// Fuzz target: the older Hugging Face tokenizer layouts, read through load_hf_tokenizer(folder)
// (attnscope/hf_tokenizer.h): GPT-2's vocab.json + merges.txt and BERT's vocab.txt, each with an
// optional tokenizer_config.json. The input is a small archive of those files:
//
//   gpt2                       the first line names the layout: "gpt2", else BERT's
//   <vocab.json>               then the files, separated by lines of "@@@@":
//   @@@@                         gpt2: vocab.json, merges.txt, tokenizer_config.json
//   <merges.txt>                 bert: vocab.txt, tokenizer_config.json
//   @@@@                       a file left out is absent from the folder.
//   <tokenizer_config.json>
//
// A tokenizer that loads encodes a few fixed strings and the input itself.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tokenize/hf_tokenizer.h"
#include "fuzz_support.h"

namespace {

using namespace attnscope;

std::vector<std::string_view> split_files(std::string_view text) {
    constexpr std::string_view kSeparator = "\n@@@@\n";
    std::vector<std::string_view> parts;
    for (std::size_t pos = 0;;) {
        const std::size_t next = text.find(kSeparator, pos);
        if (next == std::string_view::npos) {
            parts.push_back(text.substr(pos));
            return parts;
        }
        parts.push_back(text.substr(pos, next - pos));
        pos = next + kSeparator.size();
    }
}

// The folder the input describes, written afresh: the files the layout names, no others.
std::filesystem::path write_folder(std::string_view input) {
    const std::size_t first_line = std::min(input.find('\n'), input.size());
    const bool gpt2 = input.substr(0, first_line) == "gpt2";
    const std::vector<std::string_view> parts = split_files(input.substr(std::min(first_line + 1, input.size())));
    const std::vector<std::string> names = gpt2 ? std::vector<std::string>{"vocab.json", "merges.txt", "tokenizer_config.json"}
                                                : std::vector<std::string>{"vocab.txt", "tokenizer_config.json"};
    const std::filesystem::path dir = fuzz::ScratchDir::path() / "model";
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir);
    for (std::size_t i = 0; i < names.size() && i < parts.size(); ++i)
        fuzz::write_scratch_file("model/" + names[i], parts[i]);
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::setup_once();
    const std::string_view input = fuzz::as_text(data, size);
    const auto tokenizer = load_hf_tokenizer(write_folder(input));
    if (!tokenizer.ok()) {
        fuzz::check_error(tokenizer.error(), "load_hf_tokenizer", input);
        return 0;
    }
    const Tokenizer& t = *tokenizer.value();
    for (const char* sample : {"Hello world", "the capital of france is [MASK] .", " caf\xc3\xa9 \xf0\x9f\x98\x80 <|endoftext|>",
                               "\xc0\x80 invalid", ""})
        fuzz::encode_and_check(t, sample, "encode");
    fuzz::encode_and_check(t, input, "encode");
    return 0;
}
