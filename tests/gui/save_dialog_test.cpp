// Saving an export (issue 14): which file the save browser's typed name means and when it asks
// before replacing one (widgets/save_name.h), the arguments zenity gets, the names and the
// extension of the new figures, and the script names that export them without a dialog.
// Sections: [SECTION] Save browser  [SECTION] Export files  [SECTION] Script
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_scratch.h"
#include "shell/export.h"
#include "two_token_trace.h"
#include "shell/script.h"
#include "widgets/file_browser.h"
#include "widgets/save_name.h"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Verdict = SaveCheck::Verdict;

// [SECTION] Save browser

TEST(SaveName, ATypedNameLandsInTheFolderWithTheExtensionAdded) {
    const fs::path dir = attnscope::testing::test_scratch_dir();
    const SaveCheck c = check_save_name(dir, "figure", ".svg");
    EXPECT_EQ(c.verdict, Verdict::Save);
    EXPECT_EQ(c.path, dir / "figure.svg");
    EXPECT_EQ(check_save_name(dir, "  figure.svg \t", ".svg").path, dir / "figure.svg") << "blanks around the name go";
    EXPECT_EQ(check_save_name(dir, "figure.SVG", ".svg").path, dir / "figure.SVG") << "the extension in any case";
    EXPECT_EQ(check_save_name(dir, "notes.txt", ".svg").path, dir / "notes.txt.svg") << "a figure is always a .svg";
}

TEST(SaveName, AnExistingFileIsAskedAboutBeforeItIsReplaced) {
    const fs::path dir = attnscope::testing::test_scratch_dir();
    std::ofstream(dir / "taken.svg") << "old";
    const SaveCheck c = check_save_name(dir, "taken", ".svg");
    EXPECT_EQ(c.verdict, Verdict::AskToReplace);
    EXPECT_EQ(c.path, dir / "taken.svg");
    EXPECT_EQ(check_save_name(dir, "free", ".svg").verdict, Verdict::Save);
}

TEST(SaveName, PathsAreReadFromTheFolderOrAsTheyAreWhenAbsolute) {
    const fs::path dir = attnscope::testing::test_scratch_dir();
    fs::create_directories(dir / "slides");
    fs::create_directories(dir / "elsewhere");
    EXPECT_EQ(check_save_name(dir / "slides", "../x", ".svg").path, dir / "x.svg");
    EXPECT_EQ(check_save_name(dir, "slides/x", ".svg").path, dir / "slides" / "x.svg");
    const SaveCheck absolute = check_save_name(dir / "slides", (dir / "elsewhere" / "y.svg").string(), ".svg");
    EXPECT_EQ(absolute.verdict, Verdict::Save);
    EXPECT_EQ(absolute.path, dir / "elsewhere" / "y.svg");
}

TEST(SaveName, RefusesEmptyNamesFoldersAndFoldersThatDoNotExist) {
    const fs::path dir = attnscope::testing::test_scratch_dir();
    fs::create_directories(dir / "figures.svg");
    fs::create_directories(dir / "slides");
    for (const char* empty : {"", "   "}) EXPECT_EQ(check_save_name(dir, empty, ".svg").verdict, Verdict::Refuse) << "'" << empty << "'";
    EXPECT_THAT(check_save_name(dir, "", ".svg").problem, HasSubstr("type a file name"));
    EXPECT_THAT(check_save_name(dir, "slides/", ".svg").problem, HasSubstr("is a folder"));
    EXPECT_THAT(check_save_name(dir, "..", ".svg").problem, HasSubstr("is a folder"));
    EXPECT_THAT(check_save_name(dir, "figures.svg", ".svg").problem, HasSubstr("figures.svg is a folder"));
    const SaveCheck missing = check_save_name(dir, "missing/x.svg", ".svg");
    EXPECT_EQ(missing.verdict, Verdict::Refuse);
    EXPECT_THAT(missing.problem, HasSubstr((dir / "missing").string() + ": no such folder"));
}

// The desktop's dialog: zenity --file-selection --save --confirm-overwrite, the suggested name in
// the folder the last export went to.
TEST(ZenitySave, AsksForASaveNameConfirmingOverwritesAndSuggestsOne) {
    const std::vector<std::string> args = zenity_save_arguments("/home/ann/slides", "attnscope-bank-overview.svg", "Overview as SVG");
    ASSERT_GE(args.size(), 6u);
    EXPECT_EQ(args[0], "zenity");
    auto has = [&](const std::string& a) { return std::find(args.begin(), args.end(), a) != args.end(); };
    EXPECT_TRUE(has("--file-selection"));
    EXPECT_TRUE(has("--save"));
    EXPECT_TRUE(has("--confirm-overwrite"));
    EXPECT_TRUE(has("--filename=/home/ann/slides/attnscope-bank-overview.svg"));
    EXPECT_TRUE(has("--title=Export: Overview as SVG"));
    EXPECT_TRUE(has("--file-filter=svg files | *.svg"));
}

// [SECTION] Export files

TEST(ExportNames, TheNewFiguresSayWhatTheyShow) {
    EXPECT_EQ(export_stem("I took the money", 1, 3, ExportKind::TokenViewSvg), "attnscope-i-took-the-money-L1H3-tokens");
    EXPECT_EQ(export_stem("I took the money", 1, 3, ExportKind::OverviewSvg), "attnscope-i-took-the-money-overview");
    EXPECT_EQ(export_stem("I took the money", 1, 3, ExportKind::HeatmapSvg), "attnscope-i-took-the-money-L1H3");
    EXPECT_STREQ(export_extension(ExportKind::TokenViewSvg), ".svg");
    EXPECT_STREQ(export_extension(ExportKind::OverviewSvg), ".svg");
    EXPECT_STREQ(kExportLabels[static_cast<int>(ExportKind::TokenViewSvg)], "Token view as SVG");
    EXPECT_STREQ(kExportLabels[static_cast<int>(ExportKind::OverviewSvg)], "Overview as SVG");
}

