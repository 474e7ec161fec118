// Colour in the composite: one layer's grade (exposure and white balance as one matrix, then the ASC
// CDL), a LUT per output or section (1D shaper, then a 3D table with tetrahedral interpolation) and
// the output encodings (sRGB with dither, SMPTE ST 2084 PQ). Mirrors of `parallax::colour`
// (src/colour/), which is checked against OpenColorIO; tests/render/colour.rs runs these functions
// on the GPU against it.

const F16_MAX: f32 = 65504.0;

// Pipeline-overridable switches. A pipeline made for a raster whose colour path leaves a stage unused
// turns it off, so that the driver drops its code: software rasterisers (lavapipe) run both sides
// of a branch, and the unused stages would cost as much as used ones. The defaults leave every stage
// available and the uniforms decide (the test probe).
override GRADES_ON: bool = true;
override LUT_ON: bool = true;
override SHAPER_ON: bool = true;
// The primaries matrix and the shader encodings (dithered sRGB, PQ).
override ENCODE_ON: bool = true;

// Finite and within the half-float range: NaN -> 0, +-inf -> +-65504.
fn clamp_f16(c: vec3<f32>) -> vec3<f32> {
    let finite = select(c, vec3<f32>(0.0), c != c);
    return clamp(finite, vec3<f32>(-F16_MAX), vec3<f32>(F16_MAX));
}

// One layer's grade. Mirrors `parallax::colour::grade::Grade::apply`.
struct Grade {
    // Exposure x white balance, columns (xyz; w unused).
    m0: vec4<f32>,
    m1: vec4<f32>,
    m2: vec4<f32>,
    // CDL slope (xyz), saturation (w).
    slope: vec4<f32>,
    // CDL offset (xyz), 1 for the ASC style (clamped) (w).
    offset: vec4<f32>,
    // CDL power (xyz); w: 0 neutral (nothing applied), 1 matrix only, 2 matrix and CDL.
    power: vec4<f32>,
}

// ASC CDL v1.2 (SOP then saturation with Rec.709 luma), OCIO's clamping styles. Mirrors
// `parallax::colour::cdl::Cdl::apply`.
fn apply_cdl(c: vec3<f32>, g: Grade) -> vec3<f32> {
    let asc = g.offset.w > 0.5;
    var v = c * g.slope.xyz + g.offset.xyz;
    if (asc) {
        v = clamp(v, vec3<f32>(0.0), vec3<f32>(1.0));
    }
    let p = pow(max(v, vec3<f32>(1e-30)), g.power.xyz);
    v = select(v, p, v > vec3<f32>(0.0));
    let luma = dot(v, vec3<f32>(0.2126, 0.7152, 0.0722));
    v = vec3<f32>(luma) + g.slope.w * (v - vec3<f32>(luma));
    if (asc) {
        v = clamp(v, vec3<f32>(0.0), vec3<f32>(1.0));
    }
    return v;
}

fn apply_grade(c: vec3<f32>, g: Grade) -> vec3<f32> {
    if (!GRADES_ON || g.power.w < 0.5) {
        return c;
    }
    var v = clamp_f16(mat3x3<f32>(g.m0.xyz, g.m1.xyz, g.m2.xyz) * c);
    if (g.power.w > 1.5) {
        v = apply_cdl(v, g);
    }
    return clamp_f16(v);
}

// A per-output colour transform. Mirrors `parallax::render::grading::OutputColourUniform`.
struct OutputColour {
    // Working space -> output primaries, columns (xyz).
    m0: vec4<f32>,
    m1: vec4<f32>,
    m2: vec4<f32>,
    // The 3D table's lattice coordinates of a colour c: c * lut_scale + lut_bias (xyz), the domain
    // min..max taken to 0..size - 1.
    lut_scale: vec4<f32>,
    lut_bias: vec4<f32>,
    // The same for the 1D shaper.
    shaper_scale: vec4<f32>,
    shaper_bias: vec4<f32>,
    // x: encoding (0 linear / hardware sRGB, 1 sRGB with dither, 2 PQ); y: flags (1 primaries matrix,
    // 2 3D table, 4 shaper); z: 3D size; w: shaper size.
    mode: vec4<u32>,
    // x: nits of linear 1.0 (PQ), y: peak nits (PQ), z: dither amplitude in code values, w: unused.
    pq: vec4<f32>,
    // Where this LUT's tables start: x in `lut_table`, y in `shaper_table` (entries).
    slot: vec4<u32>,
}

// The LUTs' tables are read from two storage arrays that the shader including this file declares:
//   lut_table: array<vec4<f32>>    the 3D tables one after another, each n^3 entries, red fastest;
//   shaper_table: array<vec4<f32>> the 1D shapers one after another.
// Storage loads rather than texture fetches: the composite's texture units are busy with the inner
// frustum's footprint filter and the outer cube map, and the tetrahedral lookup filters nothing.

// 1D LUT, linear per channel; input outside the domain takes the end entries. Mirrors
// `parallax::colour::lut::Lut1d::apply`.
fn apply_shaper(c: vec3<f32>, oc: OutputColour) -> vec3<f32> {
    let n = oc.mode.w;
    let last = f32(n - 1u);
    let t = clamp(c * oc.shaper_scale.xyz + oc.shaper_bias.xyz, vec3<f32>(0.0), vec3<f32>(last));
    let cell = min(vec3<u32>(floor(t)), vec3<u32>(n - 2u));
    let f = t - vec3<f32>(cell);
    let i = cell + vec3<u32>(oc.slot.y);
    let a = vec3<f32>(shaper_table[i.x].r, shaper_table[i.y].g, shaper_table[i.z].b);
    let b = vec3<f32>(shaper_table[i.x + 1u].r, shaper_table[i.y + 1u].g, shaper_table[i.z + 1u].b);
    return a + f * (b - a);
}

