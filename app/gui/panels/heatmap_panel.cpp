// Sections: [SECTION] Panel  [SECTION] Toolbar  [SECTION] Texture  [SECTION] Legend
#include "panels/heatmap_panel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "attnscope/explain.h"   // format_number
#include "widgets/draw_util.h"
#include "widgets/mask_guesses.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

constexpr int kColumnLines = 6;  // the toolbar as a column: Weights, Scores, Weights x |value|, Numbers, colour map, zoom buttons
constexpr const char* kValueWeightedLabel = "Weights \xC3\x97 |value|";
constexpr const char* kLayerSumLabel = "sum heads";
constexpr const char* kValueWeightedHelp =
    "How much of token j actually reaches token i's output through this head:\n"
    "\xE2\x80\x96\xCE\xB1_ij \xC2\xB7 f(x_j)\xE2\x80\x96: the weight times the length of the vector token j's value\n"
    "adds to the residual stream, f(x) = (x W_V + b_V) W_O (Kobayashi et al. 2020).\n"
    "A key with a large weight but a tiny value passes little on.\n"
    "Each row is shown as shares of its sum, so rows add up to 1 like the weights.";

// `f()` with the window's type at `scale`; the scale goes back to 1 (ImGui keeps it between frames).
template <class F>
auto at_font_scale(float scale, F f) {
    ImGui::SetWindowFontScale(scale);
    const auto result = f();
    ImGui::SetWindowFontScale(1.0f);
    return result;
}

const char* kZoomOut = " \xE2\x88\x92 ";  // a typographic minus
const char* kZoomHelp = "Ctrl + mouse wheel: zoom at the pointer\nwheel / Shift + wheel: scroll\nright- or middle-drag: pan";

}  // namespace

const char* field_noun(HeatmapField f) {
    return f == HeatmapField::Weights ? "weight" : f == HeatmapField::Scores ? "score" : "share";
}

const ValueWeightedAttention* value_weighted_of(const FrameContext& frame) {
    return frame.bundle ? frame.bundle->value_weighted.get() : nullptr;  // an encoder-decoder's stacks have none
}

std::string value_weighted_disabled(const FrameContext& frame) {
    if (frame.whole && frame.whole->encoder_decoder())
        return "not for encoder-decoders: value-weighted attention needs each head's W_O, which is read only from "
               "decoders and encoders here (cross-attention's values are the source's)";
    return "";
}

std::string value_weighted_missing(const FrameContext& frame) {
    if (!value_weighted_disabled(frame).empty()) return "No value-weighted view for encoder-decoders";  // the switch's tooltip says why
    return frame.whole ? frame.whole->value_weighted_refusal : "";
}

// [SECTION] Panel

std::string HeatmapPanel::caption(const FrameContext& frame) const {
    if (!frame.trace) return "Heatmap";
    // An encoder-decoder's heatmap says which attention it is, and what its rows and columns are.
    // Cross rows are labelled "la \u2192 banque" (row_label): the step reading "la" writes "banque".
    const std::string kind = !frame.stack ? ""
                             : *frame.stack != AttentionStack::Cross ? std::string(stack_title(*frame.stack)) + " \xC2\xB7 "
                             : frame.state.compact ? "cross \xC2\xB7 rows: the word each step writes \xC2\xB7 "
                                                   : "cross-attention (rows: each step of the decoder, labelled by the word it writes; "
                                                     "columns: source) \xC2\xB7 ";
    const HeatmapField field = frame.state.field;
    static constexpr const char* kWhat[] = {"weights (after softmax)", "scores q\xC2\xB7k \xC3\x97 scale (before softmax)",
                                            "value-weighted \xE2\x80\x96\xCE\xB1\xC2\xB7" "f(x)\xE2\x80\x96, rows as shares of their sum",
                                            "value-weighted \xE2\x80\x96\xCE\xB1\xC2\xB7" "f(x)\xE2\x80\x96 summed, rows as shares"};
    // The layer's heads summed is no one head: the caption says so instead of naming the selected one.
    const std::string head = field == HeatmapField::ValueWeightedLayer
                                 ? format("all %d heads", frame.trace->model.n_heads)
                                 : format("head %d", frame.selection.head);
    std::string text = format("Heatmap \xC2\xB7 %slayer %d, %s \xC2\xB7 %s", kind.c_str(), frame.selection.layer, head.c_str(),
                              kWhat[static_cast<int>(field)]);
    // Gemma 2 and 3 shape some layers' scores: say how, so the band of a window is not read as the head's choice.
    const auto layer_index = static_cast<std::size_t>(frame.selection.layer);
    if (layer_index < frame.trace->layers.size()) {
        const ScoreShaping& shaping = frame.trace->layers[layer_index].shaping;
        // Short: the caption must fit 1280 pixels; the steps view's pages explain both.
        if (shaping.window > 0) text += format(" \xC2\xB7 window of %d", shaping.window);
        if (shaping.softcap > 0.0f) text += " \xC2\xB7 soft-cap " + format_number(shaping.softcap);
    }
    // A long trace zoomed out: say what a pixel is, so nobody reads a maximum as a cell.
    if (const int pool = shown_pool(frame); pool > 1)
        text += format(" \xC2\xB7 %d tokens: each square the largest of %d \xC3\x97 %d, zoom in for every cell", frame.trace->n_tokens(),
                       pool, pool);
    return text;
}

