// Sections: [SECTION] Panel  [SECTION] Layout  [SECTION] Tokens  [SECTION] Lines  [SECTION] Bars
#include "panels/token_lines_panel.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "attnscope/token_labels.h"
#include "attnscope/top_k.h"
#include "widgets/draw_util.h"
#include "widgets/mask_guesses.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

constexpr float kPad = 8.0f;
constexpr float kMinWeight = 0.005f;  // thinner than a hair: not drawn

bool is_masked(float score) { return std::isinf(score) && score < 0; }

}  // namespace

// [SECTION] Panel

std::string TokenLinesPanel::caption(const FrameContext& frame) const {
    if (!frame.trace) return "Tokens";
    const int q = frame.selection.query;
    const std::string kind = frame.stack ? std::string(stack_title(*frame.stack)) + " \xC2\xB7 " : "";
    // A cross row is the decoder step that writes the next word: named by that word.
    const std::string who = shows_cross(*frame.trace) ? format("the step writing \"%s\"", written_at(*frame.trace, q).c_str())
                                                      : format("\"%s\"", token_label(*frame.trace, q).c_str());
    return format("Tokens \xC2\xB7 %swhere %s looks \xC2\xB7 layer %d, %s", kind.c_str(), who.c_str(), frame.selection.layer,
                  m_all_heads ? "all heads" : format("head %d", frame.selection.head).c_str());
}

void TokenLinesPanel::draw_content(const FrameContext& frame) {
    if (!frame.trace) {
        draw_centered_message(frame.state.loading ? "Loading the model\xE2\x80\xA6" : "Type a sentence above to see its attention.",
                              frame.theme.text_dim, frame.state.loading || frame.state.trace.busy);
        return;
    }
    m_labels.refresh(*frame.trace);
    m_key_labels.refresh(keys_of(*frame.trace));
    draw_toolbar(frame);
    // The hovered token's lines while the mouse is on it; a long trace has only the selected
    // query's rows fetched (AttentionReader), so there the preview waits for a click.
    const bool preview = m_preview >= 0 && m_preview < frame.trace->n_tokens() &&
                         frame.attention.weight_row(frame.selection.layer, frame.selection.head, m_preview);
    const int query = preview ? m_preview : frame.selection.query;
    draw_summary(frame, query);
    draw_mask_guesses(frame);
    if (!ImGui::BeginChild("lines", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar)) {
        ImGui::EndChild();
        return;
    }
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const Columns c = layout(pos, ImGui::GetContentRegionAvail(), frame.trace->n_tokens(), key_count(*frame.trace));
    follow_query(c, frame.selection.query);
    draw_lines(frame, c, query);
    draw_tokens(frame, c, query);
    draw_bars(frame, c, query);
    ImGui::SetCursorScreenPos(ImVec2(pos.x, c.top + c.rows() * c.row_h));
    ImGui::Dummy(ImVec2(1, kPad));  // lets the child scroll to the last row
    frame.actions.report_region("tokens", pos, ImVec2(c.bars_x1, c.top + c.rows() * c.row_h));
    ImGui::EndChild();
}

void TokenLinesPanel::draw_toolbar(const FrameContext& frame) {
    int mode = m_all_heads ? 1 : 0;
    ImGui::RadioButton("This head", &mode, 0);
    ImGui::SameLine();
    ImGui::RadioButton(format("All heads of layer %d", frame.selection.layer).c_str(), &mode, 1);
    m_all_heads = mode == 1;
    if (m_all_heads) draw_head_legend(frame);
}

// One coloured button per head; a click selects that head (its lines are drawn on top).
void TokenLinesPanel::draw_head_legend(const FrameContext& frame) {
    const int heads = frame.trace->model.n_heads;
    for (int h = 0; h < heads; ++h) {
        ImGui::SameLine();
        if (ImGui::GetContentRegionAvail().x < ImGui::GetFontSize() * 2.5f) ImGui::NewLine();
        const ImU32 color = frame.theme.head_color(h);
        ImGui::PushStyleColor(ImGuiCol_Button, color);
        ImGui::PushStyleColor(ImGuiCol_Text, readable_text_on(color));
        ImGui::PushID(h);
        const bool selected = h == frame.selection.head;
        if (selected) ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, 3.0f);
        if (ImGui::SmallButton(std::to_string(h).c_str())) frame.selection.head = h;
        if (selected) ImGui::PopStyleVar();
        ImGui::PopID();
        ImGui::PopStyleColor(2);
    }
}

