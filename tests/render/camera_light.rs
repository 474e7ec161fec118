//! The simulated camera sees the light the LEDs emit, not their code values: each output's texels
//! are decoded from its encoding and primaries (`parallax::render::emitted`) before the camera
//! looks at them.

use super::camera_view::{FLAT_STAGE, psnr_through_camera};

/// [`FLAT_STAGE`] with its output `wall` in `encoding` (RON).
fn flat_stage_encoded(encoding: &str) -> String {
    let colour = format!("  colour: (outputs: [(output: \"wall\", encoding: {encoding})]),\n)");
    let text = FLAT_STAGE.trim_end().strip_suffix(')').unwrap().to_string() + &colour;
    assert!(text.contains(encoding));
    text
}

/// With the wall's output dithered sRGB, PQ (Rec.2020 primaries, reference white at 100 or 203
/// nits) or linear EXR, the wall through the camera matches a direct render of the scene from the
/// camera as closely as with plain sRGB outputs (the smooth environment of
/// `wall_through_the_camera_matches_a_direct_render`: 57.6 dB there, 8-bit rounding alone allowing
/// about 59 dB). PQ code values read as light would not: 100 nits is code 0.508, which the camera
/// would show as linear 0.508, half of white.
#[test]
fn the_camera_sees_the_light_of_every_output_encoding() {
    let plain = psnr_through_camera(FLAT_STAGE, false, 3);
    for encoding in [
        "Srgb(dither: true)",
        "Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12)",
        "Pq(white_nits: 203.0, peak_nits: 1000.0, bits: 10)",
        "LinearExr",
    ] {
        let psnr = psnr_through_camera(&flat_stage_encoded(encoding), false, 3);
        eprintln!("{encoding}: {psnr:.1} dB (plain sRGB {plain:.1} dB)");
        assert!(
            psnr >= 50.0 && psnr >= plain - 3.0,
            "{encoding}: through the camera {psnr:.1} dB from the direct render (plain sRGB: {plain:.1} dB)"
        );
    }
}

/// A colour edit taken in place (`Renderer::recolour`) decodes with the edited encoding: a PQ
/// output's reference white moved from 100 to 203 nits changes every code value of the output
/// (linear 1.0 is now sent as 203 nits), but not the light the camera sees in units of reference
/// white, so the camera picture after the edit equals a new renderer's of the edited stage (and the
/// one before it, within a code value). Decoding with the old white would show 2.03 times the
/// light.
#[test]
fn a_colour_edit_in_place_changes_what_the_camera_decodes() {
    use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
    use parallax::stage::Stage;

    let gpu = super::gpu();
    let pq = |white: &str| {
        let text = flat_stage_encoded(&format!(
            "Pq(white_nits: {white}, peak_nits: 1000.0, bits: 12)"
        ));
        Stage::from_ron(&text, "flat.ron").unwrap()
    };
    let (before_stage, edited) = (pq("100.0"), pq("203.0"));
    let options = RendererOptions {
        wall: false,
        camera_width: Some(192),
        ..Default::default()
    };
    let inputs = FrameInputs::at_rest(&before_stage, &Overrides::default()).unwrap();
    let mut r = Renderer::new(&gpu, &before_stage, options.clone()).unwrap();
    let scene = super::direction_environment(&gpu, &r);
    r.prepare(&gpu, &inputs).unwrap();
    let before = r.render_frame(&gpu, &scene).unwrap();
    let edit = r
        .recolour_plan(&edited)
        .expect("a PQ white edit is taken in place");
    r.recolour(&gpu, edit);
    r.prepare(&gpu, &inputs).unwrap();
    let after = r.render_frame(&gpu, &scene).unwrap();
    let mut fresh = Renderer::new(&gpu, &edited, options).unwrap();
    let scene_f = super::direction_environment(&gpu, &fresh);
    fresh.prepare(&gpu, &inputs).unwrap();
    let want = fresh.render_frame(&gpu, &scene_f).unwrap();

    let codes_changed = before.outputs[0]
        .1
        .bytes
        .iter()
        .zip(&after.outputs[0].1.bytes)
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        codes_changed > 10_000,
        "{codes_changed} output bytes changed"
    );
    let camera = |f: &parallax::render::RenderedFrame| f.camera.as_ref().unwrap().to_rgba8();
    assert!(
        camera(&after) == camera(&want),
        "the camera after the edit differs from a new renderer's"
    );
    let worst = camera(&before)
        .pixels()
        .zip(camera(&after).pixels())
        .flat_map(|(a, b)| (0..3).map(move |k| a[k].abs_diff(b[k])))
        .max()
        .unwrap();
    assert!(
        worst <= 1,
        "the camera's light moved by {worst} code values"
    );
}
