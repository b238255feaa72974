// Text in, Trace out: tokenize, check, run the model, time it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "attnscope/model.h"

namespace attnscope {

// What one process may allocate for a trace or a benchmark model before it is refused with a
// message: past this the machine would swap or the kernel would kill the process.
inline constexpr double kMemoryBudgetBytes = 6.0 * (1ull << 30);

// The bytes a trace of `n` tokens keeps: per head the n x n scores and weights and q, k, v and
// the output; per layer the input; and the logits.
double trace_memory_bytes(const ModelInfo& info, int n);

// Why a trace of `n` tokens cannot be made within kMemoryBudgetBytes ("the trace of 8192 tokens
// would need 34.0 GiB of memory ..."), or nothing when it fits. Every producer of traces asks
// this before allocating: compute_trace and the benchmarks.
std::optional<std::string> trace_memory_refusal(const ModelInfo& info, int n);

// "34.0 GiB"
std::string format_gib(double bytes);

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
