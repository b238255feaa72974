// The pages of the step-by-step view, built once per explanation (the GUI only draws them).
// Captions are written for students: short, plain, one idea each.
#include <cmath>
#include <utility>

#include "attnscope/explain.h"

namespace attnscope {

namespace {

std::string str(float v) { return format_number(v); }
std::string dims(Index r, Index c) { return std::to_string(r) + " \u00d7 " + std::to_string(c); }

// Which row of the tables is the query's own token: every table has one row per key, and in
// cross-attention the keys are the source's tokens, none of them the query.
StepPage page(const HeadExplanation& e, const char* title, const std::string& caption) {
    StepPage p;
    p.title = title;
    p.caption = caption;
    p.highlight_row = e.cross ? -1 : e.query;
    return p;
}

std::string scale_words(const HeadExplanation& e) {
    const std::string root = "\u221a" + std::to_string(e.d_head);
    if (e.scale_is_default) return "1/" + root + " = " + str(e.scale);
    return str(e.scale) + " (set by the model; 1/" + root + " would be " + str(1.0f / std::sqrt(static_cast<float>(e.d_head))) + ")";
}

StepPage input_page(const HeadExplanation& e) {
    StepPage p = page(e, "1. The input rows x", "Each word arrives as a row of numbers: what the model knows about it so far. "
                                                 "These rows feed every head of this layer.");
    p.formulas.push_back("x: " + dims(e.x.rows(), e.x.cols()) + "  (one row per token, d_model = " + std::to_string(e.d_model) + ")");
    p.formulas.push_back("x_" + e.tokens[e.query] + " = " + format_vector(e.x.row(e.query)));
    p.matrices.push_back({"x (" + dims(e.x.rows(), e.x.cols()) + ")", e.x, e.tokens, e.query});
    p.highlight_row = e.query;  // x has a row per query token, whatever the keys are
    return p;
}

// Llama-family models rotate q and k by position after the projection.
bool rotary(const HeadExplanation& e) { return e.projection && e.projection->rotary; }
// Qwen3 and OLMo-2 also normalize q and k first.
bool qk_normalized(const HeadExplanation& e) { return e.projection && !e.projection->qk_norm.empty(); }

// "x W_Q + b_Q" as the family computes q (or k) from it: "RoPE(norm(x W_Q + b_Q))".
std::string projected(const HeadExplanation& e, const std::string& product) {
    const std::string normed = qk_normalized(e) ? "norm(" + product + ")" : product;
    return rotary(e) ? "RoPE(" + normed + ")" : normed;
}

StepPage projections_page(const HeadExplanation& e) {
    StepPage p = page(e, "2. Three projections: W_Q, W_K, W_V",
                      "The head multiplies each row x by three learned matrices. Same word, three different roles.");
    if (rotary(e)) {
        p.formulas.push_back("q = " + projected(e, "x W_Q + b_Q") + "     k = " + projected(e, "x W_K + b_K") + "     v = x W_V + b_V");
        if (qk_normalized(e))
            p.formulas.push_back("norm: " + e.projection->qk_norm + ", which keeps the scores q \u00b7 k from growing large.");
        const int turned = e.projection->rotary_dims;
        const std::string what = turned > 0 ? "the first " + std::to_string(turned) + " of q's and k's " + std::to_string(e.d_head) + " numbers"
                                            : "q and k";
        p.formulas.push_back("RoPE turns " + what + " by angles that grow with the token's position, so q \u00b7 k also "
                             "depends on how far apart two tokens are. The q and k on the next pages are the turned ones.");
    } else {
        p.formulas.push_back("q = x W_Q + b_Q     k = x W_K + b_K     v = x W_V + b_V");
    }
    if (!e.projection) {
        p.formulas.push_back("This model does not show its W matrices here; q, k and v below come straight from the trace.");
        return p;
    }
    const HeadProjection& w = *e.projection;
    const std::string shape = " (" + dims(w.w_q.rows(), w.w_q.cols()) + ")";
    p.formulas.push_back("each W: d_model \u00d7 d_head =" + shape);
    p.matrices.push_back({"W_Q" + shape, w.w_q, {}, -1});
    p.matrices.push_back({"W_K" + shape, w.w_k, {}, -1});
    p.matrices.push_back({"W_V" + shape, w.w_v, {}, -1});
    return p;
}

StepPage query_page(const HeadExplanation& e) {
    StepPage p = page(e, "3. The query q: what am I looking for?",
                      "The query token asks a question with its q vector. Keys that point the same way will answer it.");
    p.formulas.push_back("q_" + e.tokens[e.query] + " = " + projected(e, "x_" + e.tokens[e.query] + " W_Q + b_Q") + " = " +
                         format_vector(e.q));
    p.formulas.push_back("d_head = " + std::to_string(e.d_head) + " numbers");
    p.matrices.push_back({"q (1 \u00d7 " + std::to_string(e.d_head) + ")", Matrix(e.q), {e.tokens[e.query]}, -1});
    return p;
}

StepPage keys_page(const HeadExplanation& e) {
    StepPage p = page(e, "4. The keys k: what do I contain?",
                      std::string("Every token shows a key k = x W_K") + (qk_normalized(e) ? ", normalized" : "") +
                          (rotary(e) ? ", turned by RoPE" : "") +
                          ": a label saying what it has to offer.");
    Matrix keys(static_cast<Index>(e.keys.size()), e.d_head);  // n_keys x d_head, row j = k_j
    std::vector<std::string> labels;
    for (const KeyExplanation& k : e.keys) {
        keys.row(k.j) = k.k;
        labels.push_back(k.token);
    }
    p.matrices.push_back({"K (" + dims(keys.rows(), keys.cols()) + ")", keys, std::move(labels), -1});
    p.columns = {"token", "k"};
    for (const KeyExplanation& k : e.keys) p.rows.push_back({k.token, format_vector(k.k)});
    return p;
}

StepPage dots_page(const HeadExplanation& e) {
    StepPage p = page(e, "5. Match: the dot product q \u00b7 k",
                      "Multiply matching entries and add them up. Big and positive: a good match. Negative: a bad one.");
    p.formulas.push_back("q = " + format_vector(e.q));
    p.columns = {"token", "q \u00b7 k", "= term by term"};  // the sum first: long vectors run off the right edge
    for (const KeyExplanation& k : e.keys) p.rows.push_back({k.token, str(k.dot), "= " + dot_terms(e.q, k.k, e.d_head > 4 ? 3 : 4)});
    return p;
}

// The first key the query sees (its own, at worst).
const KeyExplanation& first_seen_key(const HeadExplanation& e) {
    for (const KeyExplanation& k : e.keys)
        if (!k.masked) return k;
    return e.keys.front();
}

// Gemma 2's scale step: the scale (query_pre_attn_scalar's), then every score squashed into
// (-c, c) by c tanh(s / c).
StepPage scale_and_cap_page(const HeadExplanation& e) {
    const float cap = e.shaping.softcap;
    StepPage p = page(e, "6. Scale, then soft-cap",
                      "Scale the dot products down, then squash them: c \u00b7 tanh(s / c) leaves small scores almost as "
                      "they are and bends big ones towards \u00b1c, so no key can take all the attention.");
    p.formulas.push_back("scaled = q \u00b7 k \u00d7 " + scale_words(e));
    p.formulas.push_back("score = " + str(cap) + " \u00b7 tanh(scaled / " + str(cap) + ")   (always between \u2212" + str(cap) +
                         " and " + str(cap) + ")");
    const KeyExplanation& k0 = first_seen_key(e);
    p.formulas.push_back("score_" + k0.token + " = " + k0.score_formula);
    p.columns = {"token", "q \u00b7 k", "= scaled", "soft-capped score"};
    for (const KeyExplanation& k : e.keys)
        p.rows.push_back({k.token, str(k.dot), str(k.scaled), k.masked ? "(masked) \u2212\u221e" : str(k.score)});
    return p;
}

// A sliding-window layer's mask: the future, and everything the window has passed.
StepPage window_mask_page(const HeadExplanation& e) {
    const int w = e.shaping.window;
    StepPage p = page(e, "7. The mask: no peeking ahead, and a window",
                      "This layer slides a window along the text: a token sees itself and the " + std::to_string(w - 1) +
                          " tokens before it, no further back, and never the words after it. Masked scores become \u2212\u221e.");
    p.formulas.push_back("key j after query i, or j \u2264 i \u2212 " + std::to_string(w) +
                         "  \u2192  score = \u2212\u221e  \u2192  weight exactly 0");
    p.formulas.push_back("window: " + std::to_string(w) + " tokens (this layer; other layers of the model may see everything)");
    p.columns = {"token", "position", "score"};
    for (const KeyExplanation& k : e.keys) {
        const char* where = k.outside_window ? "before the window: masked" : k.masked ? "after: masked" : "in the window: kept";
        p.rows.push_back({k.token, where, k.masked ? "\u2212\u221e" : str(k.score)});
    }
    return p;
}

StepPage scale_page(const HeadExplanation& e) {
    const float cap = e.shaping.softcap;
    if (cap > 0.0f) return scale_and_cap_page(e);
    StepPage p = page(e, "6. Scale: divide by \u221ad",
                      "Long vectors give big dot products, and big scores make softmax pick one key and ignore all "
                      "the others. Dividing by \u221ad keeps the scores in a gentle range.");
    p.formulas.push_back("score = q \u00b7 k \u00d7 " + scale_words(e));
    // One key written out in full: the first one the query sees (the causal mask never hides key 0,
    // but a sliding window may).
    const KeyExplanation& k0 = first_seen_key(e);
    const std::string divide = e.scale_is_default ? " / \u221a" + std::to_string(e.d_head) : " \u00d7 " + str(e.scale);
    p.formulas.push_back("score_" + k0.token + " = (" + dot_terms(e.q, k0.k, e.d_head > 4 ? 3 : 4) + ")" + divide + " = " + str(k0.scaled));
    p.columns = {"token", "q \u00b7 k", "\u00d7 scale", "= score"};
    for (const KeyExplanation& k : e.keys)
        p.rows.push_back({k.token, str(k.dot), k.masked ? "(masked)" : "\u00d7 " + str(e.scale), k.masked ? "\u2212\u221e" : str(k.score)});
    return p;
}

StepPage mask_page(const HeadExplanation& e) {
    if (!e.causal) {
        StepPage p = page(e, "7. The mask: none here", "This model reads the whole sentence at once (an encoder), so every "
                                                       "token may look at every other token, also the ones after it.");
        p.formulas.push_back("no key is masked");
        return p;
    }
    if (e.shaping.window > 0) return window_mask_page(e);
    StepPage p = page(e, "7. The mask: no peeking ahead", "This model writes text left to right (a decoder): a token may not "
                                                          "look at words that come after it. Their score becomes \u2212\u221e.");
    p.formulas.push_back("key j after query i  \u2192  score = \u2212\u221e  \u2192  weight exactly 0");
    p.columns = {"token", "position", "score"};
    for (const KeyExplanation& k : e.keys)
        p.rows.push_back({k.token, k.masked ? "after: masked" : "before or same: kept", k.masked ? "\u2212\u221e" : str(k.score)});
    return p;
}

StepPage exp_page(const HeadExplanation& e) {
    StepPage p = page(e, "8. Make positive: e^score", "e to the power of the score: always positive, and bigger scores grow "
                                                      "much faster. A masked score gives e^\u2212\u221e = 0.");
    const std::string shifted = e.shift != 0.0f ? " \u2212 " + str(e.shift) : "";
    if (e.shift != 0.0f)
        p.formulas.push_back("the largest score, " + str(e.shift) + ", is taken off first so e^score cannot overflow; "
                             "the weights do not change");
    p.columns = {"token", "score", "e^(score" + shifted + ")"};
    for (const KeyExplanation& k : e.keys) p.rows.push_back({k.token, k.masked ? "\u2212\u221e" : str(k.score), str(k.exp_score)});
    p.formulas.push_back("sum = " + str(e.exp_sum));
    return p;
}

StepPage normalise_page(const HeadExplanation& e) {
    StepPage p = page(e, "9. Normalise: the softmax weights",
                      "Divide each by the sum, so the weights are shares of 100%: how much this query listens to each token.");
    p.formulas.push_back("weight_j = e^score_j / " + str(e.exp_sum));
    p.columns = {"token", "e^score", "/ sum", "= weight"};
    for (const KeyExplanation& k : e.keys)
        p.rows.push_back({k.token, str(k.exp_score), "/ " + str(e.exp_sum), str(k.weight)});
    float total = 0.0f;
    for (const KeyExplanation& k : e.keys) total += k.weight;
    p.formulas.push_back("the weights add up to " + str(total));
    return p;
}

StepPage output_page(const HeadExplanation& e) {
    StepPage p = page(e, "10. The output: a weighted sum of the values v",
                      "v: what I pass on. Each token hands over its value, scaled by its weight; the query gets the sum.");
    p.columns = {"token", "weight", "v", "weight \u00d7 v"};
    for (const KeyExplanation& k : e.keys)
        p.rows.push_back({k.token, str(k.weight), format_vector(k.v, 4), format_vector(RowVector(k.weight * k.v), 4)});
    p.formulas.push_back("out_" + e.tokens[e.query] + " = \u03a3 weight_j v_j = " + format_vector(e.out));
    return p;
}

}  // namespace

std::vector<StepPage> explain_steps(const HeadExplanation& e) {
    std::vector<StepPage> pages = {input_page(e), projections_page(e), query_page(e), keys_page(e), dots_page(e),
                                   scale_page(e), mask_page(e),        exp_page(e),   normalise_page(e), output_page(e)};
    return pages;
}

}  // namespace attnscope
