// SentencePiece model files through libsentencepiece: Marian's folders (pieces of source.spm or
// target.spm, ids from vocab.json, </s> appended: transformers' MarianTokenizer) and lone models.
//
// [SECTION] Reading the files
// [SECTION] Pieces with offsets
// [SECTION] MarianTokenizer
// [SECTION] SentencePieceTokenizer (a lone model)
// [SECTION] Public entry points
#include "tokenize/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstdio>
#include <unordered_set>
#include <utility>

#include "attnscope/text.h"
#include "tokenize/hf_tokenizer_internal.h"
#include "util/file_read.h"

namespace attnscope {

namespace {

namespace fs = std::filesystem;
using hf::json;

const char* const kMetaspace = "\xE2\x96\x81";  // ▁, sentencepiece's word start

// [SECTION] Reading the files

// Real SentencePiece models are a few MB (Marian's: 0.8 MB; Gemma's 256k pieces: 4 MB).
constexpr std::uint64_t kMaxModelBytes = std::uint64_t{64} << 20;

// Throws LoadError("<file>: ...") for a file that cannot be read or is not a SentencePiece model.
std::unique_ptr<sentencepiece::SentencePieceProcessor> read_spm(const fs::path& file) {
    std::string bytes;
    try {
        bytes = read_regular_file(file, kMaxModelBytes);
    } catch (const LoadError& e) {
        throw LoadError(file.string() + ": " + valid_utf8(e.what()));
    }
    auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
    const auto status = processor->LoadFromSerializedProto(bytes);
    if (!status.ok())
        throw LoadError(file.string() + ": not a SentencePiece model (libsentencepiece: " + valid_utf8(status.ToString()) + ")");
    if (processor->GetPieceSize() <= 0) throw LoadError(file.string() + ": a SentencePiece model with no pieces");
    return processor;
}

json read_json_file(const fs::path& file) {
    try {
        return json::parse(read_text_file(file, std::uint64_t{64} << 20, "a JSON file"));
    } catch (const LoadError& e) {
        throw LoadError(file.string() + ": " + valid_utf8(e.what()));
    } catch (const json::parse_error& e) {
        throw LoadError(file.string() + ": expected JSON, got a syntax error at byte " + std::to_string(e.byte));
    }
}

// [SECTION] Pieces with offsets

// One piece SentencePiece made: its text and the bytes of the input it covers.
struct SpmPiece {
    std::string piece;
    int spm_id = 0;
    std::size_t start = 0;
    std::size_t end = 0;
};

// `text` as pieces; offsets are made relative to the whole text by adding `base`. SentencePiece
// reports them through its normalization (the inserted first ▁ covers nothing).
std::vector<SpmPiece> spm_pieces(const sentencepiece::SentencePieceProcessor& spm, std::string_view text, std::size_t base) {
    std::vector<SpmPiece> out;
    if (text.empty()) return out;
    sentencepiece::ImmutableSentencePieceText encoded;
    const auto status = spm.Encode(text, encoded.mutable_proto());
    if (!status.ok()) throw std::runtime_error("libsentencepiece: " + status.ToString());
    for (const auto& p : encoded.pieces()) {
        // Offsets past the text would be a library bug; clamp so a view never reads outside it.
        const std::size_t start = std::min<std::size_t>(p.begin(), text.size());
        const std::size_t end = std::min<std::size_t>(std::max<std::size_t>(p.end(), start), text.size());
        out.push_back(SpmPiece{p.piece(), static_cast<int>(p.id()), base + start, base + end});
    }
    return out;
}

std::optional<Error> check_utf8(std::string_view text) {
    const auto bad = first_invalid_utf8(text);
    if (!bad) return std::nullopt;
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[*bad]));
    return Error{"text: expected UTF-8, got the byte " + std::string(byte) + " at byte offset " + std::to_string(*bad)};
}

// A token after the first that does not start a word (no ▁) and touches the one before it.
void mark_word_parts(std::vector<Token>& tokens) {
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        const Token& before = tokens[i - 1];
        Token& t = tokens[i];
        t.continues_word = !t.special && !before.special && t.start == before.end && t.start != t.end &&
                           t.piece.rfind(kMetaspace, 0) != 0;
    }
}

