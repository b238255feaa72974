#include "attnscope/token_labels.h"

#include <algorithm>

#include "attnscope/word_tokenizer.h"

namespace attnscope {

namespace {

// The marks a tokenizer puts in front of a piece at a word boundary, in UTF-8.
constexpr std::string_view kWordMarks[] = {
    "\xC4\xA0",      // Ġ U+0120: GPT-2's byte-level space
    "\xE2\x96\x81",  // ▁ U+2581: SentencePiece's space (Llama, T5)
    "##",            // WordPiece: this piece continues the previous word
};

std::string escape_controls(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else out += c;
    }
    return out;
}

// The first or last i in [0, n) for which matches(i) holds.
template <class Matches>
std::optional<int> find_index(int n, Occurrence which, Matches matches) {
    if (which == Occurrence::First) {
        for (int i = 0; i < n; ++i)
            if (matches(i)) return i;
    } else {
        for (int i = n - 1; i >= 0; --i)
            if (matches(i)) return i;
    }
    return std::nullopt;
}

// A token whose span is empty or outside the text (a tokenizer's [CLS]) shows its piece.
std::string label_in(const std::string& text, const Token& t, ControlChars controls) {
    const bool typed = t.end > t.start && t.end <= text.size();
    const std::string label = typed ? text.substr(t.start, t.end - t.start) : t.piece;
    return controls == ControlChars::Escaped ? escape_controls(label) : label;
}

}  // namespace

std::string token_label(const Trace& trace, int i, ControlChars controls) {
    return label_in(trace.text, trace.tokens[static_cast<std::size_t>(i)], controls);
}

std::vector<std::string> token_labels(const Trace& trace, ControlChars controls) {
    std::vector<std::string> out;
    out.reserve(trace.tokens.size());
    for (int i = 0; i < trace.n_tokens(); ++i) out.push_back(token_label(trace, i, controls));
    return out;
}

std::string key_label(const Trace& trace, int layer, int j, ControlChars controls) {
    if (!trace.layers[static_cast<std::size_t>(layer)].cross) return token_label(trace, j, controls);
    return label_in(trace.source_text, trace.source_tokens[static_cast<std::size_t>(j)], controls);
}

std::vector<std::string> key_labels(const Trace& trace, int layer, ControlChars controls) {
    std::vector<std::string> out;
    for (int j = 0; j < trace.n_keys(layer); ++j) out.push_back(key_label(trace, layer, j, controls));
    return out;
}

std::string_view bare_word(std::string_view token) {
    token.remove_prefix(std::min(token.size(), token.find_first_not_of(" \t\r\n")));
    for (std::string_view mark : kWordMarks)
        if (token.size() > mark.size() && token.substr(0, mark.size()) == mark) return token.substr(mark.size());
    return token;
}

bool token_is_word(std::string_view token, std::string_view word) {
    return lowercase_utf8(bare_word(token)) == lowercase_utf8(bare_word(word));
}

std::optional<int> find_word_token(const std::vector<std::string>& tokens, std::string_view word, Occurrence which) {
    return find_index(static_cast<int>(tokens.size()), which, [&](int i) { return token_is_word(tokens[static_cast<std::size_t>(i)], word); });
}

std::optional<int> find_word_token(const Trace& trace, std::string_view word, Occurrence which) {
    return find_index(trace.n_tokens(), which, [&](int i) {
        return token_is_word(token_label(trace, i), word) || token_is_word(trace.tokens[static_cast<std::size_t>(i)].piece, word);
    });
}

WordCount count_unknown_words(const Trace& trace) {
    WordCount count;
    std::size_t traced_end = 0;  // a long text is counted as far as it was traced
    for (const Token& t : trace.tokens) traced_end = std::max(traced_end, std::min(t.end, trace.text.size()));
    auto is_space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    std::size_t token = 0;  // tokens come in text order: one pass over both
    for (std::size_t pos = 0; pos < traced_end;) {
        if (is_space(static_cast<unsigned char>(trace.text[pos]))) {
            ++pos;
            continue;
        }
        std::size_t end = pos;
        while (end < trace.text.size() && !is_space(static_cast<unsigned char>(trace.text[end]))) ++end;
        bool unknown = false;
        while (token < trace.tokens.size() && trace.tokens[token].end <= pos) ++token;
        for (std::size_t t = token; t < trace.tokens.size() && trace.tokens[t].start < end; ++t)
            unknown = unknown || (trace.tokens[t].unknown && trace.tokens[t].end > trace.tokens[t].start);
        ++count.words;
        count.unknown += unknown ? 1 : 0;
        pos = end;
    }
    return count;
}

std::vector<int> mask_token_positions(const Trace& trace) {
    std::vector<int> positions;
    for (int i = 0; i < trace.n_tokens(); ++i) {
        const std::string& piece = trace.tokens[static_cast<std::size_t>(i)].piece;
        if (piece == "[MASK]" || piece == "<mask>") positions.push_back(i);
    }
    return positions;
}

}  // namespace attnscope
