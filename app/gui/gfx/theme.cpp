#include "gfx/theme.h"

#include <cmath>
#include <iterator>

namespace attnscope::gui {

namespace {

constexpr const char* kThemeNames[] = {"dark", "light", "projector"};
static_assert(std::size(kThemeNames) == static_cast<std::size_t>(ThemeId::Count), "name every theme");

// Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
constexpr ImU32 kOkabeIto[] = {IM_COL32(0, 114, 178, 255),  IM_COL32(230, 159, 0, 255),  IM_COL32(0, 158, 115, 255),
                               IM_COL32(204, 121, 167, 255), IM_COL32(86, 180, 233, 255), IM_COL32(213, 94, 0, 255),
                               IM_COL32(240, 228, 66, 255),  IM_COL32(120, 120, 120, 255)};

Theme dark_theme() {
    Theme t;
    t.id = ThemeId::Dark;
    t.text = IM_COL32(235, 235, 235, 255);
    t.text_dim = IM_COL32(160, 160, 170, 255);
    t.background = IM_COL32(30, 30, 34, 255);
    t.chip = IM_COL32(58, 62, 72, 255);
    t.chip_border = IM_COL32(95, 100, 115, 255);
    t.chip_query = IM_COL32(0, 114, 178, 255);
    t.chip_key = IM_COL32(213, 94, 0, 255);
    t.unknown = IM_COL32(204, 121, 167, 255);  // Okabe-Ito reddish purple: not the selection's yellow
    t.error = IM_COL32(255, 110, 100, 255);
    t.accent = IM_COL32(86, 180, 233, 255);
    t.highlight = IM_COL32(255, 200, 0, 255);
    t.line = IM_COL32(120, 190, 255, 255);
    t.mask_a = ImVec4(0.18f, 0.18f, 0.20f, 1.0f);
    t.mask_b = ImVec4(0.26f, 0.26f, 0.28f, 1.0f);
    t.grid = ImVec4(0.12f, 0.12f, 0.14f, 0.9f);
    return t;
}

Theme light_theme() {
    Theme t;
    t.id = ThemeId::Light;
    t.text = IM_COL32(20, 20, 20, 255);
    t.text_dim = IM_COL32(95, 95, 105, 255);
    t.background = IM_COL32(245, 245, 245, 255);
    t.chip = IM_COL32(225, 228, 235, 255);
    t.chip_border = IM_COL32(150, 155, 170, 255);
    t.chip_query = IM_COL32(0, 114, 178, 255);
    t.chip_key = IM_COL32(213, 94, 0, 255);
    t.unknown = IM_COL32(0, 130, 95, 255);     // Okabe-Ito bluish green, darkened: not the selection's magenta
    t.error = IM_COL32(190, 20, 20, 255);
    t.accent = IM_COL32(0, 114, 178, 255);
    t.highlight = IM_COL32(200, 0, 90, 255);
    t.line = IM_COL32(0, 90, 170, 255);
    t.mask_a = ImVec4(0.80f, 0.80f, 0.82f, 1.0f);
    t.mask_b = ImVec4(0.90f, 0.90f, 0.92f, 1.0f);
    t.grid = ImVec4(1.0f, 1.0f, 1.0f, 0.9f);
    return t;
}

// For projectors: white ground, pure black text, strokes twice as thick, no pale greys.
Theme projector_theme() {
    Theme t = light_theme();
    t.id = ThemeId::Projector;
    t.text = IM_COL32(0, 0, 0, 255);
    t.text_dim = IM_COL32(40, 40, 40, 255);
    t.background = IM_COL32(255, 255, 255, 255);
    t.chip = IM_COL32(255, 255, 255, 255);
    t.chip_border = IM_COL32(0, 0, 0, 255);
    t.unknown = IM_COL32(0, 120, 90, 255);     // bluish green: not the selection's red
    t.error = IM_COL32(200, 0, 0, 255);
    t.highlight = IM_COL32(230, 0, 0, 255);
    t.line = IM_COL32(0, 60, 200, 255);
    t.mask_a = ImVec4(0.55f, 0.55f, 0.55f, 1.0f);
    t.mask_b = ImVec4(1.0f, 1.0f, 1.0f, 1.0f);
    t.grid = ImVec4(1.0f, 1.0f, 1.0f, 1.0f);
    t.stroke = 2.0f;
    return t;
}

void projector_colors(ImGuiStyle& s) {
    ImGui::StyleColorsLight(&s);
    ImVec4* c = s.Colors;
    const ImVec4 black(0, 0, 0, 1), white(1, 1, 1, 1);
    c[ImGuiCol_Text] = black;
    c[ImGuiCol_TextDisabled] = ImVec4(0.25f, 0.25f, 0.25f, 1);
    c[ImGuiCol_WindowBg] = white;
    c[ImGuiCol_ChildBg] = white;
    c[ImGuiCol_PopupBg] = white;
    c[ImGuiCol_MenuBarBg] = ImVec4(0.9f, 0.9f, 0.9f, 1);
    c[ImGuiCol_Border] = black;
    c[ImGuiCol_FrameBg] = white;
    c[ImGuiCol_FrameBgHovered] = ImVec4(0.85f, 0.92f, 1, 1);
    c[ImGuiCol_FrameBgActive] = ImVec4(0.75f, 0.86f, 1, 1);
    c[ImGuiCol_TitleBg] = ImVec4(0.85f, 0.85f, 0.85f, 1);
    c[ImGuiCol_TitleBgActive] = ImVec4(0.75f, 0.85f, 1, 1);
    c[ImGuiCol_Button] = ImVec4(0.88f, 0.88f, 0.88f, 1);
    c[ImGuiCol_ButtonHovered] = ImVec4(0.70f, 0.85f, 1, 1);
    c[ImGuiCol_ButtonActive] = ImVec4(0.45f, 0.70f, 1, 1);
    c[ImGuiCol_Header] = ImVec4(0.70f, 0.85f, 1, 1);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.55f, 0.78f, 1, 1);
    c[ImGuiCol_Tab] = ImVec4(0.85f, 0.85f, 0.85f, 1);
    c[ImGuiCol_TabActive] = ImVec4(0.45f, 0.70f, 1, 1);
    c[ImGuiCol_CheckMark] = black;
    c[ImGuiCol_SliderGrab] = black;
}

}  // namespace

