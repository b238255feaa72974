// Sections: [SECTION] Stepping  [SECTION] Phases  [SECTION] Caption and report
#include "shell/lesson_player.h"

#include <algorithm>
#include <sstream>

#include "attnscope/head_stats.h"
#include "attnscope/token_labels.h"
#include "panels/panel.h"

namespace attnscope::gui {


// [SECTION] Stepping

void LessonPlayer::start(Lesson lesson, int step) {
    m_lesson = std::move(lesson);
    m_step = -1;
    go(step + 1);
}

void LessonPlayer::go(int delta) {
    const int next = std::clamp(m_step + delta, 0, step_count() - 1);
    if (next == m_step) return;
    m_step = next;
    ++m_entered;
    m_phase = Phase::Model;
    m_model_requested = false;
    m_query = m_key = -1;
}

std::string LessonPlayer::update(AppState& state, AppActions& actions) {
    if (!active()) return "";
    std::string error;
    switch (m_phase) {
    case Phase::Model: error = wait_for_model(state, actions); break;
    case Phase::Text: show_text(state, actions); break;
    case Phase::Selection: error = select(state); break;
    case Phase::Shown:
    case Phase::Failed: break;
    }
    if (!error.empty()) {
        m_phase = Phase::Failed;
        std::ostringstream out;
        out << "lesson step " << m_step + 1 << " (\"" << current().title << "\"): " << error;
        return out.str();
    }
    return "";
}

// [SECTION] Phases

// The startup load (--model is set to the first step's model) counts as this step's request.
std::string LessonPlayer::wait_for_model(AppState& state, AppActions& actions) {
    const std::string& spec = current().model;
    if (state.loading && state.loading_spec == spec) {
        m_model_requested = true;
        return "";
    }
    if (!state.loading && state.model_spec == spec && state.model) {
        m_phase = Phase::Text;
        show_text(state, actions);
        return "";
    }
    if (!m_model_requested) {
        state.load_error.clear();  // so a failure below is this request's
        actions.open_model(spec);
        m_model_requested = true;
        return "";
    }
    if (!state.loading) return "model " + spec + " did not load: " + (state.load_error.empty() ? "unknown error" : state.load_error);
    return "";  // another model is still loading; ours is queued behind it
}

// Sent even when the text is unchanged: the trace must come from this step's model. The step's
// target (or none: the model's own translation) goes with it, in the same request.
void LessonPlayer::show_text(AppState& state, AppActions& actions) {
    actions.show_view(*view_from_name(current().view));
    if (const auto stack = stack_from_name(current().attention)) actions.set_stack(*stack);
    m_trace_before = state.trace.good ? state.trace.good->id() : 0;
    state.target = current().target.empty() ? std::nullopt : std::optional<std::string>(current().target);
    actions.set_text(current().sentence);
    m_phase = Phase::Selection;
}

std::string LessonPlayer::select(AppState& state) {
    const TraceBundle* bundle = state.trace.good.get();
    if (state.trace.busy) return "";
    if (!state.trace.error.empty() && state.trace.error_id > m_trace_before) return "the sentence did not trace: " + state.trace.error;
    if (!bundle || bundle->id() <= m_trace_before || input_text(*bundle->trace) != current().sentence) return "";
    const LessonStep& step = current();
    if (!bundle->encoder_decoder() && (!step.attention.empty() || !step.target.empty()))
        return std::string(step.attention.empty() ? "target" : "attention") + ": " + step.model + " is not an encoder-decoder";
    // The kind of attention shown: its rows are the queries, keys_of its columns (the source's
    // tokens for cross-attention, whose rows are the target's).
    const Trace& trace = *bundle->stack(state.stack).trace;
    const std::vector<std::string> words = token_labels(trace), key_words = token_labels(keys_of(trace));
    if (step.layer >= static_cast<int>(trace.layers.size()))
        return "layer " + std::to_string(step.layer) + ": the model has " + std::to_string(trace.layers.size()) + " layers";
    if (step.head >= trace.model.n_heads)
        return "head " + std::to_string(step.head) + ": the model has " + std::to_string(trace.model.n_heads) + " heads";
    const auto query = resolve_token(step.token, words);
    if (!query) return "token " + step.token.describe() + " is not in \"" + trace.text + "\"";
    const auto key = step.key.empty() ? std::optional<int>(-1) : resolve_token(step.key, key_words);
    if (!key) return "key " + step.key.describe() + " is not in \"" + keys_of(trace).text + "\"";
    state.selection = Selection{step.layer, step.head, *query, *key};
    if (step.best_head && *key < 0) {  // "best" inherited by a step with no key: the head stays
        state.selection.layer = m_best_layer;
        state.selection.head = m_best_head;
    } else if (step.best_head) {
        // the lesson's texts are short, so the trace keeps its matrices: reads, not work
        const std::vector<float> weights = key_weights(trace, *query, *key);
        const int best = static_cast<int>(std::max_element(weights.begin(), weights.end()) - weights.begin());
        state.selection.layer = best / trace.model.n_heads;
        state.selection.head = best % trace.model.n_heads;
    }
    m_best_layer = state.selection.layer;
    m_best_head = state.selection.head;
    m_query = *query;
    m_key = *key;
    m_phase = Phase::Shown;
    return "";
}

// [SECTION] Caption and report

LessonCaption LessonPlayer::caption() const {
    if (!active()) return {};
    const LessonStep& s = current();
    return {m_lesson.title, s.title, s.text, m_step, step_count(), s.page, s.field, s.zoom, s.training, m_entered, m_phase == Phase::Shown};
}

std::string LessonPlayer::report() const {
    if (!active()) return "";
    const LessonStep& s = current();
    std::ostringstream out;
    out << "lesson step " << m_step + 1 << "/" << step_count() << " view " << s.view << " model " << s.model << " layer "
        << (s.best_head ? m_best_layer : s.layer) << " head " << (s.best_head ? m_best_head : s.head) << " token " << m_query << " key " << m_key;
    if (!s.attention.empty()) out << " attention " << s.attention;
    out << ": " << s.title;
    return out.str();
}

}  // namespace attnscope::gui
