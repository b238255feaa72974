// The token view as an SVG figure (attnscope/view_svg.h): what app/gui/panels/token_lines_panel.cpp
// draws, on white paper. Sections: [SECTION] Layout  [SECTION] Lines  [SECTION] Tokens  [SECTION] Bars
#include <algorithm>
#include <cassert>
#include <cmath>
#include <sstream>

#include "attnscope/text.h"
#include "attnscope/token_labels.h"
#include "attnscope/view_svg.h"
#include "export/svg_writing.h"

namespace attnscope {

namespace {

// The light theme's colours: the lines' blue, the query chip's blue and the key chip's orange
// (Okabe-Ito, readable by people with colour-blindness).
constexpr const char* kLineColor = "#005aaa";
constexpr const char* kQueryChip = "#0072b2";
constexpr const char* kKeyChip = "#d55e00";
constexpr const char* kDim = "#555";

constexpr double kFont = 14.0;
constexpr double kCharWidth = 8.8;  // a generous advance of one character at kFont, for the layout
constexpr double kRowHeight = 26.0;
constexpr double kPad = 8.0;
constexpr double kLinesWidth = 280.0;  // between the query and the key column
constexpr double kBarMax = 160.0;      // a bar of weight 1
constexpr int kLongestLabel = 24;      // code points a label is laid out for (longer ones overhang)

bool is_masked(float score) { return std::isinf(score) && score < 0; }

double text_width(const std::string& label) {
    return kCharWidth * static_cast<double>(std::min<std::size_t>(count_code_points(label), kLongestLabel));
}

// [SECTION] Layout

struct Columns {
    int n = 0, n_keys = 0;
    double top = 0, query_x1 = 0, key_x0 = 0, key_x1 = 0, bars_x0 = 0, width = 0, height = 0;
    double row_y(int i) const { return top + (i + 0.5) * kRowHeight; }
};

// `subtitle`: the text under the title, which the figure is at least as wide as (up to 160 bytes).
Columns layout(const std::vector<std::string>& queries, const std::vector<std::string>& keys, bool bars, const std::string& subtitle) {
    double label_w = 4 * kCharWidth;
    for (const auto& l : queries) label_w = std::max(label_w, text_width(l));
    for (const auto& l : keys) label_w = std::max(label_w, text_width(l));
    label_w += 2 * kPad;
    Columns c;
    c.n = static_cast<int>(queries.size());
    c.n_keys = static_cast<int>(keys.size());
    c.top = 84;  // title, text and the column headings above
    c.query_x1 = 20 + label_w;
    c.key_x0 = c.query_x1 + kLinesWidth;
    c.key_x1 = c.key_x0 + label_w;
    c.bars_x0 = c.key_x1 + 2 * kPad;
    c.width = std::max({bars ? c.bars_x0 + kBarMax + 60 : c.key_x1 + 20, 620.0, 40 + 7.0 * count_code_points(subtitle)});
    c.height = c.top + std::max(c.n, c.n_keys) * kRowHeight + 40;
    return c;
}

// [SECTION] Lines

struct LineStyle {
    double opacity, width;
};

// As in the app (token_lines_panel.cpp): opacity and width both follow the weight.
LineStyle line_style(float w, bool every_query) {
    if (every_query) return {0.8 * w, 0.5 + 6.0 * w};
    return {0.2 + 0.8 * w, 1.0 + 12.0 * w};
}

// One query's lines: `weights` is its row (1 x n_keys).
void lines_of(std::ostringstream& out, const Columns& c, int i, const float* weights, bool every_query,
              const std::vector<std::string>& queries, const std::vector<std::string>& keys) {
    for (int j = 0; j < c.n_keys; ++j) {
        const float w = weights[j];
        if (!(w >= kTokenLineMinWeight)) continue;
        const LineStyle s = line_style(w, every_query);
        out << "<line class='weight' data-query='" << i << "' data-key='" << j << "' data-weight='" << svg::number(w, "%.6g")
            << "' x1='" << svg::number(c.query_x1 + kPad, "%.1f") << "' y1='" << svg::number(c.row_y(i), "%.1f") << "' x2='"
            << svg::number(c.key_x0 - kPad, "%.1f") << "' y2='" << svg::number(c.row_y(j), "%.1f") << "' stroke-opacity='"
            << svg::number(s.opacity) << "' stroke-width='" << svg::number(s.width) << "'><title>"
            << svg::xml_text(queries[static_cast<std::size_t>(i)]) << " \u2192 " << svg::xml_text(keys[static_cast<std::size_t>(j)])
            << ": " << svg::number(w, "%.3f") << "</title></line>\n";
    }
}

// [SECTION] Tokens

// A label in a column; `chip`: the colour of the rounded box behind a chosen token, or null.
void token_text(std::ostringstream& out, const char* cls, int index, const std::string& label, double x, double y, bool right_aligned,
                const char* chip) {
    if (chip) {
        const double w = text_width(label) + 8, x0 = right_aligned ? x - w + 4 : x - 4;
        out << "<rect class='chip' x='" << svg::number(x0, "%.1f") << "' y='" << svg::number(y - kFont * 0.85, "%.1f")
            << "' width='" << svg::number(w, "%.1f") << "' height='" << svg::number(kFont * 1.3, "%.1f") << "' rx='3' fill='" << chip
            << "'/>\n";
    }
    out << "<text class='" << cls << "' data-index='" << index << "' x='" << svg::number(x, "%.1f") << "' y='" << svg::number(y, "%.1f")
        << "'" << (right_aligned ? " text-anchor='end'" : "") << (chip ? " fill='#fff'" : "") << ">" << svg::xml_text(label)
        << "</text>\n";
}

void tokens(std::ostringstream& out, const Columns& c, const std::vector<std::string>& queries, const std::vector<std::string>& keys,
            int query, int key) {
    const double baseline = kFont * 0.35;  // the text's middle on the row's middle
    out << "<g font-size='" << kFont << "'>\n";
    out << "<text x='" << svg::number(c.query_x1, "%.1f") << "' y='" << c.top - 10 << "' text-anchor='end' fill='" << kDim
        << "'>query</text>\n<text x='" << svg::number(c.key_x0, "%.1f") << "' y='" << c.top - 10 << "' fill='" << kDim << "'>key</text>\n";
    for (int i = 0; i < c.n; ++i)
        token_text(out, "query-token", i, queries[static_cast<std::size_t>(i)], c.query_x1, c.row_y(i) + baseline, true,
                   i == query ? kQueryChip : nullptr);
    for (int j = 0; j < c.n_keys; ++j)
        token_text(out, "key-token", j, keys[static_cast<std::size_t>(j)], c.key_x0, c.row_y(j) + baseline, false,
                   j == key ? kKeyChip : nullptr);
    out << "</g>\n";
}

// [SECTION] Bars

// The query's weights as bars with their values, as the view's right-hand column.
void bars(std::ostringstream& out, const Columns& c, const Matrix& scores, const Matrix& weights) {
    out << "<g font-size='" << kFont * 0.85 << "'>\n<text x='" << svg::number(c.bars_x0, "%.1f") << "' y='" << c.top - 10
        << "' font-size='" << kFont << "' fill='" << kDim << "'>weight</text>\n";
    const double bar_h = kRowHeight * 0.55;
    for (int j = 0; j < c.n_keys; ++j) {
        const double y = c.row_y(j);
        if (scores.size() > 0 && is_masked(scores(0, j))) {
            out << "<text class='masked' data-key='" << j << "' x='" << svg::number(c.bars_x0, "%.1f") << "' y='"
                << svg::number(y + kFont * 0.3, "%.1f") << "' fill='" << kDim << "'>masked</text>\n";
            continue;
        }
        const float w = weights(0, j);
        const double len = std::max(1.0, static_cast<double>(w) * kBarMax);
        out << "<rect class='bar' data-key='" << j << "' x='" << svg::number(c.bars_x0, "%.1f") << "' y='"
            << svg::number(y - bar_h / 2, "%.1f") << "' width='" << svg::number(len, "%.1f") << "' height='"
            << svg::number(bar_h, "%.1f") << "' fill='" << kLineColor << "'/>\n";
        out << "<text class='bar-value' data-key='" << j << "' x='" << svg::number(c.bars_x0 + len + 4, "%.1f") << "' y='"
            << svg::number(y + kFont * 0.3, "%.1f") << "'>" << svg::number(w, "%.2f") << "</text>\n";
    }
    out << "</g>\n";
}

}  // namespace

std::string token_view_svg(const Trace& trace, int layer, int head, int query, int key) {
    assert(layer >= 0 && layer < static_cast<int>(trace.layers.size()));
    assert(head >= 0 && head < static_cast<int>(trace.layers[static_cast<std::size_t>(layer)].heads.size()));
    assert(query < trace.n_tokens());
    const bool every_query = query < 0;
    const std::vector<std::string> queries = token_labels(trace);
    const std::vector<std::string> keys = key_labels(trace, layer);  // a cross layer's: the source's tokens
    const std::string subtitle = cut_for_message(trace.text, 160);
    const Columns c = layout(queries, keys, !every_query, subtitle);

    std::ostringstream out;
    out << svg::open_svg(c.width, c.height);
    out << "<text x='20' y='26' font-size='16' font-weight='bold'>" << svg::xml_text(trace.model.name) << " \u00b7 layer " << layer
        << ", head " << head << " \u00b7 "
        << (every_query ? std::string("where every token looks")
                        : "where \u201c" + svg::xml_text(queries[static_cast<std::size_t>(query)]) + "\u201d looks")
        << "</text>\n";
    out << "<text x='20' y='46' font-size='12' fill='" << kDim << "'>" << svg::xml_text(subtitle) << "</text>\n";
    Matrix scores, weights;  // one query: its row (1 x n_keys), kept or computed now
    out << "<g stroke='" << kLineColor << "' stroke-linecap='round'>\n";
    if (every_query) {
        const AttentionMatrix all = trace.head_weights(layer, head);  // n x n_keys, rows contiguous (row-major)
        for (int i = 0; i < c.n; ++i) lines_of(out, c, i, all->row(i).data(), true, queries, keys);
    } else {
        trace.head_attention_rows(layer, head, query, query + 1, &scores, &weights);
        lines_of(out, c, query, weights.data(), false, queries, keys);
    }
    out << "</g>\n";
    tokens(out, c, queries, keys, query, key);  // over the lines' ends
    if (!every_query) bars(out, c, scores, weights);
    out << "<text x='20' y='" << svg::number(c.height - 14, "%.0f") << "' font-size='11' fill='" << kDim
        << "'>a line's opacity and width follow the attention weight from the query (left) to the key (right)</text>\n";
    out << "</svg>\n";
    return out.str();
}

}  // namespace attnscope
