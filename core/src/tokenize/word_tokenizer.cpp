#include "attnscope/word_tokenizer.h"

#include <utf8proc.h>

#include "attnscope/text.h"

namespace attnscope {

namespace {

bool is_word_char(char32_t cp) {
    if (cp == U'\'' || cp == U'\u2019') return true;  // "didn't", also with a typographic apostrophe
    const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    switch (category) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:  // combining accents stay in their word
            return true;
        default:
            return false;
    }
}

bool is_space(char32_t cp) {
    if (cp == U'\t' || cp == U'\n' || cp == U'\r' || cp == U'\v' || cp == U'\f') return true;
    const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
           category == UTF8PROC_CATEGORY_ZP;
}

}  // namespace

std::string lowercase_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t length = 0;
        const char32_t cp = decode_utf8_at(text, pos, length);
        // decode_utf8_at assumes valid UTF-8: a stray byte would come back as a Latin-1 letter
        // ("\xC0" -> "à"), and a cut sequence would swallow the byte after it.
        if (first_invalid_utf8(text.substr(pos, length))) {
            out += text[pos++];
            continue;
        }
        append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
        pos += length;
    }
    return out;
}

WordTokenizer::WordTokenizer(std::vector<std::string> vocab, bool lowercase, std::string unk)
    : m_vocab(std::move(vocab)), m_lowercase(lowercase), m_unk(std::move(unk)) {
    m_ids.reserve(m_vocab.size());
    for (std::size_t i = 0; i < m_vocab.size(); ++i) m_ids.emplace(m_vocab[i], static_cast<int>(i));
    if (auto it = m_ids.find(m_unk); it != m_ids.end()) m_unk_id = it->second;
}

std::optional<std::pair<int, std::size_t>> WordTokenizer::bracketed_entry_at(std::string_view text,
                                                                            std::size_t pos) const {
    const char open = text[pos];
    if (open != '<' && open != '[') return std::nullopt;
    const std::size_t close = text.find(open == '<' ? '>' : ']', pos + 1);
    if (close == std::string_view::npos || close - pos > 40) return std::nullopt;
    const std::string_view typed = text.substr(pos, close - pos + 1);
    std::string key = m_lowercase ? lowercase_utf8(typed) : std::string(typed);
    if (key == "[mask]" || typed == "[MASK]") key = "<mask>";
    if (key.front() != '<') return std::nullopt;
    auto it = m_ids.find(key);
    if (it == m_ids.end()) return std::nullopt;
    return std::make_pair(it->second, typed.size());
}

Result<std::vector<Token>> WordTokenizer::encode(std::string_view text) const {
    if (auto bad = first_invalid_utf8(text))
        return Error{"text is not valid UTF-8 at byte " + std::to_string(*bad)};

    std::vector<Token> tokens;
    auto emit = [&](std::size_t start, std::size_t end) {
        const std::string_view word = text.substr(start, end - start);
        std::string key = m_lowercase ? lowercase_utf8(word) : std::string(word);
        // A typographic apostrophe (as word processors type it) means the same as the ASCII one.
        for (std::size_t at = key.find("\u2019"); at != std::string::npos; at = key.find("\u2019", at))
            key.replace(at, 3, "'");
        Token token;
        token.start = start;
        token.end = end;
        if (auto it = m_ids.find(key); it != m_ids.end()) {
            token.id = it->second;
            token.piece = key;
        } else {
            token.id = m_unk_id;
            token.piece = m_unk;
            token.unknown = true;
        }
        tokens.push_back(std::move(token));
    };

    std::size_t pos = 0;
    std::size_t word_start = std::string_view::npos;  // start of the word being read, if any
    while (pos < text.size()) {
        if (auto entry = bracketed_entry_at(text, pos)) {
            if (word_start != std::string_view::npos) emit(word_start, pos);
            word_start = std::string_view::npos;
            Token token;
            token.id = entry->first;
            token.piece = m_vocab[static_cast<std::size_t>(entry->first)];
            token.start = pos;
            token.end = pos + entry->second;
            tokens.push_back(std::move(token));
            pos += entry->second;
            continue;
        }
        std::size_t length = 0;
        const char32_t cp = decode_utf8_at(text, pos, length);
        if (is_word_char(cp)) {
            if (word_start == std::string_view::npos) word_start = pos;
        } else {
            if (word_start != std::string_view::npos) emit(word_start, pos);
            word_start = std::string_view::npos;
            if (!is_space(cp)) emit(pos, pos + length);  // punctuation, symbols, emoji: one token each
        }
        pos += length;
    }
    if (word_start != std::string_view::npos) emit(word_start, text.size());
    return tokens;
}

std::string WordTokenizer::decode(const std::vector<int>& ids) const {
    std::string out;
    for (int id : ids) {
        if (!out.empty()) out += ' ';
        out += piece(id);
    }
    return out;
}

std::string WordTokenizer::piece(int id) const {
    if (id < 0 || id >= vocab_size()) return {};
    return m_vocab[static_cast<std::size_t>(id)];
}

std::optional<int> WordTokenizer::find(std::string_view piece) const {
    if (auto it = m_ids.find(std::string(piece)); it != m_ids.end()) return it->second;
    return std::nullopt;
}

}  // namespace attnscope
