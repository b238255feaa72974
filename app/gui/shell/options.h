// The command line of the desktop app (design.md, "The GUI binary"). Parsing needs no window, so
// bad usage exits 2 before anything opens.
#pragma once

#include <optional>
#include <string>

#include "attnscope/colormap.h"
#include "attnscope/heatmap_export.h"
#include "gfx/theme.h"
#include "shell/view_id.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitBadInput = 3 };

struct LaunchOptions {
    std::optional<std::string> model;    // --model PATH | builtin:NAME; default: the built-in default model
    std::optional<std::string> text;     // --text; default: the example the model knows best
    std::string compare;                 // --compare: the second sentence of the compare view (issue 7)
    std::optional<std::string> target;   // --target: an encoder-decoder's target, forced (default: its translation)
    std::optional<AttentionStack> attention;  // --attention encoder|decoder|cross (default: cross)
    std::string lesson;                  // --lesson FILE: play this lesson (assets/lessons/*.json)
    int lesson_step = 1;                 // --lesson-step N: start at step N (1-based, as the caption counts)
    bool presentation = false;           // --presentation: projector theme, large type, no side view
    std::string session;                 // --session FILE: restore this session when it exists; autosave to it
    std::optional<int> layer, head, token;
    std::optional<int> key;              // --key J: the chosen key token (ranks heads by query -> key weight)
    ViewId view = ViewId::Heatmap;
    std::optional<HeatmapField> field;   // --field weights|scores|value-weighted|value-weighted-layer
    std::optional<ThemeId> theme;
    std::optional<float> font_scale;
    std::optional<Colormap> colormap;
    std::optional<int> width, height;    // --size WxH

    // Testing and measuring.
    std::string screenshot;              // --screenshot FILE.png: render, write, exit 0
    int frames = 3;                      // --frames N: frames rendered once the trace is ready
    bool frame_stats = false;            // --frame-stats: print frame times on exit
    std::string screenshot_on_signal;    // --screenshot-on-signal FILE.png: write it on SIGUSR1
    std::optional<std::string> settings; // --settings FILE: instead of $XDG_CONFIG_HOME/attnscope/settings.json
    bool no_settings = false;            // --no-settings: neither read nor write the settings file
    int train_steps = 0;                 // --train-steps N: start live training at launch; screenshots wait for its end
    std::string training = "ambiguous-words";  // --training: what the Training view trains (training_kind_name)
    std::string script;                  // --script FILE: steps a test plays frame by frame (shell/script.h)

    bool screenshot_mode() const { return !screenshot.empty(); }
    bool scripted() const { return !script.empty(); }
};

struct ParsedOptions {
    std::optional<LaunchOptions> options;  // empty: exit with exit_code (0 after --help, 2 on bad usage)
    int exit_code = kExitOk;
};

// Prints the usage message or the error to stdout/stderr itself.
ParsedOptions parse_options(int argc, const char* const* argv);

}  // namespace attnscope::gui
