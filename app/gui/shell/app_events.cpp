// App, continued: what arrives from outside the frame. Worker and loader results, keys, dropped
// files, popups, screenshots and settings.
// Sections: [SECTION] Model loader  [SECTION] Trace worker  [SECTION] Compare and projection workers
//           [SECTION] Keys  [SECTION] Popups  [SECTION] Screenshots  [SECTION] Settings
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <utility>

#include "shell/app.h"
#include "attnscope/head_stats.h"
#include "attnscope/text.h"
#include "attnscope/token_labels.h"
#include "shell/examples.h"
#include "panels/heatmap_panel.h"
#include "panels/steps_panel.h"
#include "panels/compare_panel.h"
#include "widgets/draw_util.h"
#include "gfx/screenshot.h"
#include "panels/training_panel.h"

namespace attnscope::gui {

// [SECTION] Model loader

void App::poll_model_loader() {
    m_state.loading = m_loader->busy();
    m_state.loading_spec = m_loader->loading_spec();
    m_state.loading_seconds = m_loader->loading_seconds();
    if (auto outcome = m_loader->take_finished()) on_model_loaded(*outcome);
}

void App::on_model_loaded(LoadOutcome& outcome) {
    if (!outcome.result.ok()) {
        const std::string& message = outcome.result.error().message;
        if (outcome.id == m_startup_load && m_startup_model_from_session) {
            // A saved session is a convenience: a model that no longer loads must not stop every
            // start (the autosave would bring it back each time). Open the built-in one, say why.
            m_startup_model_from_session = false;
            std::cerr << "attnscope: " << message << " (the session's model; opening " << kDefaultModel << ")\n";
            m_state.load_error = message;
            m_load_error_popup = message;
            m_startup_load = m_loader->request(kDefaultModel);
            return;
        }
        if (outcome.id == m_startup_load) {  // design.md: a model that fails to load exits 3
            std::cerr << "attnscope: " << message << "\n";
            m_exit_code = kExitBadInput;
            m_quit = true;
            return;
        }
        m_state.load_error = message;  // the current model stays
        m_load_error_popup = message;
        return;
    }
    LoadedModel& loaded = outcome.result.value();
    m_state.model = loaded.model;
    m_state.model_spec = outcome.spec;
    m_state.example_unknowns = loaded.example_unknowns;
    m_state.load_error.clear();
    if (outcome.spec.rfind("builtin:", 0) != 0 && !m_options.screenshot_mode()) {
        remember_recent(m_state.settings, outcome.spec);
        save_settings_now();
    }
    // A target written for the model before is not this one's: it translates afresh. --target
    // belongs to the model opened at the start.
    if (outcome.id != m_startup_load) m_state.target.reset();
    // A text the app chose follows the model; a text the user typed stays.
    if (m_state.text.empty() || m_state.text == m_state.suggested_text) {
        m_state.suggested_text = loaded.suggested_text;
        m_state.text = loaded.suggested_text;
    }
    set_text(m_state.text);
}

// [SECTION] Trace worker

void App::poll_trace_worker() {
    m_state.trace = m_worker->latest();
    m_bundle = m_state.trace.good;
    ask_for_value_weighted();
    if (!m_bundle || m_bundle->id() == m_seen_trace) return;
    m_seen_trace = m_bundle->id();
    const Trace& trace = *view_trace();  // the selection is the shown kind of attention's
    const bool launch = !m_launch_selection_applied;
    if (launch) apply_launch_selection(trace);
    else follow_text_end(trace);
    const bool launch_chose = launch && (m_options.layer || m_options.head || m_options.token || m_options.key);
    if (launch_chose) m_focused_text = input_text(trace);  // --layer, --head, --token, --key win over the example's story
    else focus_example(trace);
    m_seen_tokens = trace.n_tokens();
}

// The switch turned to value-weighted while the trace on screen was made without it: the same
// text again, weighed this time (a decoder reuses every row but the last, so only the weighing
// costs). Once per trace, so a request that fails is not repeated every frame.
void App::ask_for_value_weighted() {
    if (!wants_value_weighted() || !m_bundle || m_bundle->value_weighted_asked || m_state.trace.busy || !m_state.model) return;
    if (m_bundle->id() == m_value_weighted_asked_for || !shows_current_text()) return;
    m_value_weighted_asked_for = m_bundle->id();
    m_worker->request(m_state.model, m_state.text, m_state.target, true);
    m_state.trace.busy = true;
}

// --layer, --head, --token and --key apply to the first trace; out of range exits 2 (bad usage).
void App::apply_launch_selection(const Trace& trace) {
    m_launch_selection_applied = true;
    Selection& s = m_state.selection;
    s.query = trace.n_tokens() - 1;  // the last word: "... to the bank"
    auto check = [&](const std::optional<int>& v, int count, const char* flag, const char* what, int& out) {
        if (!v) return;
        if (*v < count) {
            out = *v;
            return;
        }
        std::cerr << "attnscope: " << flag << " " << *v << ": the " << what << " has " << count << " (0.." << count - 1 << ")\n";
        m_exit_code = kExitUsage;
        m_quit = true;
    };
    // An encoder-decoder's counts are those of the attention shown (--attention): its encoder and
    // decoder may differ, and cross-attention's keys are the source's tokens.
    const bool pair = is_encoder_decoder(trace) || shows_cross(trace) || m_bundle->encoder_decoder();
    check(m_options.layer, static_cast<int>(trace.layers.size()), "--layer", pair ? "attention's layer count" : "model's layer count", s.layer);
    check(m_options.head, trace.model.n_heads, "--head", pair ? "attention's heads per layer" : "model's heads per layer", s.head);
    check(m_options.token, trace.n_tokens(), "--token", pair ? "queries' token count" : "text's token count", s.query);
    check(m_options.key, key_count(trace), "--key", pair ? "keys' token count" : "text's token count", s.key);
}

// An example sentence opens on its story: its query word selected, its key word chosen, and the
// head in which the query looks at the key most (the overview ranks every head by that weight).
// Once per text, when it becomes an example's: the user's own clicks are not undone while the
// same text stays. Lessons choose their own selection.
void App::focus_example(const Trace& trace) {
    if (m_lesson.active()) return;
    if (m_bundle->encoder_decoder()) {
        focus_translation_example(trace);
        return;
    }
    if (trace.text == m_focused_text) return;
    m_focused_text = trace.text;
    const Example* e = example_for_text(trace.text);
    if (!e || !e->query || !e->key || trace.layers.empty()) return;
    const auto query = find_word_token(trace, e->query, Occurrence::Last);
    const auto key = find_word_token(trace, e->key, Occurrence::Last);
    if (!query || !key) return;
    // A decoder's query cannot see a later key: the pair is selected, the masked cell shows why,
    // and the head stays as it was (every head gives it 0).
    if (trace.model.causal && *key > *query) {
        m_state.selection.query = *query;
        m_state.selection.key = *key;
        return;
    }
    // The example texts are short, so the trace keeps its matrices: these are reads, not work.
    const std::vector<float> weights = key_weights(trace, *query, *key);
    const int best = static_cast<int>(std::max_element(weights.begin(), weights.end()) - weights.begin());
    m_state.selection = Selection{best / trace.model.n_heads, best % trace.model.n_heads, *query, *key};
}

// A translation example opens on cross-attention's story: the row of the decoder step that writes
// the example's French word, its English word as the key, and the cross head where that row looks
// at it most (builtin:translator: layer 1, head 3, where each step looks at the word it translates).
// Only when cross-attention is shown (--attention encoder or decoder keeps its own first screen).
void App::focus_translation_example(const Trace& trace) {
    if (input_text(trace) == m_focused_text) return;
    m_focused_text = input_text(trace);
    const Example* e = translation_example_for_text(m_focused_text);
    if (!e || !shows_cross(trace) || trace.layers.empty()) return;
    std::optional<int> row;
    for (int i = 0; i < trace.n_tokens() && !row; ++i)
        if (written_at(trace, i) == e->query) row = i;
    const auto key = find_word_token(keys_of(trace), e->key, Occurrence::First);
    if (!row || !key) return;  // the model wrote another translation: nothing to point at
    const std::vector<float> weights = key_weights(trace, *row, *key);  // short texts: reads, not work
    const int best = static_cast<int>(std::max_element(weights.begin(), weights.end()) - weights.begin());
    m_state.selection = Selection{best / trace.model.n_heads, best % trace.model.n_heads, *row, *key};
}

// While typing, a query on the last token stays on the last token.
void App::follow_text_end(const Trace& trace) {
    Selection& s = m_state.selection;
    if (s.query == m_seen_tokens - 1) s.query = trace.n_tokens() - 1;
}

// [SECTION] Compare and projection workers

// The second sentence is traced while the compare view is in front and a first sentence is on
// screen, again whenever the model or the typed text changes (the newest request wins).
void App::update_compare() {
    m_state.compare = m_compare_worker->latest();  // this frame's snapshot: keeps the trace alive
    if (m_state.front != ViewId::Compare || !m_state.model || !m_bundle) return;
    const std::string text = m_compare_input.value_or(initial_compare_text(m_state));
    if (m_state.model == m_compare_model && text == m_compare_requested) return;
    m_compare_model = m_state.model;
    m_compare_requested = text;
    m_compare_worker->request(m_state.model, text);
    m_state.compare.busy = true;
}

// The steps view's W_Q, W_K, W_V: the selected head of the model that made the trace on screen.
// An encoder-decoder's model gives only its decoder's self-attention W (Model::head_projection):
// the encoder's and the cross-attention's steps are shown without W, so nothing is asked for them.
void App::update_projection() {
    m_projections->take_finished();
    if (m_state.front != ViewId::Steps || !m_bundle || view_bundle() != m_bundle.get()) return;
    const Trace& trace = *m_bundle->trace;
    Selection s = m_state.selection;  // draw() clamps the real one; this frame's may not be yet
    clamp_to_view(s, trace);
    m_projections->want(trace, s.layer, s.head);
}

void App::select(int layer, int head, int query, int key) { m_state.selection = Selection{layer, head, query, key}; }

// [SECTION] History

// Sentences: each text traced is a step, except while the user types: a keystroke's text that
// shares at least half of the current entry's start, within 3 s of it, replaces the entry, so
// typing a sentence is one step and choosing an example, going back or pasting another sentence
// is a new one. Selections: every change the user makes is a step; one that comes with a new
// trace (the query following the end of the text while typing) is folded into the current step.
void App::record_history() {
    if (!m_bundle) return;
    const Trace& t = *view_trace();
    const std::string& typed = input_text(*m_bundle->trace);
    if (t.id != m_history_trace && typed == m_state.text && !typed.empty()) record_sentence(typed);
    Selection s = m_state.selection;
    clamp_to_view(s, t);
    if (t.id != m_history_trace) m_selections.replace_current(s);
    else m_selections.record(s);
    m_history_trace = t.id;
    m_state.can_go_back = m_sentences.can_back();
    m_state.can_go_forward = m_sentences.can_forward();
    m_state.can_undo_selection = m_selections.can_back();
    m_state.can_redo_selection = m_selections.can_forward();
}

void App::record_sentence(const std::string& text) {
    const double now = glfwGetTime();
    const std::string* current = m_sentences.current();
    std::size_t shared = 0;
    if (current)
        while (shared < current->size() && shared < text.size() && (*current)[shared] == text[shared]) ++shared;
    const bool typing = ImGui::GetIO().WantTextInput && current && now - m_sentence_recorded_at < 3.0 &&
                        2 * shared >= std::min(current->size(), text.size());
    if (typing) m_sentences.replace_current(text);
    else m_sentences.record(text);
    m_sentence_recorded_at = now;
}

void App::step_sentences(int delta) {
    const std::optional<std::string> text = delta < 0 ? m_sentences.back() : m_sentences.forward();
    if (!text) return;
    set_text(*text);
}

void App::step_selections(int delta) {
    if (const std::optional<Selection> s = delta < 0 ? m_selections.back() : m_selections.forward()) m_state.selection = *s;
}

void App::zoom_heatmap(float zoom) { m_heatmap->zoom_to_selection(zoom); }

// A long trace's attention: the parts the panels showed last frame, for the selection now.
void App::update_attention() {
    m_attention->take_finished();
    if (!m_bundle) return;
    const TraceBundle& shown = *view_bundle();
    const Trace& trace = *shown.trace;
    Selection s = m_state.selection;  // as in update_projection
    clamp_to_view(s, trace);
    m_attention->want(shown.trace, s, m_wants);
    m_wants_sent = m_wants;
    m_wants_sent_for = trace.id;
    m_wants_sent_selection = s;
}

// The frame just drawn asks for nothing the fetcher has not been asked for, and all has come.
bool App::attention_settled() const {
    if (!m_bundle || view_trace()->keeps_attention()) return true;
    const Selection& s = m_state.selection, &sent = m_wants_sent_selection;
    const bool same_selection = s.layer == sent.layer && s.head == sent.head && s.query == sent.query;
    return m_wants_sent_for == view_trace()->id && same_selection && m_wants_sent == m_wants && m_attention->settled();
}

bool App::compare_settled() const { return !m_compare_model || !m_state.compare.busy; }

bool App::projection_settled() const {
    if (m_state.front != ViewId::Steps || !m_bundle || view_bundle() != m_bundle.get()) return true;
    const Selection& s = m_state.selection;
    return m_projections->find(*m_bundle->trace, s.layer, s.head) != nullptr;
}

bool App::ready() const {
    if (!m_state.model || m_state.loading || m_state.trace.busy) return false;
    if (m_training && !m_training->settled()) return false;  // --train-steps: shoot the finished run
    if (!compare_settled() || !projection_settled() || !attention_settled()) return false;
    // The value-weighted field shows what the worker weighed: wait for it (or for its refusal).
    if (wants_value_weighted() && m_bundle && !m_bundle->value_weighted_asked && m_state.trace.error.empty()) return false;
    if (!m_lesson.settled()) return false;                   // --lesson: the step's model, text and selection
    return shows_current_text() || !m_state.trace.error.empty();
}

// An encoder-decoder's trace is of the source typed and, once the user wrote one, of their target.
bool App::shows_current_text() const {
    if (!m_bundle) return false;
    const Trace& t = *m_bundle->trace;
    if (input_text(t) != m_state.text) return false;
    return !m_bundle->encoder_decoder() || !m_state.target || t.text == *m_state.target;
}

bool App::animating() const {
    const bool toast = !m_toast_text.empty() && glfwGetTime() - m_toast_since <= kToastSeconds;  // redraw to hide it
    return m_state.loading || m_state.trace.busy || m_native_dialog.running() || m_save_dialog.running() || m_signal_screenshot ||
           toast || !m_png_export_next.empty();
}

void App::on_drop(const std::vector<std::string>& paths) {
    if (!paths.empty()) open_model(paths.front());  // a file or a model folder
}

// [SECTION] Keys

// Arrows, PgUp and PgDn move the selection only when no text field has the keyboard.
void App::handle_keys() {
    const ImGuiIO& io = ImGui::GetIO();
    auto pressed = [](int glfw_key) { return ImGui::IsKeyPressed(glfw_key); };  // 1.86: key index = GLFW key
    if (io.KeyCtrl) {
        const float scale = m_state.settings.font_scale;
        if (pressed(GLFW_KEY_EQUAL) || pressed(GLFW_KEY_KP_ADD)) set_font_scale(scale * 1.15f);
        if (pressed(GLFW_KEY_MINUS) || pressed(GLFW_KEY_KP_SUBTRACT)) set_font_scale(scale / 1.15f);
        if (pressed(GLFW_KEY_0) || pressed(GLFW_KEY_KP_0)) set_font_scale(1.0f);
        if (pressed(GLFW_KEY_O)) open_file_dialog();
        if (pressed(GLFW_KEY_Q)) request_quit();
        if (!io.WantTextInput) {  // in the sentence field, Ctrl+Z undoes typing (ImGui's own)
            if (pressed(GLFW_KEY_Z)) step_selections(io.KeyShift ? +1 : -1);
            if (pressed(GLFW_KEY_Y)) step_selections(+1);
        }
        return;
    }
    if (io.KeyAlt && !io.WantTextInput) {
        if (pressed(GLFW_KEY_LEFT)) step_sentences(-1);
        if (pressed(GLFW_KEY_RIGHT)) step_sentences(+1);
        return;
    }
    if (pressed(GLFW_KEY_F1)) show_help();
    if (pressed(GLFW_KEY_F11)) toggle_fullscreen();
    if (pressed(GLFW_KEY_F5)) set_presentation(!m_state.presentation);
    if (io.WantTextInput || ImGui::IsPopupOpen(nullptr, ImGuiPopupFlags_AnyPopupId)) return;
    handle_lesson_keys();
    Selection& s = m_state.selection;
    // In the step-by-step view ←/→ walk the steps (steps_panel.cpp); the chips pick the query there.
    const bool arrows_step = m_state.front == ViewId::Steps && !m_state.lesson.active();
    if (!arrows_step && pressed(GLFW_KEY_LEFT)) --s.query;
    if (!arrows_step && pressed(GLFW_KEY_RIGHT)) ++s.query;
    if (pressed(GLFW_KEY_UP)) --s.head;
    if (pressed(GLFW_KEY_DOWN)) ++s.head;
    if (pressed(GLFW_KEY_PAGE_UP)) --s.layer;
    if (pressed(GLFW_KEY_PAGE_DOWN)) ++s.layer;
    s.query = std::max(0, s.query);  // the upper ends are clamped to the trace at the next frame
    s.head = std::max(0, s.head);
    s.layer = std::max(0, s.layer);
}

// [SECTION] Popups

void App::draw_popups(const FrameContext& frame) {
    if (auto chosen = m_browser.draw(frame)) open_model(*chosen);  // "" when cancelled: nothing
    if (auto chosen = m_save_browser.draw(frame)) {
        if (chosen->empty()) m_pending_export.reset();  // cancelled: nothing is written
        else finish_export(*chosen);
    }
    if (m_help_requested) {
        ImGui::OpenPopup("Keys and mouse");
        m_help_requested = false;
    }
    if (ImGui::BeginPopupModal("Keys and mouse", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
        draw_key_help();
        if (ImGui::Button("Close") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
    }
    if (!m_load_error_popup.empty()) ImGui::OpenPopup("Could not open the model");
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(display.x * 0.5f, 0));
    if (ImGui::BeginPopupModal("Could not open the model", nullptr, ImGuiWindowFlags_NoSavedSettings)) {
        colored_wrapped_text(m_theme.error, m_state.load_error);
        ImGui::Spacing();
        ImGui::TextWrapped("The model that was open stays open.");
        if (ImGui::Button("OK") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter))) ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
    }
    m_load_error_popup.clear();
}

