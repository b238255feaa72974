// How a token is shown, and which token a typed word means: one place for both, so the views, the
// exports, the lessons and the CLI agree on every tokenizer's conventions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/trace.h"

namespace attnscope {

// Control characters in a label: shown as the two characters "\n", "\t", "\r" (one line in a
// table, a chip or an axis), or left as typed (the steps view prints them as the user wrote them).
enum class ControlChars { Escaped, AsTyped };

// What token i is called: the text it covers as typed (a GPT-2 token keeps its leading space), or
// its vocabulary piece when it covers none, as a tokenizer's added [CLS] or </s>.
std::string token_label(const Trace& trace, int i, ControlChars controls = ControlChars::Escaped);

// Every token's label, in order.
std::vector<std::string> token_labels(const Trace& trace, ControlChars controls = ControlChars::Escaped);

// What key j of layer `layer` is called: a cross-attention layer's keys are the source's tokens
// (read in source_text), self-attention's the trace's own, so token_label(trace, j).
std::string key_label(const Trace& trace, int layer, int j, ControlChars controls = ControlChars::Escaped);

// Every key's label of layer `layer`, in order: n_keys(layer) of them.
std::vector<std::string> key_labels(const Trace& trace, int layer, ControlChars controls = ControlChars::Escaped);

// The word a token or piece spells, without the marks tokenizers put at word boundaries: leading
// white space (" bank"), GPT-2's byte-level "Ġ" (U+0120), SentencePiece's "▁" (U+2581) and
// WordPiece's continuation "##". Only one leading mark goes: "##" alone stays "##".
std::string_view bare_word(std::string_view token);

// Whether `token` (a label or a piece) is the word `word`: their bare words, lowercased (Unicode).
bool token_is_word(std::string_view token, std::string_view word);

enum class Occurrence { First, Last };

// The index of the first or last of `tokens` that is `word`; nullopt when none is.
std::optional<int> find_word_token(const std::vector<std::string>& tokens, std::string_view word, Occurrence which);

// The same over a trace: a token is the word when its label or its vocabulary piece is.
std::optional<int> find_word_token(const Trace& trace, std::string_view word, Occurrence which);

// How many of the typed words (runs of text between white space, in the traced part) the model
// does not know: a word is new when any of its tokens is the unknown token. "3 of your 10 words
// are new to this model".
struct WordCount {
    int words = 0;
    int unknown = 0;
};
WordCount count_unknown_words(const Trace& trace);

// The tokens an encoder is asked to fill in: pieces "[MASK]" (BERT) or "<mask>" (RoBERTa), in order.
std::vector<int> mask_token_positions(const Trace& trace);

}  // namespace attnscope
