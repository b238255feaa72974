// An encoder-decoder in the real app under Xvfb (issue 15, part 5): the translator's first
// screen, the cross heatmap's rectangle (rows the target, columns the source) at a projector's
// two sizes, the switch between the three kinds of attention, a target the decoder cannot take,
// and the flags in the usage. The model is the seq2seq reference script's tiny random BART
// (without numpy those tests skip); the fixture is gui_app_fixture.h's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "app_process.h"
#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "attnscope/token_labels.h"
#include "gui_app_fixture.h"
#include "seq2seq_models.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using namespace attnscope::testing;

// bart_f16 (tests/models/hf_reference): 2 encoder layers of 2 heads, 3 decoder layers of 4 heads,
// a vocabulary of made-up words w5 .. w39. Empty when the reference script cannot run.
std::string bart_folder() { return testing::seq2seq_model("bart_f16").string(); }

const char* kSource = "w5 w6 w7 w8 w9 w10";
const char* kTarget = "w11 w12";

// Core's own trace of the source, with the target forced or (none) the model's translation.
std::shared_ptr<const Trace> bart_trace(const std::optional<std::string>& target) {
    auto model = load_model(bart_folder());
    EXPECT_TRUE(model.ok());
    TraceOptions options;
    options.target = target;
    auto trace = compute_trace(model.value(), kSource, options);
    EXPECT_TRUE(trace.ok()) << (trace.ok() ? "" : trace.error().message);
    return trace.ok() ? trace.value() : nullptr;
}

// The app on the BART, kSource and kTarget forced, at 1280x720.
std::vector<std::string> on_bart() {
    return {"--no-settings", "--model", bart_folder(), "--text", kSource, "--target", kTarget, "--size", "1280x720"};
}

// Every match of `pattern` in the app's report, in order (a script prints one report per screenshot).
std::vector<std::string> all_lines(const std::string& out, const std::string& pattern) {
    std::vector<std::string> found;
    const std::regex line(pattern + "[^\\n]*");
    for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) found.push_back(it->str());
    return found;
}

// builtin:translator opens like the bank models, on its story: cross-attention, the step writing
// "rive" (target token 4, the second "la": "la femme voit la rive ...") with "bank" (source token 4)
// as the key, in layer 1, head 3, the head where that row looks at "bank" most (0.99998 against
// 0.99987 in L1H2 and 0.99983 in L1H0, read from attnscope-cli trace --format json). --attention
// encoder keeps the encoder's own first screen.
TEST_F(GuiApp, TheTranslatorOpensOnTheStepWritingRiveLookingAtBank) {
    for (const char* size : {"1280x720", "1920x1080"}) {
        fs::path png;
        const AppRun r = screenshot(std::string("translator-first-") + size,
                                    {"--no-settings", "--model", "builtin:translator", "--size", size, "--presentation"}, png);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_THAT(r.out, HasSubstr("target shown: la femme voit la rive pr\xC3\xA8s de la rivi\xC3\xA8re .\n"));
        EXPECT_EQ(selection_line(r.out), "selection: cross layer 1, head 3, query 4 ' la', key 4 'bank', writes 'rive'") << size;
    }
    fs::path png;
    const AppRun r = screenshot("translator-first-encoder", {"--no-settings", "--model", "builtin:translator", "--attention", "encoder"}, png);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(selection_line(r.out), ::testing::StartsWith("selection: encoder layer 0, head 0, "));
}

// Target token i as a cross row's "writes '...'" names it: its label without the space before it.
std::string written_word(const Trace& trace, int i) {
    const std::string label = token_label(trace, i);
    return label.substr(std::min(label.find_first_not_of(' '), label.size()));
}

