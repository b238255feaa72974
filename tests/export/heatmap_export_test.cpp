// One head as a CSV table and an SVG heatmap (attnscope/heatmap_export.h), for cross-attention's
// rectangle: 2 target tokens (rows) x 3 source tokens (columns), every number worked by hand.
// A square head's files are covered by tests/cli/cli_test.cpp (CliExport) and tests/gui/export_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <utility>

#include "attnscope/heatmap_export.h"
#include "export/svg_check.h"
#include "test_scratch.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using namespace attnscope::testing;  // svg_check.h: well_formed, elements, token

// "the river bank" -> "<s> la": one cross layer, one head, its matrices kept. By hand:
//   <s> -> [0.5, 0.25, 0.25]     = softmax([ln 2, 0, 0]): [2, 1, 1] / 4
//   la  -> [0.125, 0.125, 0.75]  = softmax([0, 0, ln 6]): [1, 1, 6] / 8
Trace cross_trace() {
    Trace t;
    t.model.name = "tiny";
    t.text = "la";
    t.tokens = {token(0, 0, "<s>"), token(0, 2)};
    t.source_text = "the river bank";
    t.source_tokens = {token(0, 3), token(4, 9), token(10, 14)};
    LayerTrace layer;
    layer.cross = true;
    HeadTrace h;
    h.weights = (Matrix(2, 3) << 0.5f, 0.25f, 0.25f, 0.125f, 0.125f, 0.75f).finished();
    h.scores = (Matrix(2, 3) << std::log(2.0f), 0, 0, 0, 0, std::log(6.0f)).finished();
    layer.heads = {h};
    t.layers = {layer};
    return t;
}

TEST(HeadCsv, ACrossHeadHasATargetRowPerQueryAndASourceColumnPerKey) {
    EXPECT_EQ(head_csv(cross_trace(), 0, 0, HeatmapField::Weights),
              "target\\source,the,river,bank\n"
              "<s>,0.5,0.25,0.25\n"
              "la,0.125,0.125,0.75\n");
    // ln 2 = 0.693147182, ln 6 = 1.79175949 (as floats, to 9 digits)
    EXPECT_EQ(head_csv(cross_trace(), 0, 0, HeatmapField::Scores),
              "target\\source (scaled score),the,river,bank\n"
              "<s>,0.693147182,0,0\n"
              "la,0,0,1.79175949\n");
}

// The layout, worked by hand: the longest label is "river" (5 code points), so the grid starts
// at left 30 + 8 * 5 = 70 and top 70 + 6 * 5 = 100; cells are 640 / 3 -> 44 at most; the
// legend stands 30 right of 3 columns: 70 + 3 * 44 + 30 = 232, and the figure is 232 + 110 wide.
TEST(HeadSvg, ACrossHeadDrawsTwoRowsOfThreeCellsWithBothTextsNamed) {
    const std::string svg = head_svg(cross_trace(), 0, 0, HeatmapField::Weights);
    EXPECT_TRUE(well_formed(svg));
    EXPECT_EQ(elements(svg, "svg").front().at("width"), "342");
    std::vector<std::pair<std::string, std::string>> cells;  // (x, y) of every cell with a tooltip
    for (const auto& rect : elements(svg, "rect"))
        if (rect.count("x") && rect.at("width") == "44") cells.emplace_back(rect.at("x"), rect.at("y"));
    ASSERT_EQ(cells.size(), 6u);
    EXPECT_EQ(cells.back(), (std::pair<std::string, std::string>{"158", "144"})) << "la -> bank: row 1, column 2";
    EXPECT_THAT(svg, HasSubstr("<title>la \xE2\x86\x92 bank: score 1.792, weight 0.75</title>"));
    EXPECT_THAT(svg, HasSubstr("tiny \xC2\xB7 cross-attention \xC2\xB7 layer 0, head 0"));
    EXPECT_THAT(svg, HasSubstr(">the river bank \xE2\x86\x92 la</text>"));
    EXPECT_THAT(svg, HasSubstr("rows: target tokens"));
    EXPECT_THAT(svg, HasSubstr("rotate(-45)' font-size='14'>bank</text>")) << "a column per source token";
    EXPECT_THAT(svg, ::testing::Not(HasSubstr("rotate(-45)' font-size='14'>la</text>"))) << "no column per target token";
}

// The limit holds the longer side: 2 queries over 1,025 keys is too wide for an SVG.
TEST(ExportHead, RefusesACrossHeadWhoseKeysPassTheLimit) {
    Trace t = cross_trace();
    t.source_tokens.assign(1025, token(0, 3));
    HeadTrace& h = t.layers[0].heads[0];
    h.weights = Matrix::Constant(2, 1025, 1.0f / 1025);
    h.scores = Matrix::Zero(2, 1025);
    const std::filesystem::path file = attnscope::testing::test_scratch_dir() / "wide.svg";
    const auto written = export_head(t, 0, 0, file);
    ASSERT_FALSE(written.ok());
    EXPECT_THAT(written.error().message, HasSubstr("one head of 2 x 1025 tokens is 2 x 1025 cells; .svg exports take texts of at most 1024"));
    EXPECT_FALSE(std::filesystem::exists(file));
}

}  // namespace
}  // namespace attnscope
