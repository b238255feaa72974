#include "shell/script.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attnscope/heatmap_export.h"
#include "attnscope/text.h"
#include "shell/export.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

constexpr int kMaxFrame = 1000000;
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;  // a paste of 64 MB is more than any test needs

// A script is a test's own file, but still: a regular file of sane size, or a message.
Result<std::string> read_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return Error{path + ": not a regular file (or missing)"};
    if (std::filesystem::file_size(path, ec) > kMaxFileBytes) return Error{path + ": larger than 64 MB"};
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) return Error{path + ": cannot be opened"};
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// The ExportKind a script names ("svg", "tokens-svg"; kExportScriptNames), or -1.
int export_kind_named(const std::string& name) {
    for (int k = 0; k < static_cast<int>(ExportKind::Count); ++k)
        if (name == kExportScriptNames[k]) return k;
    return -1;
}

// "png, svg, ... or copy" (`with_copy`: the clipboard too, which asks for no file).
std::string export_names(bool with_copy) {
    std::vector<std::string> names;
    for (int k = 0; k < static_cast<int>(ExportKind::Count); ++k)
        if (with_copy || writes_file(static_cast<ExportKind>(k))) names.push_back(kExportScriptNames[k]);
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    return out;
}

Result<ScriptStep> parse_step(const std::string& line, const std::string& where) {
    std::istringstream in(line);
    ScriptStep step;
    std::string command;
    if (!(in >> step.frame) || step.frame < 0 || step.frame > kMaxFrame)
        return Error{where + ": expected a frame number from 0 to " + std::to_string(kMaxFrame) + " first"};
    if (!(in >> command)) return Error{where + ": expected a command after the frame number"};
    std::string argument;
    std::getline(in >> std::ws, argument);
    step.argument = argument;
    if (command == "text") step.kind = ScriptStep::Kind::Text;
    else if (command == "model") step.kind = ScriptStep::Kind::Model;
    else if (command == "screenshot") step.kind = ScriptStep::Kind::Screenshot;
    else if (command == "screenshot-ready") step.kind = ScriptStep::Kind::ScreenshotReady;
    else if (command == "quit") step.kind = ScriptStep::Kind::Quit;
    else if (command == "back") step.kind = ScriptStep::Kind::Back;
    else if (command == "forward") step.kind = ScriptStep::Kind::Forward;
    else if (command == "undo") step.kind = ScriptStep::Kind::Undo;
    else if (command == "redo") step.kind = ScriptStep::Kind::Redo;
    else if (command == "target") step.kind = ScriptStep::Kind::Target;
    else if (command == "translate") step.kind = ScriptStep::Kind::Translate;
    else if (command == "attention") {
        step.kind = ScriptStep::Kind::Attention;
        const auto stack = stack_from_name(argument);
        if (!stack) return Error{where + ": 'attention' needs encoder, decoder or cross"};
        step.stack = static_cast<int>(*stack);
    }
    else if (command == "field") {
        step.kind = ScriptStep::Kind::Field;
        const auto field = heatmap_field_from_name(argument);
        if (!field) return Error{where + ": 'field' needs weights, scores, value-weighted or value-weighted-layer"};
        step.field = static_cast<int>(*field);
    }
    else if (command == "export" || command == "export-browser") {
        step.kind = command == "export" ? ScriptStep::Kind::Export : ScriptStep::Kind::ExportBrowser;
        step.export_kind = export_kind_named(argument);
        if (step.export_kind < 0 || (step.kind == ScriptStep::Kind::ExportBrowser && !writes_file(static_cast<ExportKind>(step.export_kind))))
            return Error{where + ": '" + command + "' needs " + export_names(step.kind == ScriptStep::Kind::Export)};
    }
    else if (command == "select") {
        step.kind = ScriptStep::Kind::Select;
        std::istringstream numbers(argument);
        std::string rest;
        if (!(numbers >> step.select[0] >> step.select[1] >> step.select[2] >> step.select[3]) || (numbers >> rest) ||
            step.select[0] < 0 || step.select[1] < 0 || step.select[2] < 0 || step.select[3] < -1)
            return Error{where + ": 'select' needs LAYER HEAD QUERY KEY (numbers from 0; KEY may be -1)"};
    } else if (command == "zoom") {
        step.kind = ScriptStep::Kind::Zoom;
        std::istringstream number(argument);
        std::string rest;
        if (!(number >> step.zoom) || (number >> rest) || !(step.zoom >= 1.0f && step.zoom <= 1e6f))
            return Error{where + ": 'zoom' needs a zoom from 1 (the whole grid) to 1000000"};
    }
    else if (command == "text-file") {
        step.kind = ScriptStep::Kind::Text;
        auto content = read_file(argument);
        if (!content.ok()) return Error{where + ": " + content.error().message};
        step.argument = std::move(content).value();
    } else {
        return Error{where + ": unknown command '" + cut_for_message(command, 40) +
                     "' (expected text, text-file, model, target, translate, attention, field, screenshot, screenshot-ready, select, zoom, back, forward, "
                     "undo, redo, export, export-browser or quit)"};
    }
    const bool needs_argument = step.kind == ScriptStep::Kind::Model || step.kind == ScriptStep::Kind::Screenshot ||
                                step.kind == ScriptStep::Kind::ScreenshotReady;
    if (needs_argument && step.argument.empty())
        return Error{where + ": '" + command + "' needs an argument"};
    return step;
}

}  // namespace

Result<std::vector<ScriptStep>> load_script(const std::string& path) {
    auto content = read_file(path);
    if (!content.ok()) return content.error();
    std::vector<ScriptStep> steps;
    std::istringstream lines(content.value());
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        const std::size_t start = line.find_first_not_of(" \t\r");
        if (start == std::string::npos || line[start] == '#') continue;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto step = parse_step(line.substr(start), path + ":" + std::to_string(number));
        if (!step.ok()) return step.error();
        steps.push_back(std::move(step).value());
    }
    if (steps.empty()) return Error{path + ": the script has no steps"};
    std::stable_sort(steps.begin(), steps.end(), [](const ScriptStep& a, const ScriptStep& b) { return a.frame < b.frame; });
    return steps;
}

std::optional<ScriptStep> ScriptPlayer::next_due(int frame) {
    if (m_next == m_steps.size() || m_steps[m_next].frame > frame) return std::nullopt;
    return m_steps[m_next++];
}

}  // namespace attnscope::gui
