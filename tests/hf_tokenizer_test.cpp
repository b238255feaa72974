// Tests of the Hugging Face tokenizer interpreter (core/src/hf_tokenizer*.cpp).
//
// Expected ids come from elsewhere, never from this code's earlier output:
// - the reference implementation: tests/oracle/encode.mjs runs @huggingface/tokenizers (the
//   JavaScript port) on every sentence of tests/data/tokenizer_sentences.txt, for every tokenizer
//   in ../shared/models and for variants of them that switch on other components;
// - facts published with the checkpoints (../shared/models/README.md);
// - examples worked by hand from a vocabulary, and the reference's documented examples.
//
// [SECTION] Helpers
// [SECTION] Known facts
// [SECTION] The reference implementation, sentence by sentence
// [SECTION] Other file layouts
// [SECTION] Byte offsets
// [SECTION] Components, by hand
// [SECTION] Decoding
// [SECTION] Malformed files
// [SECTION] Speed
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attnscope/hf_tokenizer.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// [SECTION] Helpers

const fs::path kModels = ATTNSCOPE_SHARED_MODELS;
const fs::path kSource = ATTNSCOPE_SOURCE_DIR;

#define REQUIRE_MODEL(name)                                                                              \
    if (!fs::exists(kModels / (name)))                                                                   \
        GTEST_SKIP() << "needs the shared test checkpoints: " << (kModels / (name)).string()             \
                     << " is absent (see ../shared/models/README.md)";

std::shared_ptr<const Tokenizer> load(const fs::path& path) {
    auto result = load_hf_tokenizer(path);
    if (!result.ok()) ADD_FAILURE() << result.error().message;
    return result.ok() ? result.value() : nullptr;
}

std::shared_ptr<const Tokenizer> load_json(const json& j) {
    auto result = load_hf_tokenizer_json(j.dump());
    if (!result.ok()) ADD_FAILURE() << result.error().message;
    return result.ok() ? result.value() : nullptr;
}

std::vector<Token> encode(const Tokenizer& t, const std::string& text) {
    auto result = t.encode(text);
    if (!result.ok()) ADD_FAILURE() << result.error().message;
    return result.ok() ? result.value() : std::vector<Token>{};
}

std::vector<int> ids(const Tokenizer& t, const std::string& text) {
    std::vector<int> out;
    for (const Token& token : encode(t, text)) out.push_back(token.id);
    return out;
}

std::vector<std::string> pieces(const Tokenizer& t, const std::string& text) {
    std::vector<std::string> out;
    for (const Token& token : encode(t, text)) out.push_back(token.piece);
    return out;
}

json read_json(const fs::path& file) {
    std::ifstream in(file);
    return json::parse(in);
}

// A folder of the current test's own, emptied the first time the test asks for it.
fs::path scratch_dir() {
    static std::string current_test;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const fs::path dir = fs::temp_directory_path() / ("attnscope_hf_tokenizer_" + std::string(info->name()));
    if (current_test != info->name()) {
        current_test = info->name();
        fs::remove_all(dir);
    }
    fs::create_directories(dir);
    return dir;
}

void write_file(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
}

// The sentences file, plus the cases a line cannot hold (line ends inside a text, the empty text).
std::vector<std::string> sentences() {
    std::vector<std::string> out;
    std::ifstream in(kSource / "tests/data/tokenizer_sentences.txt", std::ios::binary);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    EXPECT_GT(out.size(), 300u) << "tests/data/tokenizer_sentences.txt is missing or short";
    out.push_back("");
    out.push_back("line one\nline two\n\nline four");
    out.push_back("windows\r\nline ends\r\n");
    out.push_back("\n\n\n");
    out.push_back(" ");
    out.push_back(std::string(2000, 'a'));
    out.push_back("word " + std::string(150, 'x') + " word");
    std::string mixed;
    for (int i = 0; i < 60; ++i) mixed += "abcé中😀";
    out.push_back(mixed);
    out.push_back(std::string(300, '!'));
    out.push_back("spaces" + std::string(40, ' ') + "and\t\t\ttabs\n");
    return out;
}

struct Oracle {
    std::string skip_reason;  // empty when the oracle ran
    json results;             // [{"ids": [...], "tokens": [...]}, ...]
};

