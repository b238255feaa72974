// The step-by-step view's numbers for the A/B/C worked example, worked out by hand from the
// vectors in assets/models/abc-example.json (A's query [1, 2, -1]; keys [3, -1, 0], [3, -1, -1],
// [0, 1, -3]; values [1, 0, 1], [-1, 2, 0], [1, 1, 1]).
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/explain.h"
#include "attnscope/forward.h"

namespace attnscope {
namespace {

struct AbcTrace {
    ModelPtr model;
    std::shared_ptr<const Trace> trace;
};

AbcTrace abc_trace(const std::string& text = "A B C") {
    auto model = load_model("builtin:abc-example");
    EXPECT_TRUE(model.ok());
    auto trace = compute_trace(*model.value(), text);
    EXPECT_TRUE(trace.ok());
    return {model.value(), trace.value()};
}

TEST(ExplainHead, WritesOutEachDotProductOfTheAbcExampleTermByTerm) {
    const AbcTrace abc = abc_trace();
    const HeadExplanation e = explain_head(*abc.trace, 0, 0, 0, abc.model->head_projection(0, 0));
    ASSERT_EQ(e.keys.size(), 3u);
    // q_A . k_A = 1*3 + 2*(-1) + (-1)*0 = 1;  q_A . k_B = 3 - 2 + 1 = 2;  q_A . k_C = 0 + 2 + 3 = 5
    EXPECT_EQ(e.keys[0].dot_formula, "1\xC2\xB7" "3 + 2\xC2\xB7(\xE2\x88\x92" "1) + (\xE2\x88\x92" "1)\xC2\xB7" "0 = 1");
    EXPECT_FLOAT_EQ(e.keys[0].dot, 1.0f);
    EXPECT_FLOAT_EQ(e.keys[1].dot, 2.0f);
    EXPECT_FLOAT_EQ(e.keys[2].dot, 5.0f);
    EXPECT_FLOAT_EQ(e.keys[2].products[0], 0.0f);
    EXPECT_FLOAT_EQ(e.keys[2].products[1], 2.0f);
    EXPECT_FLOAT_EQ(e.keys[2].products[2], 3.0f);
    EXPECT_EQ(e.keys[1].token, "B");
}

TEST(ExplainHead, ScalesExponentiatesAndNormalisesLikeTheHandWorkedExample) {
    const AbcTrace abc = abc_trace();
    const HeadExplanation e = explain_head(*abc.trace, 0, 0, 0, std::nullopt);
    // scale 1/sqrt(3) = 0.57735; scores 0.57735, 1.15470, 2.88675
    EXPECT_NEAR(e.scale, 0.57735f, 1e-5f);
    EXPECT_TRUE(e.scale_is_default);
    EXPECT_EQ(e.keys[2].score_formula, "5 \xC3\x97 0.577 = 2.887");
    // exp: 1.78131, 3.17312, 17.93544; sum 22.88987; weights 0.07782, 0.13863, 0.78355
    EXPECT_FLOAT_EQ(e.shift, 0.0f);
    EXPECT_NEAR(e.keys[0].exp_score, 1.78131f, 1e-4f);
    EXPECT_NEAR(e.keys[2].exp_score, 17.93544f, 1e-3f);
    EXPECT_NEAR(e.exp_sum, 22.88987f, 1e-3f);
    EXPECT_NEAR(e.keys[0].weight, 0.07782f, 1e-4f);
    EXPECT_NEAR(e.keys[1].weight, 0.13863f, 1e-4f);
    EXPECT_NEAR(e.keys[2].weight, 0.78355f, 1e-4f);
    // out = 0.07782 [1,0,1] + 0.13863 [-1,2,0] + 0.78355 [1,1,1] = [0.72274, 1.06081, 0.86137]
    EXPECT_NEAR(e.out[0], 0.72274f, 1e-4f);
    EXPECT_NEAR(e.out[1], 1.06081f, 1e-4f);
    EXPECT_NEAR(e.out[2], 0.86137f, 1e-4f);
}

TEST(ExplainHead, ShowsTheHeadsProjectionSlicesWhenTheModelHasThem) {
    const AbcTrace abc = abc_trace();
    const HeadExplanation e = explain_head(*abc.trace, 0, 0, 1, abc.model->head_projection(0, 0));
    ASSERT_TRUE(e.projection.has_value());
    EXPECT_EQ(e.projection->w_q.rows(), 3);
    EXPECT_EQ(e.projection->w_q.cols(), 3);
    // Row 1 of W_K is B's key [3, -1, -1] (one-hot embeddings), row 2 of W_V is C's value [1, 1, 1].
    EXPECT_FLOAT_EQ(e.projection->w_k(1, 2), -1.0f);
    EXPECT_FLOAT_EQ(e.projection->w_v(2, 0), 1.0f);
    // x rows are the one-hot embeddings: x_B = [0, 1, 0]
    EXPECT_FLOAT_EQ(e.x(1, 1), 1.0f);
    EXPECT_FLOAT_EQ(e.x(1, 0), 0.0f);
    // B's query is [0, 1, 1]
    EXPECT_FLOAT_EQ(e.q[2], 1.0f);
    EXPECT_FALSE(abc.model->head_projection(1, 0).has_value());  // there is one layer
}

TEST(ExplainHead, MarksLaterKeysMaskedInACausalModel) {
    auto model = load_model("builtin:bank-decoder");
    ASSERT_TRUE(model.ok());
    auto trace = compute_trace(*model.value(), "the bank");
    ASSERT_TRUE(trace.ok());
    const HeadExplanation e = explain_head(*trace.value(), 0, 0, 0, model.value()->head_projection(0, 0));
    ASSERT_GE(e.keys.size(), 2u);
    EXPECT_FALSE(e.keys[0].masked);
    EXPECT_TRUE(e.keys[1].masked);
    EXPECT_EQ(e.keys[1].weight, 0.0f);
    EXPECT_EQ(e.keys[1].exp_score, 0.0f);
    EXPECT_FLOAT_EQ(e.keys[0].weight, 1.0f);  // the only key it may see
    EXPECT_EQ(e.projection->w_q.cols(), e.d_head);
}

TEST(ExplainSteps, GivesOnePageAStepWithTheAbcNumbersWritten) {
    const AbcTrace abc = abc_trace();
    const auto pages = explain_steps(explain_head(*abc.trace, 0, 0, 0, abc.model->head_projection(0, 0)));
    ASSERT_EQ(pages.size(), static_cast<std::size_t>(ExplainStep::Count));
    const StepPage& dots = pages[static_cast<int>(ExplainStep::Dots)];
    ASSERT_EQ(dots.rows.size(), 3u);
    EXPECT_EQ(dots.rows[2][1], "5");  // q_A . k_C = 0 + 2 + 3
    EXPECT_EQ(dots.rows[2][2], "= 1\xC2\xB7" "0 + 2\xC2\xB7" "1 + (\xE2\x88\x92" "1)\xC2\xB7(\xE2\x88\x92" "3)");
    EXPECT_EQ(pages[static_cast<int>(ExplainStep::Scale)].formulas[0], "score = q \xC2\xB7 k \xC3\x97 1/\xE2\x88\x9A" "3 = 0.577");
    // (1*3 + 2*(-1) + (-1)*0) / sqrt 3 = 0.57735
    EXPECT_EQ(pages[static_cast<int>(ExplainStep::Scale)].formulas[1],
              "score_A = (1\xC2\xB7" "3 + 2\xC2\xB7(\xE2\x88\x92" "1) + (\xE2\x88\x92" "1)\xC2\xB7" "0) / \xE2\x88\x9A" "3 = 0.577");
    EXPECT_EQ(pages[static_cast<int>(ExplainStep::Normalise)].rows[2].back(), "0.784");  // 17.935 / 22.890
    EXPECT_EQ(pages[static_cast<int>(ExplainStep::Projections)].matrices.size(), 3u);
    EXPECT_EQ(pages[static_cast<int>(ExplainStep::Output)].formulas[0], "out_A = \xCE\xA3 weight_j v_j = [0.723, 1.061, 0.861]");
}

TEST(ExplainSteps, SaysSoWhenTheModelHidesItsProjections) {
    const AbcTrace abc = abc_trace();
    const auto pages = explain_steps(explain_head(*abc.trace, 0, 0, 0, std::nullopt));
    const StepPage& w = pages[static_cast<int>(ExplainStep::Projections)];
    EXPECT_TRUE(w.matrices.empty());
    EXPECT_NE(w.formulas.back().find("come straight from the trace"), std::string::npos);
}

TEST(FormatNumber, DropsTrailingZerosAndUsesARealMinusSign) {
    EXPECT_EQ(format_number(1.0f), "1");
    EXPECT_EQ(format_number(-0.5f), "\xE2\x88\x92" "0.5");
    EXPECT_EQ(format_number(0.57735f), "0.577");
    EXPECT_EQ(format_number(-0.0001f), "0");
    EXPECT_EQ(format_number(-INFINITY), "\xE2\x88\x92\xE2\x88\x9E");
}

TEST(DotTerms, SummarisesLongVectorsAfterAFewTerms) {
    const RowVector a = RowVector::Ones(64), b = RowVector::Constant(64, 2.0f);
    EXPECT_EQ(dot_terms(a, b, 2), "1\xC2\xB7" "2 + 1\xC2\xB7" "2 + \xE2\x80\xA6 (64 terms)");
    EXPECT_EQ(format_vector(a, 2), "[1, 1, \xE2\x80\xA6 (64 values)]");
}

}  // namespace
}  // namespace attnscope
