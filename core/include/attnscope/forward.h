// Text in, Trace out: tokenize, check, run the model, time it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "attnscope/model.h"

namespace attnscope {

// Errors name the problem: empty text, invalid UTF-8 (with the byte offset), more tokens than
// the model's max_len, cancelled. `id`: 0 draws a fresh one from next_trace_id(); a producer that
// told its caller the id before computing (the GUI's trace worker) passes the id it drew.
Result<std::shared_ptr<const Trace>> compute_trace(const Model& model, const std::string& text,
                                                   std::uint64_t id = 0,
                                                   std::function<bool()> cancelled = {});

// The same, and the trace keeps `model` as Trace::made_by (the GUI's producers use this one).
Result<std::shared_ptr<const Trace>> compute_trace(std::shared_ptr<const Model> model, const std::string& text,
                                                   std::uint64_t id = 0,
                                                   std::function<bool()> cancelled = {});

}  // namespace attnscope