// Runs tests/oracle/encode.mjs on `tokenizer_json` for `texts`.
Oracle run_oracle(const fs::path& tokenizer_json, const std::vector<std::string>& texts) {
    const fs::path script = kSource / "tests/oracle/encode.mjs";
    if (!fs::exists(kSource / "tests/oracle/node_modules/@huggingface/tokenizers/package.json"))
        return {"the reference tokenizer is not installed: run `npm ci --prefix tests/oracle`", {}};
    if (std::system("node --version > /dev/null 2>&1") != 0)
        return {"node is not on PATH; install Node.js, then run `npm ci --prefix tests/oracle`", {}};
    const fs::path dir = scratch_dir();
    const fs::path input = dir / "sentences.json";
    const fs::path errors = dir / "oracle_stderr.txt";
    write_file(input, json(texts).dump());
    const std::string command = "node '" + script.string() + "' '" + tokenizer_json.string() + "' '" +
                                input.string() + "' 2> '" + errors.string() + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return {"could not start node", {}};
    std::string output;
    char buffer[65536];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    const int status = pclose(pipe);
    std::ifstream err(errors);
    const std::string stderr_text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    if (status != 0) ADD_FAILURE() << "the oracle failed (" << command << "):\n" << stderr_text;
    Oracle oracle;
    try {
        oracle.results = json::parse(output);
    } catch (const json::exception& e) {
        ADD_FAILURE() << "the oracle printed no JSON: " << e.what() << "\n" << stderr_text;
    }
    return oracle;
}

std::string show(const std::string& s) { return json(s).dump(); }

// Encodes every sentence both ways; prints "agree N/M" and the first disagreements.
void expect_agreement(const std::string& label, const fs::path& tokenizer_json, const Tokenizer& ours) {
    const std::vector<std::string> texts = sentences();
    const Oracle oracle = run_oracle(tokenizer_json, texts);
    if (!oracle.skip_reason.empty()) GTEST_SKIP() << oracle.skip_reason;
    ASSERT_EQ(oracle.results.size(), texts.size());
    std::size_t agree = 0;
    std::size_t decode_agree = 0;
    std::ostringstream differences;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::vector<int> expected = oracle.results[i]["ids"].get<std::vector<int>>();
        const std::vector<int> got = ids(ours, texts[i]);
        if (got == expected) {
            ++agree;
        } else if (i - agree < 5) {
            differences << "  " << show(texts[i]) << "\n    reference " << json(expected).dump() << " "
                        << oracle.results[i]["tokens"].dump() << "\n    ours      " << json(got).dump() << " "
                        << json(pieces(ours, texts[i])).dump() << "\n";
        }
        const std::string decoded = ours.decode(expected);
        if (decoded == oracle.results[i]["decoded"].get<std::string>()) ++decode_agree;
        else if (i - decode_agree < 5)
            differences << "  decode of " << show(texts[i]) << ": reference " << oracle.results[i]["decoded"].dump()
                        << ", ours " << show(decoded) << "\n";
    }
    std::cout << "[ oracle   ] " << label << ": agree " << agree << "/" << texts.size() << " (decode agree "
              << decode_agree << "/" << texts.size() << ")" << std::endl;
    EXPECT_EQ(agree, texts.size()) << differences.str();
    EXPECT_EQ(decode_agree, texts.size()) << differences.str();
}

// A tokenizer.json from ../shared/models with some of its parts replaced, written to a file so
// the oracle can read it too.
fs::path variant(const std::string& model, const std::string& name, const json& replacements) {
    json j = read_json(kModels / model / "tokenizer.json");
    for (auto it = replacements.begin(); it != replacements.end(); ++it) j[it.key()] = it.value();
    const fs::path file = scratch_dir() / (name + ".json");
    write_file(file, j.dump());
    return file;
}

// A small WordLevel tokenizer.json for hand-worked examples: every listed piece is in the vocab.
json word_level(const std::vector<std::string>& vocab_pieces) {
    json vocab = json::object();
    vocab["[UNK]"] = 0;
    for (const std::string& p : vocab_pieces) vocab[p] = static_cast<int>(vocab.size());
    return {{"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "[UNK]"}}},
            {"normalizer", nullptr}, {"pre_tokenizer", nullptr}, {"post_processor", nullptr},
            {"decoder", nullptr}, {"added_tokens", json::array()}};
}

// [SECTION] Known facts

TEST(HfTokenizerFacts, Gpt2EncodesThePublishedIds) {
    REQUIRE_MODEL("fake_gpt2");
    const auto t = load(kModels / "fake_gpt2");
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "Hello world"), ElementsAre(15496, 995));
    EXPECT_THAT(ids(*t, "The capital of France is"), ElementsAre(464, 3139, 286, 4881, 318));
    EXPECT_EQ(t->kind(), "bpe (byte-level)");
    EXPECT_EQ(t->vocab_size(), 50257);
}

