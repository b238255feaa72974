#version 330 core
// Vertex stage of the colormap shader. Same vertex layout as Dear ImGui's own OpenGL 3 shader
// (ImDrawVert: position, uv, colour), so heatmap images go through ImGui's draw lists and only
// the program is swapped for them (app/gui/gfx/colormap_shader.cpp).
layout (location = 0) in vec2 Position;
layout (location = 1) in vec2 UV;
layout (location = 2) in vec4 Color;

uniform mat4 u_projection;

out vec2 v_uv;
out vec4 v_color;

void main() {
    v_uv = UV;
    v_color = Color;
    gl_Position = u_projection * vec4(Position.xy, 0.0, 1.0);
}