std::string HeatmapPanel::shown() const {
    if (m_key.source == Source::Kept) return "every cell";
    if (!m_texture.valid() && !m_window.valid()) return "nothing yet";
    const std::string squares = m_texture.valid() ? format("squares of %d x %d (largest)", m_pool, m_pool) : "nothing";
    if (!m_window.valid()) return squares;
    const WindowSpan& w = m_window_span;
    return format("exact cells %d-%d x %d-%d over %s", w.r0, w.r1, w.c0, w.c1, squares.c_str());
}

std::string HeatmapPanel::cells_shown() const {
    if (m_drawn_frame != ImGui::GetFrameCount()) return "";
    const float numbers = m_canvas.drawn_number_px();
    return format("heatmap cells %.1f px, numbers %s", m_canvas.drawn_cell(), numbers > 0.0f ? format("%.1f px", numbers).c_str() : "none");
}

// Tokens on a side of what one square of the grid shows now: 1 for a short trace or a long one
// zoomed in (exact cells fetched), else the picture's pool (or the summary's 32 until it comes).
int HeatmapPanel::shown_pool(const FrameContext& frame) const {
    const Trace& t = *frame.trace;
    const Selection& s = frame.selection;
    if (t.keeps_attention() || is_value_weighted(frame.state.field)) return 1;
    if (const FetchedAttention* f = frame.fetcher.fetched(t); f && f->window && f->window->layer == s.layer && f->window->head == s.head)
        return 1;
    if (const HeadImage* image = frame.fetcher.image(t, s.layer, s.head, m_field)) return image->pool;
    return HeadSummary::kPoolTokens;
}

