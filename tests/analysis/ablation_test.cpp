// Head ablation (issue 18): a head's output zeroed before W_O equals the same model with that
// head's rows of W_O zeroed (another code path: the weights, not the hook); mean ablation equals
// W_O's rows fed the head's mean output, checked the same way through its bias; attnscope-cli
// ablate against tests/analysis/ablation_reference.py (numpy, written separately) on stories260K
// and a random GPT-2. Each pass starts at the ablated layer; a test checks that against whole passes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attnscope/ablation.h"
#include "attnscope/forward.h"
#include "attnscope/transformer.h"
#include "analysis_references.h"
#include "../shared_models.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using testing::cli;
using testing::shared_model;

double next_probability(const Model& m, const std::vector<Token>& tokens, int id) {
    ForwardOptions o;
    o.logits = ForwardOptions::Logits::LastRow;
    const auto t = m.forward(tokens, o);
    EXPECT_TRUE(t.ok());
    const RowVector logits = t.value().logits_of(static_cast<int>(tokens.size()) - 1);
    const double top = logits.maxCoeff();
    double sum = 0;
    for (Index c = 0; c < logits.size(); ++c) sum += std::exp(logits(c) - top);
    return std::exp(logits(id) - top) / sum;
}

TEST(Ablation, ZeroingAHeadEqualsZeroingItsRowsOfWO) {
    const auto loaded = load_model("builtin:bank-decoder");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const auto* model = dynamic_cast<const TransformerModel*>(loaded.value().get());
    ASSERT_NE(model, nullptr);
    const auto tokens = model->tokenizer().encode("i took the money to the").value();
    const auto target = next_token_for(*model, "i took the money to the", "bank");
    ASSERT_TRUE(target.ok()) << target.error().message;
    const auto effects = ablate_each_head(*model, tokens, target.value().id);
    ASSERT_TRUE(effects.ok()) << effects.error().message;
    const TransformerConfig& c = model->config();
    ASSERT_EQ(effects.value().size(), static_cast<std::size_t>(c.n_layers * c.n_heads));
    const double before = next_probability(*model, tokens, target.value().id);
    int changed = 0;
    for (const HeadEffect& e : effects.value()) {
        EXPECT_NEAR(e.p_before, before, 1e-9);
        TransformerWeights w = model->weights();
        w.layers[static_cast<std::size_t>(e.layer)].wo.middleRows(e.head * c.d_head(), c.d_head()).setZero();
        const TransformerModel without(model->info(), c, w, model->tokenizer_ptr());
        EXPECT_NEAR(e.p_after, next_probability(without, tokens, target.value().id), 1e-6) << e.layer << "," << e.head;
        changed += std::abs(e.p_after - e.p_before) > 1e-6;
    }
    EXPECT_GT(changed, 0);
}

// ablate_each_head starts each pass at the ablated head's layer, from the plain pass's residual
// stream. Every family's result equals a pass from the first layer with the same head removed
// (ForwardOptions::ablation without resuming), and the plain pass's probability too: the skipped
// layers are exactly the ones a removal cannot change. The reference checkpoints (random weights,
// the real tensor names) cover each family's own forward loop; a family that ignored the resume
// would pass too, only slower (the benchmark shows it does not).
TEST(Ablation, StartingAtTheAblatedLayerEqualsAWholePassInEveryFamily) {
    std::vector<fs::path> folders;
    for (const char* name : {"gpt2_f32", "gpt2_f32_scale_by_layer", "llama_f32_gqa_untied_sharded", "gemma2_f32_window3_softcap",
                             "phi3_f32_gqa", "gpt_neox_f32_parallel", "gpt_neox_f16_sequential", "opt_f32_pre_ln",
                             "opt_f16_post_ln_project"})
        if (fs::exists(fs::path(ATTNSCOPE_HF_REFERENCE_DIR) / name / "config.json"))
            folders.push_back(fs::path(ATTNSCOPE_HF_REFERENCE_DIR) / name);
    folders.push_back("builtin:bank-decoder");
    if (fs::exists(shared_model("stories260K"))) folders.push_back(shared_model("stories260K"));
    ASSERT_GE(folders.size(), 2u);
    for (const fs::path& folder : folders) {
        SCOPED_TRACE(folder.string());
        const auto loaded = load_model(folder.string());
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        const Model& m = *loaded.value();
        auto encoded = m.tokenizer().encode("a b c d a b c");
        ASSERT_TRUE(encoded.ok());
        const std::vector<Token> tokens = encoded.value();
        const int target = tokens.back().id;
        const auto effects = ablate_each_head(m, tokens, target);
        ASSERT_TRUE(effects.ok()) << effects.error().message;
        ASSERT_EQ(effects.value().size(), static_cast<std::size_t>(m.info().n_layers * m.info().n_heads));
        for (const HeadEffect& e : effects.value()) {
            ForwardOptions whole;
            whole.logits = ForwardOptions::Logits::LastRow;
            whole.ablation.heads = {{e.layer, e.head}};
            const auto t = m.forward(tokens, whole);
            ASSERT_TRUE(t.ok());
            const RowVector logits = t.value().logits_of(static_cast<int>(tokens.size()) - 1);
            const double top = logits.maxCoeff();
            double sum = 0;
            for (Index c = 0; c < logits.size(); ++c) sum += std::exp(logits(c) - top);
            EXPECT_NEAR(e.p_after, std::exp(logits(target) - top) / sum, 1e-6) << "layer " << e.layer << " head " << e.head;
            EXPECT_NEAR(e.p_before, next_probability(m, tokens, target), 1e-9);
        }
    }
}