// Tetrahedral interpolation in a 3D table (Kasson et al. 1995; OpenColorIO's INTERP_TETRAHEDRAL):
// the cell is split along its neutral diagonal into six tetrahedra chosen by the order of the
// fractions. Mirrors `parallax::colour::lut::Lut3d::tetrahedral`, without its branches: the
// tetrahedron's corners are c000, c000 stepped along the axis of the largest fraction (`da`), c000
// stepped along every axis but that of the smallest (`db`) and c111, weighted 1 - largest,
// largest - middle, middle - smallest and smallest. Where fractions tie, the corner the tie picks
// has weight 0. All four loads are issued together.
fn apply_lut3d(c: vec3<f32>, oc: OutputColour) -> vec3<f32> {
    let n = oc.mode.z;
    let last = f32(n - 1u);
    // `c` is finite (clamped to the half-float range by `apply_output`), so is `t`.
    let t = clamp(c * oc.lut_scale.xyz + oc.lut_bias.xyz, vec3<f32>(0.0), vec3<f32>(last));
    let cell = min(vec3<u32>(floor(t)), vec3<u32>(n - 2u));
    let f = t - vec3<f32>(cell);
    // Entry (r, g, b) of the table is at slot.x + r + n (g + n b): a step along each axis.
    let step = vec3<u32>(1u, n, n * n);
    let i = oc.slot.x + dot(cell, step);
    // The step to the corner along the axis of the largest fraction, and to the corner along
    // every axis but that of the smallest (never the same axis).
    let ax = f.x >= f.y && f.x >= f.z;
    let ay = !ax && f.y >= f.z;
    let nz = f.z <= f.x && f.z <= f.y;
    let ny = !nz && f.y <= f.x;
    let da = select(select(step.z, step.y, ay), step.x, ax);
    let db = step.x + step.y + step.z - select(select(step.x, step.y, ny), step.z, nz);
    let big = max(f.x, max(f.y, f.z));
    let small = min(f.x, min(f.y, f.z));
    let mid = max(min(f.x, f.y), min(max(f.x, f.y), f.z));
    let c000 = lut_table[i].rgb;
    let ca = lut_table[i + da].rgb;
    let cb = lut_table[i + db].rgb;
    let c111 = lut_table[i + step.x + step.y + step.z].rgb;
    return (1.0 - big) * c000 + (big - mid) * ca + (mid - small) * cb + small * c111;
}

// sRGB encoding (IEC 61966-2-1), 0..1 clamped.
fn srgb_encode(c: vec3<f32>) -> vec3<f32> {
    let x = clamp(c, vec3<f32>(0.0), vec3<f32>(1.0));
    return select(1.055 * pow(x, vec3<f32>(1.0 / 2.4)) - 0.055, 12.92 * x, x <= vec3<f32>(0.0031308));
}

// PQ inverse EOTF (SMPTE ST 2084, equation 5.2), absolute nits, 10000 nits = 1.
fn pq_encode(nits: vec3<f32>) -> vec3<f32> {
    let y = clamp(nits / 10000.0, vec3<f32>(0.0), vec3<f32>(1.0));
    let p = pow(y, vec3<f32>(PQ_M1));
    return pow((PQ_C1 + PQ_C2 * p) / (1.0 + PQ_C3 * p), vec3<f32>(PQ_M2));
}

// 8 x 8 ordered-dither threshold in (-0.5, 0.5) (Bayer matrix by bit interleaving).
fn bayer8(p: vec2<u32>) -> f32 {
    let x = p.x & 7u;
    let y = p.y & 7u;
    let v = x ^ y;
    let b = ((v & 1u) << 5u) | ((x & 1u) << 4u) | ((v & 2u) << 2u) | ((x & 2u) << 1u) | ((v & 4u) >> 1u) | ((x & 4u) >> 2u);
    return (f32(b) + 0.5) / 64.0 - 0.5;
}

// The output transform of a working-space linear colour at output pixel `pixel`: shaper, 3D table,
// primaries, then the encoding. Mirrors `parallax::render::grading::OutputTransform::apply`.
fn apply_output(c_in: vec3<f32>, pixel: vec2<u32>, oc: OutputColour) -> vec3<f32> {
    var c = clamp_f16(c_in);
    let flags = oc.mode.y;
    if (SHAPER_ON && (flags & 4u) != 0u) {
        c = apply_shaper(c, oc);
    }
    if (LUT_ON && (flags & 2u) != 0u) {
        c = apply_lut3d(c, oc);
    }
    if (ENCODE_ON && (flags & 1u) != 0u) {
        c = mat3x3<f32>(oc.m0.xyz, oc.m1.xyz, oc.m2.xyz) * c;
    }
    c = clamp_f16(c);
    if (ENCODE_ON && oc.mode.x == 1u) {
        return srgb_encode(c) + oc.pq.z * bayer8(pixel);
    }
    if (ENCODE_ON && oc.mode.x == 2u) {
        return pq_encode(min(max(c, vec3<f32>(0.0)) * oc.pq.x, vec3<f32>(oc.pq.y)));
    }
    return c;
}
