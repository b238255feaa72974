#include "gfx/fonts.h"

#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iterator>

namespace attnscope::gui {

namespace {

constexpr const char* kSansPaths[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                                      "/usr/share/fonts/dejavu/DejaVuSans.ttf"};
constexpr const char* kMonoPaths[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                                      "/usr/share/fonts/dejavu/DejaVuSansMono.ttf"};

// Pairs of [first, last] code points, 0-terminated (ImGui's format). Each block is one DejaVu covers.
constexpr ImWchar kGlyphRanges[] = {
    0x0020, 0x024F,  // Basic Latin, Latin-1, Latin Extended-A and -B
    0x0250, 0x02FF,  // IPA, spacing modifiers
    0x0370, 0x03FF,  // Greek
    0x0400, 0x052F,  // Cyrillic and its supplement
    0x1E00, 0x1FFF,  // Latin Extended Additional, Greek Extended
    0x2000, 0x206F,  // General Punctuation (dashes, quotes, ellipsis)
    0x2070, 0x209F,  // super- and subscripts
    0x20A0, 0x20CF,  // currency
    0x2100, 0x214F,  // letterlike symbols
    0x2190, 0x21FF,  // arrows
    0x2200, 0x22FF,  // mathematical operators
    0x2300, 0x23FF,  // technical (⏎)
    0x2400, 0x243F,  // control pictures (␣, ␤)
    0x2500, 0x25FF,  // box drawing, blocks, geometric shapes
    0x2600, 0x26FF,  // miscellaneous symbols
    0xFFFD, 0xFFFD,  // replacement character
    0,
};
constexpr ImWchar kMonoRanges[] = {0x0020, 0x00FF, 0x2212, 0x2212, 0x221E, 0x221E, 0};  // ASCII, minus, infinity

const char* first_existing(const char* const* paths, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
        if (std::filesystem::exists(paths[i])) return paths[i];
    return nullptr;
}

ImFont* add_font(const char* path, float px, const ImWchar* ranges) {
    ImFontConfig config;
    config.OversampleH = 2;  // crisp enough at these sizes, and half the atlas of the default 3
    config.OversampleV = 1;
    return ImGui::GetIO().Fonts->AddFontFromFileTTF(path, px, &config, ranges);
}

}  // namespace

Fonts rebuild_fonts(float scale) {
    Fonts f;
    f.size_px = std::round(kBaseFontPx * std::clamp(scale, 0.5f, 4.0f));
    ImFontAtlas* atlas = ImGui::GetIO().Fonts;
    atlas->Clear();
    const char* sans = first_existing(kSansPaths, std::size(kSansPaths));
    const char* mono = first_existing(kMonoPaths, std::size(kMonoPaths));
    if (sans) f.ui = add_font(sans, f.size_px, kGlyphRanges);
    if (mono) f.mono = add_font(mono, f.size_px, kMonoRanges);
    if (!f.ui) {
        ImFontConfig config;
        config.SizePixels = f.size_px;
        f.ui = atlas->AddFontDefault(&config);
        f.warning = "DejaVu Sans not found (install fonts-dejavu-core); using ImGui's built-in font, which shows only ASCII";
    }
    if (!f.mono) f.mono = f.ui;
    ImGui::GetIO().FontDefault = f.ui;
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();  // builds the atlas and uploads it
    return f;
}

}  // namespace attnscope::gui
