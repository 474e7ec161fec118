// The preview window's own drawing: textured rectangles (plain, difference, overlay) and 3D lines.

// One textured rectangle: where it goes (normalised device coordinates), which part of the
// texture it shows (uv), how it is drawn.
struct Quad {
    // x0, y0, x1, y1 in normalised device coordinates (y up).
    dst: vec4<f32>,
    // u0, v0, u1, v1.
    src: vec4<f32>,
    // mode (0 plain, 1 |a - b| * gain, 2 overlay with the texture's alpha), gain, opacity, unused.
    params: vec4<f32>,
}

@group(0) @binding(0) var<uniform> quad: Quad;
@group(1) @binding(0) var tex_a: texture_2d<f32>;
@group(1) @binding(1) var tex_b: texture_2d<f32>;
@group(1) @binding(2) var samp: sampler;

struct QuadOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

@vertex
fn vs_quad(@builtin(vertex_index) vi: u32) -> QuadOut {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    let c = corners[vi % 6u];
    var out: QuadOut;
    // c.y = 0 is the top edge (y0 is the top in NDC, the larger value).
    out.position = vec4<f32>(mix(quad.dst.x, quad.dst.z, c.x), mix(quad.dst.y, quad.dst.w, c.y), 0.0, 1.0);
    out.uv = vec2<f32>(mix(quad.src.x, quad.src.z, c.x), mix(quad.src.y, quad.src.w, c.y));
    return out;
}

@fragment
fn fs_quad(in: QuadOut) -> @location(0) vec4<f32> {
    let a = textureSample(tex_a, samp, in.uv);
    let b = textureSample(tex_b, samp, in.uv);
    let mode = i32(quad.params.x + 0.5);
    if mode == 1 {
        // Where the simulated camera sees no LED (black), the error is dimmed: that is off the wall.
        let on_wall = select(0.15, 1.0, max(a.r, max(a.g, a.b)) > 1e-4);
        let d = clamp(abs(a.rgb - b.rgb) * quad.params.y, vec3<f32>(0.0), vec3<f32>(1.0));
        return vec4<f32>(d * on_wall, 1.0);
    }
    if mode == 2 {
        return vec4<f32>(a.rgb, a.a * quad.params.z);
    }
    return vec4<f32>(a.rgb, 1.0);
}

// 3D lines in a view: clip = view_proj * (position relative to the eye, 1).
struct LineView {
    view_proj: mat4x4<f32>,
}

@group(0) @binding(0) var<uniform> line_view: LineView;

struct LineOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
}

@vertex
fn vs_line(@location(0) position: vec3<f32>, @location(1) color: vec4<f32>) -> LineOut {
    var out: LineOut;
    out.position = line_view.view_proj * vec4<f32>(position, 1.0);
    out.color = color;
    return out;
}

@fragment
fn fs_line(in: LineOut) -> @location(0) vec4<f32> {
    return in.color;
}
