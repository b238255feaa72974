// Lessons: the format's errors name the JSON path; steps inherit what they leave out; both shipped
// lessons parse, and every step's model loads, its sentence traces, and its layer, head, token and
// key exist (the GUI plays them end to end in gui/lesson_play_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "attnscope/forward.h"
#include "attnscope/lesson.h"
#include "attnscope/model.h"
#include "attnscope/views.h"

namespace attnscope {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

const char* kTwoSteps = R"({
  "format": "attnscope-lesson", "version": 1, "title": "T", "model": "builtin:bank-encoder",
  "steps": [
    {"caption": {"title": "one", "text": "first"}, "sentence": "a b c", "view": "tokens", "layer": 1, "head": 2,
     "token": "B", "key": 0},
    {"caption": {"title": "two", "text": "second"}, "model": "builtin:bank-decoder"}
  ]})";

std::string error_of(const std::string& json) {
    const auto result = parse_lesson(json, "x.json");
    return result.ok() ? "(parsed)" : result.error().message;
}

// kTwoSteps with one piece of text replaced.
std::string two_steps_with(const std::string& from, const std::string& to) {
    std::string s = kTwoSteps;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

TEST(Lesson, ReadsEveryFieldOfAStep) {
    const auto lesson = parse_lesson(kTwoSteps);
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    ASSERT_EQ(lesson.value().steps.size(), 2u);
    const LessonStep& s = lesson.value().steps[0];
    EXPECT_EQ(lesson.value().title, "T");
    EXPECT_EQ(s.title, "one");
    EXPECT_EQ(s.text, "first");
    EXPECT_EQ(s.model, "builtin:bank-encoder");
    EXPECT_EQ(s.sentence, "a b c");
    EXPECT_EQ(s.view, "tokens");
    EXPECT_EQ(s.layer, 1);
    EXPECT_EQ(s.head, 2);
    EXPECT_EQ(s.token.word, "B");
    EXPECT_EQ(s.key.index, 0);
}

TEST(Lesson, LaterStepsInheritModelSentenceViewLayerAndHeadButNotTokens) {
    const auto lesson = parse_lesson(kTwoSteps);
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    const LessonStep& s = lesson.value().steps[1];
    EXPECT_EQ(s.model, "builtin:bank-decoder");
    EXPECT_EQ(s.sentence, "a b c");
    EXPECT_EQ(s.view, "tokens");
    EXPECT_EQ(s.layer, 1);
    EXPECT_EQ(s.head, 2);
    EXPECT_TRUE(s.token.empty());
    EXPECT_TRUE(s.key.empty());
}

TEST(Lesson, AStepCanAskForTheHeadWhereItsTokenLooksAtItsKeyMost) {
    auto lesson = parse_lesson(two_steps_with(R"("layer": 1, "head": 2,)", R"("head": "best",)"));
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    EXPECT_TRUE(lesson.value().steps[0].best_head);
    EXPECT_TRUE(lesson.value().steps[1].best_head) << "inherited like a head number";
    lesson = parse_lesson(two_steps_with(R"("model": "builtin:bank-decoder")", R"("layer": 0, "head": 1)"));
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    EXPECT_FALSE(lesson.value().steps[1].best_head);
    EXPECT_THAT(error_of(two_steps_with(R"("layer": 1, "head": 2,)", R"("layer": 1, "head": "best",)")),
                HasSubstr("x.json: steps[0].layer: expected no layer with \"head\": \"best\""));
    EXPECT_THAT(error_of(two_steps_with(R"(, "key": 0)", R"(, "head": "best")")),
                HasSubstr("x.json: steps[0].head: \"best\" needs a key"));
    EXPECT_THAT(error_of(two_steps_with(R"("head": 2)", R"("head": "first")")), HasSubstr("x.json: steps[0].head: expected an integer"));
}

TEST(Lesson, DefaultsToTheBuiltinDecoderAndTheHeatmap) {
    const auto lesson = parse_lesson(R"({"format": "attnscope-lesson", "version": 1, "title": "T",
        "steps": [{"caption": {"title": "a", "text": "b"}, "sentence": "s"}]})");
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    EXPECT_EQ(lesson.value().steps[0].model, "builtin:bank-decoder");
    EXPECT_EQ(lesson.value().steps[0].view, "heatmap");
    EXPECT_EQ(lesson.value().steps[0].layer, 0);
}

