#include "panels/heads_panel.h"

#include <algorithm>
#include <cmath>

#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

constexpr int kDetectors = static_cast<int>(HeadDetector::Count);
// The table's columns: layer, head, then one per detector.
constexpr int kColumns = 2 + kDetectors;
// Short headers, so the nine columns fit beside the scatter; each says what it measures when hovered.
constexpr const char* kColumnNames[kDetectors] = {"prev.", "dup.", "induct.", "sink \xCE\xB1\xE2\x82\x80", "self", "entropy", "dist."};
constexpr const char* kColumnTips[kDetectors] = {
    "weight on the token just before (TransformerLens' previous-token score)",
    "weight on earlier copies of the same token (duplicate-token score)",
    "weight on the token after an earlier copy of this token: the induction pattern",
    "mean weight on token 0 (alpha_0): above 0.3 the head is an attention sink (Gu et al.)",
    "weight on the query's own token",
    "how spread out a row is, in bits: 0 looks at one token",
    "how far from itself a row looks, in tokens (sum of weight x distance)",
};

// The scores the view reads: the sentence's (an encoder-decoder's decoder), never a stack's.
const std::vector<HeadDetectorScores>* scores_of(const FrameContext& frame) {
    const TraceBundle* bundle = frame.whole ? frame.whole : frame.bundle;
    return bundle && bundle->detectors ? bundle->detectors.get() : nullptr;
}

bool is_selected(const FrameContext& frame, const HeadDetectorScores& s) {
    return s.layer == frame.selection.layer && s.head == frame.selection.head;
}

void select(const FrameContext& frame, const HeadDetectorScores& s) {
    frame.selection.layer = s.layer;
    frame.selection.head = s.head;
}

// The largest value of a score over the heads: the scatter's axis end (probability-like scores
// end at 1 at most; entropy and distance at their largest value).
double axis_end(const std::vector<HeadDetectorScores>& scores, HeadDetector d) {
    double top = 0;
    for (const HeadDetectorScores& s : scores) top = std::max(top, head_detector_value(s, d));
    const bool share = d != HeadDetector::Entropy && d != HeadDetector::Distance;
    if (share) return std::clamp(std::ceil(top * 10.0) / 10.0, 0.1, 1.0);
    return top > 0 ? top * 1.05 : 1.0;
}

}  // namespace

std::string HeadsPanel::caption(const FrameContext& frame) const {
    const auto* scores = scores_of(frame);
    if (!frame.trace || !scores) return "Heads";
    return format("Heads \xC2\xB7 what kind each is, on this text \xC2\xB7 %d layers \xC3\x97 %d heads \xC2\xB7 click one to select it",
                  frame.trace->model.n_layers, frame.trace->model.n_heads);
}

