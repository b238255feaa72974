#include "shell/export.h"

#include <cctype>
#include <cstdio>

#include "attnscope/heatmap_export.h"
#include "attnscope/token_labels.h"

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

}  // namespace

std::string export_stem(const std::string& text, int layer, int head, ExportKind kind) {
    std::string stem = "attnscope-" + slug(text);
    if (kind != ExportKind::WindowPng) stem += "-L" + std::to_string(layer) + "H" + std::to_string(head);
    return stem;
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
    std::string out = "query \\ key";
    for (int j = 0; j < trace.n_tokens(); ++j) out += "\t" + table_label(trace, j);
    out += "\n";
    for (int i = 0; i < trace.n_tokens(); ++i) {
        out += table_label(trace, i);
        for (int j = 0; j < trace.n_tokens(); ++j) out += "\t" + cell(w(i, j));
        out += "\n";
    }
    return out;
}

Result<std::filesystem::path> export_head_file(const Trace& trace, int layer, int head, ExportKind kind,
                                               const std::filesystem::path& file) {
    if (kind == ExportKind::WindowPng || kind == ExportKind::CopyWeights) return Error{"not a head file: " + file.string()};
    return export_head(trace, layer, head, file, HeatmapField::Weights);
}

}  // namespace attnscope::gui
