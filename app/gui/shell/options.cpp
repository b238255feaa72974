#include "shell/options.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>

namespace attnscope::gui {

namespace {

// "1280x800" -> 1280, 800; throws CLI::ValidationError otherwise.
std::pair<int, int> parse_size(const std::string& s) {
    int w = 0, h = 0;
    char x = 0, rest = 0;
    if (std::sscanf(s.c_str(), "%d%c%d%c", &w, &x, &h, &rest) != 3 || (x != 'x' && x != 'X'))
        throw CLI::ValidationError("--size", "expected WIDTHxHEIGHT such as 1280x800, got '" + s + "'");
    if (w < 320 || h < 240 || w > 16384 || h > 16384)
        throw CLI::ValidationError("--size", "expected a size from 320x240 to 16384x16384, got '" + s + "'");
    return {w, h};
}

template <class Enum>
std::map<std::string, Enum> names_of(const char* (*name)(Enum)) {
    std::map<std::string, Enum> m;
    for (int i = 0; i < static_cast<int>(Enum::Count); ++i) m[name(static_cast<Enum>(i))] = static_cast<Enum>(i);
    return m;
}

struct RawOptions {
    std::string model, text, view = "heatmap", theme, size, colormap, settings, attention, field;
    std::string target;
    CLI::Option* target_option = nullptr;  // given at all (an empty target is a target too)
    int layer = -1, head = -1, token = -1, key = -1;
    float font_scale = 0.0f;
};

void add_view_options(CLI::App& app, RawOptions& raw, LaunchOptions& o) {
    app.add_option("--model", raw.model, "a .json model, .safetensors file, model directory or builtin:NAME");
    app.add_option("--text", raw.text, "the sentence to look at");
    app.add_option("--compare", o.compare, "a second sentence for the compare view");
    raw.target_option = app.add_option("--target", raw.target,
                   "an encoder-decoder's target: the decoder is forced on it (default: the model's own translation)");
    std::map<std::string, AttentionStack> stacks;
    for (int s = 0; s < static_cast<int>(AttentionStack::Count); ++s) stacks[kAttentionStackNames[s]] = static_cast<AttentionStack>(s);
    app.add_option("--attention", raw.attention,
                   "an encoder-decoder's attention every view shows: encoder (source x source), decoder (target x target, "
                   "masked) or cross (rows target, columns source; the default)")
        ->check(CLI::IsMember(stacks));
    auto* lesson = app.add_option("--lesson", o.lesson, "play this lesson (assets/lessons/*.json); N / P step through it");
    app.add_option("--lesson-step", o.lesson_step, "start the lesson at this step (1-based)")->check(CLI::Range(1, 10000))->needs(lesson);
    app.add_flag("--presentation", o.presentation, "presentation mode: projector theme, large type (F5 toggles)");
    app.add_option("--session", o.session, "restore this session file when it exists, and autosave to it");
    app.add_option("--layer", raw.layer, "selected layer (0-based)")->check(CLI::NonNegativeNumber);
    app.add_option("--head", raw.head, "selected head (0-based)")->check(CLI::NonNegativeNumber);
    app.add_option("--token", raw.token, "selected query token (0-based)")->check(CLI::NonNegativeNumber);
    app.add_option("--key", raw.key, "chosen key token (0-based): heads are ranked by query -> key weight")->check(CLI::NonNegativeNumber);
    app.add_option("--view", raw.view, "the view brought to the front")
        ->check(CLI::IsMember(names_of<ViewId>(view_name)));
    app.add_option("--field", raw.field,
                   "what the heatmap and the overview show: weights (default), scores, value-weighted (||weight x "
                   "value||, Kobayashi et al. 2020, each row as shares) or value-weighted-layer (the layer's heads summed)")
        ->check(CLI::IsMember(names_of<HeatmapField>(heatmap_field_name)));
    app.add_option("--theme", raw.theme, "colour theme")->check(CLI::IsMember(names_of<ThemeId>(theme_name)));
    app.add_option("--colormap", raw.colormap, "heatmap colours")->check(CLI::IsMember(names_of<Colormap>(colormap_name)));
    app.add_option("--font-scale", raw.font_scale, "text size, 1 = 18 px")->check(CLI::Range(0.5f, 4.0f));
    app.add_option("--size", raw.size, "window size WIDTHxHEIGHT");
}

void add_test_options(CLI::App& app, RawOptions& raw, LaunchOptions& o) {
    auto* shot = app.add_option("--screenshot", o.screenshot, "render, write the window as this PNG and exit");
    app.add_option("--frames", o.frames, "frames to render once the trace is ready (with --screenshot)")
        ->check(CLI::Range(1, 100000))
        ->needs(shot);
    app.add_flag("--frame-stats", o.frame_stats, "print the frame times in ms on exit");
    app.add_option("--screenshot-on-signal", o.screenshot_on_signal, "write this PNG whenever SIGUSR1 arrives (tests)");
    app.add_option("--train-steps", o.train_steps, "start live training (N steps) at launch; --screenshot waits for it (tests)")
        ->check(CLI::Range(1, 100000));
    app.add_option("--training", o.training, "what the Training view trains: ambiguous-words (bank) or induction (an induction head forms)")
        ->check(CLI::IsMember({"ambiguous-words", "induction"}));
    app.add_option("--script", o.script, "play these steps frame by frame: FRAME text|text-file|model|screenshot|quit ARG (tests)")
        ->check(CLI::ExistingFile);
    auto* settings = app.add_option("--settings", raw.settings, "settings file (default: $XDG_CONFIG_HOME/attnscope/settings.json)");
    app.add_flag("--no-settings", o.no_settings, "neither read nor write the settings file")->excludes(settings);
}

void finish(const RawOptions& raw, LaunchOptions& o) {
    if (!raw.model.empty()) o.model = raw.model;
    if (!raw.text.empty()) o.text = raw.text;
    if (raw.target_option && raw.target_option->count() > 0) o.target = raw.target;
    if (!raw.attention.empty()) o.attention = stack_from_name(raw.attention);
    if (raw.layer >= 0) o.layer = raw.layer;
    if (raw.head >= 0) o.head = raw.head;
    if (raw.token >= 0) o.token = raw.token;
    if (raw.key >= 0) o.key = raw.key;
    o.view = *view_from_name(raw.view);
    if (!raw.field.empty()) o.field = heatmap_field_from_name(raw.field);
    if (!raw.theme.empty()) o.theme = theme_from_name(raw.theme);
    if (!raw.colormap.empty())
        for (int i = 0; i < static_cast<int>(Colormap::Count); ++i)
            if (raw.colormap == colormap_name(static_cast<Colormap>(i))) o.colormap = static_cast<Colormap>(i);
    if (raw.font_scale > 0.0f) o.font_scale = raw.font_scale;
    if (!raw.size.empty()) std::tie(o.width, o.height) = parse_size(raw.size);
    if (!raw.settings.empty()) o.settings = raw.settings;
}

}  // namespace

ParsedOptions parse_options(int argc, const char* const* argv) {
    CLI::App app{"attnscope: type a sentence, see every head's attention"};
    app.name("attnscope");
    LaunchOptions o;
    RawOptions raw;
    add_view_options(app, raw, o);
    add_test_options(app, raw, o);
    try {
        app.parse(argc, argv);
        finish(raw, o);
    } catch (const CLI::CallForHelp& e) {
        return {std::nullopt, app.exit(e)};
    } catch (const CLI::ParseError& e) {
        app.exit(e);  // prints the message and the usage hint
        return {std::nullopt, kExitUsage};
    }
    return {o, kExitOk};
}

}  // namespace attnscope::gui
