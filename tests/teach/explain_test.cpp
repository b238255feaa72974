// The step-by-step view's numbers for the A/B/C worked example, worked out by hand from the
// vectors in assets/models/abc-example.json (A's query [1, 2, -1]; keys [3, -1, 0], [3, -1, -1],
// [0, 1, -3]; values [1, 0, 1], [-1, 2, 0], [1, 1, 1]).
#include <gtest/gtest.h>

#include <cmath>
#include <utility>

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

// A cross-attention layer written by hand: the decoder's 2 tokens ("<s>", "la") ask, the
// encoder's 3 source tokens ("the river bank") answer. d_head 2, scale 1, no kept matrices, so
// the scores and weights come from the trace's own kernel and are checked against this working:
//   q_la = [1, 2];  k_the = [0, 0], k_river = [1, 0], k_bank = [0, 1]
//   q . k = 0, 1, 2 = the scores (scale 1); e^score = 1, 2.71828, 7.38906; sum 11.10734
//   weights 0.09003, 0.24473, 0.66524
//   v_the = [1, 0], v_river = [0, 1], v_bank = [1, 1]
//   out = 0.09003 [1, 0] + 0.24473 [0, 1] + 0.66524 [1, 1] = [0.75527, 0.90997]
Trace cross_trace() {
    Trace t;
    t.model.causal = true;  // the decoder's model: its cross-attention still masks nothing
    t.text = "la";
    Token start;
    start.piece = "<s>";  // no span in the text: labelled by its piece
    Token la;
    la.start = 0;
    la.end = 2;
    t.tokens = {start, la};
    t.source_text = "the river bank";
    for (const auto& [from, to] : {std::pair<std::size_t, std::size_t>{0, 3}, {4, 9}, {10, 14}}) {
        Token s;
        s.start = from;
        s.end = to;
        t.source_tokens.push_back(s);
    }
    LayerTrace layer;
    layer.cross = true;
    layer.scale = 1.0f;
    layer.x = Matrix::Identity(2, 2);
    HeadTrace h;
    h.q = (Matrix(2, 2) << 0, 0, 1, 2).finished();
    h.k = (Matrix(3, 2) << 0, 0, 1, 0, 0, 1).finished();
    h.v = (Matrix(3, 2) << 1, 0, 0, 1, 1, 1).finished();
    h.out = (Matrix(2, 2) << 2 / 3.f, 2 / 3.f, 0.75527f, 0.90997f).finished();
    layer.heads = {h};
    t.layers = {layer};
    return t;
}

TEST(ExplainHead, ACrossLayersKeysAreTheSourcesTokensWithTheHandWorkedNumbers) {
    const Trace t = cross_trace();
    const HeadExplanation e = explain_head(t, 0, 0, 1, std::nullopt);
    EXPECT_TRUE(e.cross);
    EXPECT_FALSE(e.causal) << "cross-attention reads the whole source";
    EXPECT_EQ(e.tokens, (std::vector<std::string>{"<s>", "la"}));
    ASSERT_EQ(e.keys.size(), 3u) << "one key per source token, not per target token";
    EXPECT_EQ(e.keys[0].token, "the");
    EXPECT_EQ(e.keys[2].token, "bank");
    const float dots[] = {0, 1, 2}, weights[] = {0.09003f, 0.24473f, 0.66524f};
    for (int j = 0; j < 3; ++j) {
        EXPECT_FLOAT_EQ(e.keys[j].dot, dots[j]) << j;
        EXPECT_FALSE(e.keys[j].masked) << j;
        EXPECT_NEAR(e.keys[j].score, dots[j], 1e-6f) << j;
        EXPECT_NEAR(e.keys[j].weight, weights[j], 1e-5f) << j;
    }
    EXPECT_NEAR(e.keys[1].exp_score, 2.71828f, 1e-4f);
    EXPECT_NEAR(e.exp_sum, 11.10734f, 1e-4f);
    EXPECT_EQ(e.keys[2].dot_formula, "1\xC2\xB7" "0 + 2\xC2\xB7" "1 = 2");
}

TEST(ExplainSteps, ACrossLayersKeyTablesAreTheSourcesAndMarkNoQueryRow) {
    const auto pages = explain_steps(explain_head(cross_trace(), 0, 0, 1, std::nullopt));
    const StepPage& input = pages[static_cast<int>(ExplainStep::Input)];
    EXPECT_EQ(input.highlight_row, 1) << "x has a row per query: la's is marked";
    const StepPage& keys = pages[static_cast<int>(ExplainStep::Keys)];
    ASSERT_FALSE(keys.matrices.empty());
    EXPECT_EQ(keys.matrices.front().row_labels, (std::vector<std::string>{"the", "river", "bank"}));
    EXPECT_EQ(keys.matrices.front().values.rows(), 3);
    for (int p = 1; p < static_cast<int>(ExplainStep::Count); ++p)
        EXPECT_EQ(pages[static_cast<std::size_t>(p)].highlight_row, -1) << "page " << p + 1 << ": its rows are source tokens";
    const StepPage& normalise = pages[static_cast<int>(ExplainStep::Normalise)];
    ASSERT_EQ(normalise.rows.size(), 3u);
    EXPECT_EQ(normalise.rows[2].front(), "bank");
    EXPECT_EQ(normalise.rows[2].back(), "0.665");  // 7.389 / 11.107
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
