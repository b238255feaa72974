// Text plumbing for the Hugging Face tokenizer interpreter: UTF-8, Unicode properties (utf8proc),
// aligned strings, PCRE2 regexes and JSON access with dotted paths.
//
// [SECTION] UTF-8
// [SECTION] Unicode properties
// [SECTION] GPT-2 byte table
// [SECTION] AlignedText
// [SECTION] Unicode normalization
// [SECTION] Regex
// [SECTION] JSON access
#include <algorithm>
#include <array>
#include <cstdlib>
#include <stdexcept>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include "tokenize/hf_tokenizer_internal.h"

namespace attnscope::hf {

// [SECTION] UTF-8

std::string utf8_lossy(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    while (!bytes.empty()) {
        const auto bad = first_invalid_utf8(bytes);
        if (!bad) {
            out.append(bytes);
            break;
        }
        out.append(bytes.substr(0, *bad));
        out += "\xEF\xBF\xBD";  // U+FFFD
        // skip the lead byte and the continuation bytes that still fit the sequence it started (a
        // byte that starts no sequence has length 0: skipped alone)
        std::size_t skip = 1;
        const std::size_t expected = utf8_sequence_length(static_cast<unsigned char>(bytes[*bad]));
        while (skip < expected && *bad + skip < bytes.size() &&
               (static_cast<unsigned char>(bytes[*bad + skip]) & 0xC0) == 0x80)
            ++skip;
        bytes.remove_prefix(*bad + skip);
    }
    return out;
}

// [SECTION] Unicode properties

namespace {
utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }
}  // namespace

