// The best few of a row of numbers: the most probable next tokens of a logits row, the keys a
// query looks at most, heads ranked by a metric. One implementation, so every view and the CLI
// break ties and compute probabilities alike.
#pragma once

#include <vector>

#include "attnscope/matrix.h"

namespace attnscope {

enum class Better { Higher, Lower };

// values: 1 x n. The indices of the k best values, best first; equal values keep the lower index
// first, so the order never depends on the sort. k is clamped to [0, n].
std::vector<int> best_indices(const Eigen::Ref<const RowVector>& values, int k, Better better = Better::Higher);

struct TokenProbability {
    int id = 0;
    float probability = 0.0f;
};

// logits: 1 x vocab. The k most probable token ids under softmax over the whole row, most probable
// first. The softmax subtracts the row max first (so exp() cannot overflow) and sums in double.
std::vector<TokenProbability> top_k_softmax(const Eigen::Ref<const RowVector>& logits, int k);

}  // namespace attnscope
