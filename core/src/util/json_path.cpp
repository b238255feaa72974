#include "util/json_path.h"

#include "attnscope/text.h"
#include "attnscope/views.h"

#include <cmath>
#include <sstream>

namespace attnscope {

// [SECTION] JsonPath

JsonPath JsonPath::key(std::string_view name) const {
    return JsonPath(m_text.empty() ? std::string(name) : m_text + "." + std::string(name));
}

JsonPath JsonPath::index(std::size_t i) const { return JsonPath(m_text + "[" + std::to_string(i) + "]"); }

void JsonPath::fail(const std::string& what) const {
    throw LoadError(m_text.empty() ? what : m_text + ": " + what);
}

// [SECTION] Describing what was found

std::string describe_type(const nlohmann::json& node) {
    if (node.is_number()) return "number";
    if (node.is_string()) {
        const auto& s = node.get_ref<const std::string&>();
        if (s.size() > 40) return "a string of " + std::to_string(s.size()) + " bytes";
        return "string \"" + s + "\"";
    }
    return node.type_name();  // "null", "boolean", "object", "array"
}

std::string describe_shape(const nlohmann::json& node) {
    if (!node.is_array()) return describe_type(node);
    if (node.empty()) return "empty array";
    if (!node[0].is_array()) return "array of " + std::to_string(node.size()) + " values";
    const std::size_t cols = node[0].size();
    for (std::size_t r = 0; r < node.size(); ++r) {
        if (!node[r].is_array()) return "array whose row " + std::to_string(r) + " is a " + describe_type(node[r]);
        if (node[r].size() != cols)
            return "ragged rows (row " + std::to_string(r) + " has " + std::to_string(node[r].size()) +
                   " values, row 0 has " + std::to_string(cols) + ")";
    }
    return std::to_string(node.size()) + "x" + std::to_string(cols) + " matrix";
}

// [SECTION] Readers

const nlohmann::json& require(const nlohmann::json& node, const JsonPath& at, std::string_view name) {
    if (!node.is_object()) at.fail("expected an object, got " + describe_type(node));
    auto it = node.find(std::string(name));
    if (it == node.end()) at.key(name).fail("missing");
    return *it;
}

int read_int(const nlohmann::json& node, const JsonPath& at, long long min, long long max) {
    const bool integral = node.is_number_integer() ||
                          (node.is_number_float() && std::floor(node.get<double>()) == node.get<double>());
    if (!integral) at.fail("expected an integer, got " + describe_type(node));
    const double value = node.get<double>();
    if (value < static_cast<double>(min) || value > static_cast<double>(max)) {
        std::ostringstream msg;
        msg << "expected an integer in " << min << ".." << max << ", got " << node.dump();
        at.fail(msg.str());
    }
    return static_cast<int>(value);
}

float read_finite_float(const nlohmann::json& node, const JsonPath& at) {
    if (!node.is_number()) at.fail("expected a number, got " + describe_type(node));
    const double value = node.get<double>();
    const auto f = static_cast<float>(value);
    // JSON has no NaN or infinity (dump() would print null), but a GGUF float read into a config can hold them.
    if (std::isnan(value)) at.fail("expected a finite number, got NaN");
    if (!std::isfinite(value)) at.fail(std::string("expected a finite number, got ") + (value > 0 ? "infinity" : "-infinity"));
    if (!std::isfinite(f)) at.fail("expected a finite number, got " + node.dump() + " (too large for float32)");
    return f;
}

bool read_bool(const nlohmann::json& node, const JsonPath& at) {
    if (!node.is_boolean()) at.fail("expected true or false, got " + describe_type(node));
    return node.get<bool>();
}

std::string read_string(const nlohmann::json& node, const JsonPath& at) {
    if (!node.is_string()) at.fail("expected a string, got " + describe_type(node));
    return node.get<std::string>();
}

std::string read_view_name(const nlohmann::json& node, const JsonPath& at) {
    const std::string view = read_string(node, at);
    if (!view_from_name(view)) at.fail("expected one of " + view_name_list() + ", got \"" + view + "\"");
    return view;
}

Matrix read_matrix(const nlohmann::json& node, const JsonPath& at, Index rows, Index cols, std::string_view dims) {
    const std::string got = describe_shape(node);
    const std::string want = std::to_string(rows) + "x" + std::to_string(cols) + " matrix";
    if (got != want) at.fail("expected " + want + " (" + std::string(dims) + "), got " + got);
    Matrix m(rows, cols);
    for (Index r = 0; r < rows; ++r) {
        const auto& row = node[static_cast<std::size_t>(r)];
        const JsonPath row_at = at.index(static_cast<std::size_t>(r));
        for (Index c = 0; c < cols; ++c) m(r, c) = read_finite_float(row[static_cast<std::size_t>(c)], row_at.index(static_cast<std::size_t>(c)));
    }
    return m;
}

RowVector read_vector(const nlohmann::json& node, const JsonPath& at, Index n, std::string_view dims) {
    const bool flat = node.is_array() && !(node.size() > 0 && node[0].is_array());
    if (!flat || static_cast<Index>(node.size()) != n)
        at.fail("expected an array of " + std::to_string(n) + " numbers (" + std::string(dims) + "), got " +
                describe_shape(node));
    RowVector v(n);
    for (Index i = 0; i < n; ++i) v(i) = read_finite_float(node[static_cast<std::size_t>(i)], at.index(static_cast<std::size_t>(i)));
    return v;
}

void reject_unknown_keys(const nlohmann::json& node, const JsonPath& at, const std::vector<std::string_view>& known) {
    for (auto it = node.begin(); it != node.end(); ++it) {
        bool found = false;
        for (auto k : known) found = found || (k == it.key());
        if (found) continue;
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        at.key(it.key()).fail("unknown key (expected one of: " + list + ")");
    }
}

// [SECTION] Parsing

namespace {

constexpr int kMaxNesting = 64;  // the own format needs 5 levels; deeper is not one of our files

// Finds nesting deeper than kMaxNesting before the parser sees it, so a hostile file cannot
// exhaust the stack. Skips strings and // or /* */ comments the way the parser does.
void check_nesting(std::string_view text) {
    int depth = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i)
                if (text[i] == '\\') ++i;
        } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
            while (i < text.size() && text[i] != '\n') ++i;
        } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
            const auto end = text.find("*/", i + 2);
            i = end == std::string_view::npos ? text.size() : end + 1;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxNesting)
                throw LoadError("JSON nested deeper than " + std::to_string(kMaxNesting) + " levels at byte " +
                                std::to_string(i) + "; AttnScope's files need at most 5");
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
}

}  // namespace

nlohmann::json parse_json_text(std::string_view text) {
    if (auto bad = first_invalid_utf8(text)) throw LoadError("not valid UTF-8 at byte " + std::to_string(*bad));
    check_nesting(text);
    try {
        return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const nlohmann::json::exception& e) {
        // Drop the library's "[json.exception.parse_error.101] " prefix; keep line and column.
        std::string what = valid_utf8(e.what());
        if (auto close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string::npos)
            what = what.substr(close + 2);
        throw LoadError("not valid JSON: " + what);
    }
}

}  // namespace attnscope
