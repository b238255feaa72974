// An encoder-decoder on a projector's screens, played by the real app under Xvfb (issue 15):
// builtin:translator's source and target fields stand side by side, so the cross heatmap keeps at
// least half of the window's height with numbers in its cells; every row of chips brings its
// selected chip into view when the selection changes (a select, a lesson step); a zoomed-in
// heatmap keeps the selected row and its label on screen. The app's screenshot report says where
// things are ("region NAME x y w h", "heatmap cells 35.7 px, numbers 14.7 px"); the pixels say
// that the selected chip is really drawn where the report puts it. Without Xvfb the tests skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "gui_app_fixture.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using namespace attnscope::testing;

// [SECTION] The report and the picture

bool contains(const Rect& outer, const Rect& inner) {
    return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;
}

std::string text(const Rect& r) { return std::to_string(r.x) + "," + std::to_string(r.y) + " " + std::to_string(r.w) + "x" + std::to_string(r.h); }

// The type size of the heatmap's numbers in pixels, from "heatmap cells C px, numbers N px"; 0
// for "numbers none"; -1 when the line is missing.
double number_px(const std::string& report) {
    std::smatch m;
    if (!std::regex_search(report, m, std::regex(R"(heatmap cells [\d.]+ px, numbers (none|[\d.]+))"))) return -1.0;
    return m[1] == "none" ? 0.0 : std::stod(m[1]);
}

// All a --script run printed about the screenshot `png` (its line, regions, selection...): from
// its line to the next screenshot's.
std::string screenshot_section(const std::string& out, const std::string& png) {
    const auto at = out.find("script screenshot " + png + ":");
    if (at == std::string::npos) return "";
    const auto next = out.find("script screenshot ", at + 1);
    return out.substr(at, next == std::string::npos ? std::string::npos : next - at);
}

// A selected query is drawn in one colour on its chip and behind its row label in the heatmap
// (the theme's chip_query): a pixel inside the chip's left padding, left of its index, and one
// inside the label's background, left of its text.
unsigned chip_fill(const Image& img, const Rect& chip) { return img.pixel(chip.x + 3, chip.y + chip.h / 2); }
unsigned label_fill(const Image& img, const Rect& label) { return img.pixel(label.x - 2, label.y + label.h / 2); }

// The selected chip of the row `sequence` ("source", "target") lies in the part of its row on
// screen.
void expect_chip_in_view(const std::string& report, const std::string& sequence) {
    const auto found = regions(report);
    ASSERT_TRUE(found.count("chips-" + sequence) && found.count("chip-" + sequence + "-selected")) << report;
    const Rect row = found.at("chips-" + sequence), chip = found.at("chip-" + sequence + "-selected");
    EXPECT_TRUE(contains(row, chip)) << sequence << ": the selected chip at " << text(chip) << " is outside its row's view " << text(row);
}

// builtin:translator opens on cross-attention, the step writing "rive" (target chip 4) and "bank"
// (source chip 4); its sentence has 9 source and 11 target tokens.
class TranslatorLayout : public GuiApp {
protected:
    AppRun translator(const std::string& name, std::vector<std::string> args) {
        args.insert(args.begin(), {"--no-settings", "--model", "builtin:translator"});
        fs::path png;
        return screenshot(name, args, png);
    }
};

// [SECTION] The heatmap's share of the window

