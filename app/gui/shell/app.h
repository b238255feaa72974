// App: the desktop app's state, its workers and its panels. main.cpp owns the window and the
// loop; each frame it calls before_frame() (outside ImGui's frame: font rebuilds, worker
// results), draw() (between NewFrame and Render) and after_render() (screenshots).
//
// Layout (fixed; ImGui 1.86 has no docking), top to bottom:
//   menu bar | sentence bar | view buttons + layer/head steppers | main view <splitter> side view | status bar
// The main place shows the view in front (--view); the side shows the model overview, or the
// heatmap while the overview is in front.
#pragma once

#include <GLFW/glfw3.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "widgets/file_browser.h"
#include "attnscope/session.h"
#include "shell/lesson_player.h"
#include "shell/main_menu.h"
#include "workers/model_loader.h"
#include "shell/options.h"
#include "panels/panel.h"
#include "shell/history.h"
#include "workers/attention_fetcher.h"
#include "workers/projection_cache.h"
#include "workers/trace_worker.h"

namespace attnscope::gui {

class SentenceBarPanel;
class TrainingPanel;
class HeatmapPanel;
class StepsPanel;
class ComparePanel;
class ModelOverviewPanel;

// Where a registered panel goes: a fixed bar, or a view that takes the main place when in front.
struct Placement {
    enum class Bar { None, Top, Tabs, Caption, Bottom } bar = Bar::None;
    ViewId view = ViewId::Count;  // for views
};

struct Region {
    std::string name;
    ImVec2 min, max;
};

class App final : public AppActions {
public:
    // `settings_file`: where settings are saved; none with --no-settings and --screenshot.
    App(GLFWwindow* window, LaunchOptions options, Settings settings, std::optional<std::filesystem::path> settings_file);
    ~App() override;

    // Needs the GL context and ImGui's OpenGL 3 backend. Starts loading the model.
    bool init(std::string& error);

    void before_frame();
    void draw();
    void after_render(int framebuffer_width, int framebuffer_height);

    bool should_quit() const { return m_quit; }
    int exit_code() const { return m_exit_code; }
    bool ready() const;      // the model is loaded and the trace of the current text is on screen
    bool animating() const;  // a spinner turns: keep drawing without waiting for events
    void on_drop(const std::vector<std::string>& paths);
    void request_signal_screenshot() { m_signal_screenshot = true; }
    // --script: write this frame (or, `when_ready`, the first ready one) as `path` once rendered,
    // and say on stdout what it shows; quit once they are written.
    void request_script_screenshot(std::string path, bool when_ready) { m_script_screenshots.push_back({std::move(path), when_ready}); }
    void request_quit_after_script_screenshots() { m_quit_after_script_screenshots = true; }
    bool waiting_for_script_screenshot() const { return !m_script_screenshots.empty(); }
    // The time the last frame took to build and render (not the time waiting for events).
    void set_frame_work_ms(double ms) { m_state.frame_ms = m_state.frame_ms == 0.0 ? ms : m_state.frame_ms * 0.9 + ms * 0.1; }
    const Settings& settings() const { return m_state.settings; }
    Settings& settings() { return m_state.settings; }
    void save_settings_now();

    // AppActions
    void set_text(const std::string& text) override;
    void set_target(std::optional<std::string> target) override;
    void set_stack(AttentionStack stack) override { m_state.stack = stack; }
    void set_field(HeatmapField field) override { m_state.field = field; }
    void set_compare_input(const std::string& text) override;
    void open_model(const std::string& spec) override;
    // --script's select and zoom: as clicks would; the selection is clamped to the trace when drawn.
    void select(int layer, int head, int query, int key);
    void step_sentences(int delta) override;
    void step_selections(int delta) override;
    void zoom_heatmap(float zoom);
    void use_model(ModelPtr model, const std::string& label) override;
    void show_view(ViewId view) override { m_state.front = view; }
    void open_file_dialog() override;
    void open_in_app_browser() override;
    void set_theme(ThemeId theme) override;
    void set_font_scale(float scale) override;
    void set_colormap(Colormap colormap) override { m_state.settings.colormap = colormap; }
    void clear_recent() override;
    void request_quit() override { m_quit = true; }
    void show_help() override { m_help_requested = true; }
    void lesson_step(int delta) override;
    void set_presentation(bool on) override;
    void toggle_fullscreen() override;
    // File -> Export: asks where (zenity, else the in-app browser); scripted and --screenshot runs
    // write into the working folder without asking.
    void export_view(ExportKind kind) override;
    // --script's export-browser: the in-app save browser, whether zenity is there or not.
    void export_with_browser(ExportKind kind);
    void save_session_now() override;
    void report_region(const char* name, ImVec2 min, ImVec2 max) override { m_regions.push_back({name, min, max}); }

private:
    void register_panels();
    template <class T, class... Args>
    T* add(Placement where, Args&&... args);
    Panel* bar(Placement::Bar b) const;
    Panel* view_panel(ViewId v) const;

