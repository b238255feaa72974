// Rollout and value-weighted norms (issue 18): attnscope-cli trace --fields rollout,value_norms
// against tests/analysis/attribution_reference.py (numpy, written separately; it reads W_O from the
// checkpoint itself) on stories260K and a random GPT-2; a hand-worked rollout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attnscope/attribution.h"
#include "analysis_references.h"
#include "../shared_models.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using testing::cli;
using testing::shared_model;

// One layer, two heads, n = 2: A0 = [[1, 0], [0.5, 0.5]], A1 = [[1, 0], [0, 1]]. The mean plus I is
// [[2, 0], [0.25, 1.75]]; rows divided by their sums: [[1, 0], [0.125, 0.875]].
TEST(Rollout, HandWorkedOneLayer) {
    Trace t;
    t.tokens.resize(2);
    HeadTrace a, b;
    a.weights = Matrix{{1.0f, 0.0f}, {0.5f, 0.5f}};
    b.weights = Matrix{{1.0f, 0.0f}, {0.0f, 1.0f}};
    t.layers.push_back(LayerTrace{Matrix(), {a, b}});
    const auto r = attention_rollout(t);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_NEAR(r[0](1, 0), 0.125f, 1e-6f);
    EXPECT_NEAR(r[0](1, 1), 0.875f, 1e-6f);
    EXPECT_NEAR(r[0](0, 0), 1.0f, 1e-6f);
}

double largest_gap(const nlohmann::json& a, const nlohmann::json& b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < a[i].size(); ++j) {
            const double x = a[i][j].get<double>(), y = b[i][j].get<double>();
            worst = std::max(worst, std::abs(x - y) / std::max(1.0, std::abs(y)));
        }
    return worst;
}

void expect_cli_matches_reference(const fs::path& folder, const std::string& text) {
    const auto trace = cli({"trace", "--model", folder.string(), "--text", text, "--fields", "v,weights,rollout,value_norms"});
    ASSERT_EQ(trace.exit_code, 0) << trace.err;
    const fs::path file = testing::write_file("attribution-trace.json", trace.out);
    const auto reference = testing::run_reference("attribution_reference.py", {file.string(), folder.string()});
    ASSERT_EQ(reference.exit_code, 0) << reference.err;
    const auto got = nlohmann::json::parse(trace.out)["layers"], want = nlohmann::json::parse(reference.out)["layers"];
    ASSERT_EQ(got.size(), want.size());
    double rollout = 0, norms = 0;
    for (std::size_t l = 0; l < got.size(); ++l) {
        rollout = std::max(rollout, largest_gap(got[l]["rollout"], want[l]["rollout"]));
        norms = std::max(norms, largest_gap(got[l]["value_norms_sum"], want[l]["value_norms_sum"]));
        for (std::size_t h = 0; h < got[l]["heads"].size(); ++h)
            norms = std::max(norms, largest_gap(got[l]["heads"][h]["value_norms"], want[l]["heads"][h]["value_norms"]));
    }
    std::printf("[ attribution vs numpy ] %s: rollout %.2e, value norms %.2e\n", folder.filename().c_str(), rollout, norms);
    EXPECT_LE(rollout, 1e-5);
    EXPECT_LE(norms, 1e-5);
}

TEST(Attribution, Stories260KMatchesTheNumpyReference) {
    SKIP_WITHOUT_SHARED_MODEL("stories260K");
    expect_cli_matches_reference(shared_model("stories260K"), "Once upon a time, there was a little dog. The dog liked to run.");
}

TEST(Attribution, RandomGpt2MatchesTheNumpyReference) {
    SKIP_WITHOUT_REFERENCE_GPT2();
    const fs::path folder = testing::reference_gpt2();
    expect_cli_matches_reference(folder, "a b c d a b c");
}

TEST(Attribution, TheCliListsTheFieldsItKnows) {
    const auto bad = cli({"trace", "--text", "the bank", "--fields", "weights,loudness"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_THAT(bad.err, ::testing::HasSubstr("rollout, value_norms"));
}

}  // namespace
}  // namespace attnscope
