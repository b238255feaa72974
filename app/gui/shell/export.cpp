#include "shell/export.h"

#include <cctype>
#include <cstdio>

#include "attnscope/atomic_file.h"
#include "attnscope/heatmap_export.h"
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
std::string table_label(std::string s) {
    for (char& c : s)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return s;
}

}  // namespace

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
    const Matrix& w = *weights;  // n x n_keys
    std::string out = "query \\ key";
    for (const std::string& key : key_labels(trace, layer)) out += "\t" + table_label(key);
    out += "\n";
    for (int i = 0; i < trace.n_tokens(); ++i) {
        out += table_label(token_label(trace, i));
        for (int j = 0; j < trace.n_keys(layer); ++j) out += "\t" + cell(w(i, j));
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
    const bool heatmap_file = kind == ExportKind::HeatmapSvg || kind == ExportKind::WeightsCsv;
    if (auto why = heatmap_field_refusal(trace, s.field); why && heatmap_file) return Error{file.string() + ": " + *why};
    switch (kind) {
        case ExportKind::HeatmapSvg:  // a cross_attention_trace's head is n x n_keys: core draws either
            return write_file_atomically(file, head_svg(trace, s.layer, s.head, s.field, s.colormap));
        case ExportKind::TokenViewSvg:
            return write_file_atomically(file, token_view_svg(trace, s.layer, s.head, s.query, s.key));
        case ExportKind::OverviewSvg:
            return write_file_atomically(file, overview_svg(trace, s.colormap, s.contrast ? OverviewScale::Contrast : OverviewScale::Linear));
        case ExportKind::WeightsCsv:
            return write_file_atomically(file, head_csv(trace, s.layer, s.head, s.field));
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
