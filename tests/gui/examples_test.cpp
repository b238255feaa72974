// The Examples menu promises only what the model it opens shows (issue 14): each hint is checked
// against the built-in decoder's and encoder's own traces. A hint that asks a question ("does 'it'
// mean the street?") promises nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "attnscope/forward.h"
#include "attnscope/model.h"
#include "attnscope/token_labels.h"
#include "shell/examples.h"

namespace attnscope::gui {
namespace {

// The built-in model, or a retrained file in its place before it is shipped
// (ATTNSCOPE_CANDIDATE_DECODER / _ENCODER=PATH, as the classroom-model tests read).
Result<ModelPtr> built_in(const std::string& spec, const char* candidate_variable) {
    const char* candidate = std::getenv(candidate_variable);
    return load_model(candidate && *candidate ? candidate : spec);
}

// The largest weight, over every layer and head, from the example's query word to its key word.
float best_head_weight(const Model& model, const Example& e) {
    auto trace = compute_trace(model, e.text);
    EXPECT_TRUE(trace.ok()) << e.text;
    if (!trace.ok()) return 0.0f;
    const Trace& t = *trace.value();
    const auto q = find_word_token(t, e.query, Occurrence::Last), k = find_word_token(t, e.key, Occurrence::Last);
    EXPECT_TRUE(q && k) << e.text;
    if (!q || !k) return 0.0f;
    float best = 0.0f;
    for (int l = 0; l < static_cast<int>(t.layers.size()); ++l)
        for (int h = 0; h < t.model.n_heads; ++h) best = std::max(best, t.head(l, h).weights(*q, *k));
    return best;
}

bool asks(const char* hint) { return std::strlen(hint) > 0 && hint[std::strlen(hint) - 1] == '?'; }

// The Examples menu promises only what the default model shows: for every example a decoder can
// tell (its deciding word comes first), the query looks at the key with weight >= 0.4 in the
// decoder's best head, read from the model's own trace; the others say they need an encoder.
TEST(Examples, TheDecoderKeepsEveryPromiseItsMenuMakes) {
    auto model = built_in("builtin:bank-decoder", "ATTNSCOPE_CANDIDATE_DECODER");
    ASSERT_TRUE(model.ok());
    int checked = 0;
    for (const Example& e : example_sentences()) {
        if (!e.query) continue;
        EXPECT_EQ(example_for_text(std::string("  ") + e.text + " "), &e);
        if (e.needs_lookahead) {
            EXPECT_STRNE(example_hint(e, true), e.hint) << e.text;
            EXPECT_STREQ(example_hint(e, false), e.hint) << e.text;
            continue;
        }
        auto trace = compute_trace(model.value(), e.text);
        ASSERT_TRUE(trace.ok()) << e.text;
        const Trace& t = *trace.value();
        const auto q = find_word_token(t, e.query, Occurrence::Last), k = find_word_token(t, e.key, Occurrence::Last);
        ASSERT_TRUE(q && k) << e.text;
        ASSERT_LT(*k, *q) << e.text << ": a decoder's query sees only earlier keys";
        float best = 0.0f;
        for (int l = 0; l < static_cast<int>(t.layers.size()); ++l)
            for (int h = 0; h < t.model.n_heads; ++h) best = std::max(best, t.head(l, h).weights(*q, *k));
        EXPECT_GE(best, 0.4f) << e.text << ": " << e.query << " -> " << e.key;
        EXPECT_STREQ(example_hint(e, true), e.hint);
        ++checked;
    }
    EXPECT_GE(checked, 8);
    EXPECT_EQ(example_for_text("a sentence of my own"), nullptr);
}

// The encoder sees both ways, so every example's hint is for it: each one that promises (does not
// ask) shows in the encoder's best head with weight >= 0.4.
TEST(Examples, TheEncoderKeepsEveryPromiseItsMenuMakes) {
    auto model = built_in("builtin:bank-encoder", "ATTNSCOPE_CANDIDATE_ENCODER");
    ASSERT_TRUE(model.ok());
    int checked = 0;
    for (const Example& e : example_sentences()) {
        if (!e.query || asks(example_hint(e, false))) continue;
        EXPECT_GE(best_head_weight(*model.value(), e), 0.4f) << e.text << ": " << e.query << " -> " << e.key;
        ++checked;
    }
    EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace attnscope::gui