// "bank looks most at: money 0.62, took 0.21, the 0.09": the answer in words, for the back row.
// Rebuilt only when the trace, head or query changes.
void TokenLinesPanel::draw_summary(const FrameContext& frame, int query) {
    const SummaryKey key{frame.trace->id, frame.selection.layer, frame.selection.head, query, m_all_heads};
    const float* w = frame.attention.weight_row(key.layer, key.head, query);
    if (!w) {  // a long trace: the row is on its way
        ImGui::TextDisabled("\"%s\": computing its weights\xE2\x80\xA6", m_labels[static_cast<std::size_t>(query)].c_str());
        return;
    }
    if (!(key == m_summary_key)) {
        m_summary_key = key;
        const std::vector<int> order = best_indices(Eigen::Map<const RowVector>(w, key_count(*frame.trace)), 3);
        const int shown = static_cast<int>(order.size());
        m_summary = shows_cross(*frame.trace)
                        ? format("the step writing \"%s\" looks most at, in the source:", written_at(*frame.trace, query).c_str())
                        : format("\"%s\" looks most at:", m_labels[static_cast<std::size_t>(query)].c_str());
        for (int k = 0; k < shown; ++k) {
            const int j = order[static_cast<std::size_t>(k)];
            m_summary += format("   %s %.2f", m_key_labels[static_cast<std::size_t>(j)].c_str(), w[j]);
        }
        if (m_all_heads) m_summary += format("   (words and bars: head %d)", key.head);
    }
    ImGui::TextUnformatted(m_summary.c_str());
}

// [SECTION] Layout

TokenLinesPanel::Columns TokenLinesPanel::layout(ImVec2 pos, ImVec2 size, int n, int n_keys) const {
    Columns c;
    c.n = n;
    c.n_keys = n_keys;
    const float line_h = ImGui::GetTextLineHeight();
    // As wide as the widest token, and as the column headings ("source" over a column of short words).
    const float label_w =
        std::min(std::max({m_labels.max_width(), m_key_labels.max_width(), ImGui::CalcTextSize("source").x}) + kPad, size.x * 0.22f);
    const float bars_w = std::max(size.x * 0.24f, ImGui::CalcTextSize("0.00").x * 3.0f);
    c.query_x0 = pos.x;
    c.query_x1 = pos.x + label_w;
    c.bars_x1 = pos.x + size.x - kPad;
    c.bars_x0 = c.bars_x1 - bars_w;
    c.key_x1 = c.bars_x0 - kPad;
    c.key_x0 = c.key_x1 - label_w;
    c.top = pos.y + line_h + kPad;  // column headings above
    // Rows fill the height for short sentences (big targets on a projector); long ones scroll.
    const float fill = (size.y - (c.top - pos.y) - kPad) / std::max(1, c.rows());
    c.row_h = std::clamp(fill, line_h * 1.15f, line_h * 2.5f);
    return c;
}

// [SECTION] Tokens

void TokenLinesPanel::draw_tokens(const FrameContext& frame, const Columns& c, int query) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Theme& th = frame.theme;
    const float line_h = ImGui::GetTextLineHeight();
    const bool cross = shows_cross(*frame.trace);
    dl->AddText(ImVec2(c.query_x0, c.top - line_h - kPad * 0.5f), th.text_dim, cross ? "step \xE2\x86\x92 writes" : "query");
    dl->AddText(ImVec2(c.key_x0, c.top - line_h - kPad * 0.5f), th.text_dim, cross ? "source" : "key");
    m_preview = -1;
    int first = 0, last = 0;
    visible_rows(c, c.n, first, last);
    for (int i = first; i < last; ++i) {
        const char* label = m_labels[static_cast<std::size_t>(i)].c_str();
        const float y = c.row_y(i) - line_h * 0.5f, w = ImGui::CalcTextSize(label).x;
        // Query column: right-aligned, so every line starts at the same x.
        ImGui::SetCursorScreenPos(ImVec2(c.query_x0, y));
        ImGui::PushID(i);
        if (ImGui::InvisibleButton("q", ImVec2(c.query_x1 - c.query_x0, line_h))) frame.selection.query = i;
        if (ImGui::IsItemHovered()) m_preview = i;
        const bool is_query = i == query;
        if (is_query) dl->AddRectFilled(ImVec2(c.query_x1 - w - 4, y - 1), ImVec2(c.query_x1 + 2, y + line_h + 1), th.chip_query, 3.0f);
        dl->AddText(ImVec2(c.query_x1 - w, y), is_query ? readable_text_on(th.chip_query) : th.text, label);
        ImGui::PopID();
    }
    visible_rows(c, c.n_keys, first, last);
    for (int j = first; j < last; ++j) {  // the key column: the same tokens, or the source's
        const char* label = m_key_labels[static_cast<std::size_t>(j)].c_str();
        const float y = c.row_y(j) - line_h * 0.5f, w = ImGui::CalcTextSize(label).x;
        ImGui::SetCursorScreenPos(ImVec2(c.key_x0, y));
        ImGui::PushID(j);
        if (ImGui::InvisibleButton("k", ImVec2(c.key_x1 - c.key_x0, line_h))) frame.selection.key = j;
        const bool is_key = j == frame.selection.key;
        if (is_key) dl->AddRectFilled(ImVec2(c.key_x0 - 2, y - 1), ImVec2(c.key_x0 + w + 4, y + line_h + 1), th.chip_key, 3.0f);
        dl->AddText(ImVec2(c.key_x0, y), is_key ? readable_text_on(th.chip_key) : th.text, label);
        ImGui::PopID();
    }
}

