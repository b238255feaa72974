// JsonPath: where in a JSON document a value sits, spelled the way a person writes it
// ("weights.layers[0].wq"), plus readers that check a node's shape and say what they found.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/matrix.h"
#include "attnscope/result.h"

namespace attnscope {

class JsonPath {
public:
    JsonPath() = default;
    JsonPath key(std::string_view name) const;
    JsonPath index(std::size_t i) const;
    const std::string& text() const { return m_text; }
    [[noreturn]] void fail(const std::string& what) const;

private:
    explicit JsonPath(std::string text) : m_text(std::move(text)) {}
    std::string m_text;
};

// "32x31 matrix", "array of 5 numbers", "string", "ragged rows (row 3 has 30 values, row 0 has 32)".
// Never throws.
std::string describe_shape(const nlohmann::json& node);
std::string describe_type(const nlohmann::json& node);  // "string", "number", "null", "object", ...

// The child `name` of object `node`; fails "<path>: missing" when absent and required.
const nlohmann::json& require(const nlohmann::json& node, const JsonPath& at, std::string_view name);

// Readers: each checks type and shape and fails with "<path>: expected ..., got ...".
int read_int(const nlohmann::json& node, const JsonPath& at, long long min, long long max);
float read_finite_float(const nlohmann::json& node, const JsonPath& at);
bool read_bool(const nlohmann::json& node, const JsonPath& at);
std::string read_string(const nlohmann::json& node, const JsonPath& at);
// A view's name (attnscope/views.h), as lesson and session files give it.
std::string read_view_name(const nlohmann::json& node, const JsonPath& at);

// rows x cols of finite numbers; `dims` explains the shape in the message ("vocab x d_model").
Matrix read_matrix(const nlohmann::json& node, const JsonPath& at, Index rows, Index cols, std::string_view dims);
RowVector read_vector(const nlohmann::json& node, const JsonPath& at, Index n, std::string_view dims);

// Parses JSON text that may hold // and /* */ comments. Refuses invalid UTF-8 and nesting deeper
// than 64 levels before the parser sees it (a hostile file cannot exhaust the stack); a syntax
// error reads "not valid JSON: parse error at line 3, column 5: ...".
nlohmann::json parse_json_text(std::string_view text);

// One of an enum's names (name_of(e) for e < Enum::Count), or "<path>: expected one of ..., got ...".
template <class Enum>
Enum read_enum(const nlohmann::json& node, const JsonPath& at, const char* (*name_of)(Enum)) {
    const std::string value = read_string(node, at);
    std::string allowed;
    for (int i = 0; i < static_cast<int>(Enum::Count); ++i) {
        const auto e = static_cast<Enum>(i);
        if (value == name_of(e)) return e;
        allowed += std::string(allowed.empty() ? "" : ", ") + "\"" + name_of(e) + "\"";
    }
    at.fail("expected one of " + allowed + ", got \"" + value + "\"");
}

// Fails on the first key of object `node` that is not in `known`, naming the keys it knows:
// a typo in a hand-written file is caught instead of silently ignored.
void reject_unknown_keys(const nlohmann::json& node, const JsonPath& at, const std::vector<std::string_view>& known);

}  // namespace attnscope
