// Internals of the Hugging Face tokenizer interpreter (hf_tokenizer*.cpp). Not a public header.
//
// The pipeline follows the reference implementation (the Rust `tokenizers` crate):
//   original text -> split off added tokens that match the raw text
//                 -> normalizer -> split off added tokens that match the normalized text
//                 -> pre-tokenizer (pieces) -> model (ids) -> post-processor ([CLS], BOS)
// Every byte of every intermediate string remembers which bytes of the original text it came
// from (AlignedText), so each final token carries [start, end) into what the user typed.
//
// [SECTION] UTF-8 and Unicode helpers      (hf_tokenizer_text.cpp)
// [SECTION] AlignedText                    (hf_tokenizer_text.cpp)
// [SECTION] Regex (PCRE2)                  (hf_tokenizer_text.cpp)
// [SECTION] JSON access with dotted paths  (hf_tokenizer_text.cpp)
// [SECTION] Components                     (one .cpp per kind)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/result.h"
#include "attnscope/text.h"
#include "attnscope/tokenizer.h"

namespace attnscope::hf {

using json = nlohmann::json;

// [SECTION] UTF-8 and Unicode helpers

// UTF-8 itself: attnscope/text.h (first_invalid_utf8, decode_utf8_at, append_utf8, ...).

// Bytes as UTF-8 text, each maximal invalid sequence replaced by U+FFFD (as Rust's from_utf8_lossy).
std::string utf8_lossy(std::string_view bytes);

bool is_whitespace(char32_t c);       // Unicode White_Space (Rust's char::is_whitespace)
bool is_punctuation(char32_t c);      // ASCII punctuation or a Unicode P* category (BERT's rule)
bool is_control(char32_t c);          // Cc, Cf, Co, Cs, except \t \n \r (BERT's clean_text)
bool is_mark(char32_t c);             // Mn, Mc, Me
bool is_nonspacing_mark(char32_t c);  // Mn
bool is_numeric(char32_t c);          // Nd, Nl, No (Rust's char::is_numeric)
bool is_cjk(char32_t c);              // the CJK blocks BERT surrounds with spaces
void append_lowercase(std::string& out, char32_t c);  // full per-character lowercase mapping

// The GPT-2 byte <-> printable character table ("Ġ" for the space byte, 0x20).
char32_t byte_to_char(unsigned char b);
std::optional<unsigned char> char_to_byte(char32_t c);

// [SECTION] AlignedText

// Original byte range a piece of text came from.
struct Span {
    std::size_t start = 0;
    std::size_t end = 0;
};

// A string produced from the original text, and for every one of its bytes the original range
// it came from (all bytes of one character share a span; inserted characters have start == end).
// Invariant: align.size() == text.size(), and spans never decrease along the string.
struct AlignedText {
    std::string text;
    std::vector<Span> align;

    // The identity alignment for original[begin, end).
    static AlignedText from_original(std::string_view original, std::size_t begin, std::size_t end);

    bool empty() const { return text.empty(); }
    Span original_span(std::size_t begin, std::size_t end) const;  // of text[begin, end); begin < end
    AlignedText slice(std::size_t begin, std::size_t end) const;
    void append(std::string_view bytes, Span span);           // every new byte gets `span`
    void append_slice(const AlignedText& from, std::size_t begin, std::size_t end);
};

// Rebuilds `text` one character at a time: `map(c, out)` appends the replacement of c (nothing
// to delete it); the replacement inherits c's original span.
template <class Map>
void map_chars(AlignedText& text, Map map) {
    AlignedText out;
    out.text.reserve(text.text.size());
    out.align.reserve(text.text.size());
    std::string replacement;
    for (std::size_t pos = 0; pos < text.text.size();) {
        std::size_t length = 0;
        const char32_t c = decode_utf8_at(text.text, pos, length);
        replacement.clear();
        map(c, replacement);
        if (!replacement.empty()) out.append(replacement, text.original_span(pos, pos + length));
        pos += length;
    }
    text = std::move(out);
}

// Unicode normalization of the whole text; each grapheme cluster is normalized on its own (the
// forms never reach across one), and its output characters take the cluster's span.
enum class UnicodeForm { Nfc, Nfd, Nfkc, Nfkd };
void normalize_unicode(AlignedText& text, UnicodeForm form);

// [SECTION] Regex (PCRE2)

// A compiled pattern, in UTF mode with Unicode properties (\p{L}, \p{N}). Shareable across
// threads: every search allocates its own match data.
class Regex {
public:
    // Throws LoadError("<where>: ...") if the pattern does not compile.
    Regex(const std::string& pattern, const std::string& where);
    // Every match in order, [start, end) byte ranges, including empty matches (which still cut).
    std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view text) const;

private:
    std::shared_ptr<void> m_code;  // pcre2_code_8, freed by its deleter
};

