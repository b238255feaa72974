#include "shell/export.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "attnscope/atomic_file.h"
#include "attnscope/heatmap_export.h"
#include "attnscope/text.h"
#include "attnscope/token_labels.h"
#include "attnscope/trace_json.h"
#include "attnscope/view_svg.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

constexpr std::size_t kMaxTextInName = 32;

// "I took the money" -> "i-took-the-money": letters and digits, runs of anything else become '-'.
std::string slug(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        if (out.size() >= kMaxTextInName) break;
        if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
        else if (!out.empty() && out.back() != '-') out += '-';
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? "text" : out;
}

std::string cell(float w) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(w));
    return buf;
}

// Tabs and newlines inside a token would break the table's cells.
std::string table_label(const Trace& trace, int i) {
    std::string s = token_label(trace, i);
    for (char& c : s)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return s;
}

// [SECTION] Cross-attention figures

// Token labels and the text go into the figure as XML text.
std::string xml_text(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '\'') out += "&apos;";
        else if (c == '"') out += "&quot;";
        else if (c < 0x20) out += ' ';  // control characters are not allowed in XML 1.0
        else out += static_cast<char>(c);
    }
    return out;
}

std::string csv_text(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string css(Rgb c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

std::string number(float v, const char* fmt) {
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, static_cast<double>(v));
    return buf;
}

}  // namespace

std::string cross_head_csv(const Trace& cross, int layer, int head) {
    const AttentionMatrix held = cross.head_weights(layer, head);  // n x n_keys
    const Matrix& w = *held;
    const Trace& source = keys_of(cross);
    std::string out = "target\\source";
    for (int j = 0; j < source.n_tokens(); ++j) out += "," + csv_text(token_label(source, j));
    out += "\n";
    for (int i = 0; i < cross.n_tokens(); ++i) {
        out += csv_text(token_label(cross, i));
        for (int j = 0; j < source.n_tokens(); ++j) out += "," + number(w(i, j), "%.9g");
        out += "\n";
    }
    return out;
}

// Laid out as core's head_svg lays out a square head: row labels left, column labels leaning at
// -45 degrees above, the legend right; cells of one size whatever the two lengths.
std::string cross_head_svg(const Trace& cross, int layer, int head, Colormap colormap) {
    const AttentionMatrix held = cross.head_weights(layer, head);
    const AttentionMatrix scores = cross.head_scores(layer, head);
    const Matrix& w = *held;
    const Trace& source = keys_of(cross);
    const int rows = cross.n_tokens(), cols = source.n_tokens();
    std::size_t longest = 1;  // in code points: a rough width for the layout
    for (int i = 0; i < rows; ++i) longest = std::max(longest, count_code_points(token_label(cross, i)));
    for (int j = 0; j < cols; ++j) longest = std::max(longest, count_code_points(token_label(source, j)));
    longest = std::min<std::size_t>(longest, 24);
    const double cell = std::clamp(640.0 / std::max({rows, cols, 1}), 12.0, 44.0);
    const double left = 30 + 8.0 * static_cast<double>(longest), top = 70 + 6.0 * static_cast<double>(longest);
    const double legend_x = left + cell * cols + 30, width = legend_x + 110;
    const double height = std::max(top + cell * rows + 50, top + 260);
    const double font = std::clamp(cell * 0.55, 9.0, 14.0);
    std::ostringstream out;
    out << "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
        << "' font-family='DejaVu Sans, sans-serif'>\n<rect width='100%' height='100%' fill='#fff'/>\n";
    out << "<text x='10' y='22' font-size='16' font-weight='bold'>" << xml_text(cross.model.name) << " \u00b7 cross-attention \u00b7 layer "
        << layer << ", head " << head << " \u00b7 attention weights</text>\n";
    out << "<text x='10' y='40' font-size='12' fill='#444'>" << xml_text(cross.source_text.substr(0, 80)) << " \u2192 "
        << xml_text(cross.text.substr(0, 80)) << "</text>\n";
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
            const double x = left + j * cell, y = top + i * cell;
            const float t = std::clamp(w(i, j), 0.0f, 1.0f);
            out << "<rect x='" << x << "' y='" << y << "' width='" << cell << "' height='" << cell << "' fill='"
                << css(colormap_rgb(colormap, t)) << "'><title>" << xml_text(token_label(cross, i)) << " \u2192 "
                << xml_text(token_label(source, j)) << ": score " << number((*scores)(i, j), "%.4g") << ", weight "
                << number(w(i, j), "%.4g") << "</title></rect>\n";
            if (cell >= 30)
                out << "<text x='" << x + cell / 2 << "' y='" << y + cell / 2 + 4 << "' text-anchor='middle' font-size='" << cell * 0.3
                    << "' fill='" << (t > 0.6f ? "#000" : "#fff") << "'>" << number(w(i, j), "%.2f") << "</text>\n";
        }
    for (int i = 0; i < rows; ++i)
        out << "<text x='" << left - 6 << "' y='" << top + cell * i + cell / 2 + font / 3 << "' text-anchor='end' font-size='" << font
            << "'>" << xml_text(token_label(cross, i)) << "</text>\n";
    for (int j = 0; j < cols; ++j)
        out << "<text transform='translate(" << left + cell * j + cell / 2 + font / 3 << "," << top - 6 << ") rotate(-45)' font-size='"
            << font << "'>" << xml_text(token_label(source, j)) << "</text>\n";
    out << "<text x='" << left << "' y='" << top + cell * rows + 24 << "' font-size='12' fill='#444'>"
        << "rows: target tokens (the decoder's queries) \u00b7 columns: source tokens (keys from the encoder)</text>\n";
    out << "<defs><linearGradient id='legend' x1='0' y1='1' x2='0' y2='0'>";
    for (int k = 0; k <= 10; ++k) out << "<stop offset='" << k / 10.0 << "' stop-color='" << css(colormap_rgb(colormap, k / 10.0f)) << "'/>";
    out << "</linearGradient></defs>\n<rect x='" << legend_x << "' y='" << top << "' width='18' height='200' fill='url(#legend)' stroke='#333'/>\n";
    for (int k = 0; k <= 4; ++k) {
        const double y = top + 200 * (1.0 - k / 4.0);
        out << "<line x1='" << legend_x + 18 << "' x2='" << legend_x + 23 << "' y1='" << y << "' y2='" << y << "' stroke='#333'/><text x='"
            << legend_x + 26 << "' y='" << y + 4 << "' font-size='11'>" << number(k / 4.0f, "%.3g") << "</text>\n";
    }
    out << "<text x='" << legend_x << "' y='" << top + 218 << "' font-size='12'>weight</text>\n</svg>\n";
    return out.str();
}