bool is_whitespace(char32_t c) {
    // The White_Space property, as Rust's char::is_whitespace reads it.
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

bool is_punctuation(char32_t c) {
    if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                         (c >= 0x7B && c <= 0x7E);
    switch (category(c)) {
        case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
        case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
        case UTF8PROC_CATEGORY_PO:
            return true;
        default:
            return false;
    }
}

bool is_control(char32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return false;  // BERT counts these as whitespace
    // The reference also drops unassigned code points (Cn); utf8proc's Unicode tables are older
    // than the reference's, so Cn here would drop characters that are assigned there (new emoji).
    switch (category(c)) {
        case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CO:
        case UTF8PROC_CATEGORY_CS:
            return true;
        default:
            return false;
    }
}

bool is_mark(char32_t c) {
    const auto cat = category(c);
    return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

bool is_nonspacing_mark(char32_t c) { return category(c) == UTF8PROC_CATEGORY_MN; }

bool is_numeric(char32_t c) {
    const auto cat = category(c);
    return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool is_cjk(char32_t c) {
    // The ranges of BERT's _is_chinese_char (CJK Unified Ideographs and their extensions).
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void append_lowercase(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        return;
    }
    // The one unconditional multi-character lowercase mapping (SpecialCasing.txt): İ -> i + U+0307.
    // Final sigma is contextual; the reference lowercases character by character, so Σ -> σ.
    if (c == 0x130) {
        out += 'i';
        append_utf8(out, 0x307);
        return;
    }
    append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

// [SECTION] GPT-2 byte table

namespace {
// GPT-2 gives every byte a printable character: printable Latin-1 bytes stand for themselves,
// the rest (controls, space, 0x7F-0xA0, 0xAD) take U+0100 onwards in byte order.
struct ByteTable {
    std::array<char32_t, 256> to_char{};
    std::unordered_map<char32_t, unsigned char> to_byte;
    ByteTable() {
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            to_char[b] = printable ? static_cast<char32_t>(b) : next++;
            to_byte[to_char[b]] = static_cast<unsigned char>(b);
        }
    }
};
const ByteTable& byte_table() {
    static const ByteTable table;
    return table;
}
}  // namespace

char32_t byte_to_char(unsigned char b) { return byte_table().to_char[b]; }

std::optional<unsigned char> char_to_byte(char32_t c) {
    const auto& map = byte_table().to_byte;
    const auto it = map.find(c);
    if (it == map.end()) return std::nullopt;
    return it->second;
}

// [SECTION] AlignedText

AlignedText AlignedText::from_original(std::string_view original, std::size_t begin, std::size_t end) {
    AlignedText out;
    out.text.assign(original.substr(begin, end - begin));
    out.align.resize(out.text.size());
    for (std::size_t pos = begin; pos < end;) {
        const std::size_t length = utf8_char_length(original, pos);
        for (std::size_t k = 0; k < length; ++k) out.align[pos - begin + k] = Span{pos, pos + length};
        pos += length;
    }
    return out;
}

Span AlignedText::original_span(std::size_t begin, std::size_t end) const {
    const Span first = align[begin];
    const Span last = align[end - 1];
    return Span{first.start, std::max(first.end, last.end)};
}

AlignedText AlignedText::slice(std::size_t begin, std::size_t end) const {
    AlignedText out;
    out.text.assign(text, begin, end - begin);
    out.align.assign(align.begin() + static_cast<std::ptrdiff_t>(begin),
                     align.begin() + static_cast<std::ptrdiff_t>(end));
    return out;
}

void AlignedText::append(std::string_view bytes, Span span) {
    text.append(bytes);
    align.insert(align.end(), bytes.size(), span);
}

void AlignedText::append_slice(const AlignedText& from, std::size_t begin, std::size_t end) {
    text.append(from.text, begin, end - begin);
    align.insert(align.end(), from.align.begin() + static_cast<std::ptrdiff_t>(begin),
                 from.align.begin() + static_cast<std::ptrdiff_t>(end));
}

// [SECTION] Unicode normalization

namespace {
utf8proc_option_t options_for(UnicodeForm form) {
    const int stable = UTF8PROC_STABLE;
    switch (form) {
        case UnicodeForm::Nfc: return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE);
        case UnicodeForm::Nfd: return static_cast<utf8proc_option_t>(stable | UTF8PROC_DECOMPOSE);
        case UnicodeForm::Nfkc: return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
        case UnicodeForm::Nfkd: return static_cast<utf8proc_option_t>(stable | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
    }
    return UTF8PROC_STABLE;
}
}  // namespace

void normalize_unicode(AlignedText& text, UnicodeForm form) {
    const utf8proc_option_t options = options_for(form);
    const std::string& s = text.text;
    AlignedText out;
    out.text.reserve(s.size());
    out.align.reserve(s.size());
    utf8proc_int32_t state = 0;
    for (std::size_t begin = 0; begin < s.size();) {
        // An ASCII character followed by ASCII (or the end) is a cluster of its own and is left
        // unchanged by every form: the fast path for ordinary text.
        if (static_cast<unsigned char>(s[begin]) < 0x80 &&
            (begin + 1 == s.size() || static_cast<unsigned char>(s[begin + 1]) < 0x80)) {
            out.append_slice(text, begin, begin + 1);
            ++begin;
            state = 0;
            continue;
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
        utf8proc_uint8_t* mapped = nullptr;
        const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + begin),
                                                static_cast<utf8proc_ssize_t>(end - begin), &mapped, options);
        const std::string_view cluster(s.data() + begin, end - begin);
        if (n < 0 || std::string_view(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(n)) == cluster) {
            out.append_slice(text, begin, end);  // unchanged: keep the finer alignment
        } else {
            out.append(std::string_view(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(n)),
                       text.original_span(begin, end));
        }
        std::free(mapped);
        begin = end;
    }
    text = std::move(out);
}

// [SECTION] Regex

Regex::Regex(const std::string& pattern, const std::string& where) {
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
    if (code == nullptr) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error, message, sizeof message);
        fail(where, "expected a regex PCRE2 accepts, got '" + pattern + "' (" +
                        reinterpret_cast<const char*>(message) + " at offset " + std::to_string(error_offset) + ")");
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional speed-up: the interpreter still works without it
    m_code = std::shared_ptr<void>(code, [](void* p) { pcre2_code_free(static_cast<pcre2_code*>(p)); });
}

std::vector<std::pair<std::size_t, std::size_t>> Regex::find_all(std::string_view text) const {
    auto* code = static_cast<pcre2_code*>(m_code.get());
    std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> data(
        pcre2_match_data_create_from_pattern(code, nullptr), pcre2_match_data_free);
    std::unique_ptr<pcre2_match_context, void (*)(pcre2_match_context*)> context(nullptr, pcre2_match_context_free);
    std::unique_ptr<pcre2_jit_stack, void (*)(pcre2_jit_stack*)> stack(nullptr, pcre2_jit_stack_free);
    std::vector<std::pair<std::size_t, std::size_t>> matches;
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    for (std::size_t offset = 0; offset <= text.size();) {
        // The text was checked once on entry; the per-call UTF check would make this quadratic.
        int rc = pcre2_match(code, subject, text.size(), offset, PCRE2_NO_UTF_CHECK, data.get(), context.get());
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !stack) {
            // Long runs (a page of spaces) can outgrow JIT's default 32 KiB stack: retry with 8 MiB.
            stack.reset(pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr));
            context.reset(pcre2_match_context_create(nullptr));
            pcre2_jit_stack_assign(context.get(), nullptr, stack.get());
            continue;
        }
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(rc, message, sizeof message);
            throw std::runtime_error(std::string("regex search failed: ") + reinterpret_cast<const char*>(message));
        }
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
        const std::size_t start = ovector[0];
        const std::size_t end = ovector[1];
        matches.emplace_back(start, end);
        if (end > start) {
            offset = end;
        } else {  // an empty match: step over one character so the search moves on
            if (start >= text.size()) break;
            offset = start + utf8_char_length(text, start);
        }
    }
    return matches;
}

