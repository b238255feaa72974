// Export for slides and handouts (File -> Export): the window as PNG, the selected head's heatmap
// as SVG, its weights as CSV and JSON, and its weights table on the clipboard (tab-separated, so
// it pastes into a spreadsheet or a slide table as cells). Files go into the working folder under
// names that say what they show: attnscope-i-took-the-money-L1H0.svg.
#pragma once

#include <filesystem>
#include <string>

#include "attnscope/result.h"
#include "attnscope/trace.h"

namespace attnscope::gui {

enum class ExportKind { WindowPng, HeatmapSvg, WeightsCsv, HeadJson, CopyWeights, Count };

// File extensions and menu labels, one per kind (CopyWeights writes no file: "").
inline constexpr const char* kExportExtensions[] = {".png", ".svg", ".csv", ".json", ""};
inline constexpr const char* kExportLabels[] = {"Window as PNG", "Heatmap as SVG", "Weights as CSV", "Q, K, V and weights as JSON",
                                                "Copy the weights table"};
static_assert(sizeof(kExportExtensions) / sizeof(kExportExtensions[0]) == static_cast<int>(ExportKind::Count), "an extension per kind");
static_assert(sizeof(kExportLabels) / sizeof(kExportLabels[0]) == static_cast<int>(ExportKind::Count), "a label per kind");

// "attnscope-i-took-the-money-L1H0": the first words of the text (letters and digits, at most
// 32 characters) and the head; the window PNG has no head part.
std::string export_stem(const std::string& text, int layer, int head, ExportKind kind);

// dir/stem + extension; when that file exists, stem-2, stem-3, ... so an export never overwrites one.
std::filesystem::path unused_export_path(const std::filesystem::path& dir, const std::string& stem, ExportKind kind);

// The weights of one head as a table: a header row of key tokens, then one row per query token.
// Cells are tab-separated with 3 decimals; masked cells are 0.000 like their weight.
std::string weights_table_tsv(const Trace& trace, int layer, int head);

// Writes the SVG, CSV or JSON of one head (not the PNG, which needs the frame; not the clipboard).
Result<std::filesystem::path> export_head_file(const Trace& trace, int layer, int head, ExportKind kind,
                                               const std::filesystem::path& file);

}  // namespace attnscope::gui
