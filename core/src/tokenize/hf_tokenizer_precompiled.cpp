// The Precompiled normalizer: SentencePiece's own normalization rules (nmt_nfkc and friends),
// compiled into the model and carried in tokenizer.json as `precompiled_charsmap`, base64 of
//
//   u32 trie_size (little-endian) | trie: trie_size / 4 little-endian u32 units | replacements
//
// The trie is a Darts-clone double array over UTF-8 bytes; a key's value is the byte offset of its
// replacement in `replacements`, a run of NUL-terminated strings. Every offset in the blob comes
// from the file, so each is checked before use: a bad one means "no rule here", never a read
// outside the blob.
//
// How the rules apply is the reference's (the Rust `tokenizers` crate), quirks included: text is
// taken one grapheme cluster at a time; a cluster shorter than 6 bytes is looked up whole, and
// the *shortest* rule that matches a prefix of it replaces the whole cluster; otherwise (no rule,
// or a longer cluster) each character is looked up on its own. "\r\n" is one cluster, so it becomes
// one space where the character rules would give two.
//
// [SECTION] Base64
// [SECTION] The character map
// [SECTION] The normalizer
#include <array>
#include <utility>

#include <utf8proc.h>

#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope::hf {

namespace {

// [SECTION] Base64

// Standard alphabet with '=' padding, as Python's base64 writes it; anything else is refused.
std::optional<std::string> decode_base64(std::string_view text) {
    std::array<int, 256> value{};
    value.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(alphabet[i])] = i;
    while (!text.empty() && text.back() == '=' && text.size() % 4 != 1) text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t bits = 0;
    int have = 0;
    for (const char ch : text) {
        const int v = value[static_cast<unsigned char>(ch)];
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        have += 6;
        if (have >= 8) {
            have -= 8;
            out += static_cast<char>((bits >> have) & 0xFF);
        }
    }
    return out;
}

// [SECTION] The character map

class CharsMap {
public:
    // Throws LoadError("<path>: ...") for a blob whose header does not fit it.
    CharsMap(const std::string& blob, const std::string& path) {
        if (blob.size() < 4) fail(path, "expected at least a 4-byte trie size, got " + std::to_string(blob.size()) + " bytes");
        const std::uint32_t trie_size = read_u32(blob, 0);
        if (trie_size < 4 || trie_size % 4 != 0 || trie_size > blob.size() - 4)
            fail(path, "expected a trie size that is a multiple of 4 between 4 and " + std::to_string(blob.size() - 4) +
                           " (the bytes that follow it), got " + std::to_string(trie_size));
        m_units.resize(trie_size / 4);
        for (std::size_t i = 0; i < m_units.size(); ++i) m_units[i] = read_u32(blob, 4 + 4 * i);
        m_replacements = blob.substr(4 + trie_size);
        if (first_invalid_utf8(m_replacements))
            fail(path, "expected the replacement strings to be UTF-8, they are not");
    }

