#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "attnscope/trace.h"
#include "kernels/attention.h"

namespace attnscope {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

Matrix from_rows(std::initializer_list<std::initializer_list<float>> rows) {
    Matrix m(static_cast<Index>(rows.size()), static_cast<Index>(rows.begin()->size()));
    Index r = 0;
    for (const auto& row : rows) {
        Index c = 0;
        for (float v : row) m(r, c++) = v;
        ++r;
    }
    return m;
}

TEST(Softmax, RowsSumToOne) {
    const Matrix w = softmax_rows(from_rows({{0.1f, -2.0f, 3.0f, 0.0f}, {5.0f, 5.0f, 5.0f, 5.0f}, {-1.0f, 0.0f, 1.0f, 2.0f}}));
    for (Index i = 0; i < w.rows(); ++i) EXPECT_NEAR(w.row(i).sum(), 1.0f, 1e-6f);
    EXPECT_NEAR(w(1, 2), 0.25f, 1e-7f);
}

TEST(Softmax, MatchesTheDefinitionOnAHandExample) {
    const Matrix w = softmax_rows(from_rows({{0.0f, std::log(3.0f)}}));  // e^0 : e^ln3 = 1 : 3
    EXPECT_NEAR(w(0, 0), 0.25f, 1e-7f);
    EXPECT_NEAR(w(0, 1), 0.75f, 1e-7f);
}

TEST(Softmax, IsStableForHugeScores) {
    const Matrix w = softmax_rows(from_rows({{1e4f, 1e4f - std::log(3.0f)}, {-1e4f, -1e4f + std::log(3.0f)}}));
    EXPECT_TRUE(w.allFinite());
    EXPECT_NEAR(w(0, 0), 0.75f, 1e-3f);  // float rounding of 1e4 - ln 3 is ~5e-4
    EXPECT_NEAR(w(1, 1), 0.75f, 1e-3f);
    EXPECT_NEAR(w.row(0).sum(), 1.0f, 1e-6f);
    EXPECT_NEAR(w.row(1).sum(), 1.0f, 1e-6f);
}

TEST(Softmax, GivesMaskedEntriesExactlyZero) {
    const Matrix w = softmax_rows(from_rows({{1.0f, -kInf, -kInf}, {-500.0f, -kInf, -600.0f}}));
    EXPECT_EQ(w(0, 0), 1.0f);
    EXPECT_EQ(w(0, 1), 0.0f);
    EXPECT_EQ(w(0, 2), 0.0f);
    EXPECT_EQ(w(1, 1), 0.0f);
    EXPECT_NEAR(w(1, 0), 1.0f, 1e-6f);
    EXPECT_GE(w(1, 2), 0.0f);
}

TEST(Softmax, GivesAFullyMaskedRowZeroWeight) {
    const Matrix w = softmax_rows(from_rows({{-kInf, -kInf}}));
    EXPECT_EQ(w(0, 0), 0.0f);
    EXPECT_EQ(w(0, 1), 0.0f);
}

TEST(CausalMask, GivesLaterKeysExactlyZeroWeight) {
    const Matrix q = Matrix::Random(5, 3), k = Matrix::Random(5, 3), v = Matrix::Random(5, 3);
    const HeadTrace h = attention_head_forward(q, k, v, 0.5f, /*causal=*/true);
    for (Index i = 0; i < 5; ++i) {
        for (Index j = 0; j < 5; ++j) {
            if (j > i) {
                EXPECT_EQ(h.scores(i, j), -kInf);
                EXPECT_EQ(h.weights(i, j), 0.0f);
            } else {
                EXPECT_TRUE(std::isfinite(h.scores(i, j)));
                EXPECT_GT(h.weights(i, j), 0.0f);
            }
        }
        EXPECT_NEAR(h.weights.row(i).sum(), 1.0f, 1e-6f);
    }
    EXPECT_EQ(h.weights(0, 0), 1.0f) << "the first token can only look at itself";
}

// A causal head longer than the blocks the products are cut into, against the definition
// written out in double precision: every score, weight and output, masked cells included.
TEST(CausalMask, MatchesTheDefinitionAcrossBlockBoundaries) {
    const Index n = 300, d = 5;  // blocks of 128 rows: two full ones and a partial one
    const float scale = 0.37f;
    const Matrix q = Matrix::Random(n, d), k = Matrix::Random(n, d), v = Matrix::Random(n, d);
    const HeadTrace h = attention_head_forward(q, k, v, scale, /*causal=*/true);
    double worst_score = 0, worst_weight = 0, worst_out = 0;
    for (Index i = 0; i < n; ++i) {
        std::vector<double> s(static_cast<std::size_t>(i + 1));
        double max = -1e300, sum = 0;
        for (Index j = 0; j <= i; ++j) {
            double dot = 0;
            for (Index c = 0; c < d; ++c) dot += static_cast<double>(q(i, c)) * k(j, c);
            s[static_cast<std::size_t>(j)] = dot * scale;
            max = std::max(max, s[static_cast<std::size_t>(j)]);
        }
        for (double& x : s) sum += (x = std::exp(x - max));
        for (Index j = 0; j < n; ++j) {
            if (j > i) {
                ASSERT_EQ(h.scores(i, j), -kInf) << i << "," << j;
                ASSERT_EQ(h.weights(i, j), 0.0f) << i << "," << j;
                continue;
            }
            double dot = 0;
            for (Index c = 0; c < d; ++c) dot += static_cast<double>(q(i, c)) * k(j, c);
            worst_score = std::max(worst_score, std::abs(h.scores(i, j) - dot * scale));
            worst_weight = std::max(worst_weight, std::abs(h.weights(i, j) - s[static_cast<std::size_t>(j)] / sum));
        }
        for (Index c = 0; c < d; ++c) {
            double o = 0;
            for (Index j = 0; j <= i; ++j) o += s[static_cast<std::size_t>(j)] / sum * v(j, c);
            worst_out = std::max(worst_out, std::abs(h.out(i, c) - o));
        }
    }
    EXPECT_LT(worst_score, 1e-5);
    EXPECT_LT(worst_weight, 1e-6);
    EXPECT_LT(worst_out, 1e-5);
}

// Two heads of one layer, d_head = 2, worked by hand. The heads see the same two tokens but
// differ: head 0 prefers the first key, head 1 the second.
TEST(Attention, MatchesHandComputedValuesForTwoDifferentHeads) {
    // head 0: q = [[1,0],[0,1]], k = [[2,0],[0,0]]  -> raw scores [[2,0],[0,0]]
    // head 1: q = [[1,1],[1,1]], k = [[0,0],[1,1]]  -> raw scores [[0,2],[0,2]]
    const float scale = 1.0f / std::sqrt(2.0f);
    const Matrix v = from_rows({{1, 0}, {0, 1}});
    const HeadTrace h0 = attention_head_forward(from_rows({{1, 0}, {0, 1}}), from_rows({{2, 0}, {0, 0}}), v, scale, false);
    const HeadTrace h1 = attention_head_forward(from_rows({{1, 1}, {1, 1}}), from_rows({{0, 0}, {1, 1}}), v, scale, false);

    const float s = 2.0f * scale;                        // the one non-zero scaled score, sqrt(2)
    const float big = std::exp(s) / (std::exp(s) + 1.0f);  // softmax([s, 0])[0] = 0.8044...
    EXPECT_NEAR(h0.scores(0, 0), std::sqrt(2.0f), 1e-6f);
    EXPECT_NEAR(h0.weights(0, 0), big, 1e-6f);
    EXPECT_NEAR(h0.weights(0, 1), 1.0f - big, 1e-6f);
    EXPECT_NEAR(h0.weights(1, 0), 0.5f, 1e-6f);  // query 1 scores 0 against both keys
    EXPECT_NEAR(h1.weights(0, 1), big, 1e-6f);
    EXPECT_NEAR(h1.weights(1, 1), big, 1e-6f);
    // out = weights v, and v is the identity, so out equals the weights
    EXPECT_NEAR(h0.out(0, 0), big, 1e-6f);
    EXPECT_NEAR(h1.out(0, 1), big, 1e-6f);
    EXPECT_GT(h0.weights(0, 0), h0.weights(0, 1));
    EXPECT_LT(h1.weights(0, 0), h1.weights(0, 1));
}

// Prefix reuse: a head of p tokens extended by m more equals the head computed over all p + m at
// once (attention_head_forward, checked against the definition above), for a p inside a 128-row
// block, with and without the n x n matrices, and from a prefix traced for a longer text whose
// later rows must not be read.
TEST(ExtendedCausalHead, EqualsTheHeadComputedOverAllTokens) {
    const Index p = 200, m = 9, n = p + m, d = 6;
    const float scale = 0.41f;
    const Matrix q = Matrix::Random(n, d), k = Matrix::Random(n, d), v = Matrix::Random(n, d);
    for (bool keep : {true, false}) {
        SCOPED_TRACE(keep ? "kept" : "on demand");
        const HeadTrace whole = attention_head_forward(q, k, v, scale, /*causal=*/true, keep);
        const HeadTrace longer = attention_head_forward(Matrix::Random(p + 40, d), Matrix::Random(p + 40, d),
                                                        Matrix::Random(p + 40, d), scale, true, keep);
        HeadTrace prefix = attention_head_forward(q.topRows(p), k.topRows(p), v.topRows(p), scale, true, keep);
        HeadTrace from_longer = longer;  // its first p rows replaced by the text's: later rows differ
        from_longer.q.topRows(p) = prefix.q;
        from_longer.k.topRows(p) = prefix.k;
        from_longer.v.topRows(p) = prefix.v;
        from_longer.out.topRows(p) = prefix.out;
        if (keep) {
            from_longer.scores.topLeftCorner(p, p) = prefix.scores;
            from_longer.weights.topLeftCorner(p, p) = prefix.weights;
        }
        const HeadTrace extended = extended_causal_head(from_longer, p, q.bottomRows(m), k.bottomRows(m),
                                                        v.bottomRows(m), scale, keep);
        extend_causal_head(prefix, q.bottomRows(m), k.bottomRows(m), v.bottomRows(m), scale, keep);
        for (const HeadTrace* h : {&extended, static_cast<const HeadTrace*>(&prefix)}) {
            ASSERT_EQ(h->q.rows(), n);
            EXPECT_EQ(h->q, whole.q);
            EXPECT_EQ(h->k, whole.k);
            EXPECT_EQ(h->v, whole.v);
            EXPECT_LT((h->out - whole.out).cwiseAbs().maxCoeff(), 1e-6f);
            ASSERT_EQ(h->weights.size(), whole.weights.size());
            if (!keep) continue;
            EXPECT_LT((h->weights - whole.weights).cwiseAbs().maxCoeff(), 1e-6f);
            for (Index i = 0; i < n; ++i)
                for (Index j = 0; j < n; ++j) {
                    if (j > i) ASSERT_EQ(h->scores(i, j), -kInf) << i << "," << j;
                    else ASSERT_NEAR(h->scores(i, j), whole.scores(i, j), 1e-6f) << i << "," << j;
                }
        }
    }
}

// [SECTION] Soft-capping and sliding windows (Gemma 2 and 3)

// A 3-token example worked by hand: q = (1), (2), (3) and k = (1), (2), (3), scale 1, so the raw
// scores are i j (1-based): row 3 is 3, 6, 9. Soft-capped at 4: 4 tanh(3/4) = 2.5406,
// 4 tanh(6/4) = 3.6206, 4 tanh(9/4) = 3.9121. A window of 2 hides key 1 from query 3, so row 3's
// weights are e^3.6206 : e^3.9121 = 1 : e^0.2915 = 0.4276 : 0.5724.
TEST(ScoreShaping, SoftCapAndWindowOnAHandWorkedExample) {
    const Matrix q = from_rows({{1}, {2}, {3}}), k = q, v = from_rows({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
    const HeadTrace h = attention_head_forward(q, k, v, 1.0f, /*causal=*/true, /*keep=*/true, nullptr, ScoreShaping{4.0f, 2});
    EXPECT_NEAR(h.scores(2, 1), 3.6206f, 1e-4f);
    EXPECT_NEAR(h.scores(2, 2), 3.9121f, 1e-4f);
    EXPECT_EQ(h.scores(2, 0), -kInf) << "outside the window";
    EXPECT_EQ(h.weights(2, 0), 0.0f);
    EXPECT_NEAR(h.weights(2, 1), 0.4276f, 1e-4f);
    EXPECT_NEAR(h.weights(2, 2), 0.5724f, 1e-4f);
    EXPECT_NEAR(h.scores(1, 0), 4.0f * std::tanh(2.0f / 4.0f), 1e-5f) << "row 2 sees keys 1 and 2: the window of 2 hides nothing";
    EXPECT_EQ(h.scores(0, 1), -kInf) << "the causal mask still holds";
    EXPECT_NEAR(h.out(2, 2), h.weights(2, 2), 1e-6f);
}

// The same shaping written out in double, cell by cell, over 300 queries (three blocks, the window
// of 50 crossing their boundaries), against the kernel's blocks; the trace computing the head on
// demand from q and k with the layer's shaping gives the kept matrices.
TEST(ScoreShaping, MatchesTheDefinitionAcrossBlocksAndOnDemand) {
    const Index n = 300, d = 8;
    const int window = 50;
    const float scale = 0.9f, cap = 2.5f;
    const Matrix q = Matrix::Random(n, d), k = Matrix::Random(n, d), v = Matrix::Random(n, d);
    const ScoreShaping shaping{cap, window};
    const HeadTrace h = attention_head_forward(q, k, v, scale, true, true, nullptr, shaping);
    double worst = 0;
    for (Index i = 0; i < n; ++i) {
        std::vector<double> e(static_cast<std::size_t>(n), 0.0);
        double sum = 0;
        for (Index j = 0; j < n; ++j) {
            const bool masked = j > i || j <= i - window;
            if (masked) {
                ASSERT_EQ(h.scores(i, j), -kInf) << i << "," << j;
                ASSERT_EQ(h.weights(i, j), 0.0f) << i << "," << j;
                continue;
            }
            const double s = cap * std::tanh(static_cast<double>(q.row(i).dot(k.row(j))) * scale / cap);
            worst = std::max(worst, std::abs(s - h.scores(i, j)));
            e[static_cast<std::size_t>(j)] = std::exp(s);
            sum += e[static_cast<std::size_t>(j)];
        }
        for (Index j = 0; j < n; ++j) worst = std::max(worst, std::abs(e[static_cast<std::size_t>(j)] / sum - h.weights(i, j)));
    }
    EXPECT_LT(worst, 1e-5);

    Trace t;
    t.tokens.resize(n);
    HeadTrace lean = h;
    lean.scores = lean.weights = Matrix();
    t.layers.push_back(LayerTrace{Matrix(), {lean}});
    t.layers[0].scale = scale;
    t.layers[0].causal = true;
    t.layers[0].shaping = shaping;
    EXPECT_EQ(*t.head_weights(0, 0), h.weights);
    EXPECT_EQ(t.head_score_rows(0, 0, 170, 180), h.scores.middleRows(170, 10));
}

// Prefix reuse in a sliding-window layer: 130 tokens extended by 12 equal the head over all 142.
TEST(ScoreShaping, AnExtendedWindowedHeadEqualsTheWholeHead) {
    const Index p = 130, m = 12, n = p + m, d = 4;
    const Matrix q = Matrix::Random(n, d), k = Matrix::Random(n, d), v = Matrix::Random(n, d);
    const ScoreShaping shaping{3.0f, 20};
    for (bool keep : {true, false}) {
        SCOPED_TRACE(keep ? "kept" : "on demand");
        const HeadTrace whole = attention_head_forward(q, k, v, 0.5f, true, keep, nullptr, shaping);
        HeadTrace grown = attention_head_forward(q.topRows(p), k.topRows(p), v.topRows(p), 0.5f, true, keep, nullptr, shaping);
        extend_causal_head(grown, q.bottomRows(m), k.bottomRows(m), v.bottomRows(m), 0.5f, keep, shaping);
        EXPECT_LT((grown.out - whole.out).cwiseAbs().maxCoeff(), 1e-6f);
        EXPECT_LT((grown.summary.entropy - whole.summary.entropy).cwiseAbs().maxCoeff(), 1e-5f);
        if (!keep) continue;
        EXPECT_LT((grown.weights - whole.weights).cwiseAbs().maxCoeff(), 1e-6f);
        EXPECT_EQ(grown.scores(141, 121), -kInf) << "20 back from 141: outside the window";
        EXPECT_GT(grown.weights(141, 122), 0.0f);
    }
}

// Cross-attention: 150 decoder queries against 70 encoder keys (two blocks of queries, keys of
// another length), checked cell by cell against a softmax written out here in double; the pooled
// summary is 2 x 3 cells of the largest weight; a trace holding the head in a cross layer computes
// the same matrices on demand.
TEST(CrossAttention, QueriesOfOneSequenceAgainstKeysOfAnother) {
    const int n = 150, m = 70, d = 8;
    Matrix q = Matrix::Random(n, d), k = Matrix::Random(m, d), v = Matrix::Random(m, 3);
    const float scale = 0.5f;
    const HeadTrace head = attention_head_forward(q, k, v, scale, /*causal=*/false, /*keep=*/true);
    ASSERT_EQ(head.weights.rows(), n);
    ASSERT_EQ(head.weights.cols(), m);
    for (int i = 0; i < n; ++i) {
        std::vector<double> e(m);
        double top = -1e300, sum = 0.0;
        for (int j = 0; j < m; ++j) {
            double dot = 0.0;
            for (int c = 0; c < d; ++c) dot += static_cast<double>(q(i, c)) * k(j, c);
            e[j] = dot * scale;
            top = std::max(top, e[j]);
        }
        for (int j = 0; j < m; ++j) sum += (e[j] = std::exp(e[j] - top));
        for (int j = 0; j < m; ++j) ASSERT_NEAR(head.weights(i, j), e[j] / sum, 1e-6) << i << "," << j;
        for (int c = 0; c < 3; ++c) {
            double out = 0.0;
            for (int j = 0; j < m; ++j) out += e[j] / sum * v(j, c);
            EXPECT_NEAR(head.out(i, c), out, 1e-5);
        }
    }
    ASSERT_EQ(head.summary.pooled.rows(), 5);  // ceil(150 / 32) query cells by
    ASSERT_EQ(head.summary.pooled.cols(), 3);  // ceil(70 / 32) key cells
    EXPECT_FLOAT_EQ(head.summary.pooled(4, 2), head.weights.block(128, 64, 22, 6).maxCoeff());
    EXPECT_FLOAT_EQ(head.summary.pooled(1, 0), head.weights.block(32, 0, 32, 32).maxCoeff());

    Trace t;
    t.tokens.resize(n);
    t.source_tokens.resize(m);
    HeadTrace lean = head;
    lean.scores = lean.weights = Matrix();
    t.layers.push_back(LayerTrace{Matrix(), {lean}});
    t.layers[0].scale = scale;
    t.layers[0].cross = true;
    EXPECT_EQ(t.n_keys(0), m);
    EXPECT_FALSE(t.keeps_attention());
    EXPECT_LE((*t.head_weights(0, 0) - head.weights).cwiseAbs().maxCoeff(), 1e-6f);
    EXPECT_LE((t.head_score_rows(0, 0, 130, 140) - head.scores.middleRows(130, 10)).cwiseAbs().maxCoeff(), 1e-6f);
}

}  // namespace
}  // namespace attnscope
