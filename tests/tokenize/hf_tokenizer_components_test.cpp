// Tests of the Hugging Face tokenizer interpreter (core/src/tokenize/hf_tokenizer*.cpp), component by
// component on tokenizer.json files small enough to work by hand, and its errors on malformed
// files. The shared checkpoints' tokenizers and the reference implementation are in
// hf_tokenizer_test.cpp; shared helpers in hf_tokenizer_helpers.h.
//
// Expected pieces come from examples worked by hand from a vocabulary and from the reference's
// documented examples, never from this code's earlier output.
//
// [SECTION] Components, by hand
// [SECTION] Malformed files
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenize/hf_tokenizer.h"
#include "hf_tokenizer_helpers.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace attnscope::testing;  // hf_tokenizer_helpers.h, test_scratch.h

// [SECTION] Components, by hand

// The reference's documented example of SplitDelimiterBehavior on "the-final--countdown".
TEST(HfTokenizerComponents, SplitBehavesAsTheReferenceDocumentsEachDelimiterBehavior) {
    const std::vector<std::string> vocab{"the", "final", "countdown", "-", "--", "the-", "final-", "-final", "-countdown"};
    auto split = [&](const std::string& behavior) {
        json j = word_level(vocab);
        j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", false}};
        const auto t = load_json(j);
        return t ? pieces(*t, "the-final--countdown") : std::vector<std::string>{};
    };
    EXPECT_THAT(split("Removed"), ElementsAre("the", "final", "countdown"));
    EXPECT_THAT(split("Isolated"), ElementsAre("the", "-", "final", "-", "-", "countdown"));
    EXPECT_THAT(split("MergedWithPrevious"), ElementsAre("the-", "final-", "-", "countdown"));
    EXPECT_THAT(split("MergedWithNext"), ElementsAre("the", "-final", "-", "-countdown"));
    EXPECT_THAT(split("Contiguous"), ElementsAre("the", "-", "final", "--", "countdown"));
}

TEST(HfTokenizerComponents, InvertedSplitTreatsTheGapsAsDelimiters) {
    json j = word_level({"the", "final", "countdown", "-", "--"});
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "[a-z]+"}}}, {"behavior", "Removed"}, {"invert", true}};
    auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "the-final--countdown"), ElementsAre("the", "final", "countdown"));
    j["pre_tokenizer"]["behavior"] = "Isolated";
    t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "the-final--countdown"), ElementsAre("the", "-", "final", "--", "countdown"));
}

TEST(HfTokenizerComponents, WhitespacePreTokenizerKeepsUnicodeWordsWhole) {
    json j = word_level({"Hello", ",", "w\xC3\xB6rld", "!!"});
    j["pre_tokenizer"] = {{"type", "Whitespace"}};
    const auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "Hello, w\xC3\xB6rld!!"), ElementsAre("Hello", ",", "w\xC3\xB6rld", "!!"));
}

TEST(HfTokenizerComponents, MetaspacePrependSchemeDecidesWhichPiecesGetAWordStart) {
    const std::string m = "\xE2\x96\x81";  // ▁
    json j = word_level({m + "hello", m + "world", "hello", "world"});
    j["added_tokens"] = {{{"id", 50}, {"content", "<x>"}, {"special", true}, {"normalized", false}}};
    auto with = [&](const std::string& scheme, const std::string& text) {
        j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", m}, {"prepend_scheme", scheme}, {"split", true}};
        const auto t = load_json(j);
        return t ? pieces(*t, text) : std::vector<std::string>{};
    };
    EXPECT_THAT(with("always", "hello world"), ElementsAre(m + "hello", m + "world"));
    EXPECT_THAT(with("never", "hello world"), ElementsAre("hello", m + "world"));
    EXPECT_THAT(with("first", "hello world"), ElementsAre(m + "hello", m + "world"));
    // after an added token the text no longer starts the input: "first" prepends nothing there
    EXPECT_THAT(with("first", "<x>hello"), ElementsAre("<x>", "hello"));
    EXPECT_THAT(with("always", "<x>hello"), ElementsAre("<x>", m + "hello"));
}