TEST(Lesson, AcceptsCommentsSoALessonCanExplainItself) {
    EXPECT_EQ(error_of("// a note\n" + std::string(kTwoSteps)), "(parsed)");
}

TEST(Lesson, NamesTheViewsItKnowsWhenAViewIsWrong) {
    EXPECT_EQ(error_of(two_steps_with(R"("model": "builtin:bank-decoder")", R"("view": "foo")")),
              "x.json: steps[1].view: expected one of heatmap, tokens, overview, steps, compare, playground, training, heads, lens, "
              "got \"foo\"");
}

TEST(Lesson, NamesThePathOfAMissingCaptionTitle) {
    EXPECT_EQ(error_of(two_steps_with(R"("title": "two", )", "")), "x.json: steps[1].caption.title: missing");
}

TEST(Lesson, RejectsANegativeLayer) {
    EXPECT_THAT(error_of(two_steps_with(R"("layer": 1)", R"("layer": -1)")),
                HasSubstr("steps[0].layer: expected an integer in 0.."));
}

TEST(Lesson, RejectsATokenThatIsNeitherWordNorIndex) {
    EXPECT_EQ(error_of(two_steps_with(R"("token": "B")", R"("token": true)")),
              "x.json: steps[0].token: expected a word or a 0-based token index, got boolean");
}

TEST(Lesson, CatchesATypoInAStepKey) {
    EXPECT_THAT(error_of(two_steps_with(R"("head": 2)", R"("haed": 2)")), HasSubstr("steps[0].haed: unknown key"));
}

TEST(Lesson, NeedsASentenceInTheFirstStep) {
    EXPECT_THAT(error_of(two_steps_with(R"("sentence": "a b c", )", "")), HasSubstr("x.json: steps[0].sentence: missing"));
}

TEST(Lesson, NeedsAtLeastOneStep) {
    EXPECT_EQ(error_of(R"({"format": "attnscope-lesson", "version": 1, "title": "T", "steps": []})"),
              "x.json: steps: expected a non-empty array of steps, got empty array");
}

TEST(Lesson, RefusesAnotherFormatAndVersion) {
    EXPECT_EQ(error_of(two_steps_with("attnscope-lesson", "attnscope-model")),
              "x.json: format: expected \"attnscope-lesson\", got \"attnscope-model\"");
    EXPECT_EQ(error_of(two_steps_with(R"("version": 1)", R"("version": 2)")), "x.json: version: expected an integer in 1..1, got 2");
}

TEST(Lesson, SaysWhenTheTextIsNotJson) { EXPECT_THAT(error_of("{"), HasSubstr("x.json: not valid JSON")); }

// Found by tests/fuzz (lesson): nlohmann::json reports a number too large for a double as an
// out_of_range, not a parse_error, and it escaped parse_lesson.
TEST(Lesson, SaysWhenANumberIsTooLargeForJson) {
    EXPECT_THAT(error_of(two_steps_with(R"("layer": 1)", R"("layer": 1e999)")),
                HasSubstr("x.json: not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1e999'"));
}

TEST(Lesson, SaysWhichFileCannotBeOpened) {
    const auto result = load_lesson("/nonexistent/lesson.json");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "/nonexistent/lesson.json: no such file");
}

