#include "gfx/gl_texture.h"

#include <utility>

#include "gfx/gl.h"

namespace attnscope::gui {

Texture::~Texture() {
    if (m_id) glDeleteTextures(1, &m_id);
}

Texture::Texture(Texture&& o) noexcept
    : m_id(std::exchange(o.m_id, 0)), m_width(std::exchange(o.m_width, 0)), m_height(std::exchange(o.m_height, 0)) {}

Texture& Texture::operator=(Texture&& o) noexcept {
    if (this != &o) {
        if (m_id) glDeleteTextures(1, &m_id);
        m_id = std::exchange(o.m_id, 0);
        m_width = std::exchange(o.m_width, 0);
        m_height = std::exchange(o.m_height, 0);
    }
    return *this;
}

void Texture::upload(int width, int height, int internal_format, int format, int type, const void* data, Filter filter) {
    if (!m_id) glGenTextures(1, &m_id);
    GLint previous = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
    glBindTexture(GL_TEXTURE_2D, m_id);
    const GLint f = filter == Filter::Linear ? GL_LINEAR : GL_NEAREST;
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, f);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, f);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);  // RGB8 and RG8 rows are not 4-byte aligned
    glTexImage2D(GL_TEXTURE_2D, 0, internal_format, width, height, 0, format, type, data);
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previous));
    m_width = width;
    m_height = height;
}

void Texture::upload_rg32f(int width, int height, const float* values, Filter filter) {
    upload(width, height, GL_RG32F, GL_RG, GL_FLOAT, values, filter);
}

void Texture::upload_rg8(int width, int height, const std::uint8_t* texels, Filter filter) {
    upload(width, height, GL_RG8, GL_RG, GL_UNSIGNED_BYTE, texels, filter);
}

void Texture::upload_rgb8(int width, int height, const std::uint8_t* texels, Filter filter) {
    upload(width, height, GL_RGB8, GL_RGB, GL_UNSIGNED_BYTE, texels, filter);
}

}  // namespace attnscope::gui