const char* theme_name(ThemeId t) { return kThemeNames[static_cast<int>(t)]; }

std::optional<ThemeId> theme_from_name(std::string_view name) {
    for (int i = 0; i < static_cast<int>(ThemeId::Count); ++i)
        if (name == kThemeNames[i]) return static_cast<ThemeId>(i);
    return std::nullopt;
}

ImU32 Theme::head_color(int head, float alpha) const {
    ImVec4 c;
    if (head < static_cast<int>(std::size(kOkabeIto))) {
        c = ImGui::ColorConvertU32ToFloat4(kOkabeIto[head]);
    } else {
        // Past eight heads: hues a golden angle apart never repeat and stay far from neighbours.
        const float hue = std::fmod(0.1f + 0.618034f * static_cast<float>(head), 1.0f);
        ImGui::ColorConvertHSVtoRGB(hue, 0.75f, id == ThemeId::Dark ? 0.95f : 0.75f, c.x, c.y, c.z);
    }
    c.w = alpha;
    return ImGui::ColorConvertFloat4ToU32(c);
}

Theme make_theme(ThemeId id) {
    switch (id) {
        case ThemeId::Light: return light_theme();
        case ThemeId::Projector: return projector_theme();
        default: return dark_theme();
    }
}

void apply_imgui_style(ThemeId id, float ui_scale) {
    ImGuiStyle style;
    if (id == ThemeId::Dark) ImGui::StyleColorsDark(&style);
    if (id == ThemeId::Light) ImGui::StyleColorsLight(&style);
    if (id == ThemeId::Projector) projector_colors(style);
    style.WindowRounding = 0.0f;  // panels tile the window
    style.FrameRounding = 4.0f;
    style.GrabRounding = 4.0f;
    style.FramePadding = ImVec2(6, 4);
    style.ItemSpacing = ImVec2(8, 6);
    style.WindowBorderSize = 1.0f;
    style.FrameBorderSize = id == ThemeId::Projector ? 1.5f : (id == ThemeId::Light ? 1.0f : 0.0f);
    style.ScrollbarSize = 16.0f;
    style.ScaleAllSizes(ui_scale);
    ImGui::GetStyle() = style;
}

}  // namespace attnscope::gui
