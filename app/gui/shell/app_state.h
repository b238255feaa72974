// AppState: the app's state as plain data, in one place (like the "Our state" block of ImGui's
// examples). App owns it; panels read it through FrameContext and change it through AppActions,
// except the Selection, which every panel may move directly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attnscope/heatmap_export.h"
#include "attnscope/model.h"
#include "shell/lesson_player.h"
#include "shell/selection.h"
#include "shell/settings.h"
#include "workers/attention_stacks.h"
#include "workers/trace_worker.h"
#include "shell/view_id.h"

namespace attnscope::gui {

struct AppState {
    // The model: the last one that loaded. A failed load keeps it and sets load_error.
    ModelPtr model;
    std::string model_spec;
    std::vector<int> example_unknowns;  // per example sentence: tokens the model does not know
    std::string load_error;

    // Loading, refreshed at the start of each frame.
    bool loading = false;
    std::string loading_spec;
    double loading_seconds = 0.0;

    // The text and what the worker made of it, refreshed at the start of each frame.
    std::string text;
    std::string suggested_text;  // the text the app chose (not typed); replaced when the model changes
    // An encoder-decoder's target as the user typed it: the decoder is forced on it until they ask
    // for the model's translation again. None: the model's own (greedy) translation.
    std::optional<std::string> target;
    TraceStatus trace;
    // Which attention of an encoder-decoder every view shows (the switch; --attention). Other
    // models have one kind and ignore it.
    AttentionStack stack = AttentionStack::Cross;

    Selection selection;
    // What the heatmap's cells and the overview's thumbnails show (the heatmap's switch; --field):
    // weights, scores, or value-weighted shares (per head, or the layer's heads summed).
    HeatmapField field = HeatmapField::Weights;
    ViewId front = ViewId::Heatmap;
    std::string compare_text;    // --compare, for the compare view (issue 7)
    TraceStatus compare;         // the compare view's second sentence, refreshed at the start of each frame
    Settings settings;           // theme, font scale, colormap, recent files
    LessonCaption lesson;        // the playing lesson's step (--lesson); inactive when none
    bool presentation = false;   // projector theme, large type, no side view (F5, --presentation)
    bool fullscreen = false;     // F11
    // Presentation mode, or a window with too few lines of its type (text size 2 at 1280x720): one
    // view, slim bars, compact toolbars, so the main view keeps most of the window.
    bool compact = false;
    // What the history can do now (shell/history.h), for the View menu.
    bool can_go_back = false, can_go_forward = false;            // sentences: Alt+Left / Alt+Right
    bool can_undo_selection = false, can_redo_selection = false;  // selections: Ctrl+Z / Ctrl+Y
    std::string notice;          // the last export or session save: "saved attnscope-bank-L1H0.svg"
    double frame_ms = 0.0;       // building and rendering a frame, smoothed
};

}  // namespace attnscope::gui