std::string export_stem(const std::string& text, int layer, int head, ExportKind kind, std::string_view stack) {
    std::string stem = "attnscope-" + slug(text);
    if (kind == ExportKind::WindowPng) return stem;
    if (!stack.empty()) stem += "-" + std::string(stack);
    if (kind == ExportKind::OverviewSvg) return stem + "-overview";
    stem += "-L" + std::to_string(layer) + "H" + std::to_string(head);
    return kind == ExportKind::TokenViewSvg ? stem + "-tokens" : stem;
}

std::filesystem::path unused_export_path(const std::filesystem::path& dir, const std::string& stem, ExportKind kind) {
    const std::string ext = kExportExtensions[static_cast<int>(kind)];
    std::filesystem::path p = dir / (stem + ext);
    for (int n = 2; std::filesystem::exists(p); ++n) p = dir / (stem + "-" + std::to_string(n) + ext);
    return p;
}

std::string weights_table_tsv(const Trace& trace, int layer, int head) {
    const AttentionMatrix weights = trace.head_weights(layer, head);
    const Matrix& w = *weights;
    const Trace& keys = keys_of(trace);
    std::string out = "query \\ key";
    for (int j = 0; j < keys.n_tokens(); ++j) out += "\t" + table_label(keys, j);
    out += "\n";
    for (int i = 0; i < trace.n_tokens(); ++i) {
        out += table_label(trace, i);
        for (int j = 0; j < keys.n_tokens(); ++j) out += "\t" + cell(w(i, j));
        out += "\n";
    }
    return out;
}

std::filesystem::path with_export_extension(const std::filesystem::path& file, ExportKind kind) {
    const std::string ext = export_extension(kind);
    std::string name = file.filename().string();
    std::string tail = name.size() >= ext.size() ? name.substr(name.size() - ext.size()) : "";
    for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext.empty() || (tail == ext && name.size() > ext.size())) return file;
    return file.parent_path() / (name + ext);
}

Result<std::filesystem::path> write_export(const Trace& trace, ExportKind kind, const ExportSubject& s,
                                           const std::filesystem::path& file) {
    const bool cross = shows_cross(trace);
    switch (kind) {
        case ExportKind::HeatmapSvg:
            if (cross) return write_file_atomically(file, cross_head_svg(trace, s.layer, s.head, s.colormap));
            return write_file_atomically(file, head_svg(trace, s.layer, s.head, HeatmapField::Weights, s.colormap));
        case ExportKind::TokenViewSvg:
            return write_file_atomically(file, token_view_svg(trace, s.layer, s.head, s.query, s.key));
        case ExportKind::OverviewSvg:
            return write_file_atomically(file, overview_svg(trace, s.colormap, s.contrast ? OverviewScale::Contrast : OverviewScale::Linear));
        case ExportKind::WeightsCsv:
            if (cross) return write_file_atomically(file, cross_head_csv(trace, s.layer, s.head));
            return write_file_atomically(file, head_csv(trace, s.layer, s.head, HeatmapField::Weights));
        case ExportKind::HeadJson: {
            TraceFilter filter;
            filter.layer = s.layer;
            filter.head = s.head;
            // Cross-attention is not a trace of its own in the trace format: its head is in the
            // whole trace's cross_layers, beside the decoder's (layers) and the encoder's (source).
            if (cross && !s.whole) return Error{file.string() + ": the cross-attention's JSON needs the whole encoder-decoder trace"};
            return write_file_atomically(file, trace_to_json(cross ? *s.whole : trace, filter));
        }
        case ExportKind::WindowPng:
        case ExportKind::CopyWeights:
        case ExportKind::Count: break;
    }
    return Error{"not a figure or table: " + file.string()};
}

Result<std::filesystem::path> export_head_file(const Trace& trace, int layer, int head, ExportKind kind,
                                               const std::filesystem::path& file) {
    ExportSubject subject;
    subject.layer = layer;
    subject.head = head;
    return write_export(trace, kind, subject, file);
}

}  // namespace attnscope::gui
