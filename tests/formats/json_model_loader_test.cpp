#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "attnscope/json_model.h"
#include "attnscope/transformer.h"
#include "malformed_models.h"
#include "test_models.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using testing::malformed_models;
using testing::tiny_model_json;

class MalformedModelFile : public ::testing::TestWithParam<testing::MalformedModel> {};

TEST_P(MalformedModelFile, IsRefusedWithAMessageNamingTheProblem) {
    const auto& c = GetParam();
    const auto result = load_json_model_text(c.text, "broken.json");
    ASSERT_FALSE(result.ok()) << c.name << " loaded although it is broken";
    EXPECT_THAT(result.error().message, HasSubstr(c.expected));
    EXPECT_THAT(result.error().message, ::testing::StartsWith("broken.json: "));
    EXPECT_LT(result.error().message.size(), 600u) << "a message must stay readable, not echo the file";
}

INSTANTIATE_TEST_SUITE_P(JsonModelLoader, MalformedModelFile, ::testing::ValuesIn(malformed_models()),
                         [](const auto& info) { return info.param.name; });

TEST(JsonModelLoader, HasAtLeastFifteenMalformedCases) { EXPECT_GE(malformed_models().size(), 15u); }

TEST(JsonModelLoader, LoadsAValidModelWithItsConfig) {
    const auto result = load_json_model_text(tiny_model_json().dump(), "tiny.json");
    ASSERT_TRUE(result.ok()) << result.error().message;
    const ModelInfo& info = result.value()->info();
    EXPECT_EQ(info.name, "tiny");
    EXPECT_EQ(info.d_model, 4);
    EXPECT_EQ(info.n_heads, 2);
    EXPECT_EQ(info.d_head, 2);
    EXPECT_EQ(info.n_layers, 2);
    EXPECT_TRUE(info.causal);
    EXPECT_EQ(info.vocab_size, 11);
    EXPECT_EQ(info.source, "tiny.json");
}

TEST(JsonModelLoader, AcceptsCommentsThatExplainTheFile) {
    std::string text = tiny_model_json().dump(2);
    text = "// a hand-written model\n/* with a block comment */\n" + text;
    text.insert(text.find("\"config\""), "// the sizes follow\n");
    const auto result = load_json_model_text(text, "commented.json");
    EXPECT_TRUE(result.ok()) << result.error().message;
}

TEST(JsonModelLoader, TreatsAbsentBiasesAsZeroAndAbsentWoAsIdentity) {
    nlohmann::json model = tiny_model_json();
    for (auto& layer : model["weights"]["layers"])
        for (const char* k : {"bq", "bk", "bv", "bo", "wo"}) layer.erase(k);
    const auto result = load_json_model_text(model.dump(), "nobias.json");
    ASSERT_TRUE(result.ok()) << result.error().message;
    const auto& w = dynamic_cast<const TransformerModel&>(*result.value()).weights().layers[0];
    EXPECT_EQ(w.bq.norm(), 0.0f);
    EXPECT_EQ(w.bo.norm(), 0.0f);
    EXPECT_TRUE(w.wo.isIdentity());
    EXPECT_FALSE(w.has_wo);
}

TEST(JsonModelLoader, NamesTheFileWhenItDoesNotExist) {
    const auto result = load_json_model_file("/nonexistent/model.json");
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("/nonexistent/model.json: no such file"));
}

TEST(JsonModelWriter, WritesAModelThatReadsBackBitForBit) {
    const auto original = load_json_model_text(testing::random_model_json(testing::TinyShape{}, 11).dump(), "a.json");
    ASSERT_TRUE(original.ok());
    const auto& model = dynamic_cast<const TransformerModel&>(*original.value());
    const std::string written = write_json_model(model);
    const auto again = load_json_model_text(written, "b.json");
    ASSERT_TRUE(again.ok()) << again.error().message;
    const auto& copy = dynamic_cast<const TransformerModel&>(*again.value());
    EXPECT_EQ(copy.weights().token_embedding, model.weights().token_embedding);
    EXPECT_EQ(copy.weights().position_embedding, model.weights().position_embedding);
    for (std::size_t l = 0; l < model.weights().layers.size(); ++l) {
        EXPECT_EQ(copy.weights().layers[l].wq, model.weights().layers[l].wq);
        EXPECT_EQ(copy.weights().layers[l].w2, model.weights().layers[l].w2);
        EXPECT_EQ(copy.weights().layers[l].ln1.gamma, model.weights().layers[l].ln1.gamma);
    }
    EXPECT_EQ(copy.config().positional, model.config().positional);
    EXPECT_EQ(copy.info().name, model.info().name);
}

}  // namespace
}  // namespace attnscope
