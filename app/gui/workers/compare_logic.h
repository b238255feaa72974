// The compare view's arithmetic, kept apart from drawing so it can be tested without a window:
// which word the two sentences share, its attention rows side by side, their difference per key
// word, and the top next-word predictions. Everything here is computed once per (trace ids,
// layer, head, query) by ComparePanel and cached; the draw path only reads the result.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attnscope/trace.h"

namespace attnscope::gui {

// The word of token i as typed (lowercased), "" for tokens without letters or digits (".", "<s>").
std::string word_of(const Trace& trace, int i);

// A word present in both sentences, and where: the query token in a and in b.
struct SharedWord {
    std::string word;
    int i_a = -1, i_b = -1;
};

// The selected query token's word when sentence b has it too; otherwise the last word of a that b
// has. In b, the last occurrence. Empty when the sentences share no word.
std::optional<SharedWord> choose_shared_word(const Trace& a, const Trace& b, int selected_query);

// One key word's weight in both rows: the weights of all its tokens added up (a row can see "the"
// twice), 0 where the sentence lacks the word. diff = a - b.
struct KeyWordWeights {
    std::string word;
    float a = 0.f, b = 0.f, diff = 0.f;
};

struct RowComparison {
    SharedWord shared;
    int layer = 0, head = 0;
    std::vector<std::string> labels_a, labels_b;  // key tokens, as typed (the sources' for cross-attention)
    std::vector<float> row_a, row_b;              // weights of the shared word's query row
    std::vector<KeyWordWeights> by_word;          // every key word of either row, largest |diff| first
};

// Both traces must have this layer and head.
RowComparison compare_rows(const Trace& a, const Trace& b, const SharedWord& shared, int layer, int head);

struct Prediction {
    std::string piece;
    float probability = 0.f;
};

struct NextWord {
    int after = -1;  // the token whose logits row was used; -1: the model has none
    std::vector<Prediction> top;
};

// The top k next words after token `preferred` when the trace has its logits row, otherwise after
// the last token that has one (decoders keep only the last row). Probabilities: softmax of the row.
NextWord top_next_words(const Trace& trace, const Tokenizer& tokenizer, int preferred, int k);

// The same, decoded with the tokenizer of the model that made the trace (Trace::made_by): the
// logits index that model's vocabulary, whatever model is loaded now. Empty without a model.
NextWord top_next_words_of(const Trace& trace, int preferred, int k);

}  // namespace attnscope::gui
