#include "export/svg_writing.h"

#include <cmath>
#include <cstdio>

#include "attnscope/text.h"

namespace attnscope::svg {

std::string xml_text(std::string_view s) {
    const std::string valid = valid_utf8(s);
    std::string out;
    out.reserve(valid.size());
    for (char c : valid) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // XML 1.0 allows no C0 control but tab, newline and carriage return.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') out += "\xEF\xBF\xBD";
                else out += c;
        }
    }
    return out;
}

std::string rgb_css(Rgb c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

std::string number(double v, const char* fmt) {
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

std::string open_svg(double width, double height) {
    return "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='" + number(width, "%.0f") +
           "' height='" + number(height, "%.0f") + "' viewBox='0 0 " + number(width, "%.0f") + " " + number(height, "%.0f") +
           "' font-family='DejaVu Sans, sans-serif'>\n<rect width='100%' height='100%' fill='#fff'/>\n";
}

}  // namespace attnscope::svg
