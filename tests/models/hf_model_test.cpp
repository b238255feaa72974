// The Hugging Face architectures against tests/models/hf_reference/make_reference.py: a separately
// written numpy forward pass over tiny random checkpoints in the real layouts. Every layer's and
// head's q, k, v, scores and weights, and the logits, must agree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "attnscope/explain.h"
#include "attnscope/forward.h"
#include "attnscope/trace_json.h"
#include "models/hf_model.h"
#include "model_checks.h"
#include "test_scratch.h"
#include "../cli/cli_process.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kReferenceDir = ATTNSCOPE_HF_REFERENCE_DIR;
const fs::path kSharedModels = ATTNSCOPE_SHARED_MODELS;

using testing::max_error;

// One reference checkpoint: what the numpy script expects, the model loaded from the folder, and
// its forward pass over the script's token ids.
class HfReference : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        const fs::path folder = kReferenceDir / GetParam();
        if (!fs::exists(folder / "expected.json"))
            GTEST_SKIP() << "no reference at " << folder << " (ctest makes it with tests/models/hf_reference/make_reference.py)";
        expected = nlohmann::json::parse(std::ifstream(folder / "expected.json"));
        auto loaded = load_model(folder.string());
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        model = loaded.value();
        std::vector<Token> tokens;
        for (int id : expected["ids"]) tokens.push_back(Token{id, "", 0, 0, false, false, false});
        auto forward = model->forward(tokens, ForwardOptions{});
        ASSERT_TRUE(forward.ok()) << forward.error().message;
        trace = std::move(forward).value();
    }

    nlohmann::json expected;
    ModelPtr model;
    Trace trace;
};

TEST_P(HfReference, MatchesTheNumpyForwardInEveryField) {
    double worst = 0;
    ASSERT_EQ(trace.layers.size(), expected["layers"].size());
    for (std::size_t l = 0; l < expected["layers"].size(); ++l) {
        ASSERT_EQ(trace.layers[l].heads.size(), expected["layers"][l].size());
        for (std::size_t h = 0; h < expected["layers"][l].size(); ++h) {
            const HeadTrace& got = trace.layers[l].heads[h];
            const auto& want = expected["layers"][l][h];
            const std::string at = "layer " + std::to_string(l) + " head " + std::to_string(h);
            worst = std::max({worst, max_error(got.q, want["q"], at + " q"), max_error(got.k, want["k"], at + " k"),
                              max_error(got.v, want["v"], at + " v"), max_error(got.scores, want["scores"], at + " scores"),
                              max_error(got.weights, want["weights"], at + " weights")});
        }
    }
    EXPECT_LE(worst, 1e-4);
    if (expected["logits"].is_null()) {
        EXPECT_EQ(trace.logits.size(), 0) << "a checkpoint without an LM head has no logits";
        std::printf("[ %s ] max relative error %.2e (no LM head)\n", GetParam().c_str(), worst);
    } else {
        const double logits_error = max_error(trace.logits, expected["logits"], "logits");
        EXPECT_LE(logits_error, 1e-4);
        std::printf("[ %s ] max relative error %.2e, logits %.2e\n", GetParam().c_str(), worst, logits_error);
    }
}