// A Split/Replace pattern as the files give it: {"String": "..."} (a literal) or {"Regex": "..."}.
class Pattern {
public:
    Pattern(const json& config, const std::string& path);
    std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view text) const;

private:
    std::string m_literal;
    std::optional<Regex> m_regex;
};

// The file's regex, written for Oniguruma, adjusted for PCRE2 where their classes differ (\w).
std::string oniguruma_to_pcre2(const std::string& pattern);

// [SECTION] JSON access with dotted paths

// Throws LoadError("<path>: <what>").
[[noreturn]] void fail(const std::string& path, const std::string& what);
std::string describe(const json& value);  // "a string 'x'", "an array", "null", ...
std::string child(const std::string& path, const std::string& key);  // "a" + "b" -> "a.b"
std::string index(const std::string& path, std::size_t i);           // "a" + 1 -> "a[1]"

// `obj` must be an object; `path` names it. Optional getters treat a missing key and null alike.
const json& require(const json& obj, const std::string& path, const char* key);
const json* optional(const json& obj, const char* key);
std::string get_string(const json& obj, const std::string& path, const char* key);
std::optional<std::string> get_optional_string(const json& obj, const std::string& path, const char* key);
bool get_bool(const json& obj, const std::string& path, const char* key, bool fallback);
long long get_int(const json& obj, const std::string& path, const char* key, long long fallback);
void expect_object(const json& value, const std::string& path);
void expect_array(const json& value, const std::string& path);
std::string type_of(const json& obj, const std::string& path);  // the component's "type"
// Sequences nest; a file nesting them thousands deep must not exhaust the stack.
void check_nesting(const std::string& path);

// [SECTION] Components

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual void normalize(AlignedText& text) const = 0;
};

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Splits (and may rewrite) one piece; appends the resulting non-empty pieces to `out`.
    virtual void split(const AlignedText& piece, std::vector<AlignedText>& out) const = 0;
    virtual bool is_byte_level() const { return false; }
};

// How a split pre-tokenizer treats the matched delimiters (the reference's SplitDelimiterBehavior).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
// Splits `piece` at `matches` (byte ranges, in order, non-overlapping) per `behavior`.
void split_at(const AlignedText& piece, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
              SplitBehavior behavior, bool invert, std::vector<AlignedText>& out);

struct Vocab {
    std::unordered_map<std::string, int> ids;
    std::vector<std::string> pieces;  // by id; "" where an id has no piece

    std::optional<int> find(const std::string& piece) const;
    void add(const std::string& piece, int id);
};

// One token the model made from a piece: [start, end) are byte offsets into the piece's text.
struct ModelToken {
    int id = 0;
    std::size_t start = 0;
    std::size_t end = 0;
    bool unknown = false;
};

// Per-encode scratch: results per piece text, so a word repeated in a long text is split once.
struct ModelCache {
    std::unordered_map<std::string, std::vector<ModelToken>> pieces;
};

class Model {
public:
    virtual ~Model() = default;
    virtual void tokenize(const std::string& piece, ModelCache& cache, std::vector<ModelToken>& out) const = 0;
    virtual const Vocab& vocab() const = 0;
    virtual std::string kind() const = 0;
    // Whether a token glues onto the previous one as part of a word ("##ing", "ing" after "▁walk").
    virtual bool continues_word(const std::string& piece, bool first_in_piece) const = 0;
};

