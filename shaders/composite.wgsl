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
    // soft edge (fraction of the frustum), border width (fraction), inner enabled (0/1),
    // inner sampling (1: the LED pixel's footprint through the mip chain, 0: level 0 only)
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
// The inner frustum with its full mip chain.
@group(0) @binding(3) var inner_texture: texture_2d<f32>;
@group(0) @binding(4) var outer_cube: texture_cube<f32>;
@group(0) @binding(5) var linear_sampler: sampler;

// Each layer's grade (shaders/colour.wgsl), applied to its colour before the soft-edge blend.
struct Grades {
    inner: Grade,
    outer: Grade,
}
@group(0) @binding(6) var<uniform> grades: Grades;

// This raster's output transform: LUT, primaries and encoding (shaders/colour.wgsl).
@group(1) @binding(0) var<uniform> out_colour: OutputColour;
@group(1) @binding(1) var lut3d: texture_3d<f32>;
@group(1) @binding(2) var shaper_texture: texture_2d<f32>;
// Group 2: chroma key, markers and light cards (src/render/overlay.rs). Mirrored by
// `parallax::render::overlay::OverlayUniform`.
struct Overlay {
    // Key colour (linear rgb); w: 1 when the key replaces the inner frustum's scene.
    key: vec4<f32>,
    // Marker colour (linear rgb); w: shape (0 none, 1 cross, 2 dot, 3 square).
    marker_colour: vec4<f32>,
    // Marker size, spacing, offset x, offset y (unwrapped wall millimetres).
    marker: vec4<f32>,
    // x: number of light cards; y: 1 when the outer is read from the frozen bake (group 3; the
    // pipeline variant with FROZEN set does so).
    cards: vec4<u32>,
}

// A light card resolved for the frame (`parallax::render::overlay::CardUniform`).
struct LightCard {
    // Centre (stage metres); w: layer (0 under the inner frustum, 1 over).
    centre: vec4<f32>,
    // Width direction / half width; w: shape (0 rectangle, 1 ellipse).
    u: vec4<f32>,
    // Height direction / half height; w: feather.
    v: vec4<f32>,
    // The point the card is projected onto the wall from.
    eye: vec4<f32>,
    // Linear radiance.
    radiance: vec4<f32>,
}

@group(2) @binding(0) var<uniform> chroma: Overlay;
// Per panel (parallel to `panels`): its rectangle on its section's unwrapped wall, x, y, width,
// height in mm (`parallax::stage::chroma::panel_wall_rect`).
@group(2) @binding(1) var<storage, read> panel_walls: array<vec4<f32>>;
@group(2) @binding(2) var<storage, read> cards: array<LightCard>;
// Group 3: the frozen outer baked for this raster, one texel per output pixel (src/render/frozen.rs):
// the outer's linear colour, and the raster's final pixels as they are where the inner frustum is not
// seen (the "outside" bake, in the raster's own format).
@group(3) @binding(0) var outer_baked: texture_2d<f32>;
@group(3) @binding(1) var outside_baked: texture_2d<f32>;

// What of each panel a pipeline draws: 0 and 2 the whole panel, 1 only the part where the inner
// frustum may be seen (`inner_box`). With the outer frozen, a raster is drawn as the outside bake
// copied over every panel (2, `fs_copy`), then the full composite over those parts (1).
override PART: u32 = 0u;
// Unset in the outside bake's pipeline: the wall without the inner frustum.
override INNER: bool = true;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    // The LED pixel's position relative to the outer viewpoint, and in the inner camera's clip space.
    // Both are affine in the output pixel coordinates within a panel (the placement and the panel's
    // geometry are affine), so the rasterizer's linear interpolation gives the exact values at each
    // pixel centre: no per-fragment buffer reads or matrix products.
    @location(0) @interpolate(linear) from_outer: vec3<f32>,
    @location(1) @interpolate(linear) inner_clip: vec4<f32>,
    // Derivatives of inner_clip per output pixel along x and y: constant over a panel (inner_clip is
    // affine there), so computed once per vertex and passed flat. One output pixel is one LED pixel,
    // so these are the LED pixel's footprint axes in clip space.
    @location(2) @interpolate(flat) clip_dx: vec4<f32>,
    @location(3) @interpolate(flat) clip_dy: vec4<f32>,
    // > 0 when the panel's front (normal down x right) faces the entrance pupil; constant per panel.
    // Mirrored by `parallax::render::footprint::faces`.
    @location(4) @interpolate(flat) facing: f32,
    // The LED pixel's position on its section's unwrapped wall (mm): affine in p, like from_outer.
    @location(5) @interpolate(linear) wall_mm: vec2<f32>,
    // The LED pixel pitch on the unwrapped wall (mm along its x and y); constant per panel.
    @location(6) @interpolate(flat) wall_pitch: vec2<f32>,
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

