// The token view and overview figures (attnscope/view_svg.h): well-formed XML, one element per
// token, line and head, and numbers worked out by hand for a 3-token trace: a line's opacity and
// width from its weight, a thumbnail cell's colour from the published colormap anchors.
// Sections: [SECTION] Helpers  [SECTION] Token view  [SECTION] Overview
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "attnscope/view_svg.h"
#include "export/svg_check.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using namespace attnscope::testing;  // svg_check.h: well_formed, elements, token

// [SECTION] Helpers

constexpr float kInf = std::numeric_limits<float>::infinity();

// "i took money", 2 causal layers of 2 heads. Layer 0, head 0 (by hand, rows sum to 1):
//   i     -> [1, 0, 0]            scores [0, -inf, -inf]
//   took  -> [0.25, 0.75, 0]      softmax([0, ln 3]) = [1, 3] / 4
//   money -> [0.125, 0.25, 0.625] softmax([0, ln 2, ln 5]) = [1, 2, 5] / 8
// Layer 1, head 0: took -> [0.5, 0.5]. The other heads attend to themselves only.
Trace three_token_trace() {
    Trace t;
    t.model.name = "tiny";
    t.text = "i took money";
    t.tokens = {token(0, 1), token(2, 6), token(7, 12)};
    Matrix self = Matrix::Identity(3, 3);
    Matrix self_scores(3, 3);
    self_scores << 0, -kInf, -kInf, 0, 0, -kInf, 0, 0, 0;
    t.layers.resize(2);
    for (LayerTrace& layer : t.layers) {
        layer.causal = true;
        layer.heads.resize(2);
        for (HeadTrace& h : layer.heads) {
            h.weights = self;
            h.scores = self_scores;
        }
    }
    HeadTrace& h00 = t.layers[0].heads[0];
    h00.weights << 1, 0, 0, 0.25f, 0.75f, 0, 0.125f, 0.25f, 0.625f;
    h00.scores << 0, -kInf, -kInf, 0, std::log(3.0f), -kInf, 0, std::log(2.0f), std::log(5.0f);
    t.layers[1].heads[0].weights << 1, 0, 0, 0.5f, 0.5f, 0, 0.125f, 0.25f, 0.625f;
    return t;
}

double number(const Attributes& a, const std::string& key) { return std::stod(a.at(key)); }

// [SECTION] Token view

TEST(TokenViewSvg, IsWellFormedWithATextAndAnElementPerToken) {
    const std::string svg = token_view_svg(three_token_trace(), 0, 0, 2, 1);
    EXPECT_TRUE(well_formed(svg));
    EXPECT_EQ(elements(svg, "text", "query-token").size(), 3u);
    EXPECT_EQ(elements(svg, "text", "key-token").size(), 3u);
    EXPECT_THAT(svg, HasSubstr(">money</text>"));
    EXPECT_EQ(elements(svg, "rect", "chip").size(), 2u) << "the query and the chosen key";
}

TEST(TokenViewSvg, DrawsALinePerWeightWithOpacityAndWidthFollowingIt) {
    const std::string svg = token_view_svg(three_token_trace(), 0, 0, 2);
    const std::vector<Attributes> lines = elements(svg, "line", "weight");
    ASSERT_EQ(lines.size(), 3u) << "money looks at i, took and itself";
    const double weights[] = {0.125, 0.25, 0.625};
    for (int j = 0; j < 3; ++j) {
        const Attributes& line = lines[static_cast<std::size_t>(j)];
        EXPECT_EQ(line.at("data-query"), "2");
        EXPECT_EQ(line.at("data-key"), std::to_string(j));
        EXPECT_NEAR(number(line, "data-weight"), weights[j], 1e-6);
        // opacity 0.2 + 0.8 w: 0.3, 0.4, 0.7; width 1 + 12 w: 2.5, 4, 8.5
        EXPECT_NEAR(number(line, "stroke-opacity"), 0.2 + 0.8 * weights[j], 1e-4) << "key " << j;
        EXPECT_NEAR(number(line, "stroke-width"), 1.0 + 12.0 * weights[j], 1e-4) << "key " << j;
    }
    EXPECT_GT(number(lines[2], "y2"), number(lines[0], "y2")) << "keys go down the column in order";
    EXPECT_EQ(number(lines[0], "y1"), number(lines[2], "y1")) << "all from the query's row";
}