// [SECTION] Screenshots

void App::after_render(int width, int height) {
    // SIGUSR1 (--screenshot-on-signal): waits until the current text's trace is on screen, then
    // writes the file and says on stdout which text it shows, so a test knows what it looks at.
    if (m_signal_screenshot && !m_options.screenshot_on_signal.empty() && ready()) {
        m_signal_screenshot = false;
        const auto written = write_screenshot(m_options.screenshot_on_signal, width, height);
        if (written.ok() && m_lesson.active()) std::printf("%s\n", m_lesson.report().c_str());  // before the line tests wait for
        if (written.ok()) std::printf("signal screenshot %s text: %s\n", m_options.screenshot_on_signal.c_str(), m_state.text.c_str());
        else std::cerr << "attnscope: " << written.error().message << "\n";
        std::fflush(stdout);
    }
    if (!m_png_export.empty()) {  // File -> Export -> Window as PNG: this frame, as rendered
        const auto written = write_screenshot(m_png_export, width, height);
        m_state.notice = written.ok() ? "saved " + m_png_export.string() : written.error().message;
        m_png_export.clear();
    }
    take_script_screenshots(width, height);
    if (m_options.screenshot_mode() && !m_quit) take_screenshots(width, height);
}

// --script's screenshots, in the order asked; one that waits for a ready frame holds the later ones.
void App::take_script_screenshots(int width, int height) {
    while (!m_script_screenshots.empty()) {
        const ScriptScreenshot shot = m_script_screenshots.front();
        if (shot.when_ready && !ready()) break;
        m_script_screenshots.erase(m_script_screenshots.begin());
        const auto written = write_screenshot(shot.path, width, height);
        if (written.ok()) report_script_screenshot(shot.path);
        else std::cerr << "attnscope: " << written.error().message << "\n";
    }
    if (m_quit_after_script_screenshots && m_script_screenshots.empty()) m_quit = true;
}

