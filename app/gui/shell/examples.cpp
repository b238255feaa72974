#include "shell/examples.h"

#include <algorithm>
#include <cctype>

namespace attnscope::gui {

namespace {

// The examples are ASCII: their text, trimmed and lowercased, is all a match needs.
std::string ascii_key(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r\n"), last = text.find_last_not_of(" \t\r\n");
    std::string key = first == std::string::npos ? "" : text.substr(first, last - first + 1);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return key;
}

}  // namespace

const std::vector<Example>& example_sentences() {
    // The ambiguous words of the built-in models' corpus (assets/corpus/ambiguous-words.txt):
    // bank, bat, bark, match and "it"; every word below is in their vocabulary.
    static const std::vector<Example> examples = {
        {"I took the money to the bank", "bank \xE2\x86\x92 money: the head that shows it opens", "bank", "money"},
        {"we sat on the river bank", "the same 'bank', now next to 'river'", "bank", "river"},
        {"she saved her money and went to the bank", "bank = money", "bank", "money"},
        {"the fish swim near the bank", "bank = river side", "bank", "fish"},
        {"the animal did not cross the street because it was too tired", "'it' = the animal", "it", "animal", true},
        {"the animal did not cross the street because it was too wide", "does 'it' mean the street?", "it", "street", true},
        {"he swung the bat and hit the ball", "bat = sport", "bat", "swung"},
        {"the bat flew out of the cave at night", "bat = animal", "bat", "flew", true},
        {"he heard the puppy and its bark was loud", "bark = dog", "bark", "puppy"},
        {"the bark of the old tree was rough", "bark = tree", "bark", "tree", true},
        {"the candle was lit with a match", "match = fire", "match", "candle"},
        {"we watched the tennis match", "match = game", "match", "tennis"},
        {"A B C", "the worked example (model builtin:abc-example)"},
    };
    return examples;
}

const char* example_hint(const Example& e, bool causal) {
    return causal && e.needs_lookahead ? "an encoder's story: a decoder cannot see the word that decides" : e.hint;
}

const std::vector<Example>& translation_examples() {
    // Translated by builtin:translator as "la femme voit la rive pres de la riviere ." and "la femme
    // depose l'argent dans la banque ." (attnscope-cli predict); its cross head L1H3 points the step
    // writing each word at the English word it translates.
    static const std::vector<Example> examples = {
        {"the woman sees the bank near the river .", "bank \xE2\x86\x92 rive: the step writing 'rive' looks at 'bank'", "rive", "bank"},
        {"the woman deposits the money in the bank .", "bank \xE2\x86\x92 banque: the step writing 'banque' looks at 'bank'", "banque",
         "bank"},
    };
    return examples;
}

const Example* translation_example_for_text(const std::string& text) {
    const std::string wanted = ascii_key(text);
    for (const Example& e : translation_examples())
        if (ascii_key(e.text) == wanted) return &e;
    return nullptr;
}

const Example* example_for_text(const std::string& text) {
    const std::string wanted = ascii_key(text);
    for (const Example& e : example_sentences())
        if (ascii_key(e.text) == wanted) return &e;
    return nullptr;
}

}  // namespace attnscope::gui
