#include "attnscope/attention_cache.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>

#include "attnscope/text.h"

namespace attnscope {

namespace {

struct Entry {
    std::uint64_t trace_id;
    int layer, head;
    detail::AttentionKind kind;
    std::shared_ptr<const Matrix> matrix;
    std::size_t bytes;
};

// Few entries (a budget holds at most a few hundred heads' matrices): a list, most recent first.
struct Cache {
    std::mutex mutex;
    std::list<Entry> entries;
    std::size_t budget = kDefaultAttentionMemoryBudget;
    AttentionCacheUse use;

    void evict_until_fits(std::size_t incoming) {
        while (!entries.empty() && use.bytes + incoming > budget) {
            use.bytes -= entries.back().bytes;
            entries.pop_back();
            ++use.evictions;
        }
        use.entries = entries.size();
    }
};

Cache& cache() {
    static Cache c;
    return c;
}

std::size_t bytes_of(const Matrix& m) { return static_cast<std::size_t>(m.size()) * sizeof(float); }

}  // namespace

void set_attention_memory_budget(std::size_t bytes) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    c.budget = bytes;
    c.evict_until_fits(0);
}

std::size_t attention_memory_budget() {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    return c.budget;
}

AttentionCacheUse attention_cache_use() {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    return c.use;
}

Result<std::size_t> parse_memory_budget(std::string_view text) {
    const std::string original(text);
    const auto refuse = [&] {
        return Error{"expected a size in bytes such as 1073741824, 512M or 1.5G, got '" + cut_for_message(original, 40) + "'"};
    };
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) ++digits;
    if (digits == 0 || digits > 20) return refuse();
    double value = 0.0;
    try {
        std::size_t used = 0;
        value = std::stod(std::string(text.substr(0, digits)), &used);
        if (used != digits) return refuse();
    } catch (const std::exception&) {
        return refuse();
    }
    std::string unit(text.substr(digits));
    for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string units[] = {"", "K", "M", "G", "T"};
    int power = -1;
    for (int p = 0; p < 5; ++p)
        if (unit == units[p] || (p > 0 && (unit == units[p] + "B" || unit == units[p] + "IB"))) power = p;
    if (unit == "B") power = 0;
    if (power < 0) return refuse();
    const double bytes = value * std::pow(1024.0, power);
    if (!(bytes >= 1024.0 * 1024.0) || bytes > 1e15) return Error{"expected a size from 1M to 1000T, got '" + cut_for_message(original, 40) + "'"};
    return static_cast<std::size_t>(bytes);
}

namespace detail {

std::shared_ptr<const Matrix> cached_attention(std::uint64_t trace_id, int layer, int head, AttentionKind kind) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    const auto it = std::find_if(c.entries.begin(), c.entries.end(), [&](const Entry& e) {
        return e.trace_id == trace_id && e.layer == layer && e.head == head && e.kind == kind;
    });
    if (it == c.entries.end()) {
        ++c.use.misses;
        return nullptr;
    }
    ++c.use.hits;
    c.entries.splice(c.entries.begin(), c.entries, it);  // now the most recently used
    return it->matrix;
}

void cache_attention(std::uint64_t trace_id, int layer, int head, AttentionKind kind, std::shared_ptr<const Matrix> m) {
    if (trace_id == 0 || !m) return;  // a trace built by hand has no id to find it by
    const std::size_t bytes = bytes_of(*m);
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    if (bytes > c.budget) return;
    c.evict_until_fits(bytes);
    c.entries.push_front(Entry{trace_id, layer, head, kind, std::move(m), bytes});
    c.use.bytes += bytes;
    c.use.entries = c.entries.size();
}

void forget_attention_of(std::uint64_t trace_id) {
    if (trace_id == 0) return;
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    for (auto it = c.entries.begin(); it != c.entries.end();) {
        if (it->trace_id != trace_id) {
            ++it;
            continue;
        }
        c.use.bytes -= it->bytes;
        it = c.entries.erase(it);
    }
    c.use.entries = c.entries.size();
}

}  // namespace detail

}  // namespace attnscope
