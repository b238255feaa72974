// Sections: [SECTION] Panel  [SECTION] Toolbar  [SECTION] Caches  [SECTION] Grid  [SECTION] Tiles
//           [SECTION] Top list
#include "panels/model_overview_panel.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>

#include "attnscope/token_labels.h"
#include "panels/heatmap_panel.h"  // value_weighted_of, value_weighted_missing
#include "widgets/draw_util.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

constexpr const char* kRankNames[] = {"weight query \xE2\x86\x92 key", "entropy (focused first)", "previous token",
                                      "same token", "first token"};
static_assert(std::size(kRankNames) == static_cast<std::size_t>(RankBy::Count), "name every ranking");

HeadMetric metric_of(RankBy by) {
    switch (by) {
        case RankBy::Entropy: return HeadMetric::Entropy;
        case RankBy::Previous: return HeadMetric::Previous;
        case RankBy::Same: return HeadMetric::Same;
        default: return HeadMetric::First;
    }
}

}  // namespace

const char* rank_by_name(RankBy by) { return kRankNames[static_cast<int>(by)]; }

// [SECTION] Panel

std::string ModelOverviewPanel::caption(const FrameContext& frame) const {
    if (!frame.trace) return "Model overview";
    // An encoder-decoder's overview is of one block: the one the switch shows.
    const std::string kind = frame.stack ? std::string(stack_name(*frame.stack)) + " \xC2\xB7 " : "";
    const char* field = shown_value_weighted(frame) ? " \xC2\xB7 value-weighted" : "";  // short: the side view is narrow
    return format("Model overview \xC2\xB7 %s%d layers \xC3\x97 %d heads%s", kind.c_str(), static_cast<int>(frame.trace->layers.size()),
                  frame.trace->model.n_heads, field);
}

void ModelOverviewPanel::draw_content(const FrameContext& frame) {
    if (!frame.bundle) {
        draw_centered_message(frame.state.loading ? "Loading the model\xE2\x80\xA6" : "Type a sentence above to see its attention.",
                              frame.theme.text_dim, frame.state.loading || frame.state.trace.busy);
        return;
    }
    refresh_atlas(frame);
    draw_toolbar(frame);
    refresh_ranking(frame);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float list_h = list_height(), list_w = list_width();
    const Grid under = layout(frame, avail.x, avail.y - list_h);
    const Grid beside = layout(frame, avail.x - list_w, avail.y);
    // The top-five list goes beside the grid when that leaves the tiles clearly bigger (a wide
    // window with large type, as on a projector); otherwise under it.
    if (beside.step() > under.step() * 1.2f) {
        ImGui::BeginGroup();
        draw_header(frame, beside);
        draw_grid(frame, beside, ImVec2(avail.x - list_w, 0));
        ImGui::EndGroup();
        ImGui::SameLine();
        ImGui::BeginChild("top_beside", ImVec2(0, 0), false);
        draw_top_list(frame, true);
        ImGui::EndChild();
        return;
    }
    draw_header(frame, under);
    draw_grid(frame, under, ImVec2(0, -list_h));
    draw_top_list(frame, false);
}

// The top-five list under the grid: a title line, a row of buttons and room for its scrollbar.
float ModelOverviewPanel::list_height() const {
    const ImGuiStyle& st = ImGui::GetStyle();
    return ImGui::GetTextLineHeightWithSpacing() + ImGui::GetFrameHeightWithSpacing() + st.ScrollbarSize + st.ItemSpacing.y;
}

// The top-five list beside the grid: one button per line, wide enough for "5. L31 H31 0.00".
float ModelOverviewPanel::list_width() const {
    const ImGuiStyle& st = ImGui::GetStyle();
    return ImGui::CalcTextSize("5. L00 H00 0.00").x + st.FramePadding.x * 2 + st.ItemSpacing.x + st.ScrollbarSize;
}

// [SECTION] Toolbar