// The step-by-step view's W_Q, W_K, W_V of every head: x W + b, with x the attention input of the
// trace, must give the numpy reference's q, k and v. RoPE turns q and k by an angle that is zero
// at position 0, so for rotary models the first row is compared, and v (never turned) in full.
// Qwen3, OLMo-2 and Gemma 3 normalize q and k before RoPE (the projection says so): v alone is compared.
TEST_P(HfReference, HeadProjectionsGiveTheReferenceQueriesKeysAndValues) {
    const bool rotary = model->info().architecture == Architecture::Llama || model->info().architecture == Architecture::GptNeox;
    const bool qk_normalized = GetParam().rfind("qwen3", 0) == 0 || GetParam().rfind("olmo2", 0) == 0 || GetParam().rfind("gemma3", 0) == 0;
    double worst = 0;
    for (std::size_t l = 0; l < expected["layers"].size(); ++l)
        for (std::size_t h = 0; h < expected["layers"][l].size(); ++h) {
            const auto p = model->head_projection(static_cast<int>(l), static_cast<int>(h));
            ASSERT_TRUE(p.has_value()) << "layer " << l << " head " << h;
            EXPECT_EQ(p->rotary, rotary);
            EXPECT_EQ(!p->qk_norm.empty(), qk_normalized) << p->qk_norm;
            const Matrix& x = trace.layers[l].x;
            const Matrix q = (x * p->w_q).rowwise() + p->b_q, k = (x * p->w_k).rowwise() + p->b_k;
            const Matrix v = (x * p->w_v).rowwise() + p->b_v;
            const auto& want = expected["layers"][l][h];
            const std::string at = "layer " + std::to_string(l) + " head " + std::to_string(h);
            worst = std::max(worst, max_error(v, want["v"], at + " x W_V"));
            if (qk_normalized) continue;
            const Index rows = rotary ? 1 : q.rows();
            nlohmann::json want_q = want["q"], want_k = want["k"];
            want_q.erase(want_q.begin() + rows, want_q.end());
            want_k.erase(want_k.begin() + rows, want_k.end());
            worst = std::max({worst, max_error(q.topRows(rows), want_q, at + " x W_Q"), max_error(k.topRows(rows), want_k, at + " x W_K")});
        }
    EXPECT_LE(worst, 1e-4);
    EXPECT_FALSE(model->head_projection(static_cast<int>(expected["layers"].size()), 0).has_value());
}

// The reference checkpoint `name` (nullptr when the fixture has not written it; a load that fails
// is a test failure).
ModelPtr reference_model(const std::string& name) {
    const fs::path folder = kReferenceDir / name;
    if (!fs::exists(folder)) return nullptr;
    auto model = load_model(folder.string());
    EXPECT_TRUE(model.ok()) << name << ": " << model.error().message;
    return model.ok() ? model.value() : nullptr;
}

// The steps view's pages for one head of `model` on "a b c".
std::vector<StepPage> steps_on_abc(const Model& model, int layer, int head, int query) {
    const auto trace = compute_trace(model, "a b c");
    EXPECT_TRUE(trace.ok()) << trace.error().message;
    if (!trace.ok()) return {};
    return explain_steps(explain_head(*trace.value(), layer, head, query, model.head_projection(layer, head)));
}

// A page's formulas, one a line.
std::string formulas_of(const StepPage& page) {
    std::string out;
    for (const std::string& f : page.formulas) out += f + "\n";
    return out;
}

// Qwen3's and OLMo-2's steps say q and k are normalized before RoPE, and how; Llama's do not.
TEST(HfModel, StepsNameTheQueryAndKeyNormWhereTheFamilyHasOne) {
    for (const auto& [name, norm] : {std::pair<std::string, std::string>{"qwen3_f32_gqa_tied", "each head's q and k"},
                                     {"olmo2_f32", "all heads' q and k"}, {"llama_f32_gqa_untied_sharded", ""}}) {
        const ModelPtr model = reference_model(name);
        if (!model) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
        const auto pages = steps_on_abc(*model, 0, 1, 1);
        ASSERT_GT(pages.size(), 1u);
        const std::string projections = formulas_of(pages[1]);
        EXPECT_EQ(projections.find("RoPE(norm(x W_Q + b_Q))") != std::string::npos, !norm.empty()) << name << ":\n" << projections;
        if (!norm.empty()) {
            EXPECT_THAT(projections, HasSubstr(norm)) << name;
        }
        EXPECT_EQ(model->info().norm.find("q/k norm") != std::string::npos, !norm.empty()) << model->info().norm;
    }
}