TEST(HfTokenizerFacts, BertEncodesThePublishedIdsWithClsAndSep) {
    REQUIRE_MODEL("bert_tiniest");
    const auto t = load(kModels / "bert_tiniest");
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "the capital of france is [MASK] ."),
                ElementsAre(101, 1996, 3007, 1997, 2605, 2003, 103, 1012, 102));
    EXPECT_EQ(t->kind(), "wordpiece");
    EXPECT_EQ(t->vocab_size(), 30522);
}

TEST(HfTokenizerFacts, Stories260KEncodesThePublishedIdsWithBosFirst) {
    REQUIRE_MODEL("stories260K");
    const auto t = load(kModels / "stories260K");
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "Once upon a time"), ElementsAre(1, 403, 407, 261, 378));
    EXPECT_EQ(t->kind(), "bpe (byte-fallback)");
    EXPECT_EQ(t->vocab_size(), 512);
}

// [SECTION] The reference implementation, sentence by sentence

TEST(HfTokenizerOracle, Gpt2ByteLevelBpeMatchesTheReference) {
    REQUIRE_MODEL("fake_gpt2");
    const auto t = load_hf_tokenizer_file(kModels / "fake_gpt2/tokenizer.json");
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_agreement("fake_gpt2 (GPT-2 byte-level BPE)", kModels / "fake_gpt2/tokenizer.json", *t.value());
}

TEST(HfTokenizerOracle, BertWordPieceMatchesTheReference) {
    REQUIRE_MODEL("bert_tiniest");
    const auto t = load_hf_tokenizer_file(kModels / "bert_tiniest/tokenizer.json");
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_agreement("bert_tiniest (bert-base-uncased WordPiece)", kModels / "bert_tiniest/tokenizer.json", *t.value());
}

TEST(HfTokenizerOracle, SentencepieceStyleByteFallbackBpeMatchesTheReference) {
    REQUIRE_MODEL("stories260K");
    const auto t = load_hf_tokenizer_file(kModels / "stories260K/tokenizer.json");
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_agreement("stories260K (BPE, byte fallback)", kModels / "stories260K/tokenizer.json", *t.value());
}

TEST(HfTokenizerOracle, MiniLmWordPieceMatchesTheReference) {
    REQUIRE_MODEL("minilm_truncated");
    const auto t = load_hf_tokenizer_file(kModels / "minilm_truncated/tokenizer.json");
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_agreement("minilm_truncated (WordPiece)", kModels / "minilm_truncated/tokenizer.json", *t.value());
}

// Llama-3/Qwen-style: a Split with the file's own regex, then ByteLevel without its regex.
TEST(HfTokenizerOracle, SplitWithTheFilesRegexThenByteLevelMatchesTheReference) {
    REQUIRE_MODEL("fake_gpt2");
    const std::string regex = R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    const fs::path file = variant("fake_gpt2", "split_regex", {{"pre_tokenizer", {
        {"type", "Sequence"}, {"pretokenizers", {
            {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}}}});
    const auto t = load_hf_tokenizer_file(file);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t.value()->kind(), "bpe (byte-level)");
    expect_agreement("GPT-2 vocab, Split(regex) + ByteLevel", file, *t.value());
}

TEST(HfTokenizerOracle, NfkcLowercaseAndDigitsMatchTheReference) {
    REQUIRE_MODEL("fake_gpt2");
    const fs::path file = variant("fake_gpt2", "nfkc_digits", {
        {"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "NFKC"}}, {{"type", "Lowercase"}}}}}},
        {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", {
            {{"type", "Digits"}, {"individual_digits", true}},
            {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}}}}}});
    const auto t = load_hf_tokenizer_file(file);
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_agreement("GPT-2 vocab, NFKC + Lowercase + Digits + ByteLevel", file, *t.value());
}