// [SECTION] MarianTokenizer

struct Span {
    std::size_t start;
    std::size_t end;
};

// transformers' language codes, `>>.+<<` found as Python's re finds them: from the first ">>"
// that some "<<" follows on its line (at least one character between), greedily to the last "<<"
// of that line. In text[begin, end); linear: a line without a closing "<<" is skipped whole.
std::vector<Span> language_codes(std::string_view text, std::size_t begin, std::size_t end) {
    std::vector<Span> codes;
    const std::string_view stretch = text.substr(0, end);
    for (std::size_t at = stretch.find(">>", begin); at != std::string_view::npos; at = stretch.find(">>", at)) {
        const std::size_t line_end = std::min(stretch.find('\n', at), stretch.size());
        const std::size_t close = stretch.substr(0, line_end).rfind("<<");
        if (close == std::string_view::npos || close < at + 3) {
            at = line_end;  // no code starts later on this line either
            continue;
        }
        codes.push_back(Span{at, close + 2});
        at = close + 2;
    }
    return codes;
}

// The text SentencePiece sees once the codes are cut out, and where each kept stretch came from.
struct Stitched {
    std::string text;
    std::vector<std::pair<std::size_t, std::size_t>> pieces;  // {offset in text, offset in the original}

    // The original offset of text offset `at`; an end offset belongs to the stretch before it.
    std::size_t original(std::size_t at, bool is_end) const {
        if (pieces.empty()) return 0;
        const auto after = is_end ? std::lower_bound(pieces.begin(), pieces.end(), at, [](const auto& p, std::size_t a) { return p.first < a; })
                                  : std::upper_bound(pieces.begin(), pieces.end(), at, [](std::size_t a, const auto& p) { return a < p.first; });
        const auto& piece = after == pieces.begin() ? *after : *(after - 1);
        return piece.second + (at - piece.first);
    }
};

Stitched stitch(std::string_view text, std::size_t begin, std::size_t end, const std::vector<Span>& cuts) {
    Stitched out;
    std::size_t from = begin;
    auto keep = [&](std::size_t to) {
        if (to <= from) return;
        out.pieces.emplace_back(out.text.size(), from);
        out.text.append(text.substr(from, to - from));
    };
    for (const Span& cut : cuts) {
        keep(cut.start);
        from = cut.end;
    }
    keep(end);
    return out;
}

struct MarianSpecials {
    std::string eos = "</s>";
    std::string unk = "<unk>";
    std::string pad = "<pad>";
};

class MarianTokenizer final : public Tokenizer {
public:
    MarianTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> spm, hf::Vocab vocab,
                    const MarianSpecials& names, const std::string& vocab_name)
        : m_spm(std::move(spm)), m_vocab(std::move(vocab)) {
        m_eos = required_id(names.eos, "eos_token", vocab_name);
        m_unk = required_id(names.unk, "unk_token", vocab_name);
        m_specials.push_back(names.eos);
        m_specials.push_back(names.unk);
        m_special_ids = {m_eos, m_unk};
        if (const auto pad = m_vocab.find(names.pad)) {
            m_specials.push_back(names.pad);
            m_special_ids.insert(*pad);
        }
    }

    Result<std::vector<Token>> encode(std::string_view text) const override {
        if (auto bad = check_utf8(text)) return *bad;
        try {
            std::vector<Token> tokens;
            // Special tokens typed in the text are themselves, as in transformers; the stretches
            // between them are MarianTokenizer._tokenize's.
            for (std::size_t pos = 0; pos < text.size();) {
                const auto [at, length] = next_special(text, pos);
                encode_stretch(text, pos, at, tokens);
                if (length == 0) break;
                tokens.push_back(special_token(std::string(text.substr(at, length)), at, at + length));
                pos = at + length;
            }
            tokens.push_back(special_token(piece(m_eos), text.size(), text.size()));
            mark_word_parts(tokens);
            return tokens;
        } catch (const std::exception& e) {
            return Error{std::string("text: ") + valid_utf8(e.what())};
        }
    }

    // The pieces of vocab.json, special ones left out, joined as SentencePiece joins them.
    std::string decode(const std::vector<int>& ids) const override {
        std::vector<std::string> pieces;
        for (const int id : ids)
            if (m_special_ids.count(id) == 0 && !piece(id).empty()) pieces.push_back(piece(id));
        return m_spm->DecodePieces(pieces);
    }

    std::string kind() const override { return "marian (sentencepiece)"; }
    int vocab_size() const override { return static_cast<int>(m_vocab.pieces.size()); }
    std::string piece(int id) const override {
        if (id < 0 || static_cast<std::size_t>(id) >= m_vocab.pieces.size()) return "";
        return m_vocab.pieces[static_cast<std::size_t>(id)];
    }
    std::optional<int> find(std::string_view piece) const override { return m_vocab.find(std::string(piece)); }

