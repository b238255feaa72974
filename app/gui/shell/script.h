// --script FILE: a test drives the running app frame by frame, the way a user would but on a
// schedule, so "paste 10,000 words", "switch models while a trace runs" and "open a huge file,
// then another" can be replayed and their frame times measured (--frame-stats).
//
// One step per line, '#' starts a comment:
//   FRAME text TEXT          the sentence box now holds TEXT (as typed or pasted)
//   FRAME text-file PATH     ... the content of PATH (a paste of any size)
//   FRAME model SPEC         File -> Open SPEC (a file, a folder or builtin:NAME)
//   FRAME target TEXT        an encoder-decoder's target field now holds TEXT: the decoder is forced on it
//   FRAME translate          "Translate again": the model's own translation instead of the typed target
//   FRAME attention NAME     the switch: encoder, decoder or cross
//   FRAME field NAME         the heatmap's field: weights, scores, value-weighted or value-weighted-layer
//   FRAME screenshot PATH    write this frame as PATH and say on stdout what it shows
//   FRAME screenshot-ready PATH   ... the first frame from FRAME on that shows the current
//                            text's trace, or its error (the workers have nothing left to do);
//                            the steps after it wait for it
//   FRAME select L H Q K     select layer L, head H, query token Q and key token K (-1: none)
//   FRAME zoom Z             the heatmap at zoom Z (1 = the whole grid), the selected cell in the middle
//   FRAME back | forward     the sentence before / after (Alt+Left / Alt+Right)
//   FRAME undo | redo        undo / redo a selection change (Ctrl+Z / Ctrl+Y)
//   FRAME export KIND        File -> Export without asking where, into the working folder: png,
//                            svg (the heatmap), tokens-svg, overview-svg, csv, json or copy
//   FRAME export-browser KIND   File -> Export through the in-app save browser (zenity or not), to
//                            look at it or answer it with keys
//   FRAME quit               end the app (as Ctrl+Q) once the screenshots asked for are written
// FRAME counts every frame from the first, ready or not: apart from screenshot-ready, the steps
// never wait for a worker, which is the point. A step runs at its frame, or right after the
// screenshot-ready it waited for; steps of one frame run in file order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attnscope/result.h"

namespace attnscope::gui {

struct ScriptStep {
    enum class Kind {
        Text, Model, Screenshot, ScreenshotReady, Select, Zoom, Back, Forward, Undo, Redo, Export, ExportBrowser, Quit,
        Target, Translate, Attention, Field
    } kind = Kind::Quit;
    int frame = 0;
    std::string argument;  // the text (text-file: already read), the model spec or the PNG path
    int select[4] = {0, 0, 0, -1};  // select: layer, head, query, key
    float zoom = 1.0f;
    int export_kind = 0;  // an ExportKind
    int stack = 0;        // attention: an AttentionStack
    int field = 0;        // field: a HeatmapField
};

// Reads and checks the whole script before the window opens: a bad line is bad usage, named
// "FILE:LINE: ...". text-file contents are read here too, so a step never blocks a frame.
Result<std::vector<ScriptStep>> load_script(const std::string& path);

// Hands out the steps due at each frame, in order.
class ScriptPlayer {
public:
    explicit ScriptPlayer(std::vector<ScriptStep> steps) : m_steps(std::move(steps)) {}
    bool active() const { return !m_steps.empty(); }
    // The next step not yet handed out, if its frame is `frame` or earlier.
    std::optional<ScriptStep> next_due(int frame);

private:
    std::vector<ScriptStep> m_steps;
    std::size_t m_next = 0;
};

}  // namespace attnscope::gui
