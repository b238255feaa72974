// Trace v2's on-demand attention: a trace that does not keep its n x n matrices computes a head's
// scores and weights when read, and they must be the numbers the forward pass would have kept,
// for every model family and both masks, across the 128-row blocks the kernel works in. The
// reference is the same model's trace with everything kept (ForwardOptions::keep_attention), whose
// numbers the numpy reference already checks (hf_model_test.cpp); here only equality matters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "attnscope/attention_cache.h"
#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "attnscope/random_model.h"
#include "random_transformers.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

const fs::path kReferenceDir = ATTNSCOPE_HF_REFERENCE_DIR;
const fs::path kShared = ATTNSCOPE_SHARED_MODELS;

std::shared_ptr<const Trace> traced(const Model& model, const std::string& text, bool keep) {
    TraceOptions options;
    options.keep_attention_bytes = keep ? 1e18 : 0.0;
    auto trace = compute_trace(model, text, options);
    EXPECT_TRUE(trace.ok()) << trace.error().message;
    return trace.ok() ? trace.value() : nullptr;
}

float max_difference(const Matrix& a, const Matrix& b) {
    // -infinity (masked) must match -infinity: compare the masks, then the finite cells.
    EXPECT_EQ(a.rows(), b.rows());
    EXPECT_EQ(a.cols(), b.cols());
    float worst = 0.0f;
    for (Index i = 0; i < a.rows(); ++i)
        for (Index j = 0; j < a.cols(); ++j) {
            if (std::isinf(a(i, j)) || std::isinf(b(i, j))) {
                EXPECT_EQ(a(i, j), b(i, j)) << "masked cell (" << i << ", " << j << ")";
                continue;
            }
            worst = std::max(worst, std::abs(a(i, j) - b(i, j)));
        }
    return worst;
}

// Every head: whole matrices and a range of rows that straddles a block boundary, against the kept ones.
void expect_on_demand_equals_kept(const Model& model, const std::string& text, int expected_min_tokens) {
    const auto kept = traced(model, text, true);
    const auto lazy = traced(model, text, false);
    ASSERT_TRUE(kept && lazy);
    ASSERT_GE(kept->n_tokens(), expected_min_tokens);
    EXPECT_TRUE(kept->keeps_attention());
    EXPECT_FALSE(lazy->keeps_attention()) << "the forward pass was asked not to keep them";
    EXPECT_EQ(lazy->head(0, 0).weights.size(), 0) << "nothing n x n stored";
    const int n = kept->n_tokens();
    const int r0 = std::min(n - 1, 100), r1 = std::min(n, 300);
    for (int l = 0; l < static_cast<int>(kept->layers.size()); ++l)
        for (int h = 0; h < kept->model.n_heads; ++h) {
            SCOPED_TRACE(model.info().name + " layer " + std::to_string(l) + " head " + std::to_string(h));
            EXPECT_LE(max_difference(*lazy->head_scores(l, h), kept->head(l, h).scores), 1e-6f);
            EXPECT_LE(max_difference(*lazy->head_weights(l, h), kept->head(l, h).weights), 1e-6f);
            EXPECT_LE(max_difference(lazy->head_weight_rows(l, h, r0, r1), kept->head(l, h).weights.middleRows(r0, r1 - r0)), 1e-6f);
            EXPECT_LE(max_difference(lazy->head_score_rows(l, h, r0, r1), kept->head(l, h).scores.middleRows(r0, r1 - r0)), 1e-6f);
            EXPECT_LE((lazy->head(l, h).out - kept->head(l, h).out).cwiseAbs().maxCoeff(), 1e-6f);
        }
}

using testing::numbered_words;
using testing::transformer_config;

TEST(OnDemandAttention, OwnFormatCausalAndBidirectionalAcrossBlocks) {
    for (bool causal : {true, false}) {
        const auto model = make_random_transformer(transformer_config(32, 4, 2, 64, 512, causal), 100, causal ? 3 : 4,
                                                   causal ? "causal" : "bidirectional");
        expect_on_demand_equals_kept(*model, numbered_words(300), 300);
    }
}

TEST(OnDemandAttention, EveryHuggingFaceReferenceCheckpoint) {
    if (!fs::exists(kReferenceDir)) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(kReferenceDir)) {
        if (!fs::exists(entry.path() / "config.json")) continue;
        const auto model = load_model(entry.path().string());
        ASSERT_TRUE(model.ok()) << model.error().message;
        SCOPED_TRACE(entry.path().filename().string());
        expect_on_demand_equals_kept(*model.value(), "the bank of the river", 2);
        ++checked;
    }
    EXPECT_GE(checked, 10) << "gpt2, bert, distilbert, llama, mistral, qwen2 in several layouts";
}

// Real checkpoints long enough to cross blocks: GPT-2 and Llama (causal), BERT (bidirectional).
TEST(OnDemandAttention, RealCheckpointsAt300TokensAcrossBlocks) {
    int checked = 0;
    for (const char* name : {"fake_gpt2", "stories260K", "bert_tiniest"}) {
        const fs::path dir = kShared / name;
        if (!fs::exists(dir / "config.json")) continue;
        const auto model = load_model(dir.string());
        ASSERT_TRUE(model.ok()) << model.error().message;
        std::string text;
        for (int i = 0; i < 25; ++i) text += "Once upon a time the cat sat by the river bank. ";
        expect_on_demand_equals_kept(*model.value(), text, 300);
        ++checked;
    }
    if (checked == 0) GTEST_SKIP() << "no shared checkpoints at " << kShared;
}

TEST(AttentionCache, KeepsComputedHeadsWithinItsBudgetAndForgetsADeadTrace) {
    const auto model = make_random_transformer(transformer_config(16, 2, 2, 32, 512), 100, 9, "cache");
    const std::size_t old_budget = attention_memory_budget();
    const std::size_t one_matrix = 200 * 200 * sizeof(float);
    set_attention_memory_budget(3 * one_matrix);  // room for three matrices, not four
    const AttentionCacheUse before = attention_cache_use();
    {
        const auto trace = traced(*model, numbered_words(200), false);
        const AttentionMatrix first = trace->head_weights(0, 0);  // computes scores and weights: 2 entries
        EXPECT_EQ(attention_cache_use().bytes, 2 * one_matrix);
        EXPECT_EQ(trace->head_weights(0, 0).get(), first.get()) << "a second read is the cached matrix";
        trace->head_weights(1, 1);  // 2 more: the oldest goes
        EXPECT_LE(attention_cache_use().bytes, 3 * one_matrix);
        EXPECT_GT(attention_cache_use().evictions, before.evictions);
        EXPECT_EQ(first->rows(), 200) << "a matrix handed out stays valid after its eviction";
    }
    EXPECT_EQ(attention_cache_use().bytes, 0u) << "the trace is gone, and with it its entries";
    set_attention_memory_budget(old_budget);
}

}  // namespace
}  // namespace attnscope
