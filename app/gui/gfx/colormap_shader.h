// ColormapShader: draws float data textures (heatmaps, thumbnails) in a colormap on the GPU, from
// the GLSL in shaders/colormap.{vert,frag}.glsl embedded at build time. It plugs into ImGui's
// draw lists: begin() adds a callback that switches to our program, every AddImage() after it is
// colour-mapped, and end() hands the state back to ImGui's renderer. So a 64 x 64 heatmap is one
// textured quad, not 4,096 rectangles.
#pragma once

#include <imgui.h>

#include <array>
#include <string>

#include "attnscope/colormap.h"
#include "gfx/gl_texture.h"

namespace attnscope::gui {

class ColormapShader;

// How data values become colours. Lives in the panel that draws (it must outlive the frame's
// rendering, which happens after the panel's draw call returns).
struct ColormapParams {
    float lo = 0.0f, hi = 1.0f;  // value range mapped to the colormap's ends
    Colormap colormap = Colormap::Viridis;
    ImVec4 mask_a, mask_b;       // stripes of masked cells
    ImVec4 grid;                 // cell border colour; alpha 0: none
    float grid_min_px = 14.0f;   // cells narrower than this get no border
    float alpha = 1.0f;          // multiplies every drawn colour (dims thumbnails)
    float gamma = 1.0f;          // the colour of value t is the colormap at t^gamma: 0.5 lifts small values
    const ColormapShader* shader = nullptr;  // set by begin()
};

class ColormapShader {
public:
    ColormapShader() = default;
    ~ColormapShader();
    ColormapShader(const ColormapShader&) = delete;
    ColormapShader& operator=(const ColormapShader&) = delete;

    // Compiles and links the embedded GLSL, builds a lookup texture per colormap. Needs a current
    // GL 3.3 context. On failure `error` holds the GL info log.
    bool init(std::string& error);

    // Everything drawn on `dl` between begin() and end() with a data texture is colour-mapped.
    // Only images may go in between: text would be colour-mapped too.
    void begin(ImDrawList* dl, ColormapParams* params) const;
    static void end(ImDrawList* dl);

    const Texture& lut(Colormap c) const { return m_luts[static_cast<int>(c)]; }  // 256 x 1 RGB, for legends
    const Texture& masked_swatch() const { return m_masked; }  // 1 x 1 data texture of one masked cell

private:
    static void callback(const ImDrawList* list, const ImDrawCmd* cmd);
    void apply(const ColormapParams& p) const;

    unsigned m_program = 0;
    int m_loc_projection = -1, m_loc_data = -1, m_loc_lut = -1, m_loc_lo = -1, m_loc_hi = -1;
    int m_loc_mask_a = -1, m_loc_mask_b = -1, m_loc_grid = -1, m_loc_grid_min_px = -1, m_loc_alpha = -1, m_loc_gamma = -1;
    std::array<Texture, static_cast<int>(Colormap::Count)> m_luts;
    Texture m_masked;
};

}  // namespace attnscope::gui
