// App, continued: teaching in front of a class. Lessons (--lesson, N / P), presentation mode
// (--presentation, F5: projector theme, large type, no side view) and full screen (F11).
// Sections: [SECTION] Lessons  [SECTION] Presentation mode  [SECTION] Full screen
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "shell/app.h"

namespace attnscope::gui {

namespace {

constexpr float kPresentationFontScale = 1.8f;  // 32 px type: readable from the back of a classroom

}  // namespace

// [SECTION] Lessons

// --lesson: a lesson that does not parse exits 3 like a model that does not load. The first
// step's model and sentence replace --model and --text, so the startup load is the step's.
void App::start_lesson() {
    if (m_options.lesson.empty()) {
        if (m_options.presentation) set_presentation(true);
        return;
    }
    auto lesson = load_lesson(m_options.lesson);
    if (!lesson.ok()) {
        std::cerr << "attnscope: " << lesson.error().message << "\n";
        m_exit_code = kExitBadInput;
        m_quit = true;
        return;
    }
    const int count = static_cast<int>(lesson.value().steps.size());
    if (m_options.lesson_step > count) {
        std::cerr << "attnscope: --lesson-step " << m_options.lesson_step << ": the lesson has " << count << " steps\n";
        m_exit_code = kExitUsage;
        m_quit = true;
        return;
    }
    m_lesson.start(std::move(lesson).value(), m_options.lesson_step - 1);
    m_options.model = m_lesson.current().model;
    m_options.text = m_lesson.current().sentence;
    m_state.text = m_lesson.current().sentence;
    m_state.front = *view_from_name(m_lesson.current().view);
    set_presentation(true);  // a lesson is for the projector; F5 leaves presentation mode
}

// A step that cannot be shown is a broken lesson: with --screenshot it exits 3 (so a test
// fails), otherwise the message shows like a model that would not load.
void App::update_lesson() {
    const std::string error = m_lesson.update(m_state, *this);
    m_state.lesson = m_lesson.caption();
    if (error.empty()) return;
    if (m_options.screenshot_mode()) {
        std::cerr << "attnscope: " << error << "\n";
        m_exit_code = kExitBadInput;
        m_quit = true;
        return;
    }
    m_state.load_error = error;
    m_load_error_popup = error;
}

void App::lesson_step(int delta) { m_lesson.go(delta); }

// N: next step; P: previous. The arrows and PgUp / PgDn move the selection, and Space /
// Backspace step the step-by-step view, so a lesson can use that view too.
void App::handle_lesson_keys() {
    if (!m_lesson.active()) return;
    if (ImGui::IsKeyPressed(GLFW_KEY_N)) lesson_step(+1);
    if (ImGui::IsKeyPressed(GLFW_KEY_P)) lesson_step(-1);
}

// [SECTION] Presentation mode

void App::set_presentation(bool on) {
    if (on == m_state.presentation) return;
    m_state.presentation = on;
    Settings& s = m_state.settings;
    if (on) {
        m_before_presentation = s;
        s.theme = ThemeId::Projector;
        s.font_scale = std::max(s.font_scale, kPresentationFontScale);
    } else {
        s.theme = m_before_presentation.theme;
        s.font_scale = m_before_presentation.font_scale;
    }
}

// [SECTION] Full screen

void App::toggle_fullscreen() {
    if (glfwGetWindowMonitor(m_window)) {  // back to the window it was
        glfwSetWindowMonitor(m_window, nullptr, m_windowed[0], m_windowed[1], m_windowed[2], m_windowed[3], GLFW_DONT_CARE);
        m_state.fullscreen = false;
        return;
    }
    GLFWmonitor* monitor = glfwGetPrimaryMonitor();
    const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr;
    if (!mode) return;
    glfwGetWindowPos(m_window, &m_windowed[0], &m_windowed[1]);
    glfwGetWindowSize(m_window, &m_windowed[2], &m_windowed[3]);
    glfwSetWindowMonitor(m_window, monitor, 0, 0, mode->width, mode->height, mode->refreshRate);
    m_state.fullscreen = true;
}

}  // namespace attnscope::gui
