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

// Cross-attention heads: n queries x n_keys keys, the keys another sequence's.

// One cross layer of the given heads' weights (n x n_keys, kept): queries are the trace's tokens,
// keys the source's, as cross_attention_trace() lays them out.
Trace cross_trace_with(const std::vector<Matrix>& heads) {
    Trace t = trace_with({heads});
    t.layers[0].cross = true;
    t.source_tokens.resize(static_cast<std::size_t>(heads[0].cols()));
    return t;
}

Matrix rows_of(Index n, Index n_keys, std::initializer_list<float> v) {
    Matrix m(n, n_keys);
    auto it = v.begin();
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < n_keys; ++j) m(i, j) = *it++;
    return m;
}

// 2 target tokens x 3 source tokens, worked by hand:
//   row 0: [0.5, 0.25, 0.25]  entropy 0.5*1 + 0.25*2 + 0.25*2 = 1.5 bits; same w00 = 0.5; first 0.5
//   row 1: [0.5, 0,    0.5 ]  entropy 0.5*1 + 0.5*1        = 1 bit;    same w11 = 0;   previous w10 = 0.5; first 0.5
// Means: entropy (1.5 + 1) / 2 = 1.25; same (0.5 + 0) / 2 = 0.25; previous and first over row 1: 0.5.
const Matrix kCross = rows_of(2, 3, {0.5f, 0.25f, 0.25f, 0.5f, 0, 0.5f});

TEST(HeadStats, ACrossHeadOfTwoQueriesAndThreeKeysHasTheHandWorkedNumbers) {
    const auto stats = compute_head_stats(cross_trace_with({kCross}));
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    EXPECT_EQ(stats.value()->n_tokens, 2);
    EXPECT_EQ(stats.value()->n_keys, 3);
    const HeadStat& s = stats.value()->head(0, 0);
    EXPECT_NEAR(s.row(HeadMetric::Entropy, 0), 1.5f, 1e-6f);
    EXPECT_NEAR(s.row(HeadMetric::Entropy, 1), 1.0f, 1e-6f);
    EXPECT_NEAR(s.average(HeadMetric::Entropy), 1.25f, 1e-6f);
    EXPECT_FLOAT_EQ(s.row(HeadMetric::Same, 1), 0.0f);
    EXPECT_FLOAT_EQ(s.average(HeadMetric::Same), 0.25f);
    EXPECT_FLOAT_EQ(s.average(HeadMetric::Previous), 0.5f);
    EXPECT_FLOAT_EQ(s.average(HeadMetric::First), 0.5f);
}

// 3 queries x 2 keys: row 2's own position is past the keys' end, so its "same" is 0.
//   rows [1, 0], [0, 1], [0.5, 0.5]: same 1, 1, 0 (mean 2/3); previous -, w10 = 0, w21 = 0.5 (mean
//   0.25); entropy 0, 0, 1 (mean 1/3).
TEST(HeadStats, ACrossQueryPastTheLastKeyHasNoSameTokenWeight) {
    const auto stats = compute_head_stats(cross_trace_with({rows_of(3, 2, {1, 0, 0, 1, 0.5f, 0.5f})}));
    ASSERT_TRUE(stats.ok());
    const HeadStat& s = stats.value()->head(0, 0);
    EXPECT_FLOAT_EQ(s.row(HeadMetric::Same, 2), 0.0f);
    EXPECT_FLOAT_EQ(s.average(HeadMetric::Same), 2.0f / 3);
    EXPECT_FLOAT_EQ(s.average(HeadMetric::Previous), 0.25f);
    EXPECT_NEAR(s.average(HeadMetric::Entropy), 1.0f / 3, 1e-6f);
}

// Two cross heads averaged cell by cell: kCross and [[0, 0, 1], [1, 0, 0]] give
// [[0.25, 0.125, 0.625], [0.75, 0, 0.25]], a 2 x 3 matrix like the heads.
TEST(HeadStats, AveragesOfCrossHeadsHaveTheQueriesRowsAndTheKeysColumns) {
    const auto stats = compute_head_stats(cross_trace_with({kCross, rows_of(2, 3, {0, 0, 1, 1, 0, 0})}));
    ASSERT_TRUE(stats.ok());
    const HeadStats& s = *stats.value();
    ASSERT_EQ(s.mean_over_heads[0].rows(), 2);
    ASSERT_EQ(s.mean_over_heads[0].cols(), 3);
    EXPECT_EQ(s.mean_over_heads[0], rows_of(2, 3, {0.25f, 0.125f, 0.625f, 0.75f, 0, 0.25f}));
    EXPECT_EQ(s.mean_over_all, s.mean_over_heads[0]) << "one layer: all heads are its heads";
    EXPECT_EQ(s.mean_over_layers[1], rows_of(2, 3, {0, 0, 1, 1, 0, 0}));
}

// A long cross trace keeps no matrices: its averages are of the pooled maps, one cell per 32 x 32
// block, so 40 queries x 70 keys give ceil(40/32) x ceil(70/32) = 2 x 3 cells.
TEST(HeadStats, ALongCrossTraceAveragesPooledMapsOfItsOwnShape) {
    Trace t;
    t.tokens.resize(40);
    t.source_tokens.resize(70);
    t.layers.resize(1);
    t.layers[0].cross = true;
    for (const float cell : {0.5f, 1.0f}) {
        HeadTrace h;
        h.q = Matrix::Zero(40, 2);
        h.k = Matrix::Zero(70, 2);
        h.summary.pooled = Matrix::Constant(2, 3, cell);
        for (RowVector* v : {&h.summary.entropy, &h.summary.previous, &h.summary.same, &h.summary.first, &h.summary.distance})
            *v = RowVector::Zero(40);
        t.layers[0].heads.push_back(h);
    }
    const auto stats = compute_head_stats(t);
    ASSERT_TRUE(stats.ok());
    EXPECT_TRUE(stats.value()->averages_pooled);
    EXPECT_EQ(stats.value()->mean_over_all, Matrix::Constant(2, 3, 0.75f));
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
