// Fuzz target: arbitrary bytes as typed text (invalid UTF-8, huge runs, 10,000 words), through
// - the UTF-8 helpers (attnscope/text.h), against a validator written separately here;
// - the word tokenizer (attnscope/word_tokenizer.h), with and without lowercasing, and the
//   built-in bank-decoder model end to end (text -> tokens -> trace);
// - the real GPT-2, BERT and Llama (sentencepiece-style) tokenizers of ../shared/models, loaded
//   once, when that folder exists (a user's clone lacks it; the target then skips them).
// Valid text must tokenize without losing any of it; invalid text must be refused with a message.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/forward.h"
#include "tokenize/hf_tokenizer.h"
#include "attnscope/model.h"
#include "attnscope/text.h"
#include "attnscope/word_tokenizer.h"
#include "fuzz_support.h"

namespace {

using namespace attnscope;

// [SECTION] A second UTF-8 validator (RFC 3629, table 3-7 of the Unicode standard)

bool reference_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
        const unsigned char c = b(i);
        auto in = [&](std::size_t k, unsigned lo, unsigned hi) { return k < s.size() && b(k) >= lo && b(k) <= hi; };
        if (c <= 0x7F) { i += 1; continue; }
        if (c >= 0xC2 && c <= 0xDF && in(i + 1, 0x80, 0xBF)) { i += 2; continue; }
        if (c == 0xE0 && in(i + 1, 0xA0, 0xBF) && in(i + 2, 0x80, 0xBF)) { i += 3; continue; }
        if (((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) && in(i + 1, 0x80, 0xBF) && in(i + 2, 0x80, 0xBF)) { i += 3; continue; }
        if (c == 0xED && in(i + 1, 0x80, 0x9F) && in(i + 2, 0x80, 0xBF)) { i += 3; continue; }
        if (c == 0xF0 && in(i + 1, 0x90, 0xBF) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) { i += 4; continue; }
        if (c >= 0xF1 && c <= 0xF3 && in(i + 1, 0x80, 0xBF) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) { i += 4; continue; }
        if (c == 0xF4 && in(i + 1, 0x80, 0x8F) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) { i += 4; continue; }
        return false;
    }
    return true;
}

void check_utf8_helpers(std::string_view text) {
    const std::optional<std::size_t> bad = first_invalid_utf8(text);
    fuzz::check(bad.has_value() != reference_valid_utf8(text),
                "first_invalid_utf8 and the reference disagree on \"" + fuzz::printable(text) + "\"");
    if (bad) {
        fuzz::check(*bad < text.size() && reference_valid_utf8(text.substr(0, *bad)),
                    "first_invalid_utf8 names byte " + std::to_string(*bad) + ", but the text before it is not valid");
        return;
    }
    // Decoding then encoding every code point gives the text back.
    std::string again;
    for (std::size_t pos = 0, length = 0; pos < text.size(); pos += length) {
        const char32_t cp = decode_utf8_at(text, pos, length);
        fuzz::check(length >= 1 && length <= 4 && pos + length <= text.size(), "decode_utf8_at: a bad length");
        append_utf8(again, cp);
    }
    fuzz::check(again == text, "decode_utf8_at + append_utf8 do not give back \"" + fuzz::printable(text) + "\"");
}

// lowercase_utf8 keeps invalid bytes as they are: lowercasing never makes invalid text valid or
// valid text invalid.
void check_lowercase(std::string_view text) {
    const std::string lower = lowercase_utf8(text);
    fuzz::check(first_invalid_utf8(lower).has_value() == first_invalid_utf8(text).has_value(),
                "lowercase_utf8 changed whether the text is valid UTF-8: \"" + fuzz::printable(text) + "\" -> \"" +
                    fuzz::printable(lower) + "\"");
}

// [SECTION] The word tokenizer

// Nothing typed is lost: the tokens do not overlap, and every ASCII byte between them is a space.
void check_word_tokens_cover(std::string_view text, const std::vector<Token>& tokens) {
    std::size_t covered = 0;
    for (const Token& t : tokens) {
        if (t.start < covered || t.end <= t.start) fuzz::fail("word tokens overlap or are empty in \"" + fuzz::printable(text) + "\"");
        for (std::size_t i = covered; i < t.start; ++i) {
            const char c = text[i];
            if (static_cast<unsigned char>(c) < 0x80 && c != ' ' && !(c >= '\t' && c <= '\r'))
                fuzz::fail("byte " + std::to_string(i) + " ('" + fuzz::printable(text.substr(i, 1)) + "') is in no token of \"" +
                           fuzz::printable(text) + "\"");
        }
        covered = t.end;
    }
}