TEST(HfTokenizerComponents, AddedTokensHonourLstripRstripAndSingleWord) {
    json j = word_level({"hello", "world", "cab"});
    j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
    auto mask_span = [&](bool lstrip, bool rstrip) {
        j["added_tokens"] = {{{"id", 60}, {"content", "<mask>"}, {"lstrip", lstrip}, {"rstrip", rstrip},
                              {"special", true}, {"normalized", false}}};
        const auto t = load_json(j);
        std::pair<std::size_t, std::size_t> span{0, 0};
        if (t)
            for (const Token& token : encode(*t, "hello <mask> world"))
                if (token.id == 60) span = {token.start, token.end};
        return span;
    };
    EXPECT_EQ(mask_span(false, false), std::make_pair(std::size_t{6}, std::size_t{12}));
    EXPECT_EQ(mask_span(true, false), std::make_pair(std::size_t{5}, std::size_t{12}));  // swallows " " before
    EXPECT_EQ(mask_span(false, true), std::make_pair(std::size_t{6}, std::size_t{13}));  // and after

    j["added_tokens"] = {{{"id", 61}, {"content", "ab"}, {"single_word", true}, {"special", false}}};
    const auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "ab cab ab"), ElementsAre(61, *t->find("cab"), 61));  // not the "ab" inside "cab"
}

// The reference's BPE options, each on a vocabulary small enough to work by hand.
json tiny_bpe(const std::vector<std::string>& vocab_pieces, const json& merges) {
    json vocab = json::object();
    for (const std::string& p : vocab_pieces) vocab[p] = static_cast<int>(vocab.size());
    json j = word_level({});
    j["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}};
    return j;
}

// Found by tests/fuzz (hf_tokenizer): an added token whose content the vocabulary holds under
// another id kept the file's id, so a typed "[UNK]" became [PAD] (id 0) while the model's unknown
// words were [UNK] (id 1). The reference uses the vocabulary's id and only warns.
TEST(HfTokenizerComponents, AddedTokensInTheVocabularyKeepTheVocabularyId) {
    json j = word_level({"[PAD]", "hi"});  // [UNK] 0, [PAD] 1, hi 2
    j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
    j["added_tokens"] = {{{"id", 1}, {"content", "[UNK]"}, {"special", true}},
                         {{"id", 0}, {"content", "[PAD]"}, {"special", true}}};
    auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "[UNK] hi [PAD] zebra"), ElementsAre(0, 2, 1, 0));
    EXPECT_EQ(t->piece(0), "[UNK]");
    EXPECT_EQ(t->piece(1), "[PAD]");
}

TEST(HfTokenizerComponents, BpeContinuingSubwordPrefixAndEndOfWordSuffixShapeTheSymbols) {
    json prefixed = tiny_bpe({"a", "##b", "##c", "ab"}, {"a ##b"});
    prefixed["model"]["continuing_subword_prefix"] = "##";
    auto t = load_json(prefixed);
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "abc"), ElementsAre("ab", "##c"));
    EXPECT_TRUE(encode(*t, "abc")[1].continues_word);

    json suffixed = tiny_bpe({"a", "b", "c</w>", "bc</w>"}, {"b c</w>"});
    suffixed["model"]["end_of_word_suffix"] = "</w>";
    t = load_json(suffixed);
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "abc"), ElementsAre("a", "bc</w>"));
}

TEST(HfTokenizerComponents, BpeIgnoreMergesTakesWholeWordsFromTheVocabulary) {
    json j = tiny_bpe({"a", "b", "c", "ab", "abc"}, {"a b"});
    auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "abc"), ElementsAre("ab", "c"));
    j["model"]["ignore_merges"] = true;
    t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "abc"), ElementsAre("abc"));
}

TEST(HfTokenizerComponents, BpeFusesRunsOfUnknownCharactersOnlyWhenAsked) {
    json j = tiny_bpe({"<unk>", "a"}, json::array());
    j["model"]["unk_token"] = "<unk>";
    auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "axxa"), ElementsAre(1, 0, 0, 1));
    j["model"]["fuse_unk"] = true;
    t = load_json(j);
    ASSERT_TRUE(t);
    const auto tokens = encode(*t, "axxa");
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_TRUE(tokens[1].unknown);
    EXPECT_EQ(tokens[1].start, 1u);
    EXPECT_EQ(tokens[1].end, 3u);
}

