#include "attnscope/explain.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "attnscope/token_labels.h"

namespace attnscope {

namespace {

// exp() overflows a float past about 88; below this the step view shows plain exp(score).
constexpr float kLargestPlainExp = 30.0f;

// A factor inside a product: negative numbers get brackets, "(−1)".
std::string factor(float value) {
    const std::string s = format_number(value);
    return value < 0.0f ? "(" + s + ")" : s;
}

// `scale`: the factor of the key's layer (layers may differ: GPT-2's scale_attn_by_inverse_layer_idx).
// `scores`, `weights`: the query's row of the head's (1 x n_keys). `token`: key j's label.
KeyExplanation explain_key(std::string token, const HeadTrace& h, const RowVector& q, float scale, const Matrix& scores,
                           const Matrix& weights, int j) {
    KeyExplanation key;
    key.j = j;
    key.token = std::move(token);
    key.k = h.k.row(j);
    key.v = h.v.row(j);
    key.products = q.cwiseProduct(key.k);
    key.dot = key.products.sum();
    key.scaled = key.dot * scale;
    key.score = scores(0, j);
    key.masked = std::isinf(key.score) && key.score < 0.0f;
    key.weight = weights(0, j);
    key.dot_formula = dot_terms(q, key.k) + " = " + format_number(key.dot);
    key.score_formula = key.masked ? std::string("masked: \xE2\x88\x92\xE2\x88\x9E")
                                   : format_number(key.dot) + " \xC3\x97 " + format_number(scale) + " = " +
                                         format_number(key.score);
    return key;
}

// exp and its sum over the unmasked keys. Subtracting the largest score leaves the weights as
// they are; we only do it when plain exp() could overflow, since exp(score) reads better.
void fill_exponentials(HeadExplanation& e) {
    float max_score = -std::numeric_limits<float>::infinity();
    for (const KeyExplanation& k : e.keys)
        if (!k.masked) max_score = std::max(max_score, k.score);
    e.shift = max_score > kLargestPlainExp ? max_score : 0.0f;
    e.exp_sum = 0.0f;
    for (KeyExplanation& k : e.keys) {
        k.exp_score = k.masked ? 0.0f : std::exp(k.score - e.shift);
        e.exp_sum += k.exp_score;
    }
}

}  // namespace

HeadExplanation explain_head(const Trace& trace, int layer, int head, int query, std::optional<HeadProjection> projection) {
    assert(layer >= 0 && layer < static_cast<int>(trace.layers.size()));
    assert(query >= 0 && query < trace.n_tokens());
    const LayerTrace& L = trace.layers[static_cast<std::size_t>(layer)];
    const HeadTrace& h = trace.head(layer, head);
    HeadExplanation e;
    e.layer = layer;
    e.head = head;
    e.query = query;
    e.d_model = trace.model.d_model;
    e.d_head = static_cast<int>(h.q.cols());
    e.scale = L.scale;
    e.scale_is_default = std::abs(e.scale * std::sqrt(static_cast<float>(e.d_head)) - 1.0f) < 1e-4f;
    e.cross = L.cross;
    e.causal = trace.model.causal && !L.cross;  // cross-attention sees the whole source
    e.shaping = L.shaping;
    e.tokens = token_labels(trace, ControlChars::AsTyped);
    e.x = L.x;
    e.projection = std::move(projection);
    e.q = h.q.row(query);
    const Matrix scores = trace.head_score_rows(layer, head, query, query + 1);   // 1 x n_keys
    const Matrix weights = trace.head_weight_rows(layer, head, query, query + 1);
    for (int j = 0; j < trace.n_keys(layer); ++j)
        e.keys.push_back(explain_key(key_label(trace, layer, j, ControlChars::AsTyped), h, e.q, e.scale, scores, weights, j));
    for (KeyExplanation& k : e.keys) {
        k.outside_window = k.masked && k.j < e.shaping.first_key(query);
        if (e.shaping.softcap > 0.0f && !k.masked)   // "1.2 × 0.25 = 0.3; 50 tanh(0.3 / 50) = 0.3"
            k.score_formula = format_number(k.dot) + " \xC3\x97 " + format_number(e.scale) + " = " + format_number(k.scaled) + "; " +
                              format_number(e.shaping.softcap) + " tanh(" + format_number(k.scaled) + " / " +
                              format_number(e.shaping.softcap) + ") = " + format_number(k.score);
    }
    fill_exponentials(e);
    e.out = h.out.row(query);
    return e;
}

std::string format_number(float value) {
    if (std::isinf(value)) return value < 0 ? "\xE2\x88\x92\xE2\x88\x9E" : "\xE2\x88\x9E";
    if (std::isnan(value)) return "NaN";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(std::abs(value)));
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    if (s == "0") return s;  // no "−0"
    return value < 0.0f ? "\xE2\x88\x92" + s : s;
}

std::string dot_terms(const RowVector& a, const RowVector& b, int max_terms) {
    const int n = static_cast<int>(a.size());
    const int shown = std::min(n, max_terms);
    std::string s;
    for (int c = 0; c < shown; ++c) {
        if (c > 0) s += " + ";
        s += factor(a[c]) + "\xC2\xB7" + factor(b[c]);
    }
    if (shown < n) s += " + \xE2\x80\xA6 (" + std::to_string(n) + " terms)";
    return s;
}

std::string format_vector(const RowVector& v, int max_terms) {
    const int n = static_cast<int>(v.size());
    const int shown = std::min(n, max_terms);
    std::string s = "[";
    for (int c = 0; c < shown; ++c) s += (c > 0 ? ", " : "") + format_number(v[c]);
    if (shown < n) s += ", \xE2\x80\xA6 (" + std::to_string(n) + " values)";
    return s + "]";
}

}  // namespace attnscope
