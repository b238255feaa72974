// Colour maps shared by the SVG export and the GUI's heatmap shader (which samples the same
// table as a 256-texel texture). All four are readable by people with colour-blindness.
#pragma once

#include <array>
#include <cstdint>

namespace attnscope {

enum class Colormap { Viridis, Cividis, Magma, Greys, Count };

const char* colormap_name(Colormap c);  // "viridis", "cividis", "magma", "greys"

struct Rgb {
    std::uint8_t r, g, b;
};

// t in [0, 1] (clamped) -> colour, interpolated linearly between the map's anchor colours.
Rgb colormap_rgb(Colormap c, float t);

// 256 entries, for a lookup texture.
std::array<Rgb, 256> colormap_table(Colormap c);

}  // namespace attnscope
