// Random own-format models of any shape: for benchmarks, the GUI's stress tests and the
// reference tests. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attnscope/transformer.h"

namespace attnscope {

// Vocabulary: "<unk>" then "w1", "w2", ... so a text like "w1 w2 w3" tokenizes to ids 1, 2, 3.
// Weights ~ N(0, 1/d_model) so attention is neither uniform nor one-hot; norms are gamma 1,
// beta 0 plus noise; every bias present.
std::shared_ptr<const TransformerModel> make_random_transformer(const TransformerConfig& config, int vocab_size,
                                                                std::uint32_t seed, const std::string& name = "random");

}  // namespace attnscope
