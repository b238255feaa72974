// Sections: [SECTION] In-app browser  [SECTION] Opening  [SECTION] Saving  [SECTION] zenity
#include "widgets/file_browser.h"

#include <imgui_stdlib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "widgets/draw_util.h"
#include "widgets/save_name.h"

extern char** environ;

namespace attnscope::gui {

namespace fs = std::filesystem;

namespace {

// Popup ids: the title may change (what is saved), the id after ### does not.
const char* kOpenPopup = "Open a model";
const char* kSavePopup = "###Save as";

bool is_weight_file(const fs::path& p) {
    std::string ext = p.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".json" || ext == ".safetensors" || ext == ".gguf";
}

bool has_config(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "config.json", ec);
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

// [SECTION] In-app browser

void FileBrowser::open(const fs::path& start_dir) { start(start_dir, Mode::Open); }

void FileBrowser::open_save(const fs::path& start_dir, const std::string& name, const std::string& extension, const std::string& what) {
    m_name = name;
    m_extension = extension;
    m_what = what;
    m_replace.reset();
    m_focus_name = true;
    start(start_dir, Mode::Save);
}

void FileBrowser::start(const fs::path& start_dir, Mode mode) {
    m_mode = mode;
    std::error_code ec;
    list(fs::is_directory(start_dir, ec) ? start_dir : fs::current_path(ec));
    m_open_requested = true;
}

void FileBrowser::list(const fs::path& dir) {
    std::error_code ec;
    m_dir = fs::weakly_canonical(dir, ec);
    if (ec) m_dir = dir;
    m_typed = m_dir.string();
    m_entries.clear();
    m_error.clear();
    m_selected = -1;
    m_dir_is_model = m_mode == Mode::Open && has_config(m_dir);
    for (fs::directory_iterator it(m_dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path p = it->path();
        const std::string name = p.filename().string();
        if (name.empty() || name[0] == '.') continue;
        std::error_code dir_ec;
        Entry e{name, it->is_directory(dir_ec), false};
        if (m_mode == Mode::Open) e.wanted = e.directory ? has_config(p) : is_weight_file(p);
        else e.wanted = !e.directory && ends_with(name, m_extension);
        if (e.directory || e.wanted || m_show_all) m_entries.push_back(e);
    }
    if (ec) m_error = m_dir.string() + ": " + ec.message();
    std::sort(m_entries.begin(), m_entries.end(), [](const Entry& a, const Entry& b) {
        return a.directory != b.directory ? a.directory : a.name < b.name;  // folders first
    });
}

const char* FileBrowser::popup_id() const { return m_mode == Mode::Open ? kOpenPopup : kSavePopup; }

std::optional<std::string> FileBrowser::draw(const FrameContext& frame) {
    if (m_open_requested) {
        ImGui::OpenPopup(popup_id());
        m_open_requested = false;
    }
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    // 60% x 70% of the window, larger with large type (a projector at 1280 x 720 and text size 2
    // would otherwise leave three rows of files and a name field too short for the suggestion).
    const float font = ImGui::GetFontSize();
    const ImVec2 size(std::min(display.x * 0.9f, std::max(display.x * 0.6f, font * 42.0f)),
                      std::min(display.y * 0.9f, std::max(display.y * 0.7f, font * 22.0f)));
    ImGui::SetNextWindowSize(size, ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    const std::string title = m_mode == Mode::Open ? std::string(kOpenPopup) : "Export: " + m_what + kSavePopup;
    ImGui::SetNextWindowBgAlpha(1.0f);  // the theme's popups are translucent: the views behind would show through the list
    if (!ImGui::BeginPopupModal(title.c_str(), nullptr, ImGuiWindowFlags_NoSavedSettings)) return std::nullopt;
    draw_path_row();
    if (!m_error.empty()) colored_wrapped_text(frame.theme.error, m_error);
    std::optional<std::string> chosen = draw_entries(frame);
    if (!chosen) chosen = m_mode == Mode::Open ? draw_open_buttons() : draw_save_row(frame);
    if (m_mode == Mode::Save) {
        const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
        frame.actions.report_region("save-browser", pos, ImVec2(pos.x + size.x, pos.y + size.y));
    }
    if (chosen) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
    return chosen;
}

void FileBrowser::draw_path_row() {
    if (ImGui::ArrowButton("up", ImGuiDir_Up)) list(m_dir.parent_path());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the folder above");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Show all files").x - ImGui::GetFrameHeight() * 2);
    if (ImGui::InputText("##path", &m_typed, ImGuiInputTextFlags_EnterReturnsTrue)) {
        std::error_code ec;
        if (fs::is_directory(m_typed, ec)) list(m_typed);
        else m_error = m_typed + (m_mode == Mode::Open ? ": not a folder (to open a file, select it below)"
                                                      : ": not a folder (type the file's name below)");
    }
    ImGui::SameLine();
    if (ImGui::Checkbox("Show all files", &m_show_all)) list(m_dir);
}

std::optional<std::string> FileBrowser::draw_entries(const FrameContext& frame) {
    std::optional<std::string> chosen;
    // Room under the list: the open buttons, or the file-name row (or the question) of saving.
    const float below = m_mode == Mode::Open ? ImGui::GetFrameHeightWithSpacing() * 1.5f
                                             : ImGui::GetFrameHeightWithSpacing() + ImGui::GetTextLineHeightWithSpacing();
    ImGui::BeginChild("entries", ImVec2(0, -below), true);
    ImGuiListClipper clipper;  // a folder of thousands of files draws only what is visible
    clipper.Begin(static_cast<int>(m_entries.size()));
    std::optional<fs::path> enter;
    while (clipper.Step())
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const Entry& e = m_entries[static_cast<std::size_t>(i)];
            const std::string label = (e.directory ? "\xE2\x96\xB8 " : "   ") + e.name + (e.directory ? "/" : "") +
                                      (e.directory && e.wanted ? "   (model folder)" : "");
            ImGui::PushStyleColor(ImGuiCol_Text, e.wanted || e.directory ? frame.theme.text : frame.theme.text_dim);
            if (ImGui::Selectable(label.c_str(), m_selected == i, ImGuiSelectableFlags_AllowDoubleClick)) {
                m_selected = i;
                if (m_mode == Mode::Save && !e.directory) m_name = e.name;  // saving over it asks first
                if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
                    if (e.directory) enter = m_dir / e.name;
                    else if (m_mode == Mode::Open) chosen = (m_dir / e.name).string();
                    else chosen = try_save();
                }
            }
            ImGui::PopStyleColor();
        }
    ImGui::EndChild();
    if (enter) list(*enter);  // after the loop: list() replaces m_entries
    return chosen;
}

