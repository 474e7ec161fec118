// The simulated camera, second step: the lens. Every sensor pixel sees the undistorted direction
// `undistort(t)` of its distorted tangent t (Brown-Conrady, OpenCV's meaning); the pinhole image it
// samples covers `pinhole` tangent extents. Each sensor pixel averages n x n sub-samples (a box filter;
// the pinhole image is rendered n times finer per axis). Where the lens inverse fails at any
// sub-sample the whole pixel shows LENS_FAILURE_MARKER instead of a wrong colour.

struct Lens {
    // Frame extents (left, right, bottom, top) as tangents.
    frame: vec4<f32>,
    // Extents of the pinhole image being sampled.
    pinhole: vec4<f32>,
    // k1, k2, k3, p1
    k: vec4<f32>,
    // p2, output width, output height, sub-samples per axis
    p2_size: vec4<f32>,
    // Pinhole target: used size (xy) and allocated capacity (zw) in texels (targets are bucketed).
    pinhole_extent: vec4<f32>,
    // Centre of distortion (xy, normalised, OpenCV axes: y down); zw unused.
    centre: vec4<f32>,
}

@group(0) @binding(0) var pinhole_texture: texture_2d<f32>;
@group(0) @binding(1) var linear_sampler: sampler;
@group(0) @binding(2) var<uniform> lens: Lens;

// Colour of a sensor pixel where the lens inverse fails (magenta: linear (1, 0, 1), sRGB 255, 0, 255).
const LENS_FAILURE_MARKER: vec3<f32> = vec3<f32>(1.0, 0.0, 1.0);

// ---- The lens model's inverse: mirror of parallax::camera::Distortion (src/camera/distortion.rs) ----
// Same algorithm and constants (a Rust test checks these three lines); only the tolerance differs,
// for f32: UNDISTORT_TOLERANCE here is UNDISTORT_TOLERANCE_F32 there.
const UNDISTORT_MAX_STEPS: i32 = 20;
const UNDISTORT_MAX_STEP: f32 = 0.5;
const UNDISTORT_TOLERANCE: f32 = 4e-6;

// OpenCV distortion of normalised coordinates (x right, y down) about the centre c;
// k = (k1, k2, k3, p1). Mirror of Distortion::distort_cv.
fn distort_cv(q: vec2<f32>, k: vec4<f32>, p2: f32, c: vec2<f32>) -> vec2<f32> {
    let p = q - c;
    let r2 = dot(p, p);
    let radial = 1.0 + r2 * (k.x + r2 * (k.y + r2 * k.z));
    return c + vec2<f32>(
        p.x * radial + 2.0 * k.w * p.x * p.y + p2 * (r2 + 2.0 * p.x * p.x),
        p.y * radial + k.w * (r2 + 2.0 * p.y * p.y) + 2.0 * p2 * p.x * p.y,
    );
}

// Analytic Jacobian of distort_cv: (dx'/dx, dx'/dy, dy'/dx, dy'/dy). Mirror of Distortion::jacobian_cv.
fn distort_jacobian_cv(q: vec2<f32>, k: vec4<f32>, p2: f32, c: vec2<f32>) -> vec4<f32> {
    let p = q - c;
    let r2 = dot(p, p);
    let radial = 1.0 + r2 * (k.x + r2 * (k.y + r2 * k.z));
    let dradial = k.x + r2 * (2.0 * k.y + 3.0 * r2 * k.z);
    let xx = radial + 2.0 * p.x * p.x * dradial + 2.0 * k.w * p.y + 6.0 * p2 * p.x;
    let xy = 2.0 * p.x * p.y * dradial + 2.0 * k.w * p.x + 2.0 * p2 * p.y;
    let yy = radial + 2.0 * p.y * p.y * dradial + 6.0 * k.w * p.y + 2.0 * p2 * p.x;
    return vec4<f32>(xx, xy, xy, yy);
}

