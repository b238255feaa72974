// Head detectors (issue 18): a hand-worked trace; attnscope-cli heads against the numpy reference
// tests/analysis/head_detectors_reference.py (written separately, from TransformerLens' definitions)
// on the trace attnscope-cli trace prints, for stories260K and a random GPT-2-shaped checkpoint;
// the induction probe's sequences and its score computed here from the weights.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "attnscope/forward.h"
#include "attnscope/head_detectors.h"
#include "attnscope/random_model.h"
#include "kernels/attention.h"
#include "../random_transformers.h"
#include "analysis_references.h"
#include "../shared_models.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using testing::cli;
using testing::shared_model;

// A one-head trace with these weights kept (rows sum to 1) and the summary the forward pass makes.
Trace hand_trace(const std::vector<int>& ids, const Matrix& weights) {
    Trace t;
    for (int id : ids) t.tokens.push_back(Token{id, "t" + std::to_string(id), 0, 0, false, false, false});
    HeadTrace h;
    const Index n = weights.rows();
    h.q = Matrix::Zero(n, 1);
    h.k = Matrix::Zero(n, 1);
    h.v = Matrix::Zero(n, 1);
    h.scores = weights.array().log();
    h.weights = weights;
    size_summary(h.summary, n);
    summarize_rows(weights, 0, true, h.summary);
    t.layers.push_back(LayerTrace{Matrix::Zero(n, 1), {h}});
    t.layers[0].causal = true;
    return t;
}

// ids 5 7 5 7, causal weights chosen by hand:
//   row 0: [1]                 row 1: [0.5, 0.5]
//   row 2: [0.2, 0.7, 0.1]     row 3: [0.1, 0.1, 0.2, 0.6]
// previous = (0.5 + 0.7 + 0.2) / 4 = 0.35; duplicate: row 2 -> key 0 (0.2), row 3 -> key 1 (0.1):
// 0.3 / 4 = 0.075; induction: the token after an earlier occurrence, row 2 -> key 1 (0.7), row 3
// -> key 2 (0.2): 0.9 / 4 = 0.225; first = (1 + 0.5 + 0.2 + 0.1) / 4 = 0.45 (a sink: > 0.3);
// self = (1 + 0.5 + 0.1 + 0.6) / 4 = 0.55; distance = (0 + 0.5 + (0.4 + 0.7) + (0.3 + 0.2 + 0.2)) / 4 = 0.575.
TEST(HeadDetectors, HandWorkedScores) {
    Matrix w = Matrix::Zero(4, 4);
    w(0, 0) = 1.0f;
    w(1, 0) = 0.5f, w(1, 1) = 0.5f;
    w(2, 0) = 0.2f, w(2, 1) = 0.7f, w(2, 2) = 0.1f;
    w(3, 0) = 0.1f, w(3, 1) = 0.1f, w(3, 2) = 0.2f, w(3, 3) = 0.6f;
    const auto scores = detect_heads(hand_trace({5, 7, 5, 7}, w));
    ASSERT_TRUE(scores.ok());
    ASSERT_EQ(scores.value().size(), 1u);
    const HeadDetectorScores& s = scores.value()[0];
    EXPECT_NEAR(s.previous, 0.35, 1e-6);
    EXPECT_NEAR(s.duplicate, 0.075, 1e-6);
    EXPECT_NEAR(s.induction, 0.225, 1e-6);
    EXPECT_NEAR(s.first, 0.45, 1e-6);
    EXPECT_TRUE(s.sink());
    EXPECT_NEAR(s.self, 0.55, 1e-6);
    EXPECT_NEAR(s.distance, 0.575, 1e-6);
    // entropy: rows 0..3 in bits: 0, 1, -(0.2 lg 0.2 + 0.7 lg 0.7 + 0.1 lg 0.1), -(2 * 0.1 lg 0.1 + 0.2 lg 0.2 + 0.6 lg 0.6)
    const auto h = [](double p) { return -p * std::log2(p); };
    EXPECT_NEAR(s.entropy, (0 + 1 + h(0.2) + h(0.7) + h(0.1) + 2 * h(0.1) + h(0.2) + h(0.6)) / 4, 1e-5);
}

// [SECTION] Against the numpy reference, through the CLI

// attnscope-cli heads --json against head_detectors_reference.py over attnscope-cli trace's JSON.
void expect_cli_matches_reference(const std::string& model, const std::string& text) {
    const auto trace = cli({"trace", "--model", model, "--text", text});
    ASSERT_EQ(trace.exit_code, 0) << trace.err;
    const fs::path trace_file = testing::write_file("detector-trace.json", trace.out);
    const auto reference = testing::run_reference("head_detectors_reference.py", {trace_file.string()});
    ASSERT_EQ(reference.exit_code, 0) << reference.err;
    const auto heads = cli({"heads", "--model", model, "--text", text, "--json"});
    ASSERT_EQ(heads.exit_code, 0) << heads.err;
    const auto want = nlohmann::json::parse(reference.out), got = nlohmann::json::parse(heads.out);
    ASSERT_EQ(got.size(), want.size());
    double worst = 0;
    for (std::size_t k = 0; k < got.size(); ++k) {
        EXPECT_EQ(got[k]["layer"], want[k]["layer"]);
        EXPECT_EQ(got[k]["head"], want[k]["head"]);
        EXPECT_EQ(got[k]["sink"], want[k]["sink"]) << k;
        for (const char* field : {"previous", "duplicate", "induction", "first", "self", "entropy", "distance"}) {
            const double a = got[k][field].get<double>(), b = want[k][field].get<double>();
            worst = std::max(worst, std::abs(a - b) / std::max(1.0, std::abs(b)));
        }
    }
    std::printf("[ detectors vs numpy ] %s: %zu heads, largest difference %.2e\n", model.c_str(), got.size(), worst);
    EXPECT_LE(worst, 1e-5);
}

