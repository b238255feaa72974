// Pre-tokenizers of tokenizer.json: cut the normalized text into the pieces the model sees one
// at a time (words, punctuation, digit runs), rewriting them where the file says so (ByteLevel's
// printable bytes, Metaspace's ▁).
//
// [SECTION] Splitting
// [SECTION] Pre-tokenizers
// [SECTION] Factory
#include <algorithm>
#include <utility>

#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope::hf {

// [SECTION] Splitting

namespace {
struct Part {
    std::size_t start;
    std::size_t end;
    bool is_match;
};
}  // namespace

void split_at(const AlignedText& piece, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
              SplitBehavior behavior, bool invert, std::vector<AlignedText>& out) {
    // The parts cover the piece: the gaps between matches, and the matches (flagged).
    std::vector<Part> parts;
    std::size_t previous = 0;
    for (const auto& [start, end] : matches) {
        if (previous != start) parts.push_back({previous, start, invert});
        parts.push_back({start, end, !invert});
        previous = end;
    }
    if (previous != piece.text.size()) parts.push_back({previous, piece.text.size(), invert});

    // Each behavior decides which parts become pieces; `keep` marks the ones that survive.
    std::vector<Part> pieces;
    bool previous_match = false;
    switch (behavior) {
        case SplitBehavior::Removed:
            for (const Part& p : parts)
                if (!p.is_match) pieces.push_back(p);
            break;
        case SplitBehavior::Isolated:
            pieces = parts;
            break;
        case SplitBehavior::Contiguous:  // runs of adjacent matches become one piece
            for (const Part& p : parts) {
                if (p.is_match == previous_match && !pieces.empty()) pieces.back().end = p.end;
                else pieces.push_back(p);
                previous_match = p.is_match;
            }
            break;
        case SplitBehavior::MergedWithPrevious:  // a match closes the piece before it
            for (const Part& p : parts) {
                if (p.is_match && !previous_match && !pieces.empty()) pieces.back().end = p.end;
                else pieces.push_back(p);
                previous_match = p.is_match;
            }
            break;
        case SplitBehavior::MergedWithNext:  // a match opens the piece after it
            for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
                if (it->is_match && !previous_match && !pieces.empty()) pieces.back().start = it->start;
                else pieces.push_back(*it);
                previous_match = it->is_match;
            }
            std::reverse(pieces.begin(), pieces.end());
            break;
    }
    for (const Part& p : pieces)
        if (p.end > p.start) out.push_back(piece.slice(p.start, p.end));
}

namespace {

// Every character for which `predicate` holds, as a one-character match.
template <class Predicate>
std::vector<std::pair<std::size_t, std::size_t>> char_matches(const std::string& text, Predicate predicate) {
    std::vector<std::pair<std::size_t, std::size_t>> matches;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t length = 0;
        if (predicate(decode_utf8_at(text, pos, length))) matches.emplace_back(pos, pos + length);
        pos += length;
    }
    return matches;
}

SplitBehavior parse_behavior(const json& config, const std::string& path, SplitBehavior fallback) {
    const auto name = get_optional_string(config, path, "behavior");
    if (!name) return fallback;
    if (*name == "Removed") return SplitBehavior::Removed;
    if (*name == "Isolated") return SplitBehavior::Isolated;
    if (*name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (*name == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (*name == "Contiguous") return SplitBehavior::Contiguous;
    fail(child(path, "behavior"), "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, got '" +
                                      *name + "'");
}

// [SECTION] Pre-tokenizers

class SequencePreTokenizer final : public PreTokenizer {
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : m_parts(std::move(parts)) {}
    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        std::vector<AlignedText> current{piece};
        std::vector<AlignedText> next;
        for (const auto& part : m_parts) {
            next.clear();
            for (const AlignedText& p : current) part->split(p, next);
            current.swap(next);
        }
        for (AlignedText& p : current) out.push_back(std::move(p));
    }
    bool is_byte_level() const override {
        for (const auto& part : m_parts)
            if (part->is_byte_level()) return true;
        return false;
    }

private:
    std::vector<std::unique_ptr<PreTokenizer>> m_parts;
};

class SplitPreTokenizer final : public PreTokenizer {
public:
    SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert)
        : m_pattern(std::move(pattern)), m_behavior(behavior), m_invert(invert) {}
    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        split_at(piece, m_pattern.find_all(piece.text), m_behavior, m_invert, out);
    }

