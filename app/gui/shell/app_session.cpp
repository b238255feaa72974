// App, continued: sessions (model, sentences, selection and view; restored at start, autosaved
// atomically every few seconds when changed and on exit) and File -> Export (asks where to save:
// zenity's dialog on a thread, or the in-app browser; scripts and --screenshot runs do not ask).
// Sections: [SECTION] Sessions  [SECTION] Export
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "attnscope/atomic_file.h"
#include "attnscope/heatmap_export.h"
#include "panels/model_overview_panel.h"
#include "shell/app.h"

namespace attnscope::gui {

namespace {

constexpr double kAutosaveSeconds = 5.0;
constexpr const char* kSessionFileName = "session.json";  // beside settings.json

// The sentence box holds C strings, so a NUL inside a restored text would silently cut it there.
// Each NUL becomes U+2400 SYMBOL FOR NULL instead: visible, and saved back as the user sees it.
std::string text_for_the_sentence_box(const std::string& text, int& nul_count) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c != '\0') {
            out += c;
            continue;
        }
        out += "\xE2\x90\x80";
        ++nul_count;
    }
    return out;
}

}  // namespace

// [SECTION] Sessions

// --session FILE wins; else the autosaved session beside the settings, but only when no
// --model, --text or --lesson says what to show. A missing file is a fresh start; a broken
// one is reported and ignored (a session is a convenience, never a reason not to start).
void App::restore_session() {
    if (!m_options.session.empty()) m_session_file = m_options.session;
    else if (m_settings_file) m_session_file = m_settings_file->parent_path() / kSessionFileName;
    if (m_session_file) remove_stale_temporaries(*m_session_file);  // an autosave killed half-way
    if (!m_session_file || m_lesson.active()) return;
    const bool explicit_file = !m_options.session.empty();
    if (!explicit_file && (m_options.model || m_options.text)) return;
    if (!std::filesystem::exists(*m_session_file)) return;
    auto loaded = load_session(*m_session_file);
    if (!loaded.ok()) {
        std::cerr << "attnscope: " << loaded.error().message << " (the session is not restored)\n";
        return;
    }
    const Session& s = loaded.value();
    m_saved_session = s;
    const bool model_there = s.model.rfind("builtin:", 0) == 0 || std::filesystem::exists(s.model);
    if (!m_options.model && model_there) {
        m_options.model = s.model;
        m_startup_model_from_session = true;
    }
    int nul_count = 0;
    if (!m_options.text) m_state.text = text_for_the_sentence_box(s.text, nul_count);
    if (m_options.compare.empty()) m_state.compare_text = text_for_the_sentence_box(s.compare, nul_count);
    if (nul_count > 0)
        m_state.notice = "the session's text had " + std::to_string(nul_count) + " NUL character" + (nul_count == 1 ? "" : "s") +
                         ", shown as \xE2\x90\x80";
    m_state.front = view_from_name(s.view).value_or(ViewId::Heatmap);
    m_session_selection = Selection{s.layer, s.head, s.token, s.key};
}

// After the launch selection (--layer, ...) has been applied to the first trace; draw() clamps
// it to the trace, so a session from another model never points outside.
void App::apply_session_selection() {
    if (!m_session_selection || !m_launch_selection_applied) return;
    m_state.selection = *m_session_selection;
    m_session_selection.reset();
}

// While the restored selection waits for a first trace (the restored text may never trace, if it
// is too long for the model), the session keeps it rather than the default one.
Session App::current_session() const {
    const Selection& selection = m_session_selection ? *m_session_selection : m_state.selection;
    Session s;
    s.model = m_state.model_spec;
    s.text = m_state.text;
    s.compare = m_state.compare_text;
    s.view = view_name(m_state.front);
    s.layer = selection.layer;
    s.head = selection.head;
    s.token = selection.query;
    s.key = selection.key;
    return s;
}

// Only what loaded is saved: no model yet or a failed start saves nothing.
void App::save_session_now() {
    if (!m_session_file || !m_state.model || m_exit_code != kExitOk) return;
    const Session s = current_session();
    if (s == m_saved_session && std::filesystem::exists(*m_session_file)) return;
    const auto saved = save_session(*m_session_file, s);
    if (!saved.ok()) {
        std::cerr << "attnscope: " << saved.error().message << "\n";
        m_session_file.reset();  // say it once, not every few seconds
        return;
    }
    m_saved_session = s;
    m_state.notice = "session saved to " + m_session_file->string();
}

void App::autosave_session() {
    if (m_options.screenshot_mode()) return;  // a screenshot run saves once, on exit
    const double now = glfwGetTime();
    if (now - m_session_checked < kAutosaveSeconds) return;
    m_session_checked = now;
    save_session_now();
}

// [SECTION] Export

void App::export_view(ExportKind kind) {
    if (!writes_file(kind)) {
        copy_weights();
        return;
    }
    // Tests drive the app through scripts and --screenshot: they rely on files appearing in the
    // working folder, and no one is there to answer a dialog.
    if (m_options.scripted() || m_options.screenshot_mode()) export_into_working_folder(kind);
    else ask_where_to_export(kind, NativeFileDialog::available());
}

void App::export_with_browser(ExportKind kind) {
    if (writes_file(kind)) ask_where_to_export(kind, false);
}