void check_word_tokenizer(const WordTokenizer& tokenizer, std::string_view text) {
    const Result<std::vector<Token>> tokens = tokenizer.encode(text);
    const bool valid = !first_invalid_utf8(text).has_value();
    fuzz::check(tokens.ok() == valid, "the word tokenizer accepted invalid or refused valid UTF-8");
    if (!tokens.ok()) {
        fuzz::check_error(tokens.error(), "WordTokenizer::encode", text);
        return;
    }
    fuzz::check_tokens(tokenizer, text, tokens.value());
    check_word_tokens_cover(text, tokens.value());
}

// [SECTION] Tokenizers and a model loaded once

struct Loaded {
    WordTokenizer lowercase{{"<unk>", "<mask>", "the", "bank", "didn't", "caf\xc3\xa9", ",", "."}, true, "<unk>"};
    WordTokenizer cased{{"<unk>", "The", "bank", "\xc3\x89t\xc3\xa9"}, false, "<unk>"};
    ModelPtr bank_decoder;
    std::shared_ptr<const Tokenizer> gpt2, bert, llama;

    Loaded() {
        auto model = load_model("builtin:bank-decoder");
        if (!model.ok()) fuzz::fail("builtin:bank-decoder does not load: " + model.error().message);
        bank_decoder = model.value();
        const std::filesystem::path shared = ATTNSCOPE_SHARED_MODELS;
        gpt2 = load_if_present(shared / "fake_gpt2" / "tokenizer.json");
        bert = load_if_present(shared / "bert_tiniest" / "tokenizer.json");
        llama = load_if_present(shared / "stories260K" / "tokenizer.json");
    }

    static std::shared_ptr<const Tokenizer> load_if_present(const std::filesystem::path& file) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec)) return nullptr;  // a clone without ../shared/models
        auto tokenizer = load_hf_tokenizer_file(file);
        if (!tokenizer.ok()) fuzz::fail(file.string() + " does not load: " + tokenizer.error().message);
        return tokenizer.value();
    }
};

const Loaded& loaded() {
    static const Loaded instance;
    return instance;
}

// Byte-level BPE (GPT-2) has a token for every byte: valid text is covered end to end.
void check_covers_everything(const Tokenizer& tokenizer, std::string_view text) {
    if (first_invalid_utf8(text)) return;
    const auto tokens = tokenizer.encode(text);
    fuzz::check(tokens.ok(), "GPT-2 refused valid text \"" + fuzz::printable(text) + "\"");
    std::size_t covered = 0;
    for (const Token& t : tokens.value()) {
        if (t.start == t.end) continue;
        if (t.start > covered)
            fuzz::fail("GPT-2 lost bytes " + std::to_string(covered) + ".." + std::to_string(t.start) + " of \"" +
                       fuzz::printable(text) + "\"");
        covered = std::max(covered, t.end);
    }
    fuzz::check(covered == text.size(), "GPT-2 lost the bytes after " + std::to_string(covered) + " of \"" +
                                            fuzz::printable(text) + "\"");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::setup_once();
    const std::string_view text = fuzz::as_text(data, size);
    const Loaded& l = loaded();

    check_utf8_helpers(text);
    check_lowercase(text);
    check_word_tokenizer(l.lowercase, text);
    check_word_tokenizer(l.cased, text);

    // The whole path the app takes for a typed sentence (the model takes at most 48 tokens, so a
    // long text is refused before any work).
    const auto trace = compute_trace(*l.bank_decoder, std::string(text));
    if (trace.ok()) fuzz::check_trace(*trace.value());
    else fuzz::check_error(trace.error(), "compute_trace", text);

    for (const auto& tokenizer : {l.gpt2, l.bert, l.llama})
        if (tokenizer) fuzz::encode_and_check(*tokenizer, text, tokenizer->kind());
    if (l.gpt2) check_covers_everything(*l.gpt2, text);
    return 0;
}
