// One head's attention as files for slides and handouts: CSV, JSON and an SVG heatmap with
// token labels and a colour legend.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "attnscope/colormap.h"
#include "attnscope/result.h"
#include "attnscope/trace.h"

namespace attnscope {

// What a head's cells show. ValueWeighted: Kobayashi et al. (2020)'s norms ||A_ij f(x_j)||
// (attribution.h), each row divided by its sum so it reads as shares comparable with the weights;
// ValueWeightedLayer: the layer's heads' norms summed first, then shared out the same way.
enum class HeatmapField { Weights, Scores, ValueWeighted, ValueWeightedLayer, Count };

// "weights", "scores", "value-weighted", "value-weighted-layer": the names --field and the
// screenshot report use.
const char* heatmap_field_name(HeatmapField f);
std::optional<HeatmapField> heatmap_field_from_name(std::string_view name);
inline bool is_value_weighted(HeatmapField f) { return f == HeatmapField::ValueWeighted || f == HeatmapField::ValueWeightedLayer; }

// Why `field` cannot be drawn for this trace (the value-weighted ones need the model's W_O:
// value_weighted_refusal), or nothing.
std::optional<std::string> heatmap_field_refusal(const Trace& trace, HeatmapField field);

// Rows = query tokens, columns = key tokens, with a header row and column of token labels.
// Masked scores are written as -inf. A value-weighted field needs heatmap_field_refusal to be
// empty (the trace's model gives W_O). A cross-attention layer (a cross_attention_trace's) is
// n x n_keys: rows the target's tokens, columns the source's (key_labels), the corner
// "target\source".
std::string head_csv(const Trace& trace, int layer, int head, HeatmapField field);

// The same as a heatmap: a cell per query and key, row labels left, column labels above, a
// legend. Cross-attention's figure names itself so and shows both texts, source -> target.
std::string head_svg(const Trace& trace, int layer, int head, HeatmapField field, Colormap colormap = Colormap::Viridis);

// Longest texts one head is exported for: an SVG draws n x n_keys cells (60 MB at 1,024 tokens
// each way), a CSV or the JSON of one head writes as many numbers twice over (about 200 MB at
// 4,096). The longer of the queries and the keys is held to the limit.
inline constexpr int kMaxSvgExportTokens = 1024;
inline constexpr int kMaxTableExportTokens = 4096;

// Chooses the format by the extension (.svg, .csv, .json) and writes the file atomically (a
// temporary file renamed over the target), so a failed export never leaves half a file. A text
// longer than the format's limit above is refused with a message naming it.
Result<std::filesystem::path> export_head(const Trace& trace, int layer, int head, const std::filesystem::path& out,
                                          HeatmapField field = HeatmapField::Weights);

}  // namespace attnscope
