// attnscope: the desktop app. This file reads as setup, loop, cleanup (like ImGui's
// example_glfw_opengl3); the app itself is in app.cpp and the panels in *_panel.cpp.
// Exit codes (design.md): 0 ok, 1 anything else (no display, no OpenGL 3.3), 2 bad usage,
// 3 a model that fails to load.
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <thread>
#include <vector>

#include "shell/app.h"
#include "shell/script.h"
#include "attnscope/atomic_file.h"
#include "attnscope/bench.h"
#include "gfx/gl.h"

namespace {

using namespace attnscope::gui;

std::atomic<bool> g_screenshot_signal{false};  // set by SIGUSR1 (--screenshot-on-signal)

extern "C" void on_sigusr1(int) { g_screenshot_signal = true; }

// ImGui 1.86 reads keys as "down or up at the start of the frame", so a key pressed and released
// between two frames (a fast typist, xdotool, a remote desktop) would never count as pressed.
// While a key pressed since the last frame is unseen, every release waits for that frame (also
// a modifier's: Ctrl+O released quickly must still be Ctrl+O).
struct KeyTaps {
    std::vector<int> pressed;                 // keys pressed since the last frame
    std::vector<std::array<int, 4>> held;     // events waiting for the next frame: key, scancode, action, mods
} g_key_taps;

void on_key(GLFWwindow* window, int key, int scancode, int action, int mods) {
    auto& pressed = g_key_taps.pressed;
    if (action == GLFW_RELEASE && (!pressed.empty() || !g_key_taps.held.empty())) {
        g_key_taps.held.push_back({key, scancode, action, mods});
        return;
    }
    if (action == GLFW_PRESS && !g_key_taps.held.empty()) {  // keep the order: press after the held releases
        g_key_taps.held.push_back({key, scancode, action, mods});
        return;
    }
    if (action == GLFW_PRESS) pressed.push_back(key);
    ImGui_ImplGlfw_KeyCallback(window, key, scancode, action, mods);
}

// After a frame has seen the keys down, the held events happen (through on_key, so a press
// among them is again seen by a frame before its release).
void release_held_keys(GLFWwindow* window) {
    g_key_taps.pressed.clear();
    const auto held = std::move(g_key_taps.held);
    g_key_taps.held.clear();
    for (const auto& k : held) on_key(window, k[0], k[1], k[2], k[3]);
}

struct SettingsChoice {
    Settings settings;
    std::optional<std::filesystem::path> file;  // where to save; none: never write
};

// --screenshot and --no-settings neither read nor write settings, so a screenshot looks the same
// on every machine and tests never touch the real home.
SettingsChoice choose_settings(const LaunchOptions& o) {
    SettingsChoice c;
    if (o.no_settings || o.screenshot_mode()) return c;
    c.file = o.settings ? std::filesystem::path(*o.settings) : default_settings_path();
    attnscope::remove_stale_temporaries(*c.file);  // a save killed half-way last time
    std::string warning;
    c.settings = load_settings(*c.file, warning);
    if (!warning.empty()) std::cerr << "attnscope: " << warning << "\n";
    return c;
}

GLFWwindow* open_window(int width, int height, bool vsync) {
    glfwSetErrorCallback([](int code, const char* text) { std::cerr << "attnscope: GLFW error " << code << ": " << text << "\n"; });
    if (!glfwInit()) {
        std::cerr << "attnscope: cannot open a window (is there a display? DISPLAY is '"
                  << (std::getenv("DISPLAY") ? std::getenv("DISPLAY") : "") << "')\n";
        return nullptr;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    GLFWwindow* window = glfwCreateWindow(width, height, "AttnScope", nullptr, nullptr);
    if (!window) {
        std::cerr << "attnscope: cannot create a window with OpenGL 3.3 core\n";
        glfwTerminate();
        return nullptr;
    }
    glfwMakeContextCurrent(window);
    glfwSwapInterval(vsync ? 1 : 0);
    return window;
}

void setup_imgui(GLFWwindow* window) {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the layout is fixed; our own settings file remembers the rest
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    glfwSetKeyCallback(window, on_key);  // instead of the backend's, which on_key calls
    ImGui_ImplOpenGL3_Init("#version 330 core");
}

// Frame time (everything, with glFinish so the software rasteriser's work counts) and the part
// of it our code and ImGui spend building the frame on the CPU.
void print_frame_stats(const char* what, std::vector<double> ms, int width, int height) {
    if (ms.empty()) {
        std::printf("%s: no frames measured\n", what);
        return;
    }
    std::sort(ms.begin(), ms.end());
    const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size();
    std::printf("%s at %dx%d over %zu frames: mean %.2f ms, median %.2f ms, p95 %.2f ms, max %.2f ms\n", what, width, height,
                ms.size(), mean, ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], ms.back());
}

double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Sleeps until something happens unless something moves; the workers post an empty event when
// they publish. The text cursor blinks, so a focused text field wakes us a few times a second.
void wait_for_events(bool busy, double& last_active) {
    const ImGuiIO& io = ImGui::GetIO();
    const double now = glfwGetTime();
    if (busy || ImGui::IsAnyMouseDown() || io.MouseDelta.x != 0 || io.MouseDelta.y != 0) last_active = now;
    if (now - last_active < 0.3) glfwPollEvents();
    else glfwWaitEventsTimeout(io.WantTextInput ? 0.25 : 0.5);
}

// What --frame-stats prints at the end: the whole frame, and the part spent building the UI.
struct FrameTimes {
    std::vector<double> frame_ms, build_ms;
    int fb_w = 0, fb_h = 0;
};

// Renders the frame ImGui built and swaps it to the screen.
void render_frame(GLFWwindow* window, App& app, FrameTimes& times) {
    glfwGetFramebufferSize(window, &times.fb_w, &times.fb_h);
    glViewport(0, 0, times.fb_w, times.fb_h);
    const ImVec4 clear = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(clear.x, clear.y, clear.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    app.after_render(times.fb_w, times.fb_h);
    glfwSwapBuffers(window);
}

// --script: the steps due at this frame, done as the user would do them.
void play_script(ScriptPlayer& script, int frame, App& app) {
    while (!app.waiting_for_script_screenshot()) {  // the steps after a screenshot-ready wait for it
        std::optional<ScriptStep> step = script.next_due(frame);
        if (!step) return;
        switch (step->kind) {
            case ScriptStep::Kind::Text: app.set_text(step->argument); break;
            case ScriptStep::Kind::Model: app.open_model(step->argument); break;
            case ScriptStep::Kind::Screenshot: app.request_script_screenshot(std::move(step->argument), false); break;
            case ScriptStep::Kind::ScreenshotReady: app.request_script_screenshot(std::move(step->argument), true); break;
            case ScriptStep::Kind::Select: app.select(step->select[0], step->select[1], step->select[2], step->select[3]); break;
            case ScriptStep::Kind::Zoom: app.zoom_heatmap(step->zoom); break;
            case ScriptStep::Kind::Back: app.step_sentences(-1); break;
            case ScriptStep::Kind::Forward: app.step_sentences(+1); break;
            case ScriptStep::Kind::Undo: app.step_selections(-1); break;
            case ScriptStep::Kind::Redo: app.step_selections(+1); break;
            case ScriptStep::Kind::Export: app.export_view(static_cast<ExportKind>(step->export_kind)); break;
            case ScriptStep::Kind::ExportBrowser: app.export_with_browser(static_cast<ExportKind>(step->export_kind)); break;
            case ScriptStep::Kind::Quit: app.request_quit_after_script_screenshots(); break;
            case ScriptStep::Kind::Target: app.set_target(step->argument); break;
            case ScriptStep::Kind::Translate: app.set_target(std::nullopt); break;
            case ScriptStep::Kind::Attention: app.set_stack(static_cast<AttentionStack>(step->stack)); break;
            case ScriptStep::Kind::Field: app.set_field(static_cast<attnscope::HeatmapField>(step->field)); break;
        }
    }
}

// One pass of the loop: events, the UI built by the app, the picture rendered.
void run_one_frame(GLFWwindow* window, App& app, const LaunchOptions& options, ScriptPlayer& script, int frame,
                   double& last_active, FrameTimes& times) {
    const bool measuring = options.screenshot_mode() || options.frame_stats || options.scripted();
    // Poll and handle events
    if (measuring && !app.ready() && !options.scripted()) glfwWaitEventsTimeout(0.005);  // leave the cores to the workers
    else if (measuring) glfwPollEvents();
    else wait_for_events(app.animating(), last_active);
    if (g_screenshot_signal.exchange(false)) app.request_signal_screenshot();
    const auto started = std::chrono::steady_clock::now();

    play_script(script, frame, app);

    // Start the frame
    app.before_frame();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    if (options.screenshot_mode()) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);  // no hover: same picture every run
    ImGui::NewFrame();
    app.draw();
    ImGui::Render();
    const double built = ms_since(started);

    // Rendering
    render_frame(window, app, times);
    release_held_keys(window);  // this frame has seen them down
    app.set_frame_work_ms(ms_since(started));
    // Where the swap does not wait for the display (no vsync: Xvfb, some drivers), at most
    // about 60 frames a second, so the workers keep the cores while the user types.
    if (!measuring) std::this_thread::sleep_until(started + std::chrono::milliseconds(16));
    // A script measures every frame (the busy ones are the point); otherwise only once ready.
    if (options.frame_stats && (app.ready() || options.scripted())) {
        glFinish();  // count the GPU's (llvmpipe's) work too
        times.frame_ms.push_back(ms_since(started));
        times.build_ms.push_back(built);
    }
}

// Lets dropped files reach the app (File -> Open by drag and drop).
void route_drops_to(GLFWwindow* window, App* app) {
    glfwSetWindowUserPointer(window, app);
    glfwSetDropCallback(window, [](GLFWwindow* w, int count, const char** paths) {
        static_cast<App*>(glfwGetWindowUserPointer(w))->on_drop(std::vector<std::string>(paths, paths + count));
    });
}

void shut_down_window(GLFWwindow* window) {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
}

}  // namespace

