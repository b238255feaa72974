// Small pieces every SVG figure of export/ writes alike: text made safe for XML, colours as CSS,
// numbers in a fixed short form. Internal to core (heatmap_export.cpp, token_view_svg.cpp,
// overview_svg.cpp).
#pragma once

#include <string>
#include <string_view>

#include "attnscope/colormap.h"

namespace attnscope::svg {

// Text for an element's content or a quoted attribute value: valid UTF-8 (bad bytes become
// U+FFFD), &, <, >, ' and " escaped, and the control characters XML 1.0 forbids written as U+FFFD,
// so a token of any bytes never makes the file unreadable.
std::string xml_text(std::string_view s);

// "#fde725"
std::string rgb_css(Rgb c);

// printf-style, for one number ("%.4g" by default); -inf and inf as words.
std::string number(double v, const char* fmt = "%.4g");

// The opening of a figure: the XML declaration, <svg> of this size and a white background.
std::string open_svg(double width, double height);

}  // namespace attnscope::svg
