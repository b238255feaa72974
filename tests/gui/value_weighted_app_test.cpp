// The value-weighted switch in the real app under Xvfb (issue 18): --field and the script's
// `field` change what the heatmap's report says and the numbers of the query's row, the picture
// changes with them, and an encoder-decoder says in one line why it has none.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gui_app_fixture.h"

namespace attnscope::testing {
namespace {

using ::testing::HasSubstr;

// "heatmap row 6 'bank' value-weighted: 0.012 0.310 ..." -> the field's name and the numbers.
struct ShownRow {
    std::string field;
    std::vector<float> values;
};

ShownRow shown_row(const std::string& report) {
    std::smatch m;
    ShownRow row;
    if (!std::regex_search(report, m, std::regex("heatmap row \\d+ '[^']*' (\\S+):([^\\n]*)"))) return row;
    row.field = m[1].str();
    std::istringstream numbers(m[2].str());
    for (float v; numbers >> v;) row.values.push_back(v);
    return row;
}

float sum(const std::vector<float>& v) {
    float s = 0.0f;
    for (float x : v) s += x;
    return s;
}

// bank-decoder, layer 1 head 0, query "bank" (token 6 of the example): the picture of weights,
// then the same frame value-weighted, in one run (the switch mid-run asks the worker again).
TEST_F(GuiApp, SwitchingToValueWeightedChangesTheHeatmapsReportAndNumbers) {
    const fs::path script = write_script("value-weighted", "0 screenshot-ready " + shot("vw-weights.png") + "\n"
                                                           "1 field value-weighted\n"
                                                           "2 screenshot-ready " + shot("vw-heads.png") + "\n"
                                                           "3 field value-weighted-layer\n"
                                                           "4 screenshot-ready " + shot("vw-layer.png") + "\n"
                                                           "4 quit\n");
    const AppRun r = play({"--no-settings", "--model", "builtin:bank-decoder", "--text", "I went to the bank to get money",
                           "--layer", "1", "--head", "0", "--token", "4", "--size", "1280x720"},
                          script, "value-weighted");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string weights = script_report(r.out, "vw-weights.png"), heads = script_report(r.out, "vw-heads.png"),
                      layer = script_report(r.out, "vw-layer.png");
    ASSERT_FALSE(weights.empty() || heads.empty() || layer.empty()) << r.out;
    // script_report gives the screenshot's own line; the view state follows it in the output.
    auto after = [&](const std::string& png) { return r.out.substr(r.out.find(png)); };
    EXPECT_THAT(after("vw-weights.png"), HasSubstr("heatmap weights at zoom"));
    EXPECT_THAT(after("vw-heads.png"), HasSubstr("heatmap value-weighted at zoom"));
    EXPECT_THAT(after("vw-layer.png"), HasSubstr("heatmap value-weighted-layer at zoom"));
    const ShownRow w = shown_row(after("vw-weights.png")), v = shown_row(after("vw-heads.png")), s = shown_row(after("vw-layer.png"));
    ASSERT_EQ(w.field, "weights") << r.out;
    ASSERT_EQ(v.field, "value-weighted") << r.out;
    ASSERT_EQ(s.field, "value-weighted-layer") << r.out;
    ASSERT_EQ(w.values.size(), v.values.size());
    EXPECT_NEAR(sum(v.values), 1.0f, 0.01f) << "a row of shares adds up to 1, as the weights do";
    EXPECT_NEAR(sum(s.values), 1.0f, 0.01f);
    EXPECT_NE(w.values, v.values) << "the numbers shown are no longer the weights";
    EXPECT_NE(v.values, s.values) << "the layer's heads summed differ from one head";
    // ... and so do the heatmap's pixels.
    const Image a = read_png(scratch_dir() / "vw-weights.png"), b = read_png(scratch_dir() / "vw-heads.png");
    const Rect grid = regions(after("vw-heads.png"))["heatmap"];
    ASSERT_GT(grid.w, 50);
    int changed = 0;
    for (int y = grid.y; y < grid.y + grid.h; y += 2)
        for (int x = grid.x; x < grid.x + grid.w; x += 2) changed += a.pixel(x, y) != b.pixel(x, y);
    EXPECT_GT(changed, 100) << "the grid's colours follow the switch";
}

TEST_F(GuiApp, AnEncoderDecoderSaysWhyItHasNoValueWeightedView) {
    fs::path png;
    const AppRun r = screenshot("vw-translator", {"--no-settings", "--model", "builtin:translator", "--field", "value-weighted",
                                                  "--size", "1280x720"},
                                png);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("heatmap row: no value-weighted view: encoder-decoders")) << r.out;
}

}  // namespace
}  // namespace attnscope::testing
