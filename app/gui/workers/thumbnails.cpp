#include "workers/thumbnails.h"

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

// Masks come from the scores (-inf), not the weights: a weight can underflow to 0 without masking.
// A long trace's pooled maps: a cell is masked when every key it covers comes after every query
// (causal), i.e. the cells above the diagonal. Cross-attention masks nothing.
Matrix mask_of(const Trace& trace, bool pooled, int rows, int cols) {
    Matrix m = Matrix::Zero(rows, cols);
    if (trace.layers.empty() || trace.layers[0].heads.empty()) return m;
    if (pooled) {
        if (trace.layers[0].causal && !trace.layers[0].cross)
            for (int a = 0; a < rows; ++a)
                for (int b = a + 1; b < cols; ++b) m(a, b) = 1.0f;
        return m;
    }
    const Matrix& s = trace.head(0, 0).scores;
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
            if (std::isinf(s(i, j)) && s(i, j) < 0) m(i, j) = 1.0f;
    return m;
}

// Writes one tile: `weights` (rows x cols) max-pooled by `step` into tile x tile_cols texels at
// (x0, y0). Max pooling keeps a single strong weight visible in a long sentence's thumbnail.
void write_tile(ThumbnailAtlas& a, int x0, int y0, const Matrix& weights, const Matrix& mask, int step) {
    const int n = static_cast<int>(weights.rows()), n_keys = static_cast<int>(weights.cols());
    for (int ty = 0; ty < a.tile; ++ty)
        for (int tx = 0; tx < a.tile_cols; ++tx) {
            float w = 0.0f;
            bool all_masked = true;
            for (int i = ty * step; i < std::min(n, (ty + 1) * step); ++i)
                for (int j = tx * step; j < std::min(n_keys, (tx + 1) * step); ++j) {
                    w = std::max(w, weights(i, j));
                    all_masked = all_masked && mask(i, j) > 0.5f;
                }
            std::uint8_t* t = &a.texels[2 * (static_cast<std::size_t>(y0 + ty) * a.width + x0 + tx)];
            t[0] = static_cast<std::uint8_t>(std::lround(std::clamp(w, 0.0f, 1.0f) * 255.0f));
            t[1] = all_masked ? 255 : 0;
        }
}

const Matrix& tile_weights(const Trace& trace, const HeadStats& stats, int row, int col) {
    const int L = stats.n_layers, H = stats.n_heads;
    if (row < L && col < H) return stats.averages_pooled ? trace.head(row, col).summary.pooled : trace.head(row, col).weights;
    if (row < L) return stats.mean_over_heads[row];
    if (col < H) return stats.mean_over_layers[col];
    return stats.mean_over_all;
}

}  // namespace

UvRect ThumbnailAtlas::tile_uv(int row, int col) const {
    const float stride_x = static_cast<float>(tile_cols + 2 * kPad), stride_y = static_cast<float>(tile + 2 * kPad);
    // Smooth (linear) tiles start half a texel in, so filtering never reaches the padding.
    const float inset = smooth() ? 0.5f : 0.0f;
    const float x = col * stride_x + kPad + inset, y = row * stride_y + kPad + inset;
    const float w = tile_cols - 2.0f * inset, h = tile - 2.0f * inset;
    return {x / width, y / height, (x + w) / width, (y + h) / height};
}

namespace {

// The atlas of n x n_keys tiles, `tile_of(row, col)` giving each (rows: layers and their average,
// columns: heads and their average). `pooled`: the matrices are the summaries' 32-token cells.
template <class TileOf>
ThumbnailAtlas build_atlas(const Trace& trace, int n_layers, int n_heads, int n, int n_keys, bool pooled, TileOf tile_of) {
    ThumbnailAtlas a;
    a.trace_id = trace.id;
    a.rows = n_layers + 1;
    a.cols = n_heads + 1;
    if (n == 0 || n_keys == 0 || n_layers == 0) return a;
    const int step = (std::max(n, n_keys) + ThumbnailAtlas::kMaxTile - 1) / ThumbnailAtlas::kMaxTile;
    a.tile = (n + step - 1) / step;
    a.tile_cols = (n_keys + step - 1) / step;
    const int stride_x = a.tile_cols + 2 * ThumbnailAtlas::kPad, stride_y = a.tile + 2 * ThumbnailAtlas::kPad;
    a.width = a.cols * stride_x;
    a.height = a.rows * stride_y;
    a.texels.assign(2 * static_cast<std::size_t>(a.width) * a.height, 0);
    const Matrix mask = mask_of(trace, pooled, n, n_keys);
    for (int r = 0; r < a.rows; ++r)
        for (int c = 0; c < a.cols; ++c)
            write_tile(a, c * stride_x + ThumbnailAtlas::kPad, r * stride_y + ThumbnailAtlas::kPad, tile_of(r, c), mask, step);
    return a;
}

}  // namespace

ThumbnailAtlas build_thumbnail_atlas(const Trace& trace, const HeadStats& stats) {
    // A long trace's tiles come from its heads' pooled maps (as its averages do): one texel per
    // 32 tokens before the tile's own pooling. Rows are queries, columns keys (the source's
    // tokens for cross-attention).
    const int n = static_cast<int>(stats.mean_over_all.rows()), n_keys = static_cast<int>(stats.mean_over_all.cols());
    return build_atlas(trace, stats.n_layers, stats.n_heads, n, n_keys, stats.averages_pooled,
                       [&](int r, int c) -> const Matrix& { return tile_weights(trace, stats, r, c); });
}

// The overview never draws the row of averages over layers (heads of one index share nothing):
// it stays empty here.
ThumbnailAtlas build_value_weighted_atlas(const Trace& trace, const ValueWeightedAttention& vw) {
    const Matrix none = Matrix::Zero(trace.n_tokens(), vw.n_layers > 0 ? trace.n_keys(0) : 0);
    return build_atlas(trace, vw.n_layers, vw.n_heads, trace.n_tokens(), static_cast<int>(none.cols()), false,
                       [&](int r, int c) -> const Matrix& {
                           if (r >= vw.n_layers) return none;
                           return vw.shown(r, c, c >= vw.n_heads);  // the last column: the layer's heads summed
                       });
}

}  // namespace attnscope::gui
