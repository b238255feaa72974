// The Unigram model and the Precompiled normalizer (core/src/tokenize/hf_tokenizer_unigram.cpp,
// hf_tokenizer_precompiled.cpp) on vocabularies and character maps small enough to work by hand,
// and on malformed ones. The real T5 file against the reference is in hf_tokenizer_test.cpp.
//
// [SECTION] Helpers
// [SECTION] Viterbi, worked by hand
// [SECTION] Unknown characters and byte fallback
// [SECTION] The Precompiled character map, built by hand
// [SECTION] Malformed files
#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hf_tokenizer_helpers.h"

namespace attnscope {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace attnscope::testing;

// [SECTION] Helpers

// A tokenizer.json with a Unigram model over `pieces` ([piece, score] in id order) and nothing
// else: each whitespace-free text is one word.
json unigram(const json& pieces, const json& unk_id = 0, bool byte_fallback = false) {
    return {{"model", {{"type", "Unigram"}, {"vocab", pieces}, {"unk_id", unk_id}, {"byte_fallback", byte_fallback}}},
            {"normalizer", nullptr}, {"pre_tokenizer", nullptr}, {"post_processor", nullptr},
            {"decoder", nullptr}, {"added_tokens", json::array()}};
}

std::string slice(const std::string& text, const Token& t) { return text.substr(t.start, t.end - t.start); }

std::string error_of(const json& j) {
    const auto result = load_hf_tokenizer_json(j.dump(), "tiny.json");
    return result.ok() ? "(loaded)" : result.error().message;
}

// [SECTION] Viterbi, worked by hand

// ids: <unk>=0 a=1 b=2 ab=3 abc=4 c=5 bc=6. The segmentations of "abc" and their sums:
//   a+b+c = -1-2-3 = -6    ab+c = -2.5-3 = -5.5    a+bc = -1-4 = -5    abc = -6
// so the best is a + bc, though "ab" and "abc" are pieces too.
const json kAbc = json::array({{"<unk>", 0.0}, {"a", -1.0}, {"b", -2.0}, {"ab", -2.5}, {"abc", -6.0}, {"c", -3.0}, {"bc", -4.0}});

TEST(UnigramModel, TakesThePathWithTheHighestTotalScore) {
    const auto t = load_json(unigram(kAbc));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind(), "unigram");
    EXPECT_THAT(ids(*t, "abc"), ElementsAre(1, 6));
    // "abab": ab+ab = -5 beats a+b+a+b = -6 and a+b+ab = -5.5
    EXPECT_THAT(ids(*t, "abab"), ElementsAre(3, 3));
    // "cab": c+ab = -5.5 beats c+a+b = -6
    EXPECT_THAT(ids(*t, "cab"), ElementsAre(5, 3));
}

TEST(UnigramModel, TokensCoverTheirBytesAndWordPartsContinue) {
    const auto t = load_json(unigram(kAbc));
    ASSERT_TRUE(t);
    const std::string text = "abc";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(slice(text, tokens[0]), "a");
    EXPECT_EQ(slice(text, tokens[1]), "bc");
    EXPECT_FALSE(tokens[0].continues_word);
    EXPECT_TRUE(tokens[1].continues_word);
}

// a=-1, b=-1, ab=-2: "ab" and "a"+"b" tie at -2. The path found first is kept: scanning from the
// left, "ab" (from offset 0) reaches the end before "b" (from offset 1) does.
TEST(UnigramModel, KeepsThePathFoundFirstOnATie) {
    const auto t = load_json(unigram(json::array({{"<unk>", 0.0}, {"a", -1.0}, {"b", -1.0}, {"ab", -2.0}})));
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "ab"), ElementsAre(3));
}

// [SECTION] Unknown characters and byte fallback

// min score -6, so an unknown character costs -16: "x" is covered, but never instead of a piece.
// Two unknown characters in a row are one <unk> token.
TEST(UnigramModel, FusesConsecutiveUnknownCharactersIntoOneUnk) {
    const auto t = load_json(unigram(kAbc));
    ASSERT_TRUE(t);
    const std::string text = "axx\xC3\xA9" "b";  // "axxéb"
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_EQ(tokens[0].id, 1);
    EXPECT_EQ(tokens[1].id, 0);
    EXPECT_TRUE(tokens[1].unknown);
    EXPECT_EQ(slice(text, tokens[1]), "xx\xC3\xA9");
    EXPECT_EQ(tokens[2].id, 2);
    EXPECT_FALSE(tokens[2].unknown);
}