    void poll_model_loader();
    void on_model_loaded(LoadOutcome& outcome);
    void poll_trace_worker();
    // A value-weighted field and a trace without it: the same text again, weighed (once per trace).
    void ask_for_value_weighted();
    bool wants_value_weighted() const { return is_value_weighted(m_state.field); }
    // What the views show this frame: the bundle of the chosen kind of attention (an
    // encoder-decoder's), else the worker's own; null before the first trace.
    const TraceBundle* view_bundle() const { return m_bundle ? &m_bundle->stack(m_state.stack) : nullptr; }
    const Trace* view_trace() const { return m_bundle ? m_bundle->stack(m_state.stack).trace.get() : nullptr; }
    // The trace on screen is the one of the text (and the target) asked for last.
    bool shows_current_text() const;
    void apply_launch_selection(const Trace& trace);
    void follow_text_end(const Trace& trace);
    void update_compare();
    void update_projection();
    void update_attention();
    void focus_example(const Trace& trace);
    void focus_translation_example(const Trace& trace);
    void record_history();
    void record_sentence(const std::string& text);
    void print_selection() const;
    void print_attention() const;
    void print_view_state() const;
    void print_heatmap_row() const;
    void draw_notice_toast(const FrameContext& frame);
    static constexpr double kToastSeconds = 5.0;
    bool attention_settled() const;
    bool compare_settled() const;
    bool projection_settled() const;

    void handle_keys();
    void handle_lesson_keys();
    // Presentation and lessons (app_presentation.cpp).
    void start_lesson();
    void update_lesson();
    // Sessions and export (app_session.cpp).
    void restore_session();
    void autosave_session();
    void apply_session_selection();
    Session current_session() const;
    struct PendingExport {  // asked for, waiting for the save dialog's answer
        ExportKind kind = ExportKind::WindowPng;
        ExportSubject subject;
        std::shared_ptr<const TraceBundle> bundle;  // the trace as it was when asked (null for the PNG)
        AttentionStack stack = AttentionStack::Cross;  // ... and the kind of attention shown (encoder-decoders)
    };
    std::string export_refusal(ExportKind kind) const;
    PendingExport pending_export(ExportKind kind) const;
    void ask_where_to_export(ExportKind kind, bool desktop_dialog);
    void poll_save_dialog();
    void finish_export(const std::filesystem::path& file);
    Result<std::filesystem::path> write_pending(const PendingExport& p, const std::filesystem::path& file) const;
    std::string stack_part() const;
    void export_into_working_folder(ExportKind kind);
    void copy_weights();
    void layout_panels(const FrameContext& frame, float menu_height);
    void draw_splitter(float x, float y, float height);
    float status_bar_height() const;
    void draw_bar(Panel* panel, const FrameContext& frame, float y, float height, bool slim);
    void draw_popups(const FrameContext& frame);
    void take_screenshots(int width, int height);
    void take_script_screenshots(int width, int height);
    void report_script_screenshot(const std::string& path) const;
    void print_regions() const;

