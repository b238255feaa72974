// Sections: [SECTION] Editing  [SECTION] Results  [SECTION] File
#include "panels/playground_panel.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "attnscope/explain.h"
#include "widgets/draw_util.h"

namespace attnscope::gui {

namespace {

constexpr float kBodyScale = 1.15f;

ImVec4 vec4(ImU32 c) { return ImGui::ColorConvertU32ToFloat4(c); }

// One vector as draggable numbers; true when edited.
bool drag_vector(const char* label, RowVector& v) {
    float values[kPlaygroundMaxDim] = {};
    for (Index c = 0; c < v.size(); ++c) values[c] = v[c];
    const bool changed = ImGui::DragScalarN(label, ImGuiDataType_Float, values, static_cast<int>(v.size()), 0.02f,
                                            nullptr, nullptr, "%.2f");
    if (changed)
        for (Index c = 0; c < v.size(); ++c) v[c] = values[c];
    return changed;
}

}  // namespace

PlaygroundPanel::PlaygroundPanel() : m_playground(abc_playground()) { recompute(); }

// Numbers and their text, once per edit; drawing only reads m_text.
void PlaygroundPanel::recompute() {
    const Playground& p = m_playground;
    m_result = compute_playground(p);
    m_text = {};
    const RowVector& q = p.tokens[static_cast<std::size_t>(p.query)].q;
    for (std::size_t j = 0; j < p.tokens.size(); ++j) {
        m_text.dots.push_back(dot_terms(q, p.tokens[j].k) + " = " + format_number(m_result.raw[j]));
        m_text.scores.push_back(format_number(m_result.scores[j]));
        m_text.exps.push_back(format_number(m_result.exps[j]));
        m_text.weights.push_back(format_number(m_result.weights[j]));
        m_text.unscaled.push_back(format_number(m_result.weights_unscaled[j]));
    }
    m_text.out = format_vector(m_result.out);
}

void PlaygroundPanel::draw_content(const FrameContext& frame) {
    ImGui::SetWindowFontScale(kBodyScale);
    bool changed = draw_settings(frame);
    changed |= draw_scale(frame);
    ImGui::Separator();
    changed |= draw_vectors(frame);
    if (changed) recompute();  // a few dozen flops, only on edits
    ImGui::Separator();
    draw_results(frame);
    draw_output(frame);
    ImGui::Separator();
    draw_file(frame);
    frame.actions.report_region("playground", ImGui::GetWindowPos(),
                                ImVec2(ImGui::GetWindowPos().x + ImGui::GetWindowSize().x, ImGui::GetWindowPos().y + ImGui::GetWindowSize().y));
}

// [SECTION] Editing

bool PlaygroundPanel::draw_settings(const FrameContext& frame) {
    Playground& p = m_playground;
    bool changed = false;
    ImGui::TextUnformatted("d:");
    ImGui::SameLine();
    for (int d = kPlaygroundMinDim; d <= kPlaygroundMaxDim; ++d) {
        ImGui::SameLine();
        if (ImGui::RadioButton(format("%d##d", d).c_str(), p.d == d)) {
            const bool scale_was_default = std::abs(p.scale - p.default_scale()) < 1e-6f;
            p.set_dim(d);
            if (scale_was_default) p.scale = p.default_scale();
            changed = true;
        }
    }
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 2.0f);
    ImGui::TextUnformatted("weights by:");
    ImGui::SameLine();
    int n = static_cast<int>(p.normalisation);
    changed |= ImGui::RadioButton("softmax", &n, static_cast<int>(Normalisation::Softmax));
    ImGui::SameLine();
    changed |= ImGui::RadioButton("plain: positive scores / their sum", &n, static_cast<int>(Normalisation::Plain));
    p.normalisation = static_cast<Normalisation>(n);
    (void)frame;
    return changed;
}

// The scale slider: 1/√d is marked, and the weights without any scaling are shown beside the
// real ones (draw_results), so moving it shows what dividing by √d does.
bool PlaygroundPanel::draw_scale(const FrameContext& frame) {
    Playground& p = m_playground;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14.0f);
    bool changed = ImGui::SliderFloat("scale (1 / temperature)", &p.scale, 0.05f, 2.0f, "%.3f");
    ImGui::SameLine();
    if (ImGui::Button(format("1/\xE2\x88\x9A%d = %.3f", p.d, static_cast<double>(p.default_scale())).c_str())) {
        p.scale = p.default_scale();
        changed = true;
    }
    ImGui::SameLine();
    if (ImGui::Button("1 (no scaling)")) {
        p.scale = 1.0f;
        changed = true;
    }
    same_line_if_fits(ImGui::CalcTextSize("Reset to A/B/C").x + ImGui::GetFontSize());
    if (ImGui::Button("Reset to A/B/C")) {
        p = abc_playground();
        changed = true;
    }
    colored_wrapped_text(frame.theme.text_dim, "Bigger scale: the largest score takes nearly all the weight. Smaller: the weights "
                                               "even out. Dot products of d numbers grow like \xE2\x88\x9A" "d, so 1/\xE2\x88\x9A" "d keeps them gentle. "
                                               "The last column, \"unscaled\", shows the weights with scale 1.");
    return changed;
}

