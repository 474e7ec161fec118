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

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let light = normalize(vec3<f32>(0.4, 1.0, 0.6));
    let lit = 0.35 + 0.65 * max(dot(normalize(in.normal), light), 0.0);
    // Floor (kind 1): dark lines every metre, anti-aliased by the screen-space footprint. Derivatives
    // are taken in uniform control flow, then masked.
    let g = in.world.xz;
    let w = max(fwidth(g), vec2<f32>(1e-4));
    let d = abs(fract(g + 0.5) - 0.5) / w;
    let line = (1.0 - clamp(min(d.x, d.y) - 0.5, 0.0, 1.0)) * step(0.5, in.kind);
    let c = mix(in.color * lit, vec3<f32>(0.02, 0.02, 0.02), line);
    return vec4<f32>(c, 1.0);
}
