// One head's attention as files for slides and handouts: CSV, JSON and an SVG heatmap with
// token labels and a colour legend.
#pragma once

#include <filesystem>
#include <string>

#include "attnscope/colormap.h"
#include "attnscope/result.h"
#include "attnscope/trace.h"

namespace attnscope {

enum class HeatmapField { Weights, Scores };

// Rows = query tokens, columns = key tokens, with a header row and column of token labels.
// Masked scores are written as -inf.
std::string head_csv(const Trace& trace, int layer, int head, HeatmapField field);

std::string head_svg(const Trace& trace, int layer, int head, HeatmapField field, Colormap colormap = Colormap::Viridis);

// Longest texts one head is exported for: an SVG draws n^2 cells (60 MB at 1,024 tokens), a CSV
// or the JSON of one head writes n^2 numbers twice over (about 200 MB at 4,096).
inline constexpr int kMaxSvgExportTokens = 1024;
inline constexpr int kMaxTableExportTokens = 4096;

// Chooses the format by the extension (.svg, .csv, .json) and writes the file atomically (a
// temporary file renamed over the target), so a failed export never leaves half a file. A text
// longer than the format's limit above is refused with a message naming it.
Result<std::filesystem::path> export_head(const Trace& trace, int layer, int head, const std::filesystem::path& out,
                                          HeatmapField field = HeatmapField::Weights);

}  // namespace attnscope
