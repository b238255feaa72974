// Tokenizers from a GGUF file's tokenizer.* metadata (gguf_tokenizer.h says what each model does).
// The vocabulary is read and checked first (every array of the right type and length, every id in
// range, no piece twice); the model's parts are then built from it and handed to the Hugging Face
// interpreter's build_tokenizer (hf_tokenizer_internal.h), which encodes. Only what llama.cpp does
// differently from a tokenizer.json lives here: SentencePiece merges ranked by score, its ▁ input,
// the pre-tokenizer regexes tokenizer.ggml.pre names, and WordPiece over a ▁-marked vocabulary.
//
// Index
// [SECTION] Keys
// [SECTION] Reading the vocabulary
// [SECTION] Special tokens
// [SECTION] llama: SentencePiece
// [SECTION] gpt2: byte-level BPE and its pre-tokenizers
// [SECTION] bert: WordPiece
// [SECTION] Entry point
#include "tokenize/gguf_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/text.h"
#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope {

namespace {

using hf::AlignedText;
using hf::json;
using hf::Span;

const char* const kMetaspace = "\xE2\x96\x81";  // ▁, SentencePiece's space

// [SECTION] Keys

// The metadata this reader uses, named as llama.cpp's llama-arch.cpp names it.
enum class Key {
    Model, Pre, Tokens, Scores, TokenType, Merges,
    BosId, EosId, UnkId, SepId, ClsId,
    AddBos, AddEos, AddSep, AddSpacePrefix, Lowercase, StripAccents, GeneralName,
    Count
};
constexpr const char* kKeyNames[] = {
    "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
    "tokenizer.ggml.token_type", "tokenizer.ggml.merges",
    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id",
    "tokenizer.ggml.seperator_token_id",  // sic: the spelling llama.cpp writes and reads
    "tokenizer.ggml.cls_token_id",
    "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token", "tokenizer.ggml.add_sep_token",
    "tokenizer.ggml.add_space_prefix", "tokenizer.ggml.normalizer.lowercase",
    "tokenizer.ggml.normalizer.strip_accents", "general.name",
};
static_assert(std::size(kKeyNames) == static_cast<std::size_t>(Key::Count), "one name per key");

std::string key(Key k) { return kKeyNames[static_cast<std::size_t>(k)]; }

[[noreturn]] void fail(Key k, const std::string& what) { throw LoadError(key(k) + ": " + what); }
[[noreturn]] void fail_at(Key k, std::size_t i, const std::string& what) {
    throw LoadError(key(k) + "[" + std::to_string(i) + "]: " + what);
}

std::string quote(std::string_view text) { return "'" + cut_for_message(text, 80) + "'"; }

// [SECTION] Reading the vocabulary

// llama.cpp's token types (llama_token_type).
enum class TokenType { Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

// Real vocabularies hold a few hundred thousand pieces at most; this bound keeps every id an int
// and a hostile array from being copied into gigabytes of strings.
constexpr std::size_t kMaxTokens = std::size_t{1} << 24;

struct GgufVocab {
    std::vector<std::string> tokens;   // by id
    std::vector<double> scores;        // by id; 0 where the file has none
    std::vector<TokenType> types;      // by id; Normal where the file has none
    int size() const { return static_cast<int>(tokens.size()); }
};

// An array key's element count, checked before any element is read.
void check_array_size(const GgufFile& file, Key k, std::size_t limit) {
    const GgufValue* value = file.find_key(key(k));
    if (value != nullptr && value->type() == GgufValueType::Array && value->size() > limit)
        fail(k, "expected at most " + std::to_string(limit) + " entries, got " + std::to_string(value->size()));
}

std::vector<std::string> read_tokens(const GgufFile& file) {
    check_array_size(file, Key::Tokens, kMaxTokens);
    std::vector<std::string> tokens = file.require_string_array(key(Key::Tokens));
    if (tokens.empty()) fail(Key::Tokens, "expected at least one token, got an empty array");
    // An empty piece could never be matched or told apart; llama.cpp names it after its id.
    for (std::size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i].empty()) tokens[i] = "[EMPTY_" + std::to_string(i) + "]";
    return tokens;
}

std::vector<double> read_scores(const GgufFile& file, std::size_t n) {
    if (!file.has_key(key(Key::Scores))) return std::vector<double>(n, 0.0);
    check_array_size(file, Key::Scores, kMaxTokens);
    std::vector<double> scores = file.require_float_array(key(Key::Scores));
    if (scores.size() != n)
        fail(Key::Scores, "expected one score per token (" + std::to_string(n) + "), got " + std::to_string(scores.size()));
    // Scores are sorted to rank merges; a NaN has no place in that order.
    for (std::size_t i = 0; i < n; ++i)
        if (std::isnan(scores[i])) fail_at(Key::Scores, i, "expected a number, got NaN");
    return scores;
}

std::vector<TokenType> read_types(const GgufFile& file, std::size_t n) {
    if (!file.has_key(key(Key::TokenType))) return std::vector<TokenType>(n, TokenType::Normal);
    check_array_size(file, Key::TokenType, kMaxTokens);
    const std::vector<std::int64_t> raw = file.require_int_array(key(Key::TokenType));
    if (raw.size() != n)
        fail(Key::TokenType, "expected one type per token (" + std::to_string(n) + "), got " + std::to_string(raw.size()));
    std::vector<TokenType> types(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (raw[i] < 0 || raw[i] > 6)
            fail_at(Key::TokenType, i, "expected a token type from 0 to 6 (llama_token_type), got " + std::to_string(raw[i]));
        types[i] = static_cast<TokenType>(raw[i]);
    }
    return types;
}

GgufVocab read_vocab(const GgufFile& file) {
    GgufVocab v;
    v.tokens = read_tokens(file);
    v.scores = read_scores(file, v.tokens.size());
    v.types = read_types(file, v.tokens.size());
    return v;
}

// The pieces by id and the other way round. llama.cpp refuses a piece listed twice: text could
// only ever become one of its ids.
hf::Vocab make_vocab(const GgufVocab& v) {
    hf::Vocab vocab;
    vocab.ids.reserve(v.tokens.size());
    for (std::size_t i = 0; i < v.tokens.size(); ++i) {
        const auto [it, fresh] = vocab.ids.emplace(v.tokens[i], static_cast<int>(i));
        if (!fresh)
            fail_at(Key::Tokens, i, "expected each piece once, got " + quote(v.tokens[i]) + " again (it is token " +
                                        std::to_string(it->second) + ")");
    }
    vocab.pieces = v.tokens;
    return vocab;
}

// [SECTION] Special tokens

// The tokens put around every text, and the ids they are.
struct Specials {
    std::optional<int> bos, eos, sep, unk;
    bool add_bos = false;
    bool add_eos = false;
    bool add_sep = false;
};

// An id key: absent, llama.cpp's default for the model when the vocabulary is that large (none
// when `fallback` is empty); present, it must name a token. Converters write -1 for "no such
// token" (as int32, or as uint32 4294967295: stories260K.gguf's separator); llama.cpp then keeps
// its default, and so do we.
std::optional<int> read_id(const GgufFile& file, Key k, std::optional<int> fallback, int n_tokens) {
    const GgufValue* value = file.find_key(key(k));
    const std::optional<std::int64_t> signed_id = value != nullptr ? value->as_int() : std::nullopt;
    const bool unset = value == nullptr || (signed_id && (*signed_id < 0 || *signed_id == 0xFFFFFFFF));
    if (unset) return fallback && *fallback < n_tokens ? fallback : std::nullopt;
    const std::uint64_t id = file.require_uint(key(k));  // a string, a float, 2^64 - 1: refused here
    if (id >= static_cast<std::uint64_t>(n_tokens))
        fail(k, "expected a token id below " + std::to_string(n_tokens) + " (the vocabulary's size), got " + std::to_string(id));
    return static_cast<int>(id);
}

bool read_flag(const GgufFile& file, Key k, bool fallback) {
    return file.has_key(key(k)) ? file.require_bool(key(k)) : fallback;
}

// Whether to add a token: the file's flag, which then needs the id (llama.cpp's own check), else
// the model's default, when the vocabulary has the token.
bool read_add_flag(const GgufFile& file, Key add_key, const std::optional<int>& id, Key id_key, bool fallback) {
    if (!file.has_key(key(add_key))) return fallback && id;
    const bool add = file.require_bool(key(add_key));
    if (add && !id) fail(add_key, "true, but " + key(id_key) + " is not set");
    return add;
}

void read_add_flags(const GgufFile& file, Specials& s, bool add_bos, bool add_sep) {
    s.add_bos = read_add_flag(file, Key::AddBos, s.bos, Key::BosId, add_bos);
    s.add_eos = read_add_flag(file, Key::AddEos, s.eos, Key::EosId, false);
    s.add_sep = read_add_flag(file, Key::AddSep, s.sep, Key::SepId, add_sep);
}

// Puts BOS (or CLS) before the text and EOS and SEP after it; they cover no text.
class SpecialTokensAround final : public hf::PostProcessor {
public:
    SpecialTokensAround(std::vector<Token> before, std::vector<Token> after)
        : m_before(std::move(before)), m_after(std::move(after)) {}

