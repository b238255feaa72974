// Choosing a weight file: the desktop's own dialog through zenity when it is installed (run on a
// thread, so the window keeps drawing), otherwise a small in-app browser that lists folders,
// .json and .safetensors files and Hugging Face model folders (those with a config.json).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "panels/panel.h"

namespace attnscope::gui {

class FileBrowser {
public:
    void open(const std::filesystem::path& start);

    // Draws the modal dialog while it is open; returns the chosen path once.
    std::optional<std::string> draw(const FrameContext& frame);

private:
    struct Entry {
        std::string name;
        bool directory = false;
        bool model = false;  // a weight file, or a folder with a config.json
    };

    void list(const std::filesystem::path& dir);  // once per folder change, not per frame
    void draw_path_row();
    std::optional<std::string> draw_entries(const FrameContext& frame);
    std::optional<std::string> draw_buttons();

    std::filesystem::path m_dir;
    std::vector<Entry> m_entries;
    std::string m_error;
    std::string m_typed;        // the path field
    int m_selected = -1;
    bool m_show_all = false;
    bool m_dir_is_model = false;
    bool m_open_requested = false;
};

// zenity --file-selection on a thread. `available()` looks for zenity on PATH once.
class NativeFileDialog {
public:
    ~NativeFileDialog();  // closes a dialog still open and waits for the thread

    static bool available();
    bool running() const { return m_running.load(); }
    void start(const std::filesystem::path& start_dir);
    std::optional<std::string> take_result();  // the chosen path once; "" when cancelled

private:
    void run(std::string start_dir);

    std::thread m_thread;
    std::atomic<bool> m_running{false};
    std::atomic<pid_t> m_pid{0};
    std::mutex m_mutex;
    std::optional<std::string> m_result;
};

}  // namespace attnscope::gui
