// The simulated camera, second step: the lens. Every sensor pixel sees the undistorted direction
// `undistort(t)` of its distorted tangent t (Brown-Conrady, OpenCV's meaning); the pinhole image it
// samples covers `pinhole` tangent extents. With zero distortion this is a plain copy.

struct Lens {
    // Frame extents (left, right, bottom, top) as tangents.
    frame: vec4<f32>,
    // Extents of the pinhole image being sampled.
    pinhole: vec4<f32>,
    // k1, k2, k3, p1
    k: vec4<f32>,
    // p2, output width, output height, unused
    p2_size: vec4<f32>,
    // Pinhole target: used size (xy) and allocated capacity (zw) in texels (targets are bucketed).
    pinhole_extent: vec4<f32>,
}

@group(0) @binding(0) var pinhole_texture: texture_2d<f32>;
@group(0) @binding(1) var linear_sampler: sampler;
@group(0) @binding(2) var<uniform> lens: Lens;

struct VsOut {
    @builtin(position) position: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32) -> VsOut {
    let x = f32((vi << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(vi & 2u) * 2.0 - 1.0;
    var out: VsOut;
    out.position = vec4<f32>(x, y, 0.0, 1.0);
    return out;
}

// OpenCV distortion of normalised coordinates (x right, y down).
fn distort_cv(p: vec2<f32>) -> vec2<f32> {
    let k1 = lens.k.x;
    let k2 = lens.k.y;
    let k3 = lens.k.z;
    let p1 = lens.k.w;
    let p2 = lens.p2_size.x;
    let r2 = dot(p, p);
    let radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3));
    return vec2<f32>(
        p.x * radial + 2.0 * p1 * p.x * p.y + p2 * (r2 + 2.0 * p.x * p.x),
        p.y * radial + p1 * (r2 + 2.0 * p.y * p.y) + 2.0 * p2 * p.x * p.y,
    );
}

// Inverse of distort_cv by fixed-point iteration (converges inside the lens's image circle).
fn undistort_cv(d: vec2<f32>) -> vec2<f32> {
    var p = d;
    for (var n = 0; n < 20; n = n + 1) {
        let e = distort_cv(p) - d;
        p = p - e;
    }
    return p;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let size = lens.p2_size.yz;
    let s = in.position.xy / size;
    // Distorted tangent of this sensor pixel (y up).
    let t = vec2<f32>(mix(lens.frame.x, lens.frame.y, s.x), mix(lens.frame.w, lens.frame.z, s.y));
    let cv = undistort_cv(vec2<f32>(t.x, -t.y));
    let u = vec2<f32>(cv.x, -cv.y);
    let uv = vec2<f32>((u.x - lens.pinhole.x) / (lens.pinhole.y - lens.pinhole.x),
                       (lens.pinhole.w - u.y) / (lens.pinhole.w - lens.pinhole.z));
    if (any(uv < vec2<f32>(0.0)) || any(uv > vec2<f32>(1.0))) {
        return vec4<f32>(0.0, 0.0, 0.0, 1.0);
    }
    // The used part is the top-left pinhole_extent.xy texels: clamp half a texel inside it (as
    // clamp-to-edge would), then scale to the capacity.
    let used = lens.pinhole_extent.xy;
    let tex_uv = clamp(uv * used, vec2<f32>(0.5), used - vec2<f32>(0.5)) / lens.pinhole_extent.zw;
    return vec4<f32>(textureSampleLevel(pinhole_texture, linear_sampler, tex_uv, 0.0).rgb, 1.0);
}