// [SECTION] Opening

std::optional<std::string> FileBrowser::draw_open_buttons() {
    std::optional<std::string> chosen;
    const bool file_selected = m_selected >= 0 && !m_entries[static_cast<std::size_t>(m_selected)].directory;
    ImGui::BeginDisabled(!file_selected);
    if (ImGui::Button("Open") && file_selected) chosen = (m_dir / m_entries[static_cast<std::size_t>(m_selected)].name).string();
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(!m_dir_is_model);
    if (ImGui::Button("Open this folder as a model")) chosen = m_dir.string();
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("a Hugging Face model folder: config.json, *.safetensors, tokenizer.json");
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) chosen = "";
    return chosen;
}

// [SECTION] Saving

// The file-name field (Enter saves), Save and Cancel; or the question about replacing a file.
std::optional<std::string> FileBrowser::draw_save_row(const FrameContext& frame) {
    if (m_replace) return draw_replace_question();
    std::optional<std::string> chosen;
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("File name");
    ImGui::SameLine();
    const ImGuiStyle& st = ImGui::GetStyle();
    const float buttons_w = ImGui::CalcTextSize("SaveCancel").x + st.FramePadding.x * 4 + st.ItemSpacing.x * 2;
    ImGui::SetNextItemWidth(std::max(ImGui::GetFontSize() * 8, ImGui::GetContentRegionAvail().x - buttons_w));
    if (m_focus_name) {
        ImGui::SetKeyboardFocusHere();
        m_focus_name = false;
    }
    const ImGuiInputTextFlags flags = ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_AutoSelectAll;
    const bool entered = ImGui::InputText("##name", &m_name, flags);
    ImGui::SameLine();
    if (ImGui::Button("Save") || entered) chosen = try_save();
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false)) chosen = "";
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.text_dim), "in %s", m_dir.string().c_str());
    return chosen;
}

