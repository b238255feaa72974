#include "workers/compare_logic.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "attnscope/token_labels.h"
#include "attnscope/top_k.h"
#include "attnscope/word_tokenizer.h"

#include "attnscope/model.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

std::string word_of(const Trace& trace, int i) {
    const Token& t = trace.tokens[static_cast<std::size_t>(i)];
    if (t.special || t.end <= t.start || t.end > trace.text.size()) return "";
    // Without the tokenizer's word marks, so a GPT-2 " bank" is the same word as a "Bank" that
    // starts the other sentence.
    const std::string w = lowercase_utf8(bare_word(std::string_view(trace.text).substr(t.start, t.end - t.start)));
    const bool has_alnum = std::any_of(w.begin(), w.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return std::isalnum(u) || u >= 0x80;
    });
    return has_alnum ? w : "";
}

namespace {

int last_index_of(const Trace& t, const std::string& word) { return find_word_token(t, word, Occurrence::Last).value_or(-1); }

// Adds `weight` to the entry of `word` (a new entry when it has none yet).
KeyWordWeights& entry_for(std::vector<KeyWordWeights>& list, const std::string& word) {
    for (KeyWordWeights& k : list)
        if (k.word == word) return k;
    list.push_back({word});
    return list.back();
}

}  // namespace

std::optional<SharedWord> choose_shared_word(const Trace& a, const Trace& b, int selected_query) {
    if (selected_query >= 0 && selected_query < a.n_tokens()) {
        const std::string w = word_of(a, selected_query);
        const int j = w.empty() ? -1 : last_index_of(b, w);
        if (j >= 0) return SharedWord{w, selected_query, j};
    }
    for (int i = a.n_tokens() - 1; i >= 0; --i) {
        const std::string w = word_of(a, i);
        const int j = w.empty() ? -1 : last_index_of(b, w);
        if (j >= 0) return SharedWord{w, i, j};
    }
    return std::nullopt;
}

RowComparison compare_rows(const Trace& a, const Trace& b, const SharedWord& shared, int layer, int head) {
    RowComparison out;
    out.shared = shared;
    out.layer = layer;
    out.head = head;
    // The keys are the traces' own tokens, or the sources' for cross-attention (keys_of).
    const Trace& keys_a = keys_of(a);
    const Trace& keys_b = keys_of(b);
    out.labels_a = token_labels(keys_a);
    out.labels_b = token_labels(keys_b);
    const Matrix& wa = a.head(layer, head).weights;  // n_a x n_keys_a, rows = queries
    const Matrix& wb = b.head(layer, head).weights;  // n_b x n_keys_b
    for (int j = 0; j < keys_a.n_tokens(); ++j) out.row_a.push_back(wa(shared.i_a, j));
    for (int j = 0; j < keys_b.n_tokens(); ++j) out.row_b.push_back(wb(shared.i_b, j));
    // Tokens without a word (".", "<s>") are keyed by their label, so their weight still shows.
    for (int j = 0; j < keys_a.n_tokens(); ++j) {
        const std::string w = word_of(keys_a, j);
        entry_for(out.by_word, w.empty() ? out.labels_a[static_cast<std::size_t>(j)] : w).a += out.row_a[static_cast<std::size_t>(j)];
    }
    for (int j = 0; j < keys_b.n_tokens(); ++j) {
        const std::string w = word_of(keys_b, j);
        entry_for(out.by_word, w.empty() ? out.labels_b[static_cast<std::size_t>(j)] : w).b += out.row_b[static_cast<std::size_t>(j)];
    }
    for (KeyWordWeights& k : out.by_word) k.diff = k.a - k.b;
    std::stable_sort(out.by_word.begin(), out.by_word.end(),
                     [](const KeyWordWeights& x, const KeyWordWeights& y) { return std::fabs(x.diff) > std::fabs(y.diff); });
    return out;
}

NextWord top_next_words(const Trace& trace, const Tokenizer& tokenizer, int preferred, int k) {
    NextWord out;
    if (trace.has_logits_for(preferred)) out.after = preferred;
    else
        for (int i = trace.n_tokens() - 1; i >= 0 && out.after < 0; --i)
            if (trace.has_logits_for(i)) out.after = i;
    if (out.after < 0) return out;
    for (const TokenProbability& t : top_k_softmax(trace.logits_of(out.after), k)) out.top.push_back({tokenizer.piece(t.id), t.probability});
    return out;
}

NextWord top_next_words_of(const Trace& trace, int preferred, int k) {
    if (!trace.made_by) return {};
    // An encoder-decoder's logits are its decoder's, over the target's vocabulary.
    if (const EncoderDecoder* ed = trace.made_by->encoder_decoder()) return top_next_words(trace, ed->target_tokenizer(), preferred, k);
    return top_next_words(trace, trace.made_by->tokenizer(), preferred, k);
}

}  // namespace attnscope::gui
