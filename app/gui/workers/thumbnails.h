// The model overview's thumbnails as one texture atlas (weights, or value-weighted shares): a tile per head (rows = layers, columns =
// heads), plus a column of each layer's average over its heads and a row of each head index's
// average over layers. Built on the worker thread (CPU only); the panel uploads it once per trace.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "attnscope/attribution.h"
#include "attnscope/head_stats.h"
#include "attnscope/trace.h"

namespace attnscope::gui {

struct UvRect {
    float u0 = 0, v0 = 0, u1 = 0, v1 = 0;
};

struct ThumbnailAtlas {
    std::uint64_t trace_id = 0;
    int rows = 0, cols = 0;      // tiles: n_layers + 1, n_heads + 1 (the last of each are averages)
    // Texels per tile: n tokens, max-pooled down to kMaxTile. A cross-attention tile has as many
    // columns as the source has tokens (pooled alike), drawn into the same square.
    int tile = 0;                // rows (queries)
    int tile_cols = 0;           // columns (keys): `tile` for self-attention
    int width = 0, height = 0;   // texels
    std::vector<std::uint8_t> texels;  // RG8, row-major: r = weight * 255, g = 255 for a masked cell

    static constexpr int kMaxTile = 64;
    static constexpr int kPad = 1;  // texels around each tile, so linear filtering never bleeds

    // Long sentences are drawn with linear filtering (a 64-texel tile in 30 pixels would lose
    // thin lines to nearest sampling); short ones with sharp cells.
    bool smooth() const { return std::max(tile, tile_cols) > 16; }

    // UVs of the tile for layer `row` (== rows - 1: the average over layers) and head `col`.
    UvRect tile_uv(int row, int col) const;
};

ThumbnailAtlas build_thumbnail_atlas(const Trace& trace, const HeadStats& stats);

// The same atlas of value-weighted shares (the overview's switch): a tile per head, and in the
// last column each layer's heads summed (ValueWeightedAttention::layer_shares), not their mean.
ThumbnailAtlas build_value_weighted_atlas(const Trace& trace, const ValueWeightedAttention& vw);

}  // namespace attnscope::gui