// Unwrapped wall position (mm) of the continuous output coordinate `p` of a panel whose wall
// rectangle is `rect`. Mirrored by `parallax::stage::chroma::led_wall_mm`.
fn panel_wall_point(panel: Panel, rect: vec4<f32>, p: vec2<f32>) -> vec2<f32> {
    let d = p - vec2<f32>(0.5) - vec2<f32>(panel.origin);
    let ij = vec2<f32>(dot(d, vec2<f32>(panel.step_col)), dot(d, vec2<f32>(panel.step_row)));
    return rect.xy + (ij + 0.5) / vec2<f32>(panel.pixels) * rect.zw;
}

// Fraction of the interval [x - p/2, x + p/2] (one LED pixel of pitch p centred at x >= 0) inside
// [-h, h]: the exact box-filtered coverage along one axis.
fn span_cover(x: f32, h: f32, p: f32) -> f32 {
    return clamp((min(x + 0.5 * p, h) - max(x - 0.5 * p, -h)) / p, 0.0, 1.0);
}

// Fraction of the LED pixel centred at unwrapped wall point `q` (mm), of pitch `pitch` (mm along the
// wall's x and y), that the nearest tracking marker covers: exact for squares and crosses (box
// filter over the pixel), along the radius for dots. Mirrored by `parallax::stage::Markers::coverage`.
fn marker_cover(q: vec2<f32>, pitch: vec2<f32>) -> f32 {
    let shape = chroma.marker_colour.w;
    if (shape < 0.5) {
        return 0.0;
    }
    let spacing = chroma.marker.y;
    let local = q - chroma.marker.zw;
    let d = abs(local - round(local / spacing) * spacing);
    let h = 0.5 * chroma.marker.x;
    if (shape < 1.5) {
        // A cross: two bars of width size / 5, their union (the centre square counted once).
        let t = 0.1 * chroma.marker.x;
        let hx = span_cover(d.x, h, pitch.x);
        let hy = span_cover(d.y, h, pitch.y);
        let tx = span_cover(d.x, t, pitch.x);
        let ty = span_cover(d.y, t, pitch.y);
        return hx * ty + tx * hy - tx * ty;
    }
    if (shape < 2.5) {
        let p = 0.5 * (pitch.x + pitch.y);
        return clamp((h - length(d)) / p + 0.5, 0.0, 1.0);
    }
    return span_cover(d.x, h, pitch.x) * span_cover(d.y, h, pitch.y);
}

// What the inner frustum shows at an LED pixel: the key colour (or a marker) when the chroma key is
// on, else the scene through the inner render.
fn keyed_inner(in: VsOut, uv: vec2<f32>) -> vec3<f32> {
    if (chroma.key.w > 0.5) {
        let cover = marker_cover(in.wall_mm, in.wall_pitch);
        return mix(chroma.key.rgb, chroma.marker_colour.rgb, cover);
    }
    return apply_grade(inner_color(uv, in.inner_clip, in.clip_dx, in.clip_dy), grades.inner);
}

// Opacity of a light card at the LED pixel centred on `world`: where the ray from the card's eye
// through the LED meets the card's plane (in front of the eye), the card's normalised radius `r`
// (max norm for a rectangle, euclidean for an ellipse) against the feather. Mirrored by
// `parallax::stage::cards::CardFrame::alpha`.
fn card_alpha(card: LightCard, world: vec3<f32>) -> f32 {
    let d = world - card.eye.xyz;
    let n = cross(card.u.xyz, card.v.xyz);
    let denom = dot(d, n);
    let t = dot(card.centre.xyz - card.eye.xyz, n) / denom;
    if (denom == 0.0 || !(t > 0.0)) {
        return 0.0;
    }
    let h = card.eye.xyz + t * d - card.centre.xyz;
    let p = vec2<f32>(dot(h, card.u.xyz), dot(h, card.v.xyz));
    var r = max(abs(p.x), abs(p.y));
    if (card.u.w > 0.5) {
        r = length(p);
    }
    let feather = card.v.w;
    if (feather <= 0.0) {
        return select(0.0, 1.0, r <= 1.0);
    }
    return clamp((1.0 - r) / feather, 0.0, 1.0);
}