TEST(HfTokenizerComponents, NfcComposesAndKeepsTheOffsetsOfTheDecomposedInput) {
    json j = word_level({"\xC3\xA9"});  // é
    j["normalizer"] = {{"type", "NFC"}};
    const auto t = load_json(j);
    ASSERT_TRUE(t);
    const auto tokens = encode(*t, "e\xCC\x81");  // e + COMBINING ACUTE ACCENT
    ASSERT_EQ(tokens.size(), 1u);
    EXPECT_EQ(tokens[0].piece, "\xC3\xA9");
    EXPECT_EQ(tokens[0].end, 3u);
}

TEST(HfTokenizerComponents, LowercaseUsesTheFullMappingOfDottedCapitalI) {
    json j = word_level({"i\xCC\x87"});  // i + COMBINING DOT ABOVE, SpecialCasing.txt's lowercase of İ
    j["normalizer"] = {{"type", "Lowercase"}};
    const auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(pieces(*t, "\xC4\xB0"), ElementsAre("i\xCC\x87"));
}

TEST(HfTokenizerComponents, PostProcessorsAddTheirSpecialTokensAroundTheText) {
    json j = word_level({"<s>", "</s>", "hi"});
    j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
    j["post_processor"] = {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 1}},
                           {"trim_offsets", true}, {"add_prefix_space", false}};
    auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "hi hi"), ElementsAre(1, 3, 3, 2));
    // a Sequence of a ByteLevel (ids unchanged) and a template in its compact string form
    j["post_processor"] = {{"type", "Sequence"}, {"processors", {
        {{"type", "ByteLevel"}, {"trim_offsets", false}},
        {{"type", "TemplateProcessing"}, {"single", "<s>:0 $A:0 </s>:0 </s>:0"}, {"pair", "$A $B"},
         {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}},
                             {"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}}}}}}}}};
    t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "hi"), ElementsAre(1, 3, 2, 2));
}

// [SECTION] Malformed files

std::string load_error(const json& j) {
    const auto result = load_hf_tokenizer_json(j.dump(), "bad.json");
    if (result.ok()) return "(loaded without an error)";
    return result.error().message;
}

json small_wordpiece() {
    return {{"model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
                       {"max_input_chars_per_word", 100}, {"vocab", {{"[UNK]", 0}, {"a", 1}, {"##b", 2}}}}},
            {"normalizer", {{"type", "BertNormalizer"}}}, {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
            {"post_processor", nullptr}, {"decoder", {{"type", "WordPiece"}}}, {"added_tokens", json::array()}};
}

TEST(HfTokenizerErrors, NamesTheFileAndTheSyntaxErrorOfSomethingThatIsNotJson) {
    const auto result = load_hf_tokenizer_json("{\"model\": [1, 2", "bad.json");
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("bad.json: expected JSON, got a syntax error at byte"));
}

TEST(HfTokenizerErrors, NamesTheJsonPathAndTypeOfAnUnsupportedComponent) {
    json j = small_wordpiece();
    j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "WhitespaceSplit"}}, {{"type", "Foo"}}}}};
    const auto result = load_hf_tokenizer_json(j.dump());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "tokenizer.json: pre_tokenizer.pretokenizers[1].type: unsupported pre-tokenizer 'Foo'");

    j = small_wordpiece();
    j["model"]["type"] = "Neural";
    EXPECT_EQ(load_error(j), "bad.json: model.type: unsupported model 'Neural'");
    j = small_wordpiece();
    j["model"]["type"] = "Unigram";  // its vocab is a list of [piece, score], not a map
    EXPECT_EQ(load_error(j), "bad.json: model.vocab: expected an array, got an object");
    j = small_wordpiece();
    j["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "Spell"}}}}};
    EXPECT_EQ(load_error(j), "bad.json: normalizer.normalizers[0].type: unsupported normalizer 'Spell'");
    j = small_wordpiece();
    j["decoder"] = {{"type", "CTC"}};
    EXPECT_EQ(load_error(j), "bad.json: decoder.type: unsupported decoder 'CTC'");
    j = small_wordpiece();
    j["post_processor"] = {{"type", "Reverse"}};
    EXPECT_EQ(load_error(j), "bad.json: post_processor.type: unsupported post-processor 'Reverse'");
}

