// The app's views, and the one table of what each is called: on the command line (`--view NAME`,
// design.md "The GUI binary"), in lesson and session files, on its tab and in the View menu.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope {

enum class ViewId { Heatmap, Tokens, Overview, Steps, Compare, Playground, Training, Heads, Lens, Count };

struct ViewNames {
    const char* option;  // --view NAME, "view" in lesson and session files, the window id
    const char* tab;     // the button in the row of view tabs: short, the row must fit 1280 px
    const char* menu;    // the View menu's item
};

inline constexpr ViewNames kViewNames[] = {
    {"heatmap", "Heatmap", "Heatmap"},
    {"tokens", "Tokens", "Tokens"},
    {"overview", "Overview", "Model overview"},
    {"steps", "Steps", "Steps"},
    {"compare", "Compare", "Compare"},
    {"playground", "Playground", "Playground"},
    {"training", "Training", "Training"},
    {"heads", "Heads", "Heads: which kind each is"},
    {"lens", "Lens", "Logit lens: each layer's next-word guess"},
};
static_assert(std::size(kViewNames) == static_cast<std::size_t>(ViewId::Count), "name every view");

inline const ViewNames& view_names(ViewId v) { return kViewNames[static_cast<int>(v)]; }
inline const char* view_name(ViewId v) { return view_names(v).option; }

inline std::optional<ViewId> view_from_name(std::string_view name) {
    for (int i = 0; i < static_cast<int>(ViewId::Count); ++i)
        if (name == kViewNames[i].option) return static_cast<ViewId>(i);
    return std::nullopt;
}

// "heatmap, tokens, ..., training": for messages that list what a file may say.
inline std::string view_name_list() {
    std::string list;
    for (const ViewNames& v : kViewNames) list += (list.empty() ? "" : ", ") + std::string(v.option);
    return list;
}

}  // namespace attnscope
