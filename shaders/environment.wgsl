// The environment drawn as a background at infinity: a full-screen triangle whose fragments look up
// the equirectangular image along the view direction.

struct EnvParams {
    // (cos yaw, sin yaw) of the rotation from stage to image directions, then intensity, unused.
    yaw_cs: vec2<f32>,
    intensity: f32,
    pad: f32,
}

@group(0) @binding(0) var<uniform> view: View;
@group(1) @binding(0) var env_texture: texture_2d<f32>;
@group(1) @binding(1) var env_sampler: sampler;
@group(1) @binding(2) var<uniform> env: EnvParams;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) ndc: vec2<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32) -> VsOut {
    let x = f32((vi << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(vi & 2u) * 2.0 - 1.0;
    var out: VsOut;
    // Depth 0: at infinity with reversed-Z.
    out.position = vec4<f32>(x, y, 0.0, 1.0);
    out.ndc = vec2<f32>(x, y);
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let d = rotate_y(view_direction(view, in.ndc), env.yaw_cs);
    let uv = equirect_uv(d);
    // Footprint of this pixel in the image, for the mip level. atan2 jumps by a whole turn at the
    // image's left/right seam (u = 0 = 1): wrap the u derivative to the nearest turn so that pixels
    // next to the seam take the same level as their neighbours (no line of blur along it).
    var ddx = dpdx(uv);
    var ddy = dpdy(uv);
    ddx.x -= round(ddx.x);
    ddy.x -= round(ddy.x);
    let c = textureSampleGrad(env_texture, env_sampler, uv, ddx, ddy);
    return vec4<f32>(c.rgb * env.intensity, 1.0);
}