void HeatmapPanel::draw_content(const FrameContext& frame) {
    if (!frame.trace) {
        draw_centered_message(frame.state.loading ? "Loading the model\xE2\x80\xA6" : "Type a sentence above to see its attention.",
                              frame.theme.text_dim, frame.state.loading || frame.state.trace.busy);
        return;
    }
    m_field = frame.state.field;
    follow_lesson(frame);
    refresh_texture(frame);
    refresh_window(frame);
    update_params(frame);
    frame.wants.image = true;
    // The fetcher draws weights and scores of long traces; value-weighted is for kept ones.
    frame.wants.field = is_value_weighted(m_field) ? HeatmapField::Weights : m_field;
    const ValueWeightedAttention* vw = is_value_weighted(m_field) ? value_weighted_of(frame) : nullptr;
    if (is_value_weighted(m_field) && !vw) {  // one line on why not (or that it is coming), under the toolbar
        draw_toolbar(frame, ToolbarPlace{false, frame.state.compact ? kCompactFontScale : 1.0f});
        const std::string why = value_weighted_missing(frame);
        draw_centered_message(why.empty() ? "Weighing the heads by their values\xE2\x80\xA6" : why.c_str(), frame.theme.text_dim, why.empty());
        return;
    }
    const ToolbarPlace place = place_toolbar(frame);
    if (!place.beside) draw_toolbar(frame, place);
    draw_mask_guesses(frame);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const float gap = ImGui::GetFontSize();
    const float legend_w = legend_width();
    const float column_w = place.beside ? at_font_scale(place.scale, [this] { return toolbar_widths().column(); }) + gap : 0.0f;
    HeatmapInput in{*frame.trace, frame.selection.layer, frame.selection.head, m_field, m_texture, m_texture_uv,
                    m_window, m_window_span, m_params, m_base_params, m_numbers, vw};
    // The legend stands beside the grid, level with its top, so the column labels may lean over
    // its corner.
    const ImRect grid = m_canvas.draw(frame, in, ImVec2(avail.x - legend_w - column_w, avail.y), legend_w);
    m_drawn_frame = ImGui::GetFrameCount();
    const float legend_x = std::min(grid.Max.x + gap, pos.x + avail.x - legend_w - column_w);
    draw_legend(frame, ImVec2(legend_x, grid.Min.y), avail.y - (grid.Min.y - pos.y));
    if (!place.beside) return;
    ImGui::SetCursorScreenPos(ImVec2(legend_x + legend_w + gap, pos.y));
    ImGui::BeginGroup();  // the column's lines start at its left edge
    draw_toolbar(frame, place);
    ImGui::EndGroup();
}

// A lesson step that sets weights or scores, or a zoom, does so once, when the step is entered.
void HeatmapPanel::follow_lesson(const FrameContext& frame) {
    const LessonCaption& lesson = frame.state.lesson;
    if (!lesson.active() || !lesson.shown || lesson.entered == m_lesson_entered) return;
    m_lesson_entered = lesson.entered;
    if (const auto field = heatmap_field_from_name(lesson.field)) {
        m_field = *field;
        frame.actions.set_field(*field);
    }
    if (lesson.zoom >= 1.0f) m_canvas.zoom_to_selection(lesson.zoom);
}

// [SECTION] Toolbar

// Normal mode: a row above the grid, as it has always been, while the cells under it are big
// enough for numbers in readable type; when they are not (a short window, an encoder-decoder's two
// text fields above the views), the toolbar may stand in a column right of the legend instead, in
// full type. Presentation mode: the height runs out first (a wide screen, a square grid, large
// type), so the row takes small type, and the column may take large type or small (small leaves
// the grid more width: a lesson's caption takes a third of it). Whichever place leaves the
// biggest cells wins.
HeatmapPanel::ToolbarPlace HeatmapPanel::place_toolbar(const FrameContext& frame) {
    const bool compact = frame.state.compact;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float legend_w = legend_width(), gap = ImGui::GetFontSize();
    const ToolbarPlace row{false, compact ? kCompactFontScale : 1.0f};
    const float row_h = at_font_scale(row.scale, [&] {  // two lines if the row wraps
        return ImGui::GetFrameHeightWithSpacing() * (toolbar_widths().row() > avail.x ? 2.0f : 1.0f);
    });
    // Judged at zoom 1 (the whole grid), so zooming in does not move the toolbar.
    auto cell_at_fit = [&](ImVec2 size) {
        const ImVec2 cell = m_canvas.cell_size(*frame.trace, size);
        return ImVec2(cell.x / m_canvas.zoom(), cell.y / m_canvas.zoom());
    };
    const ImVec2 cell_above = cell_at_fit(ImVec2(avail.x - legend_w, avail.y - row_h));
    if (!compact && HeatmapCanvas::number_px(frame.fonts.mono, cell_above, m_field) >= kReadableNumberPx) return row;
    ToolbarPlace best = row;
    float best_cell = cell_above.y;
    for (const float scale : {1.0f, kCompactFontScale}) {
        if (scale != 1.0f && !compact) break;  // normal mode keeps the interface's type
        const ImVec2 column = at_font_scale(scale, [this] {
            return ImVec2(toolbar_widths().column(), column_lines() * ImGui::GetFrameHeightWithSpacing());
        });
        if (column.y > avail.y) continue;
        const float cell = cell_at_fit(ImVec2(avail.x - legend_w - column.x - gap, avail.y)).y;
        if (cell > best_cell) best = ToolbarPlace{true, scale}, best_cell = cell;
    }
    return best;
}

