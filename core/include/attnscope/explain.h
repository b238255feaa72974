// Explain: the numbers behind one cell row of attention, step by step, for the step-by-step view.
// For a layer, head and query token i it gathers from a Trace: the input rows x, the head's
// W_Q/W_K/W_V slices (when the model exposes them), q_i, every k_j and v_j, each q_i . k_j term by
// term, the scale, the mask, exp, the normalisation and the weighted sum of the values.
// Computed once per (Trace::id, layer, head, query) off the draw path; drawing only reads it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/model.h"
#include "attnscope/trace.h"

namespace attnscope {

// What happens to one key j of the query.
struct KeyExplanation {
    int j = 0;
    std::string token;     // the key token's text
    RowVector k;           // d_head: "what do I contain"
    RowVector v;           // d_head: "what I pass on"
    RowVector products;    // d_head: q_c * k_c, the terms of the dot product
    float dot = 0.0f;      // q . k = sum of products
    float scaled = 0.0f;   // dot * scale
    float score = 0.0f;    // what the trace holds: scaled, soft-capped where the layer caps; meaningless when masked
    bool masked = false;   // causal mask (j > i) or outside a sliding window
    bool outside_window = false;  // masked because the window has passed it: j <= i - window
    float exp_score = 0.0f;  // exp(score - shift); 0 when masked
    float weight = 0.0f;   // exp_score / exp_sum, the softmax weight (trace value)
    std::string dot_formula;    // "1·3 + 2·(−1) + (−1)·0 = 1"
    std::string score_formula;  // "1 × 0.577 = 0.577"  (or "masked: −∞")
};

struct HeadExplanation {
    int layer = 0, head = 0, query = 0;
    int d_model = 0, d_head = 0;
    float scale = 1.0f;         // the factor scores were multiplied by
    bool scale_is_default = true;  // scale == 1/sqrt(d_head)
    bool causal = false;
    ScoreShaping shaping;       // the layer's soft-cap and sliding window (Gemma 2 and 3)
    // Cross-attention: the keys and values are another sequence's (an encoder-decoder's source),
    // so no key is the query's own token. Self-attention otherwise (n_keys = n).
    bool cross = false;
    std::vector<std::string> tokens;  // n token texts: the queries'
    Matrix x;                   // n x d_model: the attention input, after the norm (the queries')
    std::optional<HeadProjection> projection;  // nullopt: the model does not expose W
    RowVector q;                // d_head: "what am I looking for"
    std::vector<KeyExplanation> keys;  // n_keys entries, j = 0..n_keys-1, each with its own token
    float shift = 0.0f;         // subtracted before exp (0 unless the scores are large)
    float exp_sum = 0.0f;       // sum of exp_score over unmasked keys
    RowVector out;              // d_head: sum_j weight_j v_j (the trace's out row)
};

// Gathers the explanation; layer, head and query must be inside the trace (a bug otherwise). A
// cross-attention layer (a cross_attention_trace's) explains its keys as the source's tokens.
HeadExplanation explain_head(const Trace& trace, int layer, int head, int query,
                             std::optional<HeadProjection> projection);

// One page of the step-by-step view: words, formulas with the real numbers, the matrices to draw
// as small heatmaps and a table (one row per key token). Only text and numbers: the GUI lays it out.
struct StepMatrix {
    std::string title;                    // "W_Q (3 × 3)"
    Matrix values;
    std::vector<std::string> row_labels;  // token texts for x; empty for W
    int highlight_row = -1;               // the query's row of x
};

struct StepPage {
    std::string title;                    // "4. Dot products q · k"
    std::string caption;                  // plain words for students
    std::vector<std::string> formulas;    // written with the real numbers
    std::vector<StepMatrix> matrices;
    std::vector<std::string> columns;     // table header
    std::vector<std::vector<std::string>> rows;  // one per key token
    int highlight_row = -1;               // the query's own row in the table
};

enum class ExplainStep { Input, Projections, Query, Keys, Dots, Scale, Mask, Exp, Normalise, Output, Count };

// The pages in ExplainStep order (ExplainStep::Count of them).
std::vector<StepPage> explain_steps(const HeadExplanation& e);

// A number as the step view prints it: up to 3 decimals, trailing zeros dropped, a real minus
// sign (U+2212), "−∞" for minus infinity.  1 -> "1", -0.5 -> "−0.5", 0.57735 -> "0.577"
std::string format_number(float value);

// a . b written out: "1·3 + 2·(−1) + (−1)·0". Longer vectors show the first `max_terms` terms,
// then "+ … (64 terms)".
std::string dot_terms(const RowVector& a, const RowVector& b, int max_terms = 4);

// "[1, 2, −1]"; longer vectors show the first `max_terms` entries, then "… (64 values)".
std::string format_vector(const RowVector& v, int max_terms = 6);

}  // namespace attnscope
