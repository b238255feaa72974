// Head detectors: what kind of head each one is, as numbers a practitioner ranks heads by.
// TransformerLens' detect_head scores (previous-token, duplicate-token, induction), the attention
// sink strength of Gu et al., and self, entropy and distance; on the user's text, or on the
// induction probe (random tokens repeated), where an induction head shows itself plainly.
// Computed off the draw path (the CLI, the GUI's worker); core only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "attnscope/model.h"
#include "attnscope/result.h"
#include "attnscope/trace.h"

namespace attnscope {

// One head's scores. With A the head's weights (n x n, rows the queries) and TransformerLens'
// pattern P, a detect_head score is sum(A * P) / sum(A):
// - previous:  P[i][i-1] = 1;
// - duplicate: P[i][j] = 1 where token j is token i and j < i;
// - induction: the duplicate pattern one key to the right (the token after an earlier
//   occurrence), P[i][j] = 1 where token j-1 is token i and j <= i. On the induction probe it is
//   the probe's own score instead: the mean of A[i][i - L + 1] over the second half (L the half).
// Then, averaged over the query rows: first (alpha_0, the weight on token 0: an attention sink
// when above 0.3, Gu et al.), self (the weight on the query's own token), entropy (bits) and
// distance (sum_j A[i][j] |i - j|: how far from itself a row looks, in tokens).
struct HeadDetectorScores {
    int layer = 0, head = 0;
    double previous = 0, duplicate = 0, induction = 0;
    double first = 0, self = 0, entropy = 0, distance = 0;
    bool sink() const { return first > kSinkThreshold; }
    static constexpr double kSinkThreshold = 0.3;
};

enum class HeadDetector { Previous, Duplicate, Induction, First, Self, Entropy, Distance, Count };
const char* head_detector_name(HeadDetector d);  // "previous", "duplicate", "induction", "first", "self", "entropy", "distance"
double head_detector_value(const HeadDetectorScores& s, HeadDetector d);

// Every head of a trace's self-attention layers, layer-major. The weights are read a block of rows
// at a time (kept or computed on demand), so a long trace needs no n x n matrix at once.
// Errors: "cancelled" when `cancelled` says so (polled per head).
Result<std::vector<HeadDetectorScores>> detect_heads(const Trace& trace, const std::function<bool()>& cancelled = {});

// The induction probe: sequences of L random ordinary tokens repeated twice (L = 50, or what the
// model's context leaves: (max_len - the tokenizer's own start/end tokens) / 2), between the
// start and end tokens the tokenizer adds. Drawn from the pieces of an everyday English
// paragraph (no special or unknown tokens), with a fixed seed: the same sequences every run.
struct InductionProbe {
    int half = 0;                              // L
    int leading = 0;                           // the tokenizer's start tokens before each sequence (BOS, [CLS])
    std::vector<std::vector<Token>> sequences; // each: leading + L + L (+ trailing) tokens
};
Result<InductionProbe> make_induction_probe(const Model& model, int n_sequences = 10, int max_half = 50, unsigned seed = 0);

// Every head's scores averaged over the probe's sequences, with `induction` the probe's score.
Result<std::vector<HeadDetectorScores>> probe_heads(const Model& model, const InductionProbe& probe,
                                                    const std::function<bool()>& cancelled = {});

}  // namespace attnscope
