// Example sentences of the Examples menu: ambiguous words whose meaning only the context gives
// (the built-in bank models are trained on these words), and the A/B/C worked example.
#pragma once

#include <string>
#include <vector>

namespace attnscope::gui {

struct Example {
    const char* text;
    const char* hint;  // what to look for, shown beside the sentence
    // The pair the sentence is about: it opens with `query` selected, `key` chosen, and the head in
    // which the query looks at the key most (App::focus_example). Null for A/B/C.
    const char* query = nullptr;
    const char* key = nullptr;
    // The word that decides comes after the ambiguous one ("the bat flew", "it was too wide"): a
    // decoder, which cannot look ahead, cannot show the story, so its menu does not promise it.
    bool needs_lookahead = false;
};

// What the Examples menu says beside an example for a decoder (`causal`) or an encoder.
const char* example_hint(const Example& e, bool causal);

const std::vector<Example>& example_sentences();

// The example whose text this is (case and surrounding space ignored), or null.
const Example* example_for_text(const std::string& text);

// An encoder-decoder's examples (builtin:translator's vocabulary): English sources whose `query`
// is a French word the translation writes and whose `key` is the English word it translates. They
// open on cross-attention, the row of the decoder step writing `query` (App::focus_example); the
// first is the sentence a translator opens with.
const std::vector<Example>& translation_examples();
const Example* translation_example_for_text(const std::string& text);

}  // namespace attnscope::gui
