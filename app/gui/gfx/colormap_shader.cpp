#include "gfx/colormap_shader.h"

#include <cstddef>
#include <vector>

#include "gfx/gl.h"

// shaders/colormap.*.glsl, linked in by cmake/embed.cmake (NUL-terminated).
extern "C" const char attnscope_shader_colormap_vert[];
extern "C" const char attnscope_shader_colormap_frag[];

namespace attnscope::gui {

namespace {

GLuint compile(GLenum stage, const char* source, std::string& error) {
    const GLuint s = glCreateShader(stage);
    glShaderSource(s, 1, &source, nullptr);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (ok) return s;
    char log[2048] = {};
    glGetShaderInfoLog(s, sizeof log, nullptr, log);
    error = std::string(stage == GL_VERTEX_SHADER ? "colormap.vert.glsl: " : "colormap.frag.glsl: ") + log;
    glDeleteShader(s);
    return 0;
}

GLuint link(GLuint vert, GLuint frag, std::string& error) {
    const GLuint p = glCreateProgram();
    glAttachShader(p, vert);
    glAttachShader(p, frag);
    glLinkProgram(p);
    glDeleteShader(vert);  // flagged; freed with the program
    glDeleteShader(frag);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (ok) return p;
    char log[2048] = {};
    glGetProgramInfoLog(p, sizeof log, nullptr, log);
    error = std::string("colormap shader: ") + log;
    glDeleteProgram(p);
    return 0;
}

void set_vec4(int loc, const ImVec4& v) { glUniform4f(loc, v.x, v.y, v.z, v.w); }

// The same orthographic projection ImGui's renderer uses: display rectangle -> clip space.
void set_projection(int loc) {
    const ImDrawData* dd = ImGui::GetDrawData();
    const float l = dd->DisplayPos.x, r = dd->DisplayPos.x + dd->DisplaySize.x;
    const float t = dd->DisplayPos.y, b = dd->DisplayPos.y + dd->DisplaySize.y;
    const float m[4][4] = {{2.0f / (r - l), 0, 0, 0},
                           {0, 2.0f / (t - b), 0, 0},
                           {0, 0, -1.0f, 0},
                           {(r + l) / (l - r), (t + b) / (b - t), 0, 1.0f}};
    glUniformMatrix4fv(loc, 1, GL_FALSE, &m[0][0]);
}

// Our program reads the vertices ImGui already uploaded; describe them for its attributes.
void bind_imgui_vertex_layout() {
    const GLsizei stride = sizeof(ImDrawVert);
    glEnableVertexAttribArray(0);
    glEnableVertexAttribArray(1);
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<void*>(offsetof(ImDrawVert, pos)));
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<void*>(offsetof(ImDrawVert, uv)));
    glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, stride, reinterpret_cast<void*>(offsetof(ImDrawVert, col)));
}

}  // namespace

ColormapShader::~ColormapShader() {
    if (m_program) glDeleteProgram(m_program);
}

bool ColormapShader::init(std::string& error) {
    const GLuint vert = compile(GL_VERTEX_SHADER, attnscope_shader_colormap_vert, error);
    if (!vert) return false;
    const GLuint frag = compile(GL_FRAGMENT_SHADER, attnscope_shader_colormap_frag, error);
    if (!frag) {
        glDeleteShader(vert);
        return false;
    }
    m_program = link(vert, frag, error);
    if (!m_program) return false;
    m_loc_projection = glGetUniformLocation(m_program, "u_projection");
    m_loc_data = glGetUniformLocation(m_program, "u_data");
    m_loc_lut = glGetUniformLocation(m_program, "u_lut");
    m_loc_lo = glGetUniformLocation(m_program, "u_lo");
    m_loc_hi = glGetUniformLocation(m_program, "u_hi");
    m_loc_mask_a = glGetUniformLocation(m_program, "u_mask_a");
    m_loc_mask_b = glGetUniformLocation(m_program, "u_mask_b");
    m_loc_grid = glGetUniformLocation(m_program, "u_grid");
    m_loc_grid_min_px = glGetUniformLocation(m_program, "u_grid_min_px");
    m_loc_alpha = glGetUniformLocation(m_program, "u_alpha");
    m_loc_gamma = glGetUniformLocation(m_program, "u_gamma");

    for (int c = 0; c < static_cast<int>(Colormap::Count); ++c) {
        const auto table = colormap_table(static_cast<Colormap>(c));
        std::vector<std::uint8_t> rgb;
        for (const Rgb& t : table) rgb.insert(rgb.end(), {t.r, t.g, t.b});
        m_luts[c].upload_rgb8(256, 1, rgb.data(), Filter::Nearest);
    }
    const float masked[2] = {0.0f, 1.0f};
    m_masked.upload_rg32f(1, 1, masked, Filter::Nearest);
    return true;
}

void ColormapShader::begin(ImDrawList* dl, ColormapParams* params) const {
    params->shader = this;
    dl->AddCallback(&ColormapShader::callback, params);
}

void ColormapShader::end(ImDrawList* dl) { dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr); }

void ColormapShader::callback(const ImDrawList*, const ImDrawCmd* cmd) {
    const auto* params = static_cast<const ColormapParams*>(cmd->UserCallbackData);
    params->shader->apply(*params);
}

// Runs inside ImGui's renderer, between its draw calls: the VAO, vertex and index buffers are
// ImGui's; the renderer binds each image's texture to unit 0 before drawing it.
void ColormapShader::apply(const ColormapParams& p) const {
    glUseProgram(m_program);
    bind_imgui_vertex_layout();
    set_projection(m_loc_projection);
    glUniform1i(m_loc_data, 0);
    glUniform1i(m_loc_lut, 1);
    glUniform1f(m_loc_lo, p.lo);
    glUniform1f(m_loc_hi, p.hi);
    set_vec4(m_loc_mask_a, p.mask_a);
    set_vec4(m_loc_mask_b, p.mask_b);
    set_vec4(m_loc_grid, p.grid);
    glUniform1f(m_loc_grid_min_px, p.grid_min_px);
    glUniform1f(m_loc_alpha, p.alpha);
    glUniform1f(m_loc_gamma, p.gamma);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, lut(p.colormap).id());
    glActiveTexture(GL_TEXTURE0);
}

}  // namespace attnscope::gui
