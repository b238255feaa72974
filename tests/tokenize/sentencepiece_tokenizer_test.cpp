// SentencePiece files (core/src/tokenize/sentencepiece_tokenizer.cpp): Marian's folder
// (../shared/models/opus_mt_en_mg: source.spm, target.spm, vocab.json) and lone models.
//
// Expected ids come from elsewhere:
// - a few sentences worked through Debian's spm_encode CLI (`spm_encode --model source.spm
//   --output_format=piece`) and looked up in vocab.json by hand, </s> (id 0) appended;
// - tests/tokenize/marian_reference.py, transformers' MarianTokenizer written again in Python over
//   Debian's python3-sentencepiece, on every sentence of tests/data/tokenizer_sentences.txt.
//
// [SECTION] Helpers
// [SECTION] Marian, worked through spm_encode
// [SECTION] Marian against the Python reference
// [SECTION] Lone SentencePiece models
// [SECTION] Bad files
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hf_tokenizer_helpers.h"
#include "tokenize/sentencepiece_tokenizer.h"

namespace attnscope {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace attnscope::testing;

// [SECTION] Helpers

const fs::path kMarian = kModels / "opus_mt_en_mg";

std::shared_ptr<const Tokenizer> marian(MarianSide side) {
    auto result = load_marian_tokenizer(kMarian, side);
    if (!result.ok()) ADD_FAILURE() << result.error().message;
    return result.ok() ? result.value() : nullptr;
}

std::string slice(const std::string& text, const Token& t) { return text.substr(t.start, t.end - t.start); }

std::vector<std::string> test_sentences() {
    std::vector<std::string> out;
    std::ifstream in(kSource / "tests/data/tokenizer_sentences.txt", std::ios::binary);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    EXPECT_GT(out.size(), 300u);
    out.push_back("");
    out.push_back("line one\nline two\n\nline four");
    out.push_back(">>fra<< a language code, and >>one<< in the middle");
    out.push_back("caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 </s> <pad> <unk> end");
    return out;
}

// Runs marian_reference.py; an empty result with a reason when Python's sentencepiece is absent.
json run_reference(const std::string& side, const std::vector<std::string>& texts, std::string& skip) {
    if (std::system("/usr/bin/python3 -c 'import sentencepiece' > /dev/null 2>&1") != 0) {
        skip = "python3-sentencepiece is not installed (scripts/install-deps installs it)";
        return {};
    }
    const fs::path input = test_scratch_dir() / "marian_sentences.json";
    write_file(input, json(texts).dump());
    const std::string command = "/usr/bin/python3 '" + (kSource / "tests/tokenize/marian_reference.py").string() + "' '" +
                                kMarian.string() + "' " + side + " '" + input.string() + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        skip = "could not start python3";
        return {};
    }
    std::string output;
    char buffer[65536];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0) << command;
    return json::parse(output);
}

// [SECTION] Marian, worked through spm_encode

// spm_encode gives "▁I ▁took ▁the ▁money ▁to ▁the ▁bank ." and vocab.json numbers them
// 47 659 7 994 9 7 7877 4; "▁Hello ▁world" is 34291 245; </s> is 0.
TEST(MarianTokenizer, EncodesSourcePiecesByTheirVocabJsonIdsWithEosLast) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const auto t = marian(MarianSide::Source);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind(), "marian (sentencepiece)");
    EXPECT_EQ(t->vocab_size(), 54688);
    EXPECT_THAT(ids(*t, "I took the money to the bank."), ElementsAre(47, 659, 7, 994, 9, 7, 7877, 4, 0));
    EXPECT_THAT(ids(*t, "Hello world"), ElementsAre(34291, 245, 0));
    // "▁The ▁cat ▁sat ▁on ▁the ▁mat , ▁didn ' t ▁it ?"
    EXPECT_THAT(ids(*t, "The cat sat on the mat, didn't it?"),
                ElementsAre(48, 10513, 9187, 41, 7, 18900, 3, 2055, 2, 102, 66, 24, 0));
    EXPECT_THAT(ids(*t, ""), ElementsAre(0));
}

