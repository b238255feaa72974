// Small drawing helpers shared by the panels: rotated labels, a spinner, label shortening,
// colormap colours on the CPU (for legends and readable numbers on cells).
#pragma once

#include <imgui.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/colormap.h"
#include "attnscope/trace.h"

namespace attnscope::gui {

// Draws `text` starting at `pivot`, rotated by `angle` radians around it (negative: anticlockwise
// on screen, i.e. reading upwards). ImGui 1.86 cannot rotate text, so the glyph quads are rotated.
void draw_rotated_text(ImDrawList* dl, ImFont* font, float size, ImVec2 pivot, ImU32 color, const char* text, float angle);

// Size of `text` rotated by `angle`: its bounding box.
ImVec2 rotated_text_extent(ImFont* font, float size, const char* text, float angle);

void draw_spinner(ImDrawList* dl, ImVec2 center, float radius, ImU32 color, float thickness);

// Cuts `s` to fit `max_width` pixels at the current font, ending it with an ellipsis.
std::string ellipsize(const std::string& s, float max_width);

// ImGui::TextWrapped for text of any length. One ImGui text item emits 4 vertices per glyph,
// every line of it (a wrapped text is not clipped line by line), and a draw list with 16-bit
// indices aborts past 65,536 vertices: a 20,000-character lesson caption ended the app. This
// draws the text as several items of whole wrapped lines, ~2,000 bytes each, that look exactly
// like one; items scrolled out of view are then skipped entirely.
void text_wrapped_any_length(std::string_view text);

ImU32 colormap_color(Colormap c, float t, float alpha = 1.0f);

// Black or white, whichever reads better on `background`.
ImU32 readable_text_on(ImU32 background);

// SameLine() when an item `width` pixels wide still fits on this line, else stay on a new line.
// `gap`: pixels between the items (negative: the style's item spacing).
void same_line_if_fits(float width, float gap = -1.0f);

// The smallest type the heatmap shrinks its labels, numbers and legend to before it leaves some
// out: 45% of the interface's font size (14 px in presentation mode), never under 10 px.
float smallest_text_px();

// Presentation mode draws the teacher's controls (view buttons, steppers, the heatmap toolbar, the
// status line) in type down to this share of its large size, so the class gets the room.
inline constexpr float kCompactFontScale = 0.6f;

// Shrinks the current window's type until a row of controls fits on one line: sets the window font
// scale to the largest of 1, 0.95, 0.9, ... down to `min_scale` at which `row_width()` (measured at
// the scale being tried) is at most `available`, and returns it. The caller resets the scale to 1
// before its window ends: ImGui keeps a window's scale from one frame to the next.
template <class RowWidth>
float shrink_to_fit(float available, float min_scale, RowWidth row_width) {
    float scale = 1.0f;
    ImGui::SetWindowFontScale(scale);
    while (scale - 0.05f >= min_scale - 1e-4f && row_width() > available) {
        scale -= 0.05f;
        ImGui::SetWindowFontScale(scale);
    }
    return scale;
}

// printf into a std::string.
std::string format(const char* fmt, ...) IM_FMTARGS(1);

// Text in a given colour, wrapped at the window's edge.
void colored_wrapped_text(ImU32 color, const std::string& text);

}  // namespace attnscope::gui

namespace attnscope::gui {

// A message in the middle of the remaining space ("Type a sentence above"), with a spinner when
// something is on its way.
void draw_centered_message(const char* text, ImU32 color, bool spinner);

// A trace's row labels (row_label: its tokens, or for cross-attention "la \u2192 banque", what each
// decoder step writes) and the widest one's width in the current font: rebuilt only when the
// trace or the font size changes, never every frame. Keys pass keys_of(view), never a cross trace.
class TokenLabels {
public:
    void refresh(const Trace& trace);
    const std::string& operator[](std::size_t i) const { return m_text[i]; }
    float max_width() const { return m_max_width; }

private:
    std::uint64_t m_for = 0;  // Trace::id of m_text
    float m_font = 0.0f;      // font size of m_max_width
    std::vector<std::string> m_text;
    float m_max_width = 0.0f;
};

}  // namespace attnscope::gui
