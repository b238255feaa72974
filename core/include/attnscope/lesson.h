// Lessons: a JSON script that walks a class through sentences, views and captions, one step per
// key press (assets/lessons/*.json). The format, version 1:
//
//   { "format": "attnscope-lesson", "version": 1,
//     "title": "What are Q, K and V?",
//     "model": "builtin:bank-decoder",          // optional: the default for every step
//     "steps": [ {
//       "caption": {"title": "A word looks for context", "text": "Each row is one word asking..."},
//       "model": "builtin:bank-encoder",        // optional: else the previous step's (else the lesson's)
//       "sentence": "i took the money to the bank",  // optional after the first step: else the previous one
//       "view": "heatmap",                      // optional: else the previous step's (else heatmap)
//       "layer": 0, "head": 1,                  // optional: else the previous step's (else 0); "head": "best"
//                                               // (no layer): where the token looks at the key most
//       "token": "bank",                        // optional: query token, a word or a 0-based index; else the last token
//       "key": "money",                         // optional: key token, a word or an index; else none
//       "page": "keys",                         // optional: the steps view's page, 1-10 or its name (below)
//       "field": "scores",                      // optional: weights, scores, value-weighted(-layer)
//       "zoom": 2.5,                            // optional: the heatmap's zoom (1 = the whole grid), on the query
//       "training": "induction",                // optional: what the Training view's Train button trains,
//                                               // "ambiguous-words" or "induction" (the induction-head demo)
//       "attention": "cross",                   // optional, encoder-decoders only: "encoder", "decoder" or "cross",
//                                               // the kind of attention the views show; else the previous step's
//                                               // (else the app's: cross). token and key then name its rows and
//                                               // columns: cross rows are target tokens, its columns source tokens
//       "target": "la voiture rouge"            // optional, encoder-decoders only: the decoder is forced on this
//                                               // translation; else the model's own. Kept while the step keeps the
//                                               // sentence and model (a step that sets either drops it)
//     } ] }
// page, field, zoom and training belong to their step: a step without them leaves the view as it is.
// Page names, in order: input, projections, query, keys, dots, scale, mask, exp, normalise, output.
//
// Parsing resolves what a step inherits, so every Step is complete. Words are matched against the
// tokens only once the sentence is traced (resolve_token); layers and heads against the model.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/result.h"

namespace attnscope {


inline constexpr const char* kDefaultLessonModel = "builtin:bank-decoder";

// A token named in a lesson: a 0-based index, or a word (matched case-insensitively, first hit).
struct TokenRef {
    int index = -1;
    std::string word;
    bool empty() const { return index < 0 && word.empty(); }
    std::string describe() const;  // "\"bank\"" or "6"
};

struct LessonStep {
    std::string title, text;         // the caption
    std::string model;               // a model spec, as --model takes it
    std::string sentence;
    std::string view = "heatmap";    // a view_name() (attnscope/views.h)
    int layer = 0, head = 0;
    bool best_head = false;          // layer and head: where the token looks at the key most; a later
                                     // step without a key keeps the head the last one chose
    TokenRef token;                  // empty: the last token
    TokenRef key;                    // empty: no key chosen
    int page = 0;                    // the steps view's page, 1-based; 0: as it is
    std::string field;               // "weights", "scores", "value-weighted" or "value-weighted-layer"; "": as it is
    float zoom = 0.0f;               // the heatmap's zoom, at least 1; 0: as it is
    std::string attention;           // "encoder", "decoder" or "cross" (encoder-decoders); "": as it is
    std::string target;              // the forced translation (encoder-decoders); "": the model's own
    std::string training;            // what the Training view's Train trains: "ambiguous-words" or "induction"; "": as it is
};

// The kinds of attention a step may show: "encoder", "decoder", "cross".
const std::vector<std::string_view>& lesson_attention_names();

// The steps view's page names, page 1 first (explain.h's ExplainStep order).
const std::vector<std::string_view>& lesson_page_names();

struct Lesson {
    std::string title;
    std::vector<LessonStep> steps;   // at least one
};

// `source` names the document in messages (a file name); errors read
// "<source>: steps[2].view: expected one of heatmap, tokens, ..., got \"foo\"".
Result<Lesson> parse_lesson(std::string_view json, const std::string& source = "lesson");
Result<Lesson> load_lesson(const std::filesystem::path& file);

// The index of `ref` among `tokens` (each token's text as it appears in the sentence): the index
// itself when in range, else the first token equal to the word ignoring case. Empty `ref`: the
// last token. None when nothing matches.
std::optional<int> resolve_token(const TokenRef& ref, const std::vector<std::string>& tokens);

}  // namespace attnscope