TEST(HfTokenizerOracle, NfdStripAccentsAndPunctuationMatchTheReference) {
    REQUIRE_MODEL("bert_tiniest");
    const fs::path file = variant("bert_tiniest", "nfd_punct", {
        {"normalizer", {{"type", "Sequence"}, {"normalizers", {
            {{"type", "NFD"}}, {{"type", "StripAccents"}}, {{"type", "Lowercase"}}}}}},
        {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", {
            {{"type", "WhitespaceSplit"}}, {{"type", "Punctuation"}, {"behavior", "Contiguous"}}}}}}});
    const auto t = load_hf_tokenizer_file(file);
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_agreement("BERT vocab, NFD + StripAccents + Lowercase + WhitespaceSplit + Punctuation", file, *t.value());
}

TEST(HfTokenizerOracle, MetaspaceAndPairMergesMatchTheReference) {
    REQUIRE_MODEL("stories260K");
    json model = read_json(kModels / "stories260K/tokenizer.json")["model"];
    json merges = json::array();
    for (const json& m : model["merges"]) {
        const std::string s = m.get<std::string>();
        merges.push_back({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)});  // [left, right]
    }
    model["merges"] = merges;
    const fs::path file = variant("stories260K", "metaspace", {
        {"model", model}, {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}, {"split", true}}}});
    const auto t = load_hf_tokenizer_file(file);
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_agreement("stories260K vocab, Metaspace + [a, b] merges", file, *t.value());
}

TEST(HfTokenizerOracle, StripAndRegexReplaceNormalizersMatchTheReference) {
    REQUIRE_MODEL("fake_gpt2");
    const fs::path file = variant("fake_gpt2", "strip_replace", {
        {"normalizer", {{"type", "Sequence"}, {"normalizers", {
            {{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}},
            {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}}}}}});
    const auto t = load_hf_tokenizer_file(file);
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_agreement("GPT-2, Strip + Replace(regex)", file, *t.value());
}

// [SECTION] Other file layouts

TEST(HfTokenizerLayouts, VocabJsonAndMergesGiveTheSameIdsAsTokenizerJson) {
    REQUIRE_MODEL("fake_gpt2");
    const fs::path dir = scratch_dir() / "gpt2_files";
    fs::create_directories(dir);
    for (const char* f : {"vocab.json", "merges.txt", "tokenizer_config.json"})
        fs::copy_file(kModels / "fake_gpt2" / f, dir / f, fs::copy_options::overwrite_existing);
    const auto from_files = load(dir);
    const auto from_json = load(kModels / "fake_gpt2/tokenizer.json");
    ASSERT_TRUE(from_files && from_json);
    EXPECT_EQ(from_files->kind(), "bpe (byte-level)");
    for (const std::string& s : sentences()) EXPECT_EQ(ids(*from_files, s), ids(*from_json, s)) << show(s);
}

TEST(HfTokenizerLayouts, VocabTxtGivesTheSameIdsAsTokenizerJson) {
    REQUIRE_MODEL("bert_tiniest");
    const fs::path dir = scratch_dir() / "bert_files";
    fs::create_directories(dir);
    for (const char* f : {"vocab.txt", "tokenizer_config.json"})
        fs::copy_file(kModels / "bert_tiniest" / f, dir / f, fs::copy_options::overwrite_existing);
    const auto from_files = load(dir);
    const auto from_json = load(kModels / "bert_tiniest/tokenizer.json");
    ASSERT_TRUE(from_files && from_json);
    EXPECT_EQ(from_files->kind(), "wordpiece");
    for (const std::string& s : sentences()) EXPECT_EQ(ids(*from_files, s), ids(*from_json, s)) << show(s);
}

TEST(HfTokenizerLayouts, VocabTxtWithCrlfLineEndsGivesTheSameIdsAsTokenizerJson) {
    REQUIRE_MODEL("minilm_truncated");
    const fs::path dir = scratch_dir() / "minilm_files";
    fs::create_directories(dir);
    for (const char* f : {"vocab.txt", "tokenizer_config.json"})
        fs::copy_file(kModels / "minilm_truncated" / f, dir / f, fs::copy_options::overwrite_existing);
    const auto from_files = load(dir);
    const auto from_json = load(kModels / "minilm_truncated/tokenizer.json");
    ASSERT_TRUE(from_files && from_json);
    EXPECT_EQ(from_files->piece(101), "[CLS]");  // not "[CLS]\r"
    for (const std::string& s : sentences()) EXPECT_EQ(ids(*from_files, s), ids(*from_json, s)) << show(s);
}