class PostProcessor {
public:
    virtual ~PostProcessor() = default;
    // Adds the special tokens around one encoded sequence; `text_size` places trailing ones.
    virtual void process(std::vector<Token>& tokens, std::size_t text_size) const = 0;
};

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// Factories: `config` is the component's JSON (an object), `path` its dotted path for messages.
// Each throws LoadError naming the path for anything it does not support.
std::unique_ptr<Normalizer> make_normalizer(const json& config, const std::string& path);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& config, const std::string& path);
std::unique_ptr<Model> make_model(const json& config, const std::string& path);
std::unique_ptr<PostProcessor> make_post_processor(const json& config, const std::string& path);
std::unique_ptr<Decoder> make_decoder(const json& config, const std::string& path);

// model.vocab: {"piece": id, ...} (ids must be non-negative and fit an int).
Vocab parse_vocab(const json& vocab, const std::string& path);
std::unique_ptr<Model> make_bpe_from_json(const json& config, const std::string& path);
// model: {"type": "Unigram", "vocab": [[piece, score], ...], "unk_id": N, "byte_fallback": b}
// (hf_tokenizer_unigram.cpp).
std::unique_ptr<Model> make_unigram_from_json(const json& config, const std::string& path);
// SentencePiece's compiled normalization rules, base64 as tokenizer.json carries them
// (hf_tokenizer_precompiled.cpp); `path` names the charsmap in messages.
std::unique_ptr<Normalizer> make_precompiled_normalizer(const std::string& charsmap_base64, const std::string& path);

// The models, for the loaders that build a tokenizer without a tokenizer.json.
struct BpeOptions {
    std::optional<std::string> unk_token;
    std::string continuing_subword_prefix;
    std::string end_of_word_suffix;
    bool fuse_unk = false;
    bool byte_fallback = false;
    bool ignore_merges = false;
};
// `where(rank)` names merge number `rank` in messages ("model.merges[3]", "line 4").
std::unique_ptr<Model> make_bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                const BpeOptions& options, const std::function<std::string(std::size_t)>& where);
// Merges given as ids with ranks of their own: several merges may share a rank, and among equal
// ranks the leftmost pair merges first. SentencePiece's BPE (a GGUF `llama` vocabulary) merges by
// the merged piece's score, and pieces of equal score tie, so its ranks cannot be list positions.
// Every id must be in `vocab` (the caller checks).
struct RankedMerge {
    int left = 0;
    int right = 0;
    int merged = 0;
    int rank = 0;   // lower merges first
};
std::unique_ptr<Model> make_bpe_ranked(Vocab vocab, const std::vector<RankedMerge>& merges, const BpeOptions& options);
std::unique_ptr<Model> make_wordpiece(Vocab vocab, const std::string& unk_token,
                                      const std::string& continuing_subword_prefix,
                                      std::size_t max_input_chars_per_word, const std::string& path);

// [SECTION] The tokenizer

struct AddedToken {
    int id = 0;
    std::string content;
    bool single_word = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = true;
    bool special = false;
};

struct TokenizerParts {
    std::vector<AddedToken> added_tokens;
    std::unique_ptr<Normalizer> normalizer;
    std::unique_ptr<PreTokenizer> pre_tokenizer;
    std::unique_ptr<Model> model;
    std::unique_ptr<PostProcessor> post_processor;
    std::unique_ptr<Decoder> decoder;
};

// Builds the finished tokenizer; throws LoadError if an added token cannot be placed.
std::shared_ptr<const Tokenizer> build_tokenizer(TokenizerParts parts);

// tokenizer.json text -> tokenizer (throws LoadError with a dotted path).
std::shared_ptr<const Tokenizer> parse_tokenizer_json(std::string_view text);

// The folder layouts without a tokenizer.json (hf_tokenizer_files.cpp); throw LoadError.
// Their messages start with the name of the file at fault.
struct FileText {
    std::string name;  // as messages show it
    std::string text;
};
std::shared_ptr<const Tokenizer> parse_gpt2_files(const FileText& vocab_json, const FileText& merges_txt,
                                                  const json& tokenizer_config);
std::shared_ptr<const Tokenizer> parse_bert_vocab(const FileText& vocab_txt, const json& tokenizer_config);

}  // namespace attnscope::hf
