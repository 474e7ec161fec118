// The simulated camera, first step: the wall's cabinets drawn in 3D from the camera's entrance pupil
// (pinhole), each fragment showing the light of the LED pixel it covers: the texel fetched from the
// output texture that feeds it through the panel's placement, decoded from the output's encoding
// and primaries into linear Rec.709 (`parallax::render::emitted`; black where the cabinet is seen
// from behind). One instanced draw per output.

@group(0) @binding(0) var<storage, read> panels: array<Panel>;
@group(0) @binding(1) var<uniform> view: View;
@group(1) @binding(0) var output_texture: texture_2d<f32>;
// The top-left pixel of the sub-frame region read (frame remapping; 0 without).
@group(1) @binding(1) var<uniform> region: vec4<i32>;
@group(1) @binding(2) var<uniform> emitted: Emitted;

// Mirrors `parallax::render::emitted::EmittedLight`.
struct Emitted {
    // The output's primaries -> linear Rec.709, columns (xyz).
    m0: vec4<f32>,
    m1: vec4<f32>,
    m2: vec4<f32>,
    // x: the texels hold 0 linear light, 1 sRGB code values, 2 PQ code values; y: PQ's nits of 1.0
    // after decoding over the nits of linear 1.0.
    decode: vec4<f32>,
}

// sRGB decoding (IEC 61966-2-1).
fn srgb_decode(e: vec3<f32>) -> vec3<f32> {
    let x = clamp(e, vec3<f32>(0.0), vec3<f32>(1.0));
    return select(pow((x + 0.055) / 1.055, vec3<f32>(2.4)), x / 12.92, x <= vec3<f32>(0.04045));
}

// PQ EOTF (SMPTE ST 2084:2014, section 5.2, equation 5.1): code values 0..1 to nits / 10000.
// Mirrors `parallax::colour::transfer::pq_decode`.
fn pq_decode(e: vec3<f32>) -> vec3<f32> {
    let p = pow(clamp(e, vec3<f32>(0.0), vec3<f32>(1.0)), vec3<f32>(1.0 / PQ_M2));
    return pow(max(p - PQ_C1, vec3<f32>(0.0)) / (PQ_C2 - PQ_C3 * p), vec3<f32>(1.0 / PQ_M1));
}

// The light an LED shows for texel `c`, linear Rec.709, 1.0 at the output's reference white.
fn emitted_light(c: vec3<f32>) -> vec3<f32> {
    var v = c;
    if (emitted.decode.x > 1.5) {
        v = pq_decode(c) * emitted.decode.y;
    } else if (emitted.decode.x > 0.5) {
        v = srgb_decode(c);
    }
    return mat3x3<f32>(emitted.m0.xyz, emitted.m1.xyz, emitted.m2.xyz) * v;
}

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
    return vec4<f32>(emitted_light(c.rgb), 1.0);
}