TEST(HeadDetectors, Stories260KMatchesTheNumpyReference) {
    SKIP_WITHOUT_SHARED_MODEL("stories260K");
    expect_cli_matches_reference(shared_model("stories260K").string(),
                                 "Once upon a time, Lily saw a cat. The cat was big. Lily said, \"The cat is big!\" "
                                 "Then Lily and the cat played in the park, and the cat was happy.");
}

TEST(HeadDetectors, RandomGpt2MatchesTheNumpyReference) {
    SKIP_WITHOUT_REFERENCE_GPT2();
    const fs::path folder = testing::reference_gpt2();
    expect_cli_matches_reference(folder.string(), "a b c d a b c d e a b");
}

// [SECTION] The induction probe

// Its sequences are L ordinary tokens twice after the tokenizer's start tokens, the same every run;
// its induction score is, for every head, the mean weight from a second-half token to the one
// after its first occurrence (computed here from the weights).
TEST(HeadDetectors, TheInductionProbeScoresTheTokenAfterTheEarlierOccurrence) {
    SKIP_WITHOUT_SHARED_MODEL("stories260K");
    const auto model = load_model(shared_model("stories260K").string());
    ASSERT_TRUE(model.ok()) << model.error().message;
    const auto probe = make_induction_probe(*model.value(), 3, 20);
    ASSERT_TRUE(probe.ok()) << probe.error().message;
    const InductionProbe& p = probe.value();
    EXPECT_EQ(p.half, 20);
    EXPECT_EQ(p.leading, 1) << "llama's BOS";
    ASSERT_EQ(p.sequences.size(), 3u);
    for (const auto& s : p.sequences) {
        ASSERT_EQ(static_cast<int>(s.size()), p.leading + 2 * p.half);
        for (int i = 0; i < p.half; ++i) {
            EXPECT_EQ(s[static_cast<std::size_t>(p.leading + i)].id, s[static_cast<std::size_t>(p.leading + p.half + i)].id);
            EXPECT_FALSE(s[static_cast<std::size_t>(p.leading + i)].special);
            EXPECT_FALSE(s[static_cast<std::size_t>(p.leading + i)].unknown);
        }
    }
    const auto again = make_induction_probe(*model.value(), 3, 20);
    EXPECT_EQ(again.value().sequences[2][7].id, p.sequences[2][7].id) << "a fixed seed";

    const auto scores = probe_heads(*model.value(), p);
    ASSERT_TRUE(scores.ok()) << scores.error().message;
    std::vector<double> by_hand(scores.value().size(), 0.0);
    for (const auto& s : p.sequences) {
        auto forward = model.value()->forward(s, ForwardOptions{});
        ASSERT_TRUE(forward.ok());
        const Trace& t = forward.value();
        for (std::size_t k = 0; k < by_hand.size(); ++k) {
            const Matrix& w = t.head(scores.value()[k].layer, scores.value()[k].head).weights;
            for (int i = p.leading + p.half; i < p.leading + 2 * p.half; ++i) by_hand[k] += w(i, i - p.half + 1) / (p.half * 3.0);
        }
    }
    double best = 0;
    for (std::size_t k = 0; k < by_hand.size(); ++k) {
        EXPECT_NEAR(scores.value()[k].induction, by_hand[k], 1e-6) << k;
        best = std::max(best, by_hand[k]);
    }
    std::printf("[ induction probe ] stories260K: best head's induction score %.3f\n", best);
}

// A model of made-up words (w0 .. w99: none in the English paragraph) draws the probe from its own
// vocabulary, and the half fits its context (max_len 16: 8 + 8).
TEST(HeadDetectors, TheProbeOfAModelWithoutEnglishWordsUsesItsVocabulary) {
    const auto model = make_random_transformer(testing::transformer_config(16, 2, 2, 0, 16), 100, 5, "made-up");
    const auto probe = make_induction_probe(*model, 2);
    ASSERT_TRUE(probe.ok()) << probe.error().message;
    EXPECT_EQ(probe.value().half, 8);
    for (const Token& t : probe.value().sequences[0]) {
        EXPECT_FALSE(t.unknown);
        EXPECT_EQ(model->tokenizer().piece(t.id).rfind("w", 0), 0u) << model->tokenizer().piece(t.id);
    }
    EXPECT_TRUE(probe_heads(*model, probe.value()).ok());
}

TEST(HeadDetectors, TheCliNamesWhatItNeeds) {
    const auto neither = cli({"heads"});
    EXPECT_EQ(neither.exit_code, 2);
    EXPECT_THAT(neither.err, ::testing::HasSubstr("give --text TEXT or --probe"));
    const auto bad_sort = cli({"heads", "--text", "the bank", "--sort", "loudness"});
    EXPECT_EQ(bad_sort.exit_code, 2);
    EXPECT_THAT(bad_sort.err, ::testing::HasSubstr("--sort: expected previous"));
    const auto translator = cli({"heads", "--probe", "induction", "--model", "builtin:translator"});
    EXPECT_EQ(translator.exit_code, 3);
    EXPECT_THAT(translator.err, ::testing::HasSubstr("is an encoder-decoder"));
    const auto probe = cli({"heads", "--probe", "induction", "--json"});   // the built-in model: a short context
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    const auto j = nlohmann::json::parse(probe.out);
    ASSERT_FALSE(j.empty());
    EXPECT_GE(j[0]["induction"].get<double>(), j[j.size() - 1]["induction"].get<double>()) << "ranked by the probe's score";
}

}  // namespace
}  // namespace attnscope
