// Export (app/gui/shell/export.h): file names say what they show and never overwrite; the weights
// table pastes as cells. Expected tables are written out by hand for a 2-token trace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>

#include "../test_scratch.h"
#include "attnscope/heatmap_export.h"
#include "shell/export.h"
#include "two_token_trace.h"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;

using attnscope::testing::two_token_trace;

TEST(Export, NamesFilesAfterTheTextAndTheHead) {
    EXPECT_EQ(export_stem("I took the money, to the bank!", 1, 3, ExportKind::HeatmapSvg), "attnscope-i-took-the-money-to-the-bank-L1H3");
    EXPECT_EQ(export_stem("I took the money", 1, 3, ExportKind::WindowPng), "attnscope-i-took-the-money");
    EXPECT_EQ(export_stem("?!", 0, 0, ExportKind::WeightsCsv), "attnscope-text-L0H0");
}

TEST(Export, KeepsAtMost32CharactersOfText) {
    const std::string stem = export_stem(std::string(100, 'a'), 0, 0, ExportKind::WindowPng);
    EXPECT_EQ(stem, "attnscope-" + std::string(32, 'a'));
}

TEST(Export, NeverOverwritesAnEarlierExport) {
    const fs::path dir = attnscope::testing::test_scratch_dir();  // empty at first
    EXPECT_EQ(unused_export_path(dir, "x", ExportKind::HeatmapSvg), dir / "x.svg");
    std::ofstream(dir / "x.svg") << "old";
    EXPECT_EQ(unused_export_path(dir, "x", ExportKind::HeatmapSvg), dir / "x-2.svg");
    std::ofstream(dir / "x-2.svg") << "old";
    EXPECT_EQ(unused_export_path(dir, "x", ExportKind::HeatmapSvg), dir / "x-3.svg");
}

TEST(Export, CopiesTheWeightsAsATabSeparatedTable) {
    EXPECT_EQ(weights_table_tsv(two_token_trace(), 0, 0),
              "query \\ key\tto\tbank\n"
              "to\t1.000\t0.000\n"
              "bank\t0.250\t0.750\n");
}

TEST(Export, WritesTheHeadAsSvgCsvAndJson) {
    const fs::path dir = attnscope::testing::test_scratch_dir();  // empty at first
    for (ExportKind kind : {ExportKind::HeatmapSvg, ExportKind::WeightsCsv}) {
        const fs::path file = unused_export_path(dir, "head", kind);
        const auto written = export_head_file(two_token_trace(), 0, 0, kind, file);
        ASSERT_TRUE(written.ok()) << written.error().message;
        EXPECT_GT(fs::file_size(file), 20u);
    }
    std::ifstream csv(dir / "head.csv");
    std::string header;
    std::getline(csv, header);
    EXPECT_THAT(header, ::testing::HasSubstr("to,bank"));
    EXPECT_FALSE(export_head_file(two_token_trace(), 0, 0, ExportKind::WindowPng, dir / "x.png").ok());
}

// One head of a long text is n x n cells: an SVG past 1,024 tokens, a CSV past 4,096, is refused
// with the sizes and the CLI command that writes any length, and no file is left behind.
TEST(Export, ALongTextsHeadIsRefusedBeforeAnyCellIsWritten) {
    const fs::path dir = attnscope::testing::test_scratch_dir();
    auto long_trace = [](int n) {
        Trace t;
        t.tokens.resize(static_cast<std::size_t>(n));
        HeadTrace h;
        h.q = h.k = h.v = Matrix::Zero(n, 2);
        t.layers.resize(1);
        t.layers[0].heads = {h};
        return t;
    };
    const auto svg = export_head(long_trace(1025), 0, 0, dir / "long.svg");
    ASSERT_FALSE(svg.ok());
    EXPECT_THAT(svg.error().message, ::testing::HasSubstr("1025 x 1025 cells; .svg exports take texts of at most 1024 tokens"));
    EXPECT_THAT(svg.error().message, ::testing::HasSubstr("attnscope-cli trace --layer L --head H"));
    const auto csv = export_head(long_trace(4097), 0, 0, dir / "long.csv");
    ASSERT_FALSE(csv.ok());
    EXPECT_THAT(csv.error().message, ::testing::HasSubstr(".csv exports take texts of at most 4096 tokens"));
    EXPECT_FALSE(fs::exists(dir / "long.svg"));
    EXPECT_FALSE(fs::exists(dir / "long.csv"));
    const fs::path csv_ok = dir / "fits.csv";
    ASSERT_TRUE(export_head(long_trace(1025), 0, 0, csv_ok).ok()) << "a CSV of 1,025 tokens is within its limit";
    EXPECT_GT(fs::file_size(csv_ok), 1025u * 1025u);
}

}  // namespace
}  // namespace attnscope::gui
