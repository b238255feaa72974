#include "widgets/save_name.h"

#include <algorithm>
#include <cctype>

namespace attnscope::gui {

namespace fs = std::filesystem;

namespace {

std::string trimmed(const std::string& s) {
    const std::size_t first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

bool ends_with_ignoring_case(const std::string& s, const std::string& tail) {
    if (s.size() < tail.size()) return false;
    return std::equal(tail.begin(), tail.end(), s.end() - static_cast<std::ptrdiff_t>(tail.size()), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
}

SaveCheck refuse(std::string problem) {
    SaveCheck c;
    c.problem = std::move(problem);
    return c;
}

}  // namespace

SaveCheck check_save_name(const fs::path& folder, const std::string& typed, const std::string& extension) {
    std::string name = trimmed(typed);
    if (name.empty()) return refuse("type a file name");
    if (name.back() == '/') return refuse(name + " is a folder: type a file name after it");
    const fs::path given(name);
    if (given.filename() == "." || given.filename() == "..") return refuse(name + " is a folder: type a file name");
    if (!ends_with_ignoring_case(given.filename().string(), extension) || given.filename().string().size() == extension.size())
        name += extension;
    const fs::path path = (given.is_absolute() ? fs::path(name) : folder / name).lexically_normal();
    std::error_code ec;
    const fs::path parent = path.parent_path();
    if (!fs::is_directory(parent, ec)) return refuse(parent.string() + ": no such folder");
    SaveCheck c;
    c.path = path;
    const fs::file_status status = fs::status(path, ec);
    if (fs::is_directory(status)) return refuse(path.string() + " is a folder");
    c.verdict = fs::exists(status) ? SaveCheck::Verdict::AskToReplace : SaveCheck::Verdict::Save;
    return c;
}

}  // namespace attnscope::gui
