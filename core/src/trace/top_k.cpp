#include "attnscope/top_k.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnscope {

std::vector<int> best_indices(const Eigen::Ref<const RowVector>& values, int k, Better better) {
    std::vector<int> order(static_cast<std::size_t>(values.size()));
    std::iota(order.begin(), order.end(), 0);
    k = std::clamp(k, 0, static_cast<int>(order.size()));
    // Ties go to the lower index, which makes the partial sort's order fully determined.
    const auto before = [&](int a, int b) {
        if (values(a) != values(b)) return better == Better::Higher ? values(a) > values(b) : values(a) < values(b);
        return a < b;
    };
    std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
    order.resize(static_cast<std::size_t>(k));
    return order;
}

std::vector<TokenProbability> top_k_softmax(const Eigen::Ref<const RowVector>& logits, int k) {
    if (logits.size() == 0) return {};
    // Subtract the row max so exp() cannot overflow; the probabilities are unchanged.
    const double max = static_cast<double>(logits.maxCoeff());
    double sum = 0.0;
    for (Eigen::Index v = 0; v < logits.size(); ++v) sum += std::exp(static_cast<double>(logits(v)) - max);
    std::vector<TokenProbability> out;
    for (int id : best_indices(logits, k))
        out.push_back({id, static_cast<float>(std::exp(static_cast<double>(logits(id)) - max) / sum)});
    return out;
}

}  // namespace attnscope
