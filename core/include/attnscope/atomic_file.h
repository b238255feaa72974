// Writing a file so that readers see the old content or the new, never half of either: settings,
// sessions, exports, trained models and snapshots all go through here.
#pragma once

#include <filesystem>
#include <string_view>

#include "attnscope/result.h"

namespace attnscope {

// Writes `content` to a temporary file with a unique name in the same folder, flushes it to disk
// (fsync), then renames it over `path`. On any failure the temporary file is removed and `path`
// keeps its old content. Errors name `path`: "<path>: write failed (disk full?)".
Result<std::filesystem::path> write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace attnscope