// Phi-3 with partial_rotary_factor 0.75 turns 6 of each head's 8 numbers, and its steps say so;
// info names the family and the rotated part.
TEST(HfModel, PartialRotaryIsNamedInTheStepsAndInfo) {
    const ModelPtr model = reference_model("phi3_bf16");
    if (!model) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
    EXPECT_EQ(model->info().family, "phi3");
    EXPECT_EQ(model->info().positional, "rope (first 6 dimensions of each head)");
    const auto projection = model->head_projection(1, 2);
    ASSERT_TRUE(projection.has_value());
    EXPECT_EQ(projection->rotary_dims, 6);
    const auto pages = steps_on_abc(*model, 1, 2, 2);
    ASSERT_GT(pages.size(), 1u);
    EXPECT_THAT(formulas_of(pages[1]), HasSubstr("RoPE turns the first 6 of q's and k's 8 numbers"));
}

// The trace JSON of the new families names the family and still validates against the schema
// (architecture gains gpt_neox and opt; family is an added field).
TEST(HfModel, NewFamiliesTraceJsonNamesTheFamilyAndValidates) {
    for (const auto& [name, architecture, family] : {std::tuple<std::string, std::string, std::string>{"qwen3_f32_gqa_tied", "llama", "qwen3"},
                                                     {"gpt_neox_f32_parallel", "gpt_neox", ""}, {"opt_f32_pre_ln", "opt", ""},
                                                     {"gemma2_f32_window3_softcap", "llama", "gemma2"},
                                                     {"roberta_f32_masked_lm", "bert", "roberta"}, {"gpt2_f32", "gpt2", ""}}) {
        const ModelPtr model = reference_model(name);
        if (!model) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
        const auto trace = compute_trace(*model, "a b c");
        ASSERT_TRUE(trace.ok()) << trace.error().message;
        const std::string text = trace_to_json(*trace.value());
        const auto doc = nlohmann::json::parse(text);
        EXPECT_EQ(doc["model"]["architecture"], architecture) << name;
        EXPECT_EQ(doc["model"].value("family", ""), family) << name;
        const fs::path file = testing::scratch_dir() / (name + "-trace.json");
        std::ofstream(file) << text;
        const testing::ProcessResult check = testing::run_program(ATTNSCOPE_PYTHON, {"-c",
            "import json, sys, jsonschema\n"
            "jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))\n",
            file.string(), std::string(ATTNSCOPE_SOURCE_DIR) + "/docs/trace.schema.json"});
        EXPECT_EQ(check.exit_code, 0) << name << ": " << check.err;
    }
}

// The steps view of a Llama-family head shows its W and says q and k are turned by RoPE; a GPT-2
// head's says q = x W_Q + b_Q.
TEST(HfModel, StepsNameRopeOnlyForRotaryModels) {
    for (const auto& [name, rotary] : {std::pair<std::string, bool>{"llama_f32_gqa_untied_sharded", true}, {"gpt2_f32", false}}) {
        const ModelPtr model = reference_model(name);
        if (!model) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
        const auto pages = steps_on_abc(*model, 0, 1, 1);
        ASSERT_GT(pages.size(), 2u);
        const std::string projections = formulas_of(pages[1]), query = formulas_of(pages[2]);
        EXPECT_EQ(pages.at(1).matrices.size(), 3u) << name << ": W_Q, W_K, W_V shown";
        EXPECT_EQ(projections.find("RoPE") != std::string::npos, rotary) << name << ":\n" << projections;
        EXPECT_EQ(query.find("RoPE(x_") != std::string::npos, rotary) << name << ":\n" << query;
    }
}

