// Fuzz target: the Unigram model and the Precompiled normalizer of tokenizer.json
// (core/src/tokenize/hf_tokenizer_unigram.cpp, hf_tokenizer_precompiled.cpp). The first byte picks
// what the rest is:
// - even: a precompiled_charsmap blob, raw bytes (base64-encoded here, so mutations reach the
//   double-array trie and its offsets instead of dying in base64), put into a small Unigram
//   tokenizer.json;
// - odd: a whole tokenizer.json (the seeds are Unigram files: old format, byte fallback, scores).
// A tokenizer that loads encodes fixed texts and the input; fuzz::check_tokens checks every token.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tokenize/hf_tokenizer.h"
#include "fuzz_support.h"

namespace {

const char* const kTexts[] = {
    "Hello world",
    "ABCd A\xcc\x81 \xef\xbd\xb6\xef\xbe\x9e",  // rules of the seed map, a combining accent, half-width kana
    "  caf\xc3\xa9  na\xc3\xafve\tdon't 123,456.78 \r\n",
    "\xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87 \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",  // emoji, CJK, Arabic
    "</s><unk><pad> \xe2\x96\x81 \x01\x7f",
    "",
};

std::string base64(std::string_view bytes) {
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (i + 1 < bytes.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? alphabet[n & 63] : '=';
    }
    return out;
}

// A small T5-shaped tokenizer.json around `charsmap`: Unigram pieces for the fixed texts.
std::string with_charsmap(std::string_view charsmap) {
    const std::string m = "\xe2\x96\x81";
    nlohmann::json vocab = nlohmann::json::array({{"<pad>", 0.0}, {"</s>", 0.0}, {"<unk>", 0.0}, {m, -2.0},
                                                  {m + "Hello", -8.0}, {m + "world", -8.5}, {"a", -4.0}, {"xyz", -6.0},
                                                  {"d", -4.5}, {m + "a", -5.0}, {"e", -3.0}, {"l", -3.5}, {"o", -3.2}});
    nlohmann::json j = {
        {"model", {{"vocab", vocab}, {"unk_id", 2}}},
        {"normalizer", {{"type", "Precompiled"}, {"precompiled_charsmap", base64(charsmap)}}},
        {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", {{{"type", "WhitespaceSplit"}},
            {{"type", "Metaspace"}, {"replacement", m}, {"add_prefix_space", true}}}}}},
        {"decoder", {{"type", "Metaspace"}, {"replacement", m}, {"add_prefix_space", true}}},
        {"added_tokens", nlohmann::json::array()}};
    return j.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace attnscope;
    fuzz::setup_once();
    if (size == 0) return 0;
    const std::string_view rest = fuzz::as_text(data + 1, size - 1);
    const std::string json_text = (data[0] & 1) == 0 ? with_charsmap(rest) : std::string(rest);
    const auto tokenizer = load_hf_tokenizer_json(json_text, "tokenizer.json");
    if (!tokenizer.ok()) {
        fuzz::check_error(tokenizer.error(), "load_hf_tokenizer_json", json_text);
        return 0;
    }
    const Tokenizer& t = *tokenizer.value();
    for (const char* sample : kTexts) fuzz::encode_and_check(t, sample, "encode");
    fuzz::encode_and_check(t, std::string(300, 'a') + " " + std::string(100, ' ') + std::string(50, '!'), "encode");
    fuzz::encode_and_check(t, rest, "encode");
    return 0;
}