// Why this export cannot be made now, or "". Exports run on the UI thread: a long text's head
// (n^2 cells) would freeze the window and make a file of hundreds of megabytes, so the figures of
// one head stop at kMaxSvgExportTokens (the CLI writes any length). The overview's thumbnails are
// pooled to a fixed size, so it takes a text of any length; the window PNG needs no trace.
std::string App::export_refusal(ExportKind kind) const {
    if (kind == ExportKind::WindowPng) return "";
    const Trace* trace = view_trace();
    if (!trace) return "nothing to export yet: the sentence is still being computed";
    if (kind == ExportKind::OverviewSvg || std::max(trace->n_tokens(), key_count(*trace)) <= kMaxSvgExportTokens) return "";
    const Selection& s = m_state.selection;
    return "export is for texts up to " + std::to_string(kMaxSvgExportTokens) + " tokens (this one has " +
           std::to_string(trace->n_tokens()) + "): attnscope-cli trace --layer " + std::to_string(s.layer) + " --head " +
           std::to_string(s.head) + " --fields weights writes one head of any length";
}

// What is exported is fixed when it is asked for: the trace, the selection and the colours then,
// not whatever the window shows once the dialog closes.
App::PendingExport App::pending_export(ExportKind kind) const {
    PendingExport p;
    p.kind = kind;
    p.bundle = m_bundle;
    p.stack = m_state.stack;
    const Selection& s = m_state.selection;
    p.subject.layer = s.layer;
    p.subject.head = s.head;
    p.subject.query = s.query;
    p.subject.key = s.key;
    p.subject.colormap = m_state.settings.colormap;
    p.subject.contrast = m_overview && m_overview->contrast();
    p.subject.field = m_state.field;
    return p;
}

void App::ask_where_to_export(ExportKind kind, bool desktop_dialog) {
    if (const std::string why = export_refusal(kind); !why.empty()) {
        m_state.notice = why;
        return;
    }
    if (m_save_dialog.running()) {
        m_state.notice = "a save dialog is open already";
        return;
    }
    std::error_code ec;
    if (m_export_dir.empty() || !std::filesystem::is_directory(m_export_dir, ec)) m_export_dir = std::filesystem::current_path(ec);
    const Selection& s = m_state.selection;
    const std::string name = export_stem(m_state.text, s.layer, s.head, kind, stack_part()) + export_extension(kind);
    m_pending_export = pending_export(kind);
    const std::string what = kExportLabels[static_cast<int>(kind)];
    if (desktop_dialog) m_save_dialog.start(zenity_save_arguments(m_export_dir, name, what));
    else m_save_browser.open_save(m_export_dir, name, export_extension(kind), what);
}

// zenity's answer, taken in the update step: a path, or "" when cancelled.
void App::poll_save_dialog() {
    if (m_save_dialog.running()) return;
    auto chosen = m_save_dialog.take_result();
    if (!chosen || !m_pending_export) return;
    if (chosen->empty()) {
        m_pending_export.reset();  // cancelled: nothing is written
        return;
    }
    // zenity asked before overwriting what the user typed; a file that only the added extension
    // names was not asked about, so it is never replaced: the next free name is taken instead.
    const std::filesystem::path typed(*chosen);
    std::filesystem::path file = with_export_extension(typed, m_pending_export->kind);
    std::error_code ec;
    if (file != typed && std::filesystem::exists(file, ec))
        file = unused_export_path(file.parent_path(), file.stem().string(), m_pending_export->kind);
    finish_export(file);
}

// Writes the pending export to `file` (the save browser has asked about replacing it) and says so.
void App::finish_export(const std::filesystem::path& file) {
    if (!m_pending_export) return;
    const PendingExport p = std::move(*m_pending_export);
    m_pending_export.reset();
    m_export_dir = file.parent_path();
    if (p.kind == ExportKind::WindowPng) {
        // After the next frame is rendered: this one still shows the save browser.
        m_png_export_next = file;
        glfwPostEmptyEvent();
        return;
    }
    const auto written = write_pending(p, file);
    m_state.notice = written.ok() ? "saved " + file.string() : written.error().message;
}

// The figure of the kind of attention shown when it was asked for; the JSON of an encoder-decoder's
// decoder or cross-attention is its whole trace (trace v2: layers, source, cross_layers).
Result<std::filesystem::path> App::write_pending(const PendingExport& p, const std::filesystem::path& file) const {
    ExportSubject subject = p.subject;
    subject.whole = p.bundle->trace.get();
    return write_export(*p.bundle->stack(p.stack).trace, p.kind, subject, file);
}

// "cross" in an encoder-decoder's file names, so three exports of one head do not look alike.
std::string App::stack_part() const { return m_bundle && m_bundle->encoder_decoder() ? stack_name(m_state.stack) : ""; }

void App::export_into_working_folder(ExportKind kind) {
    const Selection& s = m_state.selection;
    const auto file = unused_export_path(std::filesystem::current_path(), export_stem(m_state.text, s.layer, s.head, kind, stack_part()), kind);
    if (kind == ExportKind::WindowPng) {
        m_png_export = file;
        return;
    }
    if (const std::string why = export_refusal(kind); !why.empty()) {
        m_state.notice = why;
        return;
    }
    const PendingExport p = pending_export(kind);
    const auto written = write_pending(p, file);
    m_state.notice = written.ok() ? "saved " + file.string() : written.error().message;
}

void App::copy_weights() {
    if (const std::string why = export_refusal(ExportKind::CopyWeights); !why.empty()) {
        m_state.notice = why;
        return;
    }
    const Selection& s = m_state.selection;
    ImGui::SetClipboardText(weights_table_tsv(*view_trace(), s.layer, s.head).c_str());
    m_state.notice = "copied the weights of layer " + std::to_string(s.layer) + ", head " + std::to_string(s.head);
}

}  // namespace attnscope::gui
