#include "shell/settings.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/atomic_file.h"

namespace attnscope::gui {

namespace {

using nlohmann::json;

// Reads key `name` of `j` into `out` when it has the right type and passes `ok`; otherwise
// keeps the default and records the first problem.
template <class T, class Check>
void read_field(const json& j, const char* name, T& out, std::string& warning, Check ok) {
    if (!j.contains(name)) return;
    try {
        T v = j.at(name).get<T>();
        if (ok(v)) {
            out = v;
            return;
        }
    } catch (const json::exception&) {
    }
    if (warning.empty()) warning = std::string("settings: '") + name + "' has an unusable value; using the default";
}

template <class Enum>
void read_enum(const json& j, const char* name, Enum& out, const char* (*name_of)(Enum), std::string& warning) {
    std::string s;
    read_field(j, name, s, warning, [](const std::string&) { return true; });
    if (s.empty()) return;
    for (int i = 0; i < static_cast<int>(Enum::Count); ++i)
        if (s == name_of(static_cast<Enum>(i))) {
            out = static_cast<Enum>(i);
            return;
        }
    if (warning.empty()) warning = std::string("settings: unknown ") + name + " '" + s + "'; using the default";
}

}  // namespace

bool Settings::operator==(const Settings& o) const {
    return width == o.width && height == o.height && theme == o.theme && font_scale == o.font_scale &&
           colormap == o.colormap && side_fraction == o.side_fraction && recent_models == o.recent_models;
}

std::filesystem::path default_settings_path() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    std::filesystem::path base;
    if (xdg && *xdg) base = xdg;
    else if (home && *home) base = std::filesystem::path(home) / ".config";
    else base = std::filesystem::temp_directory_path();
    return base / "attnscope" / "settings.json";
}

Settings parse_settings(std::string_view text, std::string& warning) {
    Settings s;
    warning.clear();
    const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
    if (!j.is_object()) {
        warning = "settings: not a JSON object; using the defaults";
        return s;
    }
    auto in = [](int lo, int hi) { return [lo, hi](int v) { return v >= lo && v <= hi; }; };
    read_field(j, "width", s.width, warning, in(320, 16384));
    read_field(j, "height", s.height, warning, in(240, 16384));
    read_field(j, "font_scale", s.font_scale, warning, [](float v) { return v >= 0.5f && v <= 4.0f; });
    read_field(j, "side_fraction", s.side_fraction, warning, [](float v) { return v >= 0.1f && v <= 0.8f; });
    read_field(j, "recent_models", s.recent_models, warning, [](const std::vector<std::string>&) { return true; });
    if (s.recent_models.size() > Settings::kMaxRecent) s.recent_models.resize(Settings::kMaxRecent);
    read_enum(j, "theme", s.theme, theme_name, warning);
    read_enum(j, "colormap", s.colormap, colormap_name, warning);
    return s;
}

std::string serialize_settings(const Settings& s) {
    const json j = {{"width", s.width},
                    {"height", s.height},
                    {"theme", theme_name(s.theme)},
                    {"font_scale", s.font_scale},
                    {"colormap", colormap_name(s.colormap)},
                    {"side_fraction", s.side_fraction},
                    {"recent_models", s.recent_models}};
    return j.dump(2) + "\n";
}

Settings load_settings(const std::filesystem::path& file, std::string& warning) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        warning.clear();  // the first run has no file: not a problem
        return Settings{};
    }
    std::ostringstream text;
    text << in.rdbuf();
    Settings s = parse_settings(text.str(), warning);
    if (!warning.empty()) warning = file.string() + ": " + warning;
    return s;
}

Result<std::filesystem::path> save_settings(const std::filesystem::path& file, const Settings& s) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) return Error{file.parent_path().string() + ": cannot create the folder: " + ec.message()};
    return write_file_atomically(file, serialize_settings(s));
}

void remember_recent(Settings& s, const std::string& spec) {
    auto& r = s.recent_models;
    r.erase(std::remove(r.begin(), r.end(), spec), r.end());
    r.insert(r.begin(), spec);
    if (r.size() > Settings::kMaxRecent) r.resize(Settings::kMaxRecent);
}

}  // namespace attnscope::gui