TEST(MarianTokenizer, PiecesCoverWhatWasTypedAndEosCoversNothing) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const auto t = marian(MarianSide::Source);
    ASSERT_TRUE(t);
    const std::string text = "Hello  world";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_EQ(slice(text, tokens[0]), "Hello");  // the first ▁ was inserted
    EXPECT_EQ(tokens[0].piece, "\xE2\x96\x81" "Hello");
    EXPECT_EQ(slice(text, tokens[1]), "  world");  // SentencePiece folds both spaces into its one ▁
    EXPECT_TRUE(tokens[2].special);
    EXPECT_EQ(tokens[2].piece, "</s>");
    EXPECT_EQ(tokens[2].start, text.size());
    EXPECT_EQ(tokens[2].end, text.size());
    // a word in pieces: the second glues on
    const auto parts = encode(*t, "didn't");
    ASSERT_GE(parts.size(), 3u);
    EXPECT_FALSE(parts[0].continues_word);
    EXPECT_TRUE(parts[1].continues_word);
}

TEST(MarianTokenizer, APieceMissingFromVocabJsonIsUnk) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const auto t = marian(MarianSide::Source);
    ASSERT_TRUE(t);
    // Cherokee "ᎠᎡ": source.spm makes it "▁" (28) and the piece "ᎠᎡ", which vocab.json lacks
    const std::string text = "\xE1\x8E\xA0\xE1\x8E\xA1";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_EQ(tokens[0].id, 28);
    EXPECT_FALSE(tokens[0].unknown);
    EXPECT_EQ(tokens[1].id, 1);
    EXPECT_TRUE(tokens[1].unknown);
    EXPECT_EQ(tokens[1].piece, "<unk>");
    EXPECT_EQ(slice(text, tokens[1]), text);
}

TEST(MarianTokenizer, DecodesIdsBackToTheText) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const auto t = marian(MarianSide::Source);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->decode({47, 659, 7, 994, 9, 7, 7877, 4, 0}), "I took the money to the bank.");
    const auto target = marian(MarianSide::Target);
    ASSERT_TRUE(target);
    const std::string mg = "Nandeha tany an-tsena aho.";
    EXPECT_EQ(target->decode(ids(*target, mg)), mg);
}

TEST(MarianTokenizer, TheFolderAndItsSpmFilesFindTheRightSide) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const auto folder = load(kMarian);
    const auto source = load(kMarian / "source.spm");
    const auto target = load(kMarian / "target.spm");
    const auto config = load(kMarian / "config.json");
    ASSERT_TRUE(folder && source && target && config);
    const std::string text = "The river bank";
    EXPECT_EQ(ids(*folder, text), ids(*marian(MarianSide::Source), text));
    EXPECT_EQ(ids(*source, text), ids(*folder, text));
    EXPECT_EQ(ids(*config, text), ids(*folder, text));
    EXPECT_EQ(ids(*target, text), ids(*marian(MarianSide::Target), text));
}

// [SECTION] Marian against the Python reference

void expect_reference_agreement(MarianSide side, const std::string& name) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const auto t = marian(side);
    ASSERT_TRUE(t);
    const std::vector<std::string> texts = test_sentences();
    std::string skip;
    const json expected = run_reference(name, texts, skip);
    if (!skip.empty()) GTEST_SKIP() << skip;
    ASSERT_EQ(expected.size(), texts.size());
    std::size_t agree = 0;
    std::ostringstream differences;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::vector<int> got = ids(*t, texts[i]);
        if (got == expected[i].get<std::vector<int>>()) ++agree;
        else if (i - agree < 5)
            differences << "  " << json(texts[i]).dump() << "\n    reference " << expected[i].dump() << "\n    ours      "
                        << json(got).dump() << "\n";
    }
    std::cout << "[ marian   ] " << name << ": agree " << agree << "/" << texts.size() << std::endl;
    EXPECT_EQ(agree, texts.size()) << differences.str();
}