private:
    Pattern m_pattern;
    SplitBehavior m_behavior;
    bool m_invert;
};

// GPT-2's: contractions, letter runs, digit runs, other runs (each with one leading space), and
// whitespace that is not followed by a word; then every byte becomes a printable character.
class ByteLevelPreTokenizer final : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
        : m_add_prefix_space(add_prefix_space), m_use_regex(use_regex),
          m_regex(oniguruma_to_pcre2(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"),
                  "ByteLevel") {}

    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        AlignedText text;
        if (m_add_prefix_space && piece.text[0] != ' ') {
            // the added space has an empty span: "Ġhello" still points at "hello"
            text.append(" ", Span{piece.align[0].start, piece.align[0].start});
        }
        text.append_slice(piece, 0, piece.text.size());
        std::vector<AlignedText> words;
        if (m_use_regex) split_at(text, m_regex.find_all(text.text), SplitBehavior::Isolated, false, words);
        else words.push_back(std::move(text));
        for (const AlignedText& word : words) out.push_back(to_printable_bytes(word));
    }
    bool is_byte_level() const override { return true; }

private:
    static AlignedText to_printable_bytes(const AlignedText& word) {
        AlignedText out;
        std::string ch;
        for (std::size_t pos = 0; pos < word.text.size(); ++pos) {
            ch.clear();
            append_utf8(ch, byte_to_char(static_cast<unsigned char>(word.text[pos])));
            out.append(ch, word.align[pos]);  // each byte keeps its whole character's span
        }
        return out;
    }

    bool m_add_prefix_space;
    bool m_use_regex;
    Regex m_regex;
};

// Whitespace goes; every punctuation character is a piece of its own (BERT's basic tokenizer).
class BertPreTokenizer final : public PreTokenizer {
public:
    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        std::size_t word_start = 0;
        for (std::size_t pos = 0; pos < piece.text.size();) {
            std::size_t length = 0;
            const char32_t c = decode_utf8_at(piece.text, pos, length);
            if (is_whitespace(c) || is_punctuation(c)) {
                if (pos > word_start) out.push_back(piece.slice(word_start, pos));
                if (!is_whitespace(c)) out.push_back(piece.slice(pos, pos + length));
                word_start = pos + length;
            }
            pos += length;
        }
        if (piece.text.size() > word_start) out.push_back(piece.slice(word_start, piece.text.size()));
    }
};

// Runs of word characters, and runs of other non-space characters.
class WhitespacePreTokenizer final : public PreTokenizer {
public:
    WhitespacePreTokenizer() : m_regex(oniguruma_to_pcre2(R"(\w+|[^\w\s]+)"), "Whitespace") {}
    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        split_at(piece, m_regex.find_all(piece.text), SplitBehavior::Removed, /*invert=*/true, out);
    }

private:
    Regex m_regex;
};

template <class Predicate>
class CharSplitPreTokenizer final : public PreTokenizer {
public:
    CharSplitPreTokenizer(Predicate predicate, SplitBehavior behavior)
        : m_predicate(predicate), m_behavior(behavior) {}
    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        split_at(piece, char_matches(piece.text, m_predicate), m_behavior, false, out);
    }

private:
    Predicate m_predicate;
    SplitBehavior m_behavior;
};

template <class Predicate>
std::unique_ptr<PreTokenizer> make_char_split(Predicate predicate, SplitBehavior behavior) {
    return std::make_unique<CharSplitPreTokenizer<Predicate>>(predicate, behavior);
}

// Spaces become the replacement (▁), one is put in front, and each ▁ starts a new piece.
class MetaspacePreTokenizer final : public PreTokenizer {
public:
    enum class Prepend { Always, First, Never };
    MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
        : m_replacement(std::move(replacement)), m_prepend(prepend), m_split(split) {}

