// Example sentences of the Examples menu: ambiguous words whose meaning only the context gives
// (the built-in bank models are trained on these words), and the A/B/C worked example.
#pragma once

#include <vector>

namespace attnscope::gui {

struct Example {
    const char* text;
    const char* hint;  // what to look for, shown beside the sentence
};

const std::vector<Example>& example_sentences();

}  // namespace attnscope::gui