HeatmapPanel::ToolbarWidths HeatmapPanel::toolbar_widths() const {
    const ImGuiStyle& style = ImGui::GetStyle();
    auto text = [](const char* s) { return ImGui::CalcTextSize(s).x; };
    auto button = [&](const char* s) { return text(s) + 2 * style.FramePadding.x; };
    const float box = ImGui::GetFrameHeight() + style.ItemInnerSpacing.x;  // a radio button's or checkbox's square
    ToolbarWidths w;
    w.weights = box + text("Weights");
    w.scores = box + text("Scores");
    w.value_weighted = box + text(kValueWeightedLabel);
    w.layer_sum = is_value_weighted(m_field) ? box + text(kLayerSumLabel) : 0.0f;
    w.numbers = box + text("Numbers");
    w.colormap = text("cividis") + ImGui::GetFrameHeight() * 2;
    w.zoom = button(kZoomOut) + button(" + ") + button("Fit") + text("(?)") + 3 * style.ItemSpacing.x;
    w.spacing = style.ItemSpacing.x;
    w.gap = ImGui::GetFontSize();
    return w;
}

float HeatmapPanel::ToolbarWidths::row() const {
    const float fields = weights + spacing + scores + spacing + value_weighted + (layer_sum > 0.0f ? spacing + layer_sum : 0.0f);
    return fields + numbers + colormap + zoom + 3 * gap;
}
float HeatmapPanel::ToolbarWidths::column() const { return std::max({weights, scores, value_weighted, layer_sum, numbers, colormap, zoom}); }

// The column's lines: one more for "sum heads" while value-weighted is on.
int HeatmapPanel::column_lines() const { return kColumnLines + (is_value_weighted(m_field) ? 1 : 0); }