TEST(Ablation, AnEncoderIsRefusedByName) {
    const auto loaded = load_model("builtin:bank-encoder");
    ASSERT_TRUE(loaded.ok());
    const auto tokens = loaded.value()->tokenizer().encode("the bank").value();
    const auto effects = ablate_each_head(*loaded.value(), tokens, 3);
    ASSERT_FALSE(effects.ok());
    EXPECT_THAT(effects.error().message, ::testing::HasSubstr("is not a decoder"));
}

// attnscope-cli ablate --json against the numpy reference, given the same token ids.
void expect_cli_matches_reference(const fs::path& folder, const std::string& text, const std::string& target, bool mean) {
    const auto model = load_model(folder.string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    const nlohmann::json ids = testing::token_ids(*model.value(), text);
    const auto id = next_token_for(*model.value(), text, target);
    ASSERT_TRUE(id.ok()) << id.error().message;
    std::vector<std::string> args = {"ablate", "--model", folder.string(), "--text", text, "--target", target, "--json"};
    std::vector<std::string> ref_args = {folder.string(), ids.dump(), std::to_string(id.value().id)};
    if (mean) args.push_back("--mean"), ref_args.push_back("--mean");
    const auto got_run = cli(args);
    ASSERT_EQ(got_run.exit_code, 0) << got_run.err;
    const auto reference = testing::run_reference("ablation_reference.py", ref_args);
    ASSERT_EQ(reference.exit_code, 0) << reference.err;
    const auto got = nlohmann::json::parse(got_run.out), want = nlohmann::json::parse(reference.out);
    ASSERT_EQ(got.size(), want.size());
    double worst = 0;
    for (std::size_t k = 0; k < got.size(); ++k) {
        EXPECT_EQ(got[k]["layer"], want[k]["layer"]);
        EXPECT_EQ(got[k]["head"], want[k]["head"]);
        for (const char* f : {"p_before", "p_after"})
            worst = std::max(worst, std::abs(got[k][f].get<double>() - want[k][f].get<double>()));
    }
    std::printf("[ ablation vs numpy ] %s (%s): %zu heads, largest probability difference %.2e\n", folder.filename().c_str(),
                mean ? "mean" : "zero", got.size(), worst);
    EXPECT_LE(worst, 1e-5);
}

TEST(Ablation, Stories260KMatchesTheNumpyReference) {
    SKIP_WITHOUT_SHARED_MODEL("stories260K");
    expect_cli_matches_reference(shared_model("stories260K"), "Once upon a time, there was a little", "girl", false);
    expect_cli_matches_reference(shared_model("stories260K"), "Once upon a time, there was a little", "girl", true);
}

TEST(Ablation, RandomGpt2MatchesTheNumpyReference) {
    SKIP_WITHOUT_REFERENCE_GPT2();
    const fs::path folder = testing::reference_gpt2();
    expect_cli_matches_reference(folder, "a b c d a b c", "d", false);
}

}  // namespace
}  // namespace attnscope