// tiny_gpt2's merges are "Ġ l", "Ġl o", "Ġlo w", "e r" over the vocab l=0 o=1 w=2 e=3 r=4 s=5
// t=6 i=7 d=8 n=9 Ġ=10 ... Ġlow=14 er=15 Ġlowest=16 <unk>=19: worked by hand.
TEST(HfTokenizerLayouts, TinyGpt2FilesApplyTheirMergesByRank) {
    REQUIRE_MODEL("tiny_gpt2");
    const auto t = load(kModels / "tiny_gpt2");
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "lower newer"), ElementsAre(0, 1, 2, 15, 10, 9, 3, 2, 15));
    // "Ġlowest" is in the vocabulary, but no merge builds it: Ġlow + e + s + t
    EXPECT_THAT(ids(*t, " lowest"), ElementsAre(14, 3, 5, 6));
    // characters outside the vocabulary become <unk>, one each
    EXPECT_THAT(ids(*t, "wax"), ElementsAre(2, 19, 19));
}

TEST(HfTokenizerLayouts, AConfigJsonPathFindsTheFolder) {
    REQUIRE_MODEL("stories260K");
    const auto t = load(kModels / "stories260K/config.json");
    ASSERT_TRUE(t);
    EXPECT_THAT(ids(*t, "Once upon a time"), ElementsAre(1, 403, 407, 261, 378));
}

TEST(HfTokenizerLayouts, AFolderWithoutTokenizerFilesIsNamedInTheError) {
    const fs::path dir = scratch_dir() / "empty_model";
    fs::create_directories(dir);
    const auto result = load_hf_tokenizer(dir);
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr(dir.string()));
    EXPECT_THAT(result.error().message, HasSubstr("expected tokenizer.json, vocab.json + merges.txt, or vocab.txt"));
}

// [SECTION] Byte offsets

std::string slice(const std::string& text, const Token& t) { return text.substr(t.start, t.end - t.start); }

// GPT-2's pieces encode their leading space, so "Ġbank" covers " bank", and together the tokens
// cover the text exactly, in order.
TEST(HfTokenizerOffsets, Gpt2PiecesCoverTheSpaceTheyEncode) {
    REQUIRE_MODEL("fake_gpt2");
    const auto t = load(kModels / "fake_gpt2");
    ASSERT_TRUE(t);
    const std::string text = "I took the money to the bank.";
    const auto tokens = encode(*t, text);
    ASSERT_FALSE(tokens.empty());
    std::size_t at = 0;
    bool saw_bank = false;
    for (const Token& token : tokens) {
        EXPECT_EQ(token.start, at) << token.piece;
        at = token.end;
        if (token.piece == "\xC4\xA0" "bank") {
            EXPECT_EQ(slice(text, token), " bank");
            saw_bank = true;
        }
    }
    EXPECT_EQ(at, text.size());
    EXPECT_TRUE(saw_bank);
}

TEST(HfTokenizerOffsets, BytePiecesOfOneCharacterEachCoverTheWholeCharacter) {
    REQUIRE_MODEL("fake_gpt2");
    const auto t = load(kModels / "fake_gpt2");
    ASSERT_TRUE(t);
    const std::string text = "\xF0\x9F\x98\x80";  // 😀: 4 bytes, more than one GPT-2 token
    const auto tokens = encode(*t, text);
    ASSERT_GT(tokens.size(), 1u);
    for (const Token& token : tokens) {
        EXPECT_EQ(token.start, 0u);
        EXPECT_EQ(token.end, 4u);
    }
}

TEST(HfTokenizerOffsets, BertLowercasedAccentStrippedTokensPointAtTheTypedWord) {
    REQUIRE_MODEL("bert_tiniest");
    const auto t = load(kModels / "bert_tiniest");
    ASSERT_TRUE(t);
    const std::string text = "Caf\xC3\xA9 au";  // "Café au"
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 4u);
    EXPECT_EQ(tokens[1].piece, "cafe");
    EXPECT_EQ(slice(text, tokens[1]), "Caf\xC3\xA9");
    EXPECT_EQ(slice(text, tokens[2]), "au");
    // [CLS] and [SEP] cover no text: at its start and its end
    EXPECT_TRUE(tokens[0].special);
    EXPECT_EQ(tokens[0].start, 0u);
    EXPECT_EQ(tokens[0].end, 0u);
    EXPECT_TRUE(tokens[3].special);
    EXPECT_EQ(tokens[3].start, text.size());
    EXPECT_EQ(tokens[3].end, text.size());
}

