#include "widgets/draw_util.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <utility>

#include "attnscope/text.h"
#include "attnscope/token_labels.h"
#include "workers/attention_stacks.h"

namespace attnscope::gui {

namespace {

ImVec2 rotate(ImVec2 p, ImVec2 pivot, float c, float s) {
    const float x = p.x - pivot.x, y = p.y - pivot.y;
    return ImVec2(pivot.x + x * c - y * s, pivot.y + x * s + y * c);
}

}  // namespace

void draw_rotated_text(ImDrawList* dl, ImFont* font, float size, ImVec2 pivot, ImU32 color, const char* text, float angle) {
    if (!font) font = ImGui::GetFont();
    const int first = dl->VtxBuffer.Size;
    // No CPU-side clipping (AddText would clip to the draw list's clip rectangle): the text is laid
    // out horizontally first, where it may cross that rectangle although its rotated glyphs do not.
    // The draw command keeps the draw list's clip rectangle, so the GPU still clips the result.
    const ImVec4 no_clip(-1e9f, -1e9f, 1e9f, 1e9f);
    font->RenderText(dl, size, pivot, color, no_clip, text, nullptr, 0.0f, false);
    const float c = std::cos(angle), s = std::sin(angle);
    for (int i = first; i < dl->VtxBuffer.Size; ++i) dl->VtxBuffer[i].pos = rotate(dl->VtxBuffer[i].pos, pivot, c, s);
}

ImVec2 rotated_text_extent(ImFont* font, float size, const char* text, float angle) {
    const ImVec2 t = font->CalcTextSizeA(size, 1e9f, 0.0f, text);
    const float c = std::fabs(std::cos(angle)), s = std::fabs(std::sin(angle));
    return ImVec2(t.x * c + t.y * s, t.x * s + t.y * c);
}

void draw_spinner(ImDrawList* dl, ImVec2 center, float radius, ImU32 color, float thickness) {
    const float t = static_cast<float>(ImGui::GetTime()) * 6.0f;
    const int segments = 24;
    dl->PathClear();
    for (int i = 0; i <= segments; ++i) {
        const float a = t + static_cast<float>(i) / segments * 4.5f;  // three quarters of a turn
        dl->PathLineTo(ImVec2(center.x + std::cos(a) * radius, center.y + std::sin(a) * radius));
    }
    dl->PathStroke(color, 0, thickness);
}

// One pass over the text, however long it is: ImGui's font measures up to the width and says
// where it stopped (a 200,000-character message shortened a character at a time, measuring the
// whole string each time, took tens of seconds a frame).
std::string ellipsize(const std::string& s, float max_width) {
    if (ImGui::CalcTextSize(s.c_str(), s.c_str() + s.size()).x <= max_width) return s;
    const char* ellipsis = "\xE2\x80\xA6";  // …
    const float room = max_width - ImGui::CalcTextSize(ellipsis).x;
    const char* fits_end = s.c_str();
    if (room > 0.0f)
        ImGui::GetFont()->CalcTextSizeA(ImGui::GetFontSize(), room, 0.0f, s.c_str(), s.c_str() + s.size(), &fits_end);
    std::size_t keep = static_cast<std::size_t>(fits_end - s.c_str());
    if (keep < s.size()) keep = utf8_previous_char_start(s, keep + 1);  // never half a character
    return s.substr(0, keep) + ellipsis;
}

namespace {

// Where the wrapped line that starts at `s` ends, and where the next one starts (after the blanks
// ImGui drops at a wrap, or after the line break), as ImGui's own wrapping decides them.
std::pair<const char*, const char*> next_wrapped_line(const char* s, const char* end, float scale, float wrap_width) {
    const char* newline = static_cast<const char*>(std::memchr(s, '\n', static_cast<std::size_t>(end - s)));
    const char* paragraph_end = newline ? newline : end;
    const char* line_end = ImGui::GetFont()->CalcWordWrapPositionA(scale, s, paragraph_end, wrap_width);
    if (line_end == s && s < paragraph_end) line_end = s + utf8_char_length(std::string_view(s, static_cast<std::size_t>(end - s)), 0);
    const char* next = line_end;
    if (next == paragraph_end) return {line_end, newline ? next + 1 : end};
    while (next < paragraph_end && (*next == ' ' || *next == '\t')) ++next;
    return {line_end, next};
}

}  // namespace

void text_wrapped_any_length(std::string_view text) {
    constexpr std::ptrdiff_t kChunkBytes = 2000;  // at most ~8,000 vertices per item
    const char* s = text.data();
    const char* end = s + text.size();
    if (text.size() <= static_cast<std::size_t>(kChunkBytes)) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextUnformatted(s, end);
        ImGui::PopTextWrapPos();
        return;
    }
    const float scale = ImGui::GetFontSize() / ImGui::GetFont()->FontSize;
    const float wrap_width = std::max(1.0f, ImGui::GetContentRegionAvail().x);
    const ImVec2 spacing = ImGui::GetStyle().ItemSpacing;
    ImGui::PushTextWrapPos(0.0f);
    const char* chunk = s;
    while (chunk < end) {
        const char* next = chunk;
        while (next < end && next - chunk < kChunkBytes) next = next_wrapped_line(next, end, scale, wrap_width).second;
        // No item spacing between the pieces of one text: they join as lines of one paragraph.
        if (next < end) ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(spacing.x, 0.0f));
        ImGui::TextUnformatted(chunk, next);
        if (next < end) ImGui::PopStyleVar();
        chunk = next;
    }
    ImGui::PopTextWrapPos();
}

