// GGUF models against tests/models/gguf_reference/make_gguf_reference.py: a numpy GGUF writer,
// quantizer and dequantizer written separately from the C++ (from ggml's block layouts), with a
// small Llama per weight type (F32 tied and untied, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K
// and a Q4_K_M-like mix), real and random well-formed blocks, q/k rows in llama.cpp's order; and
// small GPT-2s (Conv1D weights transposed as llama.cpp writes them, tied and untied heads) and
// BERTs (no masked-word head) in F32, F16, Q8_0 and a Q4_K/Q6_K mix.
// - The file's own tokenizer gives the script's ids for its text (BPE merges, WordPiece with
//   [CLS]/[SEP], SentencePiece with byte fallback).
// - Every head's q, k, v, scores and weights, and the last logits (GPT-2, Llama), against the
//   float64 forward pass over the same dequantized weights.
// - Rows 0, 1 and the last of six tensors per file, dequantized, against the script's values,
//   which equal ggml's dequantize_row_* exactly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "attnscope/model.h"
#include "formats/ggml_dequantize.h"
#include "formats/gguf.h"
#include "model_checks.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

const fs::path kReferenceDir = ATTNSCOPE_GGUF_REFERENCE_DIR;

using testing::max_error;

class GgufReference : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        folder = kReferenceDir / GetParam();
        if (!fs::exists(folder / "expected.json"))
            GTEST_SKIP() << "no reference at " << folder << " (ctest makes it with tests/models/gguf_reference/make_gguf_reference.py)";
        expected = nlohmann::json::parse(std::ifstream(folder / "expected.json"));
        dequant = nlohmann::json::parse(std::ifstream(folder / "dequant.json"));
    }
    fs::path folder;
    nlohmann::json expected, dequant;
};

TEST_P(GgufReference, EveryHeadMatchesTheNumpyForwardOverTheDequantizedWeights) {
    auto loaded = load_model((folder / "model.gguf").string());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const ModelPtr model = loaded.value();
    EXPECT_EQ(model->info().n_heads, expected["n_heads"].get<int>());
    EXPECT_EQ(model->info().n_kv_heads, expected["n_kv_heads"].get<int>());
    EXPECT_EQ(model->info().n_layers, expected["n_layers"].get<int>());
    std::vector<Token> tokens;
    for (int id : expected["ids"]) tokens.push_back(Token{id, "", 0, 0, false, false, false});
    const auto encoded = model->tokenizer().encode(expected["text"].get<std::string>());
    ASSERT_TRUE(encoded.ok()) << encoded.error().message;
    std::vector<int> ids;
    for (const Token& t : encoded.value()) ids.push_back(t.id);
    EXPECT_EQ(ids, expected["ids"].get<std::vector<int>>()) << "the file's tokenizer on \"" << expected["text"].get<std::string>() << "\"";
    auto forward = model->forward(tokens, ForwardOptions{});
    ASSERT_TRUE(forward.ok()) << forward.error().message;
    const Trace& trace = forward.value();

    double worst_weights = 0, worst_qkv = 0;
    ASSERT_EQ(trace.layers.size(), expected["layers"].size());
    for (std::size_t l = 0; l < trace.layers.size(); ++l) {
        const auto& heads = expected["layers"][l]["heads"];
        ASSERT_EQ(trace.layers[l].heads.size(), heads.size());
        for (std::size_t h = 0; h < heads.size(); ++h) {
            const HeadTrace& got = trace.layers[l].heads[h];
            const std::string at = GetParam() + " layer " + std::to_string(l) + " head " + std::to_string(h);
            worst_qkv = std::max({worst_qkv, max_error(got.q, heads[h]["q"], at + " q"), max_error(got.k, heads[h]["k"], at + " k"),
                                  max_error(got.v, heads[h]["v"], at + " v"), max_error(got.scores, heads[h]["scores"], at + " scores")});
            worst_weights = std::max(worst_weights, max_error(got.weights, heads[h]["weights"], at + " weights"));
        }
    }
    EXPECT_LE(worst_weights, 1e-4) << "attention weights";
    EXPECT_LE(worst_qkv, 1e-4) << "q, k, v and scores (relative to 1 + |value|)";
    if (!expected.contains("logits_last")) {   // a GGUF BERT: the converter drops the masked-word head
        EXPECT_EQ(trace.logits.size(), 0);
        return;
    }
    ASSERT_GT(trace.logits.rows(), 0);
    const nlohmann::json want = nlohmann::json::array({expected["logits_last"]});
    EXPECT_LE(max_error(trace.logits.bottomRows(1), want, "logits"), 1e-4);
}

TEST_P(GgufReference, DequantizedRowsEqualTheScriptsGgmlValues) {
    const Result<GgufFile> file = GgufFile::open(folder / "model.gguf");
    ASSERT_TRUE(file.ok()) << file.error().message;
    int rows_checked = 0;
    for (const auto& t : dequant["tensors"]) {
        const GgufTensorInfo* info = file.value().find_tensor(t["name"].get<std::string>());
        ASSERT_NE(info, nullptr) << t["name"];
        EXPECT_EQ(std::string(ggml_type_name(info->type)), t["type"].get<std::string>());
        ASSERT_TRUE(ggml_type_readable(info->type));
        const std::size_t n = info->dims[0], row_bytes = ggml_row_bytes(info->type, n);
        const std::uint8_t* data = file.value().view(*info).data;
        for (const auto& r : t["rows"]) {
            const std::size_t row = r["row"];
            std::vector<float> got(n);
            dequantize_row(info->type, data + row * row_bytes, n, got.data());
            ASSERT_EQ(r["values"].size(), n);
            std::size_t differing = 0;
            for (std::size_t i = 0; i < n; ++i)
                if (got[i] != r["values"][i].get<float>()) ++differing;
            EXPECT_EQ(differing, 0u) << t["name"] << " row " << row << " (" << t["type"] << ")";
            ++rows_checked;
        }
    }
    EXPECT_GE(rows_checked, 15);
}

INSTANTIATE_TEST_SUITE_P(EveryWeightType, GgufReference,
                         ::testing::Values("llama_f32_untied", "llama_f32_tied", "llama_f16", "llama_bf16", "llama_q8_0", "llama_q4_0",
                                           "llama_q5_0", "llama_q4_k", "llama_q5_k", "llama_q6_k", "llama_q4_k_m", "gpt2_f32",
                                           "gpt2_q8_0", "gpt2_q4_k", "bert_f32", "bert_f16", "bert_q8_0"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace attnscope