TEST(HfTokenizerOffsets, BertCjkCharactersAreOneTokenEachWithTheirBytes) {
    REQUIRE_MODEL("bert_tiniest");
    const auto t = load(kModels / "bert_tiniest");
    ASSERT_TRUE(t);
    const std::string text = "\xE6\x88\x91\xE7\x88\xB1\xE5\x8C\x97\xE4\xBA\xAC";  // 我爱北京
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 6u);
    for (std::size_t i = 1; i <= 4; ++i) {
        EXPECT_EQ(tokens[i].start, 3 * (i - 1));
        EXPECT_EQ(tokens[i].end, 3 * i);
    }
}

TEST(HfTokenizerOffsets, MetaspacePiecesCoverTheSpaceButNotTheInsertedPrefix) {
    REQUIRE_MODEL("stories260K");
    const auto t = load(kModels / "stories260K");
    ASSERT_TRUE(t);
    const std::string text = "Once upon";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_EQ(tokens[0].start, tokens[0].end);  // <s>
    EXPECT_EQ(slice(text, tokens[1]), "Once");  // "▁Once": its ▁ was added, not typed
    EXPECT_EQ(slice(text, tokens[2]), " upon");
}

// "ß" is not in the 512-token vocabulary: it falls back to its UTF-8 bytes 0xC3 0x9F, whose
// tokens <0xC3>, <0x9F> have ids 3 + byte (ids 0-2 are <unk>, <s>, </s>).
TEST(HfTokenizerOffsets, ByteFallbackTokensCoverTheirCharacter) {
    REQUIRE_MODEL("stories260K");
    const auto t = load(kModels / "stories260K");
    ASSERT_TRUE(t);
    const auto space = t->find("\xE2\x96\x81");
    ASSERT_TRUE(space);
    const std::string text = "\xC3\x9F";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 4u);
    EXPECT_THAT(ids(*t, text), ElementsAre(1, *space, 3 + 0xC3, 3 + 0x9F));
    EXPECT_EQ(tokens[2].piece, "<0xC3>");
    for (std::size_t i = 2; i < 4; ++i) {
        EXPECT_EQ(tokens[i].start, 0u);
        EXPECT_EQ(tokens[i].end, 2u);
        EXPECT_TRUE(tokens[i].continues_word);
    }
}

TEST(HfTokenizerOffsets, SpecialTokensTypedInTheTextKeepTheirBytes) {
    REQUIRE_MODEL("fake_gpt2");
    const auto t = load(kModels / "fake_gpt2");
    ASSERT_TRUE(t);
    const std::string text = "Hello<|endoftext|>World";
    const auto tokens = encode(*t, text);
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_EQ(tokens[1].id, 50256);
    EXPECT_TRUE(tokens[1].special);
    EXPECT_EQ(slice(text, tokens[1]), "<|endoftext|>");
}

TEST(HfTokenizerOffsets, WordPieceMarksUnknownWordsAndWordParts) {
    REQUIRE_MODEL("bert_tiniest");
    const auto t = load(kModels / "bert_tiniest");
    ASSERT_TRUE(t);
    const std::string text = "tokenization \xF0\x9F\xA6\x99";  // "tokenization 🦙"
    const auto tokens = encode(*t, text);
    ASSERT_GE(tokens.size(), 5u);
    for (const Token& token : tokens)
        EXPECT_EQ(token.continues_word, token.piece.rfind("##", 0) == 0) << token.piece;
    EXPECT_TRUE(tokens[2].continues_word);  // "token" "##ization"
    const Token& llama = tokens[tokens.size() - 2];
    EXPECT_EQ(llama.id, 100);
    EXPECT_TRUE(llama.unknown);
    EXPECT_EQ(slice(text, llama), "\xF0\x9F\xA6\x99");
}

TEST(HfTokenizerOffsets, InvalidUtf8IsAnErrorNamingTheByteOffset) {
    REQUIRE_MODEL("fake_gpt2");
    const auto t = load(kModels / "fake_gpt2");
    ASSERT_TRUE(t);
    const auto bad = t->encode("ab\xFF" "cd");
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.error().message, HasSubstr("byte offset 2"));
    const auto truncated = t->encode("abc\xE2\x82");
    ASSERT_FALSE(truncated.ok());
    EXPECT_THAT(truncated.error().message, HasSubstr("byte offset 3"));
    EXPECT_FALSE(t->encode("\xED\xA0\x80").ok());  // a UTF-16 surrogate
    EXPECT_FALSE(t->encode("\xC0\xAF").ok());      // an overlong '/'
}

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