// "script screenshot F.png: model builtin:bank-decoder, loading no, computing no, trace 7 tokens by
// bank-decoder, text matches yes, problem none": what a scripted test needs to know about the picture.
void App::report_script_screenshot(const std::string& path) const {
    const Trace* trace = m_bundle ? m_bundle->trace.get() : nullptr;
    const std::string& problem = !m_state.trace.error.empty() ? m_state.trace.error : m_state.load_error;
    std::printf("script screenshot %s: model %s, loading %s, computing %s, trace %d tokens by %s, text matches %s, problem %s%s%s, "
                "heatmap %s, notice %s\n",
                path.c_str(), m_state.model_spec.c_str(), m_state.loading ? "yes" : "no", m_state.trace.busy ? "yes" : "no",
                trace ? trace->n_tokens() : 0,
                trace ? trace->model.name.c_str() : "none", shows_current_text() ? "yes" : "no",
                problem.empty() ? "none" : problem.c_str(), trace && !trace->note.empty() ? ", note " : "",
                trace ? trace->note.c_str() : "", m_heatmap->shown().c_str(), m_state.notice.empty() ? "none" : m_state.notice.c_str());
    print_regions();  // where each panel was in this picture
    print_attention();
    print_selection();
    print_view_state();
    std::fflush(stdout);
}

