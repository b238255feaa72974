// Playground: a tiny attention head a student edits by hand. d = 2 or 3, 1 to 6 tokens, each with
// its own query, key and value vector; one token is the query. Computing it is a few dozen flops,
// so the GUI recomputes on every edit and caches the result.
//
// Normalisations:
//   softmax: w_j = exp(s_j) / sum_m exp(s_m), s_j = (q . k_j) * scale
//   plain:   w_j = max(s_j, 0) / sum_m max(s_m, 0)   (negative scores get no weight; when no
//            score is positive, every key gets 1/n). The scale cancels out here, which is the point:
//            only softmax cares how large the scores are.
//
// Files: own-format JSON (design.md), a real model the main view can trace too: vocab = the token
// names (plus <unk>), one-hot embeddings with d_model = max(n tokens, d), row t of W_Q/W_K/W_V =
// token t's q/k/v padded with zeros, no norm, no positions, no MLP, attn_scale = the slider's
// scale. d, the query token and the normalisation travel in the description line.
#pragma once

#include <string>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/result.h"

namespace attnscope {

enum class Normalisation { Softmax, Plain, Count };

const char* normalisation_name(Normalisation n);  // "softmax", "plain"

inline constexpr int kPlaygroundMinDim = 2;
inline constexpr int kPlaygroundMaxDim = 3;
inline constexpr int kPlaygroundMaxTokens = 6;

struct PlaygroundToken {
    std::string name;  // one word: letters and digits
    RowVector q, k, v; // d each
};

struct Playground {
    int d = 3;
    std::vector<PlaygroundToken> tokens;
    int query = 0;     // which token asks
    Normalisation normalisation = Normalisation::Softmax;
    float scale = 0.0f;  // scores = q . k * scale; 1/sqrt(d) is the textbook choice

    float default_scale() const;           // 1/sqrt(d)
    void set_dim(int new_d);               // clamps to 2..3, pads with zeros or drops the last entry
    void add_token();                      // a new token with zero vectors, up to kPlaygroundMaxTokens
    void remove_token(int t);              // keeps at least one token; the query stays valid
};

// The classic worked example: A, B, C with d = 3, query A = [1, 2, -1];
// keys [3, -1, 0], [3, -1, -1], [0, 1, -3]; values [1, 0, 1], [-1, 2, 0], [1, 1, 1]; scale 1/sqrt(3).
Playground abc_playground();

struct PlaygroundResult {
    std::vector<float> raw;       // n: q . k_j
    std::vector<float> scores;    // n: raw * scale
    std::vector<float> exps;      // n: exp(score) (softmax), max(score, 0) (plain)
    std::vector<float> weights;   // n: exps / sum, sums to 1
    std::vector<float> weights_unscaled;  // n: the same normalisation of the raw scores (scale 1)
    RowVector out;                // d: sum_j weights_j v_j
};

PlaygroundResult compute_playground(const Playground& p);

// Own-format JSON text of the playground (see above); errors when a token name is not one word
// or two names are the same (the tokenizer could not tell them apart).
Result<std::string> write_playground_json(const Playground& p);

// Reads a playground back from own-format JSON: any one-layer, one-head model with one-hot token
// embeddings and d_model <= 6. Error messages name what did not fit.
Result<Playground> read_playground_json(const std::string& text, const std::string& source);

}  // namespace attnscope
