// Checks the model tests share: a trace field against a reference's JSON matrix, and greedy
// decoding for "continues the prompt as published" checks.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attnscope/model.h"

namespace attnscope::testing {

// Largest |got - want| / (1 + |want|); null in the reference is a masked -inf.
inline double max_error(const Matrix& got, const nlohmann::json& want, const std::string& what) {
    EXPECT_EQ(got.rows(), static_cast<Index>(want.size())) << what;
    EXPECT_EQ(got.cols(), static_cast<Index>(want[0].size())) << what;
    if (got.rows() != static_cast<Index>(want.size()) || got.cols() != static_cast<Index>(want[0].size())) return INFINITY;
    double worst = 0;
    for (Index i = 0; i < got.rows(); ++i)
        for (Index j = 0; j < got.cols(); ++j) {
            const auto& w = want[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
            if (w.is_null()) {
                EXPECT_TRUE(std::isinf(got(i, j)) && got(i, j) < 0) << what << " (" << i << "," << j << ") must be masked";
                continue;
            }
            worst = std::max(worst, std::abs(got(i, j) - w.get<double>()) / (1 + std::abs(w.get<double>())));
        }
    return worst;
}

// The `steps` tokens greedy decoding appends to `prompt` (the most likely next token each time).
inline std::vector<int> greedy_continuation(const Model& model, std::vector<Token> prompt, int steps) {
    std::vector<int> generated;
    for (int step = 0; step < steps; ++step) {
        const auto trace = model.forward(prompt, ForwardOptions{});
        EXPECT_TRUE(trace.ok());
        if (!trace.ok()) break;
        Index best = 0;
        trace.value().logits.row(trace.value().logits.rows() - 1).maxCoeff(&best);
        generated.push_back(static_cast<int>(best));
        prompt.push_back(Token{static_cast<int>(best), "", 0, 0, false, false, false});
    }
    return generated;
}

}  // namespace attnscope::testing
