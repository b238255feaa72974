// The logit lens (issue 18): attnscope-cli lens --json against tests/analysis/logit_lens_reference.py
// (numpy, written separately: each layer's residual stream through the final norm and the LM head)
// on stories260K and a random GPT-2; the last layer's lens is the model's own prediction; an
// encoder is refused by name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attnscope/forward.h"
#include "attnscope/logit_lens.h"
#include "analysis_references.h"
#include "../shared_models.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using testing::cli;
using testing::shared_model;

void expect_cli_matches_reference(const fs::path& folder, const std::string& text) {
    const auto model = load_model(folder.string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    const nlohmann::json ids = testing::token_ids(*model.value(), text);
    const auto got_run = cli({"lens", "--model", folder.string(), "--text", text, "--top", "3", "--json"});
    ASSERT_EQ(got_run.exit_code, 0) << got_run.err;
    const auto reference = testing::run_reference("logit_lens_reference.py", {folder.string(), ids.dump(), "3"});
    ASSERT_EQ(reference.exit_code, 0) << reference.err;
    const auto got = nlohmann::json::parse(got_run.out)["layers"], want = nlohmann::json::parse(reference.out)["layers"];
    ASSERT_EQ(got.size(), want.size());
    double worst = 0;
    int top1_agree = 0, cells = 0;
    for (std::size_t l = 0; l < got.size(); ++l)
        for (std::size_t i = 0; i < got[l]["positions"].size(); ++i) {
            const auto &a = got[l]["positions"][i]["top"], &b = want[l]["positions"][i]["top"];
            ++cells;
            top1_agree += a[0]["id"] == b[0]["id"];
            for (std::size_t k = 0; k < a.size(); ++k)
                if (a[k]["id"] == b[k]["id"]) worst = std::max(worst, std::abs(a[k]["p"].get<double>() - b[k]["p"].get<double>()));
        }
    std::printf("[ logit lens vs numpy ] %s: %d cells, top-1 agree %d, largest probability difference %.2e\n", folder.filename().c_str(),
                cells, top1_agree, worst);
    EXPECT_EQ(top1_agree, cells);
    EXPECT_LE(worst, 1e-5);
}

TEST(LogitLens, Stories260KMatchesTheNumpyReference) {
    SKIP_WITHOUT_SHARED_MODEL("stories260K");
    expect_cli_matches_reference(shared_model("stories260K"), "Once upon a time, there was a little girl named Lily.");
}

TEST(LogitLens, RandomGpt2MatchesTheNumpyReference) {
    SKIP_WITHOUT_REFERENCE_GPT2();
    const fs::path folder = testing::reference_gpt2();
    expect_cli_matches_reference(folder, "a b c d a b c");
}

// The last layer's lens is the model's own next-token distribution (the same norm and head).
TEST(LogitLens, TheLastLayerIsTheModelsPrediction) {
    const auto model = load_model("builtin:bank-decoder");
    ASSERT_TRUE(model.ok());
    const auto tokens = model.value()->tokenizer().encode("i took the money to the").value();
    const auto lens = logit_lens(*model.value(), tokens, 1);
    ASSERT_TRUE(lens.ok()) << lens.error().message;
    const auto trace = model.value()->forward(tokens, ForwardOptions{});
    ASSERT_TRUE(trace.ok());
    for (int i = 0; i < static_cast<int>(tokens.size()); ++i) {
        const auto want = top_k_softmax(trace.value().logits_of(i), 1);
        const TokenProbability& got = lens.value().top.back()[static_cast<std::size_t>(i)][0];
        EXPECT_EQ(got.id, want[0].id) << i;
        EXPECT_NEAR(got.probability, want[0].probability, 1e-5f) << i;
    }
}

TEST(LogitLens, AnEncoderIsRefusedByName) {
    const auto model = load_model("builtin:bank-encoder");
    ASSERT_TRUE(model.ok());
    const auto lens = logit_lens(*model.value(), model.value()->tokenizer().encode("the bank").value());
    ASSERT_FALSE(lens.ok());
    EXPECT_THAT(lens.error().message, ::testing::HasSubstr("has no next-token head"));
}

}  // namespace
}  // namespace attnscope