void HeadsPanel::draw_content(const FrameContext& frame) {
    const auto* scores = scores_of(frame);
    if (!scores) {
        draw_centered_message("Type a sentence: each head's scores appear here.", frame.theme.text_dim, false);
        return;
    }
    if (!ImGui::BeginTabBar("heads-mode")) return;
    if (ImGui::BeginTabItem("What kind each head is")) {
        draw_kinds(frame, *scores);
        ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Which heads matter for a prediction")) {
        m_ablation.draw(frame, *(frame.whole ? frame.whole : frame.bundle)->trace);
        ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
}

void HeadsPanel::draw_kinds(const FrameContext& frame, const std::vector<HeadDetectorScores>& all) {
    const auto* scores = &all;
    if (m_sorted_trace != frame.trace->id || m_order.size() != scores->size()) {
        m_sorted_trace = frame.trace->id;
        m_order.clear();
        for (int i = 0; i < static_cast<int>(scores->size()); ++i) m_order.push_back(i);
        m_sort_column = -1;   // the table re-sorts by its current column below
    }
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // Side by side when wide; the scatter under the table when not (1280 x 720 with large type).
    const bool side_by_side = avail.x > 60.0f * ImGui::GetFontSize();
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const ImVec2 table_size = side_by_side ? ImVec2(avail.x * 0.58f, avail.y) : ImVec2(avail.x, avail.y * 0.4f);
    draw_table(frame, *scores, table_size);
    if (side_by_side) ImGui::SameLine(0, gap);
    const ImVec2 scatter_size = side_by_side ? ImVec2(avail.x - table_size.x - gap, avail.y)
                                             : ImVec2(avail.x, avail.y - table_size.y - ImGui::GetStyle().ItemSpacing.y);
    draw_scatter(frame, *scores, scatter_size);
}

void HeadsPanel::sort_rows(const std::vector<HeadDetectorScores>& scores) {
    const int column = m_sort_column;
    const bool descending = m_sort_descending;
    std::stable_sort(m_order.begin(), m_order.end(), [&](int a, int b) {
        const HeadDetectorScores &x = scores[static_cast<std::size_t>(a)], &y = scores[static_cast<std::size_t>(b)];
        double vx = 0, vy = 0;
        if (column <= 1) {   // layer, then head: the model's own order
            vx = x.layer * 100000.0 + x.head;
            vy = y.layer * 100000.0 + y.head;
        } else {
            vx = head_detector_value(x, static_cast<HeadDetector>(column - 2));
            vy = head_detector_value(y, static_cast<HeadDetector>(column - 2));
        }
        return descending ? vx > vy : vx < vy;
    });
}

void HeadsPanel::draw_table(const FrameContext& frame, const std::vector<HeadDetectorScores>& scores, ImVec2 size) {
    const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("heads", kColumns, flags, size)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_DefaultSort | ImGuiTableColumnFlags_PreferSortAscending);
    ImGui::TableSetupColumn("head", ImGuiTableColumnFlags_PreferSortAscending);
    for (int d = 0; d < kDetectors; ++d) {
        const bool lower_first = d == static_cast<int>(HeadDetector::Entropy);
        ImGui::TableSetupColumn(kColumnNames[d], lower_first ? ImGuiTableColumnFlags_PreferSortAscending : ImGuiTableColumnFlags_PreferSortDescending);
    }
    // The header row by hand, so each score's column says what it measures when hovered.
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (int c = 0; c < kColumns; ++c) {
        ImGui::TableSetColumnIndex(c);
        ImGui::TableHeader(ImGui::TableGetColumnName(c));
        if (c >= 2 && ImGui::IsItemHovered()) ImGui::SetTooltip("%s: %s", head_detector_name(static_cast<HeadDetector>(c - 2)), kColumnTips[c - 2]);
    }
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsCount > 0) {
        const ImGuiTableColumnSortSpecs& s = specs->Specs[0];
        const bool descending = s.SortDirection == ImGuiSortDirection_Descending;
        if (specs->SpecsDirty || s.ColumnIndex != m_sort_column || descending != m_sort_descending) {
            m_sort_column = s.ColumnIndex;
            m_sort_descending = descending;
            sort_rows(scores);
            specs->SpecsDirty = false;
        }
    }
    for (int index : m_order) {
        const HeadDetectorScores& s = scores[static_cast<std::size_t>(index)];
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::PushID(index);
        if (ImGui::Selectable(format("%d", s.layer).c_str(), is_selected(frame, s), ImGuiSelectableFlags_SpanAllColumns)) select(frame, s);
        // A head selected elsewhere (the steppers, the overview, the scatter) is scrolled into view once.
        if (is_selected(frame, s) && m_scrolled_to != std::make_pair(s.layer, s.head)) {
            ImGui::SetScrollHereY(0.5f);
            m_scrolled_to = {s.layer, s.head};
        }
        ImGui::PopID();
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%d", s.head);
        for (int d = 0; d < kDetectors; ++d) {
            ImGui::TableSetColumnIndex(2 + d);
            const double v = head_detector_value(s, static_cast<HeadDetector>(d));
            if (d == static_cast<int>(HeadDetector::First) && s.sink())
                ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.accent), "%.2f sink", v);
            else
                ImGui::Text(d >= static_cast<int>(HeadDetector::Entropy) ? "%.2f" : "%.3f", v);
        }
    }
    ImGui::EndTable();
}

void HeadsPanel::draw_axis_choice(const char* label, HeadDetector& axis) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(label);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::CalcTextSize("induction").x + ImGui::GetFrameHeight() * 2);
    ImGui::PushID(label);
    if (ImGui::BeginCombo("##axis", head_detector_name(axis))) {
        for (int d = 0; d < kDetectors; ++d)
            if (ImGui::Selectable(head_detector_name(static_cast<HeadDetector>(d)), static_cast<int>(axis) == d)) axis = static_cast<HeadDetector>(d);
        ImGui::EndCombo();
    }
    ImGui::PopID();
}

// "layer ● 0 ● 1 ...": the dots' colours.
void HeadsPanel::draw_layer_legend(const FrameContext& frame) {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.text_dim), "layer");
    for (int l = 0; l < frame.trace->model.n_layers && l < 24; ++l) {
        ImGui::SameLine();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(frame.theme.head_color(l)), "\xE2\x97\x8F%d", l);
    }
}

