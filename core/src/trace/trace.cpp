#include "attnscope/trace.h"

#include <atomic>

namespace attnscope {

std::uint64_t next_trace_id() {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;  // 1, 2, 3, ...: 0 stays "no trace" for caches that start empty
}

}  // namespace attnscope
