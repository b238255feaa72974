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
// Before writing, it removes what earlier interrupted writes of `path` left behind.
Result<std::filesystem::path> write_file_atomically(const std::filesystem::path& path, std::string_view content);

// Removes the temporary files ("<path>.tmp-<pid>-<n>") that writes of `path` by processes no
// longer running left behind (killed or out of power between writing and renaming); a running
// writer's file is left alone. Returns how many were removed. Never fails: a folder that cannot
// be read removes nothing.
int remove_stale_temporaries(const std::filesystem::path& path);

}  // namespace attnscope