    void process(std::vector<Token>& tokens, std::size_t text_size) const override {
        std::vector<Token> out;
        out.reserve(m_before.size() + tokens.size() + m_after.size());
        out.insert(out.end(), m_before.begin(), m_before.end());
        out.insert(out.end(), tokens.begin(), tokens.end());
        for (Token t : m_after) {
            t.start = t.end = text_size;
            out.push_back(std::move(t));
        }
        tokens = std::move(out);
    }

private:
    std::vector<Token> m_before;
    std::vector<Token> m_after;
};

std::unique_ptr<hf::PostProcessor> special_tokens_around(const GgufVocab& v, const Specials& s) {
    auto make = [&](int id) {
        Token t;
        t.id = id;
        t.piece = v.tokens[static_cast<std::size_t>(id)];
        t.special = true;
        return t;
    };
    std::vector<Token> before, after;
    if (s.add_bos) before.push_back(make(*s.bos));
    if (s.add_eos) after.push_back(make(*s.eos));
    if (s.add_sep) after.push_back(make(*s.sep));
    return std::make_unique<SpecialTokensAround>(std::move(before), std::move(after));
}

// llama.cpp knows Phi-3 by its name (the file has no per-token flags) and drops the whitespace
// after its special tokens, so "<|user|>\nHi" reads as "<|user|>" "Hi".
bool strips_after_specials(const GgufFile& file) {
    const GgufValue* name = file.find_key(key(Key::GeneralName));
    const auto text = name != nullptr ? name->as_string() : std::nullopt;
    if (!text) return false;
    std::string lower(*text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.find("phi-3") != std::string::npos || lower.find("phi3") != std::string::npos;
}

// Control, user-defined and unknown-type pieces written in the text are read as those tokens,
// before anything else sees the text (llama.cpp's parse_special); controls and unknowns are special.
std::vector<hf::AddedToken> added_tokens(const GgufFile& file, const GgufVocab& v) {
    const bool phi3 = strips_after_specials(file);
    std::vector<hf::AddedToken> added;
    for (std::size_t i = 0; i < v.tokens.size(); ++i) {
        const TokenType type = v.types[i];
        if (type != TokenType::Control && type != TokenType::UserDefined && type != TokenType::Unknown) continue;
        // GGUF strings are any bytes. A piece that is not UTF-8 ("\xA9") could match inside a
        // character of the text and cut it in two; text can never spell it, so it is not looked for.
        if (first_invalid_utf8(v.tokens[i])) continue;
        hf::AddedToken t;
        t.id = static_cast<int>(i);
        t.content = v.tokens[i];
        t.normalized = false;  // matched in the text as typed
        t.special = type != TokenType::UserDefined;
        const bool keeps_space = t.content == "<unk>" || t.content == "<s>" || t.content == "<|endoftext|>";
        t.rstrip = phi3 && !keeps_space;
        added.push_back(std::move(t));
    }
    if (phi3)  // Phi-3's </s> is a normal piece that llama.cpp strips after all the same
        for (std::size_t i = 0; i < v.tokens.size(); ++i)
            if (v.tokens[i] == "</s>" && v.types[i] == TokenType::Normal)
                added.push_back(hf::AddedToken{static_cast<int>(i), "</s>", false, false, true, false, false});
    return added;
}

// [SECTION] llama: SentencePiece

// llama.cpp's SentencePiece input: every space becomes ▁ and, with add_space_prefix, a ▁ (covering
// nothing) goes in front of each stretch of text between special tokens. The stretch stays whole:
// merges run across words, as llama.cpp's do.
class SpmPreTokenizer final : public hf::PreTokenizer {
public:
    explicit SpmPreTokenizer(bool add_space_prefix) : m_add_space_prefix(add_space_prefix) {}

    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        AlignedText text;
        if (m_add_space_prefix) text.append(kMetaspace, Span{piece.align[0].start, piece.align[0].start});
        for (std::size_t pos = 0; pos < piece.text.size(); ++pos) {
            if (piece.text[pos] == ' ') text.append(kMetaspace, piece.align[pos]);
            else text.append_slice(piece, pos, pos + 1);
        }
        out.push_back(std::move(text));
    }

private:
    bool m_add_space_prefix;
};

// SentencePiece's BPE merges the adjacent pair whose joined piece scores highest, the leftmost
// among equal scores. As merges: every split of a piece into two pieces merges into it, ranked
// by the piece's score among the distinct scores, highest first (equal scores, equal ranks).
std::vector<hf::RankedMerge> score_merges(const GgufVocab& v, const hf::Vocab& vocab) {
    std::vector<double> distinct = v.scores;
    std::sort(distinct.begin(), distinct.end(), std::greater<>());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    std::vector<hf::RankedMerge> merges;
    for (std::size_t id = 0; id < v.tokens.size(); ++id) {
        const std::string& text = v.tokens[id];
        const auto rank = std::lower_bound(distinct.begin(), distinct.end(), v.scores[id], std::greater<>()) - distinct.begin();
        for (std::size_t cut = utf8_char_length(text, 0); cut < text.size(); cut += utf8_char_length(text, cut)) {
            const auto left = vocab.find(text.substr(0, cut));
            if (!left) continue;
            const auto right = vocab.find(text.substr(cut));
            if (right) merges.push_back(hf::RankedMerge{*left, *right, static_cast<int>(id), static_cast<int>(rank)});
        }
    }
    return merges;
}

// ▁ back to spaces, byte pieces back to bytes, and the first space (the prefix) dropped.
json spm_decoder(bool drop_first_space) {
    json steps = json::array();
    steps.push_back({{"type", "Replace"}, {"pattern", {{"String", kMetaspace}}}, {"content", " "}});
    steps.push_back({{"type", "ByteFallback"}});
    steps.push_back({{"type", "Fuse"}});
    if (drop_first_space) steps.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    return {{"type", "Sequence"}, {"decoders", steps}};
}

std::shared_ptr<const Tokenizer> build_llama(const GgufFile& file, const GgufVocab& v) {
    Specials s;  // llama.cpp's defaults for SentencePiece vocabularies: <unk> 0, <s> 1, </s> 2
    s.unk = read_id(file, Key::UnkId, 0, v.size());
    s.bos = read_id(file, Key::BosId, 1, v.size());
    s.eos = read_id(file, Key::EosId, 2, v.size());
    s.sep = read_id(file, Key::SepId, std::nullopt, v.size());
    read_add_flags(file, s, /*add_bos=*/true, /*add_sep=*/false);
    const bool add_space_prefix = read_flag(file, Key::AddSpacePrefix, true);

    hf::TokenizerParts parts;
    parts.added_tokens = added_tokens(file, v);
    hf::Vocab vocab = make_vocab(v);
    const std::vector<hf::RankedMerge> merges = score_merges(v, vocab);
    hf::BpeOptions options;
    options.byte_fallback = true;  // a character no piece covers becomes its <0xXX> pieces
    if (s.unk) options.unk_token = v.tokens[static_cast<std::size_t>(*s.unk)];
    parts.model = hf::make_bpe_ranked(std::move(vocab), merges, options);
    parts.pre_tokenizer = std::make_unique<SpmPreTokenizer>(add_space_prefix);
    parts.post_processor = special_tokens_around(v, s);
    parts.decoder = hf::make_decoder(spm_decoder(add_space_prefix), "decoder");
    return hf::build_tokenizer(std::move(parts));
}

// [SECTION] gpt2: byte-level BPE and its pre-tokenizers

// The regexes llama.cpp splits text with before BPE, per tokenizer.ggml.pre (llm_tokenizer_bpe);
// each cuts every piece the previous ones left into its matches and the text between them.
// Characters are written \x{...}: several of them (U+2126 OHM SIGN, U+212A KELVIN SIGN, ...)
// turn into other characters when text is normalized on its way into a source file.
const char* const kGpt2Regex = R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re";
const char* const kLlama3Regex =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
const char* const kQwen2Regex =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
// CJK ideographs, U+0800..U+4E00 and Hangul, as DeepSeek's tokenizer writes them.
const char* const kDeepseekCjkRegex = R"re([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)re";
// DeepSeek-LLM's letters: the cased letters (Lu, Ll, Lt) of the Unicode version it was made with.
const char* const kDeepseekLettersRegex =
    R"re(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF})re"
    R"re(\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1})re"
    R"re(\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5})re"
    R"re(\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A})re"
    R"re(\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B})re"
    R"re(\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC})re"
    R"re(\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107})re"
    R"re(\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134})re"
    R"re(\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4})re"
    R"re(\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787})re"
    R"re(\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A})re"
    R"re(\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2})re"
    R"re(\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)re";
const char* const kDeepseekPunctuationRegex =
    R"re(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)re";
// Everything up to a space or one of . , ! ? … 。 ， 、 । ۔ ، (and, as written, ( | )).
const char* const kPoroRegex = R"re( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)re";

struct PreTokenizerRule {
    std::vector<const char*> names;   // tokenizer.ggml.pre values
    std::vector<const char*> regexes;
    bool ignore_merges = false;       // a word that is a whole piece is taken as it is
    bool add_bos = false;             // BOS unless add_bos_token says otherwise
};

const std::vector<PreTokenizerRule>& pre_tokenizer_rules() {
    static const std::vector<PreTokenizerRule> rules = {
        {{"default"}, {R"re([\p{P}\$\+<=>\^~\|]+)re", kGpt2Regex, R"re(\p{N}+)re", "[0-9][0-9][0-9]"}},
        {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral"}, {kLlama3Regex}, true, true},
        {{"dbrx", "smaug-bpe"}, {kLlama3Regex}},
        {{"deepseek-llm"},
         {"[\\r\\n]", kDeepseekLettersRegex, kDeepseekPunctuationRegex, R"re(\s+$)re", kDeepseekCjkRegex, R"re(\p{N}+)re"}},
        {{"deepseek-coder"}, {"[\\r\\n]", R"re(\s?\p{L}+)re", R"re(\s?\p{P}+)re", kDeepseekCjkRegex, R"re(\p{N})re"}},
        {{"falcon"}, {R"re([\p{P}\$\+<=>\^~\|`]+)re", kGpt2Regex, "[0-9][0-9][0-9]"}},
        {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"}, {R"re(\p{N})re", kGpt2Regex}},
        // gpt-neox is not a name llama.cpp writes; GPT-NeoX-20B's (Pythia's) tokenizer splits with GPT-2's regex
        {{"gpt-2", "phi-2", "mpt", "olmo", "jais", "trillion", "gigachat", "mellum", "exaone4", "a.x-4.0", "gpt-neox"},
         {kGpt2Regex}},
        {{"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan", "solar-open", "kormo", "f2llmv2"}, {kQwen2Regex}},
        {{"poro-chat", "bloom", "gpt3-finnish"}, {kPoroRegex}},
    };
    return rules;
}

const PreTokenizerRule& find_rule(const std::string& name) {
    std::string known;
    for (const PreTokenizerRule& rule : pre_tokenizer_rules())
        for (const char* n : rule.names) {
            if (name == n) return rule;
            known += (known.empty() ? "" : ", ") + std::string(n);
        }
    fail(Key::Pre, "unknown pre-tokenizer " + quote(name) + " (known: " + known + ")");
}

// The rule's regexes one after the other, then every byte as GPT-2's printable character.
std::unique_ptr<hf::PreTokenizer> make_regex_pre_tokenizer(const PreTokenizerRule& rule) {
    json steps = json::array();
    for (const char* regex : rule.regexes)
        steps.push_back({{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}});
    steps.push_back({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}});
    return hf::make_pre_tokenizer({{"type", "Sequence"}, {"pretokenizers", steps}}, key(Key::Pre));
}

// "left right", split at the first space after the first byte as llama.cpp does.
std::vector<std::pair<std::string, std::string>> read_merges(const GgufFile& file) {
    check_array_size(file, Key::Merges, kMaxTokens);
    const std::vector<std::string> lines = file.require_string_array(key(Key::Merges));
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::size_t space = lines[i].find(' ', 1);
        if (space == std::string::npos) fail_at(Key::Merges, i, "expected 'left right', got " + quote(lines[i]));
        merges.emplace_back(lines[i].substr(0, space), lines[i].substr(space + 1));
    }
    return merges;
}

std::shared_ptr<const Tokenizer> build_gpt2(const GgufFile& file, const GgufVocab& v) {
    const std::string pre = file.has_key(key(Key::Pre)) ? file.require_string(key(Key::Pre)) : "default";
    const PreTokenizerRule& rule = find_rule(pre);
    Specials s;
    s.bos = read_id(file, Key::BosId, std::nullopt, v.size());
    s.eos = read_id(file, Key::EosId, std::nullopt, v.size());
    s.sep = read_id(file, Key::SepId, std::nullopt, v.size());
    read_add_flags(file, s, rule.add_bos, /*add_sep=*/false);

    hf::TokenizerParts parts;
    parts.added_tokens = added_tokens(file, v);
    hf::BpeOptions options;
    options.ignore_merges = rule.ignore_merges;
    const auto merges = read_merges(file);
    parts.model = hf::make_bpe(make_vocab(v), merges, options,
                               [](std::size_t i) { return key(Key::Merges) + "[" + std::to_string(i) + "]"; });
    parts.pre_tokenizer = make_regex_pre_tokenizer(rule);
    parts.post_processor = special_tokens_around(v, s);
    parts.decoder = hf::make_decoder({{"type", "ByteLevel"}}, "decoder");
    return hf::build_tokenizer(std::move(parts));
}

// [SECTION] bert: WordPiece

// Words as BERT's pre-tokenizer cuts them (spaces go, punctuation stands alone), each with the ▁
// that llama.cpp's converter put on word-initial pieces; the ▁ covers nothing of the text.
class PhantomSpacePreTokenizer final : public hf::PreTokenizer {
public:
    PhantomSpacePreTokenizer() : m_words(hf::make_pre_tokenizer({{"type", "BertPreTokenizer"}}, "pre_tokenizer")) {}

    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        std::vector<AlignedText> words;
        m_words->split(piece, words);
        for (const AlignedText& word : words) {
            AlignedText prefixed;
            prefixed.append(kMetaspace, Span{word.align[0].start, word.align[0].start});
            prefixed.append_slice(word, 0, word.text.size());
            out.push_back(std::move(prefixed));
        }
    }

private:
    std::unique_ptr<hf::PreTokenizer> m_words;
};