void ModelOverviewPanel::draw_toolbar(const FrameContext& frame) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Rank by");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(std::min(ImGui::GetContentRegionAvail().x, ImGui::CalcTextSize(kRankNames[0]).x + ImGui::GetFrameHeight() * 2));
    if (ImGui::BeginCombo("##rank", rank_by_name(m_by))) {
        for (int b = 0; b < static_cast<int>(RankBy::Count); ++b)
            if (ImGui::Selectable(kRankNames[b], m_by == static_cast<RankBy>(b))) m_by = static_cast<RankBy>(b);
        ImGui::EndCombo();
    }
    if (m_by == RankBy::KeyWeight) {
        draw_key_choice(frame);
    } else {
        int scope = m_whole_text ? 1 : 0;
        ImGui::RadioButton(format("for \"%s\"", row_label(*frame.trace, frame.selection.query).c_str()).c_str(), &scope, 0);
        same_line_if_fits(ImGui::CalcTextSize("all tokens").x + ImGui::GetFrameHeight() * 1.5f);
        ImGui::RadioButton("all tokens", &scope, 1);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("the metric averaged over every query token");
        m_whole_text = scope == 1;
    }
    draw_value_weighted_choice(frame);
    same_line_if_fits(ImGui::CalcTextSize("Fade").x + ImGui::GetFrameHeight() * 1.5f);
    ImGui::Checkbox("Fade", &m_fade);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("fade the heads that rank low");
    same_line_if_fits(ImGui::CalcTextSize("Contrast").x + ImGui::GetFrameHeight() * 1.5f);
    ImGui::Checkbox("Contrast", &m_contrast);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("colour by the square root of the weight, so weights of 0.01-0.2 show\n(most heads of a real model spread their weight thinly)");
}

// The heatmap's switch, here too: the tiles show value-weighted shares while it is on. A text
// too long for them (or a model without W_O) says so in one line; the tiles stay the weights.
void ModelOverviewPanel::draw_value_weighted_choice(const FrameContext& frame) {
    const char* label = "Weights \xC3\x97 |value|";
    same_line_if_fits(ImGui::CalcTextSize(label).x + ImGui::GetFrameHeight() * 1.5f);
    const std::string disabled = value_weighted_disabled(frame);
    bool on = is_value_weighted(frame.state.field);
    ImGui::BeginDisabled(!disabled.empty());
    if (ImGui::Checkbox(label, &on)) frame.actions.set_field(on ? HeatmapField::ValueWeighted : HeatmapField::Weights);
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("%s", !disabled.empty() ? disabled.c_str()
                                : "each tile: the head's value-weighted attention \xE2\x80\x96\xCE\xB1_ij \xC2\xB7 f(x_j)\xE2\x80\x96 (Kobayashi et al. 2020),\n"
                                  "how much of each token reaches the query's output through the head, each row as shares;\n"
                                  "the last column: the layer's heads summed");
    if (!is_value_weighted(frame.state.field) || shown_value_weighted(frame)) return;
    const std::string why = value_weighted_missing(frame);
    colored_wrapped_text(frame.theme.text_dim, why.empty() ? "weighing the heads by their values\xE2\x80\xA6" : why + " (tiles: weights)");
}