// --screenshot: counts frames only once the trace is on screen, so the picture never depends on
// how fast the worker was.
void App::take_screenshots(int width, int height) {
    if (!ready()) return;
    if (++m_ready_frames < m_options.frames) return;
    const auto written = write_screenshot(m_options.screenshot, width, height);
    if (written.ok()) {
        std::printf("screenshot %s %dx%d\n", m_options.screenshot.c_str(), width, height);
        print_regions();
        print_attention();
        print_selection();
        print_view_state();
        if (m_lesson.active()) std::printf("%s\n", m_lesson.report().c_str());
        if (!m_options.session.empty()) {  // what a restored session shows (tests)
            const Session s = current_session();
            std::printf("session view %s model %s layer %d head %d token %d key %d text: %s\n", s.view.c_str(), s.model.c_str(),
                        s.layer, s.head, s.token, s.key, s.text.c_str());
        }
    } else {
        std::cerr << "attnscope: " << written.error().message << "\n";
        m_exit_code = kExitFailure;
    }
    if (!m_state.trace.error.empty()) std::printf("text problem: %s\n", m_state.trace.error.c_str());
    else if (m_bundle && !m_bundle->trace->note.empty()) std::printf("text note: %s\n", m_bundle->trace->note.c_str());
    m_quit = true;
}