ImU32 colormap_color(Colormap c, float t, float alpha) {
    const Rgb rgb = colormap_rgb(c, t);
    return IM_COL32(rgb.r, rgb.g, rgb.b, static_cast<int>(alpha * 255.0f + 0.5f));
}

ImU32 readable_text_on(ImU32 background) {
    const ImVec4 c = ImGui::ColorConvertU32ToFloat4(background);
    const float luminance = 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z;
    return luminance > 0.5f ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255);
}

void same_line_if_fits(float width, float gap) {
    ImGui::SameLine(0.0f, gap);
    if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
}

float smallest_text_px() { return std::max(10.0f, ImGui::GetFontSize() * 0.45f); }

std::string format(const char* fmt, ...) {
    char buf[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    return buf;
}

void colored_wrapped_text(ImU32 color, const std::string& text) {
    ImGui::PushStyleColor(ImGuiCol_Text, color);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
}

}  // namespace attnscope::gui

namespace attnscope::gui {

void draw_centered_message(const char* text, ImU32 color, bool spinner) {
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 start = ImGui::GetCursorScreenPos();
    const float wrap = std::max(100.0f, avail.x * 0.8f);
    const ImVec2 size = ImGui::CalcTextSize(text, nullptr, false, wrap);
    const float line = ImGui::GetTextLineHeight();
    const ImVec2 p(start.x + (avail.x - size.x) * 0.5f, start.y + std::max(0.0f, (avail.y - size.y) * 0.4f));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddText(nullptr, 0.0f, p, color, text, nullptr, wrap);
    if (spinner) draw_spinner(dl, ImVec2(p.x - line, p.y + line * 0.5f), line * 0.4f, color, 3.0f);
}

void TokenLabels::refresh(const Trace& trace) {
    if (m_for == trace.id && m_font == ImGui::GetFontSize() && !m_text.empty()) return;
    m_for = trace.id;
    m_font = ImGui::GetFontSize();
    m_text.clear();
    m_max_width = 0.0f;
    for (int i = 0; i < trace.n_tokens(); ++i) {
        m_text.push_back(row_label(trace, i));
        m_max_width = std::max(m_max_width, ImGui::CalcTextSize(m_text.back().c_str()).x);
    }
}

}  // namespace attnscope::gui