// page, field and zoom: what a step sets in a view's own controls, for that step only.
TEST(Lesson, AStepCanOpenAStepsPageChooseScoresAndZoom) {
    const auto lesson = parse_lesson(R"({"format": "attnscope-lesson", "version": 1, "title": "T", "steps": [
        {"caption": {"title": "a", "text": "b"}, "sentence": "s", "view": "steps", "page": "keys"},
        {"caption": {"title": "c", "text": "d"}, "page": 10, "field": "scores", "zoom": 2.5},
        {"caption": {"title": "e", "text": "f"}}]})");
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    const auto& steps = lesson.value().steps;
    EXPECT_EQ(steps[0].page, 4) << "keys is the fourth page";
    EXPECT_EQ(steps[0].field, "");
    EXPECT_EQ(steps[0].zoom, 0.0f);
    EXPECT_EQ(steps[1].page, 10);
    EXPECT_EQ(steps[1].field, "scores");
    EXPECT_EQ(steps[1].zoom, 2.5f);
    EXPECT_EQ(steps[2].page, 0) << "not inherited";
    EXPECT_EQ(steps[2].field, "");
    EXPECT_EQ(steps[2].zoom, 0.0f);
    EXPECT_EQ(lesson_page_names().size(), 10u);
    EXPECT_EQ(lesson_page_names()[9], "output");
}

TEST(Lesson, NamesThePagesFieldsAndZoomsItAccepts) {
    auto step = [](const std::string& extra) {
        return R"({"format": "attnscope-lesson", "version": 1, "title": "T", "steps": [
            {"caption": {"title": "a", "text": "b"}, "sentence": "s", )" + extra + "}]}";
    };
    EXPECT_THAT(error_of(step(R"("page": "values")")),
                HasSubstr("steps[0].page: expected a page number from 1 to 10 or one of input, projections, query, keys"));
    EXPECT_THAT(error_of(step(R"("page": 11)")), HasSubstr("steps[0].page"));
    EXPECT_THAT(error_of(step(R"("page": 0)")), HasSubstr("steps[0].page"));
    EXPECT_THAT(error_of(step(R"("field": "probabilities")")), HasSubstr("steps[0].field: expected \"weights\" or \"scores\""));
    EXPECT_THAT(error_of(step(R"("zoom": 0.5)")), HasSubstr("steps[0].zoom: expected a number from 1 to 64, got 0.5"));
    EXPECT_THAT(error_of(step(R"("zoom": "big")")), HasSubstr("steps[0].zoom: expected a number from 1 to 64"));
    EXPECT_THAT(error_of(step(R"("zoom": 1e300)")), HasSubstr("steps[0].zoom"));
}

// "training" chooses the Training view's run for its step alone (the class still presses Train).
TEST(Lesson, AStepCanChooseWhatTheTrainingViewTrains) {
    const auto lesson = parse_lesson(R"({"format": "attnscope-lesson", "version": 1, "title": "T", "steps": [
        {"caption": {"title": "a", "text": "b"}, "sentence": "s", "view": "training", "training": "induction"},
        {"caption": {"title": "c", "text": "d"}, "training": "ambiguous-words"},
        {"caption": {"title": "e", "text": "f"}}]})");
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    const auto& steps = lesson.value().steps;
    EXPECT_EQ(steps[0].training, "induction");
    EXPECT_EQ(steps[1].training, "ambiguous-words");
    EXPECT_EQ(steps[2].training, "") << "not inherited";
    EXPECT_EQ(steps[2].view, "training") << "the view is";
    EXPECT_THAT(error_of(R"({"format": "attnscope-lesson", "version": 1, "title": "T", "steps": [
        {"caption": {"title": "a", "text": "b"}, "sentence": "s", "training": "gpt"}]})"),
                HasSubstr("steps[0].training: expected \"ambiguous-words\" or \"induction\", got \"gpt\""));
}

