// History: back and forward through what the user looked at, as a browser does: the sentences
// (Alt+Left / Alt+Right) and the selections (Ctrl+Z / Ctrl+Y). Recording after going back drops
// the states ahead; the oldest entries go once `capacity` is reached.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace attnscope::gui {

template <class T>
class History {
public:
    explicit History(std::size_t capacity = 100) : m_capacity(capacity < 2 ? 2 : capacity) {}

    // `value` becomes the current state, unless it already is.
    void record(const T& value) {
        if (const T* now = current(); now && *now == value) return;
        m_items.resize(m_at);  // what was ahead of the current state is gone
        m_items.push_back(value);
        if (m_items.size() > m_capacity) m_items.erase(m_items.begin());
        m_at = m_items.size();
    }

    // The current state changes without a step of its own (a selection that follows a new
    // sentence while typing): one undo goes back past all such changes.
    void replace_current(const T& value) {
        if (m_at == 0) record(value);
        else m_items[m_at - 1] = value;
    }

    // The state before (or after) the current one, which becomes current; nothing at either end.
    std::optional<T> back() {
        if (!can_back()) return std::nullopt;
        --m_at;
        return m_items[m_at - 1];
    }
    std::optional<T> forward() {
        if (!can_forward()) return std::nullopt;
        ++m_at;
        return m_items[m_at - 1];
    }

    bool can_back() const { return m_at > 1; }
    bool can_forward() const { return m_at < m_items.size(); }
    const T* current() const { return m_at == 0 ? nullptr : &m_items[m_at - 1]; }

private:
    std::size_t m_capacity;
    std::vector<T> m_items;
    std::size_t m_at = 0;  // 1 + the index of the current state; 0 while empty
};

}  // namespace attnscope::gui
