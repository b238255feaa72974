#include "attnscope/text.h"

#include <cstdint>
#include <cstdio>

namespace attnscope {

namespace {

bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

}  // namespace

std::size_t utf8_sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;  // C0/C1 would only give overlong forms
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;  // above F4 is past U+10FFFF
    return 0;
}

std::size_t utf8_char_length(std::string_view text, std::size_t pos) {
    const std::size_t length = utf8_sequence_length(static_cast<unsigned char>(text[pos]));
    return length == 0 || pos + length > text.size() ? 1 : length;
}

std::size_t utf8_previous_char_start(std::string_view text, std::size_t pos) {
    do --pos;
    while (pos > 0 && is_continuation(static_cast<unsigned char>(text[pos])));
    return pos;
}

std::size_t count_code_points(std::string_view text) {
    std::size_t n = 0;
    for (char c : text) n += !is_continuation(static_cast<unsigned char>(c));
    return n;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto lead = static_cast<unsigned char>(text[pos]);
        const std::size_t length = utf8_sequence_length(lead);
        if (length == 0 || pos + length > text.size()) return pos;
        for (std::size_t i = 1; i < length; ++i)
            if (!is_continuation(static_cast<unsigned char>(text[pos + i]))) return pos;
        const auto second = static_cast<unsigned char>(text[pos + 1 < text.size() ? pos + 1 : pos]);
        // The second byte's range rules out overlong forms, surrogates and > U+10FFFF.
        if (lead == 0xE0 && second < 0xA0) return pos;
        if (lead == 0xED && second > 0x9F) return pos;
        if (lead == 0xF0 && second < 0x90) return pos;
        if (lead == 0xF4 && second > 0x8F) return pos;
        pos += length;
    }
    return std::nullopt;
}

char32_t decode_utf8_at(std::string_view text, std::size_t pos, std::size_t& length) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    length = utf8_char_length(text, pos);
    if (length == 1) return lead;  // ASCII, or not valid: the byte itself, so callers still move on
    char32_t cp = lead & (0xFF >> (length + 1));
    for (std::size_t i = 1; i < length; ++i) cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const std::size_t bad = first_invalid_utf8(text).value_or(text.size());
        out.append(text.substr(0, bad));
        if (bad == text.size()) break;
        append_utf8(out, U'\uFFFD');
        text.remove_prefix(bad + 1);
    }
    return out;
}

std::string cut_for_message(std::string_view text, std::size_t max_bytes) {
    std::string clean = valid_utf8(text);
    if (clean.size() <= max_bytes) return clean;
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(clean[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    const std::size_t left_out = clean.size() - cut;
    clean.resize(cut);
    return clean + "... (" + std::to_string(left_out) + " more bytes)";
}

namespace {

bool reorders_text(char32_t c) {
    return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

void append_hex_escape(std::string& out, const char* prefix, unsigned value, const char* suffix) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%s%02x%s", prefix, value, suffix);
    out += buffer;
}

}  // namespace

std::string escape_for_terminal(std::string_view text, bool keep_newlines) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t char_bytes = utf8_char_length(text, pos);
        if (first_invalid_utf8(text.substr(pos, char_bytes))) {  // a byte that is not UTF-8
            append_hex_escape(out, "\\x", static_cast<unsigned char>(text[pos]), "");
            ++pos;
            continue;
        }
        std::size_t length = 0;
        const char32_t c = decode_utf8_at(text, pos, length);
        if (c == U'\n' && keep_newlines) out += '\n';
        else if (c == U'\t') out += "\\t";
        else if (c == U'\n') out += "\\n";
        else if (c == U'\r') out += "\\r";
        else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) append_hex_escape(out, "\\x", static_cast<unsigned>(c), "");
        else if (reorders_text(c)) append_hex_escape(out, "\\u{", static_cast<unsigned>(c), "}");
        else out.append(text.substr(pos, length));
        pos += length;
    }
    return out;
}

std::string human_bytes(std::uint64_t bytes) {
    const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1000.0 && unit < 4) {
        value /= 1000.0;
        ++unit;
    }
    char buf[32];
    if (unit == 0) std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    else std::snprintf(buf, sizeof buf, value < 10 ? "%.1f %s" : "%.0f %s", value, units[unit]);
    return buf;
}

}  // namespace attnscope
