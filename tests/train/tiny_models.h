// Tiny own-format shapes, random weights and a three-sentence batch for the trainer's tests
// (trainer_test.cpp, attention_supervision_test.cpp): small enough for central finite differences
// over every parameter in double precision.
#pragma once

#include <random>
#include <vector>

#include "attnscope/transformer_backward.h"

namespace attnscope::testing {

inline TrainableShape tiny_shape(bool causal) {
    TrainableShape s;
    s.config.d_model = 4;
    s.config.n_heads = 2;
    s.config.n_layers = 2;
    s.config.d_ff = 8;
    s.config.max_len = 8;
    s.config.causal = causal;
    s.vocab_size = 11;
    return s;
}

// Weights ~ N(0, 0.5) (norm gains around 1), so attention is neither uniform nor one-hot.
inline Parameters<double> random_parameters(const TrainableShape& shape, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(0.0, 0.5);
    Parameters<double> p = zero_parameters<double>(shape);
    for_each_parameter(p, [&](const std::string&, ParameterKind kind, MatrixOf<double>& m) {
        for (Index i = 0; i < m.size(); ++i) m.data()[i] = (kind == ParameterKind::NormGain ? 1.0 : 0.0) + normal(rng);
    });
    return p;
}

// Three sentences of different lengths; some positions have no target, as in masked-word training.
inline std::vector<Example> tiny_batch(const TrainableShape& shape) {
    const int v = shape.vocab_size;
    std::vector<Example> batch = {
        {{1, 2, 3, 4, 5}, {2, 3, 4, 5, -1}},
        {{6, 2, 2, 7, 8, 9, 10}, {-1, 5, -1, 8, 9, 10, 1}},
        {{3, 0}, {0, 3}},
    };
    for (auto& e : batch)
        for (int& t : e.targets)
            if (t >= v) t = -1;
    return batch;
}

}  // namespace attnscope::testing