// llama.cpp's WordPiece: from the start of the ▁-prefixed word, the longest piece of the
// vocabulary, then the longest from where it ended, and so on. A word with a position no piece
// starts is one unknown token.
class WpmModel final : public hf::Model {
public:
    WpmModel(hf::Vocab vocab, int unk_id) : m_vocab(std::move(vocab)), m_unk_id(unk_id) {
        for (const std::string& p : m_vocab.pieces) m_max_length = std::max(m_max_length, p.size());
    }

    void tokenize(const std::string& word, hf::ModelCache& cache, std::vector<hf::ModelToken>& out) const override {
        if (word.empty()) return;
        const auto cached = cache.pieces.find(word);
        if (cached != cache.pieces.end()) {
            out.insert(out.end(), cached->second.begin(), cached->second.end());
            return;
        }
        std::vector<hf::ModelToken> tokens = split_word(word);
        out.insert(out.end(), tokens.begin(), tokens.end());
        cache.pieces.emplace(word, std::move(tokens));
    }

    const hf::Vocab& vocab() const override { return m_vocab; }
    std::string kind() const override { return "wordpiece"; }
    // Every word starts with its ▁ piece; the rest glue on.
    bool continues_word(const std::string&, bool first_in_piece) const override { return !first_in_piece; }

private:
    std::vector<hf::ModelToken> split_word(const std::string& word) const {
        std::vector<hf::ModelToken> tokens;
        std::string candidate;
        for (std::size_t start = 0; start < word.size();) {
            std::optional<int> found;
            std::size_t end = std::min(word.size(), start + m_max_length);
            for (; end > start; --end) {
                candidate.assign(word, start, end - start);
                if ((found = m_vocab.find(candidate))) break;
            }
            if (!found) return {hf::ModelToken{m_unk_id, 0, word.size(), true}};
            tokens.push_back(hf::ModelToken{*found, start, end, false});
            start = end;
        }
        return tokens;
    }

