// Added tokens in tokenizer.json files, against the reference (tests/oracle, and ids printed by the
// Rust tokenizers library where the JavaScript port ignores a flag): moved out of
// hf_tokenizer_test.cpp, which holds the other tokenizer.json tests.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenize/hf_tokenizer.h"
#include "hf_tokenizer_helpers.h"
#include "tokenizer_oracle.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::ElementsAre;
using namespace attnscope::testing;  // hf_tokenizer_helpers.h, tokenizer_oracle.h, test_scratch.h

// [SECTION] Added tokens

// The reference cuts the text at its added tokens first (those marked "normalized": false in the
// text as typed, the others in the normalized text), then normalizes and pre-tokenizes every
// piece between them on its own; lstrip / rstrip take the whitespace beside a token into it.
// Texts with the added tokens of every shared file, glued, spaced, doubled and at the ends.
std::vector<std::string> added_token_texts() {
    return {
        "<|user|>\nHello<|end|>\n<|assistant|>", "<|user|> Hello <|end|> <|assistant|>  hi",
        "<|system|>   You are nice.<|end|>\n\n<|user|>\tWhat?<|end|>", "x<|placeholder1|>y",
        "x <|placeholder1|> y", "<|end|><|end|>", "<|end|> <|end|>", "<|end|>\n<|end|>",
        "\u65e5\u672c\u8a9e <|end|> \u30c6\u30ad\u30b9\u30c8", "x\u00a0<|end|>\u3000y",
        "a</s>b", "a </s> b", "a  </s>  b", "</s>x", " </s>", "</s> ", "a\u00a0</s>\u00a0b",
        "<s>Hello", " <s> Hello", "Hello<s>", "Hello <s>", "<unk>", " <unk> x", "<s> Once </s> upon <s>",
        "<|endoftext|>", "Hello<|endoftext|>World", "Hello <|endoftext|> World", "Hello  <|endoftext|>  World",
        "a <|endoftext|>b", "a<|endoftext|> b", "\u00dcn\u00efc\u00f6d\u00e9  <|endoftext|>",
        "I <extra_id_0> like", "I<extra_id_0>like", "I  <extra_id_0>  like", "<extra_id_0>", " <extra_id_0> ",
        "<extra_id_0><extra_id_1>", "  <extra_id_0>  <extra_id_0>  ", "\n<extra_id_0>\n", "x\u2003<extra_id_0>\u2003y",
        "a <pad> b", "[MASK] is here", "a [MASK]b", "a\t[MASK] b", "A [MASK] B", "x [mask] y", "[CLS] [SEP]",
        "code:\n    indented\n        more", "a                              b", "    x", "x    ", "  \n  ",
        "def f():\n\treturn  1",
    };
}

TEST(HfTokenizerOracle, AddedTokensOfEverySharedFileMatchTheReference) {
    for (const char* model : {"phi3_mini_tokenizer", "gpt_neox_20b_tokenizer", "t5_small_tokenizer", "stories260K",
                              "bert_tiniest", "fake_gpt2"}) {
        SCOPED_TRACE(model);
        REQUIRE_MODEL(model);
        const fs::path file = kModels / model / "tokenizer.json";
        const auto t = load_hf_tokenizer_file(file);
        ASSERT_TRUE(t.ok()) << t.error().message;
        expect_agreement(std::string(model) + ", added tokens", file, *t.value(), added_token_texts());
    }
}

// A tokenizer.json from ../shared/models with `flags` set on the added tokens named in `contents`
// (and the other replacements), written for the oracle too.
fs::path with_flags(const std::string& model, const std::string& name, const std::vector<std::string>& contents,
                    const json& flags, const json& replacements = json::object()) {
    json tokens = read_json(kModels / model / "tokenizer.json")["added_tokens"];
    for (json& t : tokens)
        if (std::find(contents.begin(), contents.end(), t["content"].get<std::string>()) != contents.end())
            t.update(flags);
    json all = replacements;
    all["added_tokens"] = tokens;
    return variant(model, name, all);
}

