// Sections: [SECTION] CSV  [SECTION] SVG  [SECTION] Files
#include "attnscope/heatmap_export.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "attnscope/atomic_file.h"
#include "attnscope/attribution.h"
#include "attnscope/text.h"
#include "attnscope/token_labels.h"
#include "attnscope/trace_json.h"
#include "export/svg_writing.h"

namespace attnscope {

namespace {

constexpr const char* kFieldNames[] = {"weights", "scores", "value-weighted", "value-weighted-layer"};
static_assert(std::size(kFieldNames) == static_cast<std::size_t>(HeatmapField::Count), "name every field");

// The figure's title and the legend's: what a cell's number is.
constexpr const char* kFieldTitles[] = {"attention weights", "scaled scores", "value-weighted attention \u2016\u03b1 f(x)\u2016, each row as shares of its sum",
                                        "value-weighted attention summed over the layer's heads, row shares"};
constexpr const char* kFieldLegends[] = {"weight", "score", "share", "share"};
static_assert(std::size(kFieldTitles) == static_cast<std::size_t>(HeatmapField::Count), "title every field");
static_assert(std::size(kFieldLegends) == static_cast<std::size_t>(HeatmapField::Count), "name every field's legend");

// Kept by the trace, or computed now for a long one; the value-weighted shares from the trace's model.
Matrix field_of(const Trace& trace, int layer, int head, HeatmapField f) {
    switch (f) {
        case HeatmapField::Weights: return *trace.head_weights(layer, head);
        case HeatmapField::Scores: return *trace.head_scores(layer, head);
        default: return value_weighted_shares(trace, layer, head, f == HeatmapField::ValueWeightedLayer);
    }
}

std::string format_number(float v, const char* fmt = "%.4g") {
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, static_cast<double>(v));
    return buf;
}

using svg::rgb_css;

// Token labels and the text go into the figure as XML text.
std::string xml_escape(std::string_view s) { return svg::xml_text(s); }

std::string csv_escape(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

const char* heatmap_field_name(HeatmapField f) { return kFieldNames[static_cast<int>(f)]; }

std::optional<HeatmapField> heatmap_field_from_name(std::string_view name) {
    for (int f = 0; f < static_cast<int>(HeatmapField::Count); ++f)
        if (name == kFieldNames[f]) return static_cast<HeatmapField>(f);
    return std::nullopt;
}

std::optional<std::string> heatmap_field_refusal(const Trace& trace, HeatmapField field) {
    if (!is_value_weighted(field)) return std::nullopt;
    if (auto why = value_weighted_refusal(trace)) return "value-weighted attention: " + *why;
    return std::nullopt;
}

// [SECTION] CSV

// Rows: the n queries; columns: the n_keys keys (the source's tokens for cross-attention).
std::string head_csv(const Trace& trace, int layer, int head, HeatmapField field) {
    const Matrix m = field_of(trace, layer, head, field);  // n x n_keys
    const bool cross = trace.layers[static_cast<std::size_t>(layer)].cross;
    static constexpr const char* kCorner[] = {"", " (scaled score)", " (value-weighted share of the row)",
                                              " (value-weighted share of the row, the layer's heads summed)"};
    std::ostringstream out;
    out << (cross ? "target\\source" : "query\\key") << kCorner[static_cast<int>(field)];
    for (const std::string& key : key_labels(trace, layer)) out << ',' << csv_escape(key);
    out << '\n';
    for (int i = 0; i < trace.n_tokens(); ++i) {
        out << csv_escape(token_label(trace, i));
        for (int j = 0; j < trace.n_keys(layer); ++j) out << ',' << format_number(m(i, j), "%.9g");
        out << '\n';
    }
    return out.str();
}

// [SECTION] SVG

namespace {

// What the figure draws: n x n_keys cells, a row per query and a column per key. Self-attention's
// queries and keys are the same tokens; cross-attention's keys are the source's.
struct SvgGrid {
    std::vector<std::string> queries, keys;          // n and n_keys labels
    std::vector<std::string> queries_xml, keys_xml;  // the same, escaped for XML
    bool cross = false;
};

SvgGrid grid_of(const Trace& trace, int layer) {
    SvgGrid g;
    g.queries = token_labels(trace);
    g.keys = key_labels(trace, layer);
    for (const std::string& s : g.queries) g.queries_xml.push_back(xml_escape(s));
    for (const std::string& s : g.keys) g.keys_xml.push_back(xml_escape(s));
    g.cross = trace.layers[static_cast<std::size_t>(layer)].cross;
    return g;
}

struct SvgLayout {
    int rows = 0, cols = 0;
    double cell = 0, left = 0, top = 0, grid_w = 0, grid_h = 0, legend_x = 0, width = 0, height = 0;
};

// Cells of one size whatever the two lengths, the longer side at most 640 wide.
SvgLayout layout_svg(const SvgGrid& g) {
    SvgLayout L;
    L.rows = static_cast<int>(g.queries.size());
    L.cols = static_cast<int>(g.keys.size());
    std::size_t longest = 1;  // in code points: a rough width for the layout
    for (const auto* labels : {&g.queries, &g.keys})
        for (const std::string& s : *labels) longest = std::max(longest, count_code_points(s));
    longest = std::min<std::size_t>(longest, 24);
    L.cell = std::clamp(640.0 / std::max({L.rows, L.cols, 1}), 12.0, 44.0);
    L.left = 30 + 8.0 * static_cast<double>(longest);
    L.top = 70 + 6.0 * static_cast<double>(longest);  // column labels are rotated by -45 degrees
    L.grid_w = L.cell * L.cols;
    L.grid_h = L.cell * L.rows;
    L.legend_x = L.left + L.grid_w + 30;
    L.width = L.legend_x + 110;
    L.height = std::max(L.top + L.grid_h + 50, L.top + 260);
    return L;
}

// `scores`, `weights`: the head's (n x n_keys); `m` the one shown.
void svg_cells(std::ostringstream& out, const SvgGrid& g, const Matrix& m, const Matrix& scores, const Matrix& weights,
               const SvgLayout& L, float lo, float hi, Colormap cmap) {
    const bool numbers = L.cell >= 30;
    for (int i = 0; i < L.rows; ++i) {
        for (int j = 0; j < L.cols; ++j) {
            const double x = L.left + j * L.cell, y = L.top + i * L.cell;
            const bool masked = std::isinf(scores(i, j)) && scores(i, j) < 0;
            const float t = hi > lo ? (m(i, j) - lo) / (hi - lo) : 0.0f;
            out << "<rect x='" << x << "' y='" << y << "' width='" << L.cell << "' height='" << L.cell << "' fill='"
                << (masked ? "url(#masked)" : rgb_css(colormap_rgb(cmap, t))) << "'><title>"
                << g.queries_xml[static_cast<std::size_t>(i)] << " \u2192 " << g.keys_xml[static_cast<std::size_t>(j)]
                << (masked ? ": masked (a later token)" : ": score " + format_number(scores(i, j)) + ", weight " +
                                                              format_number(weights(i, j)))
                << "</title></rect>\n";
            if (numbers && !masked)
                out << "<text x='" << x + L.cell / 2 << "' y='" << y + L.cell / 2 + 4 << "' text-anchor='middle' font-size='"
                    << L.cell * 0.3 << "' fill='" << (t > 0.6f ? "#000" : "#fff") << "'>"
                    << format_number(m(i, j), "%.2f") << "</text>\n";
        }
    }
}

// Row k's label on the left and column k's above, leaning at -45 degrees.
void svg_labels(std::ostringstream& out, const SvgGrid& g, const SvgLayout& L) {
    const double font = std::clamp(L.cell * 0.55, 9.0, 14.0);
    for (int k = 0; k < std::max(L.rows, L.cols); ++k) {
        const double c = L.cell * k + L.cell / 2;
        if (k < L.rows)
            out << "<text x='" << L.left - 6 << "' y='" << L.top + c + font / 3 << "' text-anchor='end' font-size='" << font
                << "'>" << g.queries_xml[static_cast<std::size_t>(k)] << "</text>\n";
        if (k < L.cols)
            out << "<text transform='translate(" << L.left + c + font / 3 << "," << L.top - 6 << ") rotate(-45)' font-size='"
                << font << "'>" << g.keys_xml[static_cast<std::size_t>(k)] << "</text>\n";
    }
    out << "<text x='" << L.left << "' y='" << L.top + L.grid_h + 24 << "' font-size='12' fill='#444'>"
        << (g.cross ? "rows: target tokens (the decoder's queries) \u00b7 columns: source tokens (keys from the encoder)"
                    : "rows: query tokens (what am I looking for) \u00b7 columns: key tokens (what do I contain)")
        << "</text>\n";
}

void svg_legend(std::ostringstream& out, const SvgLayout& L, float lo, float hi, Colormap cmap, const char* name) {
    const double bar_top = L.top, bar_h = 200, bar_w = 18;
    out << "<defs><linearGradient id='legend' x1='0' y1='1' x2='0' y2='0'>";
    for (int s = 0; s <= 10; ++s)
        out << "<stop offset='" << s / 10.0 << "' stop-color='" << rgb_css(colormap_rgb(cmap, s / 10.0f)) << "'/>";
    out << "</linearGradient></defs>\n";
    out << "<rect x='" << L.legend_x << "' y='" << bar_top << "' width='" << bar_w << "' height='" << bar_h
        << "' fill='url(#legend)' stroke='#333'/>\n";
    for (int s = 0; s <= 4; ++s) {
        const float value = lo + (hi - lo) * s / 4.0f;
        const double y = bar_top + bar_h * (1.0 - s / 4.0);
        out << "<line x1='" << L.legend_x + bar_w << "' x2='" << L.legend_x + bar_w + 5 << "' y1='" << y << "' y2='" << y
            << "' stroke='#333'/><text x='" << L.legend_x + bar_w + 8 << "' y='" << y + 4 << "' font-size='11'>"
            << format_number(value, "%.3g") << "</text>\n";
    }
    out << "<text x='" << L.legend_x << "' y='" << bar_top + bar_h + 18 << "' font-size='12'>" << name << "</text>\n";
}

}  // namespace

std::string head_svg(const Trace& trace, int layer, int head, HeatmapField field, Colormap cmap) {
    const AttentionMatrix scores = trace.head_scores(layer, head), weights = trace.head_weights(layer, head);
    const Matrix m = field == HeatmapField::Weights ? *weights : field == HeatmapField::Scores ? *scores : field_of(trace, layer, head, field);
    float lo = 0.0f, hi = 1.0f;
    if (field == HeatmapField::Scores) {  // the legend spans the finite (unmasked) scores
        lo = std::numeric_limits<float>::infinity();
        hi = -lo;
        for (Index i = 0; i < m.size(); ++i)
            if (std::isfinite(m.data()[i])) { lo = std::min(lo, m.data()[i]); hi = std::max(hi, m.data()[i]); }
        if (lo > hi) lo = hi = 0.0f;
    }
    const SvgGrid g = grid_of(trace, layer);
    const SvgLayout L = layout_svg(g);
    std::ostringstream out;
    out << "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='" << L.width
        << "' height='" << L.height << "' font-family='DejaVu Sans, sans-serif'>\n";
    out << "<defs><pattern id='masked' width='6' height='6' patternUnits='userSpaceOnUse' patternTransform='rotate(45)'>"
           "<rect width='6' height='6' fill='#e4e4e4'/><line x1='0' y1='0' x2='0' y2='6' stroke='#b0b0b0' stroke-width='2'/>"
           "</pattern></defs>\n";
    out << "<rect width='100%' height='100%' fill='#fff'/>\n";
    out << "<text x='10' y='22' font-size='16' font-weight='bold'>" << xml_escape(trace.model.name)
        << (g.cross ? " \u00b7 cross-attention" : "") << " \u00b7 layer " << layer << ", head " << head << " \u00b7 "
        << kFieldTitles[static_cast<int>(field)] << "</text>\n";
    // Cross-attention reads the source and writes the target: both texts, the one read first.
    const std::string subtitle = g.cross ? trace.source_text.substr(0, 80) + " \u2192 " + trace.text.substr(0, 80) : trace.text.substr(0, 160);
    out << "<text x='10' y='40' font-size='12' fill='#444'>" << xml_escape(subtitle) << "</text>\n";
    svg_cells(out, g, m, *scores, *weights, L, lo, hi, cmap);
    svg_labels(out, g, L);
    svg_legend(out, L, lo, hi, cmap, kFieldLegends[static_cast<int>(field)]);
    out << "</svg>\n";
    return out.str();
}

// [SECTION] Files

Result<std::filesystem::path> export_head(const Trace& trace, int layer, int head, const std::filesystem::path& out,
                                          HeatmapField field) {
    std::string ext = out.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext != ".svg" && ext != ".csv" && ext != ".json")
        return Error{out.string() + ": unknown export format '" + ext + "' (expected .svg, .csv or .json)"};
    // n x n_keys cells: the longer of the two sequences is held to the limit.
    const int n = trace.n_tokens(), n_keys = trace.n_keys(layer), limit = ext == ".svg" ? kMaxSvgExportTokens : kMaxTableExportTokens;
    if (std::max(n, n_keys) > limit) {
        const std::string tokens = n == n_keys ? std::to_string(n) + " tokens" : std::to_string(n) + " x " + std::to_string(n_keys) + " tokens";
        return Error{out.string() + ": one head of " + tokens + " is " + std::to_string(n) + " x " + std::to_string(n_keys) +
                     " cells; " + ext + " exports take texts of at most " + std::to_string(limit) +
                     " tokens (attnscope-cli trace --layer L --head H --fields weights writes one head of any length)"};
    }
    if (auto why = heatmap_field_refusal(trace, field); why && ext != ".json") return Error{out.string() + ": " + *why};
    if (ext == ".svg") return write_file_atomically(out, head_svg(trace, layer, head, field));
    if (ext == ".csv") return write_file_atomically(out, head_csv(trace, layer, head, field));
    if (ext == ".json") {
        TraceFilter filter;
        filter.layer = layer;
        filter.head = head;
        return write_file_atomically(out, trace_to_json(trace, filter));
    }
    return Error{out.string() + ": unknown export format '" + ext + "'"};  // not reached: checked above
}

}  // namespace attnscope