// Inverse of distort_cv by Newton's method from p = d with the analytic Jacobian, steps shortened to
// UNDISTORT_MAX_STEP; fails where F is not finite or det J <= 0 (the model folds over), succeeds where
// |distort(p) - d| <= UNDISTORT_TOLERANCE * max(1, |d|). Returns (p, 1) on success, (p, 0) on failure.
// Mirror of Distortion::undistort_cv_checked.
fn undistort_cv(d: vec2<f32>, k: vec4<f32>, p2: f32, c: vec2<f32>) -> vec3<f32> {
    let tol = UNDISTORT_TOLERANCE * max(1.0, length(d));
    var p = d;
    for (var n = 0; n <= UNDISTORT_MAX_STEPS; n = n + 1) {
        let f = distort_cv(p, k, p2, c) - d;
        // Not finite (infinity fails the comparison, and so does NaN where the compiler keeps it).
        if (!all(abs(f) <= vec2<f32>(3.0e38))) {
            return vec3<f32>(p, 0.0);
        }
        let j = distort_jacobian_cv(p, k, p2, c);
        let det = j.x * j.w - j.y * j.z;
        if (!(det > 0.0)) {
            return vec3<f32>(p, 0.0);
        }
        if (length(f) <= tol) {
            return vec3<f32>(p, 1.0);
        }
        if (n == UNDISTORT_MAX_STEPS) {
            break;
        }
        var step = vec2<f32>(j.w * f.x - j.y * f.y, j.x * f.y - j.z * f.x) / det;
        let len = length(step);
        if (len > UNDISTORT_MAX_STEP) {
            step = step * (UNDISTORT_MAX_STEP / len);
        }
        p = p - step;
    }
    return vec3<f32>(p, 0.0);
}
// ---- end of the mirror ----

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

// Texture coordinates of pinhole-image uv in the pinhole target, whose used part is the top-left
// pinhole_extent.xy of pinhole_extent.zw texels: clamped half a texel inside the used part (what
// clamp-to-edge does for an exactly sized texture), then scaled to the capacity.
fn pinhole_uv(uv: vec2<f32>) -> vec2<f32> {
    let used = lens.pinhole_extent.xy;
    return clamp(uv * used, vec2<f32>(0.5), used - vec2<f32>(0.5)) / lens.pinhole_extent.zw;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let size = lens.p2_size.yz;
    let n = max(i32(lens.p2_size.w), 1);
    let pixel = floor(in.position.xy);
    var sum = vec3<f32>(0.0);
    for (var j = 0; j < n; j = j + 1) {
        for (var i = 0; i < n; i = i + 1) {
            let s = (pixel + (vec2<f32>(f32(i), f32(j)) + 0.5) / f32(n)) / size;
            // Distorted tangent of this sub-sample (y up).
            let t = vec2<f32>(mix(lens.frame.x, lens.frame.y, s.x), mix(lens.frame.w, lens.frame.z, s.y));
            let cv = undistort_cv(vec2<f32>(t.x, -t.y), lens.k, lens.p2_size.x, lens.centre.xy);
            if (cv.z < 0.5) {
                return vec4<f32>(LENS_FAILURE_MARKER, 1.0);
            }
            let u = vec2<f32>(cv.x, -cv.y);
            let uv = vec2<f32>((u.x - lens.pinhole.x) / (lens.pinhole.y - lens.pinhole.x),
                               (lens.pinhole.w - u.y) / (lens.pinhole.w - lens.pinhole.z));
            // Outside the pinhole image (never inside the frame by construction) counts as black.
            if (all(uv >= vec2<f32>(0.0)) && all(uv <= vec2<f32>(1.0))) {
                sum = sum + textureSampleLevel(pinhole_texture, linear_sampler, pinhole_uv(uv), 0.0).rgb;
            }
        }
    }
    return vec4<f32>(sum / f32(n * n), 1.0);
}
