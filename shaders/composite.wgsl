// Composite + map: one instance per panel placed in the output being drawn, one quad covering the
// panel's output rectangle. Each fragment is one output pixel. The LED pixel it feeds has a position
// on the stage (interpolated exactly from the quad's corners, see VsOut); the wall shows there the
// outer cube map (seen from the outer viewpoint), and over it each camera's inner frustum (seen from
// its entrance pupil) where the pixel projects inside it, blended over its soft edge, in drawing
// order (the lowest priority first).

// Most cameras one pass draws (`parallax::render::MAX_CAMERAS`).
const MAX_CAMERAS: u32 = 4u;

// A camera's inner frustum. Mirrored by `parallax::render::composite::InnerCameraUniform`.
struct InnerCamera {
    // Camera space of the inner frustum: clip = view_proj * vec4(world - eye, 1).
    view_proj: mat4x4<f32>,
    eye: vec4<f32>,
    border_color: vec4<f32>,
    // soft edge (fraction of the frustum), border width (fraction), unused,
    // inner sampling (1: the LED pixel's footprint through the mip chain, 0: level 0 only)
    params: vec4<f32>,
    // Inner target: used size (xy) and allocated capacity (zw) in texels (targets are bucketed).
    extent: vec4<f32>,
    // Chroma key colour (linear rgb); w: 1 when the key replaces the scene.
    key: vec4<f32>,
    // Marker colour (linear rgb); w: shape (0 none, 1 cross, 2 dot, 3 square).
    marker_colour: vec4<f32>,
    // Marker size, spacing, offset x, offset y (unwrapped wall millimetres).
    marker: vec4<f32>,
}

struct Frame {
    // In drawing order: the first is drawn first (lowest), the last on top.
    cameras: array<InnerCamera, 4>,
    outer_viewpoint: vec4<f32>,
    // x: cameras drawn this frame (0 to the pipeline's CAMERAS).
    counts: vec4<u32>,
}

// One sub-frame region of the raster being drawn (frame remapping; a raster without remapping is one
// region at the origin showing every camera). Mirrored by
// `parallax::render::composite::TargetUniform`.
struct Target {
    // The raster's size in pixels.
    size: vec2<f32>,
    // The region's top-left pixel: panels are placed in region coordinates.
    offset: vec2<f32>,
    // x: the cameras shown (a bit per drawing index); y: 1 for a solid region; z: 1 to show the
    // cameras as their chroma key; w: 1 for a Camera sub-frame (the scene, even for a camera with
    // chroma settings).
    mode: vec4<u32>,
    // The solid colour, or the key colour for cameras without their own chroma settings.
    colour: vec4<f32>,
}

// Whether the region being drawn shows the camera at drawing index `k`.
fn region_shows(k: u32) -> bool {
    return ((out_target.mode.x >> k) & 1u) == 1u;
}

@group(0) @binding(0) var<storage, read> panels: array<Panel>;
@group(0) @binding(1) var<uniform> frame: Frame;
@group(0) @binding(2) var<uniform> out_target: Target;
// Each camera's inner frustum with its full mip chain (bindings 3, 7, 8, 9; unused ones hold a
// placeholder).
@group(0) @binding(3) var inner_texture_0: texture_2d<f32>;
@group(0) @binding(4) var outer_cube: texture_cube<f32>;
@group(0) @binding(5) var linear_sampler: sampler;

// The grades of one set of cabinets (shaders/colour.wgsl): the inner's and the outer's, applied to
// their colour before the soft-edge blend (the cards' grade is applied to their radiance on the
// CPU: `card_radiance`). Mirrored by `parallax::render::grading::GradeSetUniform`.
struct GradeSet {
    inner: Grade,
    outer: Grade,
}
// Every grade set the stage uses (the stage-wide grades with each section's and output's
// overrides resolved, `parallax::colour::settings`); a panel reads its own through `panel_colours`.
// A uniform array (read through the constant cache: a whole cabinet reads the same set), of
// `parallax::render::grading::MAX_GRADE_SETS` sets.
const MAX_GRADE_SETS: u32 = 64u;
@group(0) @binding(6) var<uniform> grade_sets: array<GradeSet, MAX_GRADE_SETS>;
@group(0) @binding(7) var inner_texture_1: texture_2d<f32>;
@group(0) @binding(8) var inner_texture_2: texture_2d<f32>;
@group(0) @binding(9) var inner_texture_3: texture_2d<f32>;
// Per panel (parallel to `panels`): x its grade set in `grade_sets`, y its output transform in
// `out_colours` (the raster's LUTs).
@group(0) @binding(10) var<storage, read> panel_colours: array<vec4<u32>>;

