// Sections: [SECTION] In-app browser  [SECTION] zenity
#include "widgets/file_browser.h"

#include <imgui_stdlib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "widgets/draw_util.h"

extern char** environ;

namespace attnscope::gui {

namespace fs = std::filesystem;

namespace {

const char* kPopup = "Open a model";

bool is_weight_file(const fs::path& p) {
    const std::string ext = p.extension().string();
    return ext == ".json" || ext == ".safetensors";
}

bool has_config(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "config.json", ec);
}

}  // namespace

// [SECTION] In-app browser

void FileBrowser::open(const fs::path& start) {
    std::error_code ec;
    list(fs::is_directory(start, ec) ? start : fs::current_path(ec));
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
    m_dir_is_model = has_config(m_dir);
    for (fs::directory_iterator it(m_dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path p = it->path();
        const std::string name = p.filename().string();
        if (name.empty() || name[0] == '.') continue;
        std::error_code dir_ec;
        Entry e{name, it->is_directory(dir_ec), false};
        e.model = e.directory ? has_config(p) : is_weight_file(p);
        if (e.directory || e.model || m_show_all) m_entries.push_back(e);
    }
    if (ec) m_error = m_dir.string() + ": " + ec.message();
    std::sort(m_entries.begin(), m_entries.end(), [](const Entry& a, const Entry& b) {
        return a.directory != b.directory ? a.directory : a.name < b.name;  // folders first
    });
}

std::optional<std::string> FileBrowser::draw(const FrameContext& frame) {
    if (m_open_requested) {
        ImGui::OpenPopup(kPopup);
        m_open_requested = false;
    }
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(display.x * 0.6f, display.y * 0.7f), ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    if (!ImGui::BeginPopupModal(kPopup, nullptr, ImGuiWindowFlags_NoSavedSettings)) return std::nullopt;
    draw_path_row();
    if (!m_error.empty()) colored_wrapped_text(frame.theme.error, m_error);
    std::optional<std::string> chosen = draw_entries(frame);
    if (!chosen) chosen = draw_buttons();
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
        else m_error = m_typed + ": not a folder (to open a file, select it below)";
    }
    ImGui::SameLine();
    if (ImGui::Checkbox("Show all files", &m_show_all)) list(m_dir);
}

std::optional<std::string> FileBrowser::draw_entries(const FrameContext& frame) {
    std::optional<std::string> chosen;
    const float buttons_h = ImGui::GetFrameHeightWithSpacing() * 1.5f;
    ImGui::BeginChild("entries", ImVec2(0, -buttons_h), true);
    ImGuiListClipper clipper;  // a folder of thousands of files draws only what is visible
    clipper.Begin(static_cast<int>(m_entries.size()));
    std::optional<fs::path> enter;
    while (clipper.Step())
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const Entry& e = m_entries[static_cast<std::size_t>(i)];
            const std::string label = (e.directory ? "\xE2\x96\xB8 " : "   ") + e.name + (e.directory ? "/" : "") +
                                      (e.directory && e.model ? "   (model folder)" : "");
            ImGui::PushStyleColor(ImGuiCol_Text, e.model || e.directory ? frame.theme.text : frame.theme.text_dim);
            if (ImGui::Selectable(label.c_str(), m_selected == i, ImGuiSelectableFlags_AllowDoubleClick)) {
                m_selected = i;
                if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
                    if (e.directory) enter = m_dir / e.name;
                    else chosen = (m_dir / e.name).string();
                }
            }
            ImGui::PopStyleColor();
        }
    ImGui::EndChild();
    if (enter) list(*enter);  // after the loop: list() replaces m_entries
    return chosen;
}

std::optional<std::string> FileBrowser::draw_buttons() {
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
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) ImGui::CloseCurrentPopup();
    return chosen;
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

void NativeFileDialog::start(const fs::path& start_dir) {
    if (m_running.load()) return;
    if (m_thread.joinable()) m_thread.join();
    m_running = true;
    m_thread = std::thread([this, dir = start_dir.string()] { run(dir); });
}

std::optional<std::string> NativeFileDialog::take_result() {
    std::lock_guard lock(m_mutex);
    std::optional<std::string> r = std::move(m_result);
    m_result.reset();
    return r;
}

// zenity prints the chosen path on stdout; a pipe carries it here.
void NativeFileDialog::run(std::string start_dir) {
    std::string out;
    int fds[2];
    if (::pipe(fds) == 0) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        const std::string filename = "--filename=" + start_dir + "/";
        const char* argv[] = {"zenity", "--file-selection", "--title=Open a model (.json, .safetensors, config.json)",
                              filename.c_str(), "--file-filter=Models | *.json *.safetensors", "--file-filter=All files | *", nullptr};
        pid_t pid = 0;
        if (posix_spawnp(&pid, "zenity", &actions, nullptr, const_cast<char* const*>(argv), environ) == 0) m_pid = pid;
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
