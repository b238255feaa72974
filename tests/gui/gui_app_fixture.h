// What the tests of the real app under Xvfb share (gui_app_test.cpp, cross_attention_app_test.cpp):
// the GuiApp fixture (a display of the test's own, settings kept in the scratch folder, runs and
// screenshots), reading its PNGs, and reading the report it prints (regions, script screenshots,
// the selection line).
#pragma once

#include <gtest/gtest.h>
#include <stb_image.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app_process.h"

namespace attnscope::testing {

// Screenshots

// Where the screenshots the tests take are kept, to look at: build/gui-test-screenshots/.
inline fs::path kept_screenshots() {
    const fs::path d = fs::path(ATTNSCOPE_BIN_DIR).parent_path() / "gui-test-screenshots";
    fs::create_directories(d);
    return d;
}

// Images

struct Image {
    int width = 0, height = 0;
    std::vector<unsigned char> rgb;
    unsigned pixel(int x, int y) const {
        const unsigned char* p = &rgb[3 * (static_cast<std::size_t>(y) * width + x)];
        return p[0] << 16 | p[1] << 8 | p[2];
    }
};

inline Image read_png(const fs::path& file) {
    Image img;
    int channels = 0;
    unsigned char* data = stbi_load(file.c_str(), &img.width, &img.height, &channels, 3);
    if (!data) return img;
    img.rgb.assign(data, data + 3 * static_cast<std::size_t>(img.width) * img.height);
    stbi_image_free(data);
    return img;
}

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
};

inline std::size_t distinct_colours(const Image& img, Rect r) {
    std::set<unsigned> colours;
    for (int y = r.y; y < r.y + r.h; ++y)
        for (int x = r.x; x < r.x + r.w; ++x) colours.insert(img.pixel(x, y));
    return colours.size();
}

// "region heatmap 10 120 600 580" lines of the app's screenshot report.
inline std::map<std::string, Rect> regions(const std::string& out) {
    std::map<std::string, Rect> found;
    const std::regex line(R"(region (\S+) (\d+) (\d+) (\d+) (\d+))");
    for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it)
        found[(*it)[1]] = Rect{std::stoi((*it)[2]), std::stoi((*it)[3]), std::stoi((*it)[4]), std::stoi((*it)[5])};
    return found;
}

// The fixture

struct AppRun {
    int exit_code = -1;
    std::string out, err;
};

// What each screenshot showed, and the frame times: printed for the closing note, not asserted.
inline void print_frame_stats(const char* what, const AppRun& r) {
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("script screenshot ", 0) == 0) {
            std::cout << "[ script ] " << line.substr(0, 300) << "\n";
            const fs::path png = line.substr(18, line.find(": ") - 18);
            std::error_code ec;  // kept to look at, as the other tests' screenshots
            fs::copy_file(png, kept_screenshots() / png.filename(), fs::copy_options::overwrite_existing, ec);
        }
    const std::size_t at = r.out.find("frame time");
    if (at != std::string::npos) std::cout << "[ frame time ] " << what << ": " << r.out.substr(at);
}

class GuiApp : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        if (!m_display.start(why)) GTEST_SKIP() << why;
        fs::create_directories(config_home());
        fs::create_directories(home());
    }

    fs::path config_home() const { return scratch_dir() / "config"; }
    fs::path home() const { return scratch_dir() / "home"; }

    // Settings never go to the real home: both HOME and XDG_CONFIG_HOME point into the scratch folder.
    std::map<std::string, std::string> env() const {
        return {{"DISPLAY", m_display.name()}, {"XDG_CONFIG_HOME", config_home().string()}, {"HOME", home().string()}};
    }

    Spawned start(const std::vector<std::string>& args, const std::string& tag) {
        return spawn(std::string(ATTNSCOPE_BIN_DIR) + "/attnscope", args, env(), tag);
    }

    AppRun run(const std::vector<std::string>& args, double timeout = 120) {
        const Spawned s = start(args, "app-" + std::to_string(++m_runs));
        AppRun r;
        if (s.pid < 0) return r;
        r.exit_code = wait_for(s.pid, timeout);
        r.out = slurp(s.out);
        r.err = slurp(s.err);
        return r;
    }

    // --screenshot into the scratch folder (and a copy to look at); returns the report on stdout.
    AppRun screenshot(const std::string& name, std::vector<std::string> args, fs::path& png) {
        png = scratch_dir() / (name + ".png");
        args.insert(args.end(), {"--screenshot", png.string(), "--frames", "3"});
        AppRun r = run(args);
        std::error_code ec;
        fs::copy_file(png, kept_screenshots() / (name + ".png"), fs::copy_options::overwrite_existing, ec);
        return r;
    }

    // The app with `args` playing --script `script`; what each screenshot showed and the frame
    // times are printed for the closing note (`what` names the run).
    AppRun play(std::vector<std::string> args, const fs::path& script, const char* what) {
        args.insert(args.end(), {"--script", script.string()});
        const AppRun r = run(args);
        print_frame_stats(what, r);
        return r;
    }

    VirtualDisplay m_display;
    int m_runs = 0;
};

// Scripts and the report

// Where a script's screenshot goes: the scratch folder.
inline std::string shot(const std::string& name) { return (scratch_dir() / name).string(); }

inline fs::path write_script(const std::string& name, const std::string& steps) {
    const fs::path file = scratch_dir() / (name + ".script");
    std::ofstream(file) << steps;
    return file;
}

// The report line of one script screenshot ("script screenshot PATH: model ..."), or "".
inline std::string script_report(const std::string& out, const std::string& png_name) {
    std::smatch m;
    if (!std::regex_search(out, m, std::regex("script screenshot [^\\n]*" + png_name + ": ([^\\n]*)"))) return "";
    return m[1].str();
}

// The selection the screenshot showed: "selection: layer 1, head 0, query 6 'bank', key 3 'money'".
inline std::string selection_line(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex("selection: [^\\n]*")) ? m.str() : "";
}

}  // namespace attnscope::testing