// Gemma 2 (sliding_window 3 on layers 0 and 2, attn_logit_softcapping 1.5, query_pre_attn_scalar
// 24): info says so; a sliding layer's trace masks the keys 3 or more back, the trace JSON names
// window and cap per layer (and validates), and the steps pages show the cap with its numbers and
// the window's masked keys. Layer 1 is global: nothing masked but the future.
TEST(HfModel, Gemma2ShowsItsSoftCapAndSlidingWindowEverywhere) {
    const ModelPtr model = reference_model("gemma2_f32_window3_softcap");
    if (!model) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
    EXPECT_EQ(model->info().attention, "sliding window of 3 on layers 0, 2; scores soft-capped at 1.5; logits soft-capped at 2");
    EXPECT_EQ(model->info().family, "gemma2");
    const auto trace = compute_trace(*model, "a b c d e f g");
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    const Trace& t = *trace.value();
    const int n = t.n_tokens(), last = n - 1;
    ASSERT_GE(n, 5);
    EXPECT_FLOAT_EQ(t.layers[0].scale, 1.0f / std::sqrt(24.0f));
    for (int l = 0; l < 3; ++l) {
        const auto scores = t.head_scores(l, 1);
        EXPECT_EQ(std::isinf((*scores)(last, last - 3)), l != 1) << "layer " << l << ": only the sliding layers mask keys 3 back";
        EXPECT_EQ(std::isinf((*scores)(last, 0)), l != 1) << "layer " << l;
        EXPECT_LT((*scores).row(last).tail(3).cwiseAbs().maxCoeff(), 1.5f) << "soft-capped";
    }
    const auto doc = nlohmann::json::parse(trace_to_json(t));
    EXPECT_EQ(doc["layers"][0]["attention"], nlohmann::json({{"window", 3}, {"softcap", 1.5}}));
    EXPECT_EQ(doc["layers"][1]["attention"], nlohmann::json({{"softcap", 1.5}}));
    EXPECT_TRUE(doc["layers"][0]["heads"][1]["weights"][last][0] == 0.0) << "a masked cell weighs exactly 0";

    const auto pages = explain_steps(explain_head(t, 0, 1, last, model->head_projection(0, 1)));
    const StepPage& scale = pages.at(static_cast<std::size_t>(ExplainStep::Scale));
    const StepPage& mask = pages.at(static_cast<std::size_t>(ExplainStep::Mask));
    EXPECT_EQ(scale.title, "6. Scale, then soft-cap");
    EXPECT_THAT(formulas_of(scale), HasSubstr("score = 1.5 \u00b7 tanh(scaled / 1.5)"));
    EXPECT_THAT(formulas_of(scale), HasSubstr("1.5 tanh("));
    EXPECT_EQ(mask.title, "7. The mask: no peeking ahead, and a window");
    ASSERT_EQ(mask.rows.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(mask.rows[0][1], "before the window: masked");
    EXPECT_EQ(mask.rows[static_cast<std::size_t>(last - 2)][1], "in the window: kept");
    EXPECT_EQ(mask.rows[static_cast<std::size_t>(last - 3)][1], "before the window: masked");
    const auto global = explain_steps(explain_head(t, 1, 1, last, model->head_projection(1, 1)));
    EXPECT_EQ(global.at(static_cast<std::size_t>(ExplainStep::Mask)).title, "7. The mask: no peeking ahead");
}

// Gemma 3 (gemma3_bf16_as_released: layers 0-4 slide with RoPE base 10000, layer 5 is global with
// rope_theta 1e6 scaled by 8; no soft-caps): info names both.
TEST(HfModel, Gemma3NamesItsLocalAndGlobalLayers) {
    const ModelPtr model = reference_model("gemma3_bf16_as_released");
    if (!model) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
    EXPECT_EQ(model->info().attention, "sliding window of 3 on layers 0, 1, 2, 3, 4; RoPE base 10000 on the sliding layers");
    EXPECT_THAT(model->info().positional, HasSubstr("base 10000 on sliding layers"));
    EXPECT_THAT(model->info().norm, HasSubstr("q/k norm per head"));
}

// GPT-2 with scale_attn_by_inverse_layer_idx: layer l's scores are q . k / (sqrt(d_head) (l + 1)).
// The numpy reference divides by the layer index on its own; the scales are worked out by hand:
// d_head = 16 / 4 = 4, so 1/(2*1), 1/(2*2), 1/(2*3). The trace, the explanation, the steps page
// and the trace JSON must each carry every layer's own scale.
TEST(HfModel, Gpt2ScaledByInverseLayerIndexGivesEachLayerItsOwnScale) {
    const fs::path folder = kReferenceDir / "gpt2_f32_scale_by_layer";
    if (!fs::exists(folder / "expected.json")) GTEST_SKIP() << "no reference at " << folder;
    const auto expected = nlohmann::json::parse(std::ifstream(folder / "expected.json"));
    const auto model = load_model(folder.string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    std::vector<Token> tokens;
    for (int id : expected["ids"]) tokens.push_back(Token{id, "", 0, 0, false, false, false});
    auto forward = model.value()->forward(tokens, ForwardOptions{});
    ASSERT_TRUE(forward.ok()) << forward.error().message;
    Trace trace = std::move(forward).value();
    for (std::size_t i = 0; i < tokens.size(); ++i) trace.tokens.push_back(tokens[i]);  // explain_head reads them
    const float by_hand[3] = {1.0f / 2.0f, 1.0f / 4.0f, 1.0f / 6.0f};
    const char* printed[3] = {"0.5", "0.25", "0.167"};
    ASSERT_EQ(trace.layers.size(), 3u);
    double worst = 0;
    for (std::size_t l = 0; l < 3; ++l) {
        EXPECT_FLOAT_EQ(trace.layers[l].scale, by_hand[l]) << "layer " << l;
        for (std::size_t h = 0; h < trace.layers[l].heads.size(); ++h) {
            const HeadTrace& got = trace.layers[l].heads[h];
            const auto& want = expected["layers"][l][h];
            const std::string at = "layer " + std::to_string(l) + " head " + std::to_string(h);
            worst = std::max({worst, max_error(got.scores, want["scores"], at + " scores"),
                              max_error(got.weights, want["weights"], at + " weights")});
            const int query = static_cast<int>(tokens.size()) - 1;  // the last token sees every key
            const HeadExplanation e = explain_head(trace, static_cast<int>(l), static_cast<int>(h), query, std::nullopt);
            EXPECT_FLOAT_EQ(e.scale, by_hand[l]) << at;
            EXPECT_EQ(e.scale_is_default, l == 0) << at << ": only layer 0's scale is 1/sqrt(d_head)";
            for (const KeyExplanation& k : e.keys) EXPECT_NEAR(k.score, k.dot * by_hand[l], 1e-4f * (1 + std::abs(k.score))) << at;
            const StepPage scale_page = explain_steps(e).at(static_cast<std::size_t>(ExplainStep::Scale));
            EXPECT_THAT(scale_page.formulas.at(0), HasSubstr(printed[l])) << at;
        }
    }
    EXPECT_LE(worst, 1e-4);
    const auto json = nlohmann::json::parse(trace_to_json(trace));
    EXPECT_FLOAT_EQ(json["scale"].get<float>(), by_hand[0]) << "version 1 readers: layer 0's";
    for (std::size_t l = 0; l < 3; ++l) EXPECT_FLOAT_EQ(json["layers"][l]["scale"].get<float>(), by_hand[l]);
}

INSTANTIATE_TEST_SUITE_P(HfModel, HfReference,
                         ::testing::Values("gpt2_f32", "gpt2_f16_bare_names", "bert_f32_masked_lm",
                                           "bert_bf16_encoder_only", "distilbert_f32_masked_lm",
                                           "llama_f32_gqa_untied_sharded", "llama_bf16_tied_llama3_rope",
                                           "qwen2_f16_biases_one_kv_head", "mistral_f32_linear_rope", "qwen3_f32_gqa_tied",
                                           "qwen3_bf16_untied", "olmo2_f32", "olmo2_bf16_gqa", "phi3_f32_gqa", "phi3_bf16",
                                           "gemma_f32_mqa", "gemma_bf16", "gemma2_f32_window3_softcap", "gemma2_bf16_layer_types",
                                           "gemma3_f32_pattern2", "gemma3_bf16_as_released", "gemma3_image_text_f32_pre452",
                                           "gemma3_image_text_bf16", "gpt_neox_bf16_parallel", "opt_bf16_pre_ln", "roberta_bf16_masked_lm",
                                           "gpt_neox_f32_parallel", "gpt_neox_f16_sequential",
                                           "opt_f32_pre_ln", "opt_f16_post_ln_project", "roberta_f32_masked_lm",
                                           "xlm_roberta_bf16_encoder", "xlm_roberta_f16_masked_lm_decoder_written"),
                         [](const auto& info) { return info.param; });

TEST(HfModel, DescribesAGroupedHeadCheckpoint) {
    const fs::path folder = kReferenceDir / "llama_f32_gqa_untied_sharded";
    if (!fs::exists(folder)) GTEST_SKIP() << "no reference checkpoints at " << kReferenceDir;
    const auto model = load_model(folder.string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    const ModelInfo& info = model.value()->info();
    EXPECT_EQ(info.architecture, Architecture::Llama);
    EXPECT_EQ(info.n_heads, 4);
    EXPECT_EQ(info.n_kv_heads, 2);
    EXPECT_EQ(info.d_head, 8);
    EXPECT_TRUE(info.causal);
    EXPECT_EQ(info.dtype, "f32");
}

// [SECTION] Broken folders

class HfBrokenFolder : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = testing::scratch_dir() / "gpt2_f32";
        fs::remove_all(m_dir);
        if (!fs::exists(kReferenceDir / "gpt2_f32")) GTEST_SKIP() << "no reference checkpoints";
        fs::copy(kReferenceDir / "gpt2_f32", m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }
    void write_config(const nlohmann::json& config) { std::ofstream(m_dir / "config.json") << config.dump(); }
    nlohmann::json config() { return nlohmann::json::parse(std::ifstream(m_dir / "config.json")); }
    fs::path m_dir;
};

TEST_F(HfBrokenFolder, NamesAnUnknownModelType) {
    auto c = config();
    c["model_type"] = "mamba";
    write_config(c);
    const auto model = load_model(m_dir.string());
    ASSERT_FALSE(model.ok());
    EXPECT_THAT(model.error().message, HasSubstr("config.json: model_type: expected one of gpt2, bert"));
    EXPECT_THAT(model.error().message, HasSubstr("got \"mamba\""));
}

TEST_F(HfBrokenFolder, NamesATensorWhoseShapeDisagreesWithTheConfig) {
    auto c = config();
    c["n_embd"] = 20;
    write_config(c);
    const auto model = load_model(m_dir.string());
    ASSERT_FALSE(model.ok());
    EXPECT_THAT(model.error().message, HasSubstr("model.safetensors: tensor 'transformer.wte.weight': expected shape ["));
}

TEST_F(HfBrokenFolder, NamesAMissingConfigKey) {
    auto c = config();
    c.erase("n_head");
    write_config(c);
    const auto model = load_model(m_dir.string());
    ASSERT_FALSE(model.ok());
    EXPECT_THAT(model.error().message, HasSubstr("config.json: n_head: missing"));
}

TEST_F(HfBrokenFolder, NamesAMissingConfigFile) {
    fs::remove(m_dir / "config.json");
    const auto model = load_model(m_dir.string());
    ASSERT_FALSE(model.ok());
    EXPECT_THAT(model.error().message, HasSubstr("config.json: missing"));
}

TEST_F(HfBrokenFolder, RefusesAPickleCheckpointWithAConversionHint) {
    fs::remove(m_dir / "model.safetensors");
    std::ofstream(m_dir / "pytorch_model.bin", std::ios::binary) << std::string("PK\x03\x04", 4);
    const auto model = load_model(m_dir.string());
    ASSERT_FALSE(model.ok());
    EXPECT_THAT(model.error().message, HasSubstr("pickle"));
    EXPECT_THAT(model.error().message, HasSubstr("safetensors"));
}

// [SECTION] Real checkpoints in ../shared/models

fs::path shared(const char* name) { return kSharedModels / name; }

TEST(HfRealCheckpoint, Stories260KContinuesOnceUponATimeAsPublished) {
    if (!fs::exists(shared("stories260K"))) GTEST_SKIP() << "../shared/models/stories260K is absent";
    const auto model = load_model(shared("stories260K").string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    const auto generated = testing::greedy_continuation(*model.value(), model.value()->tokenizer().encode("Once upon a time").value(), 20);
    // llama2.c's published output for this model and prompt (../shared/models/README.md)
    EXPECT_THAT(", there was a little girl named Lily. She loved to play outside in the park. One day,",
                ::testing::StartsWith(model.value()->tokenizer().decode(generated)));
    EXPECT_GT(model.value()->tokenizer().decode(generated).size(), 50u);
}

TEST(HfRealCheckpoint, Stories260KSharesKeysAcrossItsHeadGroups) {
    if (!fs::exists(shared("stories260K"))) GTEST_SKIP() << "../shared/models/stories260K is absent";
    const auto model = load_model(shared("stories260K").string());
    ASSERT_TRUE(model.ok());
    const auto trace = compute_trace(*model.value(), "Once upon a time there was a cat");
    ASSERT_TRUE(trace.ok());
    const auto& layer = trace.value()->layers[2];
    ASSERT_EQ(layer.heads.size(), 8u);
    EXPECT_EQ(layer.heads[0].k, layer.heads[1].k) << "query heads 0 and 1 read KV head 0";
    EXPECT_EQ(layer.heads[6].v, layer.heads[7].v);
    EXPECT_NE(layer.heads[1].k, layer.heads[2].k) << "heads 1 and 2 are in different groups";
    EXPECT_NE(layer.heads[0].q, layer.heads[1].q);
}

TEST(HfRealCheckpoint, HuggingFaceWrittenGpt2AndBertLoadByTheirRealNames) {
    if (!fs::exists(shared("fake_gpt2"))) GTEST_SKIP() << "../shared/models is absent";
    const auto gpt2 = load_model(shared("fake_gpt2").string());
    ASSERT_TRUE(gpt2.ok()) << gpt2.error().message;
    EXPECT_EQ(gpt2.value()->info().architecture, Architecture::Gpt2);
    const auto trace = compute_trace(*gpt2.value(), "The capital of France is");
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    std::vector<int> ids;
    for (const Token& t : trace.value()->tokens) ids.push_back(t.id);
    EXPECT_EQ(ids, (std::vector<int>{464, 3139, 286, 4881, 318}));
    EXPECT_EQ(trace.value()->logits.cols(), 50257);

    const auto tiny = load_model(shared("tiny_gpt2").string());
    ASSERT_TRUE(tiny.ok()) << tiny.error().message;  // GPT2Model names, no "transformer." prefix

    const auto bert = load_model(shared("bert_tiniest").string());
    ASSERT_TRUE(bert.ok()) << bert.error().message;
    const auto bert_trace = compute_trace(*bert.value(), "the capital of france is [MASK] .");
    ASSERT_TRUE(bert_trace.ok()) << bert_trace.error().message;
    ids.clear();
    for (const Token& t : bert_trace.value()->tokens) ids.push_back(t.id);
    EXPECT_EQ(ids, (std::vector<int>{101, 1996, 3007, 1997, 2605, 2003, 103, 1012, 102}));
    EXPECT_FALSE(bert_trace.value()->model.causal);
    EXPECT_EQ(bert_trace.value()->logits.cols(), 30522) << "BertLMHeadModel's cls.predictions head";
}

TEST(HfRealCheckpoint, TruncatedCheckpointIsRefusedNamingTheFirstMissingTensor) {
    if (!fs::exists(shared("minilm_truncated"))) GTEST_SKIP() << "../shared/models/minilm_truncated is absent";
    const auto model = load_model(shared("minilm_truncated").string());
    ASSERT_FALSE(model.ok());
    EXPECT_THAT(model.error().message, HasSubstr("model.safetensors: tensor 'embeddings.word_embeddings.weight'"));
    EXPECT_THAT(model.error().message, HasSubstr("truncated"));
}

}  // namespace
}  // namespace attnscope