    hf::Vocab m_vocab;
    int m_unk_id;
    std::size_t m_max_length = 0;  // bytes of the longest piece
};

// ▁ back to spaces, the first one dropped.
json wpm_decoder() {
    json steps = json::array();
    steps.push_back({{"type", "Replace"}, {"pattern", {{"String", kMetaspace}}}, {"content", " "}});
    steps.push_back({{"type", "Fuse"}});
    steps.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    return {{"type", "Sequence"}, {"decoders", steps}};
}

std::shared_ptr<const Tokenizer> build_bert(const GgufFile& file, const GgufVocab& v) {
    Specials s;  // llama.cpp's defaults for BERT vocabularies: [UNK] 100, [CLS] 101, [SEP] 102
    s.unk = read_id(file, Key::UnkId, 100, v.size());
    if (!s.unk) fail(Key::UnkId, "expected one for a bert vocabulary (a word no piece covers becomes it), got none");
    s.bos = read_id(file, Key::ClsId, std::nullopt, v.size());
    if (!s.bos) s.bos = read_id(file, Key::BosId, 101, v.size());
    s.sep = read_id(file, Key::SepId, 102, v.size());
    s.eos = read_id(file, Key::EosId, std::nullopt, v.size());
    read_add_flags(file, s, /*add_bos=*/true, /*add_sep=*/true);
    const bool lowercase = read_flag(file, Key::Lowercase, true);
    const bool strip_accents = read_flag(file, Key::StripAccents, lowercase);

    hf::TokenizerParts parts;
    parts.added_tokens = added_tokens(file, v);
    parts.normalizer = hf::make_normalizer({{"type", "BertNormalizer"},
                                            {"clean_text", true},
                                            {"handle_chinese_chars", true},
                                            {"strip_accents", strip_accents},
                                            {"lowercase", lowercase}},
                                           "normalizer");
    parts.pre_tokenizer = std::make_unique<PhantomSpacePreTokenizer>();
    parts.model = std::make_unique<WpmModel>(make_vocab(v), *s.unk);
    parts.post_processor = special_tokens_around(v, s);
    parts.decoder = hf::make_decoder(wpm_decoder(), "decoder");
    return hf::build_tokenizer(std::move(parts));
}