// "query bank -> key [money]": the key token comes from the selection; the combo changes it.
void ModelOverviewPanel::draw_key_choice(const FrameContext& frame) {
    const Trace& t = *frame.trace;
    const Trace& keys = keys_of(t);  // the source's tokens for cross-attention
    ImGui::AlignTextToFramePadding();
    ImGui::Text("\"%s\" \xE2\x86\x92", row_label(t, frame.selection.query).c_str());
    ImGui::SameLine();
    const std::string current = frame.selection.key >= 0 ? format("%d %s", frame.selection.key, token_label(keys, frame.selection.key).c_str())
                                                         : std::string("choose\xE2\x80\xA6");
    ImGui::SetNextItemWidth(std::max(ImGui::GetFontSize() * 6, ImGui::CalcTextSize(current.c_str()).x + ImGui::GetFrameHeight() * 2));
    if (ImGui::BeginCombo("##key", current.c_str())) {
        for (int j = 0; j < keys.n_tokens(); ++j)
            if (ImGui::Selectable(format("%d %s", j, token_label(keys, j).c_str()).c_str(), j == frame.selection.key))
                frame.selection.key = j;
        ImGui::EndCombo();
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the key token: heads are ranked by the weight from the query token to it\n(also: right-click a token chip, or click a heatmap cell)");
}

// [SECTION] Caches

const ValueWeightedAttention* ModelOverviewPanel::shown_value_weighted(const FrameContext& frame) {
    return is_value_weighted(frame.state.field) ? value_weighted_of(frame) : nullptr;
}

void ModelOverviewPanel::refresh_atlas(const FrameContext& frame) {
    const TraceBundle& bundle = *frame.bundle;
    const bool value_weighted = shown_value_weighted(frame) && bundle.value_weighted_thumbnails;
    if (m_atlas_for == bundle.id() && m_atlas_value_weighted == value_weighted && m_atlas.valid()) return;
    const ThumbnailAtlas& a = value_weighted ? *bundle.value_weighted_thumbnails : *bundle.thumbnails;
    if (a.width == 0) return;
    m_atlas.upload_rg8(a.width, a.height, a.texels.data(), a.smooth() ? Filter::Linear : Filter::Nearest);
    m_atlas_for = bundle.id();
    m_atlas_value_weighted = value_weighted;
}

float ModelOverviewPanel::head_value(const FrameContext& frame, int l, int h) const {
    const int q = frame.selection.query;
    if (m_by == RankBy::KeyWeight) {
        if (const ValueWeightedAttention* vw = shown_value_weighted(frame)) return vw->shown(l, h, false)(q, frame.selection.key);
        const float* row = frame.attention.weight_row(l, h, q);
        return row ? row[frame.selection.key] : 0.0f;
    }
    const HeadStat& s = frame.bundle->stats->head(l, h);
    return m_whole_text ? s.average(metric_of(m_by)) : s.row(metric_of(m_by), q);
}

// Rebuilt only when the trace, the ranking or the tokens it depends on change.
void ModelOverviewPanel::refresh_ranking(const FrameContext& frame) {
    const RankingKey key{frame.trace->id, m_by, m_whole_text, frame.selection.query, frame.selection.key, shown_value_weighted(frame) != nullptr};
    if (key == m_ranking.key) return;
    Ranking r;
    r.key = key;
    // Ranking by the key's weight reads the query's row in every head: a long trace's comes from
    // the attention fetcher, and the ranking waits for it (not cached until then).
    if (m_by == RankBy::KeyWeight && frame.selection.key >= 0 && !frame.attention.weight_row(0, 0, frame.selection.query)) {
        m_ranking = Ranking{};  // no key: asked again next frame
        return;
    }
    r.valid = m_by != RankBy::KeyWeight || frame.selection.key >= 0;
    const HeadStats& st = *frame.bundle->stats;
    if (r.valid) {
        for (int l = 0; l < st.n_layers; ++l)
            for (int h = 0; h < st.n_heads; ++h) r.value.push_back(head_value(frame, l, h));
        r.order = rank_heads(r.value, m_by == RankBy::Entropy ? Better::Lower : Better::Higher);  // low entropy = a focused head
        r.rank.resize(r.value.size());
        for (std::size_t k = 0; k < r.order.size(); ++k) r.rank[static_cast<std::size_t>(r.order[k])] = static_cast<int>(k);
        r.n_heads = st.n_heads;
        const auto [lo, hi] = std::minmax_element(r.value.begin(), r.value.end());
        r.lo = r.value.empty() ? 0 : *lo;
        r.hi = r.value.empty() ? 0 : *hi;
    }
    m_ranking = std::move(r);
}

// Heads that rank low fade, so the eye goes to the ones that do the thing.
float ModelOverviewPanel::tile_alpha(int l, int h) const {
    const Ranking& r = m_ranking;
    if (!m_fade || !r.valid || r.hi <= r.lo) return 1.0f;
    float t = (r.value[static_cast<std::size_t>(l * r.n_heads + h)] - r.lo) / (r.hi - r.lo);
    if (m_by == RankBy::Entropy) t = 1.0f - t;
    return 0.3f + 0.7f * t;
}

// A numbered frame says "this head does it"; a weight of 0.01 in fifth place does not.
bool ModelOverviewPanel::worth_framing(int l, int h) const {
    const float v = m_ranking.value[static_cast<std::size_t>(l * m_ranking.n_heads + h)];
    return m_by == RankBy::Entropy || v >= 0.05f;
}

// [SECTION] Grid

ModelOverviewPanel::Grid ModelOverviewPanel::layout(const FrameContext& frame, float width, float height) const {
    Grid g;
    const HeadStats& st = *frame.bundle->stats;
    g.rows = st.n_layers;  // no row averaging head k over the layers: heads of one index share nothing
    g.cols = st.n_heads + 1;
    g.label_w = ImGui::CalcTextSize("L00 ").x;
    const float header_h = ImGui::GetTextLineHeightWithSpacing();
    const float avg_gap = ImGui::GetFontSize() * 0.4f;  // sets the averages apart from the heads
    const float fit_w = (width - g.label_w - avg_gap - ImGui::GetStyle().ScrollbarSize) / g.cols;
    const float fit_h = (height - header_h) / g.rows;
    const float step = std::clamp(std::min(fit_w, fit_h), 12.0f, ImGui::GetFontSize() * 9.0f);
    g.gap = std::max(2.0f, std::floor(step * 0.08f));
    g.tile = step - g.gap;
    g.origin = ImVec2(ImGui::GetCursorScreenPos().x + g.label_w, 0.0f);  // y is set per row
    return g;
}

// Head numbers above the columns; stays put while the rows scroll.
void ModelOverviewPanel::draw_header(const FrameContext& frame, const Grid& g) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float avg_gap = ImGui::GetFontSize() * 0.4f;
    const float label_w = ImGui::CalcTextSize("H00").x * 1.2f;
    const int every = std::max(1, static_cast<int>(std::ceil(label_w / g.step())));  // labels never touch
    for (int c = 0; c < g.cols; ++c) {
        const bool average = c == g.cols - 1;
        const bool near_average = (g.cols - 1 - c) * g.step() < label_w;
        if (!average && (c % every != 0 || near_average) && c != frame.selection.head) continue;
        const std::string label = !average ? format("H%d", c) : m_atlas_value_weighted ? "sum" : "avg";
        const float x = g.origin.x + c * g.step() + (average ? avg_gap : 0.0f) + g.tile * 0.5f;
        const ImU32 color = c == frame.selection.head ? frame.theme.highlight : frame.theme.text_dim;
        dl->AddText(ImVec2(x - ImGui::CalcTextSize(label.c_str()).x * 0.5f, p.y), color, label.c_str());
    }
    ImGui::Dummy(ImVec2(1, ImGui::GetTextLineHeight()));
}

