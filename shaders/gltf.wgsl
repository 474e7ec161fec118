// glTF 2.0 PBR metallic-roughness (glTF 2.0 specification, Appendix B), with KHR_materials_unlit,
// KHR_texture_transform, KHR_lights_punctual and an ambient term from the environment's irradiance
// (nine spherical-harmonic coefficients, Ramamoorthi & Hanrahan 2001). Output: linear HDR radiance.

struct Light {
    // xyz position (stage metres), w kind (0 directional, 1 point, 2 spot).
    position_kind: vec4<f32>,
    // xyz direction the light shines along, w range (0 = infinite).
    direction_range: vec4<f32>,
    // rgb colour times intensity.
    color: vec4<f32>,
    // Spot cone: x = 1 / max(cos inner - cos outer, 1e-3), y = -cos outer * x.
    cone: vec4<f32>,
}

struct Lighting {
    // E(n) / pi = sum sh[k].rgb * Y_k(n), n in the environment image's frame.
    sh: array<vec4<f32>, 9>,
    // xy (cos, sin) of the yaw from stage to image directions, z number of lights.
    yaw_cs_count: vec4<f32>,
    lights: array<Light, 16>,
}

struct Material {
    base_color: vec4<f32>,
    emissive_cutoff: vec4<f32>,
    // metallic, roughness, normal scale, occlusion strength.
    params: vec4<f32>,
    // alpha mode (0 opaque, 1 mask, 2 blend), unlit, texture bit mask, double-sided.
    flags: vec4<u32>,
    // Per slot two rows of the UV transform; row 0's w is the TEXCOORD set.
    tex: array<vec4<f32>, 10>,
}

@group(0) @binding(0) var<uniform> view: View;
@group(1) @binding(0) var<uniform> lighting: Lighting;
@group(2) @binding(0) var<uniform> material: Material;
@group(2) @binding(1) var t_base: texture_2d<f32>;
@group(2) @binding(2) var s_base: sampler;
@group(2) @binding(3) var t_mr: texture_2d<f32>;
@group(2) @binding(4) var s_mr: sampler;
@group(2) @binding(5) var t_normal: texture_2d<f32>;
@group(2) @binding(6) var s_normal: sampler;
@group(2) @binding(7) var t_occlusion: texture_2d<f32>;
@group(2) @binding(8) var s_occlusion: sampler;
@group(2) @binding(9) var t_emissive: texture_2d<f32>;
@group(2) @binding(10) var s_emissive: sampler;

struct VsIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) tangent: vec4<f32>,
    @location(3) uv0: vec2<f32>,
    @location(4) uv1: vec2<f32>,
    @location(5) color: vec4<f32>,
    @location(6) m0: vec4<f32>,
    @location(7) m1: vec4<f32>,
    @location(8) m2: vec4<f32>,
    @location(9) m3: vec4<f32>,
    @location(10) n0: vec4<f32>,
    @location(11) n1: vec4<f32>,
    @location(12) n2: vec4<f32>,
}

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) world: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) tangent: vec4<f32>,
    @location(3) uv0: vec2<f32>,
    @location(4) uv1: vec2<f32>,
    @location(5) color: vec4<f32>,
}

@vertex
fn vs_main(in: VsIn) -> VsOut {
    let model = mat4x4<f32>(in.m0, in.m1, in.m2, in.m3);
    let nmat = mat3x3<f32>(in.n0.xyz, in.n1.xyz, in.n2.xyz);
    let world = (model * vec4<f32>(in.position, 1.0)).xyz;
    var out: VsOut;
    out.position = view.view_proj * vec4<f32>(world - view.eye.xyz, 1.0);
    out.world = world;
    out.normal = nmat * in.normal;
    out.tangent = vec4<f32>((model * vec4<f32>(in.tangent.xyz, 0.0)).xyz, in.tangent.w);
    out.uv0 = in.uv0;
    out.uv1 = in.uv1;
    out.color = in.color;
    return out;
}

// The UV of texture slot k: TEXCOORD_0 or _1, through its KHR_texture_transform.
fn slot_uv(k: u32, uv0: vec2<f32>, uv1: vec2<f32>) -> vec2<f32> {
    let r0 = material.tex[2u * k];
    let r1 = material.tex[2u * k + 1u];
    let uv = select(uv0, uv1, r0.w > 0.5);
    return vec2<f32>(dot(r0.xyz, vec3<f32>(uv, 1.0)), dot(r1.xyz, vec3<f32>(uv, 1.0)));
}

