// Sessions: what a teacher was looking at (model, sentences, selection, view), saved so it comes
// back after a restart. The GUI autosaves one beside its settings file; File -> Save session
// writes one anywhere. The format, version 1:
//
//   { "format": "attnscope-session", "version": 1,
//     "model": "builtin:bank-decoder",
//     "text": "i took the money to the bank", "compare": "we sat on the river bank",
//     "view": "heatmap", "layer": 1, "head": 2, "token": 6, "key": 3 }    // key -1: none chosen
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "attnscope/result.h"

namespace attnscope {

struct Session {
    std::string model = "builtin:bank-decoder";
    std::string text;
    std::string compare;
    std::string view = "heatmap";  // a view_name() (attnscope/views.h)
    int layer = 0, head = 0, token = 0, key = -1;
    bool operator==(const Session& o) const;
};

std::string serialize_session(const Session& s);
// Errors name the JSON path: "<source>: view: expected one of heatmap, ..., got \"foo\"".
Result<Session> parse_session(std::string_view json, const std::string& source = "session");

Result<Session> load_session(const std::filesystem::path& file);
// Written atomically (a temporary file renamed over the old one): a crash never leaves half a file.
Result<std::filesystem::path> save_session(const std::filesystem::path& file, const Session& s);

}  // namespace attnscope