void ModelOverviewPanel::draw_grid(const FrameContext& frame, Grid g, ImVec2 size) {
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0, 0));  // the clipper needs rows of exactly one step
    const bool open = ImGui::BeginChild("grid", size, false);
    if (open) {
        const float avg_gap = ImGui::GetFontSize() * 0.4f;
        std::vector<int> rows;
        std::vector<float> ys;
        ImGuiListClipper clipper;  // a 32-layer model draws only the rows on screen
        clipper.Begin(g.rows, g.step());
        while (clipper.Step())
            for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) {
                rows.push_back(r);
                ys.push_back(ImGui::GetCursorScreenPos().y);
                ImGui::Dummy(ImVec2(g.label_w + g.cols * g.step() + avg_gap, g.step()));
            }
        clipper.End();
        draw_tiles(frame, g, rows, ys);
        for (std::size_t k = 0; k < rows.size(); ++k) {
            draw_tile_marks(frame, g, rows[k], ys[k]);
            handle_tile_input(frame, g, rows[k], ys[k]);
        }
        if (!rows.empty())
            frame.actions.report_region("overview", ImVec2(g.origin.x, ys.front()),
                                        ImVec2(g.origin.x + g.cols * g.step() + avg_gap, ys.back() + g.step()));
    }
    ImGui::EndChild();
    ImGui::PopStyleVar();
}

// [SECTION] Tiles

// All visible tiles in one colormap pass: images only between begin() and end().
void ModelOverviewPanel::draw_tiles(const FrameContext& frame, const Grid& g, const std::vector<int>& rows,
                                    const std::vector<float>& ys) {
    const ThumbnailAtlas& atlas = *frame.bundle->thumbnails;
    if (!m_atlas.valid()) return;
    m_params.lo = 0.0f;
    m_params.hi = 1.0f;  // weights, on the same scale as the heatmap's
    m_params.colormap = frame.state.settings.colormap;
    m_params.mask_a = frame.theme.mask_a;
    m_params.mask_b = frame.theme.mask_b;
    m_params.grid = ImVec4(0, 0, 0, 0);
    m_params.gamma = m_contrast ? 0.5f : 1.0f;
    const float avg_gap = ImGui::GetFontSize() * 0.4f;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    frame.shader.begin(dl, &m_params);
    for (std::size_t k = 0; k < rows.size(); ++k)
        for (int c = 0; c < g.cols; ++c) {
            const int r = rows[k];
            const bool average = c == g.cols - 1;  // the layer's mean over its heads
            const float x = g.origin.x + c * g.step() + (c == g.cols - 1 ? avg_gap : 0.0f);
            const UvRect uv = atlas.tile_uv(r, c);
            const float alpha = average ? 1.0f : tile_alpha(r, c);
            dl->AddImage(m_atlas.imgui_id(), ImVec2(x, ys[k]), ImVec2(x + g.tile, ys[k] + g.tile), ImVec2(uv.u0, uv.v0),
                         ImVec2(uv.u1, uv.v1), IM_COL32(255, 255, 255, static_cast<int>(alpha * 255)));
        }
    ColormapShader::end(dl);
}

