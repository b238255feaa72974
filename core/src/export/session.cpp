// Sessions (attnscope/session.h): one name table, read with the JSON path in every message,
// written atomically.
#include "attnscope/session.h"
#include "attnscope/text.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/atomic_file.h"
#include "util/file_read.h"
#include "util/json_path.h"

namespace attnscope {

namespace {

using nlohmann::json;

enum class Key { Format, Version, Model, Text, Compare, View, Layer, Head, Token, KeyToken, Count };
constexpr std::string_view kKeyNames[] = {"format", "version", "model", "text", "compare", "view", "layer", "head", "token", "key"};
static_assert(std::size(kKeyNames) == static_cast<std::size_t>(Key::Count), "name every session key");

std::string name(Key k) { return std::string(kKeyNames[static_cast<int>(k)]); }

constexpr const char* kFormatName = "attnscope-session";
constexpr int kVersion = 1;
constexpr int kMaxIndex = 1 << 20;

Session read_session(const json& root) {
    const JsonPath top;
    if (!root.is_object()) top.fail("expected an object, got " + describe_type(root));
    reject_unknown_keys(root, top, std::vector<std::string_view>(std::begin(kKeyNames), std::end(kKeyNames)));
    auto at = [&](Key k) { return top.key(name(k)); };
    auto need = [&](Key k) -> const json& { return require(root, top, name(k)); };
    if (read_string(need(Key::Format), at(Key::Format)) != kFormatName)
        at(Key::Format).fail(std::string("expected \"") + kFormatName + "\", got " + cut_for_message(need(Key::Format).dump()));
    read_int(need(Key::Version), at(Key::Version), kVersion, kVersion);
    Session s;
    s.model = read_string(need(Key::Model), at(Key::Model));
    s.text = read_string(need(Key::Text), at(Key::Text));
    if (root.contains(name(Key::Compare))) s.compare = read_string(root[name(Key::Compare)], at(Key::Compare));
    s.view = read_view_name(need(Key::View), at(Key::View));
    s.layer = read_int(need(Key::Layer), at(Key::Layer), 0, kMaxIndex);
    s.head = read_int(need(Key::Head), at(Key::Head), 0, kMaxIndex);
    s.token = read_int(need(Key::Token), at(Key::Token), 0, kMaxIndex);
    s.key = root.contains(name(Key::KeyToken)) ? read_int(root[name(Key::KeyToken)], at(Key::KeyToken), -1, kMaxIndex) : -1;
    return s;
}

}  // namespace

bool Session::operator==(const Session& o) const {
    return model == o.model && text == o.text && compare == o.compare && view == o.view && layer == o.layer &&
           head == o.head && token == o.token && key == o.key;
}

std::string serialize_session(const Session& s) {
    json j = json::object();
    j[name(Key::Format)] = kFormatName;
    j[name(Key::Version)] = kVersion;
    j[name(Key::Model)] = s.model;
    j[name(Key::Text)] = s.text;
    j[name(Key::Compare)] = s.compare;
    j[name(Key::View)] = s.view;
    j[name(Key::Layer)] = s.layer;
    j[name(Key::Head)] = s.head;
    j[name(Key::Token)] = s.token;
    j[name(Key::KeyToken)] = s.key;
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<Session> parse_session(std::string_view text, const std::string& source) {
    try {  // the only place a LoadError becomes a value
        json root;
        try {
            root = json::parse(text.begin(), text.end());
        } catch (const json::exception& e) {  // parse_error, or out_of_range for a number such as 1e999
            throw LoadError(std::string("not valid JSON: ") + valid_utf8(e.what()));
        }
        return read_session(root);
    } catch (const LoadError& e) {
        return Error{source + ": " + valid_utf8(e.what())};
    }
}

Result<Session> load_session(const std::filesystem::path& file) {
    std::string text;
    try {
        text = read_text_file(file, std::uint64_t{64} << 20, "a session file");
    } catch (const LoadError& e) {
        return Error{file.string() + ": " + e.what()};
    }
    return parse_session(text, file.string());
}

Result<std::filesystem::path> save_session(const std::filesystem::path& file, const Session& s) {
    return write_file_atomically(file, serialize_session(s));
}

}  // namespace attnscope
