// Data-parallel training (training.shards): a batch cut into shards gives the whole batch's loss,
// attention loss and gradient (checked against the one-piece computation, itself checked against
// finite differences in trainer_test.cpp and attention_supervision_test.cpp), and a run with
// shards, one thread each, is the same bit for bit every time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attnscope/train.h"
#include "tiny_models.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using testing::random_parameters;
using testing::tiny_batch;
using testing::tiny_shape;

Parameters<float> float_parameters(const TrainableShape& shape, std::uint32_t seed) {
    Parameters<double> wide = random_parameters(shape, seed);
    Parameters<float> p = zero_parameters<float>(shape);
    std::vector<MatrixOf<double>*> from;
    for_each_parameter(wide, [&](const std::string&, ParameterKind, MatrixOf<double>& m) { from.push_back(&m); });
    std::size_t i = 0;
    for_each_parameter(p, [&](const std::string&, ParameterKind, MatrixOf<float>& m) { m = from[i++]->cast<float>(); });
    return p;
}

// The largest difference between two gradients, tensor by tensor.
float largest_difference(Parameters<float>& a, Parameters<float>& b) {
    std::vector<MatrixOf<float>*> other;
    for_each_parameter(b, [&](const std::string&, ParameterKind, MatrixOf<float>& m) { other.push_back(&m); });
    std::size_t i = 0;
    float worst = 0.0f;
    for_each_parameter(a, [&](const std::string&, ParameterKind, MatrixOf<float>& m) {
        worst = std::max(worst, (m - *other[i++]).cwiseAbs().maxCoeff());
    });
    return worst;
}

TEST(ShardedGradients, ShardsAddUpToTheWholeBatch) {
    for (const bool causal : {true, false}) {
        SCOPED_TRACE(causal ? "causal" : "bidirectional");
        const TrainableShape shape = tiny_shape(causal);
        std::vector<Example> batch = tiny_batch(shape);
        batch[0].attention_targets = {{3, {1}}};
        batch[1].attention_targets = {{4, {0, 2}}, {3, {1, 2}, 1}};
        const AttentionSupervisions supervision = {{1, 1, 0.7f}, {0, 0, 1.3f}};
        const Parameters<float> p = float_parameters(shape, 11);
        Parameters<float> whole;
        float whole_attention = 0.0f;
        const float whole_loss = batch_loss_and_gradients(shape, p, batch, whole, supervision, &whole_attention);
        ASSERT_GT(whole_attention, 0.1f);
        for (const int shards : {1, 2, 3, 5}) {  // 5 on three sentences: three shards of one
            SCOPED_TRACE(std::to_string(shards) + " shards");
            Parameters<float> sharded;
            float attention = -1.0f;
            const float loss = sharded_loss_and_gradients(shape, p, batch, shards, sharded, supervision, &attention);
            EXPECT_NEAR(loss, whole_loss, 1e-5f);
            EXPECT_NEAR(attention, whole_attention, 1e-5f);
            EXPECT_LT(largest_difference(sharded, whole), 1e-5f);
        }
    }
}

TEST(ShardedGradients, AShardWithoutTargetsAddsNothing) {
    // tiny_batch's sentences all have targets; a fourth with none gives the first three's gradient
    const TrainableShape shape = tiny_shape(false);
    std::vector<Example> batch = tiny_batch(shape);
    const Parameters<float> p = float_parameters(shape, 3);
    Parameters<float> three, four;
    const float loss = batch_loss_and_gradients(shape, p, batch, three);
    batch.push_back({{1, 2}, {-1, -1}});
    EXPECT_NEAR(sharded_loss_and_gradients(shape, p, batch, 4, four), loss, 1e-5f);
    EXPECT_LT(largest_difference(four, three), 1e-5f);
}

TrainingConfig sharded_config(int shards) {
    TrainingConfig c;
    c.name = "sharded";
    c.objective = Objective::MaskedWord;
    c.shape.config.d_model = 16;
    c.shape.config.n_heads = 2;
    c.shape.config.n_layers = 1;
    c.shape.config.d_ff = 32;
    c.shape.config.max_len = 8;
    c.shape.config.causal = false;
    c.options.steps = 20;
    c.options.batch_size = 8;
    c.options.shards = shards;
    c.options.attention_supervision = {{0, 1, 0.5f}};
    return c;
}

std::vector<float> trained_weights(int shards) {
    std::string text;
    for (int i = 0; i < 6; ++i) text += "we took the money to the bank\tbank=money\nwe sat by the river bank\tbank=river\n";
    auto t = Trainer::create(sharded_config(shards), parse_corpus(text, "sharded.txt").value()).value();
    t->run();
    std::vector<float> weights;
    for_each_parameter(t->parameters(), [&](const std::string&, ParameterKind, const MatrixOf<float>& m) {
        weights.insert(weights.end(), m.data(), m.data() + m.size());
    });
    return weights;
}

TEST(ShardedGradients, ARunWithShardsIsTheSameBitForBitEveryTime) {
    const std::vector<float> first = trained_weights(3);
    EXPECT_EQ(trained_weights(3), first);
    const std::vector<float> one_piece = trained_weights(1);
    ASSERT_EQ(one_piece.size(), first.size());
    float worst = 0.0f;
    for (std::size_t i = 0; i < first.size(); ++i) worst = std::max(worst, std::abs(first[i] - one_piece[i]));
    EXPECT_LT(worst, 1e-3f) << "the same training, its sums grouped otherwise";
}

TEST(ShardedGradients, ConfigTakesOneToSixtyFourShards) {
    auto config = [](const std::string& shards) {
        return R"({"name": "x", "objective": "next_word", "model": {"d_model": 8, "n_heads": 2, "n_layers": 1, "max_len": 8}, "training": {"shards": )" +
               shards + "}}";
    };
    const auto two = parse_training_config(config("2"), "cfg.json");
    ASSERT_TRUE(two.ok()) << two.error().message;
    EXPECT_EQ(two.value().options.shards, 2);
    for (const char* bad : {"0", "65", "1.5", "\"two\""}) {
        const auto r = parse_training_config(config(bad), "cfg.json");
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_THAT(r.error().message, HasSubstr("shards")) << bad;
    }
}

}  // namespace
}  // namespace attnscope