TEST(TokenViewSvg, ShowsTheQuerysWeightsAsBarsAndMaskedKeysAsMasked) {
    const std::string first = token_view_svg(three_token_trace(), 0, 0, 0);
    EXPECT_EQ(elements(first, "line", "weight").size(), 1u) << "'i' sees only itself";
    EXPECT_EQ(elements(first, "rect", "bar").size(), 1u);
    EXPECT_EQ(elements(first, "text", "masked").size(), 2u) << "took and money come after i";
    const std::string last = token_view_svg(three_token_trace(), 0, 0, 2);
    const std::vector<Attributes> bars = elements(last, "rect", "bar");
    ASSERT_EQ(bars.size(), 3u);
    EXPECT_NEAR(number(bars[2], "width") / number(bars[1], "width"), 0.625 / 0.25, 1e-3) << "bar length follows the weight";
    EXPECT_THAT(last, HasSubstr(">0.62</text>"));
}

TEST(TokenViewSvg, LeavesOutWeightsBelowTheThreshold) {
    Trace t = three_token_trace();
    t.layers[0].heads[0].weights.row(2) << 0.004f, 0.371f, 0.625f;
    EXPECT_EQ(elements(token_view_svg(t, 0, 0, 2), "line", "weight").size(), 2u);
}

TEST(TokenViewSvg, WithoutAQueryDrawsEveryQuerysLinesFainter) {
    const std::string svg = token_view_svg(three_token_trace(), 0, 0, -1);
    EXPECT_TRUE(well_formed(svg));
    const std::vector<Attributes> lines = elements(svg, "line", "weight");
    ASSERT_EQ(lines.size(), 6u) << "1 + 2 + 3 weights above zero";
    for (const Attributes& line : lines) {
        const double w = number(line, "data-weight");
        EXPECT_NEAR(number(line, "stroke-opacity"), 0.8 * w, 1e-4);
        EXPECT_NEAR(number(line, "stroke-width"), 0.5 + 6.0 * w, 1e-4);
    }
    EXPECT_TRUE(elements(svg, "rect", "bar").empty());
    EXPECT_TRUE(elements(svg, "rect", "chip").empty());
}

TEST(TokenViewSvg, ACrossLayersKeysAreTheSourcesTokens) {
    Trace t = three_token_trace();
    t.source_text = "la banque";
    t.source_tokens = {token(0, 2), token(3, 9)};
    LayerTrace& cross = t.layers[1];
    cross.cross = true;
    cross.causal = false;
    cross.heads[0].weights = Matrix(3, 2);
    cross.heads[0].weights << 0.5f, 0.5f, 0.25f, 0.75f, 0.125f, 0.875f;
    cross.heads[0].scores = Matrix::Zero(3, 2);
    const std::string svg = token_view_svg(t, 1, 0, 1);
    EXPECT_TRUE(well_formed(svg));
    EXPECT_EQ(elements(svg, "text", "key-token").size(), 2u);
    EXPECT_THAT(svg, HasSubstr(">banque</text>"));
    const std::vector<Attributes> lines = elements(svg, "line", "weight");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NEAR(number(lines[1], "stroke-opacity"), 0.2 + 0.8 * 0.75, 1e-4);
}

TEST(TokenViewSvg, TokensOfAnyBytesKeepTheFileWellFormed) {
    Trace t = three_token_trace();
    t.text = "<b>&'\x01\"\xff";
    t.tokens = {token(0, 3), token(3, 5), token(5, 8)};
    t.model.name = "a & b <c>";
    EXPECT_TRUE(well_formed(token_view_svg(t, 0, 0, 1)));
    EXPECT_TRUE(well_formed(overview_svg(t)));
}

// [SECTION] Overview

// The cells of one head's thumbnail, by (row, column) in cell units.
std::map<std::pair<int, int>, std::string> cells_of(const std::string& svg, int layer, int head) {
    const std::string start = "<g class='head' data-layer='" + std::to_string(layer) + "' data-head='" + std::to_string(head) + "'";
    const std::size_t from = svg.find(start);
    if (from == std::string::npos) return {};
    const std::string group = svg.substr(from, svg.find("</g>", from) - from);  // to the cells' own </g>
    std::map<std::pair<int, int>, std::string> cells;
    for (const Attributes& a : elements(group, "rect")) cells[{std::stoi(a.at("y")), std::stoi(a.at("x"))}] = a.at("fill");
    return cells;
}

TEST(OverviewSvg, IsWellFormedWithAThumbnailAndLabelPerHead) {
    const std::string svg = overview_svg(three_token_trace());
    EXPECT_TRUE(well_formed(svg));
    EXPECT_EQ(elements(svg, "g", "head").size(), 4u) << "2 layers x 2 heads";
    EXPECT_EQ(elements(svg, "text", "layer-label").size(), 2u);
    EXPECT_EQ(elements(svg, "text", "head-label").size(), 2u);
    EXPECT_THAT(svg, HasSubstr(">L1</text>"));
    EXPECT_THAT(svg, HasSubstr(">H1</text>"));
    EXPECT_EQ(cells_of(svg, 1, 1).size(), 9u) << "a short text: one cell per weight";
}

