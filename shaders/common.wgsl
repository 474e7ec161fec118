// Shared WGSL: view uniforms, the equirectangular mapping, projections. Concatenated in front of every
// other shader at load time (WGSL has no includes). Mirrored in Rust by `parallax::render::view` and
// `parallax::scene::environment::equirect_uv`.

const PI: f32 = 3.141592653589793;

// SMPTE ST 2084:2014 (PQ) constants, section 5: the composite's encoding (shaders/colour.wgsl) and
// the camera view's decoding (shaders/camera_view.wgsl). Mirrors `parallax::colour::transfer`.
const PQ_M1: f32 = 2610.0 / 16384.0;
const PQ_M2: f32 = 2523.0 / 4096.0 * 128.0;
const PQ_C1: f32 = 3424.0 / 4096.0;
const PQ_C2: f32 = 2413.0 / 4096.0 * 32.0;
const PQ_C3: f32 = 2392.0 / 4096.0 * 32.0;

// One view the scene is drawn from: clip = view_proj * vec4(world - eye, 1).
struct View {
    view_proj: mat4x4<f32>,
    inv_view_proj: mat4x4<f32>,
    eye: vec4<f32>,
}

// conventions.md: u = 0.5 + atan2(d.x, -d.z) / (2 pi), v = acos(d.y) / pi.
fn equirect_uv(d: vec3<f32>) -> vec2<f32> {
    let n = normalize(d);
    return vec2<f32>(0.5 + atan2(n.x, -n.z) / (2.0 * PI), acos(clamp(n.y, -1.0, 1.0)) / PI);
}

// Rotates a direction about +Y by an angle given as (cos, sin).
fn rotate_y(d: vec3<f32>, cs: vec2<f32>) -> vec3<f32> {
    return vec3<f32>(cs.x * d.x + cs.y * d.z, d.y, -cs.y * d.x + cs.x * d.z);
}

// World direction through a point of normalised device coordinates.
fn view_direction(v: View, ndc: vec2<f32>) -> vec3<f32> {
    let p = v.inv_view_proj * vec4<f32>(ndc, 0.5, 1.0);
    return normalize(p.xyz / p.w);
}

// Output/texture pixel coordinates (y down, origin top-left) to normalised device coordinates.
fn pixel_to_ndc(p: vec2<f32>, size: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(p.x / size.x * 2.0 - 1.0, 1.0 - p.y / size.y * 2.0);
}

// Normalised device coordinates to texture uv (0,0 top-left).
fn ndc_to_uv(ndc: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(ndc.x * 0.5 + 0.5, 0.5 - ndc.y * 0.5);
}

// A placed LED panel: geometry (stage space) and tile mapping (output pixels).
struct Panel {
    top_left: vec4<f32>,
    right: vec4<f32>,
    down: vec4<f32>,
    pixels: vec2<u32>,
    origin: vec2<i32>,
    step_col: vec2<i32>,
    step_row: vec2<i32>,
}

// The output rectangle (min, max exclusive) covered by a panel.
fn panel_rect(p: Panel) -> vec4<f32> {
    let a = p.origin;
    let b = p.origin + (i32(p.pixels.x) - 1) * p.step_col + (i32(p.pixels.y) - 1) * p.step_row;
    let lo = min(a, b);
    let hi = max(a, b) + vec2<i32>(1, 1);
    return vec4<f32>(vec2<f32>(lo), vec2<f32>(hi));
}

// Quad corner (0..1, 0..1) of vertex `vi` of a two-triangle quad.
fn quad_corner(vi: u32) -> vec2<f32> {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    return corners[vi % 6u];
}
