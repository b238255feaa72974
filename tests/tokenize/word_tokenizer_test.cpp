#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attnscope/text.h"
#include "attnscope/word_tokenizer.h"

namespace attnscope {
namespace {

WordTokenizer make_tokenizer() {
    return WordTokenizer({"<unk>", "the", "animal", "didn't", "cross", "street", "because", "it", "was", ".", ",", "café", "3"},
                         /*lowercase=*/true, "<unk>");
}

std::vector<std::string> texts(std::string_view text, const std::vector<Token>& tokens) {
    std::vector<std::string> out;
    for (const Token& t : tokens) out.emplace_back(text.substr(t.start, t.end - t.start));
    return out;
}

TEST(WordTokenizer, SplitsWordsAndPunctuationWithByteOffsets) {
    const std::string text = "The animal didn't cross, because it was.";
    const auto tokens = make_tokenizer().encode(text);
    ASSERT_TRUE(tokens.ok());
    EXPECT_THAT(texts(text, tokens.value()),
                ::testing::ElementsAre("The", "animal", "didn't", "cross", ",", "because", "it", "was", "."));
    EXPECT_EQ(tokens.value()[0].id, 1);  // lowercased before the lookup
    EXPECT_EQ(tokens.value()[0].piece, "the");
    EXPECT_EQ(tokens.value()[2].id, 3);  // the apostrophe stays inside the word
    EXPECT_EQ(tokens.value()[4].start, 23u);
    EXPECT_EQ(tokens.value()[4].end, 24u);
}

TEST(WordTokenizer, MarksWordsOutsideTheVocabularyAsUnknown) {
    const auto tokens = make_tokenizer().encode("the zebra");
    ASSERT_TRUE(tokens.ok());
    ASSERT_EQ(tokens.value().size(), 2u);
    EXPECT_FALSE(tokens.value()[0].unknown);
    EXPECT_TRUE(tokens.value()[1].unknown);
    EXPECT_EQ(tokens.value()[1].id, 0);
    EXPECT_EQ(tokens.value()[1].piece, "<unk>");
}

TEST(WordTokenizer, KeepsMultiByteLettersInOneWordAndSymbolsApart) {
    const std::string text = "CAFÉ 3€ it\u2019s";
    const auto tokens = make_tokenizer().encode(text);
    ASSERT_TRUE(tokens.ok());
    EXPECT_THAT(texts(text, tokens.value()), ::testing::ElementsAre("CAFÉ", "3", "€", "it\u2019s"));
    EXPECT_EQ(tokens.value()[0].id, 11) << "É lowercases to é";
    EXPECT_EQ(tokens.value()[2].end - tokens.value()[2].start, 3u) << "€ is three bytes";
}

TEST(WordTokenizer, ReadsATypedMaskAsOneToken) {
    const WordTokenizer words({"<unk>", "<mask>", "the", "bank"}, true, "<unk>");
    for (const std::string text : {"the <mask> bank", "the [MASK] bank", "the <MASK>bank"}) {
        const auto tokens = words.encode(text);
        ASSERT_TRUE(tokens.ok());
        ASSERT_EQ(tokens.value().size(), 3u) << text;
        EXPECT_EQ(tokens.value()[1].id, 1) << text;
        EXPECT_EQ(tokens.value()[1].piece, "<mask>");
        EXPECT_EQ(tokens.value()[1].start, 4u);
        EXPECT_EQ(tokens.value()[1].end, 10u);
    }
    // brackets around anything that is not a bracketed vocabulary entry split as usual
    const auto other = words.encode("<b>");
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other.value().size(), 3u);
}

TEST(WordTokenizer, GivesNoTokensForWhitespace) {
    const auto tokens = make_tokenizer().encode(" \t\n  ");
    ASSERT_TRUE(tokens.ok());
    EXPECT_TRUE(tokens.value().empty());
}

TEST(WordTokenizer, RefusesInvalidUtf8NamingTheByte) {
    const auto tokens = make_tokenizer().encode("the \xC3\x28 animal");
    ASSERT_FALSE(tokens.ok());
    EXPECT_THAT(tokens.error().message, ::testing::HasSubstr("not valid UTF-8 at byte 4"));
}

TEST(WordTokenizer, HandlesTenThousandWords) {
    std::string text;
    for (int i = 0; i < 10000; ++i) text += "the animal ";
    const auto tokens = make_tokenizer().encode(text);
    ASSERT_TRUE(tokens.ok());
    EXPECT_EQ(tokens.value().size(), 20000u);
}

// Found by tests/fuzz (text_encoding): a stray byte came back as a Latin-1 letter ("\xC0" -> "à"),
// and a lead byte followed by ASCII swallowed the letter after it.
// Messages that quote input: a JSON parser's "last read: '...'" may stop inside a character.
TEST(ValidUtf8, ReplacesEachStrayByteWithTheReplacementCharacter) {
    EXPECT_EQ(valid_utf8("plain \xC3\xA9 text"), "plain \xC3\xA9 text");                 // é stays
    EXPECT_EQ(valid_utf8("read: '\xC3'"), "read: '\xEF\xBF\xBD'");                      // a cut é
    EXPECT_EQ(valid_utf8("\xFF\xFEok\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBDok\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(valid_utf8(""), "");
}

TEST(LowercaseUtf8, KeepsInvalidBytesAsTheyAre) {
    EXPECT_EQ(lowercase_utf8("\xC0\xAF BANK \xFF"), "\xC0\xAF bank \xFF");
    EXPECT_EQ(lowercase_utf8("A\xC3" "B\xE2\x82" "C"), "a\xC3" "b\xE2\x82" "c");
    EXPECT_EQ(lowercase_utf8("\xED\xA0\x80\xF4\x90\x80\x80"), "\xED\xA0\x80\xF4\x90\x80\x80");  // a surrogate, > U+10FFFF
    EXPECT_EQ(lowercase_utf8("\xC3\x89T\xC3\x89 \xFF"), "\xC3\xA9t\xC3\xA9 \xFF");  // valid text around them is lowercased
}

}  // namespace
}  // namespace attnscope