// `c` with the light cards of `layer` (0 under, 1 over) composited over it, in list order.
fn light_cards(c: vec3<f32>, in: VsOut, layer: f32) -> vec3<f32> {
    let world = in.from_outer + frame.outer_viewpoint.xyz;
    var out = c;
    for (var k = 0u; k < chroma.cards.x; k += 1u) {
        let card = cards[k];
        if (abs(card.centre.w - layer) < 0.5) {
            out = mix(out, card.radiance.rgb, card_alpha(card, world));
        }
    }
    return out;
}

// Value at panel point (s, t) of a linear function of clip space, `e . clip(s, t)`, as
// (constant, along s, along t): clip(s, t) = c0 + s cr + t cd.
fn plane_in_panel(e: vec4<f32>, c0: vec4<f32>, cr: vec4<f32>, cd: vec4<f32>) -> vec3<f32> {
    let v = vec3<f32>(dot(e, c0), dot(e, cr), dot(e, cd));
    // A margin relative to the terms keeps the clipping conservative under rounding.
    let m = 1e-4 * (abs(v.x) + abs(v.y) + abs(v.z)) + 1e-6;
    return v + vec3<f32>(m, 0.0, 0.0);
}

// The part of a panel (s, t in 0..1 along its right and down edges) where the inner frustum may be
// seen: the bounding box (s0, t0, s1, t1) of the unit square clipped by the frustum's four side
// planes (|x| <= w, |y| <= w in the inner camera's clip space) and the plane through the entrance
// pupil (w >= 0), all linear in (s, t) since the panel is flat. Empty (s0 > s1) when the inner is
// off, the panel faces away from the pupil or nothing is left.
fn inner_box(panel: Panel) -> vec4<f32> {
    let empty = vec4<f32>(1.0, 1.0, 0.0, 0.0);
    if (!INNER || frame.params.z < 0.5) {
        return empty;
    }
    let eye = frame.inner_eye.xyz;
    if (dot(cross(panel.down.xyz, panel.right.xyz), eye - panel.top_left.xyz) <= 0.0) {
        return empty;
    }
    let m = frame.inner_view_proj;
    let c0 = m * vec4<f32>(panel.top_left.xyz - eye, 1.0);
    let cr = m * vec4<f32>(panel.right.xyz, 0.0);
    let cd = m * vec4<f32>(panel.down.xyz, 0.0);
    let planes = array<vec4<f32>, 5>(
        vec4<f32>(-1.0, 0.0, 0.0, 1.0),
        vec4<f32>(1.0, 0.0, 0.0, 1.0),
        vec4<f32>(0.0, -1.0, 0.0, 1.0),
        vec4<f32>(0.0, 1.0, 0.0, 1.0),
        vec4<f32>(0.0, 0.0, 0.0, 1.0),
    );
    // Sutherland-Hodgman: a square clipped by five half-planes has at most nine corners.
    var poly = array<vec2<f32>, 10>();
    poly[0] = vec2<f32>(0.0, 0.0);
    poly[1] = vec2<f32>(1.0, 0.0);
    poly[2] = vec2<f32>(1.0, 1.0);
    poly[3] = vec2<f32>(0.0, 1.0);
    var n = 4u;
    for (var k = 0u; k < 5u; k += 1u) {
        let f = plane_in_panel(planes[k], c0, cr, cd);
        var next = array<vec2<f32>, 10>();
        var count = 0u;
        for (var i = 0u; i < n; i += 1u) {
            let a = poly[i];
            let b = poly[(i + 1u) % n];
            let fa = f.x + f.y * a.x + f.z * a.y;
            let fb = f.x + f.y * b.x + f.z * b.y;
            if (fa >= 0.0 && count < 10u) {
                next[count] = a;
                count += 1u;
            }
            if ((fa >= 0.0) != (fb >= 0.0) && count < 10u) {
                next[count] = a + (b - a) * (fa / (fa - fb));
                count += 1u;
            }
        }
        poly = next;
        n = count;
    }
    if (n == 0u) {
        return empty;
    }
    var lo = vec2<f32>(1.0);
    var hi = vec2<f32>(0.0);
    for (var i = 0u; i < n; i += 1u) {
        lo = min(lo, poly[i]);
        hi = max(hi, poly[i]);
    }
    return vec4<f32>(clamp(lo, vec2<f32>(0.0), vec2<f32>(1.0)), clamp(hi, vec2<f32>(0.0), vec2<f32>(1.0)));
}