// A row above the grid that wraps when the panel is narrow, or a column beside the legend
// (place_toolbar).
void HeatmapPanel::draw_toolbar(const FrameContext& frame, ToolbarPlace place) {
    ImGui::SetWindowFontScale(place.scale);
    const ToolbarWidths w = toolbar_widths();
    auto next = [column = place.beside](float width, float gap) {
        if (!column) same_line_if_fits(width, gap);
    };
    draw_field_choice(frame, w, place.beside);

    next(w.numbers, w.gap);
    ImGui::Checkbox("Numbers", &m_numbers);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("write the value in every cell that is big enough");

    next(w.colormap, w.gap);
    const Colormap current = frame.state.settings.colormap;
    ImGui::SetNextItemWidth(w.colormap);
    if (ImGui::BeginCombo("##colormap", colormap_name(current))) {
        for (int c = 0; c < static_cast<int>(Colormap::Count); ++c)
            if (ImGui::Selectable(colormap_name(static_cast<Colormap>(c)), c == static_cast<int>(current)))
                frame.actions.set_colormap(static_cast<Colormap>(c));
        ImGui::EndCombo();
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("colour map (all four are readable with colour-blindness)");

    next(w.zoom, w.gap);
    draw_zoom_buttons();
    ImGui::SetWindowFontScale(1.0f);  // the grid and legend size themselves from the panel's own type
}

// Weights, Scores, Weights x |value| and, while that is on, "sum heads": the app's field, which
// the overview follows too.
void HeatmapPanel::draw_field_choice(const FrameContext& frame, const ToolbarWidths& w, bool column) {
    auto next = [column](float width, float gap) {
        if (!column) same_line_if_fits(width, gap);
    };
    HeatmapField field = m_field;
    if (ImGui::RadioButton("Weights", field == HeatmapField::Weights)) field = HeatmapField::Weights;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("softmax of each row: how much each query token takes from each key token (rows sum to 1)");
    next(w.scores, -1.0f);
    if (ImGui::RadioButton("Scores", field == HeatmapField::Scores)) field = HeatmapField::Scores;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("q\xC2\xB7k \xC3\x97 scale, before the softmax; masked cells are \xE2\x88\x92\xE2\x88\x9E");
    next(w.value_weighted, -1.0f);
    const std::string disabled = value_weighted_disabled(frame);
    ImGui::BeginDisabled(!disabled.empty());
    if (ImGui::RadioButton(kValueWeightedLabel, is_value_weighted(field)) && !is_value_weighted(field)) field = HeatmapField::ValueWeighted;
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("%s", disabled.empty() ? kValueWeightedHelp : disabled.c_str());
    if (is_value_weighted(field)) {
        next(w.layer_sum, -1.0f);
        bool sum = field == HeatmapField::ValueWeightedLayer;
        if (ImGui::Checkbox(kLayerSumLabel, &sum)) field = sum ? HeatmapField::ValueWeightedLayer : HeatmapField::ValueWeighted;
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("sum over the layer's heads: every head's \xE2\x80\x96\xCE\xB1\xC2\xB7" "f(x)\xE2\x80\x96 added up, then each row as shares of its sum\n"
                              "(how much of each token reaches the layer's output through attention)");
    }
    if (field != m_field) {
        m_field = field;
        frame.actions.set_field(field);
    }
}

void HeatmapPanel::draw_zoom_buttons() {
    if (ImGui::Button(kZoomOut)) m_canvas.zoom_by(0.8f);
    ImGui::SameLine();
    if (ImGui::Button(" + ")) m_canvas.zoom_by(1.25f);
    ImGui::SameLine();
    if (ImGui::Button("Fit")) m_canvas.fit();
    ImGui::SameLine();
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", kZoomHelp);
}

// [SECTION] Texture

// The selected head as an RG32F texture (r = the value, g = 1 where masked), uploaded once per
// (trace, layer, head, field, source), never per frame: a short trace's n x n matrix as it is; a
// long trace's picture from the attention fetcher, and until it comes the forward pass's pooled
// summary (weights only).
void HeatmapPanel::refresh_texture(const FrameContext& frame) {
    const Trace& trace = *frame.trace;
    const Selection& s = frame.selection;
    const ValueWeightedAttention* vw = is_value_weighted(m_field) ? value_weighted_of(frame) : nullptr;
    const HeadImage* image = trace.keeps_attention() || is_value_weighted(m_field) ? nullptr : frame.fetcher.image(trace, s.layer, s.head, m_field);
    const Source source = is_value_weighted(m_field) ? (vw ? Source::ValueWeighted : Source::None)
                          : trace.keeps_attention() ? Source::Kept
                          : image                 ? Source::Image
                          : m_field == HeatmapField::Weights ? Source::Summary
                                                             : Source::None;
    const TextureKey key{trace.id, s.layer, s.head, m_field, source};
    if (key == m_key) return;
    m_key = key;
    switch (source) {
    case Source::Kept: upload_kept(trace, s, nullptr); break;
    case Source::ValueWeighted: upload_kept(trace, s, vw); break;
    case Source::Image: upload_image(*image); break;
    case Source::Summary: upload_summary(trace, s); break;
    case Source::None: m_texture = Texture{}; break;
    }
}

// `vw`: the value-weighted shares the worker computed instead of the weights (0..1 like them).
void HeatmapPanel::upload_kept(const Trace& trace, const Selection& s, const ValueWeightedAttention* vw) {
    const HeadTrace& h = trace.head(s.layer, s.head);
    const Matrix& shares = vw ? vw->shown(s.layer, s.head, m_field == HeatmapField::ValueWeightedLayer) : h.weights;
    const int n = trace.n_tokens(), n_keys = trace.n_keys(s.layer);  // n x n_keys: cross-attention's keys are the source's
    std::vector<float> texels(2 * static_cast<std::size_t>(n) * n_keys);
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n_keys; ++j) {
            const bool masked = std::isinf(h.scores(i, j)) && h.scores(i, j) < 0;
            const float v = masked ? 0.0f : (vw ? shares(i, j) : m_field == HeatmapField::Weights ? h.weights(i, j) : h.scores(i, j));
            texels[2 * (static_cast<std::size_t>(i) * n_keys + j)] = v;
            texels[2 * (static_cast<std::size_t>(i) * n_keys + j) + 1] = masked ? 1.0f : 0.0f;
            if (!masked) lo = std::min(lo, v), hi = std::max(hi, v);
        }
    m_texture.upload_rg32f(n_keys, n, texels.data(), Filter::Nearest);
    m_texture_uv = ImVec2(1, 1);
    m_pool = 1;
    // Weights and shares keep the fixed range 0..1, so heads can be compared by colour; scores use their own.
    const bool fixed = m_field != HeatmapField::Scores;
    m_lo = fixed ? 0.0f : lo;
    m_hi = fixed ? 1.0f : (hi > lo ? hi : lo + 1.0f);
}

