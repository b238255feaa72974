// Themes: dark, light and a high-contrast projector theme (white ground, black text, thick
// strokes, saturated accents: a washed-out projector still shows them). A Theme also holds the
// colours our own drawing uses (token chips, masked cells, head colours), so panels never pick
// colours themselves.
#pragma once

#include <imgui.h>

#include <optional>
#include <string_view>

namespace attnscope::gui {

enum class ThemeId { Dark, Light, Projector, Count };

const char* theme_name(ThemeId t);  // "dark", "light", "projector"
std::optional<ThemeId> theme_from_name(std::string_view name);

struct Theme {
    ThemeId id = ThemeId::Dark;
    ImU32 text = 0, text_dim = 0, background = 0;
    ImU32 chip = 0, chip_border = 0;        // a token chip
    ImU32 chip_query = 0, chip_key = 0;     // the query token's and the chosen key token's chip
    ImU32 unknown = 0;                      // tokens the vocabulary does not have
    ImU32 error = 0, accent = 0, highlight = 0;
    ImU32 line = 0;                         // token view lines of a single head
    ImVec4 mask_a, mask_b;                  // stripes of masked heatmap cells
    ImVec4 grid;                            // heatmap cell borders (alpha = strength)
    float stroke = 1.0f;                    // line width multiplier (thicker on the projector)

    // Distinct colours for heads; the first eight are Okabe and Ito's colour-blind-safe set.
    ImU32 head_color(int head, float alpha = 1.0f) const;
};

Theme make_theme(ThemeId id);

// Sets ImGui's colours and sizes for `id`, scaled for the font scale (paddings grow with the text).
void apply_imgui_style(ThemeId id, float ui_scale);

}  // namespace attnscope::gui