// The output rectangle (min, max exclusive, whole pixels) covering panel box `b` (s0, t0, s1, t1):
// LED space (u, v) = (s, t) * pixels maps to the continuous output point
// origin + 0.5 + (u - 0.5) step_col + (v - 0.5) step_row. Grown by a pixel and kept in the panel.
fn box_rect(panel: Panel, b: vec4<f32>) -> vec4<f32> {
    let size = vec2<f32>(panel.pixels);
    let o = vec2<f32>(panel.origin) + vec2<f32>(0.5);
    let sc = vec2<f32>(panel.step_col);
    let sr = vec2<f32>(panel.step_row);
    let p0 = o + (b.x * size.x - 0.5) * sc + (b.y * size.y - 0.5) * sr;
    let p1 = o + (b.z * size.x - 0.5) * sc + (b.y * size.y - 0.5) * sr;
    let p2 = o + (b.x * size.x - 0.5) * sc + (b.w * size.y - 0.5) * sr;
    let p3 = o + (b.z * size.x - 0.5) * sc + (b.w * size.y - 0.5) * sr;
    let whole = panel_rect(panel);
    let lo = max(floor(min(min(p0, p1), min(p2, p3))) - vec2<f32>(1.0), whole.xy);
    let hi = min(ceil(max(max(p0, p1), max(p2, p3))) + vec2<f32>(1.0), whole.zw);
    return vec4<f32>(lo, hi);
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> VsOut {
    let panel = panels[ii];
    var out: VsOut;
    var rect = panel_rect(panel);
    if (PART == 1u) {
        // Only the part of the panel where the inner frustum may be seen.
        let b = inner_box(panel);
        if (b.x > b.z || b.y > b.w) {
            // Nothing: an empty quad off the target.
            out.position = vec4<f32>(2.0, 2.0, 0.0, 1.0);
            return out;
        }
        rect = box_rect(panel, b);
    }
    let p = mix(rect.xy, rect.zw, quad_corner(vi));
    let world = panel_point(panel, p);
    out.position = vec4<f32>(pixel_to_ndc(p, out_target.size), 0.0, 1.0);
    out.from_outer = world - frame.outer_viewpoint.xyz;
    let wall = panel_walls[ii];
    out.wall_mm = panel_wall_point(panel, wall, p);
    out.wall_pitch = wall.zw / vec2<f32>(panel.pixels);
    out.inner_clip = frame.inner_view_proj * vec4<f32>(world - frame.inner_eye.xyz, 1.0);
    // LED column i = (p - origin) . step_col, row j = (p - origin) . step_row: one output pixel along
    // x moves step_col.x columns and step_row.x rows.
    let size = vec2<f32>(panel.pixels);
    let per_col = panel.right.xyz / size.x;
    let per_row = panel.down.xyz / size.y;
    let world_dx = f32(panel.step_col.x) * per_col + f32(panel.step_row.x) * per_row;
    let world_dy = f32(panel.step_col.y) * per_col + f32(panel.step_row.y) * per_row;
    out.clip_dx = frame.inner_view_proj * vec4<f32>(world_dx, 0.0);
    out.clip_dy = frame.inner_view_proj * vec4<f32>(world_dy, 0.0);
    // The sign is the same at every point of the (flat) panel.
    out.facing = dot(cross(panel.down.xyz, panel.right.xyz), frame.inner_eye.xyz - panel.top_left.xyz);
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

// The outer wall's colour along a ray from the outer viewpoint (ungraded: `outer_at` grades it,
// after the frozen bake when there is one).
fn outer_color(ray: vec3<f32>) -> vec3<f32> {
    return textureSampleLevel(outer_cube, linear_sampler, ray, 0.0).rgb;
}

// Derivative of the texture uv = ndc_to_uv(clip.xy / clip.w) along a direction in which clip changes
// by `dclip` (quotient rule). Mirrored by `parallax::render::footprint::led_footprint`.
fn uv_derivative(clip: vec4<f32>, dclip: vec4<f32>) -> vec2<f32> {
    let dndc = (dclip.xy * clip.w - clip.xy * dclip.w) / (clip.w * clip.w);
    return vec2<f32>(0.5 * dndc.x, -0.5 * dndc.y);
}

// Most sub-samples per footprint axis.
const MAX_TAPS: f32 = 4.0;

// The inner frustum's colour at `uv`, averaged over the LED pixel's footprint: the parallelogram
// uv + s ddx + t ddy, s and t in -1/2..1/2, with ddx and ddy the analytic derivatives (no dpdx:
// neighbouring output pixels can belong to other panels). The footprint is split into n.x x n.y
// cells, n about the number of inner texels it spans along each axis (1 to MAX_TAPS), and each cell
// is one trilinear sample with the cell's own (smaller) derivatives: a box filter over the footprint
// that does not over-blur the way a single trilinear sample of the whole footprint does, and is
// anisotropic where the footprint is. Point-samples level 0 when footprint sampling is off.
fn inner_color(uv: vec2<f32>, clip: vec4<f32>, clip_dx: vec4<f32>, clip_dy: vec4<f32>) -> vec3<f32> {
    let tuv = inner_texture_uv(uv);
    if (frame.params.w < 0.5) {
        return textureSampleLevel(inner_texture, linear_sampler, tuv, 0.0).rgb;
    }
    // Frustum uv to texture uv in the bucketed target: scaled by used size / capacity. The mip levels
    // of a capacity that is a multiple of 256 keep the used part at the same place (level k's used
    // part is the top-left extent / 2^k texels), so the scale holds at every level.
    let used = frame.inner_extent.xy;
    let scale = used / frame.inner_extent.zw;
    let ddx = uv_derivative(clip, clip_dx);
    let ddy = uv_derivative(clip, clip_dy);
    let texels = vec2<f32>(length(ddx * used), length(ddy * used));
    let n = clamp(ceil(texels), vec2<f32>(1.0), vec2<f32>(MAX_TAPS));
    let gx = ddx * scale / n.x;
    let gy = ddy * scale / n.y;
    var sum = vec3<f32>(0.0);
    for (var b = 0.0; b < n.y; b += 1.0) {
        for (var a = 0.0; a < n.x; a += 1.0) {
            let o = vec2<f32>(a, b) + 0.5 - 0.5 * n;
            sum += textureSampleGrad(inner_texture, linear_sampler, tuv + o.x * gx + o.y * gy, gx, gy).rgb;
        }
    }
    return sum / (n.x * n.y);
}

// The outer wall's colour at an LED pixel, with the light cards under the inner frustum.
// Set in the frozen-outer variant of the composite pipeline (a constant, so the variant has no cube
// map sampling at all: a software rasteriser runs both sides of a branch).
override FROZEN: bool = false;

// With the outer frozen, one load of the bake at this output pixel.
fn outer_at(in: VsOut) -> vec3<f32> {
    if (FROZEN) {
        let baked = textureLoad(outer_baked, vec2<i32>(in.position.xy), 0).rgb;
        return light_cards(apply_grade(baked, grades.outer), in, 0.0);
    }
    return light_cards(apply_grade(outer_color(in.from_outer), grades.outer), in, 0.0);
}

// Colour the wall shows at an LED pixel before the cards over the inner frustum. The outer (cube
// map or frozen bake) and the inner are each read at one place, only where they are seen (a
// software rasteriser pays for every call site). Cabinets whose front faces away from the entrance
// pupil show the outer.
fn blended_color(in: VsOut) -> vec3<f32> {
    let clip = in.inner_clip;
    var w = 0.0;
    var uv = vec2<f32>(0.0);
    if (INNER && frame.params.z > 0.5 && clip.w > 0.0 && in.facing > 0.0) {
        uv = ndc_to_uv(clip.xy / clip.w);
        w = inner_weight(uv, frame.params.x);
    }
    var inner = vec3<f32>(0.0);
    if (w > 0.0) {
        let b = frame.params.y;
        let edge = min(min(uv.x, 1.0 - uv.x), min(uv.y, 1.0 - uv.y));
        if (b > 0.0 && edge < b) {
            return frame.border_color.rgb;
        }
        inner = keyed_inner(in, uv);
    }
    if (w >= 1.0) {
        return inner;
    }
    return mix(outer_at(in), inner, w);
}

// Colour the wall shows at an LED pixel, in the working space: each layer graded before the
// blend (the outer before its cards, the bake ungraded so a grade change needs no new bake), then
// the cards over the inner frustum.
fn wall_color(in: VsOut) -> vec3<f32> {
    return light_cards(blended_color(in), in, 1.0);
}

// The wall's colour through the raster's output transform (LUT, primaries, encoding).
@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let c = wall_color(in);
    let pixel = vec2<u32>(in.position.xy);
    return vec4<f32>(apply_output(c, pixel, lut3d, shaper_texture, out_colour), 1.0);
}

// The frozen outer's bake: the outer cube map along the LED pixel's ray, no cards.
@fragment
fn fs_bake(in: VsOut) -> @location(0) vec4<f32> {
    return vec4<f32>(outer_color(in.from_outer), 1.0);
}

// With the outer frozen, the pixels of panels that cannot show the inner frustum: the outside bake,
// one load per output pixel.
@fragment
fn fs_copy(in: VsOut) -> @location(0) vec4<f32> {
    return textureLoad(outside_baked, vec2<i32>(in.position.xy), 0);
}
