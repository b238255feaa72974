#include "shell/examples.h"

namespace attnscope::gui {

const std::vector<Example>& example_sentences() {
    // The ambiguous words of the built-in models' corpus (assets/corpus/ambiguous-words.txt):
    // bank, bat, bark, match and "it"; every word below is in their vocabulary.
    static const std::vector<Example> examples = {
        {"I took the money to the bank", "click 'bank': which head looks at 'money'?"},
        {"we sat on the river bank", "the same 'bank', now next to 'river'"},
        {"she saved her money and went to the bank", "bank = money"},
        {"the fish swim near the bank", "bank = river side"},
        {"the animal did not cross the street because it was too tired", "'it' = the animal"},
        {"the animal did not cross the street because it was too wide", "'it' = the street"},
        {"he swung the bat and hit the ball", "bat = sport"},
        {"the bat flew out of the cave at night", "bat = animal"},
        {"he heard the puppy and its bark was loud", "bark = dog"},
        {"the bark of the old tree was rough", "bark = tree"},
        {"he lit a match to start the fire", "match = fire"},
        {"we watched the tennis match", "match = game"},
        {"A B C", "the worked example (model builtin:abc-example)"},
    };
    return examples;
}

}  // namespace attnscope::gui
