// The playground's A/B/C numbers, worked out by hand (query A = [1, 2, -1]; keys [3, -1, 0],
// [3, -1, -1], [0, 1, -3]; values [1, 0, 1], [-1, 2, 0], [1, 1, 1]).
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/forward.h"
#include "attnscope/json_model.h"
#include "attnscope/playground.h"

namespace attnscope {
namespace {

TEST(Playground, OpensOnTheAbcExampleWithRawScoresOneTwoFive) {
    const Playground p = abc_playground();
    const PlaygroundResult r = compute_playground(p);
    ASSERT_EQ(r.raw.size(), 3u);
    // 1*3 + 2*(-1) + (-1)*0 = 1;  3 - 2 + 1 = 2;  0 + 2 + 3 = 5
    EXPECT_FLOAT_EQ(r.raw[0], 1.0f);
    EXPECT_FLOAT_EQ(r.raw[1], 2.0f);
    EXPECT_FLOAT_EQ(r.raw[2], 5.0f);
    EXPECT_NEAR(p.scale, 0.57735f, 1e-5f);
}

TEST(Playground, SoftmaxOfScaledScoresMatchesTheHandWorkedExample) {
    const PlaygroundResult r = compute_playground(abc_playground());
    // softmax([1, 2, 5] / sqrt 3): exp 1.78131, 3.17312, 17.93544, sum 22.88987
    EXPECT_NEAR(r.weights[0], 0.07782f, 1e-4f);
    EXPECT_NEAR(r.weights[1], 0.13863f, 1e-4f);
    EXPECT_NEAR(r.weights[2], 0.78355f, 1e-4f);
    EXPECT_NEAR(r.exps[2], 17.93544f, 1e-3f);
    // out = [0.07782 - 0.13863 + 0.78355, 2*0.13863 + 0.78355, 0.07782 + 0.78355]
    EXPECT_NEAR(r.out[0], 0.72274f, 1e-4f);
    EXPECT_NEAR(r.out[1], 1.06081f, 1e-4f);
    EXPECT_NEAR(r.out[2], 0.86137f, 1e-4f);
    // Without the 1/sqrt(3): softmax([1, 2, 5]) = 2.71828, 7.38906, 148.41316 over 158.52050
    EXPECT_NEAR(r.weights_unscaled[0], 0.017148f, 1e-5f);
    EXPECT_NEAR(r.weights_unscaled[2], 0.936239f, 1e-5f);
}

TEST(Playground, PlainNormalisationDividesPositiveScoresByTheirSum) {
    Playground p = abc_playground();
    p.normalisation = Normalisation::Plain;
    const PlaygroundResult r = compute_playground(p);
    // [1, 2, 5] / 8, whatever the scale
    EXPECT_NEAR(r.weights[0], 0.125f, 1e-6f);
    EXPECT_NEAR(r.weights[1], 0.25f, 1e-6f);
    EXPECT_NEAR(r.weights[2], 0.625f, 1e-6f);
    // out = [0.125 - 0.25 + 0.625, 0.5 + 0.625, 0.125 + 0.625]
    EXPECT_NEAR(r.out[0], 0.5f, 1e-6f);
    EXPECT_NEAR(r.out[1], 1.125f, 1e-6f);
    EXPECT_NEAR(r.out[2], 0.75f, 1e-6f);
}

TEST(Playground, PlainNormalisationGivesNegativeScoresNoWeight) {
    Playground p = abc_playground();
    p.normalisation = Normalisation::Plain;
    p.tokens[1].k << -3, -1, 0;  // q_A . k_B = -3 - 2 + 0 = -5
    const PlaygroundResult r = compute_playground(p);
    EXPECT_FLOAT_EQ(r.weights[1], 0.0f);
    EXPECT_NEAR(r.weights[0], 1.0f / 6.0f, 1e-6f);  // [1, 0, 5] / 6
    EXPECT_NEAR(r.weights[2], 5.0f / 6.0f, 1e-6f);
}

TEST(Playground, ChangingDimensionPadsOrDropsEntries) {
    Playground p = abc_playground();
    p.set_dim(2);
    EXPECT_EQ(p.tokens[0].q.size(), 2);
    // q_A = [1, 2], k_C = [0, 1]: 2
    EXPECT_FLOAT_EQ(compute_playground(p).raw[2], 2.0f);
    p.set_dim(3);
    EXPECT_FLOAT_EQ(p.tokens[0].q[2], 0.0f);
    p.add_token();
    EXPECT_EQ(p.tokens.back().name, "D");
    p.query = 3;
    p.remove_token(3);
    EXPECT_EQ(p.query, 2);
}

TEST(PlaygroundFile, RoundTripsThroughOwnFormatJson) {
    Playground p = abc_playground();
    p.query = 1;
    p.scale = 0.25f;
    p.normalisation = Normalisation::Plain;
    p.add_token();
    p.tokens[3].v << 0.5f, -1.5f, 2.0f;
    const auto text = write_playground_json(p);
    ASSERT_TRUE(text.ok()) << text.error().message;
    const auto back = read_playground_json(text.value(), "playground.json");
    ASSERT_TRUE(back.ok()) << back.error().message;
    const Playground& q = back.value();
    EXPECT_EQ(q.d, 3);
    EXPECT_EQ(q.query, 1);
    EXPECT_EQ(q.normalisation, Normalisation::Plain);
    EXPECT_FLOAT_EQ(q.scale, 0.25f);
    ASSERT_EQ(q.tokens.size(), 4u);
    EXPECT_EQ(q.tokens[2].name, "C");
    for (std::size_t t = 0; t < 4; ++t) {
        EXPECT_EQ(q.tokens[t].q, p.tokens[t].q);
        EXPECT_EQ(q.tokens[t].k, p.tokens[t].k);
        EXPECT_EQ(q.tokens[t].v, p.tokens[t].v);
    }
}

TEST(PlaygroundFile, IsAModelTheMainViewTracesToTheSameWeights) {
    const auto text = write_playground_json(abc_playground());
    ASSERT_TRUE(text.ok());
    const auto model = load_json_model_text(text.value(), "playground.json");
    ASSERT_TRUE(model.ok()) << model.error().message;
    const auto trace = compute_trace(*model.value(), "A B C");
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    EXPECT_NEAR(trace.value()->head(0, 0).weights(0, 2), 0.78355f, 1e-4f);
}

TEST(PlaygroundFile, ReadsAHandWrittenTwoDimensionalModel) {
    const auto back = read_playground_json(R"({"format": "attnscope-model", "version": 1, "name": "t",
      "config": {"d_model": 2, "n_heads": 1, "n_layers": 1, "d_ff": 0, "max_len": 4, "causal": false,
                 "positional": "none", "norm": "none"},
      "tokenizer": {"type": "word", "lowercase": true, "unk": "<unk>", "vocab": ["<unk>", "x", "y"]},
      "weights": {"token_embedding": [[0, 0], [1, 0], [0, 1]],
                  "layers": [{"wq": [[1, 2], [0, 1]], "wk": [[3, 4], [5, 6]], "wv": [[1, 0], [0, 1]]}]}})", "t.json");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back.value().d, 2);
    EXPECT_EQ(back.value().tokens[1].name, "y");
    EXPECT_FLOAT_EQ(back.value().tokens[1].k[1], 6.0f);
    EXPECT_NEAR(back.value().scale, 1.0f / std::sqrt(2.0f), 1e-6f);
}

TEST(PlaygroundFile, RefusesANameThatIsNotOneWord) {
    Playground p = abc_playground();
    p.tokens[1].name = "two words";
    const auto text = write_playground_json(p);
    ASSERT_FALSE(text.ok());
    EXPECT_NE(text.error().message.find("\"two words\": expected one word"), std::string::npos);
    p.tokens[1].name = "A";
    EXPECT_FALSE(write_playground_json(p).ok());
}

TEST(PlaygroundFile, RefusesAModelWithTwoHeads) {
    const auto back = read_playground_json(R"({"format": "attnscope-model", "version": 1, "name": "t",
      "config": {"d_model": 2, "n_heads": 2, "n_layers": 1, "d_ff": 0, "max_len": 4, "causal": false,
                 "positional": "none", "norm": "none"},
      "tokenizer": {"type": "word", "lowercase": true, "unk": "<unk>", "vocab": ["<unk>", "x"]},
      "weights": {"token_embedding": [[0, 0], [1, 0]],
                  "layers": [{"wq": [[1, 2], [0, 1]], "wk": [[3, 4], [5, 6]], "wv": [[1, 0], [0, 1]]}]}})", "t.json");
    ASSERT_FALSE(back.ok());
    EXPECT_NE(back.error().message.find("expected 1 layer with 1 head"), std::string::npos);
}

}  // namespace
}  // namespace attnscope