// attention and target (encoder-decoders): the kind of attention carries over like the view; a
// forced translation belongs to its sentence and model, so a step that sets either drops it.
TEST(Lesson, AStepCanChooseTheKindOfAttentionAndForceATarget) {
    const auto lesson = parse_lesson(R"({"format": "attnscope-lesson", "version": 1, "title": "T", "model": "builtin:translator",
        "steps": [
        {"caption": {"title": "a", "text": "b"}, "sentence": "the red car", "attention": "encoder"},
        {"caption": {"title": "c", "text": "d"}, "attention": "cross", "target": "la voiture rouge"},
        {"caption": {"title": "e", "text": "f"}, "token": 2},
        {"caption": {"title": "g", "text": "h"}, "sentence": "the car"},
        {"caption": {"title": "i", "text": "j"}, "target": "la voiture"},
        {"caption": {"title": "k", "text": "l"}, "model": "builtin:translator"}]})");
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    const auto& steps = lesson.value().steps;
    EXPECT_EQ(steps[0].attention, "encoder");
    EXPECT_EQ(steps[0].target, "") << "the model's own translation";
    EXPECT_EQ(steps[1].attention, "cross");
    EXPECT_EQ(steps[1].target, "la voiture rouge");
    EXPECT_EQ(steps[2].attention, "cross") << "inherited";
    EXPECT_EQ(steps[2].target, "la voiture rouge") << "same sentence, same model: kept";
    EXPECT_EQ(steps[3].target, "") << "a new sentence drops it";
    EXPECT_EQ(steps[4].target, "la voiture");
    EXPECT_EQ(steps[5].target, "") << "a model named again drops it";
    EXPECT_EQ(steps[5].attention, "cross");
    EXPECT_EQ(lesson_attention_names(), (std::vector<std::string_view>{"encoder", "decoder", "cross"}));
}

TEST(Lesson, NamesTheKindsOfAttentionItAcceptsAndNeedsATargetText) {
    auto step = [](const std::string& extra) {
        return R"({"format": "attnscope-lesson", "version": 1, "title": "T", "steps": [
            {"caption": {"title": "a", "text": "b"}, "sentence": "s"},
            {"caption": {"title": "a", "text": "b"}, )" + extra + "}]}";
    };
    EXPECT_EQ(error_of(step(R"("attention": "both")")), "x.json: steps[1].attention: expected one of encoder, decoder, cross, got \"both\"");
    EXPECT_THAT(error_of(step(R"("attention": "Cross")")), HasSubstr("steps[1].attention: expected one of encoder, decoder, cross"));
    EXPECT_THAT(error_of(step(R"("attention": 2)")), HasSubstr("steps[1].attention: expected a string"));
    EXPECT_EQ(error_of(step(R"("target": " ")")), "x.json: steps[1].target: expected a non-empty string, got \" \"");
    EXPECT_THAT(error_of(step(R"("target": ["la"])")), HasSubstr("steps[1].target: expected a string"));
    EXPECT_THAT(error_of(step(R"("targets": "la")")), HasSubstr("steps[1]"));
}

TEST(ResolveToken, FindsAWordIgnoringCaseAnIndexOrTheLastToken) {
    const std::vector<std::string> tokens = {"I", "took", "the", "money", "to", "the", "bank"};
    EXPECT_EQ(resolve_token(TokenRef{-1, "MONEY"}, tokens), 3);
    EXPECT_EQ(resolve_token(TokenRef{-1, "the"}, tokens), 2);  // the first of two
    EXPECT_EQ(resolve_token(TokenRef{5, ""}, tokens), 5);
    EXPECT_EQ(resolve_token(TokenRef{}, tokens), 6);
    EXPECT_EQ(resolve_token(TokenRef{7, ""}, tokens), std::nullopt);
    EXPECT_EQ(resolve_token(TokenRef{-1, "river"}, tokens), std::nullopt);
}

// The lesson used to compare whole tokens, so a GPT-2 " bank" (typed text) or "Ġbank" (piece)
// was never the word "bank".
TEST(ResolveToken, FindsAWordWhoseTokenCarriesAWordMark) {
    EXPECT_EQ(resolve_token(TokenRef{-1, "bank"}, {"I", " took", " the", " bank"}), 3);
    EXPECT_EQ(resolve_token(TokenRef{-1, "bank"}, {"I", "\xC4\xA0took", "\xC4\xA0" "bank"}), 2);
    EXPECT_EQ(resolve_token(TokenRef{-1, "Bank"}, {"<s>", "\xE2\x96\x81" "bank"}), 1);
}

