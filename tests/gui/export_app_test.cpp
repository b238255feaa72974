// Export in the real app under Xvfb (issue 14): a script's `export tokens-svg` and `export
// overview-svg` write both figures into the working folder without any dialog and say where in the
// notice; the in-app save browser (--script's export-browser) suggests the name, saves what is typed
// on Enter and asks before replacing a file. Without Xvfb (or xdotool) the tests skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "../test_models.h"
#include "app_process.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
using namespace attnscope::testing;

class ExportApp : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        if (!m_display.start(why)) GTEST_SKIP() << why;
        fs::create_directories(scratch_dir() / "config");
    }

    std::map<std::string, std::string> env() const {
        return {{"DISPLAY", m_display.name()}, {"XDG_CONFIG_HOME", (scratch_dir() / "config").string()}, {"HOME", scratch_dir().string()}};
    }

    // The app on model() and "i took the money to the bank", playing `script`.
    Spawned start(const std::string& script, const std::string& tag, std::vector<std::string> more = {}) {
        const fs::path file = scratch_dir() / (tag + ".script");
        std::ofstream(file) << script;
        std::vector<std::string> args = {"--model", model(), "--text", "i took the money to the bank", "--size", "1280x720", "--no-settings",
                                         "--script", file.string()};
        args.insert(args.end(), more.begin(), more.end());
        return spawn(std::string(ATTNSCOPE_BIN_DIR) + "/attnscope", args, env(), tag);
    }

    // 3 layers x 2 heads, random weights: a shape of the test's own, whatever the built-in models become.
    static std::string model() {
        static const std::string path = [] {
            TinyShape shape;
            shape.d_model = 8;
            shape.n_layers = 3;
            shape.max_len = 16;
            const fs::path p = scratch_dir() / "export-3x2.json";
            std::ofstream(p) << random_model_json(shape, 5).dump();
            return p.string();
        }();
        return path;
    }

    int xdotool(const std::vector<std::string>& args) {
        const Spawned s = spawn("xdotool", args, env(), "xdotool");
        return s.pid < 0 ? -1 : wait_for(s.pid, 30);
    }

    VirtualDisplay m_display;
};

std::string shot(const std::string& name) { return (scratch_dir() / name).string(); }

// The report line of one script screenshot, or "".
std::string report_of(const std::string& out, const std::string& png) {
    std::smatch m;
    if (!std::regex_search(out, m, std::regex("script screenshot [^\\n]*" + png + ": ([^\\n]*)"))) return "";
    return m[1].str();
}

