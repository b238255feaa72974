// Shapes and texts for tests that need a random own-format transformer of a given size
// (make_random_transformer): one line per model instead of a block of assignments.
#pragma once

#include <string>

#include "attnscope/transformer.h"

namespace attnscope::testing {

inline TransformerConfig transformer_config(int d_model, int n_heads, int n_layers, int d_ff, int max_len, bool causal = true) {
    TransformerConfig c;
    c.d_model = d_model;
    c.n_heads = n_heads;
    c.n_layers = n_layers;
    c.d_ff = d_ff;
    c.max_len = max_len;
    c.causal = causal;
    return c;
}

// "w1 w2 ... ": n words of make_random_transformer's vocabulary (w1..w99), `stride` apart.
inline std::string numbered_words(int n, int stride = 1) {
    std::string text;
    for (int i = 0; i < n; ++i) text += (i ? " w" : "w") + std::to_string(1 + (i * stride) % 99);
    return text;
}

}  // namespace attnscope::testing
