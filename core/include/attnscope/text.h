// Small UTF-8 helpers shared by the tokenizers, the exports and the CLI: the only UTF-8 code in
// AttnScope.
#pragma once

#include <cstddef>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>

namespace attnscope {

// Byte offset of the first byte that does not start or continue a valid UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF are invalid too); nullopt if valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

// Bytes in the sequence a lead byte starts (1..4), 0 for a byte that cannot start one.
std::size_t utf8_sequence_length(unsigned char lead);

// Bytes of the character at text[pos]: 1..4, and 1 for a byte that starts no valid sequence or
// whose sequence is cut off, so a loop over text always moves on.
std::size_t utf8_char_length(std::string_view text, std::size_t pos);

// Where the character that ends just before `pos` starts (pos > 0): back over its continuation bytes.
std::size_t utf8_previous_char_start(std::string_view text, std::size_t pos);

// Code points in valid UTF-8 text (bytes that are not continuation bytes).
std::size_t count_code_points(std::string_view text);

// Decodes the code point at text[pos]; sets `length` to its byte count. Assumes valid UTF-8.
char32_t decode_utf8_at(std::string_view text, std::size_t pos, std::size_t& length);

void append_utf8(std::string& out, char32_t code_point);

// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD, for messages that
// quote input (a JSON parser's "last read: '...'" can stop inside a character).
std::string valid_utf8(std::string_view text);

// A message or a quote from a file kept readable: valid UTF-8 (as valid_utf8), and at most
// `max_bytes` of it; a longer text is cut at a character boundary and ends with how much was
// left out: "... (199,800 more bytes)". A 200,000-character vocabulary key never makes a
// 200,000-character message.
std::string cut_for_message(std::string_view text, std::size_t max_bytes = 300);

// "4.9 GB", "640 MB", "12 KB", "512 bytes": a file size for people (powers of 1000, as file
// managers show them).
std::string human_bytes(std::uint64_t bytes);

// `text` made safe to print to a terminal: control characters (C0 but '\n' when `keep_newlines`,
// DEL, C1) and the bidirectional controls that reorder what follows them (U+061C, U+200E/F,
// U+202A..E, U+2066..9) are written as visible escapes ("\t", "\x1b", "\u{202e}"), and bytes
// that are not valid UTF-8 as "\xNN". A vocabulary entry or a text can then never move the
// cursor, recolour the terminal or reverse the line it is printed in.
std::string escape_for_terminal(std::string_view text, bool keep_newlines = false);

// The longest error message a public function returns; loaders cut theirs to it.
inline constexpr std::size_t kMaxMessageBytes = 2000;

}  // namespace attnscope