// At 1280 x 720 the source field, its chips, the target field and its chips stood one under the
// other and left the 11 x 9 cross grid 320 px of the 720, its numbers 12 px high; side by side
// they leave it more than half the height, numbers at 14 px or more. 1920 x 1080, in normal
// type, at text size 2 and in presentation mode, has room for the same.
TEST_F(TranslatorLayout, TheCrossHeatmapTakesHalfTheWindowWithReadableNumbers) {
    struct Screen {
        const char* name;
        std::vector<std::string> args;
        int height;
    };
    const std::vector<Screen> screens = {
        {"translator-720", {"--size", "1280x720"}, 720},
        {"translator-1080", {"--size", "1920x1080"}, 1080},
        {"translator-1080-text-2", {"--size", "1920x1080", "--font-scale", "2"}, 1080},
        {"translator-1080-presentation", {"--size", "1920x1080", "--presentation"}, 1080},
    };
    for (const Screen& s : screens) {
        SCOPED_TRACE(s.name);
        const AppRun r = translator(s.name, s.args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        ASSERT_THAT(r.out, HasSubstr("attention: cross, rows 11 target tokens, columns 9 source tokens")) << r.out;
        const auto found = regions(r.out);
        ASSERT_TRUE(found.count("heatmap")) << r.out;
        EXPECT_GE(found.at("heatmap").h * 2, s.height) << "the grid is less than half the window's height";
        EXPECT_GE(number_px(r.out), 14.0) << "the cells' numbers are missing or too small to read:\n" << r.out;
    }
}

// Presentation mode on a 1280 x 720 projector: 11 rows leave cells about 32 px high, too narrow
// as squares for a readable "0.00"; the columns take the spare width instead, and the numbers show.
TEST_F(TranslatorLayout, PresentationAt720WidensTheColumnsSoTheNumbersShow) {
    const AppRun r = translator("translator-720-presentation", {"--size", "1280x720", "--presentation"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto found = regions(r.out);
    ASSERT_TRUE(found.count("heatmap")) << r.out;
    const auto grid = found.at("heatmap");
    EXPECT_GT(grid.w * 11, grid.h * 9 * 5 / 4) << "the columns are no wider than the rows are tall";
    EXPECT_GE(number_px(r.out), 14.0) << "the cells' numbers are missing or too small to read:\n" << r.out;
}

// [SECTION] Chips follow the selection

// Text size 2 at 1280 x 720: each row of chips shows one line of four or five chips and scrolls.
// The opening selection (target chip 4, source chip 4), then chips on the third line (target 10,
// source 8), then back to the first line, then the encoder (the source's chips are its queries):
// each time the selected chips are on screen, the target's query chip in the colour of the
// heatmap's query label.
TEST_F(TranslatorLayout, TheSelectedChipOfEachRowIsScrolledIntoView) {
    // Each select is followed by two screenshot-ready steps of one frame each: the chips' scroll is
    // ImGui's, applied in the frame after the one that asks for it.
    const fs::path script = write_script("chips", "0 screenshot-ready " + shot("chips-wait-0.png") + "\n"
                                                  "1 screenshot-ready " + shot("chips-opening.png") + "\n"
                                                  "2 select 1 3 10 8\n"
                                                  "2 screenshot-ready " + shot("chips-wait-1.png") + "\n"
                                                  "3 screenshot-ready " + shot("chips-wait-2.png") + "\n"
                                                  "4 screenshot-ready " + shot("chips-last.png") + "\n"
                                                  "5 select 1 3 0 0\n"
                                                  "5 screenshot-ready " + shot("chips-wait-3.png") + "\n"
                                                  "6 screenshot-ready " + shot("chips-wait-4.png") + "\n"
                                                  "7 screenshot-ready " + shot("chips-first.png") + "\n"
                                                  "8 attention encoder\n"
                                                  "8 select 0 3 7 4\n"
                                                  "8 screenshot-ready " + shot("chips-wait-5.png") + "\n"
                                                  "9 screenshot-ready " + shot("chips-wait-6.png") + "\n"
                                                  "10 screenshot-ready " + shot("chips-encoder.png") + "\n"
                                                  "11 quit\n");
    const AppRun r = play({"--no-settings", "--model", "builtin:translator", "--size", "1280x720", "--font-scale", "2"}, script,
                          "chips followed at text size 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    struct Shot {
        const char* png;
        const char* selection;
    };
    const std::vector<Shot> shots = {
        {"chips-opening.png", "selection: cross layer 1, head 3, query 4 ' la', key 4 'bank', writes 'rive'"},
        {"chips-last.png", "selection: cross layer 1, head 3, query 10 ' .', key 8 '.', writes '</s>'"},
        {"chips-first.png", "selection: cross layer 1, head 3, query 0 '<s>', key 0 'the', writes 'la'"},
    };
    for (const Shot& s : shots) {
        SCOPED_TRACE(s.png);
        const std::string report = screenshot_section(r.out, shot(s.png));
        ASSERT_THAT(report, HasSubstr(s.selection)) << r.out;
        expect_chip_in_view(report, "source");
        expect_chip_in_view(report, "target");
        const auto found = regions(report);
        ASSERT_TRUE(found.count("heatmap-query-label")) << report;
        const Image img = read_png(shot(s.png));
        ASSERT_EQ(img.height, 720);
        EXPECT_EQ(chip_fill(img, found.at("chip-target-selected")), label_fill(img, found.at("heatmap-query-label")))
            << "the target's query chip is not drawn where the report says";
    }
    const std::string encoder = screenshot_section(r.out, shot("chips-encoder.png"));
    ASSERT_THAT(encoder, HasSubstr("selection: encoder layer 0, head 3, query 7 'river', key 4 'bank'")) << r.out;
    expect_chip_in_view(encoder, "source");
}

// A lesson step selects its token and key: at 1280 x 720 in presentation mode the cross lesson's
// fourth step (the step writing "l'argent" looks at "money", source chip 4 of 9) shows the
// source's chips from "money" on, the first line's "the woman deposits the" scrolled away.
TEST_F(TranslatorLayout, ALessonStepBringsItsChipsIntoView) {
    const fs::path lesson = fs::path(ATTNSCOPE_SOURCE_DIR) / "assets/lessons/encoder-decoder-cross.json";
    fs::path png;
    const AppRun r = screenshot("translator-lesson-4", {"--no-settings", "--lesson", lesson.string(), "--lesson-step", "4", "--size", "1280x720"}, png);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_THAT(r.out, HasSubstr("selection: cross layer 1, head 3, query 3 ' d\xC3\xA9pose', key 4 'money'")) << r.out;
    expect_chip_in_view(r.out, "source");
    expect_chip_in_view(r.out, "target");
}

// [SECTION] The selected row stays on screen

// Zoomed in three times on the opening rows, then the last row chosen (as the arrow keys or a chip
// would): the grid pans to it, so the row and its label are on screen.
TEST_F(TranslatorLayout, AZoomedInHeatmapPansToTheSelectedRow) {
    const fs::path script = write_script("follow", "0 screenshot-ready " + shot("follow-wait.png") + "\n"
                                                   "1 select 1 3 0 0\n"
                                                   "1 zoom 3\n"
                                                   "1 screenshot-ready " + shot("follow-top.png") + "\n"
                                                   "2 select 1 3 10 8\n"
                                                   "2 screenshot-ready " + shot("follow-bottom.png") + "\n"
                                                   "3 quit\n");
    const AppRun r = play({"--no-settings", "--model", "builtin:translator", "--size", "1280x720"}, script, "the heatmap follows");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* png : {"follow-top.png", "follow-bottom.png"}) {
        SCOPED_TRACE(png);
        const std::string report = screenshot_section(r.out, shot(png));
        ASSERT_THAT(report, HasSubstr("at zoom 3.00")) << r.out;
        const auto found = regions(report);
        ASSERT_TRUE(found.count("heatmap")) << report;
        ASSERT_TRUE(found.count("heatmap-query")) << "the selected row is off screen:\n" << report;
        const Rect grid = found.at("heatmap"), row = found.at("heatmap-query");
        EXPECT_TRUE(contains(grid, row));
        EXPECT_GE(row.h, 30) << "only an edge of the selected row shows";
        ASSERT_TRUE(found.count("heatmap-query-label")) << report;
        const Rect label = found.at("heatmap-query-label");
        EXPECT_GE(label.y, grid.y);
        EXPECT_LE(label.y + label.h, grid.y + grid.h);
    }
    EXPECT_THAT(screenshot_section(r.out, shot("follow-bottom.png")), HasSubstr("query 10 ' .'"));
}

}  // namespace
}  // namespace attnscope
