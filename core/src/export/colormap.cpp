#include "attnscope/colormap.h"

#include <algorithm>
#include <iterator>

namespace attnscope {

namespace {

// Anchor colours sampled at evenly spaced points of each published map (matplotlib's viridis,
// cividis and magma), dark to light.
constexpr Rgb kViridis[] = {{68, 1, 84},    {72, 40, 120},  {62, 74, 137},  {49, 104, 142}, {38, 130, 142},
                            {31, 158, 137}, {53, 183, 121}, {109, 205, 89}, {180, 222, 44}, {253, 231, 37}};
constexpr Rgb kCividis[] = {{0, 34, 78},     {18, 53, 112},  {59, 73, 108},  {87, 93, 109},   {112, 113, 115},
                            {138, 134, 120}, {165, 156, 116}, {194, 179, 105}, {224, 204, 85}, {254, 232, 56}};
constexpr Rgb kMagma[] = {{0, 0, 4},       {28, 16, 68},   {79, 18, 123},   {129, 37, 129},  {181, 54, 122},
                          {229, 80, 100},  {251, 135, 97}, {254, 194, 135}, {252, 253, 191}};
constexpr Rgb kGreys[] = {{0, 0, 0}, {255, 255, 255}};

constexpr const char* kNames[] = {"viridis", "cividis", "magma", "greys"};
static_assert(std::size(kNames) == static_cast<std::size_t>(Colormap::Count), "name every colormap");

template <std::size_t N>
Rgb interpolate(const Rgb (&anchors)[N], float t) {
    t = std::clamp(t, 0.0f, 1.0f);
    const float x = t * static_cast<float>(N - 1);
    const std::size_t i = std::min(static_cast<std::size_t>(x), N - 2);
    const float f = x - static_cast<float>(i);
    auto mix = [f](std::uint8_t a, std::uint8_t b) {
        return static_cast<std::uint8_t>(static_cast<float>(a) + (static_cast<float>(b) - a) * f + 0.5f);
    };
    return {mix(anchors[i].r, anchors[i + 1].r), mix(anchors[i].g, anchors[i + 1].g), mix(anchors[i].b, anchors[i + 1].b)};
}

}  // namespace

const char* colormap_name(Colormap c) { return kNames[static_cast<int>(c)]; }

Rgb colormap_rgb(Colormap c, float t) {
    switch (c) {
        case Colormap::Viridis: return interpolate(kViridis, t);
        case Colormap::Cividis: return interpolate(kCividis, t);
        case Colormap::Magma: return interpolate(kMagma, t);
        case Colormap::Greys: return interpolate(kGreys, t);
        case Colormap::Count: break;
    }
    return {0, 0, 0};
}

std::array<Rgb, 256> colormap_table(Colormap c) {
    std::array<Rgb, 256> table{};
    for (int i = 0; i < 256; ++i) table[static_cast<std::size_t>(i)] = colormap_rgb(c, static_cast<float>(i) / 255.0f);
    return table;
}

}  // namespace attnscope
