// The model overview as an SVG figure (attnscope/view_svg.h): every head's thumbnail, as
// app/gui/workers/thumbnails.cpp pools them for the app. Sections: [SECTION] Maps  [SECTION] Figure
#include <algorithm>
#include <cmath>
#include <sstream>

#include "attnscope/text.h"
#include "attnscope/view_svg.h"
#include "export/svg_writing.h"

namespace attnscope {

namespace {

constexpr const char* kMaskedFill = "#e4e4e4";
constexpr const char* kDim = "#555";
constexpr double kLeft = 48.0;  // the layer labels' column
constexpr double kTop = 84.0;   // title, text and the head labels above the grid

// [SECTION] Maps

// What one head's thumbnail is pooled from: its kept n x n_keys weights (masked where the scores
// are -inf), or its pooled summary (masked above the diagonal in a causal self-attention layer).
struct HeadMap {
    const Matrix* values = nullptr;
    const Matrix* scores = nullptr;  // kept matrices only
    bool causal_pooled = false;      // pooled: cell (a, b) is masked when b > a
    int rows() const { return values ? static_cast<int>(values->rows()) : 0; }
    int cols() const { return values ? static_cast<int>(values->cols()) : 0; }
    bool masked(int i, int j) const {
        if (scores) return scores->size() > 0 && std::isinf((*scores)(i, j)) && (*scores)(i, j) < 0;
        return causal_pooled && j > i;
    }
};

HeadMap head_map(const Trace& trace, int l, int h) {
    const LayerTrace& layer = trace.layers[static_cast<std::size_t>(l)];
    const HeadTrace& head = layer.heads[static_cast<std::size_t>(h)];
    HeadMap m;
    if (head.weights.size() > 0) {
        m.values = &head.weights;
        m.scores = &head.scores;
    } else {
        m.values = &head.summary.pooled;
        m.causal_pooled = layer.causal && !layer.cross;
    }
    return m;
}

// The smallest step (queries and keys per cell) that keeps `n` within kOverviewMaxCells and all
// `heads` thumbnails within kOverviewCellBudget.
int overview_step(int n, int heads) {
    if (n <= 0) return 1;
    int step = (n + kOverviewMaxCells - 1) / kOverviewMaxCells;
    auto cells = [&] { return static_cast<long long>((n + step - 1) / step); };
    while (step < n && cells() * cells() * std::max(1, heads) > kOverviewCellBudget) ++step;
    return step;
}

// One thumbnail's cells in cell units; the group around it scales them to the tile.
void head_cells(std::ostringstream& out, const HeadMap& m, int step, Colormap colormap, OverviewScale scale) {
    const int rows = (m.rows() + step - 1) / step, cols = (m.cols() + step - 1) / step;
    for (int a = 0; a < rows; ++a)
        for (int b = 0; b < cols; ++b) {
            float w = 0.0f;
            bool all_masked = true;  // a cell is masked only when every weight it covers is
            for (int i = a * step; i < std::min(m.rows(), (a + 1) * step); ++i)
                for (int j = b * step; j < std::min(m.cols(), (b + 1) * step); ++j) {
                    w = std::max(w, (*m.values)(i, j));
                    all_masked = all_masked && m.masked(i, j);
                }
            const float t = scale == OverviewScale::Contrast ? std::sqrt(std::max(0.0f, w)) : w;
            out << "<rect x='" << b << "' y='" << a << "' width='1' height='1' fill='"
                << (all_masked ? std::string(kMaskedFill) : svg::rgb_css(colormap_rgb(colormap, t))) << "'/>";
        }
}

// [SECTION] Figure

void legend(std::ostringstream& out, double x, double y, Colormap colormap, OverviewScale scale) {
    const double h = 160, w = 16;
    out << "<defs><linearGradient id='legend' x1='0' y1='1' x2='0' y2='0'>";
    for (int s = 0; s <= 10; ++s)
        out << "<stop offset='" << s / 10.0 << "' stop-color='" << svg::rgb_css(colormap_rgb(colormap, s / 10.0f)) << "'/>";
    out << "</linearGradient></defs>\n<rect x='" << x << "' y='" << y << "' width='" << w << "' height='" << h
        << "' fill='url(#legend)' stroke='#333'/>\n";
    for (int s = 0; s <= 4; ++s) {
        const double t = s / 4.0, ty = y + h * (1.0 - t);
        const double value = scale == OverviewScale::Contrast ? t * t : t;  // the colour at t shows this weight
        out << "<text x='" << x + w + 6 << "' y='" << svg::number(ty + 4, "%.1f") << "' font-size='11'>" << svg::number(value, "%.3g")
            << "</text>\n";
    }
    out << "<text x='" << x << "' y='" << y + h + 18 << "' font-size='12'>weight</text>\n";
    out << "<rect x='" << x << "' y='" << y + h + 28 << "' width='" << w << "' height='" << w << "' fill='" << kMaskedFill
        << "' stroke='#999'/><text x='" << x + w + 6 << "' y='" << y + h + 40 << "' font-size='11'>masked</text>\n";
}

}  // namespace

int overview_cells(int n, int heads) {
    const int step = overview_step(n, heads);
    return (n + step - 1) / step;
}

std::string overview_svg(const Trace& trace, Colormap colormap, OverviewScale scale) {
    const int n_layers = static_cast<int>(trace.layers.size());
    const int n_heads = n_layers > 0 ? static_cast<int>(trace.layers[0].heads.size()) : 0;
    int longest = 0;  // the longest side of any head's map: one step for every thumbnail
    for (int l = 0; l < n_layers; ++l)
        for (int h = 0; h < n_heads; ++h) {
            const HeadMap m = head_map(trace, l, h);
            longest = std::max({longest, m.rows(), m.cols()});
        }
    const int step = overview_step(longest, n_layers * n_heads);
    const double tile = std::clamp(900.0 / std::max(1, n_heads), 36.0, 96.0), gap = std::max(4.0, std::floor(tile * 0.1));
    const double label_font = std::min(12.0, std::max(8.0, tile * 0.3));
    const double grid_w = n_heads * (tile + gap), grid_h = n_layers * (tile + gap);
    const std::string subtitle = cut_for_message(trace.text, 160);
    const double width = std::max({kLeft + grid_w + 110, 620.0, 40 + 7.0 * count_code_points(subtitle)}), height = std::max(kTop + grid_h + 40, kTop + 260);

    std::ostringstream out;
    out << svg::open_svg(width, height);
    out << "<text x='12' y='26' font-size='16' font-weight='bold'>" << svg::xml_text(trace.model.name) << " \u00b7 " << n_layers
        << " layers \u00d7 " << n_heads << " heads \u00b7 attention weights"
        << (scale == OverviewScale::Contrast ? " (colour: square root of the weight)" : "") << "</text>\n";
    out << "<text x='12' y='46' font-size='12' fill='" << kDim << "'>" << svg::xml_text(subtitle) << "</text>\n";
    out << "<g font-size='" << label_font << "' fill='" << kDim << "'>\n";
    for (int h = 0; h < n_heads; ++h)
        out << "<text class='head-label' x='" << svg::number(kLeft + h * (tile + gap) + tile / 2, "%.1f") << "' y='" << kTop - 8
            << "' text-anchor='middle'>H" << h << "</text>\n";
    for (int l = 0; l < n_layers; ++l)
        out << "<text class='layer-label' x='" << kLeft - 8 << "' y='" << svg::number(kTop + l * (tile + gap) + tile / 2 + 4, "%.1f")
            << "' text-anchor='end'>L" << l << "</text>\n";
    out << "</g>\n";
    for (int l = 0; l < n_layers; ++l)
        for (int h = 0; h < n_heads; ++h) {
            const HeadMap m = head_map(trace, l, h);
            const int rows = (m.rows() + step - 1) / step, cols = (m.cols() + step - 1) / step;
            out << "<g class='head' data-layer='" << l << "' data-head='" << h << "' transform='translate("
                << svg::number(kLeft + h * (tile + gap), "%.1f") << "," << svg::number(kTop + l * (tile + gap), "%.1f")
                << ")'><title>layer " << l << ", head " << h << "</title>\n";
            if (rows > 0 && cols > 0) {
                out << "<g shape-rendering='crispEdges' transform='scale(" << svg::number(tile / cols, "%.6g") << ","
                    << svg::number(tile / rows, "%.6g") << ")'>";
                head_cells(out, m, step, colormap, scale);
                out << "</g>\n";
            }
            out << "<rect width='" << svg::number(tile, "%.1f") << "' height='" << svg::number(tile, "%.1f")
                << "' fill='none' stroke='#999' stroke-width='0.5'/></g>\n";
        }
    legend(out, kLeft + grid_w + 16, kTop, colormap, scale);
    out << "<text x='12' y='" << svg::number(height - 14, "%.0f") << "' font-size='11' fill='" << kDim
        << "'>each thumbnail: rows are query tokens, columns key tokens; a cell shows the largest weight it covers</text>\n";
    out << "</svg>\n";
    return out.str();
}

}  // namespace attnscope
