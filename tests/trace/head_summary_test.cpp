// The summaries the forward pass makes block by block (HeadSummary), checked against the kept
// n x n weights of the same trace with plain loops written here, for both masks and across the
// kernel's 128-row blocks and the map's 32-token cells; and kept right when a causal head is
// extended (prefix reuse) or cut back (an edit in the middle).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "attnscope/forward.h"
#include "attnscope/head_stats.h"
#include "attnscope/random_model.h"
#include "kernels/attention.h"
#include "random_transformers.h"

namespace attnscope {
namespace {

using testing::numbered_words;
using testing::transformer_config;

std::shared_ptr<const Trace> trace_of(bool causal, int n, bool keep) {
    static const auto causal_model = make_random_transformer(transformer_config(32, 4, 2, 64, 512, true), 100, 21, "causal");
    static const auto encoder_model = make_random_transformer(transformer_config(32, 4, 2, 64, 512, false), 100, 22, "encoder");
    TraceOptions options;
    options.keep_attention_bytes = keep ? 1e18 : 0.0;
    auto trace = compute_trace(causal ? *causal_model : *encoder_model, numbered_words(n, 7), options);
    EXPECT_TRUE(trace.ok()) << trace.error().message;
    return trace.value();
}

// The summary of one head, worked out from its kept weights.
void expect_summary_matches_weights(const HeadSummary& s, const Matrix& w) {
    const Index n = w.rows(), P = HeadSummary::kPoolTokens, cells = (n + P - 1) / P;
    ASSERT_EQ(s.entropy.size(), n);
    ASSERT_EQ(s.pooled.rows(), cells);
    ASSERT_EQ(s.pooled.cols(), cells);
    for (Index i = 0; i < n; ++i) {
        double entropy = 0.0, distance = 0.0;
        for (Index j = 0; j < n; ++j)
            if (w(i, j) > 0.0f) {
                entropy -= w(i, j) * std::log2(static_cast<double>(w(i, j)));
                distance += w(i, j) * std::abs(static_cast<double>(i - j));
            }
        EXPECT_NEAR(s.entropy(i), entropy, 1e-5) << "row " << i;
        EXPECT_NEAR(s.distance(i), distance, 1e-3 * std::max(1.0, distance)) << "row " << i;
        EXPECT_EQ(s.same(i), w(i, i));
        EXPECT_EQ(s.first(i), w(i, 0));
        EXPECT_EQ(s.previous(i), i > 0 ? w(i, i - 1) : 0.0f);
    }
    for (Index a = 0; a < cells; ++a)
        for (Index b = 0; b < cells; ++b) {
            float largest = 0.0f;
            for (Index i = a * P; i < std::min(n, (a + 1) * P); ++i)
                for (Index j = b * P; j < std::min(n, (b + 1) * P); ++j) largest = std::max(largest, w(i, j));
            EXPECT_EQ(s.pooled(a, b), largest) << "cell " << a << ", " << b;
        }
}

TEST(HeadSummary, MatchesTheKeptWeightsForBothMasksAcrossBlocksAndCells) {
    for (bool causal : {true, false}) {
        const auto trace = trace_of(causal, 300, true);
        for (int l = 0; l < 2; ++l)
            for (int h = 0; h < 4; ++h) {
                SCOPED_TRACE(std::string(causal ? "causal" : "bidirectional") + " layer " + std::to_string(l) + " head " +
                             std::to_string(h));
                expect_summary_matches_weights(trace->head(l, h).summary, trace->head(l, h).weights);
            }
    }
}

TEST(HeadSummary, ALongTraceRanksItsHeadsWithoutItsMatrices) {
    const auto kept = trace_of(true, 300, true), lazy = trace_of(true, 300, false);
    ASSERT_FALSE(lazy->keeps_attention());
    const auto a = compute_head_stats(*kept), b = compute_head_stats(*lazy);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_FALSE(a.value()->averages_pooled);
    EXPECT_TRUE(b.value()->averages_pooled);
    EXPECT_EQ(b.value()->mean_over_all.rows(), 10) << "ceil(300 / 32) pooled cells, not 300 x 300";
    for (std::size_t i = 0; i < a.value()->heads.size(); ++i)
        for (int m = 0; m < static_cast<int>(HeadMetric::Count); ++m)
            EXPECT_FLOAT_EQ(a.value()->heads[i].mean[m], b.value()->heads[i].mean[m]) << "head " << i << " metric " << m;
}

Matrix random_matrix(Index rows, Index cols, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Matrix m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
    return m;
}

void expect_same_head(const HeadTrace& a, const HeadTrace& b) {
    EXPECT_EQ(a.q, b.q);
    EXPECT_EQ(a.k, b.k);
    EXPECT_LE((a.out - b.out).cwiseAbs().maxCoeff(), 1e-5f);
    EXPECT_EQ(a.scores.rows(), b.scores.rows());
    if (a.weights.size() > 0) {
        EXPECT_LE((a.weights - b.weights).cwiseAbs().maxCoeff(), 1e-6f);
    }
    EXPECT_EQ(a.summary.pooled.rows(), b.summary.pooled.rows());
    EXPECT_LE((a.summary.pooled - b.summary.pooled).cwiseAbs().maxCoeff(), 1e-6f);
    EXPECT_LE((a.summary.entropy - b.summary.entropy).cwiseAbs().maxCoeff(), 1e-5f);
    EXPECT_LE((a.summary.previous - b.summary.previous).cwiseAbs().maxCoeff(), 1e-6f);
    EXPECT_LE((a.summary.distance - b.summary.distance).cwiseAbs().maxCoeff(), 1e-3f);
}

// Prefix reuse at the kernel: a head traced for 270 tokens then extended by 30 (and by 1 at a
// cell boundary), or traced for 340 and cut back to 300, is the head traced for 300 at once.
TEST(HeadSummary, AnExtendedOrCutBackCausalHeadIsTheHeadTracedAtOnce) {
    std::mt19937 rng(5);
    const Index n = 300, d = 16;
    const Matrix q = random_matrix(n + 40, d, rng), k = random_matrix(n + 40, d, rng), v = random_matrix(n + 40, d, rng);
    const float scale = 0.25f;
    for (bool keep : {true, false}) {
        SCOPED_TRACE(keep ? "kept matrices" : "on demand");
        const HeadTrace whole = attention_head_forward(q.topRows(n), k.topRows(n), v.topRows(n), scale, true, keep);
        for (Index p : {Index{270}, Index{299}, Index{256}, Index{1}}) {
            HeadTrace grown = attention_head_forward(q.topRows(p), k.topRows(p), v.topRows(p), scale, true, keep);
            extend_causal_head(grown, q.middleRows(p, n - p), k.middleRows(p, n - p), v.middleRows(p, n - p), scale, keep);
            SCOPED_TRACE("extended from " + std::to_string(p));
            expect_same_head(grown, whole);
        }
        HeadTrace cut = attention_head_forward(q, k, v, scale, true, keep);
        truncate_causal_head(cut, n, scale);
        SCOPED_TRACE("cut back from 340");
        expect_same_head(cut, whole);
    }
}

}  // namespace
}  // namespace attnscope
