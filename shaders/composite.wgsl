// Composite + map: one instance per panel placed in the output being drawn, one quad covering the
// panel's output rectangle. Each fragment is one output pixel. The LED pixel it feeds has a position
// on the stage (interpolated exactly from the quad's corners, see VsOut); the wall shows there the
// inner frustum (seen from the entrance pupil) where the pixel projects inside it, blended over the
// soft edge into the outer cube map (seen from the outer viewpoint), and the outer elsewhere.

struct Frame {
    // Camera space of the inner frustum: clip = inner_view_proj * vec4(world - inner_eye, 1).
    inner_view_proj: mat4x4<f32>,
    inner_eye: vec4<f32>,
    outer_viewpoint: vec4<f32>,
    border_color: vec4<f32>,
    // soft edge (fraction of the frustum), border width (fraction), inner enabled (0/1), unused
    params: vec4<f32>,
    // Inner target: used size (xy) and allocated capacity (zw) in texels (targets are bucketed).
    inner_extent: vec4<f32>,
}

struct Target {
    size: vec2<f32>,
    pad: vec2<f32>,
}

@group(0) @binding(0) var<storage, read> panels: array<Panel>;
@group(0) @binding(1) var<uniform> frame: Frame;
@group(0) @binding(2) var<uniform> out_target: Target;
@group(0) @binding(3) var inner_texture: texture_2d<f32>;
@group(0) @binding(4) var outer_cube: texture_cube<f32>;
@group(0) @binding(5) var linear_sampler: sampler;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    // The LED pixel's position relative to the outer viewpoint, and in the inner camera's clip space.
    // Both are affine in the output pixel coordinates within a panel (the placement and the panel's
    // geometry are affine), so the rasterizer's linear interpolation gives the exact values at each
    // pixel centre: no per-fragment buffer reads or matrix products.
    @location(0) @interpolate(linear) from_outer: vec3<f32>,
    @location(1) @interpolate(linear) inner_clip: vec4<f32>,
}

// Stage position of the continuous output coordinate `p` (pixel centres at +0.5) of a panel: at
// pixel centres it is the centre of the LED pixel that output pixel feeds.
fn panel_point(panel: Panel, p: vec2<f32>) -> vec3<f32> {
    let d = p - vec2<f32>(0.5) - vec2<f32>(panel.origin);
    let i = dot(d, vec2<f32>(panel.step_col));
    let j = dot(d, vec2<f32>(panel.step_row));
    let size = vec2<f32>(panel.pixels);
    return panel.top_left.xyz + (i + 0.5) / size.x * panel.right.xyz + (j + 0.5) / size.y * panel.down.xyz;
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> VsOut {
    let panel = panels[ii];
    let rect = panel_rect(panel);
    let p = mix(rect.xy, rect.zw, quad_corner(vi));
    let world = panel_point(panel, p);
    var out: VsOut;
    out.position = vec4<f32>(pixel_to_ndc(p, out_target.size), 0.0, 1.0);
    out.from_outer = world - frame.outer_viewpoint.xyz;
    out.inner_clip = frame.inner_view_proj * vec4<f32>(world - frame.inner_eye.xyz, 1.0);
    return out;
}

// Weight of the inner frustum at frustum uv (0..1 inside): 1 inside the soft edge, falling smoothly to
// 0 at the frustum's border. Mirrored by `parallax::render::inputs::inner_weight`.
fn inner_weight(uv: vec2<f32>, soft: f32) -> f32 {
    if (any(uv < vec2<f32>(0.0)) || any(uv > vec2<f32>(1.0))) {
        return 0.0;
    }
    if (soft <= 0.0) {
        return 1.0;
    }
    let e = min(uv, vec2<f32>(1.0) - uv) / soft;
    let w = clamp(e, vec2<f32>(0.0), vec2<f32>(1.0));
    let s = w * w * (vec2<f32>(3.0) - 2.0 * w);
    return s.x * s.y;
}

// Texture coordinates of frustum uv in the inner target, whose used part is the top-left
// inner_extent.xy of inner_extent.zw texels: clamped half a texel inside the used part (what
// clamp-to-edge does for an exactly sized texture), then scaled to the capacity.
fn inner_texture_uv(uv: vec2<f32>) -> vec2<f32> {
    let size = frame.inner_extent.xy;
    return clamp(uv * size, vec2<f32>(0.5), size - vec2<f32>(0.5)) / frame.inner_extent.zw;
}

// The outer wall's colour along a ray from the outer viewpoint.
fn outer_color(ray: vec3<f32>) -> vec3<f32> {
    return textureSampleLevel(outer_cube, linear_sampler, ray, 0.0).rgb;
}

// Colour the wall shows at an LED pixel. The outer cube map is only sampled where it is seen.
fn wall_color(from_outer: vec3<f32>, clip: vec4<f32>) -> vec4<f32> {
    if (frame.params.z < 0.5 || clip.w <= 0.0) {
        return vec4<f32>(outer_color(from_outer), 1.0);
    }
    let uv = ndc_to_uv(clip.xy / clip.w);
    let w = inner_weight(uv, frame.params.x);
    if (w <= 0.0) {
        return vec4<f32>(outer_color(from_outer), 1.0);
    }
    let b = frame.params.y;
    let edge = min(min(uv.x, 1.0 - uv.x), min(uv.y, 1.0 - uv.y));
    if (b > 0.0 && edge < b) {
        return vec4<f32>(frame.border_color.rgb, 1.0);
    }
    let inner = textureSampleLevel(inner_texture, linear_sampler, inner_texture_uv(uv), 0.0).rgb;
    if (w >= 1.0) {
        return vec4<f32>(inner, 1.0);
    }
    return vec4<f32>(mix(outer_color(from_outer), inner, w), 1.0);
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return wall_color(in.from_outer, in.inner_clip);
}