// lstrip, rstrip and "normalized" on the files' own added tokens, where the files have none of
// them set (Phi-3's rstrip is the only one shipped), with each kind of pre-tokenizer around them.
TEST(HfTokenizerOracle, AddedTokenStripAndNormalizedFlagsMatchTheReference) {
    REQUIRE_MODEL("phi3_mini_tokenizer");
    REQUIRE_MODEL("t5_small_tokenizer");
    REQUIRE_MODEL("fake_gpt2");
    REQUIRE_MODEL("bert_tiniest");
    REQUIRE_MODEL("gpt_neox_20b_tokenizer");
    REQUIRE_MODEL("stories260K");
    const json first = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"}, {"split", true}};
    const std::vector<std::pair<std::string, fs::path>> files = {
        {"Phi-3, <|end|> lstrip", with_flags("phi3_mini_tokenizer", "phi3_lstrip", {"<|end|>"}, {{"lstrip", true}})},
        {"t5, extra ids lstrip + rstrip", with_flags("t5_small_tokenizer", "t5_strip", {"<extra_id_0>", "<extra_id_1>"},
                                                     {{"lstrip", true}, {"rstrip", true}})},
        {"t5, extra ids normalized", with_flags("t5_small_tokenizer", "t5_normalized", {"<extra_id_0>", "<extra_id_1>"},
                                                {{"normalized", true}})},
        {"t5, Metaspace prepend_scheme first, <extra_id_0> lstrip",
         with_flags("t5_small_tokenizer", "t5_first", {"<extra_id_0>"}, {{"lstrip", true}}, {{"pre_tokenizer", first}})},
        {"GPT-2, <|endoftext|> not normalized, lstrip",
         with_flags("fake_gpt2", "gpt2_lstrip", {"<|endoftext|>"}, {{"normalized", false}, {"lstrip", true}})},
        {"BERT, [MASK] lstrip", with_flags("bert_tiniest", "bert_lstrip", {"[MASK]"}, {{"lstrip", true}})},
        {"BERT, [MASK] normalized", with_flags("bert_tiniest", "bert_normalized", {"[MASK]"}, {{"normalized", true}})},
        {"GPT-NeoX, <|endoftext|> lstrip + rstrip",
         with_flags("gpt_neox_20b_tokenizer", "neox_strip", {"<|endoftext|>"}, {{"lstrip", true}, {"rstrip", true}})},
        {"stories260K, </s> lstrip + normalized", with_flags("stories260K", "stories_lstrip", {"</s>"},
                                                             {{"lstrip", true}, {"normalized", true}})},
    };
    for (const auto& [label, file] : files) {
        SCOPED_TRACE(label);
        const auto t = load_hf_tokenizer_file(file);
        ASSERT_TRUE(t.ok()) << t.error().message;
        expect_agreement(label, file, *t.value(), added_token_texts());
    }
}

// single_word: a token counts only with no word character (\w) just before or after it, else the
// text is tokenized as if it were not there. The JavaScript port ignores the flag, so these ids
// are the Rust tokenizers library's (npm `tokenizers` 0.23.2: Tokenizer.fromFile(file).encode(text)
// on the same variants).
TEST(HfTokenizerFacts, SingleWordAddedTokensGiveTheRustLibrarysIds) {
    REQUIRE_MODEL("fake_gpt2");
    REQUIRE_MODEL("phi3_mini_tokenizer");
    const auto gpt2_file = load_hf_tokenizer_file(
        with_flags("fake_gpt2", "gpt2_single_word", {"<|endoftext|>"}, {{"single_word", true}}));
    ASSERT_TRUE(gpt2_file.ok()) << gpt2_file.error().message;
    const Tokenizer* gpt2 = gpt2_file.value().get();
    EXPECT_THAT(ids(*gpt2, "Hello<|endoftext|>World"), ElementsAre(15496, 27, 91, 437, 1659, 5239, 91, 29, 10603));
    EXPECT_THAT(ids(*gpt2, "first <|endoftext|> second"), ElementsAre(11085, 220, 50256, 1218));
    EXPECT_THAT(ids(*gpt2, "a <|endoftext|>b"), ElementsAre(64, 1279, 91, 437, 1659, 5239, 91, 29, 65));
    EXPECT_THAT(ids(*gpt2, "a<|endoftext|> b"), ElementsAre(64, 27, 91, 437, 1659, 5239, 91, 29, 275));
    EXPECT_THAT(ids(*gpt2, "<|endoftext|><|endoftext|>"), ElementsAre(50256, 50256));
    EXPECT_THAT(ids(*gpt2, "(<|endoftext|>)"), ElementsAre(7, 50256, 8));
    // Phi-3's <|user|> keeps its rstrip; its normalizer puts "▁" before every piece between tokens.
    const auto phi3_file = load_hf_tokenizer_file(
        with_flags("phi3_mini_tokenizer", "phi3_single_word", {"<|user|>"}, {{"single_word", true}}));
    ASSERT_TRUE(phi3_file.ok()) << phi3_file.error().message;
    const Tokenizer* phi3 = phi3_file.value().get();
    EXPECT_THAT(ids(*phi3, "<|user|>x"), ElementsAre(529, 29989, 1792, 29989, 29958, 29916));
    EXPECT_THAT(ids(*phi3, "x<|user|>"), ElementsAre(921, 29966, 29989, 1792, 29989, 29958));
    EXPECT_THAT(ids(*phi3, " <|user|> x"), ElementsAre(259, 32010, 921));
    EXPECT_THAT(ids(*phi3, "<|user|>\nHi"), ElementsAre(32010, 6324));
    EXPECT_THAT(ids(*phi3, "\u00e9<|user|>"), ElementsAre(904, 29966, 29989, 1792, 29989, 29958));
}

}  // namespace
}  // namespace attnscope
