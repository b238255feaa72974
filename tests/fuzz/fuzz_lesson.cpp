// Fuzz target: text as a lesson file (attnscope/lesson.h). A lesson that parses must be complete,
// as the GUI plays it without further checks: at least one step, and every step with a caption,
// a model, a sentence and a known view. Its token references are resolved against a few token
// lists, as the app does once a step's sentence is traced.
#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/lesson.h"
#include "attnscope/views.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace attnscope;
    fuzz::setup_once();
    const std::string_view text = fuzz::as_text(data, size);
    const Result<Lesson> lesson = parse_lesson(text, "fuzz-lesson.json");
    if (!lesson.ok()) {
        fuzz::check_error(lesson.error(), "parse_lesson", text);
        return 0;
    }
    fuzz::check(!lesson.value().steps.empty(), "a lesson without steps parsed");
    const std::vector<std::vector<std::string>> token_lists = {
        {}, {"i", "took", "the", "money", "to", "the", "bank"}, {"[CLS]", " Bank", "##s", "\xc3\x89T\xc3\x89", "[SEP]"}};
    for (const LessonStep& step : lesson.value().steps) {
        fuzz::check(!step.title.empty() && !step.text.empty() && !step.model.empty() && !step.sentence.empty(),
                    "a lesson step without a caption, model or sentence parsed");
        const bool known_view = view_from_name(step.view).has_value();
        fuzz::check(known_view, "a lesson step with the unknown view \"" + fuzz::printable(step.view) + "\" parsed");
        fuzz::check(step.layer >= 0 && step.head >= 0, "a lesson step with a negative layer or head parsed");
        for (const auto& tokens : token_lists)
            for (const TokenRef& ref : {step.token, step.key}) {
                const std::optional<int> i = resolve_token(ref, tokens);
                fuzz::check(!i || (*i >= 0 && *i < static_cast<int>(tokens.size())),
                            "resolve_token gave an index outside the tokens");
                (void)ref.describe();
            }
    }
    return 0;
}