// Row label, the selected head's frame, and the numbered frames of the best five.
void ModelOverviewPanel::draw_tile_marks(const FrameContext& frame, const Grid& g, int row, float y) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Theme& th = frame.theme;
    const int every = std::max(1, static_cast<int>(std::ceil(ImGui::GetTextLineHeight() / g.step())));
    if (row % every == 0 || row == frame.selection.layer) {
        const std::string label = format("L%d", row);
        const ImU32 label_color = row == frame.selection.layer ? th.highlight : th.text_dim;
        dl->AddText(ImVec2(g.origin.x - g.label_w, y + (g.tile - ImGui::GetTextLineHeight()) * 0.5f), label_color, label.c_str());
    }
    const float small = std::min(ImGui::GetFontSize(), std::max(10.0f, g.tile * 0.45f));
    for (int c = 0; c < g.cols - 1; ++c) {
        const ImVec2 a(g.origin.x + c * g.step(), y), b(a.x + g.tile, y + g.tile);
        const int rank = m_ranking.valid ? m_ranking.rank[static_cast<std::size_t>(row * m_ranking.n_heads + c)] : kTop;
        if (rank < kTop && worth_framing(row, c)) {
            dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), th.chip_key, 0, 0, 2.0f * th.stroke);
            const std::string n = std::to_string(rank + 1);
            const ImVec2 ts = ImGui::GetFont()->CalcTextSizeA(small, 1e9f, 0.0f, n.c_str());
            dl->AddRectFilled(a, ImVec2(a.x + ts.x + 4, a.y + ts.y + 2), th.chip_key);
            dl->AddText(nullptr, small, ImVec2(a.x + 2, a.y + 1), readable_text_on(th.chip_key), n.c_str());
        }
        draw_tile_value(frame, a, g.tile, row, c);
        if (row == frame.selection.layer && c == frame.selection.head)
            dl->AddRect(ImVec2(a.x - 3, a.y - 3), ImVec2(b.x + 3, b.y + 3), th.highlight, 0, 0, 3.0f * th.stroke);
    }
}

// The ranked value in the tile's lower right corner ("0.97"), on a dark or light plate so it reads
// over any colour; only where a tile is wide enough for it in readable type.
void ModelOverviewPanel::draw_tile_value(const FrameContext& frame, ImVec2 tile_min, float tile, int row, int col) const {
    if (!m_ranking.valid) return;
    const float size = std::min(ImGui::GetFontSize() * 0.8f, tile * 0.3f);
    if (size < smallest_text_px()) return;
    const float v = m_ranking.value[static_cast<std::size_t>(row * m_ranking.n_heads + col)];
    const std::string text = format(std::fabs(v) < 10 ? "%.2f" : "%.1f", v);
    const ImVec2 ts = ImGui::GetFont()->CalcTextSizeA(size, 1e9f, 0.0f, text.c_str());
    if (ts.x + 4 > tile) return;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 at(tile_min.x + tile - ts.x - 2, tile_min.y + tile - ts.y - 1);
    dl->AddRectFilled(ImVec2(at.x - 2, at.y), ImVec2(tile_min.x + tile, tile_min.y + tile), (frame.theme.background & 0x00FFFFFFu) | 0xC0000000u);  // the background, 75% opaque
    dl->AddText(nullptr, size, at, frame.theme.text, text.c_str());
}

void ModelOverviewPanel::handle_tile_input(const FrameContext& frame, const Grid& g, int row, float y) {
    if (!ImGui::IsWindowHovered()) return;
    const ImVec2 m = ImGui::GetIO().MousePos;
    if (m.y < y || m.y >= y + g.tile || m.x < g.origin.x) return;
    const int c = static_cast<int>((m.x - g.origin.x) / g.step());
    if (c >= g.cols - 1 || m.x >= g.origin.x + c * g.step() + g.tile) return;  // the average column: no head
    draw_tile_tooltip(frame, row, c);
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
        frame.selection.layer = row;
        frame.selection.head = c;
    }
    if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) frame.actions.show_view(ViewId::Heatmap);
}