// The names in `dir`, one a line (what a failed save left, for the message).
std::string listing(const fs::path& dir) {
    std::string out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out += e.path().filename().string() + "\n";
    return out;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// Waits up to `seconds` for `done()`.
template <class Done>
bool eventually(Done done, double seconds = 30) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (!done()) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

// 7 tokens, 3 layers x 2 heads.
TEST_F(ExportApp, AScriptExportsBothFiguresIntoTheWorkingFolderWithoutADialog) {
    const Spawned app = start("0 screenshot-ready " + shot("figures-ready.png") + "\n"
                              "1 export tokens-svg\n"
                              "3 screenshot " + shot("figures-tokens.png") + "\n"
                              "4 export overview-svg\n"
                              "6 screenshot " + shot("figures-overview.png") + "\n"
                              "7 quit\n", "figures");
    ASSERT_GT(app.pid, 0);
    ASSERT_EQ(wait_for(app.pid, 120), 0) << slurp(app.err);
    const std::string out = slurp(app.out);
    EXPECT_EQ(out.find("region save-browser"), std::string::npos) << "a script never opens a dialog";
    std::smatch m;
    const std::string tokens_report = report_of(out, "figures-tokens.png");
    ASSERT_TRUE(std::regex_search(tokens_report, m, std::regex("notice saved (/\\S+attnscope-i-took-the-money-to-the-bank-L\\d+H\\d+-tokens\\.svg)")))
        << tokens_report;
    const fs::path tokens_file = m[1].str();
    const std::string overview_report = report_of(out, "figures-overview.png");
    ASSERT_TRUE(std::regex_search(overview_report, m, std::regex("notice saved (/\\S+attnscope-i-took-the-money-to-the-bank-overview\\.svg)")))
        << overview_report;
    const fs::path overview_file = m[1].str();
    const std::string tokens = slurp(tokens_file), overview = slurp(overview_file);
    fs::remove(tokens_file);
    fs::remove(overview_file);
    EXPECT_EQ(tokens_file.parent_path(), fs::current_path());
    EXPECT_EQ(count(tokens, "class='query-token'"), 7u);
    EXPECT_EQ(count(tokens, "class='key-token'"), 7u);
    EXPECT_GE(count(tokens, "class='weight'"), 1u);
    EXPECT_THAT(tokens, HasSubstr("</svg>"));
    EXPECT_EQ(count(overview, "class='head'"), 6u) << "3 layers x 2 heads";
    EXPECT_THAT(overview, HasSubstr("</svg>"));
}

// The save browser opens on the suggested name with the keyboard in the name field; a typed path
// saves on Enter, but an existing file is only replaced after a second Enter answers the question.
TEST_F(ExportApp, TheSaveBrowserSuggestsANameAndAsksBeforeReplacingAFile) {
    if (!on_path("xdotool")) GTEST_SKIP() << "xdotool is not installed (Debian: apt-get install xdotool)";
    const fs::path taken = scratch_dir() / "taken-overview.svg";
    std::ofstream(taken) << "old";
    const Spawned app = start("0 screenshot-ready " + shot("browser-ready.png") + "\n"
                              "1 export-browser overview-svg\n"
                              "3 screenshot " + shot("browser-open.png") + "\n", "browser",
                                {"--screenshot-on-signal", shot("browser-now.png")});
    ASSERT_GT(app.pid, 0);
    ASSERT_TRUE(eventually([&] { return report_of(slurp(app.out), "browser-open.png") != ""; })) << slurp(app.err);
    const std::string out = slurp(app.out);
    EXPECT_THAT(out.substr(out.find("browser-open.png")), HasSubstr("region save-browser"));
    ASSERT_EQ(xdotool({"search", "--sync", "--name", "AttnScope"}), 0);

    // Keys held down for 2.5 s: ImGui 1.86 reads key states once a frame, so a press and its
    // release inside one frame would never be seen, and a frame of the software renderer on a
    // loaded CI machine has taken longer than 1 s. Held that long, a key repeats (X's autorepeat
    // starts after 660 ms), so the keys are let go in the reverse order: with `keyup ctrl+a` Ctrl
    // went up first and a repeat of A in between typed an "a" in front of the path.
    auto press = [this](const std::vector<std::string>& keys) {
        for (const std::string& key : keys) EXPECT_EQ(xdotool({"keydown", key}), 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        for (auto key = keys.rbegin(); key != keys.rend(); ++key) EXPECT_EQ(xdotool({"keyup", *key}), 0);
        std::this_thread::sleep_for(std::chrono::seconds(1));
    };
    // The name field has the keyboard: select all, type over the suggestion, Enter.
    press({"ctrl", "a"});
    // 100 ms a character: at 30 ms a loaded CI machine once lost one, and the save went to
    // another name without the question this test is about.
    EXPECT_EQ(xdotool({"type", "--delay", "100", (scratch_dir() / "taken-overview").string()}), 0);
    press({"Return"});
    EXPECT_EQ(slurp(taken), "old") << "replaced without asking";
    press({"Return"});  // "Replace it?" Enter: yes
    const bool replaced = eventually([&] { return slurp(taken).rfind("<?xml", 0) == 0; }, 20);
    EXPECT_TRUE(replaced) << "the second Enter did not replace the file; the screen now:\n" << signal_screenshot(app.pid, app.out, 0)
                          << "files: " << listing(scratch_dir());
    EXPECT_THAT(slurp(taken), HasSubstr("class='head'"));

    EXPECT_EQ(xdotool({"key", "--delay", "100", "ctrl+q"}), 0);
    EXPECT_EQ(wait_for(app.pid, 30), 0) << slurp(app.err);
}

}  // namespace
}  // namespace attnscope
