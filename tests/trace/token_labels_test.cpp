// Token labels and finding a typed word's token, with hand-made token lists in each tokenizer's
// style: a word tokenizer's plain words, GPT-2's byte-level "Ġ", SentencePiece's "▁" (Llama) and
// WordPiece's "##" continuations (BERT).
#include <gtest/gtest.h>

#include "attnscope/token_labels.h"

namespace attnscope {
namespace {

// A trace of `text` with one token per {start, end, piece}; no layers (labels need none).
Trace trace_of(const std::string& text, const std::vector<Token>& tokens) {
    Trace t;
    t.text = text;
    t.tokens = tokens;
    return t;
}

Token token(std::size_t start, std::size_t end, const std::string& piece) {
    Token t;
    t.start = start;
    t.end = end;
    t.piece = piece;
    return t;
}

TEST(TokenLabel, IsTheTypedTextOrThePieceOfAnAddedToken) {
    const Trace t = trace_of("the bank", {token(0, 0, "[CLS]"), token(0, 3, "the"), token(3, 8, "\xC4\xA0" "bank")});
    EXPECT_EQ(token_label(t, 0), "[CLS]");
    EXPECT_EQ(token_label(t, 1), "the");
    EXPECT_EQ(token_label(t, 2), " bank");  // the text as typed, with GPT-2's leading space
}

TEST(TokenLabel, ShowsControlCharactersUnlessAskedForTheTextAsTyped) {
    const Trace t = trace_of("a\nb\t", {token(0, 2, "a"), token(2, 4, "b")});
    EXPECT_EQ(token_label(t, 0), "a\\n");
    EXPECT_EQ(token_label(t, 1), "b\\t");
    EXPECT_EQ(token_label(t, 0, ControlChars::AsTyped), "a\n");
    EXPECT_EQ(token_labels(t), (std::vector<std::string>{"a\\n", "b\\t"}));
}

TEST(TokenLabel, FallsBackToThePieceWhenTheSpanLiesOutsideTheText) {
    const Trace t = trace_of("ab", {token(1, 9, "</s>")});
    EXPECT_EQ(token_label(t, 0), "</s>");
}

// A cross-attention layer's keys are the source's tokens, read in the source's text; a
// self-attention layer's keys are the trace's own tokens.
TEST(KeyLabel, IsTheSourcesTokenInACrossLayerAndTheTracesOwnElsewhere) {
    Trace t = trace_of("la rive", {token(0, 0, "<s>"), token(0, 2, "la"), token(3, 7, "rive")});
    t.source_text = "the\tbank";
    t.source_tokens = {token(0, 4, "the"), token(4, 8, "bank"), token(8, 8, "</s>")};
    t.layers.resize(2);
    t.layers[1].cross = true;
    EXPECT_EQ(key_labels(t, 0), token_labels(t));
    EXPECT_EQ(key_labels(t, 1), (std::vector<std::string>{"the\\t", "bank", "</s>"}));
    EXPECT_EQ(key_label(t, 1, 0, ControlChars::AsTyped), "the\t");
}

TEST(BareWord, DropsOneWordMarkOfEachTokenizerStyle) {
    EXPECT_EQ(bare_word("bank"), "bank");
    EXPECT_EQ(bare_word(" bank"), "bank");
    EXPECT_EQ(bare_word("\xC4\xA0" "bank"), "bank");      // GPT-2
    EXPECT_EQ(bare_word("\xE2\x96\x81" "bank"), "bank");  // SentencePiece
    EXPECT_EQ(bare_word("##ing"), "ing");                 // WordPiece
    EXPECT_EQ(bare_word("##"), "##");                     // a mark alone is the token itself
    EXPECT_EQ(bare_word("\xC4\xA0"), "\xC4\xA0");
}

TEST(FindWordToken, MatchesPiecesOfEveryTokenizerStyleIgnoringCase) {
    const std::vector<std::string> word = {"i", "took", "the", "money", "to", "the", "bank"};
    const std::vector<std::string> gpt2 = {"I", "\xC4\xA0took", "\xC4\xA0the", "\xC4\xA0money", "\xC4\xA0to", "\xC4\xA0the", "\xC4\xA0" "bank"};
    const std::vector<std::string> llama = {"<s>", "\xE2\x96\x81I", "\xE2\x96\x81took", "\xE2\x96\x81the", "\xE2\x96\x81money", "\xE2\x96\x81to",
                                            "\xE2\x96\x81the", "\xE2\x96\x81" "bank"};
    const std::vector<std::string> bert = {"[CLS]", "i", "took", "the", "money", "to", "the", "bank", "##s", "[SEP]"};
    EXPECT_EQ(find_word_token(word, "BANK", Occurrence::First), 6);
    EXPECT_EQ(find_word_token(gpt2, "bank", Occurrence::First), 6);
    EXPECT_EQ(find_word_token(llama, "Bank", Occurrence::First), 7);
    EXPECT_EQ(find_word_token(bert, "s", Occurrence::First), 8);
    EXPECT_EQ(find_word_token(bert, "[cls]", Occurrence::First), 0);
}

TEST(FindWordToken, GivesTheFirstOrLastOccurrenceOrNone) {
    const std::vector<std::string> gpt2 = {"The", "\xC4\xA0" "bank", "\xC4\xA0" "and", "\xC4\xA0the", "\xC4\xA0river"};
    EXPECT_EQ(find_word_token(gpt2, "the", Occurrence::First), 0);
    EXPECT_EQ(find_word_token(gpt2, "the", Occurrence::Last), 3);
    EXPECT_EQ(find_word_token(gpt2, "money", Occurrence::First), std::nullopt);
    EXPECT_EQ(find_word_token(std::vector<std::string>{}, "the", Occurrence::Last), std::nullopt);
}

TEST(FindWordToken, LowercasesBeyondAscii) {
    const std::vector<std::string> tokens = {"\xE2\x96\x81\xC3\x89T\xC3\x89", "\xE2\x96\x81" "caf\xC3\xA9"};  // ▁ÉTÉ ▁café
    EXPECT_EQ(find_word_token(tokens, "\xC3\xA9t\xC3\xA9", Occurrence::First), 0);                // été
    EXPECT_EQ(find_word_token(tokens, "CAF\xC3\x89", Occurrence::First), 1);                      // CAFÉ
}

TEST(FindWordToken, InATraceMatchesTheTypedTextOrThePiece) {
    // GPT-2 with offsets that include the space, and a tokenizer-added token that covers no text.
    const Trace t = trace_of("Money bank", {token(0, 5, "Money"), token(5, 10, "\xC4\xA0" "bank"), token(10, 10, "<|endoftext|>")});
    EXPECT_EQ(find_word_token(t, "money", Occurrence::First), 0);
    EXPECT_EQ(find_word_token(t, "bank", Occurrence::Last), 1);
    EXPECT_EQ(find_word_token(t, "<|endoftext|>", Occurrence::First), 2);
    EXPECT_EQ(find_word_token(t, "river", Occurrence::First), std::nullopt);
}

Token unknown_token(std::size_t start, std::size_t end) {
    Token t = token(start, end, "<unk>");
    t.unknown = true;
    return t;
}

// "my grandmother deposited her paycheck": five words; the word tokenizer made two of them <unk>.
TEST(CountUnknownWords, CountsTypedWordsWithAnUnknownToken) {
    const std::string text = "my grandmother  deposited her paycheck";
    const Trace t = trace_of(text, {token(0, 2, "my"), unknown_token(3, 14), unknown_token(16, 25), token(26, 29, "her"),
                                    token(30, 38, "paycheck")});
    const WordCount c = count_unknown_words(t);
    EXPECT_EQ(c.words, 5);
    EXPECT_EQ(c.unknown, 2);
}

// Byte-level pieces carry the space before the word, a word may be several pieces of which one is
// unknown, and tokens the tokenizer added ([CLS], [SEP]: no span) are not words.
TEST(CountUnknownWords, PiecesWithTheirSpaceAndAddedTokens) {
    const std::string text = "the riverbank, wet";
    const Trace t = trace_of(text, {token(0, 0, "[CLS]"), token(0, 3, "the"), token(3, 9, "\xC4\xA0river"), unknown_token(9, 13),
                                    token(13, 14, ","), token(14, 18, "\xC4\xA0wet"), token(18, 18, "[SEP]")});
    const WordCount c = count_unknown_words(t);
    EXPECT_EQ(c.words, 3) << "the / riverbank, / wet";
    EXPECT_EQ(c.unknown, 1);
}

// Only the traced part of a long text counts (Trace::note): words past the last token are not.
TEST(CountUnknownWords, StopsWhereTheTraceStops) {
    const Trace t = trace_of("a b c d e f", {token(0, 1, "a"), unknown_token(2, 3)});
    const WordCount c = count_unknown_words(t);
    EXPECT_EQ(c.words, 2);
    EXPECT_EQ(c.unknown, 1);
    EXPECT_EQ(count_unknown_words(trace_of("", {})).words, 0);
}

}  // namespace
}  // namespace attnscope