void HeatmapPanel::upload_image(const HeadImage& image) {
    m_texture.upload_rg32f(image.side_keys, image.side, image.texels.data(), Filter::Nearest);
    m_texture_uv = ImVec2(static_cast<float>(image.n_keys) / static_cast<float>(image.side_keys * image.pool),
                          static_cast<float>(image.n) / static_cast<float>(image.side * image.pool));
    m_pool = image.pool;
    m_lo = image.lo;
    m_hi = image.hi;
}

// The summary's cells hold the largest weight of 32 x 32 tokens; it has no mask flags, so masked
// cells show as weight 0 for the moment the picture takes.
void HeatmapPanel::upload_summary(const Trace& trace, const Selection& s) {
    const Matrix& pooled = trace.head(s.layer, s.head).summary.pooled;
    const int side = static_cast<int>(pooled.rows()), side_keys = static_cast<int>(pooled.cols());
    std::vector<float> texels(2 * static_cast<std::size_t>(side) * side_keys, 0.0f);
    for (int a = 0; a < side; ++a)
        for (int b = 0; b < side_keys; ++b) texels[2 * (static_cast<std::size_t>(a) * side_keys + b)] = pooled(a, b);
    m_texture.upload_rg32f(side_keys, side, texels.data(), Filter::Nearest);
    m_pool = HeadSummary::kPoolTokens;
    m_texture_uv = side > 0 && side_keys > 0 ? ImVec2(static_cast<float>(trace.n_keys(s.layer)) / static_cast<float>(side_keys * m_pool),
                                                      static_cast<float>(trace.n_tokens()) / static_cast<float>(side * m_pool))
                                             : ImVec2(1, 1);
    m_lo = 0.0f;
    m_hi = 1.0f;
}

// A long trace zoomed in: the fetched exact cells, uploaded when a new window comes or the field
// changes; dropped when it belongs to another trace or head.
void HeatmapPanel::refresh_window(const FrameContext& frame) {
    const FetchedAttention* fetched = frame.trace->keeps_attention() ? nullptr : frame.fetcher.fetched(*frame.trace);
    std::shared_ptr<const RowWindow> w = fetched ? fetched->window : nullptr;
    if (w && (w->layer != frame.selection.layer || w->head != frame.selection.head || w->r1 <= w->r0 || w->c1 <= w->c0)) w = nullptr;
    if (!w) {
        m_window = Texture{};
        m_window_from = nullptr;
        return;
    }
    if (w == m_window_from && m_window_field == m_field && m_window.valid()) return;
    m_window_from = w;
    m_window_field = m_field;
    m_window_span = WindowSpan{w->r0, w->r1, w->c0, w->c1};
    const int rows = w->r1 - w->r0, cols = w->c1 - w->c0;
    std::vector<float> texels(2 * static_cast<std::size_t>(rows) * cols);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
            const float score = w->scores(i, j);
            const bool masked = std::isinf(score) && score < 0;
            texels[2 * (static_cast<std::size_t>(i) * cols + j)] = masked ? 0.0f : (m_field == HeatmapField::Weights ? w->weights(i, j) : score);
            texels[2 * (static_cast<std::size_t>(i) * cols + j) + 1] = masked ? 1.0f : 0.0f;
        }
    m_window.upload_rg32f(cols, rows, texels.data(), Filter::Nearest);
}

