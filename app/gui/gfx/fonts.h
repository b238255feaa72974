// Fonts: DejaVu Sans (fonts-dejavu-core) for the interface and DejaVu Sans Mono for numbers,
// baked at the exact pixel size of the font scale, so text stays crisp when it grows (Ctrl +/-
// rebuilds the atlas instead of stretching it). Glyphs cover Latin, Greek, Cyrillic, arrows,
// maths and common symbols, so the tokens of most inputs render.
#pragma once

#include <imgui.h>

#include <string>

namespace attnscope::gui {

struct Fonts {
    ImFont* ui = nullptr;
    ImFont* mono = nullptr;
    float size_px = 0.0f;
    std::string warning;  // set when DejaVu is missing and ImGui's built-in font is used
};

inline constexpr float kBaseFontPx = 18.0f;  // font scale 1

// Rebuilds ImGui's font atlas at kBaseFontPx * scale and uploads it. Call between frames
// (before ImGui::NewFrame), after the OpenGL 3 backend is initialised.
Fonts rebuild_fonts(float scale);

}  // namespace attnscope::gui