// The cross heatmap at a projector's two sizes: rows the target's tokens, columns the source's, in
// square cells, so its region is as much wider than high as the source is longer than the target.
// The other views draw cross-attention too.
TEST_F(GuiApp, TheCrossHeatmapHasTargetRowsAndSourceColumns) {
    if (bart_folder().empty()) GTEST_SKIP() << "the seq2seq reference script did not run (python3-numpy?)";
    const auto trace = bart_trace(std::string(kTarget));
    ASSERT_TRUE(trace);
    const int rows = trace->n_tokens(), cols = static_cast<int>(trace->source_tokens.size());
    ASSERT_NE(rows, cols);
    const std::string attention = "attention: cross, rows " + std::to_string(rows) + " target tokens, columns " + std::to_string(cols) +
                                  " source tokens, 3 layers x 4 heads";
    for (const char* size : {"1280x720", "1920x1080"}) {
        fs::path png;
        const AppRun r = screenshot(std::string("cross-heatmap-") + size,
                                    {"--no-settings", "--model", bart_folder(), "--text", kSource, "--target", kTarget, "--attention",
                                     "cross", "--token", "2", "--key", "4", "--size", size},
                                    png);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_THAT(r.out, HasSubstr(attention)) << r.out;
        EXPECT_EQ(selection_line(r.out), "selection: cross layer 0, head 0, query 2 'w11', key 4 'w8', writes '" +
                                             written_word(*trace, 3) + "'");
        EXPECT_THAT(r.out, HasSubstr("target asked: forced 'w11 w12'"));
        const Rect grid = regions(r.out).at("heatmap");
        EXPECT_NEAR(static_cast<double>(grid.w) / grid.h, static_cast<double>(cols) / rows, 0.08) << size << ": cells are square";
        const Image img = read_png(png);
        EXPECT_GT(distinct_colours(img, grid), 12u) << size;
    }
    for (const char* view : {"tokens", "overview", "steps", "compare"}) {
        fs::path png;
        const AppRun r = screenshot(std::string("cross-") + view, {"--no-settings", "--model", bart_folder(), "--text", kSource, "--target",
                                                                   kTarget, "--view", view, "--size", "1280x720"},
                                    png);
        ASSERT_EQ(r.exit_code, 0) << view << ": " << r.err;
        EXPECT_THAT(r.out, HasSubstr(attention)) << view << " (cross is the default of an encoder-decoder)";
        EXPECT_GT(distinct_colours(read_png(png), Rect{0, 0, 1280, 720}), 50u) << view;
    }
}

// The switch: each kind of attention with its own shape, the selection clamped to it (the
// encoder has fewer layers and heads than the decoder), and a chosen key kept in its sequence.
TEST_F(GuiApp, TheSwitchShowsEachKindOfAttentionInItsOwnShape) {
    if (bart_folder().empty()) GTEST_SKIP() << "the seq2seq reference script did not run (python3-numpy?)";
    const auto trace = bart_trace(std::string(kTarget));
    ASSERT_TRUE(trace);
    const std::string t = std::to_string(trace->n_tokens()), s = std::to_string(trace->source_tokens.size());
    const fs::path script = write_script("switch", "0 screenshot-ready " + shot("switch-first.png") + "\n"  // selects come after the first trace
                                                   "1 select 2 3 1 5\n"
                                                   "1 screenshot-ready " + shot("switch-cross.png") + "\n"
                                                   "2 attention encoder\n"
                                                   "2 screenshot-ready " + shot("switch-encoder.png") + "\n"
                                                   "3 attention decoder\n"
                                                   "3 select 2 3 2 1\n"
                                                   "3 screenshot-ready " + shot("switch-decoder.png") + "\n"
                                                   "4 quit\n");
    const AppRun r = play(on_bart(), script, "the switch");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> attention = all_lines(r.out, "attention: "), selection = all_lines(r.out, "selection: ");
    ASSERT_EQ(attention.size(), 4u) << r.out;
    ASSERT_EQ(selection.size(), 4u);
    EXPECT_EQ(selection.front(), "selection: cross layer 0, head 0, query " + std::to_string(trace->n_tokens() - 1) +  " '" + token_label(*trace, trace->n_tokens() - 1) + "', key none, writes '</s>'")
        << "cross-attention first, the last target token as the query";
    attention.erase(attention.begin());
    selection.erase(selection.begin());
    EXPECT_EQ(attention,
              (std::vector<std::string>{"attention: cross, rows " + t + " target tokens, columns " + s + " source tokens, 3 layers x 4 heads",
                                        "attention: encoder, rows " + s + " source tokens, columns " + s + " source tokens, 2 layers x 2 heads",
                                        "attention: decoder, rows " + t + " target tokens, columns " + t + " target tokens, 3 layers x 4 heads"}));
    EXPECT_EQ(selection,
              (std::vector<std::string>{"selection: cross layer 2, head 3, query 1 '[CLS]', key 5 'w9', writes '" + written_word(*trace, 2) + "'",
                                        "selection: encoder layer 1, head 1, query 1 'w5', key 5 'w9'",
                                        "selection: decoder layer 2, head 3, query 2 'w11', key 1 '[CLS]'"}))
        << "the encoder has 2 layers of 2 heads: layer 2, head 3 became layer 1, head 1";
}