TEST(HfTokenizerErrors, NamesMergesThatReferToTokensMissingFromTheVocabulary) {
    json j = tiny_bpe({"a", "b", "ab"}, {"a b", "a q"});
    EXPECT_THAT(load_error(j), HasSubstr("model.merges[1]: expected two tokens of the vocabulary, got 'q'"));
    j = tiny_bpe({"a", "b"}, {"a b"});
    EXPECT_THAT(load_error(j), HasSubstr("model.merges[0]: expected the merged token 'ab' in the vocabulary"));
    j = tiny_bpe({"a", "b", "ab"}, {"a b c"});
    EXPECT_THAT(load_error(j), HasSubstr("model.merges[0]: expected 'left right' (one space), got 'a b c'"));
    j = tiny_bpe({"a", "b", "ab"}, json::array({json::array({"a"})}));
    EXPECT_THAT(load_error(j), HasSubstr("model.merges[0]: expected \"left right\" or [\"left\", \"right\"], got an array"));
}

TEST(HfTokenizerErrors, NamesTheFieldOfAWronglyShapedValue) {
    json j = small_wordpiece();
    j["model"]["vocab"] = json::array({"a", "b"});
    EXPECT_EQ(load_error(j), "bad.json: model.vocab: expected an object, got an array");
    j = small_wordpiece();
    j["model"]["vocab"]["a"] = -3;
    EXPECT_EQ(load_error(j), "bad.json: model.vocab.a: expected a non-negative integer id, got the number -3");
    // An empty vocabulary used to load, and then every text silently came out as no tokens.
    j = small_wordpiece();
    j["model"]["vocab"] = json::object();
    EXPECT_EQ(load_error(j), "bad.json: model.vocab: expected at least one token, got an empty vocabulary");
    j = small_wordpiece();
    j["model"]["unk_token"] = "<unk>";
    EXPECT_EQ(load_error(j), "bad.json: model.unk_token: expected a token of the vocabulary, got '<unk>'");
    j = small_wordpiece();
    j.erase("model");
    EXPECT_EQ(load_error(j), "bad.json: model: expected a value, got nothing (the key is missing)");
    EXPECT_EQ(load_error(json::array()), "bad.json: expected a JSON object at the top level, got an array");
    j = small_wordpiece();
    j["normalizer"]["lowercase"] = "yes";
    EXPECT_EQ(load_error(j), "bad.json: normalizer.lowercase: expected true or false, got the string 'yes'");
    j = small_wordpiece();
    j["added_tokens"] = {{{"content", "[X]"}}};
    EXPECT_THAT(load_error(j), HasSubstr("bad.json: added_tokens[0].id: expected a value, got nothing"));
}

TEST(HfTokenizerErrors, NamesABadRegexAndAnUndefinedTemplateToken) {
    json j = small_wordpiece();
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
    EXPECT_THAT(load_error(j), HasSubstr("bad.json: pre_tokenizer.pattern.Regex: expected a regex PCRE2 accepts, got '(unclosed'"));
    j = small_wordpiece();
    j["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}}}},
                           {"special_tokens", json::object()}};
    EXPECT_EQ(load_error(j), "bad.json: post_processor.single[0].SpecialToken.id: expected a key of "
                             "post_processor.special_tokens, got '[CLS]'");
}

// Found by tests/fuzz (hf_tokenizer): get<int>() turned the id 2147483648 into -2147483648.
TEST(HfTokenizerErrors, RefusesAPostProcessorIdThatIsNoTokenId) {
    json j = word_level({"<s>", "</s>", "hi"});
    j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"</s>", 2147483648LL}}, {"cls", {"<s>", 1}}};
    EXPECT_EQ(load_error(j), "bad.json: post_processor.sep: expected [\"token\", id], got an array");
    j["post_processor"] = {{"type", "TemplateProcessing"}, {"single", "<s> $A"},
                           {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {-1}}, {"tokens", {"<s>"}}}}}}};
    EXPECT_EQ(load_error(j), "bad.json: post_processor.special_tokens.<s>: expected integer ids and string tokens, got "
                             "the number -1 and the string '<s>'");
}

