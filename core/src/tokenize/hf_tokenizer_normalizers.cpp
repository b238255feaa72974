// Normalizers of tokenizer.json: rewrite the text before it is split, keeping each byte's
// original span (see AlignedText) so tokens still point at what the user typed.
//
// [SECTION] Building blocks
// [SECTION] Normalizers
// [SECTION] Factory
#include <utility>

#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope::hf {

// [SECTION] Building blocks

namespace {

// Inserted text has an empty span where it sits: before the first character it is glued to.
Span insertion_at(const AlignedText& text, std::size_t pos) {
    if (pos < text.align.size()) return Span{text.align[pos].start, text.align[pos].start};
    if (!text.align.empty()) return Span{text.align.back().end, text.align.back().end};
    return Span{};
}

void strip_accents_nfd(AlignedText& text, bool all_marks) {
    normalize_unicode(text, UnicodeForm::Nfd);
    map_chars(text, [all_marks](char32_t c, std::string& out) {
        if (all_marks ? is_mark(c) : is_nonspacing_mark(c)) return;
        append_utf8(out, c);
    });
}

void lowercase(AlignedText& text) {
    map_chars(text, [](char32_t c, std::string& out) { append_lowercase(out, c); });
}

void replace(AlignedText& text, const Pattern& pattern, const std::string& content) {
    const auto matches = pattern.find_all(text.text);
    if (matches.empty()) return;
    AlignedText out;
    std::size_t copied = 0;
    for (const auto& [start, end] : matches) {
        if (start == end) continue;  // nothing to replace
        out.append_slice(text, copied, start);
        if (!content.empty()) out.append(content, text.original_span(start, end));
        copied = end;
    }
    out.append_slice(text, copied, text.text.size());
    text = std::move(out);
}

}  // namespace

// [SECTION] Normalizers

namespace {

class SequenceNormalizer final : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : m_parts(std::move(parts)) {}
    void normalize(AlignedText& text) const override {
        for (const auto& part : m_parts) part->normalize(text);
    }

private:
    std::vector<std::unique_ptr<Normalizer>> m_parts;
};

class UnicodeNormalizer final : public Normalizer {
public:
    explicit UnicodeNormalizer(UnicodeForm form) : m_form(form) {}
    void normalize(AlignedText& text) const override { normalize_unicode(text, m_form); }

private:
    UnicodeForm m_form;
};

class LowercaseNormalizer final : public Normalizer {
public:
    void normalize(AlignedText& text) const override { lowercase(text); }
};

// Drops every combining mark (the reference's StripAccents; files put NFD in front of it).
class StripAccentsNormalizer final : public Normalizer {
public:
    void normalize(AlignedText& text) const override {
        map_chars(text, [](char32_t c, std::string& out) {
            if (!is_mark(c)) append_utf8(out, c);
        });
    }
};

class BertNormalizer final : public Normalizer {
public:
    BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
        : m_clean_text(clean_text), m_handle_chinese_chars(handle_chinese_chars),
          m_strip_accents(strip_accents), m_lowercase(lowercase) {}

    void normalize(AlignedText& text) const override {
        if (m_clean_text) clean_text(text);
        if (m_handle_chinese_chars) pad_chinese_chars(text);
        if (m_strip_accents) strip_accents_nfd(text, /*all_marks=*/false);  // BERT drops Mn only
        if (m_lowercase) lowercase(text);
    }

private:
    // Drops NUL, U+FFFD and control characters; every whitespace character becomes a space.
    static void clean_text(AlignedText& text) {
        map_chars(text, [](char32_t c, std::string& out) {
            if (c == 0 || c == 0xFFFD || is_control(c)) return;
            if (is_whitespace(c)) out += ' ';
            else append_utf8(out, c);
        });
    }

    // Puts a space on each side of every CJK ideograph, so each becomes a word of its own.
    static void pad_chinese_chars(AlignedText& text) {
        AlignedText out;
        for (std::size_t pos = 0; pos < text.text.size();) {
            std::size_t length = 0;
            const char32_t c = decode_utf8_at(text.text, pos, length);
            if (is_cjk(c)) {
                const Span span = text.original_span(pos, pos + length);
                out.append(" ", Span{span.start, span.start});
                out.append_slice(text, pos, pos + length);
                out.append(" ", Span{span.end, span.end});
            } else {
                out.append_slice(text, pos, pos + length);
            }
            pos += length;
        }
        text = std::move(out);
    }

    bool m_clean_text;
    bool m_handle_chinese_chars;
    bool m_strip_accents;
    bool m_lowercase;
};

