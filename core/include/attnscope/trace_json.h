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

    // "q,k,v,scores,weights" or any subset; an unknown name is an error naming it.
    static Result<TraceFields> parse(std::string_view list);
};

struct TraceFilter {
    std::optional<int> layer;  // unset: every layer
    std::optional<int> head;   // unset: every head
    TraceFields fields;
};

// The layer and head must exist in the trace (the CLI checks them first).
std::string trace_to_json(const Trace& trace, const TraceFilter& filter = {});

// Writes a float the shortest way that reads back exactly; -inf (masked) and NaN as null.
void append_json_number(std::string& out, float value);

}  // namespace attnscope
