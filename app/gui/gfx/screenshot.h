// Screenshots: the window's back buffer as a PNG (glReadPixels + stb_image_write), written
// atomically so a test polling for the file never reads half of it.
#pragma once

#include <filesystem>

#include "attnscope/result.h"

namespace attnscope::gui {

// Reads the current framebuffer (call after rendering, before swapping buffers).
Result<std::filesystem::path> write_screenshot(const std::filesystem::path& file, int width, int height);

}  // namespace attnscope::gui