TEST(MarianTokenizer, SourceSideMatchesThePythonReferenceOnEverySentence) {
    expect_reference_agreement(MarianSide::Source, "source");
}

TEST(MarianTokenizer, TargetSideMatchesThePythonReferenceOnEverySentence) {
    expect_reference_agreement(MarianSide::Target, "target");
}

// [SECTION] Lone SentencePiece models

TEST(SentencePieceTokenizer, ALoneModelUsesItsOwnIdsAndAddsNothing) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const fs::path dir = test_scratch_dir() / "lone_spm";
    fs::create_directories(dir);
    fs::copy_file(kMarian / "source.spm", dir / "tokenizer.model", fs::copy_options::overwrite_existing);
    const auto t = load(dir / "tokenizer.model");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind(), "sentencepiece");
    const std::string text = "Hello world";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 2u);  // no </s>
    EXPECT_EQ(tokens[0].piece, "\xE2\x96\x81" "Hello");
    EXPECT_EQ(t->find(tokens[0].piece), tokens[0].id);
    EXPECT_EQ(slice(text, tokens[1]), " world");
    EXPECT_EQ(t->decode(ids(*t, text)), text);
    EXPECT_FALSE(t->find("no such piece at all"));
}

// [SECTION] Bad files

TEST(SentencePieceTokenizerErrors, ACorruptModelIsNamedInTheError) {
    const fs::path dir = test_scratch_dir() / "bad_spm";
    fs::create_directories(dir);
    write_file(dir / "garbage.model", "this is not a protobuf \xFF\xFE\x01\x02");
    const auto garbage = load_sentencepiece_tokenizer(dir / "garbage.model");
    ASSERT_FALSE(garbage.ok());
    EXPECT_THAT(garbage.error().message, HasSubstr((dir / "garbage.model").string() + ": not a SentencePiece model"));
    write_file(dir / "empty.model", "");
    EXPECT_FALSE(load_sentencepiece_tokenizer(dir / "empty.model").ok());
    const auto missing = load_sentencepiece_tokenizer(dir / "missing.model");
    ASSERT_FALSE(missing.ok());
    EXPECT_THAT(missing.error().message, HasSubstr("missing.model"));
}

TEST(SentencePieceTokenizerErrors, ACutOffSpmInAMarianFolderIsNamed) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const fs::path dir = test_scratch_dir() / "marian_cut";
    fs::create_directories(dir);
    std::ifstream in(kMarian / "source.spm", std::ios::binary);
    const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write_file(dir / "source.spm", whole.substr(0, whole.size() / 2));  // cut inside a piece
    fs::copy_file(kMarian / "vocab.json", dir / "vocab.json", fs::copy_options::overwrite_existing);
    const auto result = load_hf_tokenizer(dir);
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr((dir / "source.spm").string()));
}

TEST(SentencePieceTokenizerErrors, AVocabJsonWithoutEosOrWithBadIdsIsNamed) {
    REQUIRE_MODEL("opus_mt_en_mg");
    const fs::path dir = test_scratch_dir() / "marian_vocab";
    fs::create_directories(dir);
    fs::copy_file(kMarian / "source.spm", dir / "source.spm", fs::copy_options::overwrite_existing);
    write_file(dir / "vocab.json", R"({"<unk>": 0, "a": 1})");
    auto result = load_marian_tokenizer(dir, MarianSide::Source);
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("vocab.json: expected the eos_token '</s>' in the vocabulary"));
    write_file(dir / "vocab.json", R"({"</s>": 0, "<unk>": -4})");
    result = load_marian_tokenizer(dir, MarianSide::Source);
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("vocab.json: vocab.<unk>: expected a non-negative integer id"));
    write_file(dir / "vocab.json", "[1, 2");
    result = load_marian_tokenizer(dir, MarianSide::Source);
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("vocab.json: expected JSON"));
    const auto target = load_marian_tokenizer(dir, MarianSide::Target);  // no target.spm here
    ASSERT_FALSE(target.ok());
    EXPECT_THAT(target.error().message, HasSubstr("target.spm"));
}

}  // namespace
}  // namespace attnscope