// A query chosen elsewhere (a chip, the heatmap) far down a long text: its row scrolls into the
// middle of the list once, and the user's own scrolling is left alone after that.
void TokenLinesPanel::follow_query(const Columns& c, int query) {
    if (query == m_followed_query) return;
    m_followed_query = query;
    const float y = c.row_y(query) - ImGui::GetWindowPos().y;  // in the child's visible coordinates
    const float visible = ImGui::GetWindowHeight();
    if (y < c.row_h || y > visible - c.row_h) ImGui::SetScrollY(ImGui::GetScrollY() + y - visible * 0.5f);
}

void TokenLinesPanel::visible_rows(const Columns& c, int count, int& first, int& last) {
    const ImVec2 clip_min = ImGui::GetWindowDrawList()->GetClipRectMin(), clip_max = ImGui::GetWindowDrawList()->GetClipRectMax();
    first = std::clamp(static_cast<int>(std::floor((clip_min.y - c.top) / c.row_h)) - 1, 0, count);
    last = std::clamp(static_cast<int>(std::ceil((clip_max.y - c.top) / c.row_h)) + 1, first, count);
}

// [SECTION] Lines

void TokenLinesPanel::draw_head_lines(ImDrawList* dl, const float* weights, const Columns& c, int query, ImU32 color,
                                      float max_width, float y_offset) const {
    if (!weights) return;  // a long trace's row still on its way
    const ImVec4 base = ImGui::ColorConvertU32ToFloat4(color);
    const ImVec2 from(c.query_x1 + kPad, c.row_y(query) + y_offset);
    for (int j = 0; j < c.n_keys; ++j) {
        const float w = weights[j];
        if (w < kMinWeight) continue;
        ImVec4 col = base;
        col.w = 0.2f + 0.8f * w;  // opacity and width both follow the weight
        dl->AddLine(from, ImVec2(c.key_x0 - kPad, c.row_y(j) + y_offset), ImGui::ColorConvertFloat4ToU32(col), 1.0f + w * max_width);
    }
}

void TokenLinesPanel::draw_lines(const FrameContext& frame, const Columns& c, int query) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int l = frame.selection.layer;
    const LayerTrace& layer = frame.trace->layers[static_cast<std::size_t>(l)];
    const float max_width = std::min(c.row_h * 0.8f, 16.0f) * frame.theme.stroke;
    if (!m_all_heads) {
        draw_head_lines(dl, frame.attention.weight_row(l, frame.selection.head, query), c, query, frame.theme.line, max_width, 0.0f);
        return;
    }
    // Every head in its colour, spread over the row's height so heads that agree stay apart;
    // the selected head last, on top.
    const int heads = static_cast<int>(layer.heads.size());
    const float spread = c.row_h * 0.6f / std::max(1, heads);
    for (int pass = 0; pass < 2; ++pass)
        for (int h = 0; h < heads; ++h) {
            const bool selected = h == frame.selection.head;
            if (selected != (pass == 1)) continue;
            draw_head_lines(dl, frame.attention.weight_row(l, h, query), c, query, frame.theme.head_color(h),
                            max_width * (selected ? 0.7f : 0.45f), (h - (heads - 1) * 0.5f) * spread);
        }
}

// [SECTION] Bars

void TokenLinesPanel::draw_bars(const FrameContext& frame, const Columns& c, int query) const {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float* scores = frame.attention.score_row(frame.selection.layer, frame.selection.head, query);
    const float* weights = frame.attention.weight_row(frame.selection.layer, frame.selection.head, query);
    if (!scores || !weights) return;  // a long trace's row still on its way
    const float line_h = ImGui::GetTextLineHeight();
    const float value_w = ImGui::CalcTextSize("0.00").x + kPad;
    const float max_bar = std::max(4.0f, c.bars_x1 - c.bars_x0 - value_w);
    const ImU32 color = m_all_heads ? frame.theme.head_color(frame.selection.head) : frame.theme.line;
    dl->AddText(ImVec2(c.bars_x0, c.top - line_h - kPad * 0.5f), frame.theme.text_dim, "weight");
    int first = 0, last = 0;
    visible_rows(c, c.n_keys, first, last);
    for (int j = first; j < last; ++j) {
        const float y = c.row_y(j);
        if (is_masked(scores[j])) {
            dl->AddText(ImVec2(c.bars_x0, y - line_h * 0.5f), frame.theme.text_dim, "masked");
            continue;
        }
        const float w = weights[j];
        const float bar_h = std::min(c.row_h * 0.7f, line_h);
        dl->AddRectFilled(ImVec2(c.bars_x0, y - bar_h * 0.5f), ImVec2(c.bars_x0 + std::max(1.0f, w * max_bar), y + bar_h * 0.5f), color);
        dl->AddText(ImVec2(c.bars_x0 + w * max_bar + 4, y - line_h * 0.5f), frame.theme.text, format("%.2f", w).c_str());
    }
}

}  // namespace attnscope::gui
