// Texture: one OpenGL 2D texture, owned (move-only). Data textures hold values in R and a mask
// flag in G for the colormap shader; colour textures hold the colormap lookup tables.
#pragma once

#include <imgui.h>

#include <cstdint>

namespace attnscope::gui {

enum class Filter { Nearest, Linear };

class Texture {
public:
    Texture() = default;
    ~Texture();
    Texture(Texture&& o) noexcept;
    Texture& operator=(Texture&& o) noexcept;
    Texture(const Texture&) = delete;
    Texture& operator=(const Texture&) = delete;

    // values: width * height * 2 floats, row-major, (value, masked) pairs.
    void upload_rg32f(int width, int height, const float* values, Filter filter);
    // texels: width * height * 2 bytes.
    void upload_rg8(int width, int height, const std::uint8_t* texels, Filter filter);
    // texels: width * height * 3 bytes.
    void upload_rgb8(int width, int height, const std::uint8_t* texels, Filter filter);

    bool valid() const { return m_id != 0; }
    unsigned id() const { return m_id; }
    int width() const { return m_width; }
    int height() const { return m_height; }
    ImTextureID imgui_id() const { return reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(m_id)); }

private:
    void upload(int width, int height, int internal_format, int format, int type, const void* data, Filter filter);

    unsigned m_id = 0;
    int m_width = 0, m_height = 0;
};

}  // namespace attnscope::gui
