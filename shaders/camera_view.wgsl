// The simulated camera, first step: the wall's cabinets drawn in 3D from the camera's entrance pupil
// (pinhole), each fragment showing the LED pixel it covers, fetched from the output texture that feeds
// it through the panel's placement (black where the cabinet is seen from behind). One instanced draw
// per output.

@group(0) @binding(0) var<storage, read> panels: array<Panel>;
@group(0) @binding(1) var<uniform> view: View;
@group(1) @binding(0) var output_texture: texture_2d<f32>;
// The top-left pixel of the sub-frame region read (frame remapping; 0 without).
@group(1) @binding(1) var<uniform> region: vec4<i32>;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) @interpolate(flat) panel: u32,
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> VsOut {
    let p = panels[ii];
    let c = quad_corner(vi);
    let world = p.top_left.xyz + c.x * p.right.xyz + c.y * p.down.xyz;
    var out: VsOut;
    out.position = view.view_proj * vec4<f32>(world - view.eye.xyz, 1.0);
    out.uv = c;
    out.panel = ii;
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let p = panels[in.panel];
    // LEDs emit forwards: a cabinet seen from behind (the eye behind its front, the side its
    // normal down x right points to) shows its dark back.
    if (dot(cross(p.down.xyz, p.right.xyz), view.eye.xyz - p.top_left.xyz) <= 0.0) {
        return vec4<f32>(0.0, 0.0, 0.0, 1.0);
    }
    let size = vec2<i32>(p.pixels);
    let ij = clamp(vec2<i32>(floor(in.uv * vec2<f32>(p.pixels))), vec2<i32>(0), size - vec2<i32>(1));
    let o = p.origin + region.xy + ij.x * p.step_col + ij.y * p.step_row;
    let c = textureLoad(output_texture, o, 0);
    return vec4<f32>(c.rgb, 1.0);
}