bool PlaygroundPanel::draw_vectors(const FrameContext& frame) {
    Playground& p = m_playground;
    bool changed = false;
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("##vectors", 6, flags)) return false;
    ImGui::TableSetupColumn("query?", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("token", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 4.0f);
    ImGui::TableSetupColumn("q: what am I looking for");
    ImGui::TableSetupColumn("k: what do I contain");
    ImGui::TableSetupColumn("v: what I pass on");
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableHeadersRow();
    int remove = -1;
    for (int t = 0; t < static_cast<int>(p.tokens.size()); ++t) {
        PlaygroundToken& tok = p.tokens[static_cast<std::size_t>(t)];
        ImGui::PushID(t);
        ImGui::TableNextRow();
        if (t == p.query) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, (frame.theme.highlight & 0x00FFFFFF) | 0x60000000);
        ImGui::TableSetColumnIndex(0);
        if (ImGui::RadioButton("##query", p.query == t)) { p.query = t; changed = true; }
        ImGui::TableSetColumnIndex(1);
        ImGui::SetNextItemWidth(-FLT_MIN);
        char name[32];
        std::snprintf(name, sizeof name, "%s", tok.name.c_str());
        if (ImGui::InputText("##name", name, sizeof name)) tok.name = name;  // checked when saved
        ImGui::TableSetColumnIndex(2);
        ImGui::SetNextItemWidth(-FLT_MIN);
        changed |= drag_vector("##q", tok.q);
        ImGui::TableSetColumnIndex(3);
        ImGui::SetNextItemWidth(-FLT_MIN);
        changed |= drag_vector("##k", tok.k);
        ImGui::TableSetColumnIndex(4);
        ImGui::SetNextItemWidth(-FLT_MIN);
        changed |= drag_vector("##v", tok.v);
        ImGui::TableSetColumnIndex(5);
        if (p.tokens.size() > 1 && ImGui::SmallButton("\xC3\x97")) remove = t;
        ImGui::PopID();
    }
    ImGui::EndTable();
    if (remove >= 0) { p.remove_token(remove); changed = true; }
    if (static_cast<int>(p.tokens.size()) < kPlaygroundMaxTokens && ImGui::Button("+ token")) { p.add_token(); changed = true; }
    ImGui::SameLine();
    ImGui::TextColored(vec4(frame.theme.text_dim), "drag a number, or Ctrl+click it to type");
    return changed;
}

// [SECTION] Results

void PlaygroundPanel::draw_results(const FrameContext& frame) {
    const Playground& p = m_playground;
    const PlaygroundResult& r = m_result;
    const bool softmax = p.normalisation == Normalisation::Softmax;
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("##results", 6, flags)) return;
    ImGui::TableSetupColumn("key");
    ImGui::TableSetupColumn("q \xC2\xB7 k");
    ImGui::TableSetupColumn("score (\xC3\x97 scale)");
    ImGui::TableSetupColumn(softmax ? "e^score" : "max(s, 0)");
    ImGui::TableSetupColumn("weight");
    ImGui::TableSetupColumn("unscaled");
    ImGui::TableHeadersRow();
    ImGui::PushFont(frame.fonts.mono);
    for (std::size_t j = 0; j < p.tokens.size(); ++j) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(p.tokens[j].name.c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::TextUnformatted(m_text.dots[j].c_str());
        ImGui::TableSetColumnIndex(2);
        ImGui::TextUnformatted(m_text.scores[j].c_str());
        ImGui::TableSetColumnIndex(3);
        ImGui::TextUnformatted(m_text.exps[j].c_str());
        ImGui::TableSetColumnIndex(4);
        ImGui::ProgressBar(r.weights[j], ImVec2(ImGui::GetFontSize() * 5.0f, 0.0f), m_text.weights[j].c_str());
        ImGui::TableSetColumnIndex(5);
        ImGui::TextColored(vec4(frame.theme.text_dim), "%s", m_text.unscaled[j].c_str());
    }
    ImGui::PopFont();
    ImGui::EndTable();
}

void PlaygroundPanel::draw_output(const FrameContext& frame) {
    const Playground& p = m_playground;
    ImGui::SetWindowFontScale(kBodyScale * 1.25f);  // UI font: the mono one has no Σ
    ImGui::TextColored(vec4(frame.theme.accent), "out_%s = \xCE\xA3 weight_j v_j = %s", p.tokens[static_cast<std::size_t>(p.query)].name.c_str(),
                       m_text.out.c_str());
    ImGui::SetWindowFontScale(kBodyScale);
}

// [SECTION] File

void PlaygroundPanel::draw_file(const FrameContext& frame) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16.0f);
    char buf[512];
    std::snprintf(buf, sizeof buf, "%s", m_path.c_str());
    if (ImGui::InputText("##path", buf, sizeof buf)) m_path = buf;
    ImGui::SameLine();
    if (ImGui::Button("Save")) save();
    ImGui::SameLine();
    if (ImGui::Button("Open")) open();
    if (!m_file_message.empty()) colored_wrapped_text(m_file_error ? frame.theme.error : frame.theme.text_dim, m_file_message);
}

void PlaygroundPanel::save() {
    const auto text = write_playground_json(m_playground);
    m_file_error = !text.ok();
    if (!text.ok()) { m_file_message = text.error().message; return; }
    std::ofstream out(m_path, std::ios::binary);
    out << text.value();
    m_file_error = !out.good();
    m_file_message = m_file_error ? m_path + ": could not write" : "saved " + m_path + " (a model: open it and type the token names)";
}

void PlaygroundPanel::open() {
    std::ifstream in(m_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const auto read = in ? read_playground_json(text.str(), m_path) : Result<Playground>(Error{m_path + ": could not read"});
    m_file_error = !read.ok();
    if (!read.ok()) { m_file_message = read.error().message; return; }
    m_playground = read.value();
    recompute();
    m_file_message = "opened " + m_path;
}

}  // namespace attnscope::gui
