// Lessons (attnscope/lesson.h): parse, validate with the JSON path in every message, and resolve
// what each step inherits from the one before.
// Sections: [SECTION] Names  [SECTION] Fields  [SECTION] Steps  [SECTION] Entry points
#include "attnscope/heatmap_export.h"
#include "attnscope/lesson.h"
#include "attnscope/text.h"
#include "attnscope/token_labels.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/file_read.h"
#include "util/json_path.h"

namespace attnscope {

namespace {

using nlohmann::json;

// [SECTION] Names: every key the format knows, in one table.

enum class Key { Format, Version, Title, Model, Steps, Caption, Text, Sentence, View, Layer, Head, Token, KeyToken, Page, Field, Zoom,
                 Attention, Target, Training, Count };
constexpr std::string_view kKeyNames[] = {"format", "version", "title", "model", "steps", "caption", "text",      "sentence", "view",
                                          "layer",  "head",    "token", "key",   "page",  "field",   "zoom",      "attention", "target",
                                          "training"};
static_assert(std::size(kKeyNames) == static_cast<std::size_t>(Key::Count), "name every lesson key");

constexpr std::string_view name(Key k) { return kKeyNames[static_cast<int>(k)]; }

constexpr std::string_view kFormatName = "attnscope-lesson";
constexpr int kVersion = 1;
constexpr int kMaxIndex = 1 << 20;  // layers, heads and tokens: far beyond any model, far below overflow

const std::vector<std::string_view> kTopKeys = {name(Key::Format), name(Key::Version), name(Key::Title), name(Key::Model),
                                                name(Key::Steps)};
const std::vector<std::string_view> kStepKeys = {name(Key::Caption), name(Key::Model), name(Key::Sentence), name(Key::View),
                                                 name(Key::Layer),   name(Key::Head),  name(Key::Token),    name(Key::KeyToken),
                                                 name(Key::Page),    name(Key::Field), name(Key::Zoom),     name(Key::Attention),
                                                 name(Key::Target),  name(Key::Training)};
constexpr float kMaxZoom = 64.0f;
const std::vector<std::string_view> kCaptionKeys = {name(Key::Title), name(Key::Text)};

// [SECTION] Fields

const json* find(const json& object, Key k) {
    const auto it = object.find(std::string(name(k)));
    return it == object.end() ? nullptr : &*it;
}

void require_object(const json& node, const JsonPath& at) {
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
}

std::string read_nonempty_string(const json& node, const JsonPath& at) {
    std::string s = read_string(node, at);
    if (s.find_first_not_of(" \t\r\n") == std::string::npos) at.fail("expected a non-empty string, got \"" + s + "\"");
    return s;
}

TokenRef read_token(const json& node, const JsonPath& at) {
    TokenRef ref;
    if (node.is_string()) ref.word = read_nonempty_string(node, at);
    else if (node.is_number()) ref.index = read_int(node, at, 0, kMaxIndex);
    else at.fail("expected a word or a 0-based token index, got " + describe_type(node));
    return ref;
}

// 1-10, or the page's name.
int read_page(const json& node, const JsonPath& at) {
    const auto& names = lesson_page_names();
    if (node.is_number()) return read_int(node, at, 1, static_cast<int>(names.size()));
    const std::string s = read_string(node, at);
    for (std::size_t i = 0; i < names.size(); ++i)
        if (s == names[i]) return static_cast<int>(i) + 1;
    std::string all;
    for (std::string_view n : names) all += (all.empty() ? "" : ", ") + std::string(n);
    at.fail("expected a page number from 1 to " + std::to_string(names.size()) + " or one of " + all + ", got \"" + s + "\"");
}

std::string read_field(const json& node, const JsonPath& at) {
    const std::string s = read_string(node, at);
    if (!heatmap_field_from_name(s))
        at.fail("expected \"weights\" or \"scores\" (or \"value-weighted\", \"value-weighted-layer\"), got \"" + s + "\"");
    return s;
}

std::string read_training(const json& node, const JsonPath& at) {
    const std::string s = read_string(node, at);
    if (s != "ambiguous-words" && s != "induction") at.fail("expected \"ambiguous-words\" or \"induction\", got \"" + s + "\"");
    return s;
}

std::string read_attention(const json& node, const JsonPath& at) {
    const std::string s = read_string(node, at);
    const auto& names = lesson_attention_names();
    if (std::find(names.begin(), names.end(), s) == names.end()) at.fail("expected one of encoder, decoder, cross, got \"" + s + "\"");
    return s;
}

float read_zoom(const json& node, const JsonPath& at) {
    if (!node.is_number()) at.fail("expected a number from 1 to 64, got " + describe_type(node));
    const double z = node.get<double>();
    if (!(z >= 1.0 && z <= kMaxZoom)) at.fail("expected a number from 1 to 64, got " + node.dump());
    return static_cast<float>(z);
}

void read_header(const json& root, const JsonPath& at) {
    const std::string format = read_string(require(root, at, name(Key::Format)), at.key(name(Key::Format)));
    if (format != kFormatName) at.key(name(Key::Format)).fail("expected \"" + std::string(kFormatName) + "\", got \"" + format + "\"");
    read_int(require(root, at, name(Key::Version)), at.key(name(Key::Version)), kVersion, kVersion);
}

// [SECTION] Steps

void read_caption(const json& node, const JsonPath& at, LessonStep& step) {
    require_object(node, at);
    reject_unknown_keys(node, at, kCaptionKeys);
    step.title = read_nonempty_string(require(node, at, name(Key::Title)), at.key(name(Key::Title)));
    step.text = read_nonempty_string(require(node, at, name(Key::Text)), at.key(name(Key::Text)));
}

// `step` arrives holding what the previous step left (model, sentence, view, layer, head).
void read_step(const json& node, const JsonPath& at, LessonStep& step) {
    require_object(node, at);
    reject_unknown_keys(node, at, kStepKeys);
    read_caption(require(node, at, name(Key::Caption)), at.key(name(Key::Caption)), step);
    auto field = [&](Key k, auto read) {
        if (const json* v = find(node, k)) read(*v, at.key(name(k)));
    };
    // A forced translation belongs to its sentence and model: a step that changes either drops it.
    if (find(node, Key::Model) || find(node, Key::Sentence)) step.target.clear();
    field(Key::Model, [&](const json& v, const JsonPath& p) { step.model = read_nonempty_string(v, p); });
    field(Key::Sentence, [&](const json& v, const JsonPath& p) { step.sentence = read_nonempty_string(v, p); });
    field(Key::Attention, [&](const json& v, const JsonPath& p) { step.attention = read_attention(v, p); });
    field(Key::Target, [&](const json& v, const JsonPath& p) { step.target = read_nonempty_string(v, p); });
    field(Key::View, [&](const json& v, const JsonPath& p) { step.view = read_view_name(v, p); });
    field(Key::Layer, [&](const json& v, const JsonPath& p) {
        step.layer = read_int(v, p, 0, kMaxIndex);
        step.best_head = false;
    });
    field(Key::Head, [&](const json& v, const JsonPath& p) {
        // "best": the layer and head where the query looks at the key most, found once the
        // sentence is traced, so a lesson stays right when its model is retrained.
        step.best_head = v.is_string() && v.get<std::string>() == "best";
        if (!step.best_head) step.head = read_int(v, p, 0, kMaxIndex);
    });
    step.token = TokenRef{};  // tokens belong to one sentence: never inherited
    step.key = TokenRef{};
    field(Key::Token, [&](const json& v, const JsonPath& p) { step.token = read_token(v, p); });
    field(Key::KeyToken, [&](const json& v, const JsonPath& p) { step.key = read_token(v, p); });
    step.page = 0;  // what a step does to a view's own controls is the step's alone
    step.field.clear();
    step.zoom = 0.0f;
    step.training.clear();
    field(Key::Training, [&](const json& v, const JsonPath& p) { step.training = read_training(v, p); });
    field(Key::Page, [&](const json& v, const JsonPath& p) { step.page = read_page(v, p); });
    field(Key::Field, [&](const json& v, const JsonPath& p) { step.field = read_field(v, p); });
    field(Key::Zoom, [&](const json& v, const JsonPath& p) { step.zoom = read_zoom(v, p); });
    if (step.sentence.empty()) at.key(name(Key::Sentence)).fail("missing (the first step needs a sentence; later steps reuse the previous one)");
    if (step.best_head && step.key.empty() && find(node, Key::Head))
        at.key(name(Key::Head)).fail("\"best\" needs a key: the head is the one where the token looks at the key most");
    if (step.best_head && find(node, Key::Layer))
        at.key(name(Key::Layer)).fail("expected no layer with \"head\": \"best\" (the best head chooses its layer)");
}

Lesson read_lesson(const json& root) {
    const JsonPath top;
    require_object(root, top);
    reject_unknown_keys(root, top, kTopKeys);
    read_header(root, top);
    Lesson lesson;
    lesson.title = read_nonempty_string(require(root, top, name(Key::Title)), top.key(name(Key::Title)));
    LessonStep inherited;
    inherited.model = kDefaultLessonModel;
    if (const json* m = find(root, Key::Model)) inherited.model = read_nonempty_string(*m, top.key(name(Key::Model)));
    const JsonPath steps_at = top.key(name(Key::Steps));
    const json& steps = require(root, top, name(Key::Steps));
    if (!steps.is_array() || steps.empty()) steps_at.fail("expected a non-empty array of steps, got " + describe_shape(steps));
    for (std::size_t i = 0; i < steps.size(); ++i) {
        read_step(steps[i], steps_at.index(i), inherited);
        lesson.steps.push_back(inherited);
    }
    return lesson;
}

}  // namespace

// [SECTION] Entry points

std::string TokenRef::describe() const { return index >= 0 ? std::to_string(index) : "\"" + word + "\""; }

const std::vector<std::string_view>& lesson_attention_names() {
    static const std::vector<std::string_view> names = {"encoder", "decoder", "cross"};
    return names;
}

const std::vector<std::string_view>& lesson_page_names() {
    static const std::vector<std::string_view> names = {"input", "projections", "query", "keys", "dots",
                                                        "scale", "mask",        "exp",   "normalise", "output"};
    return names;
}

Result<Lesson> parse_lesson(std::string_view text, const std::string& source) {
    try {  // the only place a LoadError becomes a value
        json root;
        try {
            root = json::parse(text.begin(), text.end(), nullptr, true, /*ignore_comments=*/true);
        } catch (const json::exception& e) {  // parse_error, or out_of_range for a number such as 1e999
            throw LoadError(std::string("not valid JSON: ") + valid_utf8(e.what()));
        }
        return read_lesson(root);
    } catch (const LoadError& e) {
        return Error{source + ": " + valid_utf8(e.what())};
    }
}

Result<Lesson> load_lesson(const std::filesystem::path& file) {
    std::string text;
    try {
        text = read_text_file(file, std::uint64_t{64} << 20, "a lesson file");
    } catch (const LoadError& e) {
        return Error{file.string() + ": " + e.what()};
    }
    return parse_lesson(text, file.string());
}

std::optional<int> resolve_token(const TokenRef& ref, const std::vector<std::string>& tokens) {
    const int n = static_cast<int>(tokens.size());
    if (ref.empty()) return n > 0 ? std::optional<int>(n - 1) : std::nullopt;
    if (ref.index >= 0) return ref.index < n ? std::optional<int>(ref.index) : std::nullopt;
    return find_word_token(tokens, ref.word, Occurrence::First);
}

}  // namespace attnscope