void ModelOverviewPanel::draw_tile_tooltip(const FrameContext& frame, int l, int h) {
    const HeadStat& s = frame.bundle->stats->head(l, h);
    const int q = frame.selection.query;
    ImGui::BeginTooltip();
    ImGui::Text("layer %d, head %d", l, h);
    ImGui::Separator();
    ImGui::Text("for \"%s\":", row_label(*frame.trace, q).c_str());
    ImGui::Text("  entropy %.2f bits   previous %.2f   same %.2f   first %.2f", s.row(HeadMetric::Entropy, q),
                s.row(HeadMetric::Previous, q), s.row(HeadMetric::Same, q), s.row(HeadMetric::First, q));
    ImGui::Text("averaged over all tokens:");
    ImGui::Text("  entropy %.2f bits   previous %.2f   same %.2f   first %.2f", s.average(HeadMetric::Entropy),
                s.average(HeadMetric::Previous), s.average(HeadMetric::Same), s.average(HeadMetric::First));
    if (const float* row = frame.attention.weight_row(l, h, q); row && frame.selection.key >= 0)
        ImGui::Text("weight \"%s\" \xE2\x86\x92 \"%s\": %.3f", row_label(*frame.trace, q).c_str(),
                    token_label(keys_of(*frame.trace), frame.selection.key).c_str(), row[frame.selection.key]);
    if (const ValueWeightedAttention* vw = shown_value_weighted(frame); vw && frame.selection.key >= 0)
        ImGui::Text("value-weighted share \"%s\" \xE2\x86\x92 \"%s\": %.3f", row_label(*frame.trace, q).c_str(),
                    token_label(keys_of(*frame.trace), frame.selection.key).c_str(), vw->shown(l, h, false)(q, frame.selection.key));
    ImGui::TextDisabled("click: select \xC2\xB7 double-click: open its heatmap");
    ImGui::EndTooltip();
}

// [SECTION] Top list

std::string ModelOverviewPanel::ranking_title(const FrameContext& frame) const {
    const Trace& t = *frame.trace;
    const std::string q = row_label(t, frame.selection.query);
    if (m_by == RankBy::KeyWeight && shown_value_weighted(frame))
        return format("Heads passing \"%s\" to \"%s\":", token_label(keys_of(t), frame.selection.key).c_str(), q.c_str());
    if (m_by == RankBy::KeyWeight)
        return format("Heads where \"%s\" looks at \"%s\":", q.c_str(), token_label(keys_of(t), frame.selection.key).c_str());
    if (m_whole_text) return format("Top heads by %s (all tokens):", rank_by_name(m_by));
    return format("Top heads by %s for \"%s\":", rank_by_name(m_by), q.c_str());
}

// One line of buttons, scrolling sideways when it does not fit: the grid keeps the height.
// Under the grid: the title and one row of buttons that scrolls sideways. Beside it (`column`):
// the title wrapped and one button per line.
void ModelOverviewPanel::draw_top_list(const FrameContext& frame, bool column) {
    if (!m_ranking.valid) {
        ImGui::TextWrapped("Pick a key token above (or right-click a token chip) to rank the heads.");
        return;
    }
    if (column) text_wrapped_any_length(ranking_title(frame));
    else ImGui::TextUnformatted(ranking_title(frame).c_str());
    if (!column)
        ImGui::BeginChild("top", ImVec2(0, ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ScrollbarSize), false,
                          ImGuiWindowFlags_HorizontalScrollbar);
    const int shown = std::min(kTop, static_cast<int>(m_ranking.order.size()));
    for (int k = 0; k < shown; ++k) {
        const int index = m_ranking.order[static_cast<std::size_t>(k)];
        const int l = index / m_ranking.n_heads, h = index % m_ranking.n_heads;
        if (k > 0 && !column) ImGui::SameLine();
        const std::string label = format("%d. L%d H%d %.2f", k + 1, l, h, m_ranking.value[static_cast<std::size_t>(index)]);
        if (ImGui::SmallButton(label.c_str())) {
            frame.selection.layer = l;
            frame.selection.head = h;
        }
    }
    if (!column) ImGui::EndChild();
}

}  // namespace attnscope::gui