TEST(ExportNames, AChosenNameGetsTheKindsExtensionUnlessItHasIt) {
    EXPECT_EQ(with_export_extension("/a/fig", ExportKind::OverviewSvg), fs::path("/a/fig.svg"));
    EXPECT_EQ(with_export_extension("/a/fig.svg", ExportKind::OverviewSvg), fs::path("/a/fig.svg"));
    EXPECT_EQ(with_export_extension("/a/fig.SVG", ExportKind::HeatmapSvg), fs::path("/a/fig.SVG"));
    EXPECT_EQ(with_export_extension("/a/fig.svg", ExportKind::WeightsCsv), fs::path("/a/fig.svg.csv"));
    EXPECT_EQ(with_export_extension("/a/shot", ExportKind::WindowPng), fs::path("/a/shot.png"));
}

using attnscope::testing::two_token_trace;

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(WriteExport, WritesTheTokenViewAndTheOverviewOfTheSubject) {
    const fs::path dir = attnscope::testing::test_scratch_dir();
    ExportSubject subject;
    subject.query = 1;
    const auto tokens = write_export(two_token_trace(), ExportKind::TokenViewSvg, subject, dir / "tokens.svg");
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    const std::string token_svg = slurp(dir / "tokens.svg");
    EXPECT_THAT(token_svg, HasSubstr("data-query='1' data-key='1' data-weight='0.75'"));
    subject.colormap = Colormap::Greys;
    ASSERT_TRUE(write_export(two_token_trace(), ExportKind::OverviewSvg, subject, dir / "overview.svg").ok());
    const std::string overview = slurp(dir / "overview.svg");
    EXPECT_THAT(overview, HasSubstr("class='head' data-layer='0' data-head='0'"));
    EXPECT_THAT(overview, HasSubstr("<rect x='0' y='1' width='1' height='1' fill='#404040'/>")) << "0.25 in greys";
    subject.contrast = true;
    ASSERT_TRUE(write_export(two_token_trace(), ExportKind::OverviewSvg, subject, dir / "contrast.svg").ok());
    EXPECT_THAT(slurp(dir / "contrast.svg"), HasSubstr("<rect x='0' y='1' width='1' height='1' fill='#808080'/>")) << "sqrt 0.25";
}

// The format follows the kind, not the name the user typed; the heatmap takes the app's colours.
TEST(WriteExport, TheKindDecidesTheFormatAndTheHeatmapUsesTheChosenColours) {
    const fs::path dir = attnscope::testing::test_scratch_dir();
    ExportSubject subject;
    subject.colormap = Colormap::Greys;
    ASSERT_TRUE(write_export(two_token_trace(), ExportKind::HeatmapSvg, subject, dir / "heatmap.txt").ok());
    const std::string svg = slurp(dir / "heatmap.txt");
    EXPECT_THAT(svg, HasSubstr("<svg"));
    EXPECT_THAT(svg, HasSubstr("fill='#ffffff'")) << "weight 1 in greys, not viridis' #fde725";
    EXPECT_FALSE(write_export(two_token_trace(), ExportKind::WindowPng, subject, dir / "x.png").ok());
    EXPECT_FALSE(fs::exists(dir / "x.png"));
}

// [SECTION] Script

Result<std::vector<ScriptStep>> script_of(const std::string& lines) {
    const fs::path file = attnscope::testing::test_scratch_dir() / "steps.script";
    std::ofstream(file) << lines;
    return load_script(file.string());
}

TEST(ScriptExport, NamesEveryKindAndKeepsTheOldNames) {
    const auto steps = script_of("1 export tokens-svg\n2 export overview-svg\n3 export svg\n4 export png\n5 export copy\n"
                                 "6 export-browser overview-svg\n");
    ASSERT_TRUE(steps.ok()) << steps.error().message;
    const std::vector<ScriptStep>& s = steps.value();
    ASSERT_EQ(s.size(), 6u);
    EXPECT_EQ(s[0].export_kind, static_cast<int>(ExportKind::TokenViewSvg));
    EXPECT_EQ(s[1].export_kind, static_cast<int>(ExportKind::OverviewSvg));
    EXPECT_EQ(s[2].export_kind, static_cast<int>(ExportKind::HeatmapSvg));
    EXPECT_EQ(s[3].export_kind, static_cast<int>(ExportKind::WindowPng));
    EXPECT_EQ(s[4].export_kind, static_cast<int>(ExportKind::CopyWeights));
    EXPECT_EQ(s[0].kind, ScriptStep::Kind::Export);
    EXPECT_EQ(s[5].kind, ScriptStep::Kind::ExportBrowser);
    EXPECT_EQ(s[5].export_kind, static_cast<int>(ExportKind::OverviewSvg));
}

TEST(ScriptExport, AnUnknownKindNamesTheChoices) {
    const auto bad = script_of("1 export pdf\n");
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.error().message, HasSubstr(":1: 'export' needs png, svg, tokens-svg, overview-svg, csv, json or copy"));
    const auto copy = script_of("1 export-browser copy\n");
    ASSERT_FALSE(copy.ok()) << "the clipboard needs no file name";
    EXPECT_THAT(copy.error().message, HasSubstr("'export-browser' needs png, svg, tokens-svg, overview-svg, csv or json"));
}

}  // namespace
}  // namespace attnscope::gui
