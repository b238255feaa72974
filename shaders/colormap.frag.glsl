#version 330 core
// Fragment stage of the colormap shader: turns a float data texture into colours.
//   u_data: RG32F (heatmap) or RG8 (thumbnail atlas). r = the value, g = 1 for a masked cell.
//   u_lut:  256 x 1 RGB lookup table of the colormap (viridis, cividis, magma, greys).
// The value is mapped linearly from [u_lo, u_hi] to [0, 1]. Masked cells get diagonal stripes
// of two greys, so they never look like a small weight. Cell borders are drawn when a cell is
// at least u_grid_min_px pixels wide, so big cells stay countable on a projector.
in vec2 v_uv;
in vec4 v_color;

uniform sampler2D u_data;
uniform sampler2D u_lut;
uniform float u_lo;
uniform float u_hi;
uniform vec4 u_mask_a;
uniform vec4 u_mask_b;
uniform vec4 u_grid;
uniform float u_grid_min_px;
uniform float u_alpha;
uniform float u_gamma;  // 1: linear; 0.5: square root, so small weights show (the overview's Contrast)

out vec4 out_color;

vec4 masked_color() {
    float stripe = mod(floor((gl_FragCoord.x + gl_FragCoord.y) / 6.0), 2.0);
    return mix(u_mask_a, u_mask_b, stripe);
}

// How close (in pixels) this fragment is to the border of its texel, via screen-space derivatives.
float border_distance_px(vec2 texel) {
    vec2 f = fract(texel);
    vec2 edge = min(f, 1.0 - f);
    vec2 px_per_texel = 1.0 / max(fwidth(texel), vec2(1e-6));
    vec2 d = edge * px_per_texel;
    float cell_px = min(px_per_texel.x, px_per_texel.y);
    return cell_px >= u_grid_min_px ? min(d.x, d.y) : 1e6;
}

void main() {
    vec2 size = vec2(textureSize(u_data, 0));
    vec2 texel = v_uv * size;
    vec4 data = texture(u_data, v_uv);
    vec4 color;
    if (data.g > 0.5) {
        color = masked_color();
    } else {
        float t = pow(clamp((data.r - u_lo) / max(u_hi - u_lo, 1e-12), 0.0, 1.0), u_gamma);
        color = vec4(texture(u_lut, vec2((t * 255.0 + 0.5) / 256.0, 0.5)).rgb, 1.0);
    }
    if (border_distance_px(texel) < 1.0) color = mix(color, vec4(u_grid.rgb, 1.0), u_grid.a);
    out_color = vec4(color.rgb, color.a * v_color.a * u_alpha);
}
