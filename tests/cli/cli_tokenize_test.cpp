// attnscope-cli tokenize on GGUF files: vocabulary-only files read as tokenizers, --no-special,
// and broken files refused with exit 3 and the file named. The real binary is run as in
// cli_test.cpp. Expected ids come from llama.cpp's .out files (the shared ggml-vocab files) or
// are worked out by hand for the small vocabularies written here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_process.h"
#include "formats/gguf_files.h"
#include "shared_models.h"
#include "test_scratch.h"

namespace attnscope {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Bytes;
using testing::GgufWriter;
using testing::kArr;
using testing::kStr;
using testing::scratch_dir;
namespace fs = std::filesystem;

using testing::cli;
using testing::ProcessResult;
using testing::write_file;

using testing::strings;

// A vocabulary-only byte-level BPE file: ids 0 "h" 1 "i" 2 "hi" 3 "Ġ" 4 "<|bos|>" (control),
// merge "h i"; Llama-3's pre-tokenizer, which adds BOS (id 4).
GgufWriter tiny_bpe_vocab(const std::string& pre) {
    GgufWriter w;
    w.kv_str("general.architecture", "llama");
    w.kv_str("tokenizer.ggml.model", "gpt2");
    w.kv_str("tokenizer.ggml.pre", pre);
    w.kv("tokenizer.ggml.tokens", strings({"h", "i", "hi", "\xC4\xA0", "<|bos|>"}));
    w.kv("tokenizer.ggml.token_type", Bytes().u32(kArr).u32(testing::kI32).u64(5).put<std::int32_t>(1).put<std::int32_t>(1)
                                          .put<std::int32_t>(1).put<std::int32_t>(1).put<std::int32_t>(3));
    w.kv("tokenizer.ggml.merges", strings({"h i"}));
    w.kv_u32("tokenizer.ggml.bos_token_id", 4);
    return w;
}

std::vector<int> ids(const std::string& json_out) {
    std::vector<int> out;
    for (const auto& t : nlohmann::json::parse(json_out)) out.push_back(t["id"].get<int>());
    return out;
}

std::string shared_vocab(const std::string& name) {
    return testing::shared_model("gguf-vocab/ggml-vocab-" + name + ".gguf").string();
}

TEST(CliTokenizeGguf, ReadsAVocabularyOnlyFileAsATokenizer) {
    const std::string file = write_file("tiny-vocab.gguf", tiny_bpe_vocab("llama-bpe").bytes()).string();
    // "hi hi": "hi" -> 2; " hi" -> "Ġhi", no merge with Ġ -> 3 2; BOS (4) first
    const ProcessResult r = cli({"tokenize", "--model", file, "--text", "hi hi", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(ids(r.out), ElementsAre(4, 2, 3, 2));
    const auto tokens = nlohmann::json::parse(r.out);
    EXPECT_TRUE(tokens[0]["special"].get<bool>());
    EXPECT_EQ(tokens[0]["start"], 0);
    EXPECT_EQ(tokens[0]["end"], 0);
    EXPECT_EQ(tokens[3]["start"], 3);
    EXPECT_EQ(tokens[3]["end"], 5);
}

TEST(CliTokenizeGguf, LeavesOutTheAddedTokensWithNoSpecial) {
    const std::string file = write_file("tiny-vocab.gguf", tiny_bpe_vocab("llama-bpe").bytes()).string();
    const ProcessResult r = cli({"tokenize", "--model", file, "--text", "hi hi", "--no-special", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(ids(r.out), ElementsAre(2, 3, 2));
    // the table says the same
    const ProcessResult table = cli({"tokenize", "--model", file, "--text", "hi", "--no-special"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_THAT(table.out, HasSubstr("1 tokens"));
    EXPECT_EQ(table.out.find("(special)"), std::string::npos);
}

TEST(CliTokenizeGguf, KeepsSpecialTokensTheTextSpellsWithNoSpecial) {
    const std::string file = write_file("tiny-vocab.gguf", tiny_bpe_vocab("llama-bpe").bytes()).string();
    const ProcessResult r = cli({"tokenize", "--model", file, "--text", "<|bos|>hi", "--no-special", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(ids(r.out), ElementsAre(4, 2));
    const auto tokens = nlohmann::json::parse(r.out);
    EXPECT_EQ(tokens[0]["end"], 7);  // the typed "<|bos|>"
}

TEST(CliTokenizeGguf, GivesTheReferenceIdsOfTheSharedVocabularies) {
    SKIP_WITHOUT_SHARED_MODEL("gguf-vocab");
    // "Hello world" in each .out file: gpt-2 15496 995, llama-spm 15043 3186, bert-bge 7592 2088
    struct Case {
        std::string name;
        std::vector<int> with_special, without;
    };
    const std::vector<Case> cases = {{"gpt-2", {15496, 995}, {15496, 995}},
                                     {"llama-spm", {1, 15043, 3186}, {15043, 3186}},
                                     {"bert-bge", {101, 7592, 2088, 102}, {7592, 2088}}};
    for (const Case& c : cases) {
        const ProcessResult with = cli({"tokenize", "--model", shared_vocab(c.name), "--text", "Hello world", "--json"});
        ASSERT_EQ(with.exit_code, 0) << c.name << ": " << with.err;
        EXPECT_EQ(ids(with.out), c.with_special) << c.name;
        const ProcessResult without =
            cli({"tokenize", "--model", shared_vocab(c.name), "--text", "Hello world", "--no-special", "--json"});
        ASSERT_EQ(without.exit_code, 0) << c.name << ": " << without.err;
        EXPECT_EQ(ids(without.out), c.without) << c.name;
    }
}

TEST(CliTokenizeGguf, RefusesABrokenTokenizerNamingTheFileAndTheKey) {
    const std::string file = write_file("unknown-pre.gguf", tiny_bpe_vocab("foo").bytes()).string();
    const ProcessResult r = cli({"tokenize", "--model", file, "--text", "hi"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_THAT(r.err, HasSubstr(file + ": tokenizer.ggml.pre: unknown pre-tokenizer 'foo'"));
}

TEST(CliTokenizeGguf, RefusesACutFileNamingIt) {
    const std::string whole = tiny_bpe_vocab("gpt-2").bytes();
    const std::string file = write_file("cut.gguf", whole.substr(0, whole.size() / 2)).string();
    const ProcessResult r = cli({"tokenize", "--model", file, "--text", "hi"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_THAT(r.err, HasSubstr(file));
}

TEST(CliTokenizeGguf, HandsAFileWithTensorsToTheModelLoader) {
    // no tokenizer metadata at all: read as a model, whose loader refuses it naming the file
    const std::string file = write_file("weights.gguf", testing::small_file().bytes()).string();
    const ProcessResult r = cli({"tokenize", "--model", file, "--text", "hi"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_THAT(r.err, HasSubstr(file));
}

}  // namespace
}  // namespace attnscope
