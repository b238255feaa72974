// LessonPlayer: plays a lesson (attnscope/lesson.h) one step at a time. A step is shown in three
// phases, each waiting for the app's workers: its model is loaded, then its sentence is traced by
// that model, then its view, layer, head, query and key are selected. Keys (app_events.cpp):
// N next step, P previous step; the arrows and PgUp/PgDn keep moving the selection within a
// step, and Space/Backspace keep stepping the step-by-step view.
#pragma once

#include <string>

#include "attnscope/lesson.h"

namespace attnscope::gui {

struct AppState;
class AppActions;

// What the caption panel shows; count == 0: no lesson is playing.
struct LessonCaption {
    std::string lesson_title, title, text;
    int step = 0, count = 0;
    // What the step sets in the views' own controls (0 / "": leave them), and a number that changes
    // each time a step is entered, so a view applies them once and the class may change them after.
    int page = 0;
    std::string field;
    float zoom = 0.0f;
    std::string training;  // the Training view's run: "ambiguous-words", "induction" or ""
    int entered = 0;
    bool shown = false;  // the step's model, sentence and selection are on screen: apply them now
    bool active() const { return count > 0; }
};

class LessonPlayer {
public:
    void start(Lesson lesson, int step);
    bool active() const { return !m_lesson.steps.empty(); }
    const LessonStep& current() const { return m_lesson.steps[static_cast<std::size_t>(m_step)]; }
    int step() const { return m_step; }
    int step_count() const { return static_cast<int>(m_lesson.steps.size()); }

    // Moves `delta` steps, stopping at the first and the last; the step is applied by update().
    void go(int delta);

    // Each frame, after the workers' results are in: moves the app one phase closer to the
    // current step. Returns why the step cannot be shown (a model that fails to load, a word not
    // in the sentence, a layer the model lacks) once, else "".
    std::string update(AppState& state, AppActions& actions);

    bool settled() const { return !active() || m_phase == Phase::Shown || m_phase == Phase::Failed; }
    LessonCaption caption() const;
    // "lesson step 2/6 view tokens model builtin:bank-decoder layer 1 head 0 token 6 key 3: <title>"
    std::string report() const;

private:
    enum class Phase { Model, Text, Selection, Shown, Failed };
    std::string wait_for_model(AppState& state, AppActions& actions);
    void show_text(AppState& state, AppActions& actions);
    std::string select(AppState& state);

    Lesson m_lesson;
    int m_step = 0;
    int m_entered = 0;  // steps entered so far (LessonCaption::entered)
    Phase m_phase = Phase::Model;
    bool m_model_requested = false;
    std::uint64_t m_trace_before = 0;  // the trace on screen before this step's sentence was sent
    int m_query = -1, m_key = -1;      // the step's tokens, once resolved
    int m_best_layer = 0, m_best_head = 0;  // the head selected, once resolved ("head": "best")
};

}  // namespace attnscope::gui