private:
    int required_id(const std::string& name, const char* role, const std::string& vocab_name) const {
        if (const auto id = m_vocab.find(name)) return *id;
        throw LoadError(vocab_name + ": expected the " + role + " '" + name + "' in the vocabulary, got nothing");
    }

    Token special_token(const std::string& content, std::size_t start, std::size_t end) const {
        Token t;
        t.id = m_vocab.find(content).value_or(m_unk);
        t.piece = piece(t.id);
        t.start = start;
        t.end = end;
        t.special = true;
        return t;
    }

    // {where, length} of the first special token's text at or after `pos`; length 0: none.
    std::pair<std::size_t, std::size_t> next_special(std::string_view text, std::size_t pos) const {
        std::pair<std::size_t, std::size_t> best{text.size(), 0};
        for (const std::string& s : m_specials) {
            const std::size_t at = text.find(s, pos);
            if (at == std::string_view::npos) continue;
            if (at < best.first || (at == best.first && s.size() > best.second)) best = {at, s.size()};
        }
        return best;
    }

    // text[begin, end) as MarianTokenizer._tokenize has it: a language code that starts it is one
    // token, every code is cut out, and SentencePiece splits what is left, joined up.
    void encode_stretch(std::string_view text, std::size_t begin, std::size_t end, std::vector<Token>& tokens) const {
        const std::vector<Span> codes = language_codes(text, begin, end);
        if (!codes.empty() && codes.front().start == begin) {
            const std::string code(text.substr(begin, codes.front().end - begin));
            tokens.push_back(vocab_token(code, codes.front().start, codes.front().end));
        }
        const Stitched rest = stitch(text, begin, end, codes);
        for (const SpmPiece& p : spm_pieces(*m_spm, rest.text, 0))
            tokens.push_back(vocab_token(p.piece, rest.original(p.start, false), rest.original(p.end, true)));
    }

    // A piece as vocab.json numbers it; one it lacks is <unk>, as transformers' lookup makes it.
    Token vocab_token(const std::string& piece_text, std::size_t start, std::size_t end) const {
        Token t;
        const auto id = m_vocab.find(piece_text);
        t.id = id.value_or(m_unk);
        t.unknown = !id;
        t.piece = piece(t.id);
        t.start = start;
        t.end = end;
        return t;
    }

    std::unique_ptr<sentencepiece::SentencePieceProcessor> m_spm;
    hf::Vocab m_vocab;
    int m_eos = 0;
    int m_unk = 0;
    std::vector<std::string> m_specials;  // texts that stand for a special token when typed
    std::unordered_set<int> m_special_ids;
};

// [SECTION] SentencePieceTokenizer (a lone model)

