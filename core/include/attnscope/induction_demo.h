// "Watch an induction head form" (issue 18): what a class trains live to see an induction head
// appear. A corpus of made-up words in which spans of earlier words come back at random places,
// so that the only way to predict a copied word is to find the last time the current word came
// and read the word after it (Olsson et al. 2022). Nothing about a word's position tells where a
// copy continues, which is what keeps a model from learning a positional shortcut instead.
//
// The config that learns it (assets/configs/induction-demo.json): 2 layers, attention only,
// sinusoidal positions. Its loss sits at ln(words) for a while, then falls within a few hundred
// steps as a previous-token head forms in layer 0 and an induction head in layer 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/train.h"

namespace attnscope {

struct InductionCorpusOptions {
    int words = 64;          // distinct made-up words, drawn uniformly
    int length = 32;         // words per sentence
    int sentences = 20000;
    std::uint32_t seed = 1;
    // Each sentence starts with `first_min`..`first_max` fresh words; after that each next piece is
    // a fresh word (with chance `fresh_chance`) or a copy of `span_min`..`span_max` words starting
    // at a random earlier word.
    int first_min = 6, first_max = 10;
    double fresh_chance = 0.3;
    int span_min = 3, span_max = 8;
};

// `n` pronounceable made-up words ("bap", "dek", ...), the same for every n's first words, none an
// English word the built-in models' examples use. n is clamped to 1..kMaxInductionWords.
constexpr int kMaxInductionWords = 1000;
std::vector<std::string> induction_words(int n);

// The corpus, the same for the same options on every platform (its own integer draws, no
// std::uniform_int_distribution). Options outside sensible ranges are clamped.
Corpus induction_corpus(const InductionCorpusOptions& options = {});

// The sentence a class watches: `half` words (the first made-up words, shuffled by `seed`), then
// the same words again: an induction head's row for a word in the second half points one word past
// that word's first appearance.
std::string induction_watch_sentence(int half = 10, std::uint32_t seed = 7, int words = 64);

}  // namespace attnscope