void HeatmapPanel::update_params(const FrameContext& frame) {
    m_params.lo = m_lo;
    m_params.hi = m_hi;
    m_params.colormap = frame.state.settings.colormap;
    m_params.mask_a = frame.theme.mask_a;
    m_params.mask_b = frame.theme.mask_b;
    m_params.grid = frame.theme.grid;
    m_params.grid_min_px = 14.0f;
    m_base_params = m_params;
    m_base_params.grid_min_px = 1e9f;  // a texel of a picture is several cells: no borders that lie
}

// [SECTION] Legend

float HeatmapPanel::legend_width() const { return ImGui::CalcTextSize("-00.00").x + ImGui::GetFontSize() * 2.5f; }

// The colour bar (60% of `height`), its title above, five ticks and the masked swatch below. A
// short panel gets a smaller bar in smaller type (down to smallest_text_px()) rather than a legend
// cut off at its bottom: the whole needs about 8 lines (4 for the bar's tick gaps).
void HeatmapPanel::draw_legend(const FrameContext& frame, ImVec2 pos, float height) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImFont* font = ImGui::GetFont();
    const float full = ImGui::GetFontSize();
    const float line = std::clamp(height / 8.0f, std::min(full, smallest_text_px()), full);  // the legend's type size
    const float bar_w = line * 0.9f;
    const ImVec2 bar_min(pos.x + line * 0.5f, pos.y + line * 1.5f);
    const ImVec2 bar_max(bar_min.x + bar_w, bar_min.y + std::clamp(height * 0.6f, line * 4, std::max(line * 4, height - line * 4)));
    dl->AddText(font, line, ImVec2(pos.x + line * 0.3f, pos.y), frame.theme.text, field_noun(m_field));
    // The lookup texture drawn upright: high values at the top.
    const ImTextureID lut = frame.shader.lut(frame.state.settings.colormap).imgui_id();
    dl->AddImageQuad(lut, ImVec2(bar_min.x, bar_max.y), ImVec2(bar_max.x, bar_max.y), ImVec2(bar_max.x, bar_min.y),
                     ImVec2(bar_min.x, bar_min.y), ImVec2(0, 0.5f), ImVec2(0, 0.5f), ImVec2(1, 0.5f), ImVec2(1, 0.5f));
    dl->AddRect(bar_min, bar_max, frame.theme.text_dim);
    for (int k = 0; k <= 4; ++k) {
        const float t = k / 4.0f;
        const float y = bar_max.y - t * (bar_max.y - bar_min.y);
        dl->AddLine(ImVec2(bar_max.x, y), ImVec2(bar_max.x + 4, y), frame.theme.text);
        const float v = m_lo + t * (m_hi - m_lo);
        // A typographic minus: "-4.97" beside a tick mark would read as "--4.97".
        const std::string value = (v < 0 ? "\xE2\x88\x92" : "") + format(std::fabs(m_hi) < 10 && std::fabs(m_lo) < 10 ? "%.2f" : "%.1f", std::fabs(v));
        dl->AddText(font, line, ImVec2(bar_max.x + 8, y - line * 0.5f), frame.theme.text, value.c_str());
    }
    // A masked cell, drawn by the same shader as the grid.
    const ImVec2 swatch_min(bar_min.x, bar_max.y + line), swatch_max(bar_max.x, bar_max.y + line + bar_w);
    frame.shader.begin(dl, &m_params);
    dl->AddImage(frame.shader.masked_swatch().imgui_id(), swatch_min, swatch_max);
    ColormapShader::end(dl);
    dl->AddText(font, line, ImVec2(swatch_max.x + 6, swatch_min.y + (bar_w - line) * 0.5f), frame.theme.text, "masked");
    frame.actions.report_region("heatmap-legend", pos, ImVec2(pos.x + legend_width(), swatch_max.y));
}

}  // namespace attnscope::gui
