// Mip-map generation: one level from the level above by an exact box filter (the area average).
// Destination texel x covers the source interval [x s / d, (x + 1) s / d) on each axis, where s and
// d are the source and destination sizes and d = max(1, floor(s / 2)) (wgpu's mip size rule). For
// an even s that is two whole texels; for an odd s it is 2 + 1/d texels, so up to four source texels
// contribute, each weighted by its overlap with the interval. Every level keeps level 0's mean.
// Colour is averaged as loaded (linear: sRGB targets decode on load and encode on store).

@group(0) @binding(0) var mip_source: texture_2d<f32>;

@vertex
fn vs_main(@builtin(vertex_index) vi: u32) -> @builtin(position) vec4<f32> {
    let x = f32((vi << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(vi & 2u) * 2.0 - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

// Length of the overlap of source texel k (covering [k, k + 1)) with [a, b).
fn overlap(k: i32, a: f32, b: f32) -> f32 {
    let lo = f32(k);
    return max(0.0, min(b, lo + 1.0) - max(a, lo));
}

@fragment
fn fs_main(@builtin(position) p: vec4<f32>) -> @location(0) vec4<f32> {
    let s = textureDimensions(mip_source);
    let d = max(s / 2u, vec2<u32>(1u));
    let x = vec2<u32>(p.xy);
    // The ratio is exactly 2 for even sizes; for odd ones rounding only moves weights by ~1e-7 (the
    // sum is normalised by the total weight).
    let ratio = vec2<f32>(s) / vec2<f32>(d);
    let a = vec2<f32>(x) * ratio;
    let b = vec2<f32>(x + 1u) * ratio;
    // Source texels k0 ..< k1 overlap the interval (2 per axis for even sizes, 3 or 4 for odd).
    let k0 = vec2<i32>(floor(a));
    let k1 = min(vec2<i32>(ceil(b)), vec2<i32>(s));
    var sum = vec4<f32>(0.0);
    var weight = 0.0;
    for (var ky = k0.y; ky < k1.y; ky++) {
        let wy = overlap(ky, a.y, b.y);
        for (var kx = k0.x; kx < k1.x; kx++) {
            let w = wy * overlap(kx, a.x, b.x);
            sum += w * textureLoad(mip_source, vec2<i32>(kx, ky), 0);
            weight += w;
        }
    }
    return sum / weight;
}
