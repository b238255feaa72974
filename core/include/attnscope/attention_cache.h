// The memory budget for heads' n x n attention matrices read after the forward pass.
//
// A long trace does not keep every head's scores and weights (8,192 tokens: 512 MiB per head);
// Trace::head_scores / head_weights compute one head's from its kept q and k when asked, and
// keep the result here, least recently used out first, within a budget (default 1 GiB; the CLI
// and the app take --memory-budget). A matrix larger than the whole budget is handed out but not
// kept. Shared by every thread; a Trace's entries go when the Trace does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "attnscope/matrix.h"
#include "attnscope/result.h"

namespace attnscope {

inline constexpr std::size_t kDefaultAttentionMemoryBudget = std::size_t{1} << 30;

void set_attention_memory_budget(std::size_t bytes);
std::size_t attention_memory_budget();

// "1073741824", "512M", "512MiB", "1.5G", "2GB" (K, M, G, T: powers of 1024) -> bytes; an error
// message for anything else, or for less than 1 MiB (a budget that could hold nothing useful).
Result<std::size_t> parse_memory_budget(std::string_view text);

struct AttentionCacheUse {
    std::size_t bytes = 0;       // held now
    std::size_t entries = 0;
    std::uint64_t hits = 0, misses = 0, evictions = 0;
};
AttentionCacheUse attention_cache_use();

namespace detail {

enum class AttentionKind : std::uint8_t { Scores, Weights };

// The cached matrix of (trace, layer, head, kind), or null.
std::shared_ptr<const Matrix> cached_attention(std::uint64_t trace_id, int layer, int head, AttentionKind kind);
// Keeps `m` (evicting the least recently used entries to make room) unless it exceeds the budget.
void cache_attention(std::uint64_t trace_id, int layer, int head, AttentionKind kind, std::shared_ptr<const Matrix> m);
// Drops every entry of a trace (its destructor calls this).
void forget_attention_of(std::uint64_t trace_id);

}  // namespace detail

}  // namespace attnscope
