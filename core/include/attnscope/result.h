// Result<T>: a value or an error message, the way absl::StatusOr is used. Parsers throw
// LoadError deep inside and the one public entry point turns it into a Result.
#pragma once

#include <cassert>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace attnscope {

struct Error {
    std::string message;
};

// Thrown inside loaders and parsers; never escapes a public function that returns Result.
class LoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

template <class T>
class Result {
public:
    Result(T value) : m_state(std::move(value)) {}     // NOLINT: implicit on purpose, like StatusOr
    Result(Error error) : m_state(std::move(error)) {}  // NOLINT

    bool ok() const { return std::holds_alternative<T>(m_state); }

    const T& value() const& { assert(ok()); return std::get<T>(m_state); }
    T& value() & { assert(ok()); return std::get<T>(m_state); }
    T&& value() && { assert(ok()); return std::get<T>(std::move(m_state)); }

    const Error& error() const { assert(!ok()); return std::get<Error>(m_state); }

private:
    std::variant<T, Error> m_state;
};

}  // namespace attnscope