void HeadsPanel::draw_scatter(const FrameContext& frame, const std::vector<HeadDetectorScores>& scores, ImVec2 size) {
    ImGui::BeginChild("scatter", size, false, ImGuiWindowFlags_NoScrollbar);
    draw_axis_choice("across:", m_x);
    ImGui::SameLine();
    draw_axis_choice("up:", m_y);
    draw_layer_legend(frame);
    const ImVec2 at = ImGui::GetCursorScreenPos(), room = ImGui::GetContentRegionAvail();
    const float font = ImGui::GetFontSize(), margin = font * 4.2f;   // the y label beside tick labels such as "0.075"
    const ImVec2 lo(at.x + margin, at.y + room.y - margin), hi(at.x + room.x - font, at.y + font * 0.5f);
    if (hi.x - lo.x < 4 * font || lo.y - hi.y < 4 * font) {
        ImGui::EndChild();
        return;
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float stroke = frame.theme.stroke;
    dl->AddRect(ImVec2(lo.x, hi.y), ImVec2(hi.x, lo.y), frame.theme.text_dim, 0.0f, 0, stroke);
    const double x_end = axis_end(scores, m_x), y_end = axis_end(scores, m_y);
    const auto to_screen = [&](double x, double y) {
        return ImVec2(lo.x + static_cast<float>(x / x_end) * (hi.x - lo.x), lo.y - static_cast<float>(y / y_end) * (lo.y - hi.y));
    };
    for (int t = 0; t <= 4; ++t) {   // ticks at quarters, with their values
        const double fx = x_end * t / 4, fy = y_end * t / 4;
        const ImVec2 px = to_screen(fx, 0), py = to_screen(0, fy);
        dl->AddLine(px, ImVec2(px.x, px.y + font * 0.3f), frame.theme.text_dim, stroke);
        dl->AddLine(py, ImVec2(py.x - font * 0.3f, py.y), frame.theme.text_dim, stroke);
        const std::string xs = format("%.2g", fx), ys = format("%.2g", fy);
        dl->AddText(ImVec2(px.x - ImGui::CalcTextSize(xs.c_str()).x * 0.5f, px.y + font * 0.35f), frame.theme.text_dim, xs.c_str());
        dl->AddText(ImVec2(py.x - ImGui::CalcTextSize(ys.c_str()).x - font * 0.4f, py.y - font * 0.5f), frame.theme.text_dim, ys.c_str());
    }
    // One dot per head, coloured by its layer; the selected head ringed; the nearest under the pointer named.
    ImGui::InvisibleButton("plot", room);
    const bool hovered = ImGui::IsItemHovered();
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const float radius = std::max(3.0f, font * 0.28f);
    int nearest = -1;
    float nearest_d2 = (radius * 2.5f) * (radius * 2.5f);
    for (std::size_t k = 0; k < scores.size(); ++k) {
        const HeadDetectorScores& s = scores[k];
        const ImVec2 p = to_screen(head_detector_value(s, m_x), head_detector_value(s, m_y));
        dl->AddCircleFilled(p, radius, frame.theme.head_color(s.layer, 0.85f));
        if (is_selected(frame, s)) dl->AddCircle(p, radius * 2.0f, frame.theme.highlight, 0, 2.0f * stroke);
        const float dx = p.x - mouse.x, dy = p.y - mouse.y;
        if (hovered && dx * dx + dy * dy < nearest_d2) nearest = static_cast<int>(k), nearest_d2 = dx * dx + dy * dy;
    }
    if (nearest >= 0) {
        const HeadDetectorScores& s = scores[static_cast<std::size_t>(nearest)];
        ImGui::SetTooltip("layer %d, head %d\n%s %.3f, %s %.3f%s", s.layer, s.head, head_detector_name(m_x), head_detector_value(s, m_x),
                          head_detector_name(m_y), head_detector_value(s, m_y), s.sink() ? "\nan attention sink" : "");
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) select(frame, s);
    }
    const char* x_name = head_detector_name(m_x);
    dl->AddText(ImVec2((lo.x + hi.x - ImGui::CalcTextSize(x_name).x) * 0.5f, lo.y + font * 1.3f), frame.theme.text, x_name);
    const char* y_name = head_detector_name(m_y);   // reads upwards, centred on the axis
    draw_rotated_text(dl, ImGui::GetFont(), font, ImVec2(at.x, (lo.y + hi.y + ImGui::CalcTextSize(y_name).x) * 0.5f), frame.theme.text,
                      y_name, -1.5707963f);
    frame.actions.report_region("heads-scatter", ImVec2(lo.x, hi.y), ImVec2(hi.x, lo.y));
    ImGui::EndChild();
}

}  // namespace attnscope::gui