int main(int argc, char** argv) {
    attnscope::tune_runtime_for_traces();
    const ParsedOptions parsed = parse_options(argc, argv);
    if (!parsed.options) return parsed.exit_code;
    const LaunchOptions& options = *parsed.options;
    std::vector<ScriptStep> steps;
    if (options.scripted()) {
        auto loaded = load_script(options.script);
        if (!loaded.ok()) {
            std::cerr << "attnscope: --script: " << loaded.error().message << "\n";
            return kExitUsage;
        }
        steps = std::move(loaded).value();
    }
    ScriptPlayer script(std::move(steps));
    SettingsChoice chosen = choose_settings(options);
    const bool measuring = options.screenshot_mode() || options.frame_stats || options.scripted();

    // Before the window exists: a test sends SIGUSR1 as soon as it sees the window, and without
    // the handler the signal's default action would end the app.
    if (!options.screenshot_on_signal.empty()) std::signal(SIGUSR1, on_sigusr1);

    // Setup window
    GLFWwindow* window = open_window(options.width.value_or(chosen.settings.width),
                                     options.height.value_or(chosen.settings.height), !measuring);
    if (!window) return kExitFailure;
    setup_imgui(window);

    // Our state
    auto app = std::make_unique<App>(window, options, chosen.settings, chosen.file);
    std::string error;
    if (!app->init(error)) {
        std::cerr << "attnscope: " << error << "\n";
        return kExitFailure;
    }
    route_drops_to(window, app.get());

    // Main loop
    FrameTimes times;
    double last_active = glfwGetTime();
    for (int frame = 0; !glfwWindowShouldClose(window) && !app->should_quit(); ++frame)
        run_one_frame(window, *app, options, script, frame, last_active, times);

    // Cleanup
    if (chosen.file) app->save_settings_now();
    app->save_session_now();  // --session, or the autosaved one
    if (options.frame_stats) {
        print_frame_stats("frame time", times.frame_ms, times.fb_w, times.fb_h);
        print_frame_stats("of which building the UI (CPU)", times.build_ms, times.fb_w, times.fb_h);
    }
    const int exit_code = app->exit_code();
    app.reset();  // its textures and shader need the GL context
    shut_down_window(window);
    return exit_code;
}
