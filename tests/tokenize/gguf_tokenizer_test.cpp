// Tokenizers from GGUF metadata (core/src/tokenize/gguf_tokenizer.cpp).
// - The shared ggml-vocab-*.gguf files against llama.cpp's own test texts: the .out files (ids the
//   reference tokenizer gave each .inp text, without BOS/CLS/SEP) are the expected values.
// - Small vocabularies written byte by byte (gguf_files.h) for the pre-tokenizer names the shared
//   files do not cover, SentencePiece's tie rule and byte fallback, WordPiece, special tokens, and
//   every kind of broken metadata. Their expected ids are worked out by hand in the comments.
//
// [SECTION] Helpers
// [SECTION] The shared vocabulary files
// [SECTION] gpt2: pre-tokenizers by name
// [SECTION] llama: SentencePiece
// [SECTION] bert: WordPiece
// [SECTION] Broken metadata
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "attnscope/text.h"
#include "formats/gguf_files.h"
#include "shared_models.h"
#include "tokenize/gguf_tokenizer.h"

namespace attnscope {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Bytes;
using testing::GgufWriter;
using testing::TempDir;
using testing::kArr;
using testing::kBool;
using testing::kF32;
using testing::kI32;
using testing::kStr;
using testing::kU32;

// [SECTION] Helpers

using testing::strings;

Bytes floats(const std::vector<float>& items) {
    Bytes b;
    b.u32(kArr).u32(kF32).u64(items.size());
    for (float f : items) b.put(f);
    return b;
}

Bytes ints(const std::vector<std::int32_t>& items) {
    Bytes b;
    b.u32(kArr).u32(kI32).u64(items.size());
    for (std::int32_t i : items) b.put(i);
    return b;
}

Bytes flag(bool value) { return Bytes().u32(kBool).u8(value ? 1 : 0); }

// The tokenizer of a file written from `w`, or the message it was refused with.
Result<std::shared_ptr<const Tokenizer>> load(const GgufWriter& w, std::filesystem::path* written = nullptr) {
    const TempDir dir;
    const std::filesystem::path file = dir.write("vocab.gguf", w.bytes());
    if (written) *written = file;
    const Result<GgufFile> opened = GgufFile::open(file);
    if (!opened.ok()) return opened.error();
    return load_gguf_tokenizer(opened.value());
}

// The tokenizer of a file that must load; a refused one fails the test and encodes nothing.
class NoTokenizer final : public Tokenizer {
public:
    Result<std::vector<Token>> encode(std::string_view) const override { return std::vector<Token>{}; }
    std::string decode(const std::vector<int>&) const override { return ""; }
    std::string kind() const override { return "none"; }
    int vocab_size() const override { return 0; }
    std::string piece(int) const override { return ""; }
    std::optional<int> find(std::string_view) const override { return std::nullopt; }
};

std::shared_ptr<const Tokenizer> load_ok(const GgufWriter& w) {
    auto result = load(w);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? result.value() : std::make_shared<NoTokenizer>();
}

std::string load_error(const GgufWriter& w) {
    std::filesystem::path file;
    const auto result = load(w, &file);
    EXPECT_FALSE(result.ok()) << "the file was accepted";
    if (result.ok()) return "<accepted>";
    EXPECT_THAT(result.error().message, StartsWith(file.string() + ": "));
    return result.error().message;
}

std::vector<int> ids_of(const std::vector<Token>& tokens) {
    std::vector<int> ids;
    for (const Token& t : tokens) ids.push_back(t.id);
    return ids;
}

// The ids of `text`, and of the text alone: tokens the tokenizer added (special, covering nothing) left out.
std::vector<int> encode(const Tokenizer& tokenizer, const std::string& text, bool with_added = false) {
    const auto tokens = tokenizer.encode(text);
    EXPECT_TRUE(tokens.ok()) << tokens.error().message;
    if (!tokens.ok()) return {};
    std::vector<int> ids;
    for (const Token& t : tokens.value())
        if (with_added || !(t.special && t.start == t.end)) ids.push_back(t.id);
    return ids;
}

// [SECTION] The shared vocabulary files

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The .inp texts, separated by a line "__ggml_vocab_test__" (as llama.cpp's test-tokenizer-0 reads them).
std::vector<std::string> read_texts(const std::filesystem::path& inp) {
    const std::string raw = slurp(inp);
    const std::string separator = "\n__ggml_vocab_test__\n";
    std::vector<std::string> texts;
    for (std::size_t pos = 0; pos < raw.size();) {
        const std::size_t next = raw.find(separator, pos);
        if (next == std::string::npos) {
            texts.push_back(raw.substr(pos));
            break;
        }
        texts.push_back(raw.substr(pos, next - pos));
        pos = next + separator.size();
    }
    return texts;
}

// One line of ids per text.
std::vector<std::vector<int>> read_ids(const std::filesystem::path& out) {
    std::ifstream in(out);
    std::vector<std::vector<int>> lines;
    for (std::string line; std::getline(in, line);) {
        std::istringstream s(line);
        std::vector<int> ids;
        for (int id = 0; s >> id;) ids.push_back(id);
        lines.push_back(std::move(ids));
    }
    return lines;
}

std::string join(const std::vector<int>& ids) {
    std::string out;
    for (int id : ids) out += (out.empty() ? "" : " ") + std::to_string(id);
    return out;
}

class SharedVocabFile : public ::testing::TestWithParam<const char*> {};

TEST_P(SharedVocabFile, GivesTheReferenceIdsOfEveryTestText) {
    const std::string name = std::string("gguf-vocab/ggml-vocab-") + GetParam() + ".gguf";
    SKIP_WITHOUT_SHARED_MODEL(name);
    const std::filesystem::path file = testing::shared_model(name);
    const std::vector<std::string> texts = read_texts(file.string() + ".inp");
    const std::vector<std::vector<int>> expected = read_ids(file.string() + ".out");
    ASSERT_EQ(texts.size(), expected.size());
    const Result<GgufFile> opened = GgufFile::open(file);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const auto tokenizer = load_gguf_tokenizer(opened.value());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;

    std::size_t passed = 0;
    std::string failures;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::vector<int> got = encode(*tokenizer.value(), texts[i]);
        if (got == expected[i]) ++passed;
        else failures += "text " + std::to_string(i) + " '" + escape_for_terminal(texts[i]) + "'\n  expected " +
                         join(expected[i]) + "\n  got      " + join(got) + "\n";
    }
    std::cout << GetParam() << ": " << passed << "/" << texts.size() << " texts\n";
    EXPECT_EQ(passed, texts.size()) << failures;
}

TEST_P(SharedVocabFile, GivesTokensThatPointIntoTheTextInOrder) {
    const std::string name = std::string("gguf-vocab/ggml-vocab-") + GetParam() + ".gguf";
    SKIP_WITHOUT_SHARED_MODEL(name);
    const std::filesystem::path file = testing::shared_model(name);
    const Result<GgufFile> opened = GgufFile::open(file);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const auto tokenizer = load_gguf_tokenizer(opened.value());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    for (const std::string& text : read_texts(file.string() + ".inp")) {
        const auto tokens = tokenizer.value()->encode(text);
        ASSERT_TRUE(tokens.ok());
        std::size_t previous_start = 0;
        for (const Token& t : tokens.value()) {
            EXPECT_LE(t.start, t.end);
            EXPECT_LE(t.end, text.size());
            EXPECT_GE(t.start, previous_start) << "in '" << escape_for_terminal(text) << "'";
            previous_start = t.start;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(GgufTokenizer, SharedVocabFile,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "deepseek-llm", "bert-bge"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(GgufTokenizer, AddsBosForSentencePieceAndClsSepForBertUnlessAskedNot) {
    SKIP_WITHOUT_SHARED_MODEL("gguf-vocab");
    auto tokenizer = [](const char* name) {
        const auto opened = GgufFile::open(testing::shared_model(std::string("gguf-vocab/ggml-vocab-") + name + ".gguf"));
        EXPECT_TRUE(opened.ok());
        return load_gguf_tokenizer(opened.value()).value();
    };
    // llama-spm.gguf.out: "Hello world" -> 15043 3186; the file sets add_bos_token with <s> = 1
    EXPECT_THAT(encode(*tokenizer("llama-spm"), "Hello world", true), ElementsAre(1, 15043, 3186));
    // bert-bge.gguf.out: "Hello world" -> 7592 2088; [CLS] 101 and [SEP] 102 from the file
    EXPECT_THAT(encode(*tokenizer("bert-bge"), "Hello world", true), ElementsAre(101, 7592, 2088, 102));
    // gpt-2: no BOS (add_bos_token absent, and gpt-2 is not of the Llama-3 family)
    EXPECT_THAT(encode(*tokenizer("gpt-2"), "Hello world", true), ElementsAre(15496, 995));
}

TEST(GgufTokenizer, TokenizesStories260KAsItsPublishedIds) {
    SKIP_WITHOUT_SHARED_MODEL("gguf/stories260K.gguf");
    // models/README.md: "Once upon a time" encodes to [1, 403, 407, 261, 378], BOS first. The file
    // also holds -1 (4294967295) as its separator and padding ids, which must read as "none".
    const auto opened = GgufFile::open(testing::shared_model("gguf/stories260K.gguf"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const auto tokenizer = load_gguf_tokenizer(opened.value());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    EXPECT_THAT(encode(*tokenizer.value(), "Once upon a time", true), ElementsAre(1, 403, 407, 261, 378));
}

TEST(GgufTokenizer, ReadsControlTokensWrittenInTheTextAsOneToken) {
    SKIP_WITHOUT_SHARED_MODEL("gguf-vocab");
    const auto opened = GgufFile::open(testing::shared_model("gguf-vocab/ggml-vocab-gpt-2.gguf"));
    ASSERT_TRUE(opened.ok());
    const auto tokenizer = load_gguf_tokenizer(opened.value()).value();
    // "<|endoftext|>" is token 50256 (type control); "Hello" alone is 15496 (gpt-2.gguf.out)
    const auto tokens = tokenizer->encode("<|endoftext|>Hello").value();
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0].id, 50256);
    EXPECT_TRUE(tokens[0].special);
    EXPECT_EQ(tokens[0].start, 0u);
    EXPECT_EQ(tokens[0].end, 13u);
    EXPECT_EQ(tokens[1].id, 15496);
    EXPECT_EQ(tokenizer->decode({15496, 50256, 995}), "Hello world");
}

TEST(GgufTokenizer, DropsTheWhitespaceAfterPhi3SpecialTokensAsLlamaCppDoes) {
    SKIP_WITHOUT_SHARED_MODEL("gguf-vocab/ggml-vocab-phi-3.gguf");
    const auto opened = GgufFile::open(testing::shared_model("gguf-vocab/ggml-vocab-phi-3.gguf"));
    ASSERT_TRUE(opened.ok());
    const auto tokenizer = load_gguf_tokenizer(opened.value()).value();
    // llama.cpp marks Phi-3's special tokens (general.name "Phi3") to swallow the whitespace after
    // them, and starts the text after a special token with a ▁: "<|user|>" is 32010 (a control
    // token of the file), "Hello" alone is 15043 (phi-3.gguf.out)
    const auto tokens = tokenizer->encode("<|user|>\nHello").value();
    ASSERT_THAT(ids_of(tokens), ElementsAre(1, 32010, 15043));
    EXPECT_EQ(tokens[1].end, 9u);  // the token took the "\n"
}

// [SECTION] gpt2: pre-tokenizers by name

// A byte-level vocabulary with digit and contraction merges whose results show how the named
// regexes cut "1234" and "'S":
//   ids  0 "1"  1 "2"  2 "3"  3 "4"  4 "12"  5 "34"  6 "123"  7 "'"  8 "S"  9 "'S"  10 "Ġ"  11 "a"
//   merges (rank = position): "1 2", "3 4", "12 3", "' S"
GgufWriter digits_vocab(const std::string& pre) {
    GgufWriter w;
    w.kv_str("tokenizer.ggml.model", "gpt2");
    if (!pre.empty()) w.kv_str("tokenizer.ggml.pre", pre);
    w.kv("tokenizer.ggml.tokens", strings({"1", "2", "3", "4", "12", "34", "123", "'", "S", "'S", "\xC4\xA0", "a"}));
    w.kv("tokenizer.ggml.merges", strings({"1 2", "3 4", "12 3", "' S"}));
    return w;
}

TEST(GgufTokenizer, CutsDigitsAsEachNamedPreTokenizerDoes) {
    // gpt-2: " ?\p{N}+" keeps "1234" whole: 1+2 (rank 0), then 3+4 (rank 1) before 12+3 (rank 2)
    EXPECT_THAT(encode(*load_ok(digits_vocab("gpt-2")), "1234"), ElementsAre(4, 5));
    // llama3 and llama-bpe: "\p{N}{1,3}" cuts "123" "4"; "123" is a piece (taken whole, ignore_merges)
    EXPECT_THAT(encode(*load_ok(digits_vocab("llama3")), "1234"), ElementsAre(6, 3));
    EXPECT_THAT(encode(*load_ok(digits_vocab("llama-bpe")), "1234"), ElementsAre(6, 3));
    // qwen2, starcoder, deepseek-coder: "\p{N}" cuts every digit apart
    EXPECT_THAT(encode(*load_ok(digits_vocab("qwen2")), "1234"), ElementsAre(0, 1, 2, 3));
    EXPECT_THAT(encode(*load_ok(digits_vocab("starcoder")), "1234"), ElementsAre(0, 1, 2, 3));
    EXPECT_THAT(encode(*load_ok(digits_vocab("deepseek-coder")), "1234"), ElementsAre(0, 1, 2, 3));
    // default and falcon: after GPT-2's regex, "[0-9][0-9][0-9]" cuts "123" "4"
    EXPECT_THAT(encode(*load_ok(digits_vocab("default")), "1234"), ElementsAre(6, 3));
    EXPECT_THAT(encode(*load_ok(digits_vocab("falcon")), "1234"), ElementsAre(6, 3));
    // no tokenizer.ggml.pre at all: "default", as llama.cpp falls back to
    EXPECT_THAT(encode(*load_ok(digits_vocab("")), "1234"), ElementsAre(6, 3));
}

TEST(GgufTokenizer, ReadsUpperCaseContractionsOnlyWithTheLlama3AndQwen2Regexes) {
    // GPT-2's regex knows "'s" in lower case only: "'" and "S" stay apart
    EXPECT_THAT(encode(*load_ok(digits_vocab("gpt-2")), "'S"), ElementsAre(7, 8));
    // llama3's and qwen2's "'[sS]" keeps "'S" together, and merge "' S" makes it one token
    EXPECT_THAT(encode(*load_ok(digits_vocab("llama3")), "'S"), ElementsAre(9));
    EXPECT_THAT(encode(*load_ok(digits_vocab("qwen2")), "'S"), ElementsAre(9));
}

TEST(GgufTokenizer, AddsBosForTheLlama3FamilyOnlyUnlessTheFileSays) {
    GgufWriter llama3 = digits_vocab("llama-bpe");
    llama3.kv_u32("tokenizer.ggml.bos_token_id", 11);
    EXPECT_THAT(encode(*load_ok(llama3), "1", true), ElementsAre(11, 0));
    GgufWriter gpt2 = digits_vocab("gpt-2");
    gpt2.kv_u32("tokenizer.ggml.bos_token_id", 11);
    EXPECT_THAT(encode(*load_ok(gpt2), "1", true), ElementsAre(0));
    gpt2.kv("tokenizer.ggml.add_bos_token", flag(true));
    EXPECT_THAT(encode(*load_ok(gpt2), "1", true), ElementsAre(11, 0));
    llama3.kv("tokenizer.ggml.add_bos_token", flag(false));
    EXPECT_THAT(encode(*load_ok(llama3), "1", true), ElementsAre(0));
}

TEST(GgufTokenizer, GivesByteLevelTokensTheTextTheyCameFrom) {
    const auto tokens = load_ok(digits_vocab("gpt-2"))->encode("12 a").value();
    // "12" -> 4; the piece " a" -> "Ġ" (10) "a" (11): no merge joins them
    ASSERT_THAT(ids_of(tokens), ElementsAre(4, 10, 11));
    EXPECT_EQ(tokens[0].start, 0u);
    EXPECT_EQ(tokens[0].end, 2u);
    EXPECT_EQ(tokens[1].start, 2u);  // "Ġ" is the space
    EXPECT_EQ(tokens[1].end, 3u);
    EXPECT_EQ(tokens[2].start, 3u);
    EXPECT_FALSE(tokens[1].continues_word);
    EXPECT_TRUE(tokens[2].continues_word);  // "a" glues onto "Ġ" inside the piece " a"
}

TEST(GgufTokenizer, BuildsEveryPreTokenizerItKnows) {
    // the names come from the message for an unknown one, so a name added to the table is tried too
    const std::string message = load_error(digits_vocab("foo"));
    const std::size_t start = message.find("(known: ");
    ASSERT_NE(start, std::string::npos);
    std::istringstream names(message.substr(start + 8, message.rfind(')') - start - 8));
    int built = 0;
    for (std::string name; std::getline(names, name, ',');) {
        if (name.front() == ' ') name.erase(0, 1);
        const auto tokenizer = load_ok(digits_vocab(name));
        EXPECT_TRUE(tokenizer->encode("12 'S a, \xE4\xB8\x96 34\n").ok()) << name;
        ++built;
    }
    EXPECT_GE(built, 16);
}

TEST(GgufTokenizer, NeverCutsACharacterAtAControlTokenThatIsNotUtf8) {
    // a control piece "\xA9" (the second byte of "é"): text cannot spell it, so "é" stays whole
    GgufWriter w;
    w.kv_str("tokenizer.ggml.model", "gpt2");
    // byte-level "Ã" (the byte 0xC3), "©" (the byte 0xA9), and the raw byte 0xA9
    w.kv("tokenizer.ggml.tokens", strings({"\xC3\x83", "\xC2\xA9", "\xA9"}));
    w.kv("tokenizer.ggml.token_type", ints({1, 1, 3}));
    w.kv("tokenizer.ggml.merges", strings({}));
    const auto tokens = load_ok(w)->encode("\xC3\xA9").value();
    ASSERT_THAT(ids_of(tokens), ElementsAre(0, 1));
    EXPECT_EQ(tokens[0].start, 0u);
    EXPECT_EQ(tokens[1].end, 2u);
}

TEST(GgufTokenizer, IsWhatLoadTokenizerFilesReadsForAGgufFileByNameOrMagic) {
    const TempDir dir;
    const std::string bytes = digits_vocab("gpt-2").bytes();
    for (const char* name : {"vocab.gguf", "vocab.GGUF", "vocab.bin"}) {
        const auto tokenizer = load_tokenizer_files(dir.write(name, bytes));
        ASSERT_TRUE(tokenizer.ok()) << name << ": " << tokenizer.error().message;
        EXPECT_THAT(encode(*tokenizer.value(), "1234"), ElementsAre(4, 5)) << name;
        EXPECT_TRUE(is_vocabulary_only_gguf(dir.path() / name)) << name;
    }
    // a file with tensors is a model, a cut one is not a vocabulary, and neither is a folder
    EXPECT_FALSE(is_vocabulary_only_gguf(dir.write("model.gguf", testing::small_file().bytes())));
    EXPECT_FALSE(is_vocabulary_only_gguf(dir.write("cut.gguf", bytes.substr(0, bytes.size() / 2))));
    EXPECT_FALSE(is_vocabulary_only_gguf(dir.path()));
    const auto cut = load_tokenizer_files(dir.path() / "cut.gguf");
    ASSERT_FALSE(cut.ok());
    EXPECT_THAT(cut.error().message, StartsWith((dir.path() / "cut.gguf").string() + ": "));
}

// [SECTION] llama: SentencePiece

// ids 0 <unk> (unknown)  1 <s>  2 </s> (control)  3 <0xC3>  4 <0xA9> (bytes)
//     5 "▁" -1   6 "a" -1   7 "b" -1   8 "ba" -2   9 "ab" -2   10 "▁a" -3
GgufWriter spm_vocab(bool with_scores = true) {
    GgufWriter w;
    w.kv_str("tokenizer.ggml.model", "llama");
    w.kv("tokenizer.ggml.tokens",
         strings({"<unk>", "<s>", "</s>", "<0xC3>", "<0xA9>", "\xE2\x96\x81", "a", "b", "ba", "ab", "\xE2\x96\x81" "a"}));
    if (with_scores) w.kv("tokenizer.ggml.scores", floats({0, 0, 0, 0, 0, -1, -1, -1, -2, -2, -3}));
    w.kv("tokenizer.ggml.token_type", ints({2, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1}));
    return w;
}

TEST(GgufTokenizer, MergesTheLeftmostOfEquallyScoredSentencePiecePairs) {
    // "aba" -> "▁aba": "ab" and "ba" both score -2, above "▁a" (-3); the leftmost, "ab", goes first,
    // and then no pair of "▁" "ab" "a" is a piece. (Ranking ties by id would give "▁" "a" "ba".)
    EXPECT_THAT(encode(*load_ok(spm_vocab()), "aba"), ElementsAre(5, 9, 6));
    // "a" -> "▁a": the one pair is a piece
    EXPECT_THAT(encode(*load_ok(spm_vocab()), "a"), ElementsAre(10));
}

TEST(GgufTokenizer, SpellsCharactersNoPieceCoversAsBytePieces) {
    const auto tokens = load_ok(spm_vocab())->encode("\xC3\xA9").value();  // "é" -> "▁é"
    ASSERT_THAT(ids_of(tokens), ElementsAre(1, 5, 3, 4));                   // <s> ▁ <0xC3> <0xA9>
    EXPECT_EQ(tokens[1].start, tokens[1].end);                               // the prefix ▁ is no text
    EXPECT_EQ(tokens[2].start, 0u);                                          // both bytes cover "é"
    EXPECT_EQ(tokens[2].end, 2u);
    EXPECT_EQ(tokens[3].end, 2u);
}

TEST(GgufTokenizer, StartsEveryStretchBetweenSpecialTokensWithASentencePieceSpace) {
    // "a</s>a": "▁a", then </s> as typed (control), then "a" again with its own ▁ prefix
    const auto tokens = load_ok(spm_vocab())->encode("a</s>a").value();
    ASSERT_THAT(ids_of(tokens), ElementsAre(1, 10, 2, 10));
    EXPECT_TRUE(tokens[2].special);
    EXPECT_EQ(tokens[2].start, 1u);
    EXPECT_EQ(tokens[2].end, 5u);
    // without the prefix: "a" alone
    GgufWriter w = spm_vocab();
    w.kv("tokenizer.ggml.add_space_prefix", flag(false));
    EXPECT_THAT(encode(*load_ok(w), "a a"), ElementsAre(6, 10));
}

TEST(GgufTokenizer, DecodesSentencePieceBackToTheText) {
    EXPECT_EQ(load_ok(spm_vocab())->decode({1, 10, 5, 9, 3, 4}), "a ab\xC3\xA9");
}

// [SECTION] bert: WordPiece

// ids 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] (control)  4 "▁hello"  5 "▁un"  6 "aff"  7 "able"  8 "▁,"
//     9 "▁unaff" 10 "a"
GgufWriter wpm_vocab() {
    GgufWriter w;
    w.kv_str("tokenizer.ggml.model", "bert");
    w.kv("tokenizer.ggml.tokens", strings({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "\xE2\x96\x81hello", "\xE2\x96\x81un", "aff",
                                           "able", "\xE2\x96\x81,", "\xE2\x96\x81unaff", "a"}));
    w.kv("tokenizer.ggml.token_type", ints({3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1}));
    w.kv_u32("tokenizer.ggml.unknown_token_id", 1);
    w.kv_u32("tokenizer.ggml.cls_token_id", 2);
    w.kv_u32("tokenizer.ggml.seperator_token_id", 3);
    return w;
}

TEST(GgufTokenizer, SplitsWordsLongestPieceFirstAfterLowercasingAndStrippingAccents) {
    // "Héllo, UNAFFABLE!" -> "hello" "," "unaffable" "!": ▁hello | ▁, | ▁unaff able (longest first:
    // ▁unaff beats ▁un) | "▁!" is no piece, so the word is [UNK]; [CLS] before, [SEP] after
    const auto tokens = load_ok(wpm_vocab())->encode("H\xC3\xA9llo, UNAFFABLE!").value();
    ASSERT_THAT(ids_of(tokens), ElementsAre(2, 4, 8, 9, 7, 1, 3));
    EXPECT_EQ(tokens[1].start, 0u);  // "Héllo"
    EXPECT_EQ(tokens[1].end, 6u);
    EXPECT_FALSE(tokens[3].continues_word);
    EXPECT_TRUE(tokens[4].continues_word);  // "able" glues onto "▁unaff"
    EXPECT_EQ(tokens[4].start, 13u);        // "ABLE"
    EXPECT_EQ(tokens[4].end, 17u);
    EXPECT_TRUE(tokens[5].unknown);
    EXPECT_EQ(tokens[6].start, 18u);        // [SEP] at the end of the text
}

TEST(GgufTokenizer, MakesAWordThatNoPiecesCoverOneUnknownToken) {
    // "unaffa" -> ▁unaff, then "a" (10); "unab" -> ▁un, "a", and no piece starts at "b": the whole
    // word is [UNK]
    EXPECT_THAT(encode(*load_ok(wpm_vocab()), "unaffa unab"), ElementsAre(9, 10, 1));
}

TEST(GgufTokenizer, KeepsCaseWhenTheFileSaysNotToLowercase) {
    GgufWriter w = wpm_vocab();
    w.kv("tokenizer.ggml.normalizer.lowercase", flag(false));
    EXPECT_THAT(encode(*load_ok(w), "Hello hello"), ElementsAre(1, 4));
}

// [SECTION] Broken metadata

TEST(GgufTokenizer, NamesAnUnknownPreTokenizerAndTheKnownOnes) {
    EXPECT_THAT(load_error(digits_vocab("foo")),
                HasSubstr("tokenizer.ggml.pre: unknown pre-tokenizer 'foo' (known: default, llama3"));
}

TEST(GgufTokenizer, RefusesAFileWithoutATokenizerOrWithAnUnsupportedModel) {
    GgufWriter none;
    none.kv_str("general.architecture", "llama");
    EXPECT_THAT(load_error(none), HasSubstr("tokenizer.ggml.model"));
    GgufWriter t5;
    t5.kv_str("tokenizer.ggml.model", "t5");
    EXPECT_THAT(load_error(t5), HasSubstr("tokenizer.ggml.model: unsupported tokenizer model 't5' (supported: llama, gpt2, bert)"));
}

TEST(GgufTokenizer, RefusesVocabularyArraysOfTheWrongType) {
    GgufWriter numbers;
    numbers.kv_str("tokenizer.ggml.model", "llama");
    numbers.kv("tokenizer.ggml.tokens", ints({1, 2, 3}));
    EXPECT_THAT(load_error(numbers), HasSubstr("tokenizer.ggml.tokens"));
    GgufWriter scalar;
    scalar.kv_str("tokenizer.ggml.model", "llama");
    scalar.kv_str("tokenizer.ggml.tokens", "abc");
    EXPECT_THAT(load_error(scalar), HasSubstr("tokenizer.ggml.tokens"));
    GgufWriter scores = spm_vocab(/*with_scores=*/false);
    scores.kv("tokenizer.ggml.scores", strings({"0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"}));
    EXPECT_THAT(load_error(scores), HasSubstr("tokenizer.ggml.scores"));
    GgufWriter empty;
    empty.kv_str("tokenizer.ggml.model", "gpt2");
    empty.kv("tokenizer.ggml.tokens", strings({}));
    EXPECT_THAT(load_error(empty), HasSubstr("tokenizer.ggml.tokens: expected at least one token, got an empty array"));
}

TEST(GgufTokenizer, RefusesScoresAndTypesThatDoNotMatchTheTokens) {
    GgufWriter short_scores;
    short_scores.kv_str("tokenizer.ggml.model", "llama");
    short_scores.kv("tokenizer.ggml.tokens", strings({"a", "b", "c"}));
    short_scores.kv("tokenizer.ggml.scores", floats({0, 0}));
    EXPECT_THAT(load_error(short_scores), HasSubstr("tokenizer.ggml.scores: expected one score per token (3), got 2"));
    GgufWriter long_types;
    long_types.kv_str("tokenizer.ggml.model", "llama");
    long_types.kv("tokenizer.ggml.tokens", strings({"a", "b", "c"}));
    long_types.kv("tokenizer.ggml.token_type", ints({1, 1, 1, 1}));
    EXPECT_THAT(load_error(long_types), HasSubstr("tokenizer.ggml.token_type: expected one type per token (3), got 4"));
    GgufWriter bad_type;
    bad_type.kv_str("tokenizer.ggml.model", "llama");
    bad_type.kv("tokenizer.ggml.tokens", strings({"a", "b", "c"}));
    bad_type.kv("tokenizer.ggml.token_type", ints({1, 9, 1}));
    EXPECT_THAT(load_error(bad_type), HasSubstr("tokenizer.ggml.token_type[1]: expected a token type from 0 to 6"));
    GgufWriter nan;
    nan.kv_str("tokenizer.ggml.model", "llama");
    nan.kv("tokenizer.ggml.tokens", strings({"a", "b"}));
    nan.kv("tokenizer.ggml.scores", floats({0, std::numeric_limits<float>::quiet_NaN()}));
    EXPECT_THAT(load_error(nan), HasSubstr("tokenizer.ggml.scores[1]: expected a number, got NaN"));
}

TEST(GgufTokenizer, RefusesIdsOutsideTheVocabulary) {
    GgufWriter bos = spm_vocab();
    bos.kv_u32("tokenizer.ggml.bos_token_id", 11);
    EXPECT_THAT(load_error(bos), HasSubstr("tokenizer.ggml.bos_token_id: expected a token id below 11 (the vocabulary's size), got 11"));
    GgufWriter sep;
    sep.kv_str("tokenizer.ggml.model", "bert");
    sep.kv("tokenizer.ggml.tokens", strings({"[UNK]", "[CLS]", "\xE2\x96\x81" "a"}));
    sep.kv_u32("tokenizer.ggml.unknown_token_id", 0);
    sep.kv_u32("tokenizer.ggml.cls_token_id", 1);
    sep.kv_u32("tokenizer.ggml.seperator_token_id", 4000000000u);
    EXPECT_THAT(load_error(sep), HasSubstr("tokenizer.ggml.seperator_token_id: expected a token id below 3 (the vocabulary's size), got 4000000000"));
    GgufWriter cls;
    cls.kv_str("tokenizer.ggml.model", "bert");
    cls.kv("tokenizer.ggml.tokens", strings({"[UNK]", "\xE2\x96\x81" "a"}));
    cls.kv_u32("tokenizer.ggml.unknown_token_id", 0);
    cls.kv_u32("tokenizer.ggml.cls_token_id", 7);
    EXPECT_THAT(load_error(cls), HasSubstr("tokenizer.ggml.cls_token_id: expected a token id below 2"));
}

TEST(GgufTokenizer, RefusesToAddATokenTheFileDoesNotName) {
    GgufWriter w = digits_vocab("gpt-2");
    w.kv("tokenizer.ggml.add_bos_token", flag(true));
    EXPECT_THAT(load_error(w), HasSubstr("tokenizer.ggml.add_bos_token: true, but tokenizer.ggml.bos_token_id is not set"));
    // a bert vocabulary of two pieces has no [SEP] at llama.cpp's default id 102: none is added,
    // unless the file asks for one
    GgufWriter bert;
    bert.kv_str("tokenizer.ggml.model", "bert");
    bert.kv("tokenizer.ggml.tokens", strings({"[UNK]", "[CLS]"}));
    bert.kv_u32("tokenizer.ggml.unknown_token_id", 0);
    bert.kv_u32("tokenizer.ggml.cls_token_id", 1);
    EXPECT_THAT(encode(*load_ok(bert), "", true), ElementsAre(1));
    bert.kv("tokenizer.ggml.add_sep_token", flag(true));
    EXPECT_THAT(load_error(bert), HasSubstr("tokenizer.ggml.add_sep_token: true, but tokenizer.ggml.seperator_token_id is not set"));
    GgufWriter no_unk;
    no_unk.kv_str("tokenizer.ggml.model", "bert");
    no_unk.kv("tokenizer.ggml.tokens", strings({"[CLS]", "[SEP]"}));
    EXPECT_THAT(load_error(no_unk), HasSubstr("tokenizer.ggml.unknown_token_id"));
}

TEST(GgufTokenizer, RefusesMergesThatAreNotTwoPiecesOfTheVocabulary) {
    GgufWriter unknown_piece;
    unknown_piece.kv_str("tokenizer.ggml.model", "gpt2");
    unknown_piece.kv("tokenizer.ggml.tokens", strings({"a", "b", "ab"}));
    unknown_piece.kv("tokenizer.ggml.merges", strings({"a b", "a x"}));
    EXPECT_THAT(load_error(unknown_piece), HasSubstr("tokenizer.ggml.merges[1]: expected two tokens of the vocabulary, got 'x'"));
    GgufWriter no_space;
    no_space.kv_str("tokenizer.ggml.model", "gpt2");
    no_space.kv("tokenizer.ggml.tokens", strings({"a", "b", "ab"}));
    no_space.kv("tokenizer.ggml.merges", strings({"ab"}));
    EXPECT_THAT(load_error(no_space), HasSubstr("tokenizer.ggml.merges[0]: expected 'left right', got 'ab'"));
    GgufWriter missing;
    missing.kv_str("tokenizer.ggml.model", "gpt2");
    missing.kv("tokenizer.ggml.tokens", strings({"a"}));
    EXPECT_THAT(load_error(missing), HasSubstr("tokenizer.ggml.merges"));
}

TEST(GgufTokenizer, RefusesAPieceListedTwice) {
    GgufWriter w;
    w.kv_str("tokenizer.ggml.model", "llama");
    w.kv("tokenizer.ggml.tokens", strings({"<unk>", "a", "b", "a"}));
    EXPECT_THAT(load_error(w), HasSubstr("tokenizer.ggml.tokens[3]: expected each piece once, got 'a' again (it is token 1)"));
}

TEST(GgufTokenizer, RefusesFlagsAndIdsOfTheWrongType) {
    GgufWriter w = spm_vocab();
    w.kv_str("tokenizer.ggml.add_bos_token", "yes");
    EXPECT_THAT(load_error(w), HasSubstr("tokenizer.ggml.add_bos_token"));
    GgufWriter id = spm_vocab();
    id.kv_str("tokenizer.ggml.eos_token_id", "2");
    EXPECT_THAT(load_error(id), HasSubstr("tokenizer.ggml.eos_token_id"));
}

TEST(GgufTokenizer, ReadsMinusOneAsAnIdTheFileDoesNotSet) {
    // converters write -1 for "none", as int32 or as uint32 4294967295 (stories260K.gguf's separator);
    // llama.cpp's default stays: <s> = 1 for a SentencePiece vocabulary, no separator
    GgufWriter w = spm_vocab();
    w.kv("tokenizer.ggml.bos_token_id", Bytes().u32(kI32).put<std::int32_t>(-1));
    w.kv_u32("tokenizer.ggml.seperator_token_id", 4294967295u);
    EXPECT_THAT(encode(*load_ok(w), "a", true), ElementsAre(1, 10));
    w.kv("tokenizer.ggml.add_sep_token", flag(true));
    EXPECT_THAT(load_error(w), HasSubstr("tokenizer.ggml.add_sep_token: true, but tokenizer.ggml.seperator_token_id is not set"));
}

}  // namespace
}  // namespace attnscope