fn has(k: u32) -> bool {
    return (material.flags.z & (1u << k)) != 0u;
}

// Mirrors `sh_basis` in src/scene/ambient.rs.
fn irradiance_over_pi(n_stage: vec3<f32>) -> vec3<f32> {
    let n = normalize(rotate_y(n_stage, lighting.yaw_cs_count.xy));
    let b = array<f32, 9>(
        0.282095, 0.488603 * n.y, 0.488603 * n.z, 0.488603 * n.x,
        1.092548 * n.x * n.y, 1.092548 * n.y * n.z, 0.315392 * (3.0 * n.z * n.z - 1.0),
        1.092548 * n.x * n.z, 0.546274 * (n.x * n.x - n.y * n.y));
    var e = vec3<f32>(0.0);
    for (var k = 0u; k < 9u; k++) {
        e += lighting.sh[k].rgb * b[k];
    }
    return max(e, vec3<f32>(0.0));
}

fn fresnel_schlick(f0: vec3<f32>, v_dot_h: f32) -> vec3<f32> {
    return f0 + (vec3<f32>(1.0) - f0) * pow(1.0 - clamp(v_dot_h, 0.0, 1.0), 5.0);
}

// Direct light of one light at `world` for a surface (n, v): radiance towards the eye.
fn shade_light(l: Light, world: vec3<f32>, n: vec3<f32>, v: vec3<f32>, diffuse: vec3<f32>,
               f0: vec3<f32>, alpha: f32) -> vec3<f32> {
    let kind = u32(l.position_kind.w + 0.5);
    var to_light = -l.direction_range.xyz;
    var attenuation = 1.0;
    if kind != 0u {
        let d = l.position_kind.xyz - world;
        let dist2 = max(dot(d, d), 1e-8);
        to_light = d * inverseSqrt(dist2);
        attenuation = 1.0 / dist2;
        let range = l.direction_range.w;
        if range > 0.0 {
            // KHR_lights_punctual's recommended window: clamp(1 - (d / range)^4, 0, 1)^2.
            let q = dist2 * dist2 / (range * range * range * range);
            attenuation *= pow(clamp(1.0 - q, 0.0, 1.0), 2.0);
        }
        if kind == 2u {
            let cd = dot(l.direction_range.xyz, -to_light);
            let a = clamp(cd * l.cone.x + l.cone.y, 0.0, 1.0);
            attenuation *= a * a;
        }
    }
    let n_dot_l = clamp(dot(n, to_light), 0.0, 1.0);
    let n_dot_v = clamp(dot(n, v), 1e-4, 1.0);
    let h = normalize(to_light + v);
    let n_dot_h = clamp(dot(n, h), 0.0, 1.0);
    let f = fresnel_schlick(f0, dot(v, h));
    // GGX / Trowbridge-Reitz distribution and height-correlated Smith visibility (spec Appendix B).
    let a2 = alpha * alpha;
    let dd = n_dot_h * n_dot_h * (a2 - 1.0) + 1.0;
    let dist = a2 / (PI * dd * dd);
    let gv = n_dot_l * sqrt(n_dot_v * n_dot_v * (1.0 - a2) + a2);
    let gl = n_dot_v * sqrt(n_dot_l * n_dot_l * (1.0 - a2) + a2);
    let vis = select(0.0, 0.5 / (gv + gl), gv + gl > 0.0);
    let brdf = (vec3<f32>(1.0) - f) * diffuse / PI + f * dist * vis;
    return brdf * l.color.rgb * attenuation * n_dot_l;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    // Every texture is sampled first, in uniform control flow; absent ones are ignored below.
    let base_t = textureSample(t_base, s_base, slot_uv(0u, in.uv0, in.uv1));
    let mr_t = textureSample(t_mr, s_mr, slot_uv(1u, in.uv0, in.uv1));
    let normal_uv = slot_uv(2u, in.uv0, in.uv1);
    let normal_t = textureSample(t_normal, s_normal, normal_uv);
    let occ_t = textureSample(t_occlusion, s_occlusion, slot_uv(3u, in.uv0, in.uv1));
    let emissive_t = textureSample(t_emissive, s_emissive, slot_uv(4u, in.uv0, in.uv1));
    let dp_dx = dpdx(in.world);
    let dp_dy = dpdy(in.world);
    let duv_dx = dpdx(normal_uv);
    let duv_dy = dpdy(normal_uv);

    var base = material.base_color * in.color;
    if has(0u) {
        base *= base_t;
    }
    let mode = material.flags.x;
    if mode == 1u && base.a < material.emissive_cutoff.w {
        discard;
    }
    let alpha_out = select(1.0, base.a, mode == 2u);
    var emissive = material.emissive_cutoff.rgb;
    if has(4u) {
        emissive *= emissive_t.rgb;
    }
    if material.flags.y != 0u {
        return vec4<f32>(base.rgb, alpha_out);
    }

    let v = normalize(view.eye.xyz - in.world);
    var n = normalize(in.normal);
    // Cube faces are drawn with a mirrored basis, so facing is judged against the eye, not winding.
    if dot(n, v) < 0.0 && material.flags.w != 0u {
        n = -n;
    }
    if has(2u) {
        var t: vec3<f32>;
        var b: vec3<f32>;
        if abs(in.tangent.w) > 0.5 {
            t = normalize(in.tangent.xyz - n * dot(n, in.tangent.xyz));
            b = cross(n, t) * sign(in.tangent.w);
        } else {
            // No TANGENT: the surface gradients of u and v from screen-space derivatives (the
            // cotangent frame, Schueler 2006): grad u = (dp2perp du1 + dp1perp du2) / det. The sign
            // of det is kept: it flips with the view's handedness (cube faces are mirrored).
            let dp2perp = cross(dp_dy, n);
            let dp1perp = cross(n, dp_dx);
            let det = dot(dp_dx, dp2perp);
            let tt = (dp2perp * duv_dx.x + dp1perp * duv_dy.x) * sign(det);
            let bb = (dp2perp * duv_dx.y + dp1perp * duv_dy.y) * sign(det);
            let inv = inverseSqrt(max(max(dot(tt, tt), dot(bb, bb)), 1e-20));
            t = tt * inv;
            b = -bb * inv; // glTF's v runs down the image: the map's +Y is -grad v
        }
        let tn = (normal_t.xyz * 2.0 - 1.0) * vec3<f32>(material.params.z, material.params.z, 1.0);
        let mapped = t * tn.x + b * tn.y + n * tn.z;
        if dot(mapped, mapped) > 1e-12 {
            n = normalize(mapped);
        }
    }
    var metallic = material.params.x;
    var roughness = material.params.y;
    if has(1u) {
        metallic *= mr_t.b;
        roughness *= mr_t.g;
    }
    metallic = clamp(metallic, 0.0, 1.0);
    roughness = clamp(roughness, 0.03, 1.0);
    var occlusion = 1.0;
    if has(3u) {
        occlusion = 1.0 + material.params.w * (occ_t.r - 1.0);
    }
    let diffuse = base.rgb * (1.0 - metallic);
    let f0 = mix(vec3<f32>(0.04), base.rgb, metallic);
    let alpha = roughness * roughness;
    var color = vec3<f32>(0.0);
    let count = u32(lighting.yaw_cs_count.z + 0.5);
    for (var i = 0u; i < min(count, 16u); i++) {
        color += shade_light(lighting.lights[i], in.world, n, v, diffuse, f0, alpha);
    }
    // Ambient: irradiance for the diffuse lobe; the irradiance along the reflection, weighted by a
    // roughness-aware Fresnel, as a crude glossy term.
    let n_dot_v = clamp(dot(n, v), 0.0, 1.0);
    let fr = f0 + (max(vec3<f32>(1.0 - roughness), f0) - f0) * pow(1.0 - n_dot_v, 5.0);
    let r = reflect(-v, n);
    let ambient = (vec3<f32>(1.0) - fr) * diffuse * irradiance_over_pi(n) + fr * irradiance_over_pi(r);
    color += ambient * occlusion + emissive;
    return vec4<f32>(color, alpha_out);
}
