// The hand-written teaching model (assets/models/abc-example.json) must reproduce the classic
// worked example. Every expected number here is worked out by hand from the vectors in the
// issue, not taken from the program.
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/forward.h"

namespace attnscope {
namespace {

TEST(AbcExample, ReproducesTheWorkedExampleByHand) {
    const auto model = load_model("builtin:abc-example");
    ASSERT_TRUE(model.ok()) << model.error().message;
    const auto trace = compute_trace(*model.value(), "A B C");
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    const HeadTrace& h = trace.value()->head(0, 0);

    // A's query and the keys and values of A, B, C, as the example gives them.
    const float q_a[3] = {1, 2, -1};
    const float keys[3][3] = {{3, -1, 0}, {3, -1, -1}, {0, 1, -3}};
    const float values[3][3] = {{1, 0, 1}, {-1, 2, 0}, {1, 1, 1}};
    for (int c = 0; c < 3; ++c) EXPECT_EQ(h.q(0, c), q_a[c]);
    for (int j = 0; j < 3; ++j)
        for (int c = 0; c < 3; ++c) {
            EXPECT_EQ(h.k(j, c), keys[j][c]);
            EXPECT_EQ(h.v(j, c), values[j][c]);
        }

    // Raw scores q_A . k_j:  A: 1*3 + 2*(-1) + (-1)*0 = 1;  B: 3 - 2 + 1 = 2;  C: 0 + 2 + 3 = 5.
    const float raw[3] = {1.0f, 2.0f, 5.0f};
    const float scale = 1.0f / std::sqrt(3.0f);
    EXPECT_FLOAT_EQ(trace.value()->layers[0].scale, scale);  // the one layer's own factor
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(h.scores(0, j), raw[j] * scale, 1e-6f);

    // softmax(raw / sqrt 3): e^(1/1.732) : e^(2/1.732) : e^(5/1.732) = 1.7813 : 3.1731 : 17.9352
    const double e[3] = {std::exp(1 / std::sqrt(3.0)), std::exp(2 / std::sqrt(3.0)), std::exp(5 / std::sqrt(3.0))};
    const double sum = e[0] + e[1] + e[2];
    const double w[3] = {e[0] / sum, e[1] / sum, e[2] / sum};  // 0.0778, 0.1386, 0.7836
    EXPECT_NEAR(w[2], 0.7836, 1e-4) << "the hand computation itself";
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(h.weights(0, j), w[j], 1e-6);

    // out_A = sum_j w_j v_j = [w_A - w_B + w_C, 2 w_B + w_C, w_A + w_C]
    EXPECT_NEAR(h.out(0, 0), w[0] - w[1] + w[2], 1e-6);
    EXPECT_NEAR(h.out(0, 1), 2 * w[1] + w[2], 1e-6);
    EXPECT_NEAR(h.out(0, 2), w[0] + w[2], 1e-6);
}

TEST(AbcExample, IsAnEncoderSoEarlyTokensSeeLaterOnes) {
    const auto model = load_model("builtin:abc-example");
    ASSERT_TRUE(model.ok());
    const auto trace = compute_trace(*model.value(), "A B C");
    ASSERT_TRUE(trace.ok());
    EXPECT_GT(trace.value()->head(0, 0).weights(0, 2), 0.5f) << "A looks mostly at C, which comes after it";
}

}  // namespace
}  // namespace attnscope
