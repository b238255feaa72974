// What the tests of the figures (core/src/export) share: checks written apart from the writers
// (whether a file is well-formed XML, the attributes of its elements) and tokens made by hand.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "attnscope/tokenizer.h"

namespace attnscope::testing {

using Attributes = std::map<std::string, std::string>;

// A small XML checker, written apart from the writer: one root, every tag closed in order,
// attribute values quoted, no bare '&' or '<' in text. A browser shows nothing of an SVG with one
// such mistake, so this is what "opens anywhere" means.
inline ::testing::AssertionResult well_formed(const std::string& xml) {
    static const std::regex entity(R"(&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)");
    auto text_ok = [](const std::string& t) {
        for (std::size_t at = t.find('&'); at != std::string::npos; at = t.find('&', at + 1))
            if (!std::regex_search(t.substr(at), entity, std::regex_constants::match_continuous)) return false;
        return t.find('<') == std::string::npos;
    };
    static const std::regex attribute(R"(\s+([A-Za-z_:][-A-Za-z0-9_:.]*)=('[^']*'|"[^"]*"))");
    std::size_t at = 0;
    if (xml.rfind("<?xml", 0) == 0) at = xml.find("?>") + 2;
    std::vector<std::string> open;
    int roots = 0;
    while (true) {
        const std::size_t lt = xml.find('<', at);
        const std::string text = xml.substr(at, lt == std::string::npos ? std::string::npos : lt - at);
        if (!text_ok(text)) return ::testing::AssertionFailure() << "bad text: " << text.substr(0, 80);
        if (lt == std::string::npos) break;
        if (open.empty() && text.find_first_not_of(" \n\t") != std::string::npos)
            return ::testing::AssertionFailure() << "text outside the root: " << text.substr(0, 80);
        const std::size_t gt = xml.find('>', lt);
        if (gt == std::string::npos) return ::testing::AssertionFailure() << "a tag never ends at " << lt;
        std::string tag = xml.substr(lt + 1, gt - lt - 1);
        if (tag.rfind('/', 0) == 0) {
            if (open.empty() || open.back() != tag.substr(1))
                return ::testing::AssertionFailure() << "</" << tag.substr(1) << "> closes " << (open.empty() ? "nothing" : open.back());
            open.pop_back();
        } else {
            const bool empty = !tag.empty() && tag.back() == '/';
            if (empty) tag.pop_back();
            const std::size_t name_end = tag.find_first_of(" \n\t");
            const std::string name = tag.substr(0, name_end);
            std::string rest = name_end == std::string::npos ? "" : tag.substr(name_end);
            for (std::smatch m; std::regex_search(rest, m, attribute, std::regex_constants::match_continuous);) {
                if (!text_ok(m[2].str())) return ::testing::AssertionFailure() << "bad attribute value in <" << name << ">";
                rest = m.suffix();
            }
            if (rest.find_first_not_of(" \n\t") != std::string::npos)
                return ::testing::AssertionFailure() << "bad attributes in <" << name << ">: " << rest.substr(0, 80);
            if (open.empty() && ++roots > 1) return ::testing::AssertionFailure() << "a second root <" << name << ">";
            if (!empty) open.push_back(name);
        }
        at = gt + 1;
    }
    if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> is never closed";
    if (roots != 1) return ::testing::AssertionFailure() << "no root element";
    return ::testing::AssertionSuccess();
}

// The attributes of every <name ...> whose class is `cls` ("" for any), in file order.
inline std::vector<Attributes> elements(const std::string& xml, const std::string& name, const std::string& cls = "") {
    static const std::regex attribute(R"(([-A-Za-z0-9_:]+)='([^']*)')");
    std::vector<Attributes> found;
    const std::regex tag("<" + name + "( [^>]*)>");
    for (std::sregex_iterator it(xml.begin(), xml.end(), tag), end; it != end; ++it) {
        Attributes a;
        const std::string inside = (*it)[1];
        for (std::sregex_iterator at(inside.begin(), inside.end(), attribute); at != end; ++at) a[(*at)[1]] = (*at)[2];
        if (cls.empty() || a["class"] == cls) found.push_back(a);
    }
    return found;
}

// A token covering bytes [start, end) of its text; `piece` names it when it covers none.
inline Token token(std::size_t start, std::size_t end, const std::string& piece = "") {
    Token t;
    t.start = start;
    t.end = end;
    t.piece = piece;
    return t;
}

}  // namespace attnscope::testing
