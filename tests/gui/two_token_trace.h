// "to bank" with one causal head: to -> [1, 0], bank -> [0.25, 0.75]; the export tests write their
// expected tables, names and files out by hand for it.
#pragma once

#include <cmath>
#include <limits>

#include "attnscope/trace.h"

namespace attnscope::testing {

inline Trace two_token_trace() {
    Trace t;
    t.text = "to bank";
    Token a, b;
    a.start = 0, a.end = 2;
    b.start = 3, b.end = 7;
    t.tokens = {a, b};
    HeadTrace h;
    h.weights = Matrix(2, 2);
    h.weights << 1.0f, 0.0f, 0.25f, 0.75f;
    h.scores = Matrix(2, 2);  // softmax([0, ln 3]) = [0.25, 0.75]; "bank" is after "to": masked
    h.scores << 0.0f, -std::numeric_limits<float>::infinity(), 0.0f, std::log(3.0f);
    t.layers.resize(1);
    t.layers[0].causal = true;
    t.layers[0].heads = {h};
    return t;
}

}  // namespace attnscope::testing