TEST(LessonViews, EveryViewNameReadsBackAsItsView) {
    for (int v = 0; v < static_cast<int>(ViewId::Count); ++v)
        EXPECT_EQ(view_from_name(view_name(static_cast<ViewId>(v))), static_cast<ViewId>(v));
    EXPECT_EQ(view_from_name("Heatmap"), std::nullopt);  // names are lower case, as typed after --view
}

// [SECTION] The shipped lessons

std::vector<std::string> token_texts(const Trace& trace) {
    std::vector<std::string> out;
    for (const auto& t : trace.tokens) out.push_back(trace.text.substr(t.start, t.end - t.start));
    return out;
}

// An encoder-decoder's step names rows and columns of the kind of attention it shows: the
// encoder's are the source's tokens, the decoder's the target's, cross-attention's rows the
// target's and its columns the source's (the GUI's default when a step says nothing is cross).
void expect_every_step_plays(const fs::path& file, std::size_t min_steps) {
    const auto lesson = load_lesson(file);
    ASSERT_TRUE(lesson.ok()) << lesson.error().message;
    EXPECT_GE(lesson.value().steps.size(), min_steps);
    for (std::size_t i = 0; i < lesson.value().steps.size(); ++i) {
        const LessonStep& step = lesson.value().steps[i];
        SCOPED_TRACE("step " + std::to_string(i) + ": " + step.title);
        EXPECT_LE(step.text.size(), 220u) << "a caption a class can read from the back row";
        const auto model = load_model(step.model);
        ASSERT_TRUE(model.ok()) << model.error().message;
        const bool pair = model.value()->encoder_decoder() != nullptr;
        EXPECT_TRUE(pair || (step.attention.empty() && step.target.empty())) << "attention and target need an encoder-decoder";
        TraceOptions options;
        if (!step.target.empty()) options.target = step.target;
        const auto trace = compute_trace(*model.value(), step.sentence, options);
        ASSERT_TRUE(trace.ok()) << trace.error().message;
        const Trace& whole = *trace.value();
        const std::string attention = pair && step.attention.empty() ? "cross" : step.attention;
        std::shared_ptr<const Trace> cross;
        if (attention == "cross") cross = cross_attention_trace(whole);
        const Trace& rows = attention == "encoder" ? *whole.source : attention == "cross" ? *cross : whole;
        const Trace& columns = attention == "encoder" || attention == "cross" ? *whole.source : whole;
        EXPECT_LT(step.layer, static_cast<int>(rows.layers.size()));
        EXPECT_LT(step.head, rows.model.n_heads);
        EXPECT_TRUE(resolve_token(step.token, token_texts(rows))) << step.token.describe();
        if (!step.key.empty()) {
            EXPECT_TRUE(resolve_token(step.key, token_texts(columns))) << step.key.describe();
        }
    }
}

TEST(ShippedLessons, QkvBankPlaysEveryStep) {
    expect_every_step_plays(fs::path(ATTNSCOPE_SOURCE_DIR) / "assets/lessons/qkv-bank.json", 5);
}

TEST(ShippedLessons, EncoderVsDecoderPlaysEveryStep) {
    expect_every_step_plays(fs::path(ATTNSCOPE_SOURCE_DIR) / "assets/lessons/encoder-vs-decoder.json", 5);
}

TEST(ShippedLessons, EncoderDecoderCrossPlaysEveryStep) {
    expect_every_step_plays(fs::path(ATTNSCOPE_SOURCE_DIR) / "assets/lessons/encoder-decoder-cross.json", 5);
}

TEST(ShippedLessons, InductionHeadsPlaysEveryStep) {
    expect_every_step_plays(fs::path(ATTNSCOPE_SOURCE_DIR) / "assets/lessons/induction-heads.json", 5);
}

}  // namespace
}  // namespace attnscope
