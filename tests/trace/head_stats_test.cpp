// Head summaries the GUI ranks heads by. Expected numbers are worked out by hand from small
// weight matrices written into a Trace directly, not taken from the program.
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/forward.h"
#include "attnscope/head_stats.h"

namespace attnscope {
namespace {

// A trace of `n` tokens with the given heads' weights: one layer per entry of `layers`.
Trace trace_with(const std::vector<std::vector<Matrix>>& layers) {
    Trace t;
    t.id = 42;
    const Index n = layers[0][0].rows();
    t.tokens.resize(static_cast<std::size_t>(n));
    for (const auto& heads : layers) {
        LayerTrace layer;
        for (const Matrix& w : heads) {
            HeadTrace h;
            h.weights = w;
            layer.heads.push_back(h);
        }
        t.layers.push_back(layer);
    }
    return t;
}

Matrix m3(std::initializer_list<float> v) {
    Matrix m(3, 3);
    auto it = v.begin();
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) m(i, j) = *it++;
    return m;
}

// Causal, every query looks only at the token before it (token 0 at itself).
const Matrix kPrevious = m3({1, 0, 0, 1, 0, 0, 0, 1, 0});
// Causal, uniform over the visible keys.
const Matrix kUniform = m3({1, 0, 0, 0.5f, 0.5f, 0, 1 / 3.f, 1 / 3.f, 1 / 3.f});

TEST(HeadStats, PreviousTokenHeadPutsAllWeightOnThePreviousToken) {
    const auto stats = compute_head_stats(trace_with({{kPrevious}}));
    ASSERT_TRUE(stats.ok());
    const HeadStat& s = stats.value()->head(0, 0);
    EXPECT_FLOAT_EQ(s.average(HeadMetric::Previous), 1.0f);  // rows 1 and 2: 1 and 1
    EXPECT_FLOAT_EQ(s.average(HeadMetric::Same), 1.0f / 3);  // rows: 1, 0, 0
    EXPECT_FLOAT_EQ(s.average(HeadMetric::First), 0.5f);     // rows 1 and 2: 1 and 0
    EXPECT_FLOAT_EQ(s.average(HeadMetric::Entropy), 0.0f);   // one-hot rows
    EXPECT_EQ(stats.value()->trace_id, 42u);
}

TEST(HeadStats, UniformRowsHaveEntropyOfLogTwoOfTheVisibleKeys) {
    const auto stats = compute_head_stats(trace_with({{kUniform}}));
    ASSERT_TRUE(stats.ok());
    const HeadStat& s = stats.value()->head(0, 0);
    EXPECT_NEAR(s.row(HeadMetric::Entropy, 0), 0.0f, 1e-6f);
    EXPECT_NEAR(s.row(HeadMetric::Entropy, 1), 1.0f, 1e-6f);               // log2 2
    EXPECT_NEAR(s.row(HeadMetric::Entropy, 2), std::log2(3.0f), 1e-6f);    // log2 3 = 1.585
    EXPECT_NEAR(s.average(HeadMetric::Entropy), (1.0f + std::log2(3.0f)) / 3, 1e-6f);
    EXPECT_NEAR(s.row(HeadMetric::Previous, 2), 1 / 3.f, 1e-6f);
}

TEST(HeadStats, AveragesOverHeadsAndOverLayers) {
    // Layer 0: previous, uniform. Layer 1: uniform, uniform.
    const auto stats = compute_head_stats(trace_with({{kPrevious, kUniform}, {kUniform, kUniform}}));
    ASSERT_TRUE(stats.ok());
    const HeadStats& s = *stats.value();
    ASSERT_EQ(s.n_layers, 2);
    ASSERT_EQ(s.n_heads, 2);
    // Layer 0's row 1 averaged over its heads: (1 + 0.5) / 2 at key 0, (0 + 0.5) / 2 at key 1.
    EXPECT_FLOAT_EQ(s.mean_over_heads[0](1, 0), 0.75f);
    EXPECT_FLOAT_EQ(s.mean_over_heads[0](1, 1), 0.25f);
    EXPECT_FLOAT_EQ(s.mean_over_heads[1](1, 0), 0.5f);
    // Head 0 averaged over the layers is the same mix; head 1 is uniform in both.
    EXPECT_FLOAT_EQ(s.mean_over_layers[0](1, 0), 0.75f);
    EXPECT_FLOAT_EQ(s.mean_over_layers[1](2, 2), 1 / 3.f);
    // All four heads: (1 + 0.5 + 0.5 + 0.5) / 4 at row 1, key 0.
    EXPECT_FLOAT_EQ(s.mean_over_all(1, 0), 0.625f);
}

TEST(HeadStats, StopsWhenCancelled) {
    const auto stats = compute_head_stats(trace_with({{kPrevious}}), [] { return true; });
    ASSERT_FALSE(stats.ok());
    EXPECT_EQ(stats.error().message, "cancelled");
}

TEST(HeadStats, AveragedRowsOfARealTraceStillSumToOne) {
    const auto model = load_model("builtin:abc-example");
    ASSERT_TRUE(model.ok()) << model.error().message;
    const auto trace = compute_trace(*model.value(), "A B C A");
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    const auto stats = compute_head_stats(*trace.value());
    ASSERT_TRUE(stats.ok());
    for (Index i = 0; i < 4; ++i) EXPECT_NEAR(stats.value()->mean_over_all.row(i).sum(), 1.0f, 1e-5f);
}

// Two layers of two heads over 2 tokens; the weight from token 1 to token 0 is, layer-major,
// 0.2, 0.9, 0.5, 0.9 (written into the matrices below).
TEST(RankHeads, PutsTheHeaviestKeyWeightFirstAndKeepsLayerOrderOnTies) {
    const auto w = [](float to_first) { return (Matrix(2, 2) << 1.0f, 0.0f, to_first, 1.0f - to_first).finished(); };
    Trace t = trace_with({{w(0.2f), w(0.9f)}, {w(0.5f), w(0.9f)}});
    t.model.n_heads = 2;
    const std::vector<float> weights = key_weights(t, 1, 0);
    ASSERT_EQ(weights.size(), 4u);
    EXPECT_FLOAT_EQ(weights[1], 0.9f);
    EXPECT_FLOAT_EQ(weights[2], 0.5f);
    EXPECT_EQ(rank_heads(weights, Better::Higher), (std::vector<int>{1, 3, 2, 0}));
}

TEST(RankHeads, PutsTheLowestValueFirstWhenLowerIsBetter) {
    // Entropies in bits: a focused head (0) ranks before a spread one.
    EXPECT_EQ(rank_heads({1.0f, 0.0f, 1.58f, 0.0f}, Better::Lower), (std::vector<int>{1, 3, 0, 2}));
    EXPECT_TRUE(rank_heads({}, Better::Lower).empty());
}

}  // namespace
}  // namespace attnscope