// The unk edge costs min score - 10: an unknown character between pieces never makes the model
// give up a piece. Here "b" (-2) stays a piece rather than joining the unknown run.
TEST(UnigramModel, UnknownCharactersCostTheMinimumScoreMinusTen) {
    const auto t = load_json(unigram(json::array({{"<unk>", 0.0}, {"b", -2.0}, {"zb", -30.0}})));
    ASSERT_TRUE(t);
    // "zb": the piece zb (-30) against unk(z) + b = (-30 - 10) + -2 = -42: the piece wins
    EXPECT_THAT(ids(*t, "zb"), ElementsAre(2));
    const auto t2 = load_json(unigram(json::array({{"<unk>", 0.0}, {"b", -2.0}, {"zb", -50.0}})));
    ASSERT_TRUE(t2);
    // with zb at -50 (the minimum): unk(z) + b = -60 - 2 = -62, still worse than -50
    EXPECT_THAT(ids(*t2, "zb"), ElementsAre(2));
    // and "qb" has no piece for q: unk + b
    EXPECT_THAT(ids(*t2, "qb"), ElementsAre(0, 1));
}

TEST(UnigramModel, ByteFallbackSpellsAnUnknownCharacterInBytesThatEachCoverIt) {
    json pieces = json::array({{"<unk>", 0.0}, {"a", -1.0}});
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        pieces.push_back({name, -5.0});
    }
    const auto t = load_json(unigram(pieces, 0, true));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind(), "unigram (byte-fallback)");
    const std::string text = "a\xC3\xA9";  // "aé": é is 0xC3 0xA9; byte ids are 2 + byte
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_THAT(ids(*t, text), ElementsAre(1, 2 + 0xC3, 2 + 0xA9));
    for (std::size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(slice(text, tokens[i]), "\xC3\xA9");
        EXPECT_FALSE(tokens[i].unknown);
    }
}

TEST(UnigramModel, AnUnknownCharacterWithoutAnUnkTokenIsAnErrorNotACrash) {
    const auto t = load_json(unigram(kAbc, nullptr));
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "abc"), ElementsAre(1, 6));
    const auto result = t->encode("axb");
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("'x' is not in the vocabulary"));
}

// The old format (t5's file): no "type", the vocab a list of pairs.
TEST(UnigramModel, IsRecognisedWithoutATypeByItsListOfPairs) {
    json j = unigram(kAbc);
    j["model"].erase("type");
    const auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind(), "unigram");
    EXPECT_THAT(ids(*t, "abc"), ElementsAre(1, 6));
}

TEST(UnigramModel, MetaspaceDecoderTurnsItsPiecesBackIntoText) {
    const std::string m = "\xE2\x96\x81";
    json j = unigram(json::array({{"<unk>", 0.0}, {m + "hello", -1.0}, {m + "wor", -2.0}, {"ld", -2.0}, {m, -3.0}}));
    j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", m}, {"prepend_scheme", "always"}, {"split", true}};
    j["decoder"] = {{"type", "Metaspace"}, {"replacement", m}, {"prepend_scheme", "always"}, {"split", true}};
    const auto t = load_json(j);
    ASSERT_TRUE(t);
    const std::string text = "hello world";
    EXPECT_THAT(ids(*t, text), ElementsAre(1, 2, 3));
    EXPECT_EQ(t->decode(ids(*t, text)), text);
    const auto tokens = encode(*t, text);
    EXPECT_EQ(slice(text, tokens[1]), " wor");  // "▁wor" covers the space it stands for
    EXPECT_EQ(slice(text, tokens[2]), "ld");
}

// [SECTION] The Precompiled character map, built by hand

std::string u32le(std::uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
}

std::string base64(const std::string& bytes) {
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (i + 1 < bytes.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? alphabet[n & 63] : '=';
    }
    return out;
}

// A Darts double array with three rules, laid out by hand. A unit is label | has_leaf << 8 |
// offset << 10; from node n, byte c leads to n ^ c, and a leaf's value sits at that unit's
// node ^ offset, with bit 31 set. The root (unit 0) has offset 256.
//   "A" -> "a"   : 256 ^ 0x41 = 321, offset 1 -> value unit 320 = replacement at 0
//   "B" -> ""    : 256 ^ 0x42 = 322, offset 8 -> value unit 330 = replacement at 2
//   "C" -> "xyz" : 256 ^ 0x43 = 323, offset 8 -> value unit 331 = replacement at 3
// Replacements: "a\0" "\0" "xyz\0".
std::string hand_made_charsmap() {
    std::vector<std::uint32_t> units(332, 0);
    units[0] = 256u << 10;
    units[321] = 0x41 | (1u << 8) | (1u << 10);
    units[320] = 0x80000000u | 0;
    units[322] = 0x42 | (1u << 8) | (8u << 10);
    units[330] = 0x80000000u | 2;
    units[323] = 0x43 | (1u << 8) | (8u << 10);
    units[331] = 0x80000000u | 3;
    std::string blob = u32le(static_cast<std::uint32_t>(units.size() * 4));
    for (const std::uint32_t u : units) blob += u32le(u);
    blob += std::string("a\0\0xyz\0", 7);
    return blob;
}

json with_charsmap(const std::string& blob_base64) {
    json j = unigram(json::array({{"<unk>", 0.0}, {"a", -1.0}, {"xyz", -1.0}, {"d", -1.0}}));
    j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", blob_base64}};
    return j;
}

