// Panel: one window of the fixed layout. The base class opens, places and closes every panel the
// same way; a subclass draws only its content (as ImHex's View does). App registers each panel
// once, in one list (app.cpp, register_panels).
#pragma once

#include <imgui.h>

#include <optional>
#include <string>

#include "shell/app_state.h"
#include "gfx/colormap_shader.h"
#include "shell/export.h"
#include "gfx/fonts.h"
#include "gfx/theme.h"
#include "workers/attention_fetcher.h"

namespace attnscope::gui {

class ProjectionCache;

// What panels may ask of the app. App implements it; panels never see App itself.
class AppActions {
public:
    virtual ~AppActions() = default;
    virtual void set_text(const std::string& text) = 0;   // recomputes on the worker
    // An encoder-decoder's target as typed (the decoder is forced on it), or none: the model's
    // own translation again. Recomputes on the worker.
    virtual void set_target(std::optional<std::string> target) = 0;
    virtual void set_stack(AttentionStack stack) = 0;     // the views show this kind of attention
    // The heatmap's and overview's field; a value-weighted one has the trace worker weigh the heads.
    virtual void set_field(HeatmapField field) = 0;
    // The compare view's second sentence as typed; App traces it in its next update step.
    virtual void set_compare_input(const std::string& text) = 0;
    virtual void open_model(const std::string& spec) = 0; // loads on the loader thread
    // Shows a model that is already in memory (a live-training snapshot); `label` stands where a
    // file name would. The current text is traced again with it.
    virtual void use_model(ModelPtr model, const std::string& label) = 0;
    virtual void show_view(ViewId view) = 0;               // brings a view to the front
    virtual void open_file_dialog() = 0;                   // zenity when present, else the in-app browser
    virtual void open_in_app_browser() = 0;
    virtual void set_theme(ThemeId theme) = 0;
    virtual void set_font_scale(float scale) = 0;          // rebuilds the font atlas between frames
    virtual void set_colormap(Colormap colormap) = 0;
    virtual void clear_recent() = 0;
    virtual void request_quit() = 0;
    virtual void show_help() = 0;
    virtual void lesson_step(int delta) = 0;               // next (+1) or previous (-1) lesson step
    virtual void set_presentation(bool on) = 0;            // projector theme and large type, or back
    virtual void toggle_fullscreen() = 0;                  // F11
    virtual void step_sentences(int delta) = 0;            // the sentence before (-1) or after (+1) in the history
    virtual void step_selections(int delta) = 0;           // undo (-1) or redo (+1) a selection change
    virtual void export_view(ExportKind kind) = 0;         // File -> Export (export.h)
    virtual void save_session_now() = 0;                   // also autosaved every few seconds and on exit
    // Names a screen rectangle in the screenshot report, so tests can look at one panel's pixels.
    virtual void report_region(const char* name, ImVec2 min, ImVec2 max) = 0;
};

struct FrameContext {
    const AppState& state;
    Selection& selection;
    // What the views show: the trace's bundle, or for an encoder-decoder the one of the kind of
    // attention chosen (TraceBundle::stack); null until a sentence has been traced.
    const TraceBundle* bundle;
    const Trace* trace;         // bundle->trace, or null
    const Theme& theme;
    const Fonts& fonts;
    const ColormapShader& shader;
    AppActions& actions;
    const ProjectionCache& projections;  // the steps view's W slices, resolved off the draw path
    // Attention values, kept or fetched (never computed while drawing), and what the panels ask
    // the fetcher for next: a long trace's heatmap window, the row under the pointer.
    const AttentionReader& attention;
    AttentionWants& wants;
    const AttentionFetcher& fetcher;
    // The bundle as the worker made it (an encoder-decoder's: the decoder's, with the source and
    // both other stacks), and the kind of attention shown, set only for an encoder-decoder.
    const TraceBundle* whole = nullptr;
    std::optional<AttentionStack> stack;
};

// Panels tile the window and cannot be closed or moved, so unlike a free-floating ImGui window
// there is no open flag; which view is shown is the layout's choice (App::layout_panels).
class Panel {
public:
    virtual ~Panel() = default;

    // Not virtual: every panel opens and closes alike. The layout gives the rectangle.
    void draw(const FrameContext& frame, ImVec2 pos, ImVec2 size) {
        ImGui::SetNextWindowPos(pos);
        ImGui::SetNextWindowSize(size);
        const std::string title = caption(frame) + "###" + id();
        const ImGuiWindowFlags fixed = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                       ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
        if (!ImGui::Begin(title.c_str(), nullptr, fixed | window_flags())) {  // collapsed: skip the work
            ImGui::End();
            return;
        }
        draw_content(frame);
        m_content_height = ImGui::GetCursorPosY() + ImGui::GetStyle().WindowPadding.y - ImGui::GetStyle().ItemSpacing.y;
        ImGui::End();
    }

    virtual const char* id() const = 0;  // stable window id ("heatmap")

    // Height the content took last frame, for slots that size themselves (the sentence bar).
    float content_height() const { return m_content_height; }

protected:
    // Title bar text; the panels of fixed bars have none (see window_flags).
    virtual std::string caption(const FrameContext&) const { return id(); }
    virtual ImGuiWindowFlags window_flags() const { return 0; }
    virtual void draw_content(const FrameContext& frame) = 0;

private:
    float m_content_height = 0.0f;
};

}  // namespace attnscope::gui