    GLFWwindow* m_window;
    std::optional<std::filesystem::path> m_settings_file;
    LaunchOptions m_options;
    AppState m_state;  // "our state": everything panels read
    Theme m_theme;
    Fonts m_fonts;
    ColormapShader m_shader;
    // Every background producer is a BackgroundWorker (background_worker.h); App makes all
    // their requests in its update step (before_frame), never from drawing.
    std::unique_ptr<TraceWorker> m_worker;          // the sentence
    std::unique_ptr<TraceWorker> m_compare_worker;  // the compare view's second sentence
    std::unique_ptr<ProjectionCache> m_projections; // the steps view's W of the selected head
    std::unique_ptr<AttentionFetcher> m_attention;  // a long trace's attention, the parts on screen
    AttentionWants m_wants;                         // what the panels drew last frame asks of it
    AttentionWants m_wants_sent;                    // ... as update_attention last passed it on,
    std::uint64_t m_wants_sent_for = 0;             // for this trace: ready() waits until they match
    Selection m_wants_sent_selection;               // ... and this selection
    std::uint64_t m_value_weighted_asked_for = 0;  // the trace ask_for_value_weighted last asked again for
    std::string m_focused_text;                     // the text focus_example last looked at
    std::string m_toast_text;                       // the notice shown over the views, since:
    double m_toast_since = -1e9;
    History<std::string> m_sentences;               // Alt+Left / Alt+Right
    History<Selection> m_selections;                // Ctrl+Z / Ctrl+Y
    std::uint64_t m_history_trace = 0;              // the trace the last recorded selection was made on
    double m_sentence_recorded_at = -1e9;           // glfwGetTime() of the last sentence recorded
    std::unique_ptr<ModelLoader> m_loader;          // detached at shutdown: a load may block on I/O

    struct Registered {
        Placement where;
        std::unique_ptr<Panel> panel;
    };
    std::vector<Registered> m_panels;
    SentenceBarPanel* m_sentence_bar = nullptr;
    HeatmapPanel* m_heatmap = nullptr;
    StepsPanel* m_steps = nullptr;
    ModelOverviewPanel* m_overview = nullptr;     // its Contrast box colours the overview's export
    TrainingPanel* m_training = nullptr;  // ready() waits for its --train-steps run
    LessonPlayer m_lesson;                        // --lesson; inactive otherwise
    Settings m_before_presentation;               // theme and font scale to restore when presentation mode ends
    int m_windowed[4] = {0, 0, 0, 0};             // x, y, width, height before F11
    std::optional<std::filesystem::path> m_session_file;  // autosaved; none with --screenshot unless --session
    Session m_saved_session;                      // what the file holds, so unchanged sessions are not rewritten
    std::optional<Selection> m_session_selection; // a restored selection, applied once the first trace is in
    double m_session_checked = 0.0;               // glfwGetTime() of the last autosave check
    std::filesystem::path m_png_export;           // File -> Export -> PNG: written after this frame's render
    std::filesystem::path m_png_export_next;      // ... after the next one (the save browser is still on this)
    std::optional<PendingExport> m_pending_export;
    std::filesystem::path m_export_dir;           // where the last export went; the save dialogs start there
    MainMenu m_menu;
    FileBrowser m_browser;                        // opening a model
    FileBrowser m_save_browser;                   // saving an export
    NativeFileDialog m_native_dialog;             // zenity: opening a model
    NativeFileDialog m_save_dialog;               // zenity: saving an export

    std::shared_ptr<const TraceBundle> m_bundle;  // this frame's snapshot
    std::optional<std::string> m_compare_input;   // the second sentence as typed; none: the initial one
    ModelPtr m_compare_model;                     // what the compare worker was last asked for
    std::string m_compare_requested;
    std::uint64_t m_startup_load = 0;             // the load of --model (or the default): failure exits 3
    bool m_startup_model_from_session = false;    // ...unless the session named it: then the built-in one opens
    std::uint64_t m_seen_trace = 0;               // Trace::id of the last bundle taken from the worker
    int m_seen_tokens = 0;
    bool m_launch_selection_applied = false;
    float m_font_scale_applied = 0.0f;            // the atlas is rebuilt when the setting differs
    ThemeId m_theme_applied = ThemeId::Count;
    std::string m_load_error_popup;               // shown once in a modal, also kept in the status bar
    bool m_help_requested = false;
    std::vector<Region> m_regions;                // this frame's named rectangles (screenshot report)
    int m_ready_frames = 0;
    bool m_signal_screenshot = false;
    struct ScriptScreenshot {
        std::string path;
        bool when_ready = false;
    };
    std::vector<ScriptScreenshot> m_script_screenshots;  // --script's screenshot steps, in order
    bool m_quit_after_script_screenshots = false;
    bool m_quit = false;
    int m_exit_code = kExitOk;
};

}  // namespace attnscope::gui
