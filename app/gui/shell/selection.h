// Selection: what every view looks at. Shared by all panels, so clicking in one view moves them all.
#pragma once

#include <algorithm>

namespace attnscope::gui {

struct Selection {
    int layer = 0;
    int head = 0;
    int query = 0;  // token index of the query row
    int key = -1;   // token index of the chosen key column; -1: none chosen yet

    bool operator==(const Selection& o) const { return layer == o.layer && head == o.head && query == o.query && key == o.key; }

    // Keeps every index inside a trace of this shape (a new sentence may be shorter).
    void clamp_to(int n_layers, int n_heads, int n_tokens) { clamp_to(n_layers, n_heads, n_tokens, n_tokens); }
    // ... whose keys are another sequence (cross-attention: `n_keys` source tokens).
    void clamp_to(int n_layers, int n_heads, int n_queries, int n_keys) {
        layer = std::clamp(layer, 0, std::max(0, n_layers - 1));
        head = std::clamp(head, 0, std::max(0, n_heads - 1));
        query = std::clamp(query, 0, std::max(0, n_queries - 1));
        if (key >= n_keys) key = n_keys - 1;
    }
};

}  // namespace attnscope::gui