// A target the decoder cannot take (longer than its 32 positions): the message says why, the last
// good trace stays on screen, and "Translate again" brings the model's own translation back.
TEST_F(GuiApp, ATargetTheDecoderCannotTakeShowsWhyAndKeepsTheLastGoodTrace) {
    if (bart_folder().empty()) GTEST_SKIP() << "the seq2seq reference script did not run (python3-numpy?)";
    std::string too_long;
    for (int i = 0; i < 40; ++i) too_long += "w" + std::to_string(5 + i % 30) + " ";
    const fs::path script = write_script("bad-target", "0 screenshot-ready " + shot("target-good.png") + "\n"
                                                       "1 target " + too_long + "\n"
                                                       "1 screenshot-ready " + shot("target-too-long.png") + "\n"
                                                       "2 translate\n"
                                                       "2 screenshot-ready " + shot("target-translated.png") + "\n"
                                                       "3 quit\n");
    const AppRun r = play(on_bart(), script, "a target too long");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto translation = bart_trace(std::nullopt);
    ASSERT_TRUE(translation);
    const std::string good = script_report(r.out, "target-good.png"), bad = script_report(r.out, "target-too-long.png"),
                      again = script_report(r.out, "target-translated.png");
    const std::string forced_tokens = "trace " + std::to_string(bart_trace(std::string(kTarget))->n_tokens()) + " tokens";
    EXPECT_THAT(good, HasSubstr(forced_tokens));
    EXPECT_THAT(good, HasSubstr("problem none"));
    EXPECT_THAT(bad, HasSubstr(forced_tokens)) << "the last good trace stays";
    EXPECT_THAT(bad, HasSubstr("problem the target has 4")) << bad;
    EXPECT_THAT(bad, HasSubstr("the decoder takes at most 32"));
    EXPECT_THAT(again, HasSubstr("trace " + std::to_string(translation->n_tokens()) + " tokens"));
    EXPECT_THAT(again, HasSubstr("text matches yes"));
    EXPECT_EQ(all_lines(r.out, "target shown: "), (std::vector<std::string>{"target shown: w11 w12", "target shown: w11 w12",
                                                                            "target shown: " + translation->text}));
    EXPECT_EQ(all_lines(r.out, "target asked: ").back(), "target asked: the model's translation");
}

TEST_F(GuiApp, TheEncoderDecoderFlagsAreInTheUsageAndBadValuesExitTwo) {
    AppRun r = run({"--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.out, HasSubstr("--target"));
    EXPECT_THAT(r.out, HasSubstr("--attention"));
    EXPECT_THAT(r.out, HasSubstr("encoder (source x source)"));
    r = run({"--attention", "sideways", "--screenshot", (scratch_dir() / "never.png").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("--attention"));
    if (bart_folder().empty()) return;
    r = run({"--no-settings", "--model", bart_folder(), "--text", kSource, "--attention", "encoder", "--layer", "2", "--screenshot",
             (scratch_dir() / "never.png").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("--layer 2: the attention's layer count has 2"));
}

}  // namespace
}  // namespace attnscope
