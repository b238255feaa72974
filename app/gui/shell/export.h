// Export for slides and handouts (File -> Export): the window as PNG, the selected head's heatmap,
// the token view and the model overview as SVG, the head's weights as CSV and JSON, and its
// weights table on the clipboard (tab-separated, so it pastes into a spreadsheet or a slide table
// as cells). The menu asks where to save (App::export_view: zenity's save dialog, else the in-app
// browser), suggesting names that say what they show: attnscope-i-took-the-money-L1H0.svg.
// Scripts and --screenshot runs write into the working folder without asking.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "attnscope/colormap.h"
#include "attnscope/heatmap_export.h"
#include "attnscope/result.h"
#include "attnscope/trace.h"

namespace attnscope::gui {

enum class ExportKind { WindowPng, HeatmapSvg, TokenViewSvg, OverviewSvg, WeightsCsv, HeadJson, CopyWeights, Count };

// One entry per kind: file extension (CopyWeights writes no file: ""), menu label, and the name a
// --script `export` step uses.
inline constexpr const char* kExportExtensions[] = {".png", ".svg", ".svg", ".svg", ".csv", ".json", ""};
inline constexpr const char* kExportLabels[] = {"Window as PNG",  "Heatmap as SVG", "Token view as SVG", "Overview as SVG",
                                                "Weights as CSV", "Q, K, V and weights as JSON", "Copy the weights table"};
inline constexpr const char* kExportScriptNames[] = {"png", "svg", "tokens-svg", "overview-svg", "csv", "json", "copy"};
static_assert(sizeof(kExportExtensions) / sizeof(kExportExtensions[0]) == static_cast<int>(ExportKind::Count), "an extension per kind");
static_assert(sizeof(kExportLabels) / sizeof(kExportLabels[0]) == static_cast<int>(ExportKind::Count), "a label per kind");
static_assert(sizeof(kExportScriptNames) / sizeof(kExportScriptNames[0]) == static_cast<int>(ExportKind::Count), "a script name per kind");

inline const char* export_extension(ExportKind kind) { return kExportExtensions[static_cast<int>(kind)]; }
inline bool writes_file(ExportKind kind) { return kind != ExportKind::CopyWeights; }

// What an export shows: the selection and the looks of the views when it was asked for.
struct ExportSubject {
    int layer = 0, head = 0;
    int query = 0;            // the token view's query (-1: every query)
    int key = -1;             // the chosen key, marked in the token view
    Colormap colormap = Colormap::Viridis;
    bool contrast = false;    // the overview's Contrast box: colours by the square root of the weight
    // What the heatmap shows: its SVG and CSV write the same (value-weighted: row shares).
    HeatmapField field = HeatmapField::Weights;
    // An encoder-decoder's whole trace (the decoder's, with source and cross_layers): the JSON of
    // its cross-attention is that trace, filtered to the head. Null otherwise.
    const Trace* whole = nullptr;
};

// "attnscope-i-took-the-money-L1H0": the first words of the text (letters and digits, at most
// 32 characters) and the head; "-tokens" for the token view; the window PNG has no head part and
// the overview ends in "-overview". `stack` ("cross"; an encoder-decoder's kind of attention)
// comes before the head: "attnscope-w5-w6-cross-L1H0".
std::string export_stem(const std::string& text, int layer, int head, ExportKind kind, std::string_view stack = {});

// dir/stem + extension; when that file exists, stem-2, stem-3, ... so an export never overwrites one.
std::filesystem::path unused_export_path(const std::filesystem::path& dir, const std::string& stem, ExportKind kind);

// The weights of one head as a table: a header row of key tokens, then one row per query token.
// Cells are tab-separated with 3 decimals; masked cells are 0.000 like their weight. The keys of
// cross-attention are the source's tokens.
std::string weights_table_tsv(const Trace& trace, int layer, int head);

// `file` with the kind's extension added when it does not end in it (any case): "notes" and
// "notes.txt" become "notes.svg" and "notes.txt.svg", so a figure always opens as what it is.
std::filesystem::path with_export_extension(const std::filesystem::path& file, ExportKind kind);

// Writes one of the figures or tables (not the PNG, which needs the frame; not the clipboard)
// atomically: a failed export never leaves half a file. The format follows the kind, not the
// file's extension.
Result<std::filesystem::path> write_export(const Trace& trace, ExportKind kind, const ExportSubject& subject,
                                           const std::filesystem::path& file);

// write_export of one head's heatmap SVG, CSV or JSON.
Result<std::filesystem::path> export_head_file(const Trace& trace, int layer, int head, ExportKind kind,
                                               const std::filesystem::path& file);

}  // namespace attnscope::gui