// "selection: layer 1, head 0, query 6 'bank', key 3 'money'": what the picture has selected. An
// encoder-decoder's names the kind of attention first: "selection: cross layer 1, head 0, query 2
// 'la', key 1 'red', writes 'voiture'" (the query a target token, the key a source token; a cross
// row also says what its decoder step writes, the next target token or '</s>').
void App::print_selection() const {
    if (!m_bundle) return;
    const Trace& t = *view_trace();
    const Trace& keys = keys_of(t);
    const Selection& s = m_state.selection;
    const std::string query = s.query < t.n_tokens() ? escape_for_terminal(token_label(t, s.query)) : "";
    const std::string key = s.key >= 0 && s.key < keys.n_tokens() ? format(" %d '%s'", s.key, escape_for_terminal(token_label(keys, s.key)).c_str()) : " none";
    const std::string stack = m_bundle->encoder_decoder() ? std::string(stack_name(m_state.stack)) + " " : "";
    // A cross row is read by what its decoder step writes (row_label): "..., writes 'banque'".
    const std::string writes = shows_cross(t) && s.query < t.n_tokens() ? format(", writes '%s'", escape_for_terminal(written_at(t, s.query)).c_str()) : "";
    std::printf("selection: %slayer %d, head %d, query %d '%s', key%s%s\n", stack.c_str(), s.layer, s.head, s.query, query.c_str(), key.c_str(),
                writes.c_str());
}

