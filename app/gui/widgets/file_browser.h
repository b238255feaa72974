// Choosing a file: the desktop's own dialog through zenity when it is installed (run on a thread,
// so the window keeps drawing), otherwise a small in-app browser. It opens weight files (folders,
// .json and .safetensors files and Hugging Face model folders, those with a config.json) and
// saves exports (a file-name field, folders to walk, a question before replacing a file).
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
    // Opening a model: weight files and model folders.
    void open(const std::filesystem::path& start);
    // Saving: the folders and the files ending in `extension` (".svg"), and a file-name field
    // holding `name`; an existing file is replaced only after a question. `what` names what is
    // saved in the title ("Token view as SVG").
    void open_save(const std::filesystem::path& start, const std::string& name, const std::string& extension, const std::string& what);

    // Draws the modal dialog while it is open; returns the chosen path once, or "" once when the
    // user cancels.
    std::optional<std::string> draw(const FrameContext& frame);

private:
    enum class Mode { Open, Save };
    struct Entry {
        std::string name;
        bool directory = false;
        bool wanted = false;  // open: a weight file or a folder with a config.json; save: a file of the extension
    };

    void start(const std::filesystem::path& start, Mode mode);
    void list(const std::filesystem::path& dir);  // once per folder change, not per frame
    const char* popup_id() const;
    void draw_path_row();
    std::optional<std::string> draw_entries(const FrameContext& frame);
    std::optional<std::string> draw_open_buttons();
    std::optional<std::string> draw_save_row(const FrameContext& frame);
    std::optional<std::string> draw_replace_question();
    std::optional<std::string> try_save();

    Mode m_mode = Mode::Open;
    std::filesystem::path m_dir;
    std::vector<Entry> m_entries;
    std::string m_error;
    std::string m_typed;        // the path field
    int m_selected = -1;
    bool m_show_all = false;
    bool m_dir_is_model = false;
    bool m_open_requested = false;
    // Save mode.
    std::string m_name;         // the file-name field
    std::string m_extension;    // ".svg"
    std::string m_what;         // "Token view as SVG"
    std::optional<std::filesystem::path> m_replace;  // the existing file the question is about
    bool m_enter_released = false;  // since the question was asked
    bool m_focus_name = false;  // give the file-name field the keyboard next frame
};

// zenity's arguments for opening a model (file filters for weight files) and for saving an export
// (--save --confirm-overwrite, the suggested name in `folder`).
std::vector<std::string> zenity_open_arguments(const std::filesystem::path& start_dir);
std::vector<std::string> zenity_save_arguments(const std::filesystem::path& folder, const std::string& name, const std::string& what);

// zenity on a thread. `available()` looks for zenity on PATH once.
class NativeFileDialog {
public:
    ~NativeFileDialog();  // closes a dialog still open and waits for the thread

    static bool available();
    bool running() const { return m_running.load(); }
    void start(std::vector<std::string> arguments);  // zenity_*_arguments
    std::optional<std::string> take_result();  // the chosen path once; "" when cancelled

private:
    void run(std::vector<std::string> arguments);

    std::thread m_thread;
    std::atomic<bool> m_running{false};
    std::atomic<pid_t> m_pid{0};
    std::mutex m_mutex;
    std::optional<std::string> m_result;
};

}  // namespace attnscope::gui
