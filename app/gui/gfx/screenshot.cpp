#include "gfx/screenshot.h"

#include <stb_image_write.h>

#include <algorithm>
#include <string>
#include <vector>

#include "attnscope/atomic_file.h"
#include "gfx/gl.h"

namespace attnscope::gui {

namespace {

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::string*>(context);
    out->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

}  // namespace

Result<std::filesystem::path> write_screenshot(const std::filesystem::path& file, int width, int height) {
    if (width <= 0 || height <= 0) return Error{file.string() + ": the window has no pixels to capture"};
    std::vector<unsigned char> pixels(static_cast<std::size_t>(width) * height * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL's first row is the bottom one; PNG's is the top.
    const std::size_t stride = static_cast<std::size_t>(width) * 3;
    for (int y = 0; y < height / 2; ++y)
        std::swap_ranges(pixels.begin() + y * stride, pixels.begin() + (y + 1) * stride,
                         pixels.begin() + (height - 1 - y) * stride);
    std::string png;
    if (!stbi_write_png_to_func(append_bytes, &png, width, height, 3, pixels.data(), static_cast<int>(stride)))
        return Error{file.string() + ": could not encode the PNG"};
    return write_file_atomically(file, png);
}

}  // namespace attnscope::gui
