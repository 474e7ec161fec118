// The procedural test scene: lit solids and a floor with a 1 m grid.

@group(0) @binding(0) var<uniform> view: View;

struct VsIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) color: vec3<f32>,
    @location(3) kind: f32,
}

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) world: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) color: vec3<f32>,
    @location(3) kind: f32,
}

@vertex
fn vs_main(in: VsIn) -> VsOut {
    var out: VsOut;
    out.position = view.view_proj * vec4<f32>(in.position - view.eye.xyz, 1.0);
    out.world = in.position;
    out.normal = in.normal;
    out.color = in.color;
    out.kind = in.kind;
    return out;
}

// Width of the floor's grid lines in metres.
const LINE_WIDTH: f32 = 0.03;

// Fraction of the footprint [x - w/2, x + w/2] (metres) covered by the nearest grid line (centred on
// whole metres, LINE_WIDTH wide): the line box-filtered over the footprint.
fn line_coverage(x: f32, w: f32) -> f32 {
    let d = abs(fract(x + 0.5) - 0.5);
    let lo = max(d - 0.5 * w, -0.5 * LINE_WIDTH);
    let hi = min(d + 0.5 * w, 0.5 * LINE_WIDTH);
    return clamp((hi - lo) / w, 0.0, 1.0);
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let light = normalize(vec3<f32>(0.4, 1.0, 0.6));
    let lit = 0.35 + 0.65 * max(dot(normalize(in.normal), light), 0.0);
    // Floor (kind 1): dark lines LINE_WIDTH wide every metre, box-filtered over the fragment's
    // footprint, so that the floor is the same picture at any resolution (a supersampled render
    // converges to it). Derivatives are taken in uniform control flow, then masked.
    let g = in.world.xz;
    let w = max(fwidth(g), vec2<f32>(1e-4));
    let cover = vec2<f32>(line_coverage(g.x, w.x), line_coverage(g.y, w.y));
    let line = (1.0 - (1.0 - cover.x) * (1.0 - cover.y)) * step(0.5, in.kind);
    let c = mix(in.color * lit, vec3<f32>(0.02, 0.02, 0.02), line);
    return vec4<f32>(c, 1.0);
}