TEST(PrecompiledNormalizer, ReplacesExpandsAndDeletesByItsRules) {
    const auto t = load_json(with_charsmap(base64(hand_made_charsmap())));
    ASSERT_TRUE(t);
    // "ABCd" -> "a" + "" + "xyz" + "d"
    const std::string text = "ABCd";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_EQ(tokens[0].piece, "a");
    EXPECT_EQ(slice(text, tokens[0]), "A");
    EXPECT_EQ(tokens[1].piece, "xyz");
    EXPECT_EQ(slice(text, tokens[1]), "C");  // the expansion points at what it replaced
    EXPECT_EQ(tokens[2].piece, "d");
    EXPECT_EQ(slice(text, tokens[2]), "d");
}

// "A" + U+0301 is one grapheme cluster of 3 bytes: looked up whole, the shortest rule matching a
// prefix ("A") replaces all of it, accent included, as the reference does.
TEST(PrecompiledNormalizer, AShortClusterTakesTheShortestRuleThatStartsIt) {
    const auto t = load_json(with_charsmap(base64(hand_made_charsmap())));
    ASSERT_TRUE(t);
    const std::string text = "A\xCC\x81" "d";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0].piece, "a");
    EXPECT_EQ(slice(text, tokens[0]), "A\xCC\x81");
}

// [SECTION] Malformed files

TEST(UnigramModelErrors, NameThePathOfWhatIsWrong) {
    EXPECT_THAT(error_of(unigram(json::array())), HasSubstr("tiny.json: model.vocab: expected at least one [piece, score] pair"));
    EXPECT_THAT(error_of(unigram(json::array({{"a", -1.0}}), 5)), HasSubstr("model.unk_id: expected the id of a piece (0 to 0)"));
    EXPECT_THAT(error_of(unigram(json::array({{"a", -1.0}}), -1)), HasSubstr("model.unk_id"));
    EXPECT_THAT(error_of(unigram(json::array({{"a", "x"}}))), HasSubstr("model.vocab[0]: expected [piece, score]"));
    EXPECT_THAT(error_of(unigram(json::array({"a"}))), HasSubstr("model.vocab[0]: expected [piece, score]"));
}

// JSON has no NaN or infinity, and the parser refuses 1e999 rather than read it as infinity; the
// model refuses non-finite scores anyway (a NaN would make every comparison of paths false).
TEST(UnigramModelErrors, RefuseScoresThatOverflow) {
    for (const char* score : {"1e999", "-1e999"}) {
        const std::string text = std::string(R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0], ["a", )") +
                                 score + "]]}}";
        const auto result = load_hf_tokenizer_json(text, "tiny.json");
        ASSERT_FALSE(result.ok());
        EXPECT_THAT(result.error().message, HasSubstr("tiny.json: "));
        EXPECT_THAT(result.error().message, HasSubstr("overflow"));
    }
}

TEST(PrecompiledNormalizerErrors, RefuseGarbageAndCutOffMaps) {
    EXPECT_THAT(error_of(with_charsmap("not base64 at all!")), HasSubstr("normalizer.precompiled_charsmap: expected base64"));
    EXPECT_THAT(error_of(with_charsmap("QQ")), HasSubstr("expected at least a 4-byte trie size"));
    const std::string blob = hand_made_charsmap();
    EXPECT_THAT(error_of(with_charsmap(base64(blob.substr(0, 100)))), HasSubstr("expected a trie size that is a multiple of 4"));
    EXPECT_THAT(error_of(with_charsmap(base64(u32le(6) + std::string(8, '\0')))), HasSubstr("multiple of 4"));
    EXPECT_THAT(error_of(with_charsmap(base64(u32le(4) + u32le(0) + "\xFF"))), HasSubstr("replacement strings to be UTF-8"));
    json not_a_string = with_charsmap("");
    not_a_string["normalizer"]["precompiled_charsmap"] = 12;
    EXPECT_THAT(error_of(not_a_string), HasSubstr("expected a base64 string"));
}

// Offsets out of the array and replacement offsets out of the strings are "no rule": the text
// passes unchanged, and nothing is read outside the blob (the sanitizer build checks that).
TEST(PrecompiledNormalizerErrors, OffsetsOutOfRangeLeaveTheTextAsItIs) {
    for (const std::uint32_t root : {0xFFFFFC00u, 1u << 10, 0x41u | (1u << 8) | (1u << 9) | (0x3FFFFFu << 10)}) {
        const auto t = load_json(with_charsmap(base64(u32le(8) + u32le(root) + u32le(0x41 | (1u << 8)) + "a")));
        ASSERT_TRUE(t);
        EXPECT_THAT(ids(*t, "ad"), ElementsAre(1, 3)) << root;
    }
    // a rule whose value points past the replacement strings
    std::string blob = hand_made_charsmap();
    const std::size_t value_unit = 4 + 4 * 320;
    blob.replace(value_unit, 4, u32le(0x80000000u | 1000000));
    const auto t = load_json(with_charsmap(base64(blob)));
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "Ad"), ElementsAre("<unk>", "d"));  // "A" kept as typed: not a piece
}

}  // namespace
}  // namespace attnscope