Pattern::Pattern(const json& config, const std::string& path) {
    expect_object(config, path);
    if (const json* literal = optional(config, "String")) {
        if (!literal->is_string()) fail(child(path, "String"), "expected a string, got " + describe(*literal));
        m_literal = literal->get<std::string>();
    } else if (const json* regex = optional(config, "Regex")) {
        if (!regex->is_string()) fail(child(path, "Regex"), "expected a string, got " + describe(*regex));
        m_regex.emplace(oniguruma_to_pcre2(regex->get<std::string>()), child(path, "Regex"));
    } else {
        // Not config.dump(): it recurses once per level, and a hostile file nests 100,000 deep.
        fail(path, "expected {\"String\": ...} or {\"Regex\": ...}, got an object with neither key");
    }
}

std::vector<std::pair<std::size_t, std::size_t>> Pattern::find_all(std::string_view text) const {
    if (m_regex) return m_regex->find_all(text);
    std::vector<std::pair<std::size_t, std::size_t>> matches;
    if (m_literal.empty()) return matches;
    for (std::size_t pos = text.find(m_literal); pos != std::string_view::npos;
         pos = text.find(m_literal, pos + m_literal.size()))
        matches.emplace_back(pos, pos + m_literal.size());
    return matches;
}

std::string oniguruma_to_pcre2(const std::string& pattern) {
    // Oniguruma's \w is Unicode's Word property (letters, marks, decimal digits, connectors);
    // PCRE2 10.42's is letters, all numbers and '_' only. Its \s counts NEL (U+0085) as a space;
    // PCRE2's does not. Spell out Oniguruma's classes.
    static const std::string word = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}";
    static const std::string space = "\\s\\x{85}";
    std::string out;
    bool in_class = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char ch = pattern[i];
        if (ch == '\\' && i + 1 < pattern.size()) {
            const char next = pattern[i + 1];
            if (next == 'w') out += in_class ? word : "[" + word + "]";
            else if (next == 'W' && !in_class) out += "[^" + word + "]";
            else if (next == 's') out += in_class ? space : "[" + space + "]";
            else if (next == 'S' && !in_class) out += "[^" + space + "]";
            else { out += ch; out += next; }
            ++i;
            continue;
        }
        if (ch == '[' && !in_class) in_class = true;
        else if (ch == ']' && in_class) in_class = false;
        out += ch;
    }
    return out;
}

// [SECTION] JSON access

void fail(const std::string& path, const std::string& what) { throw LoadError(path + ": " + what); }

std::string describe(const json& value) {
    switch (value.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
        case json::value_t::string: {
            std::string s = value.get<std::string>();
            if (s.size() > 40) s = s.substr(0, 40) + "...";
            return "the string '" + s + "'";
        }
        case json::value_t::array: return "an array";
        case json::value_t::object: return "an object";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float: return "the number " + value.dump();
        default: return "a value of another kind";
    }
}

std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

void expect_object(const json& value, const std::string& path) {
    if (!value.is_object()) fail(path, "expected an object, got " + describe(value));
}

void expect_array(const json& value, const std::string& path) {
    if (!value.is_array()) fail(path, "expected an array, got " + describe(value));
}

const json* optional(const json& obj, const char* key) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

const json& require(const json& obj, const std::string& path, const char* key) {
    const auto it = obj.find(key);
    if (it == obj.end()) fail(child(path, key), "expected a value, got nothing (the key is missing)");
    return *it;
}

std::string get_string(const json& obj, const std::string& path, const char* key) {
    const json& value = require(obj, path, key);
    if (!value.is_string()) fail(child(path, key), "expected a string, got " + describe(value));
    return value.get<std::string>();
}

std::optional<std::string> get_optional_string(const json& obj, const std::string& path, const char* key) {
    const json* value = optional(obj, key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) fail(child(path, key), "expected a string or null, got " + describe(*value));
    return value->get<std::string>();
}

bool get_bool(const json& obj, const std::string& path, const char* key, bool fallback) {
    const json* value = optional(obj, key);
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) fail(child(path, key), "expected true or false, got " + describe(*value));
    return value->get<bool>();
}

long long get_int(const json& obj, const std::string& path, const char* key, long long fallback) {
    const json* value = optional(obj, key);
    if (value == nullptr) return fallback;
    if (!value->is_number_integer()) fail(child(path, key), "expected an integer, got " + describe(*value));
    return value->get<long long>();
}

std::string type_of(const json& obj, const std::string& path) {
    expect_object(obj, path);
    return get_string(obj, path, "type");
}

void check_nesting(const std::string& path) {
    constexpr std::size_t kMaxDepth = 64;
    if (static_cast<std::size_t>(std::count(path.begin(), path.end(), '[')) > kMaxDepth)
        fail(path, "expected Sequences nested at most " + std::to_string(kMaxDepth) + " deep, got deeper");
}

}  // namespace attnscope::hf