// This raster's output transforms, one per LUT its cabinets use (LUT, primaries and encoding,
// shaders/colour.wgsl), a uniform array like `grade_sets`, of
// `parallax::render::grading::MAX_OUTPUT_TRANSFORMS`; the LUTs' tables follow one another in
// `lut_table` and `shaper_table`.
const MAX_OUTPUT_TRANSFORMS: u32 = 64u;
@group(1) @binding(0) var<uniform> out_colours: array<OutputColour, MAX_OUTPUT_TRANSFORMS>;
@group(1) @binding(1) var<storage, read> lut_table: array<vec4<f32>>;
@group(1) @binding(2) var<storage, read> shaper_table: array<vec4<f32>>;
// Group 2: light cards and the panels' places on the unwrapped wall (src/render/overlay.rs).
// Mirrored by `parallax::render::overlay::OverlayUniform`.
struct Overlay {
    // x: number of light cards.
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

@group(2) @binding(0) var<uniform> overlay: Overlay;
// Per panel (parallel to `panels`): its rectangle on its section's unwrapped wall, x, y, width,
// height in mm (`parallax::stage::chroma::panel_wall_rect`).
@group(2) @binding(1) var<storage, read> panel_walls: array<vec4<f32>>;
@group(2) @binding(2) var<storage, read> cards: array<LightCard>;
// Each card's radiance graded by each grade set's cards grade, on the CPU
// (`parallax::render::overlay::graded_radiance`): entry `set * overlay.cards.x + card`.
@group(2) @binding(3) var<storage, read> card_radiance: array<vec4<f32>>;
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
// Cameras this pipeline can draw (1 to MAX_CAMERAS; a frame draws `frame.counts.x` of them).
override CAMERAS: u32 = 1u;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    // The LED pixel's position relative to the outer viewpoint: affine in the output pixel
    // coordinates within a panel (the placement and the panel's geometry are affine), so the
    // rasterizer's linear interpolation gives the exact value at each pixel centre. Each camera's clip
    // coordinates are one matrix product of it.
    @location(0) @interpolate(linear) from_outer: vec3<f32>,
    // The stage step of one output pixel along x and along y (constant over a panel): one output
    // pixel is one LED pixel, so these are the LED pixel's footprint axes.
    @location(1) @interpolate(flat) world_dx: vec3<f32>,
    @location(2) @interpolate(flat) world_dy: vec3<f32>,
    // The panel's front normal (down x right, not normalised) and its top-left corner: a camera
    // sees the front when dot(normal, eye - top_left) > 0. Mirrored by
    // `parallax::render::footprint::faces`.
    @location(3) @interpolate(flat) normal: vec3<f32>,
    @location(4) @interpolate(flat) top_left: vec3<f32>,
    // The LED pixel's position on its section's unwrapped wall (mm): affine in p, like from_outer.
    @location(5) @interpolate(linear) wall_mm: vec2<f32>,
    // The LED pixel pitch on the unwrapped wall (mm along its x and y); constant per panel.
    @location(6) @interpolate(flat) wall_pitch: vec2<f32>,
    // The panel's grade set (x) and output transform (y), `panel_colours`.
    @location(7) @interpolate(flat) colour_ref: vec2<u32>,
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
fn marker_cover(cam: InnerCamera, q: vec2<f32>, pitch: vec2<f32>) -> f32 {
    let shape = cam.marker_colour.w;
    if (shape < 0.5) {
        return 0.0;
    }
    let spacing = cam.marker.y;
    let local = q - cam.marker.zw;
    let d = abs(local - round(local / spacing) * spacing);
    let h = 0.5 * cam.marker.x;
    if (shape < 1.5) {
        // A cross: two bars of width size / 5, their union (the centre square counted once).
        let t = 0.1 * cam.marker.x;
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

// What a camera's inner frustum (its inner render `tex`) shows at an LED pixel: the key colour
// (mixed with a marker's by its coverage) when its chroma key is on, the region's key in a chroma
// sub-frame, else the scene through its inner render.
fn keyed_inner(tex: texture_2d<f32>, cam: InnerCamera, in: VsOut, uv: vec2<f32>, clip: vec4<f32>) -> vec3<f32> {
    // A camera with chroma settings shows its key, except in a Camera sub-frame (its scene).
    if (cam.key.w > 0.5 && out_target.mode.w == 0u) {
        let cover = marker_cover(cam, in.wall_mm, in.wall_pitch);
        return mix(cam.key.rgb, cam.marker_colour.rgb, cover);
    }
    if (out_target.mode.z == 1u) {
        // A chroma sub-frame of a camera without chroma settings: the region's key, no markers.
        return out_target.colour.rgb;
    }
    let clip_dx = cam.view_proj * vec4<f32>(in.world_dx, 0.0);
    let clip_dy = cam.view_proj * vec4<f32>(in.world_dy, 0.0);
    return apply_grade(inner_color_in(tex, cam, uv, clip, clip_dx, clip_dy), grade_sets[in.colour_ref.x].inner);
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

// `c` with the light cards of `layer` (0 under, 1 over) composited over it, in list order, each
// card's radiance graded by the panel's cards grade (`card_radiance`).
fn light_cards(c: vec3<f32>, in: VsOut, layer: f32) -> vec3<f32> {
    let world = in.from_outer + frame.outer_viewpoint.xyz;
    let graded = in.colour_ref.x * overlay.cards.x;
    var out = c;
    for (var k = 0u; k < overlay.cards.x; k += 1u) {
        let card = cards[k];
        if (abs(card.centre.w - layer) < 0.5) {
            out = mix(out, card_radiance[graded + k].rgb, card_alpha(card, world));
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

// The part of a panel (s, t in 0..1 along its right and down edges) where camera `cam`'s inner
// frustum may be seen: the bounding box (s0, t0, s1, t1) of the unit square clipped by the
// frustum's four side planes (|x| <= w, |y| <= w in the camera's clip space) and the plane through
// its entrance pupil (w >= 0), all linear in (s, t) since the panel is flat. Empty (s0 > s1) when
// the panel faces away from the pupil or nothing is left.
fn camera_box(panel: Panel, cam: InnerCamera) -> vec4<f32> {
    let empty = vec4<f32>(1.0, 1.0, 0.0, 0.0);
    let eye = cam.eye.xyz;
    if (dot(cross(panel.down.xyz, panel.right.xyz), eye - panel.top_left.xyz) <= 0.0) {
        return empty;
    }
    let m = cam.view_proj;
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

// The part of a panel where any camera's inner frustum may be seen: the bounding box of the
// cameras' boxes (`camera_box`). Empty (s0 > s1) without cameras.
fn inner_box(panel: Panel) -> vec4<f32> {
    var b = vec4<f32>(1.0, 1.0, 0.0, 0.0);
    if (!INNER) {
        return b;
    }
    // A loop of constant length (CAMERAS is a pipeline constant): compilers unroll it, and each
    // camera's texture is then chosen at compile time.
    for (var k = 0u; k < CAMERAS; k += 1u) {
        if (k >= frame.counts.x) {
            break;
        }
        if (!region_shows(k)) {
            continue;
        }
        let c = camera_box(panel, frame.cameras[k]);
        if (c.x <= c.z && c.y <= c.w) {
            b = vec4<f32>(min(b.xy, c.xy), max(b.zw, c.zw));
        }
    }
    return b;
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
    out.position = vec4<f32>(pixel_to_ndc(p + out_target.offset, out_target.size), 0.0, 1.0);
    out.from_outer = world - frame.outer_viewpoint.xyz;
    let wall = panel_walls[ii];
    out.wall_mm = panel_wall_point(panel, wall, p);
    out.wall_pitch = wall.zw / vec2<f32>(panel.pixels);
    // LED column i = (p - origin) . step_col, row j = (p - origin) . step_row: one output pixel along
    // x moves step_col.x columns and step_row.x rows.
    let size = vec2<f32>(panel.pixels);
    let per_col = panel.right.xyz / size.x;
    let per_row = panel.down.xyz / size.y;
    out.world_dx = f32(panel.step_col.x) * per_col + f32(panel.step_row.x) * per_row;
    out.world_dy = f32(panel.step_col.y) * per_col + f32(panel.step_row.y) * per_row;
    out.normal = cross(panel.down.xyz, panel.right.xyz);
    out.top_left = panel.top_left.xyz;
    out.colour_ref = panel_colours[ii].xy;
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
// extent.xy of extent.zw texels: clamped half a texel inside the used part (what
// clamp-to-edge does for an exactly sized texture), then scaled to the capacity.
fn inner_texture_uv(uv: vec2<f32>, extent: vec4<f32>) -> vec2<f32> {
    let size = extent.xy;
    return clamp(uv * size, vec2<f32>(0.5), size - vec2<f32>(0.5)) / extent.zw;
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

// The inner frustum's colour at `uv` in `tex` (camera `cam`'s inner render), averaged over the LED
// pixel's footprint: the parallelogram uv + s ddx + t ddy, s and t in -1/2..1/2, with ddx and ddy
// the analytic derivatives (no dpdx: neighbouring output pixels can belong to other panels). The
// footprint is split into n.x x n.y cells, n about the number of inner texels it spans along each
// axis (1 to MAX_TAPS), and each cell is one trilinear sample with the cell's own (smaller)
// derivatives: a box filter over the footprint that does not over-blur the way a single trilinear
// sample of the whole footprint does, and is anisotropic where the footprint is. Point-samples
// level 0 when footprint sampling is off.
fn inner_color_in(tex: texture_2d<f32>, cam: InnerCamera, uv: vec2<f32>, clip: vec4<f32>, clip_dx: vec4<f32>, clip_dy: vec4<f32>) -> vec3<f32> {
    let tuv = inner_texture_uv(uv, cam.extent);
    if (cam.params.w < 0.5) {
        return textureSampleLevel(tex, linear_sampler, tuv, 0.0).rgb;
    }
    // Frustum uv to texture uv in the bucketed target: scaled by used size / capacity. The mip levels
    // of a capacity that is a multiple of 256 keep the used part at the same place (level k's used
    // part is the top-left extent / 2^k texels), so the scale holds at every level.
    let used = cam.extent.xy;
    let scale = used / cam.extent.zw;
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
            sum += textureSampleGrad(tex, linear_sampler, tuv + o.x * gx + o.y * gy, gx, gy).rgb;
        }
    }
    return sum / (n.x * n.y);
}

// Set in the frozen-outer variants of the composite pipeline (a constant, so they have no cube map
// sampling at all: a software rasteriser runs both sides of a branch).
override FROZEN: bool = false;

// The outer wall's colour at an LED pixel, graded, with the light cards under the inner frusta:
// from the cube map, or with the outer frozen one load of the bake at this output pixel.
fn outer_at(in: VsOut) -> vec3<f32> {
    if (FROZEN) {
        let baked = textureLoad(outer_baked, vec2<i32>(in.position.xy), 0).rgb;
        return light_cards(apply_grade(baked, grade_sets[in.colour_ref.x].outer), in, 0.0);
    }
    return light_cards(apply_grade(outer_color(in.from_outer), grade_sets[in.colour_ref.x].outer), in, 0.0);
}

// Camera `k`'s layer (drawing index; its inner render `tex`) at an LED pixel at `world`: its
// inner frustum's colour (rgb) and opacity (a), the soft-edge weight, or 1 with its border colour
// where a border is set. Transparent (a = 0) where the camera is not drawn this frame or in this
// region, where the LED is outside its frustum, or where the cabinet faces away from its entrance
// pupil.
fn camera_layer(k: u32, tex: texture_2d<f32>, in: VsOut, world: vec3<f32>) -> vec4<f32> {
    let none = vec4<f32>(0.0);
    if (k >= frame.counts.x || !region_shows(k)) {
        return none;
    }
    let cam = frame.cameras[k];
    let clip = cam.view_proj * vec4<f32>(world - cam.eye.xyz, 1.0);
    if (clip.w <= 0.0 || dot(in.normal, cam.eye.xyz - in.top_left) <= 0.0) {
        return none;
    }
    let uv = ndc_to_uv(clip.xy / clip.w);
    let w = inner_weight(uv, cam.params.x);
    if (w <= 0.0) {
        return none;
    }
    let b = cam.params.y;
    let edge = min(min(uv.x, 1.0 - uv.x), min(uv.y, 1.0 - uv.y));
    if (b > 0.0 && edge < b) {
        return vec4<f32>(cam.border_color.rgb, 1.0);
    }
    return vec4<f32>(keyed_inner(tex, cam, in, uv, clip), min(w, 1.0));
}

// Front-to-back compositing: the colour gathered so far (rgb) and the transmittance left for
// what lies below (a).
fn under(acc: vec4<f32>, layer: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(acc.rgb + acc.a * layer.a * layer.rgb, acc.a * (1.0 - layer.a));
}

// Colour the wall shows at an LED pixel before the cards over the inner frusta: each camera's
// inner frustum over the outer (cube map or frozen bake), the last in drawing order on top, each
// mixed over what is below by its soft-edge weight. Composited front to back, from the top camera
// down, so that nothing below a fully opaque layer is sampled: where one camera's frustum covers
// another's (or the outer), the pixel costs one camera, not all of them. Written out per camera,
// each with its own texture, behind conditions on the pipeline constant CAMERAS that compilers fold
// away: a loop with a texture chosen per iteration would make a software rasteriser sample every
// camera's texture for every camera.
fn blended_color(in: VsOut) -> vec3<f32> {
    var acc = vec4<f32>(0.0, 0.0, 0.0, 1.0);
    if (INNER) {
        let world = in.from_outer + frame.outer_viewpoint.xyz;
        if (CAMERAS > 3u) {
            acc = under(acc, camera_layer(3u, inner_texture_3, in, world));
        }
        if (CAMERAS > 2u && acc.a > 0.0) {
            acc = under(acc, camera_layer(2u, inner_texture_2, in, world));
        }
        if (CAMERAS > 1u && acc.a > 0.0) {
            acc = under(acc, camera_layer(1u, inner_texture_1, in, world));
        }
        if (acc.a > 0.0) {
            acc = under(acc, camera_layer(0u, inner_texture_0, in, world));
        }
    }
    if (acc.a > 0.0) {
        acc = under(acc, vec4<f32>(outer_at(in), 1.0));
    }
    return acc.rgb;
}

// Colour the wall shows at an LED pixel, in the working space: each layer graded before the
// blend (the outer before its cards, the bake ungraded so a grade change needs no new bake), then
// the cards over the inner frusta.
fn wall_color(in: VsOut) -> vec3<f32> {
    if (out_target.mode.y == 1u) {
        // A solid sub-frame.
        return out_target.colour.rgb;
    }
    return light_cards(blended_color(in), in, 1.0);
}

// The wall's colour through the panel's output transform (its LUT, the raster's primaries and
// encoding).
@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let c = wall_color(in);
    let pixel = vec2<u32>(in.position.xy);
    return vec4<f32>(apply_output(c, pixel, out_colours[in.colour_ref.y]), 1.0);
}

// The frozen outer's bake: the outer cube map along the LED pixel's ray, no cards.
@fragment
fn fs_bake(in: VsOut) -> @location(0) vec4<f32> {
    return vec4<f32>(outer_color(in.from_outer), 1.0);
}

// With the outer frozen, every panel's pixels first: the outside bake, one load per output pixel
// (the composite then covers the parts where an inner frustum may be seen).
@fragment
fn fs_copy(in: VsOut) -> @location(0) vec4<f32> {
    return textureLoad(outside_baked, vec2<i32>(in.position.xy), 0);
}