// [SECTION] Entry point

std::shared_ptr<const Tokenizer> build_tokenizer(const GgufFile& file) {
    const std::string model = file.require_string(key(Key::Model));
    if (model != "llama" && model != "gpt2" && model != "bert")
        fail(Key::Model, "unsupported tokenizer model " + quote(model) + " (supported: llama, gpt2, bert)");
    const GgufVocab vocab = read_vocab(file);
    if (model == "llama") return build_llama(file, vocab);
    if (model == "gpt2") return build_gpt2(file, vocab);
    return build_bert(file, vocab);
}

}  // namespace

Result<std::shared_ptr<const Tokenizer>> load_gguf_tokenizer_file(const std::filesystem::path& path) {
    const Result<GgufFile> file = GgufFile::open(path);
    if (!file.ok()) return file.error();
    return load_gguf_tokenizer(file.value());
}

bool looks_like_gguf(const std::filesystem::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (extension == ".gguf") return true;
    char magic[4] = {};
    std::ifstream in(path, std::ios::binary);
    return in.read(magic, sizeof magic) && std::string(magic, sizeof magic) == "GGUF";
}

bool is_vocabulary_only_gguf(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) || !looks_like_gguf(path)) return false;
    const Result<GgufFile> file = GgufFile::open(path);
    return file.ok() && file.value().tensors().empty();
}

Result<std::shared_ptr<const Tokenizer>> load_gguf_tokenizer(const GgufFile& file) {
    const std::string prefix = file.path().string() + ": ";
    try {
        return build_tokenizer(file);
    } catch (const LoadError& e) {
        return Error{cut_for_message(prefix + e.what(), kMaxMessageBytes)};
    } catch (const std::bad_alloc&) {
        return Error{prefix + "the tokenizer is too large to load into memory"};
    }
}

}  // namespace attnscope
