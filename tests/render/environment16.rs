//! 16-bit PNG environments keep their precision: the uploaded texels are the sRGB EOTF of the
//! 16-bit codes (evaluated here in f64 from IEC 61966-2-1's formula), within half-float rounding.

use parallax::render::{Renderer, RendererOptions, read_texture};
use parallax::scene::Environment;

use super::{gpu, stage_file};

fn eotf(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

#[test]
fn sixteen_bit_png_environment_is_uploaded_at_full_precision() {
    let gpu = gpu();
    let stage = stage_file("tiny.ron");
    let renderer = Renderer::new(&gpu, &stage, RendererOptions::default()).unwrap();
    // A 256 x 2 image: row 0 counts codes 0x7f00 + x (256 codes that an 8-bit cut maps to one),
    // row 1 a full ramp in steps of 257 (0..65535) in red, reversed in green, a constant blue.
    let (w, h) = (256u32, 2u32);
    let code = |x: u32, y: u32, ch: usize| -> u16 {
        match (y, ch) {
            (0, _) => 0x7f00 + x as u16 + ch as u16,
            (_, 0) => (x * 257) as u16,
            (_, 1) => ((255 - x) * 257) as u16,
            _ => 0x1234,
        }
    };
    let img = image::ImageBuffer::from_fn(w, h, |x, y| {
        image::Rgb([code(x, y, 0), code(x, y, 1), code(x, y, 2)])
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("env16.png");
    image::DynamicImage::ImageRgb16(img).save(&path).unwrap();
    let env = Environment::load(&renderer.scene_context(&gpu), &path, 0.0).unwrap();
    let back = read_texture(&gpu, env.texture()).unwrap();
    assert_eq!(back.format, wgpu::TextureFormat::Rgba16Float);
    let mut worst = 0.0f64;
    for y in 0..h {
        for x in 0..w {
            let t = back.linear(x, y);
            for (ch, &got) in t[..3].iter().enumerate() {
                let exact = eotf(code(x, y, ch) as f64 / 65535.0);
                let err = (got as f64 - exact).abs();
                // Half-float rounding: half an ulp, 2^-11 relative (2^-25 absolute near 0).
                let bound = (exact * 2f64.powi(-11)).max(2f64.powi(-25));
                assert!(err <= bound, "({x}, {y}) ch {ch}: {got} vs {exact}");
                worst = worst.max(err / bound);
            }
            assert_eq!(t[3], 1.0);
        }
    }
    // Row 0: 256 neighbouring codes (an 8-bit cut: one value) give non-decreasing texels, distinct
    // wherever the half-float step allows; count them.
    let mut row0: Vec<f32> = (0..w).map(|x| back.linear(x, 0)[0]).collect();
    assert!(row0.windows(2).all(|p| p[0] <= p[1]));
    row0.dedup();
    let cut: std::collections::BTreeSet<u16> = (0..w).map(|x| code(x, 0, 0) >> 8).collect();
    println!(
        "16-bit environment: worst error {worst:.3} of the half-rounding bound; row of 256 codes: {} distinct texels (an 8-bit cut: {})",
        row0.len(),
        cut.len()
    );
    assert_eq!(cut.len(), 1);
    // Around linear 0.21 a code step is 1.4e-5 and a half-float step 2^-13 = 1.2e-4: about 30
    // distinct texels.
    assert!(row0.len() >= 25, "{}", row0.len());
    // Codes 0x7f00 and 0x7f40 fall in one 8-bit code and stay apart.
    assert!(back.linear(0, 0)[0] < back.linear(0x40, 0)[0]);
}