class PrependNormalizer final : public Normalizer {
public:
    explicit PrependNormalizer(std::string prepend) : m_prepend(std::move(prepend)) {}
    void normalize(AlignedText& text) const override {
        if (text.empty()) return;  // the reference leaves empty text empty
        AlignedText out;
        out.append(m_prepend, insertion_at(text, 0));
        out.append_slice(text, 0, text.text.size());
        text = std::move(out);
    }

private:
    std::string m_prepend;
};

class ReplaceNormalizer final : public Normalizer {
public:
    ReplaceNormalizer(Pattern pattern, std::string content)
        : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
    void normalize(AlignedText& text) const override { replace(text, m_pattern, m_content); }

private:
    Pattern m_pattern;
    std::string m_content;
};

class StripNormalizer final : public Normalizer {
public:
    StripNormalizer(bool left, bool right) : m_left(left), m_right(right) {}
    void normalize(AlignedText& text) const override {
        std::size_t begin = 0;
        std::size_t end = text.text.size();
        std::size_t length = 0;
        if (m_left)
            while (begin < end && is_whitespace(decode_utf8_at(text.text, begin, length))) begin += length;
        if (m_right)
            while (end > begin) {
                std::size_t last = end - 1;
                while (last > begin && (static_cast<unsigned char>(text.text[last]) & 0xC0) == 0x80) --last;
                if (!is_whitespace(decode_utf8_at(text.text, last, length))) break;
                end = last;
            }
        if (begin != 0 || end != text.text.size()) text = text.slice(begin, end);
    }

private:
    bool m_left;
    bool m_right;
};

// Every byte becomes its GPT-2 printable character (the ByteLevel normalizer of newer files).
class ByteLevelNormalizer final : public Normalizer {
public:
    void normalize(AlignedText& text) const override {
        AlignedText out;
        std::string ch;
        for (std::size_t pos = 0; pos < text.text.size(); ++pos) {
            ch.clear();
            append_utf8(ch, byte_to_char(static_cast<unsigned char>(text.text[pos])));
            out.append(ch, text.align[pos]);
        }
        text = std::move(out);
    }
};

class IdentityNormalizer final : public Normalizer {
public:
    void normalize(AlignedText&) const override {}
};

}  // namespace

// [SECTION] Factory

std::unique_ptr<Normalizer> make_normalizer(const json& config, const std::string& path) {
    const std::string type = type_of(config, path);
    if (type == "Sequence") {
        check_nesting(path);
        const std::string list_path = child(path, "normalizers");
        const json& list = require(config, path, "normalizers");
        expect_array(list, list_path);
        std::vector<std::unique_ptr<Normalizer>> parts;
        for (std::size_t i = 0; i < list.size(); ++i) parts.push_back(make_normalizer(list[i], index(list_path, i)));
        return std::make_unique<SequenceNormalizer>(std::move(parts));
    }
    if (type == "NFC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::Nfc);
    if (type == "NFD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::Nfd);
    if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::Nfkc);
    if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::Nfkd);
    if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
    if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
    if (type == "BertNormalizer") {
        const bool lower = get_bool(config, path, "lowercase", true);
        // strip_accents: null means "whatever lowercase is", as in BERT's uncased models
        const json* strip = optional(config, "strip_accents");
        if (strip != nullptr && !strip->is_boolean())
            fail(child(path, "strip_accents"), "expected true, false or null, got " + describe(*strip));
        return std::make_unique<BertNormalizer>(get_bool(config, path, "clean_text", true),
                                                get_bool(config, path, "handle_chinese_chars", true),
                                                strip != nullptr ? strip->get<bool>() : lower, lower);
    }
    if (type == "Prepend") return std::make_unique<PrependNormalizer>(get_string(config, path, "prepend"));
    if (type == "Replace")
        return std::make_unique<ReplaceNormalizer>(Pattern(require(config, path, "pattern"), child(path, "pattern")),
                                                   get_string(config, path, "content"));
    if (type == "Strip")
        return std::make_unique<StripNormalizer>(get_bool(config, path, "strip_left", true),
                                                 get_bool(config, path, "strip_right", true));
    if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
    if (type == "Precompiled") {
        // sentencepiece's compiled character map; an empty one (seen in converted files) is a no-op
        const json* map = optional(config, "precompiled_charsmap");
        if (map == nullptr || (map->is_string() && map->get<std::string>().empty()))
            return std::make_unique<IdentityNormalizer>();
        const std::string map_path = child(path, "precompiled_charsmap");
        if (!map->is_string()) fail(map_path, "expected a base64 string, got " + describe(*map));
        return make_precompiled_normalizer(map->get<std::string>(), map_path);
    }
    fail(child(path, "type"), "unsupported normalizer '" + type + "'");
}

}  // namespace attnscope::hf
