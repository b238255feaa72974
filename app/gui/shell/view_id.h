// The views `--view NAME` brings to the front (design.md, "The GUI binary").
#pragma once

#include <optional>
#include <string_view>

namespace attnscope::gui {

enum class ViewId { Heatmap, Tokens, Overview, Steps, Compare, Playground, Training, Count };

inline constexpr const char* kViewNames[] = {"heatmap", "tokens", "overview", "steps", "compare", "playground", "training"};
static_assert(sizeof(kViewNames) / sizeof(kViewNames[0]) == static_cast<int>(ViewId::Count), "name every view");

inline const char* view_name(ViewId v) { return kViewNames[static_cast<int>(v)]; }

inline std::optional<ViewId> view_from_name(std::string_view name) {
    for (int i = 0; i < static_cast<int>(ViewId::Count); ++i)
        if (name == kViewNames[i]) return static_cast<ViewId>(i);
    return std::nullopt;
}

}  // namespace attnscope::gui
