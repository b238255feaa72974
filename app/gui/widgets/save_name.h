// The save browser's decisions, apart from its drawing (file_browser.cpp), so they are tested
// without a window: which file a typed name in a folder means, and whether saving there needs a
// question first.
#pragma once

#include <filesystem>
#include <string>

namespace attnscope::gui {

struct SaveCheck {
    enum class Verdict {
        Save,          // `path` is new: write it
        AskToReplace,  // `path` is an existing file: ask before overwriting it
        Refuse,        // `problem` says why nothing can be written there
    } verdict = Verdict::Refuse;
    std::filesystem::path path;
    std::string problem;
};

// `typed`: what the file-name field holds, a name ("figure"), a path relative to `folder`
// ("slides/figure.svg") or an absolute path. Surrounding blanks are dropped, and `extension`
// (".svg") is added unless the name ends in it (any case). Refused: an empty name, a name that
// is a folder, and a folder that does not exist.
SaveCheck check_save_name(const std::filesystem::path& folder, const std::string& typed, const std::string& extension);

}  // namespace attnscope::gui