// An encoder-decoder's picture: "attention: cross, rows 7 target tokens, columns 5 source tokens,
// 3 layers x 4 heads", the target asked for ("target asked: forced 'la voiture rouge'" or "target
// asked: the model's translation") and the one shown ("target shown: la voiture rouge").
void App::print_attention() const {
    if (!m_bundle || !m_bundle->encoder_decoder()) return;
    const Trace& t = *view_trace();
    const bool source_rows = m_state.stack == AttentionStack::Encoder, source_columns = m_state.stack != AttentionStack::Decoder;
    std::printf("attention: %s, rows %d %s tokens, columns %d %s tokens, %d layers x %d heads\n", stack_name(m_state.stack),
                t.n_tokens(), source_rows ? "source" : "target", key_count(t), source_columns ? "source" : "target",
                static_cast<int>(t.layers.size()), t.model.n_heads);
    // What was asked (a forced target may have failed: the last good trace stays) and what is shown.
    if (m_state.target) std::printf("target asked: forced '%s'\n", escape_for_terminal(*m_state.target).c_str());
    else std::printf("target asked: the model's translation\n");
    std::printf("target shown: %s\n", escape_for_terminal(m_bundle->trace->text).c_str());
}

// "views: steps page 4, heatmap weights at zoom 1.00": the views' own controls (lesson tests), and
// the heatmap's cell and number sizes when it is on screen.
void App::print_view_state() const {
    std::printf("views: steps page %d, heatmap %s at zoom %.2f\n", m_steps->step() + 1, heatmap_field_name(m_state.field),
                m_heatmap->zoom());
    // "heatmap cells 35.7 px, numbers 14.7 px": whether the grid's numbers can be read (layout tests)
    if (const std::string cells = m_heatmap->cells_shown(); !cells.empty()) std::printf("%s\n", cells.c_str());
    print_heatmap_row();
}