// Enter replaces (the second Enter is the answer), Escape goes back to the name.
std::optional<std::string> FileBrowser::draw_replace_question() {
    std::optional<std::string> chosen;
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%s already exists. Replace it?", m_replace->filename().string().c_str());
    ImGui::SameLine();
    // The Enter that asked the question may still be down: only a new press answers it.
    const int enter = ImGui::GetKeyIndex(ImGuiKey_Enter);
    if (!ImGui::IsKeyDown(enter)) m_enter_released = true;
    if (ImGui::Button("Replace") || (m_enter_released && ImGui::IsKeyPressed(enter, false))) chosen = m_replace->string();
    ImGui::SameLine();
    if (ImGui::Button("Keep it") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false)) {
        m_replace.reset();
        m_focus_name = true;
        return std::nullopt;
    }
    ImGui::TextDisabled("in %s", m_replace->parent_path().string().c_str());
    return chosen;
}

std::optional<std::string> FileBrowser::try_save() {
    const SaveCheck check = check_save_name(m_dir, m_name, m_extension);
    switch (check.verdict) {
        case SaveCheck::Verdict::Save: return check.path.string();
        case SaveCheck::Verdict::AskToReplace:
            m_replace = check.path;
            m_enter_released = false;
            m_error.clear();
            return std::nullopt;
        case SaveCheck::Verdict::Refuse: m_error = check.problem; m_focus_name = true; return std::nullopt;
    }
    return std::nullopt;
}

// [SECTION] zenity

NativeFileDialog::~NativeFileDialog() {
    if (const pid_t pid = m_pid.load(); pid > 0) ::kill(pid, SIGTERM);
    if (m_thread.joinable()) m_thread.join();
}

bool NativeFileDialog::available() {
    static const bool found = [] {
        const char* path = std::getenv("PATH");
        std::stringstream dirs(path ? path : "");
        for (std::string dir; std::getline(dirs, dir, ':');)
            if (!dir.empty() && ::access((dir + "/zenity").c_str(), X_OK) == 0) return true;
        return false;
    }();
    return found;
}

void NativeFileDialog::start(std::vector<std::string> arguments) {
    if (m_running.load()) return;
    if (m_thread.joinable()) m_thread.join();
    m_running = true;
    m_thread = std::thread([this, args = std::move(arguments)]() mutable { run(std::move(args)); });
}

std::optional<std::string> NativeFileDialog::take_result() {
    std::lock_guard lock(m_mutex);
    std::optional<std::string> r = std::move(m_result);
    m_result.reset();
    return r;
}

std::vector<std::string> zenity_open_arguments(const fs::path& start_dir) {
    return {"zenity", "--file-selection", "--title=Open a model (.json, .safetensors, .gguf, config.json)",
            "--filename=" + start_dir.string() + "/", "--file-filter=Models | *.json *.safetensors *.gguf", "--file-filter=All files | *"};
}

std::vector<std::string> zenity_save_arguments(const fs::path& folder, const std::string& name, const std::string& what) {
    const std::string ext = fs::path(name).extension().string();
    std::vector<std::string> args = {"zenity", "--file-selection", "--save", "--confirm-overwrite", "--title=Export: " + what,
                                     "--filename=" + (folder / name).string()};
    if (!ext.empty()) args.push_back("--file-filter=" + ext.substr(1) + " files | *" + ext);
    args.push_back("--file-filter=All files | *");
    return args;
}

// zenity prints the chosen path on stdout; a pipe carries it here.
void NativeFileDialog::run(std::vector<std::string> arguments) {
    std::string out;
    int fds[2];
    if (::pipe(fds) == 0) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        std::vector<char*> argv;
        for (std::string& a : arguments) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = 0;
        if (posix_spawnp(&pid, "zenity", &actions, nullptr, argv.data(), environ) == 0) m_pid = pid;
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        char buf[4096];
        for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
        ::close(fds[0]);
        if (pid > 0) ::waitpid(pid, nullptr, 0);
        m_pid = 0;
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    {
        std::lock_guard lock(m_mutex);
        m_result = out;
    }
    m_running = false;
}

}  // namespace attnscope::gui
