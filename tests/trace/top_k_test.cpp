// The best few of a row: expected probabilities are worked by hand (e^0 = 1, e^-ln2 = 1/2, ...).
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/top_k.h"

namespace attnscope {
namespace {

RowVector row(std::initializer_list<float> values) {
    RowVector r(static_cast<Index>(values.size()));
    Index i = 0;
    for (float v : values) r(i++) = v;
    return r;
}

TEST(BestIndices, SortsTheBestFirstAndBreaksTiesByTheLowerIndex) {
    const RowVector v = row({0.1f, 0.7f, 0.1f, 0.7f, 0.0f});
    EXPECT_EQ(best_indices(v, 3), (std::vector<int>{1, 3, 0}));
    EXPECT_EQ(best_indices(v, 5, Better::Lower), (std::vector<int>{4, 0, 2, 1, 3}));
}

TEST(BestIndices, ClampsKToTheRow) {
    EXPECT_EQ(best_indices(row({2.0f, 1.0f}), 10), (std::vector<int>{0, 1}));
    EXPECT_TRUE(best_indices(row({2.0f, 1.0f}), 0).empty());
    EXPECT_TRUE(best_indices(row({2.0f, 1.0f}), -3).empty());
}

// logits ln 4, ln 2, ln 1, ln 1: softmax = 4/8, 2/8, 1/8, 1/8.
TEST(TopKSoftmax, GivesHandWorkedProbabilitiesMostProbableFirst) {
    const auto top = top_k_softmax(row({0.0f, std::log(4.0f), std::log(2.0f), 0.0f}), 3);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].id, 1);
    EXPECT_NEAR(top[0].probability, 0.5f, 1e-6f);
    EXPECT_EQ(top[1].id, 2);
    EXPECT_NEAR(top[1].probability, 0.25f, 1e-6f);
    EXPECT_EQ(top[2].id, 0);  // ties with id 3: the lower id first
    EXPECT_NEAR(top[2].probability, 0.125f, 1e-6f);
}

// Shifting every logit by 1000 changes nothing, though exp(1000) overflows a float and a double.
TEST(TopKSoftmax, StaysFiniteForHugeLogits) {
    const auto top = top_k_softmax(row({1000.0f, 1000.0f + std::log(3.0f)}), 2);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].id, 1);
    EXPECT_NEAR(top[0].probability, 0.75f, 1e-4f);  // a float near 1000 has steps of 6e-5
    EXPECT_NEAR(top[1].probability, 0.25f, 1e-4f);
}

TEST(TopKSoftmax, GivesNothingForAnEmptyRow) { EXPECT_TRUE(top_k_softmax(RowVector(0), 5).empty()); }

}  // namespace
}  // namespace attnscope