// [SECTION] Decoding

TEST(HfTokenizerDecode, Gpt2DecodesEverySentenceBackToItsText) {
    REQUIRE_MODEL("fake_gpt2");
    const auto t = load(kModels / "fake_gpt2");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->decode({15496, 995}), "Hello world");
    for (const std::string& s : sentences()) {
        if (s.find("<|endoftext|>") != std::string::npos) continue;  // decode skips special tokens
        EXPECT_EQ(t->decode(ids(*t, s)), s);
    }
}

TEST(HfTokenizerDecode, ByteFallbackModelsDecodeBytesAndDropTheBosAndFirstSpace) {
    REQUIRE_MODEL("stories260K");
    const auto t = load(kModels / "stories260K");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->decode({1, 403, 407, 261, 378}), "Once upon a time");
    const std::string text = "Caf\xC3\xA9 au lait, \xE4\xBD\xA0\xE5\xA5\xBD!";  // "Café au lait, 你好!"
    EXPECT_EQ(t->decode(ids(*t, text)), text);
}

TEST(HfTokenizerDecode, WordPieceGluesWordPartsAndCleansUpSpaces) {
    REQUIRE_MODEL("bert_tiniest");
    const auto t = load(kModels / "bert_tiniest");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->decode({101, 1996, 3007, 1997, 2605, 2003, 103, 1012, 102}), "the capital of france is.");
    EXPECT_EQ(t->decode(ids(*t, "Tokenization, Hello. How are you?")), "tokenization, hello. how are you?");
}

TEST(HfTokenizerDecode, MetaspaceDecoderTurnsWordStartsBackIntoSpaces) {
    const std::string m = "\xE2\x96\x81";
    json j = word_level({m + "hello", m + "world"});
    j["decoder"] = {{"type", "Metaspace"}, {"replacement", m}, {"prepend_scheme", "always"}, {"split", true}};
    const auto t = load_json(j);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->decode({1, 2}), "hello world");
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
    j["model"]["type"] = "Unigram";
    EXPECT_EQ(load_error(j), "bad.json: model.type: unsupported model 'Unigram'");
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
    const fs::path dir = scratch_dir() / "broken_gpt2";
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

    const fs::path bert = scratch_dir() / "broken_bert";
    fs::create_directories(bert);
    write_file(bert / "vocab.txt", "[PAD]\n[UNK]\nhello\n");
    result = load_hf_tokenizer(bert);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, (bert / "vocab.txt").string() + ": expected the token '[CLS]' in the vocabulary, got nothing");

    write_file(bert / "tokenizer.json", "{}");
    result = load_hf_tokenizer(bert);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, (bert / "tokenizer.json").string() + ": model: expected a value, got nothing (the key is missing)");
}

// [SECTION] Speed

// About 10,000 words of varied text, made from the test sentences.
std::string ten_thousand_words() {
    std::string text;
    std::size_t words = 0;
    const std::vector<std::string> all = sentences();
    for (std::size_t i = 0; words < 10000; i = (i + 1) % all.size()) {
        if (all[i].size() > 200) continue;
        text += all[i] + (i % 7 == 0 ? "\n" : " ");
        std::istringstream in(all[i]);
        for (std::string w; in >> w;) ++words;
    }
    return text;
}

TEST(HfTokenizerSpeed, EncodesTenThousandWordsWellUnderASecond) {
    REQUIRE_MODEL("fake_gpt2");
    const std::string text = ten_thousand_words();
    for (const char* model : {"fake_gpt2", "bert_tiniest", "stories260K"}) {
        const auto t = load(kModels / model);
        ASSERT_TRUE(t);
        const auto start = std::chrono::steady_clock::now();
        const auto result = t->encode(text);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        ASSERT_TRUE(result.ok());
        std::cout << "[ speed    ] " << model << ": " << text.size() << " bytes -> " << result.value().size()
                  << " tokens in " << ms << " ms" << std::endl;
        EXPECT_LT(ms, 500.0) << model;
    }
}

}  // namespace
}  // namespace attnscope