// Greys is 255 w rounded: w = 0.25 -> 64 (#404040), 0.625 -> 159 (#9f9f9f), 1 -> #ffffff.
TEST(OverviewSvg, ColoursEachCellByItsWeightThroughTheColormap) {
    const auto cells = cells_of(overview_svg(three_token_trace(), Colormap::Greys), 0, 0);
    ASSERT_EQ(cells.size(), 9u);
    EXPECT_EQ(cells.at({0, 0}), "#ffffff");
    EXPECT_EQ(cells.at({1, 0}), "#404040");
    EXPECT_EQ(cells.at({2, 1}), "#404040");
    EXPECT_EQ(cells.at({2, 2}), "#9f9f9f");
    EXPECT_EQ(cells.at({0, 1}), "#e4e4e4") << "masked: 'took' comes after 'i'";
    EXPECT_EQ(cells.at({1, 2}), "#e4e4e4");
}

// Viridis between its anchors (rounded half up): 0.5 lies halfway from (38, 130, 142) to (31, 158, 137)
// -> (35, 144, 140).
TEST(OverviewSvg, UsesTheAppsViridisAnchors) {
    const auto cells = cells_of(overview_svg(three_token_trace()), 1, 0);
    EXPECT_EQ(cells.at({1, 0}), "#23908c");
    EXPECT_EQ(cells.at({0, 0}), "#fde725");
    EXPECT_EQ(cells.at({2, 0}), "#472c7a") << "0.125: an eighth from (72, 40, 120) to (62, 74, 137)";
}

TEST(OverviewSvg, ContrastColoursByTheSquareRootOfTheWeight) {
    const auto cells = cells_of(overview_svg(three_token_trace(), Colormap::Greys, OverviewScale::Contrast), 0, 0);
    EXPECT_EQ(cells.at({1, 0}), "#808080") << "sqrt(0.25) = 0.5 -> 128";
    EXPECT_EQ(cells.at({0, 0}), "#ffffff");
}

// 64 tokens in at most 32 cells a side: each cell covers 2 x 2 weights and keeps the largest.
TEST(OverviewSvg, PoolsALongTextsMapKeepingTheLargestWeight) {
    Trace t;
    t.tokens.resize(64);
    t.layers.resize(1);
    t.layers[0].heads.resize(1);
    HeadTrace& h = t.layers[0].heads[0];
    h.weights = Matrix::Zero(64, 64);
    h.scores = Matrix::Zero(64, 64);
    h.weights(41, 3) = 0.75f;
    const auto cells = cells_of(overview_svg(t, Colormap::Greys), 0, 0);
    EXPECT_EQ(cells.size(), 32u * 32u);
    EXPECT_EQ(cells.at({20, 1}), "#bfbfbf") << "rows 40-41, columns 2-3";
    EXPECT_EQ(cells.at({20, 2}), "#000000");
}

// A trace that keeps no matrices: the thumbnails come from the heads' pooled summaries, with the
// cells above the diagonal of a causal layer masked.
TEST(OverviewSvg, WithoutKeptMatricesDrawsThePooledSummaries) {
    Trace t;
    t.tokens.resize(40);
    t.layers.resize(1);
    t.layers[0].causal = true;
    t.layers[0].heads.resize(1);
    HeadTrace& h = t.layers[0].heads[0];
    h.q = h.k = h.v = Matrix::Zero(40, 2);
    h.summary.pooled = Matrix(2, 2);  // ceil(40 / 32) = 2 cells a side
    h.summary.pooled << 1.0f, 0.0f, 0.25f, 0.5f;
    ASSERT_FALSE(t.keeps_attention());
    const auto cells = cells_of(overview_svg(t, Colormap::Greys), 0, 0);
    ASSERT_EQ(cells.size(), 4u);
    EXPECT_EQ(cells.at({1, 0}), "#404040");
    EXPECT_EQ(cells.at({1, 1}), "#808080");
    EXPECT_EQ(cells.at({0, 1}), "#e4e4e4");
}

TEST(OverviewSvg, KeepsManyHeadsWithinTheCellBudget) {
    EXPECT_EQ(overview_cells(3, 4), 3);
    EXPECT_EQ(overview_cells(64, 1), 32);
    EXPECT_EQ(overview_cells(100, 1), 25) << "4 tokens a cell";
    EXPECT_EQ(overview_cells(1024, 1024), 16) << "16 x 16 x 1024 = the budget";
    EXPECT_LE(static_cast<long long>(overview_cells(4096, 144)) * overview_cells(4096, 144) * 144, kOverviewCellBudget);
}

}  // namespace
}  // namespace attnscope