    void split(const AlignedText& piece, std::vector<AlignedText>& out) const override {
        AlignedText text;
        map_copy(piece, text);
        const bool starts_with_replacement = text.text.compare(0, m_replacement.size(), m_replacement) == 0;
        // "first": only the piece that starts the original text gets one
        const bool prepend = m_prepend == Prepend::Always || (m_prepend == Prepend::First && piece.align[0].start == 0);
        if (prepend && !starts_with_replacement) {
            AlignedText with_prefix;
            with_prefix.append(m_replacement, Span{piece.align[0].start, piece.align[0].start});
            with_prefix.append_slice(text, 0, text.text.size());
            text = std::move(with_prefix);
        }
        if (!m_split) {
            out.push_back(std::move(text));
            return;
        }
        std::vector<std::pair<std::size_t, std::size_t>> matches;
        for (std::size_t pos = text.text.find(m_replacement); pos != std::string::npos;
             pos = text.text.find(m_replacement, pos + m_replacement.size()))
            matches.emplace_back(pos, pos + m_replacement.size());
        split_at(text, matches, SplitBehavior::MergedWithNext, false, out);
    }

private:
    void map_copy(const AlignedText& piece, AlignedText& text) const {
        for (std::size_t pos = 0; pos < piece.text.size(); ++pos) {
            if (piece.text[pos] == ' ') text.append(m_replacement, piece.align[pos]);
            else text.append_slice(piece, pos, pos + 1);
        }
    }

    std::string m_replacement;
    Prepend m_prepend;
    bool m_split;
};

std::unique_ptr<PreTokenizer> make_metaspace(const json& config, const std::string& path) {
    const std::string replacement = get_optional_string(config, path, "replacement").value_or("\xE2\x96\x81");
    if (replacement.empty()) fail(child(path, "replacement"), "expected one character, got an empty string");
    using Prepend = MetaspacePreTokenizer::Prepend;
    Prepend prepend = get_bool(config, path, "add_prefix_space", true) ? Prepend::Always : Prepend::Never;
    if (const auto scheme = get_optional_string(config, path, "prepend_scheme")) {
        if (*scheme == "always") prepend = Prepend::Always;
        else if (*scheme == "first") prepend = Prepend::First;
        else if (*scheme == "never") prepend = Prepend::Never;
        else fail(child(path, "prepend_scheme"), "expected always, first or never, got '" + *scheme + "'");
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement, prepend, get_bool(config, path, "split", true));
}

}  // namespace

// [SECTION] Factory

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& config, const std::string& path) {
    const std::string type = type_of(config, path);
    if (type == "Sequence") {
        check_nesting(path);
        const std::string list_path = child(path, "pretokenizers");
        const json& list = require(config, path, "pretokenizers");
        expect_array(list, list_path);
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        for (std::size_t i = 0; i < list.size(); ++i)
            parts.push_back(make_pre_tokenizer(list[i], index(list_path, i)));
        return std::make_unique<SequencePreTokenizer>(std::move(parts));
    }
    if (type == "Split")
        return std::make_unique<SplitPreTokenizer>(Pattern(require(config, path, "pattern"), child(path, "pattern")),
                                                   parse_behavior(config, path, SplitBehavior::Isolated),
                                                   get_bool(config, path, "invert", false));
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelPreTokenizer>(get_bool(config, path, "add_prefix_space", true),
                                                       get_bool(config, path, "use_regex", true));
    if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
    if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
    if (type == "WhitespaceSplit") return make_char_split(is_whitespace, SplitBehavior::Removed);
    if (type == "Metaspace") return make_metaspace(config, path);
    if (type == "Digits")
        return make_char_split(is_numeric, get_bool(config, path, "individual_digits", false)
                                               ? SplitBehavior::Isolated
                                               : SplitBehavior::Contiguous);
    if (type == "Punctuation")
        return make_char_split(is_punctuation, parse_behavior(config, path, SplitBehavior::Isolated));
    if (type == "CharDelimiterSplit") {
        const std::string delimiter = get_string(config, path, "delimiter");
        std::size_t length = 0;
        if (delimiter.empty() || first_invalid_utf8(delimiter) || count_code_points(delimiter) != 1)
            fail(child(path, "delimiter"), "expected one character, got '" + delimiter + "'");
        const char32_t c = decode_utf8_at(delimiter, 0, length);
        return make_char_split([c](char32_t x) { return x == c; }, SplitBehavior::Removed);
    }
    fail(child(path, "type"), "unsupported pre-tokenizer '" + type + "'");
}

}  // namespace attnscope::hf
