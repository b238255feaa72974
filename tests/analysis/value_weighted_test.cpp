// Value-weighted attention as the app shows it (issue 18): row shares of Kobayashi et al.'s
// norms ||A_ij f(x_j)||, per head and summed over a layer's heads (value_weighted_attention),
// checked against a two-token example worked out by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "attnscope/attribution.h"
#include "attnscope/heatmap_export.h"

namespace attnscope {
namespace {

// "to bank", one causal layer of two heads with d_head = 1 and d_model = 2, W_O^h = [3 4] for
// both heads, so ||f(x_j)|| = 5 |v_j|:
//   head 0: weights [1 0; 0.25 0.75], v = [1; 2]  ->  ||f|| = [5, 10]
//   head 1: weights [1 0; 0.5 0.5],   v = [1; 0]  ->  ||f|| = [5, 0]
Trace two_token_two_head_trace() {
    Trace t;
    t.text = "to bank";
    t.tokens.resize(2);
    t.model.d_model = 2;
    t.model.n_heads = 2;
    t.layers.resize(1);
    t.layers[0].causal = true;
    const float minus_inf = -std::numeric_limits<float>::infinity();
    auto head = [&](float w10, float w11, float v0, float v1) {
        HeadTrace h;
        h.weights = Matrix(2, 2);
        h.weights << 1.0f, 0.0f, w10, w11;
        h.scores = Matrix(2, 2);
        h.scores << 0.0f, minus_inf, std::log(w10), std::log(w11);
        h.v = Matrix(2, 1);
        h.v << v0, v1;
        return h;
    };
    t.layers[0].heads = {head(0.25f, 0.75f, 1.0f, 2.0f), head(0.5f, 0.5f, 1.0f, 0.0f)};
    return t;
}

std::vector<Matrix> w_o_of_both_heads() {
    Matrix w_o(1, 2);
    w_o << 3.0f, 4.0f;
    return {w_o, w_o};
}

TEST(ValueWeightedAttention, MatchesATwoTokenExampleWorkedByHand) {
    const Trace t = two_token_two_head_trace();
    const auto vw = value_weighted_attention(t, w_o_of_both_heads());
    ASSERT_TRUE(vw);
    ASSERT_EQ(vw->n_layers, 1);
    ASSERT_EQ(vw->n_heads, 2);
    // ||f(x_j)||: 5 |v_j|
    EXPECT_FLOAT_EQ(vw->value_norms[0](0), 5.0f);
    EXPECT_FLOAT_EQ(vw->value_norms[0](1), 10.0f);
    EXPECT_FLOAT_EQ(vw->value_norms[1](1), 0.0f);
    // Head 0, row "bank": norms [0.25 * 5, 0.75 * 10] = [1.25, 7.5], sum 8.75.
    EXPECT_NEAR(vw->shown(0, 0, false)(1, 0), 1.25f / 8.75f, 1e-6f);
    EXPECT_NEAR(vw->shown(0, 0, false)(1, 1), 7.5f / 8.75f, 1e-6f);
    EXPECT_NEAR(vw->norm(0, 0, false, 1, 1), 7.5f, 1e-5f);
    EXPECT_NEAR(vw->row_sums[0](1), 8.75f, 1e-5f);
    // Row "to" sees only itself: all of it, in both heads (and the masked cell stays 0).
    EXPECT_FLOAT_EQ(vw->shown(0, 0, false)(0, 0), 1.0f);
    EXPECT_FLOAT_EQ(vw->shown(0, 0, false)(0, 1), 0.0f);
    // Head 1 looks half at "bank", but bank's value is 0: everything comes from "to".
    EXPECT_FLOAT_EQ(vw->shown(0, 1, false)(1, 0), 1.0f);
    EXPECT_FLOAT_EQ(vw->shown(0, 1, false)(1, 1), 0.0f);
    // The layer: [1.25 + 2.5, 7.5 + 0] = [3.75, 7.5], sum 11.25: one third and two thirds.
    EXPECT_NEAR(vw->shown(0, 0, true)(1, 0), 1.0f / 3.0f, 1e-6f);
    EXPECT_NEAR(vw->shown(0, 1, true)(1, 1), 2.0f / 3.0f, 1e-6f) << "the layer's sum is the same whichever head is selected";
    EXPECT_NEAR(vw->norm(0, 0, true, 1, 1), 7.5f, 1e-5f);
    EXPECT_NEAR(vw->layer_row_sums[0](1), 11.25f, 1e-5f);
}

TEST(ValueWeightedAttention, IsTheRowSharesOfValueWeightedNorms) {
    const Trace t = two_token_two_head_trace();
    const auto vw = value_weighted_attention(t, w_o_of_both_heads());
    ASSERT_TRUE(vw);
    for (int h = 0; h < 2; ++h) {
        const Matrix norms = value_weighted_norms(t, 0, h, w_o_of_both_heads()[static_cast<std::size_t>(h)]);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j) EXPECT_NEAR(vw->shown(0, h, false)(i, j), norms(i, j) / norms.row(i).sum(), 1e-6f);
    }
}

TEST(ValueWeightedAttention, StopsWhenCancelled) {
    EXPECT_FALSE(value_weighted_attention(two_token_two_head_trace(), w_o_of_both_heads(), [] { return true; }));
}

TEST(RowShares, DividesEachRowByItsSumAndLeavesAZeroRowAtZero) {
    Matrix m(2, 3);
    m << 1.0f, 3.0f, 0.0f, 0.0f, 0.0f, 0.0f;
    const Matrix s = row_shares(m);
    EXPECT_FLOAT_EQ(s(0, 0), 0.25f);
    EXPECT_FLOAT_EQ(s(0, 1), 0.75f);
    EXPECT_FLOAT_EQ(s(1, 0), 0.0f) << "no NaN where nothing flows";
    EXPECT_FLOAT_EQ(s(1, 2), 0.0f);
}

TEST(ValueWeightedRefusal, NamesATraceWithoutItsModel) {
    const auto why = value_weighted_refusal(two_token_two_head_trace());
    ASSERT_TRUE(why);
    EXPECT_THAT(*why, ::testing::HasSubstr("no model"));
    EXPECT_THAT(heatmap_field_refusal(two_token_two_head_trace(), HeatmapField::ValueWeighted).value_or(""),
                ::testing::HasSubstr("value-weighted"));
    EXPECT_FALSE(heatmap_field_refusal(two_token_two_head_trace(), HeatmapField::Weights)) << "weights need no W_O";
}

TEST(HeatmapField, NamesRoundTrip) {
    for (int f = 0; f < static_cast<int>(HeatmapField::Count); ++f)
        EXPECT_EQ(heatmap_field_from_name(heatmap_field_name(static_cast<HeatmapField>(f))), static_cast<HeatmapField>(f));
    EXPECT_EQ(heatmap_field_from_name("value-weighted"), HeatmapField::ValueWeighted);
    EXPECT_FALSE(heatmap_field_from_name("values"));
}

}  // namespace
}  // namespace attnscope
