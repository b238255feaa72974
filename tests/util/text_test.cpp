// What may reach a terminal (attnscope/text.h: escape_for_terminal): each expected string is
// written out by hand from the escape rules, not produced by the function.
#include <gtest/gtest.h>

#include "attnscope/text.h"

namespace attnscope {
namespace {

TEST(EscapeForTerminal, LeavesOrdinaryTextAndOtherScriptsAlone) {
    EXPECT_EQ(escape_for_terminal("the river bank"), "the river bank");
    EXPECT_EQ(escape_for_terminal("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xC4\xA0the"), "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xC4\xA0the");
}

TEST(EscapeForTerminal, WritesAnEscapeSequenceAsVisibleCharacters) {
    // ESC [ 2 J clears the screen; ESC ] 0 ; ... BEL sets the window title.
    EXPECT_EQ(escape_for_terminal("a\x1b[2Jb"), "a\\x1b[2Jb");
    EXPECT_EQ(escape_for_terminal("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
}

TEST(EscapeForTerminal, NamesTabsAndLineBreaksAndKeepsNewlinesOnlyWhenAsked) {
    EXPECT_EQ(escape_for_terminal("a\tb\r\nc"), "a\\tb\\r\\nc");
    EXPECT_EQ(escape_for_terminal("a\tb\r\nc", true), "a\\tb\\r\nc");
}

TEST(EscapeForTerminal, EscapesDeleteAndTheC1Controls) {
    EXPECT_EQ(escape_for_terminal("x\x7fy"), "x\\x7fy");
    EXPECT_EQ(escape_for_terminal("\xC2\x9B" "31m"), "\\x9b31m");  // U+009B, the 8-bit CSI
    EXPECT_EQ(escape_for_terminal("\xC2\xA0"), "\xC2\xA0");         // U+00A0 is printable
}

TEST(EscapeForTerminal, EscapesTheControlsThatReorderALine) {
    // U+202E RIGHT-TO-LEFT OVERRIDE and U+2066 LEFT-TO-RIGHT ISOLATE ("Trojan Source").
    EXPECT_EQ(escape_for_terminal("abc\xE2\x80\xAE" "def"), "abc\\u{202e}def");
    EXPECT_EQ(escape_for_terminal("\xE2\x81\xA6x"), "\\u{2066}x");
    EXPECT_EQ(escape_for_terminal("\xE2\x80\x8F"), "\\u{200f}");
}

TEST(EscapeForTerminal, WritesBytesThatAreNotUtf8InHex) {
    EXPECT_EQ(escape_for_terminal("a\xFF" "b"), "a\\xffb");
    EXPECT_EQ(escape_for_terminal("\xE2\x41\x41"), "\\xe2AA");  // a lead byte without its continuation
    EXPECT_EQ(escape_for_terminal("\xE2\x82"), "\\xe2\\x82");    // cut off at the end
}

TEST(EscapeForTerminal, EscapesAMultiMegabyteText) {
    // 2 MB of mixed text (a quadratic scan would not finish within the test timeout).
    std::string text;
    for (int i = 0; i < 200000; ++i) text += "ab\x1b" "cd\xC3\xA9\xFF";
    const std::string out = escape_for_terminal(text);
    EXPECT_EQ(out.size(), 200000u * (2 + 4 + 2 + 2 + 4));
}

}  // namespace
}  // namespace attnscope