    // The replacement for the shortest rule matching a prefix of `key`, or nothing.
    std::optional<std::string_view> shortest_rule(std::string_view key) const {
        const std::optional<std::uint32_t> offset = first_value(key);
        if (!offset || *offset >= m_replacements.size()) return std::nullopt;
        const std::size_t end = m_replacements.find('\0', *offset);
        const std::string_view replacement = std::string_view(m_replacements).substr(
            *offset, (end == std::string::npos ? m_replacements.size() : end) - *offset);
        // An offset inside a character would cut it: not a rule the compiler could have written.
        if (first_invalid_utf8(replacement)) return std::nullopt;
        return replacement;
    }

private:
    static std::uint32_t read_u32(const std::string& s, std::size_t at) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) |
               static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 16 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3])) << 24;
    }

    // Darts-clone's unit layout: a label byte (bit 31 set on value units), a has-leaf bit, and an
    // offset to the children, scaled by 256 when bit 9 is set.
    static bool has_leaf(std::uint32_t unit) { return ((unit >> 8) & 1) != 0; }
    static std::uint32_t value(std::uint32_t unit) { return unit & 0x7FFFFFFFu; }
    static std::uint32_t label(std::uint32_t unit) { return unit & (0x80000000u | 0xFFu); }
    static std::size_t offset(std::uint32_t unit) { return std::size_t{unit >> 10} << ((unit & (1u << 9)) >> 6); }

    // Walks `key` from the root; the first leaf passed is the shortest rule. A position outside
    // the array ends the walk as "no rule".
    std::optional<std::uint32_t> first_value(std::string_view key) const {
        std::size_t node = offset(m_units[0]);
        for (const char ch : key) {
            const auto c = static_cast<unsigned char>(ch);
            if (c == 0) return std::nullopt;  // keys are C strings
            node ^= c;
            if (node >= m_units.size()) return std::nullopt;
            const std::uint32_t unit = m_units[node];
            if (label(unit) != c) return std::nullopt;
            node ^= offset(unit);
            if (node >= m_units.size()) return std::nullopt;
            if (has_leaf(unit)) return value(m_units[node]);
        }
        return std::nullopt;
    }

    std::vector<std::uint32_t> m_units;
    std::string m_replacements;
};

// [SECTION] The normalizer

class PrecompiledNormalizer final : public Normalizer {
public:
    explicit PrecompiledNormalizer(CharsMap map) : m_map(std::move(map)) {}

    void normalize(AlignedText& text) const override {
        AlignedText out;
        out.text.reserve(text.text.size());
        out.align.reserve(text.text.size());
        utf8proc_int32_t state = 0;
        for (std::size_t begin = 0; begin < text.text.size();) {
            const std::size_t end = cluster_end(text.text, begin, state);
            map_cluster(text, begin, end, out);
            begin = end;
        }
        text = std::move(out);
    }

private:
    // The end of the grapheme cluster that starts at `begin`. ASCII followed by ASCII ends a
    // cluster except CR LF, the one ASCII pair that joins: the fast path for ordinary text.
    static std::size_t cluster_end(const std::string& s, std::size_t begin, utf8proc_int32_t& state) {
        const auto first = static_cast<unsigned char>(s[begin]);
        if (first < 0x80 && first != '\r' && (begin + 1 == s.size() || static_cast<unsigned char>(s[begin + 1]) < 0x80)) {
            state = 0;
            return begin + 1;
        }
        std::size_t length = 0;
        char32_t previous = decode_utf8_at(s, begin, length);
        std::size_t end = begin + length;
        while (end < s.size()) {
            const char32_t c = decode_utf8_at(s, end, length);
            if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                                 static_cast<utf8proc_int32_t>(c), &state))
                break;
            previous = c;
            end += length;
        }
        state = 0;
        return end;
    }

    // Appends text[begin, end) (one cluster) to `out` as the rules rewrite it; a replacement takes
    // the span of what it replaced.
    void map_cluster(const AlignedText& text, std::size_t begin, std::size_t end, AlignedText& out) const {
        const std::string_view s(text.text);
        if (end - begin < 6) {
            if (const auto rule = m_map.shortest_rule(s.substr(begin, end - begin))) {
                out.append(*rule, text.original_span(begin, end));
                return;
            }
        }
        for (std::size_t pos = begin; pos < end;) {
            const std::size_t length = utf8_char_length(text.text, pos);
            if (const auto rule = m_map.shortest_rule(s.substr(pos, length))) out.append(*rule, text.original_span(pos, pos + length));
            else out.append_slice(text, pos, pos + length);
            pos += length;
        }
    }

    CharsMap m_map;
};

}  // namespace

std::unique_ptr<Normalizer> make_precompiled_normalizer(const std::string& charsmap_base64, const std::string& path) {
    const std::optional<std::string> blob = decode_base64(charsmap_base64);
    if (!blob) fail(path, "expected base64 (A-Z, a-z, 0-9, +, /, = padding), got other characters or a cut-off end");
    return std::make_unique<PrecompiledNormalizer>(CharsMap(*blob, path));
}

}  // namespace attnscope::hf