class SentencePieceTokenizer final : public Tokenizer {
public:
    explicit SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> spm) : m_spm(std::move(spm)) {}

    Result<std::vector<Token>> encode(std::string_view text) const override {
        if (auto bad = check_utf8(text)) return *bad;
        try {
            std::vector<Token> tokens;
            for (SpmPiece& p : spm_pieces(*m_spm, text, 0)) {
                Token t;
                t.id = p.spm_id;
                t.piece = piece(p.spm_id);
                t.start = p.start;
                t.end = p.end;
                t.unknown = m_spm->IsUnknown(p.spm_id);
                t.special = m_spm->IsControl(p.spm_id);
                tokens.push_back(std::move(t));
            }
            mark_word_parts(tokens);
            return tokens;
        } catch (const std::exception& e) {
            return Error{std::string("text: ") + valid_utf8(e.what())};
        }
    }

    std::string decode(const std::vector<int>& ids) const override {
        std::vector<int> kept;
        for (const int id : ids)
            if (id >= 0 && id < vocab_size() && !m_spm->IsControl(id)) kept.push_back(id);
        return m_spm->DecodeIds(kept);
    }

    std::string kind() const override { return "sentencepiece"; }
    int vocab_size() const override { return m_spm->GetPieceSize(); }
    std::string piece(int id) const override {
        if (id < 0 || id >= vocab_size()) return "";
        return m_spm->IdToPiece(id);
    }
    std::optional<int> find(std::string_view piece) const override {
        const int id = m_spm->PieceToId(piece);
        // PieceToId answers unk for anything it does not know: only the unk piece itself is unk.
        if (m_spm->IsUnknown(id) && m_spm->IdToPiece(id) != piece) return std::nullopt;
        return id;
    }

private:
    std::unique_ptr<sentencepiece::SentencePieceProcessor> m_spm;
};

// Runs a loader and turns what it throws into an Error (messages already name their file).
template <class Load>
Result<std::shared_ptr<const Tokenizer>> guarded(Load load) {
    try {
        return load();
    } catch (const LoadError& e) {
        return Error{valid_utf8(e.what())};
    } catch (const json::exception& e) {
        return Error{"unexpected JSON content (" + valid_utf8(e.what()) + ")"};
    } catch (const std::bad_alloc&) {
        return Error{"a SentencePiece model too large to load into memory"};
    }
}

MarianSpecials read_marian_specials(const fs::path& dir) {
    MarianSpecials names;
    const fs::path file = dir / "tokenizer_config.json";
    std::error_code ec;
    if (!fs::exists(file, ec)) return names;
    const json config = read_json_file(file);
    if (!config.is_object()) throw LoadError(file.string() + ": expected a JSON object, got " + hf::describe(config));
    auto name = [&](const char* key, std::string& out) {
        const json* v = hf::optional(config, key);
        if (v == nullptr) return;
        if (v->is_string()) out = v->get<std::string>();
        else if (v->is_object() && v->contains("content") && (*v)["content"].is_string()) out = (*v)["content"].get<std::string>();
        else throw LoadError(file.string() + ": " + key + ": expected a string or {\"content\": ...}, got " + hf::describe(*v));
    };
    name("eos_token", names.eos);
    name("unk_token", names.unk);
    name("pad_token", names.pad);
    return names;
}

}  // namespace

// [SECTION] Public entry points

bool is_marian_folder(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "source.spm", ec) && fs::exists(dir / "vocab.json", ec);
}

Result<std::shared_ptr<const Tokenizer>> load_marian_tokenizer(const fs::path& dir, MarianSide side) {
    return guarded([&]() -> std::shared_ptr<const Tokenizer> {
        const fs::path spm_file = dir / (side == MarianSide::Source ? "source.spm" : "target.spm");
        const fs::path vocab_file = dir / "vocab.json";
        auto spm = read_spm(spm_file);
        const json vocab_json = read_json_file(vocab_file);
        hf::Vocab vocab;
        try {
            vocab = hf::parse_vocab(vocab_json, "vocab");
        } catch (const LoadError& e) {
            throw LoadError(vocab_file.string() + ": " + valid_utf8(e.what()));
        }
        return std::make_shared<const MarianTokenizer>(std::move(spm), std::move(vocab), read_marian_specials(dir),
                                                       vocab_file.string());
    });
}

Result<std::shared_ptr<const Tokenizer>> load_sentencepiece_tokenizer(const fs::path& model_file) {
    return guarded([&]() -> std::shared_ptr<const Tokenizer> {
        return std::make_shared<const SentencePieceTokenizer>(read_spm(model_file));
    });
}

}  // namespace attnscope
