// The trace JSON document of design.md ("format": "attnscope-trace", version 1).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "attnscope/result.h"
#include "attnscope/trace.h"

namespace attnscope {

struct TraceFields {
    bool q = true, k = true, v = true, scores = true, weights = true;
    // Trace v2's attribution fields (attribution.h), off unless asked for: `rollout` (n x n in each
    // layer object) and `value_norms` (n x n per head, and `value_norms_sum` per layer object).
    bool rollout = false, value_norms = false;

    // "q,k,v,scores,weights" or any subset, with rollout and value_norms; an unknown name is an
    // error naming it.
    static Result<TraceFields> parse(std::string_view list);
};

struct TraceFilter {
    std::optional<int> layer;  // unset: every layer
    std::optional<int> head;   // unset: every head
    TraceFields fields;
    // The model that made the trace: value_norms read its W_O (HeadProjection::w_o).
    const Model* model = nullptr;
};

// Why `fields` cannot be written for this trace ("value_norms needs ..."), or nothing.
std::optional<std::string> attribution_refusal(const Trace& trace, const TraceFilter& filter);

// The layer and head must exist in the trace (the CLI checks them first).
std::string trace_to_json(const Trace& trace, const TraceFilter& filter = {});

// Writes a float the shortest way that reads back exactly; -inf (masked) and NaN as null.
void append_json_number(std::string& out, float value);

}  // namespace attnscope