// Found by tests/fuzz (hf_tokenizer): these messages dump()ed the value they quoted, which recurses
// once per level of nesting; 100,000 nested arrays overflowed the stack.
TEST(HfTokenizerErrors, DescribesADeeplyNestedValueWithoutRecursing) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const std::string model = R"("model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"})";
    auto result = load_hf_tokenizer_json(
        "{" + model + R"(, "pre_tokenizer": {"type": "Split", "behavior": "Isolated", "pattern": {"Foo": )" + deep + "}}}");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "tokenizer.json: pre_tokenizer.pattern: expected {\"String\": ...} or "
                                      "{\"Regex\": ...}, got an object with neither key");
    result = load_hf_tokenizer_json("{" + model + R"(, "post_processor": {"type": "TemplateProcessing", "single": "x $A",)"
                                    R"( "special_tokens": {"x": {"id": "x", "ids": [0], "tokens": [)" + deep + "]}}}}");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "tokenizer.json: post_processor.special_tokens.x: expected integer ids and string "
                                      "tokens, got the number 0 and an array");
}

// Found by tests/fuzz (hf_tokenizer): pieces are held in a vector indexed by id, so the 70-byte
// vocabulary {"a": 100000000} took 3 GB and 5 s to load, and an id near 2^30 asked for 32 GB.
TEST(HfTokenizerErrors, RefusesAVocabularyIdFarBeyondItsEntries) {
    json j = word_level({});  // {"[UNK]": 0}
    j["model"]["vocab"]["a"] = 65538;
    EXPECT_EQ(load_error(j), "bad.json: model.vocab.a: expected an id of at most 65537 (the 2 entries, plus 65536 for "
                             "gaps), got the number 65538");
    j["model"]["vocab"]["a"] = 65537;  // gaps are allowed
    EXPECT_TRUE(load_hf_tokenizer_json(j.dump()).ok());
}

TEST(HfTokenizerErrors, NeverCrashesOnATruncatedFile) {
    const std::string text = small_wordpiece().dump();
    for (std::size_t n = 0; n < text.size(); ++n) {
        const auto result = load_hf_tokenizer_json(text.substr(0, n));
        EXPECT_FALSE(result.ok()) << n;
    }
    EXPECT_TRUE(load_hf_tokenizer_json(text).ok());
}

TEST(HfTokenizerErrors, RefusesSequencesNestedDeeperThanAnyRealFile) {
    json nested = {{"type", "WhitespaceSplit"}};
    for (int i = 0; i < 500; ++i) nested = {{"type", "Sequence"}, {"pretokenizers", {nested}}};
    json j = small_wordpiece();
    j["pre_tokenizer"] = nested;
    EXPECT_THAT(load_error(j), HasSubstr("expected Sequences nested at most 64 deep, got deeper"));
}

TEST(HfTokenizerErrors, OlderLayoutsNameTheFileAtFault) {
    const fs::path dir = test_scratch_dir() / "broken_gpt2";
    fs::create_directories(dir);
    write_file(dir / "vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
    write_file(dir / "merges.txt", "#version: 0.2\na b\nb\n");
    auto result = load_hf_tokenizer(dir);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, (dir / "merges.txt").string() + ": line 3: expected 'left right' (one space), got 'b'");
    write_file(dir / "merges.txt", "#version: 0.2\na b\nb a\n");
    result = load_hf_tokenizer(dir);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, (dir / "merges.txt").string() + ": line 3: expected the merged token 'ba' in the "
                                      "vocabulary, got nothing");
    write_file(dir / "vocab.json", "[not json");
    result = load_hf_tokenizer(dir);
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr((dir / "vocab.json").string() + ": expected JSON"));

    const fs::path bert = test_scratch_dir() / "broken_bert";
    fs::create_directories(bert);
    write_file(bert / "vocab.txt", "[PAD]\n[UNK]\nhello\n");
    result = load_hf_tokenizer(bert);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, (bert / "vocab.txt").string() + ": expected the token '[CLS]' in the vocabulary, got nothing");

    // Found by tests/fuzz (hf_vocab_files): std::stoi read the key "1e39" as id 1, so "[PAD]" took [UNK]'s id.
    write_file(bert / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
    write_file(bert / "tokenizer_config.json", R"({"added_tokens_decoder": {"1": {"content": "[UNK]", "special": true},
                                                                         "1e39": {"content": "[PAD]", "special": true}}})");
    result = load_hf_tokenizer(bert);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "tokenizer_config.json: added_tokens_decoder.1e39: expected a non-negative integer id "
                                      "below 10^9 as the key, got '1e39'");

    write_file(bert / "tokenizer.json", "{}");
    result = load_hf_tokenizer(bert);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, (bert / "tokenizer.json").string() + ": model: expected a value, got nothing (the key is missing)");
}

}  // namespace
}  // namespace attnscope