// "heatmap row 6 'bank' value-weighted: 0.012 0.310 ...": the selected query's row as the
// heatmap shows it (its first 24 cells), or why it shows none ("heatmap row: value-weighted view
// for texts up to 482 tokens ..."). Short traces only: a long one's rows are fetched, not kept.
void App::print_heatmap_row() const {
    const TraceBundle* bundle = view_bundle();
    if (!bundle || !bundle->trace->keeps_attention()) return;
    const Trace& t = *bundle->trace;
    const Selection& s = m_state.selection;
    if (s.layer >= static_cast<int>(t.layers.size()) || s.head >= t.model.n_heads || s.query >= t.n_tokens()) return;
    const HeatmapField field = m_state.field;
    const ValueWeightedAttention* vw = is_value_weighted(field) ? m_bundle->value_weighted.get() : nullptr;
    if (is_value_weighted(field) && (!vw || bundle != m_bundle.get())) {
        const std::string why = m_bundle->value_weighted_refusal.empty() ? "not computed" : m_bundle->value_weighted_refusal;
        std::printf("heatmap row: %s\n", why.c_str());
        return;
    }
    const HeadTrace& h = t.head(s.layer, s.head);
    std::string row;
    for (int j = 0; j < std::min(t.n_keys(s.layer), 24); ++j) {
        const float v = vw ? vw->shown(s.layer, s.head, field == HeatmapField::ValueWeightedLayer)(s.query, j)
                           : field == HeatmapField::Scores ? h.scores(s.query, j) : h.weights(s.query, j);
        row += format(" %.3f", v);
    }
    std::printf("heatmap row %d '%s' %s:%s\n", s.query, escape_for_terminal(token_label(t, s.query)).c_str(), heatmap_field_name(field),
                row.c_str());
}

// "region heatmap 10 120 600 580": x y width height in pixels, for tests that look at one panel.
void App::print_regions() const {
    for (const Region& r : m_regions)
        std::printf("region %s %d %d %d %d\n", r.name.c_str(), static_cast<int>(r.min.x), static_cast<int>(r.min.y),
                    static_cast<int>(r.max.x - r.min.x), static_cast<int>(r.max.y - r.min.y));
    std::fflush(stdout);
}

// [SECTION] Settings

void App::save_settings_now() {
    if (!m_settings_file) return;
    int w = 0, h = 0;
    glfwGetWindowSize(m_window, &w, &h);
    if (w >= 320 && h >= 240) {
        m_state.settings.width = w;
        m_state.settings.height = h;
    }
    Settings kept = m_state.settings;
    if (m_state.presentation) {  // presentation mode is for now: the next start looks as before it
        kept.theme = m_before_presentation.theme;
        kept.font_scale = m_before_presentation.font_scale;
    }
    const auto saved = save_settings(*m_settings_file, kept);
    if (!saved.ok()) std::cerr << "attnscope: " << saved.error().message << "\n";
}

}  // namespace attnscope::gui
