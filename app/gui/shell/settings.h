// What the app remembers between runs: window size, theme, font scale, colormap, recent files.
// Stored as JSON in $XDG_CONFIG_HOME/attnscope/settings.json (~/.config when unset) and written
// atomically, so a crash never leaves half a file. A missing or broken file gives the defaults.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/colormap.h"
#include "attnscope/result.h"
#include "gfx/theme.h"

namespace attnscope::gui {

struct Settings {
    int width = 1280;
    int height = 800;
    ThemeId theme = ThemeId::Dark;
    float font_scale = 1.0f;
    Colormap colormap = Colormap::Viridis;
    float side_fraction = 0.36f;             // width of the side panel / width of the window
    std::vector<std::string> recent_models;  // model specs, newest first

    static constexpr std::size_t kMaxRecent = 10;
    bool operator==(const Settings& o) const;
};

// $XDG_CONFIG_HOME/attnscope/settings.json, or ~/.config/attnscope/settings.json.
std::filesystem::path default_settings_path();

// Fields that are missing, of the wrong type or out of range keep their defaults; `warning`
// names the first such problem ("" when the text was clean).
Settings parse_settings(std::string_view json, std::string& warning);
std::string serialize_settings(const Settings& s);

Settings load_settings(const std::filesystem::path& file, std::string& warning);
Result<std::filesystem::path> save_settings(const std::filesystem::path& file, const Settings& s);

// Moves `spec` to the front of the recent list (no duplicates, at most kMaxRecent).
void remember_recent(Settings& s, const std::string& spec);

}  // namespace attnscope::gui
