//! HDR image comparison: ΔE_ITP (ITU-R BT.2124-0, 2019) per pixel on absolute light, for outputs
//! whose encoding is PQ (SMPTE ST 2084 code values) or linear half-float EXR.
//!
//! Both images are converted to absolute linear Rec.2020 light in nits (PQ: the ST 2084 EOTF of
//! the code, 10000 nits = 1.0, Rec.2020 primaries; linear: value x [`LINEAR_NITS_PER_UNIT`], the
//! project's convention for EXR outputs and light cards, converted from its primaries to Rec.2020
//! with [`crate::colour::primaries::conversion`]), then to ICtCp (BT.2100, PQ) and compared pixel
//! by pixel ([`crate::colour::itp`]). No blur: the metric is BT.2124's, per pixel.

use image::{Rgba, Rgba32FImage, RgbaImage};

use super::{SizeMismatch, percentile};
use crate::colour::Rgb;
use crate::colour::itp::{delta_e_itp, ictcp_from_rec2020_nits, pq_signal_extended};
use crate::colour::primaries::{Primaries, REC2020, apply, conversion};
use crate::colour::transfer::pq_decode;

/// Nits (cd/m^2) that linear 1.0 stands for in linear EXR outputs (docs/colour.md: "1.0 = 100
/// nits, as for light cards").
pub const LINEAR_NITS_PER_UNIT: f64 = 100.0;

/// Grey levels of the difference image per unit of ΔE_ITP (10 is nearly white).
pub const DIFF_GREY_PER_UNIT: f64 = 25.0;

/// What an HDR image's values mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Signal {
    /// SMPTE ST 2084 code values, 0..1 (1.0 = 10000 nits), Rec.2020 primaries (BT.2100).
    Pq,
    /// Linear light, 1.0 = [`LINEAR_NITS_PER_UNIT`] nits, in these primaries.
    Linear(Primaries),
}

/// An HDR image: RGBA values (alpha ignored) and what they mean.
#[derive(Clone, Debug, PartialEq)]
pub struct HdrImage {
    /// The values, as stored in the file (PQ code values 0..1, or linear values).
    pub values: Rgba32FImage,
    /// Their meaning.
    pub signal: Signal,
}

impl HdrImage {
    /// Every pixel (row by row) as absolute linear Rec.2020 RGB in nits.
    pub fn rec2020_nits(&self) -> Vec<Rgb> {
        match self.signal {
            Signal::Pq => self
                .values
                .pixels()
                .map(|p| [0, 1, 2].map(|c| pq_decode(f64::from(p[c]))))
                .collect(),
            Signal::Linear(primaries) => {
                let m = conversion(&primaries, &REC2020);
                self.values
                    .pixels()
                    .map(|p| {
                        let v = [0, 1, 2].map(|c| f64::from(p[c]) * LINEAR_NITS_PER_UNIT);
                        apply(&m, v)
                    })
                    .collect()
            }
        }
    }

    /// The image for a person to look at, tone-mapped by PQ: each channel of its Rec.2020 light
    /// as its ST 2084 code in 8 bits (0 nits -> 0, 100 nits -> 130, 1000 nits -> 192, 10000 nits
    /// -> 255; beyond, 255), shown as-is (not colour-managed: the Rec.2020 primaries look less
    /// saturated than they are). For a PQ image this is its code values cut to 8 bits.
    pub fn display(&self) -> RgbaImage {
        let (w, h) = self.values.dimensions();
        let nits = self.rec2020_nits();
        RgbaImage::from_fn(w, h, |x, y| {
            let p = nits[y as usize * w as usize + x as usize];
            let e = |v: f64| (pq_signal_extended(v).min(1.0) * 255.0).round() as u8;
            Rgba([e(p[0]), e(p[1]), e(p[2]), 255])
        })
    }
}

/// The ΔE_ITP differences between two HDR images.
#[derive(Clone, Debug, PartialEq)]
pub struct ItpComparison {
    /// Pixels compared.
    pub pixels: u64,
    /// Mean ΔE_ITP.
    pub mean: f64,
    /// Largest ΔE_ITP.
    pub max: f64,
    /// Pixels whose ΔE_ITP exceeds `mark`.
    pub over: u64,
    /// The ΔE_ITP above which a pixel is marked red in `diff`.
    pub mark: f64,
    /// Brightest channel of the expected and the actual image, in Rec.2020 nits.
    pub peak_nits: (f64, f64),
    /// Per-pixel difference image: red where ΔE_ITP > `mark`, else grey
    /// `ΔE_ITP x` [`DIFF_GREY_PER_UNIT`].
    pub diff: RgbaImage,
    /// Every pixel's ΔE_ITP, sorted ascending (for [`ItpComparison::percentile`]).
    pub sorted: Vec<f32>,
}

impl ItpComparison {
    /// The ΔE_ITP that `percent` per cent of the pixels do not exceed (0..=100).
    pub fn percentile(&self, percent: f64) -> f64 {
        percentile(&self.sorted, percent)
    }

    /// One line for reports.
    pub fn summary(&self) -> String {
        format!(
            "max {:.3}, {} of {} pixels over {}; brightest {:.0} nits (reference), {:.0} nits (actual)",
            self.max, self.over, self.pixels, self.mark, self.peak_nits.0, self.peak_nits.1
        )
    }
}

/// Compares two HDR images by ΔE_ITP per pixel (alpha ignored); pixels over `mark` are red in the
/// difference image.
pub fn compare_itp(
    expected: &HdrImage,
    actual: &HdrImage,
    mark: f64,
) -> Result<ItpComparison, SizeMismatch> {
    if expected.values.dimensions() != actual.values.dimensions() {
        return Err(SizeMismatch {
            expected: expected.values.dimensions(),
            actual: actual.values.dimensions(),
        });
    }
    let (w, h) = expected.values.dimensions();
    let (e, a) = (expected.rec2020_nits(), actual.rec2020_nits());
    let peak = |v: &[Rgb]| v.iter().flatten().fold(0.0f64, |m, &c| m.max(c));
    let de: Vec<f64> = e
        .iter()
        .zip(&a)
        .map(|(p, q)| {
            if p == q {
                0.0
            } else {
                delta_e_itp(ictcp_from_rec2020_nits(*p), ictcp_from_rec2020_nits(*q))
            }
        })
        .collect();
    let diff = RgbaImage::from_fn(w, h, |x, y| {
        let d = de[y as usize * w as usize + x as usize];
        if d > mark {
            Rgba([255, 0, 0, 255])
        } else {
            let g = (d * DIFF_GREY_PER_UNIT).round().min(255.0) as u8;
            Rgba([g, g, g, 255])
        }
    });
    let mut sorted: Vec<f32> = de.iter().map(|&v| v as f32).collect();
    sorted.sort_by(f32::total_cmp);
    Ok(ItpComparison {
        pixels: de.len() as u64,
        mean: de.iter().sum::<f64>() / de.len().max(1) as f64,
        max: de.iter().fold(0.0f64, |m, &v| m.max(v)),
        over: de.iter().filter(|&&v| v > mark).count() as u64,
        mark,
        peak_nits: (peak(&e), peak(&a)),
        diff,
        sorted,
    })
}

/// Averages `factor` x `factor` blocks of a float image (the last row and column of blocks may be
/// partial), as [`super::downsample`] does for 8-bit images. A factor of 0 or 1 returns a copy.
pub fn downsample_f32(img: &Rgba32FImage, factor: u32) -> Rgba32FImage {
    if factor <= 1 {
        return img.clone();
    }
    let (w, h) = img.dimensions();
    let (ow, oh) = (w.div_ceil(factor), h.div_ceil(factor));
    let mut sums = vec![[0f64; 5]; ow as usize * oh as usize];
    for (x, y, p) in img.enumerate_pixels() {
        let s = &mut sums[(y / factor) as usize * ow as usize + (x / factor) as usize];
        for c in 0..4 {
            s[c] += f64::from(p[c]);
        }
        s[4] += 1.0;
    }
    Rgba32FImage::from_fn(ow, oh, |x, y| {
        let s = sums[y as usize * ow as usize + x as usize];
        let n = s[4].max(1.0);
        Rgba([0, 1, 2, 3].map(|c| (s[c] / n) as f32))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colour::primaries::REC709;
    use crate::colour::transfer::pq_encode;

    fn filled(signal: Signal, f: impl Fn(u32, u32) -> [f32; 3]) -> HdrImage {
        HdrImage {
            values: Rgba32FImage::from_fn(8, 4, |x, y| {
                let c = f(x, y);
                Rgba([c[0], c[1], c[2], 1.0])
            }),
            signal,
        }
    }

    #[test]
    fn identical_images_differ_by_zero() {
        let a = filled(Signal::Pq, |x, y| [x as f32 / 8.0, y as f32 / 4.0, 0.5]);
        let c = compare_itp(&a, &a, 10.0).unwrap();
        assert_eq!((c.mean, c.max, c.over, c.pixels), (0.0, 0.0, 0, 32));
        assert!(c.diff.pixels().all(|p| p.0 == [0, 0, 0, 255]));
    }

    /// The same light as PQ codes and as linear EXR values (Rec.2020 primaries) compares equal;
    /// in Rec.709 primaries, grey is still grey (the conversion keeps white).
    #[test]
    fn pq_and_linear_of_the_same_light_agree() {
        let nits = |x: u32| 10.0 + 150.0 * x as f64;
        let pq = filled(Signal::Pq, |x, _| [pq_encode(nits(x)) as f32; 3]);
        for p in [REC2020, REC709] {
            let lin = filled(Signal::Linear(p), |x, _| {
                [(nits(x) / LINEAR_NITS_PER_UNIT) as f32; 3]
            });
            let c = compare_itp(&pq, &lin, 1.0).unwrap();
            assert!(c.max < 0.01, "{p:?}: {}", c.summary());
        }
    }

    /// Exposure +1 stop on light above 100 nits: invisible in 8 bits (clamped), tens of JNDs
    /// here; marked red above the mark, and counted.
    #[test]
    fn light_above_one_differs() {
        let a = filled(Signal::Linear(REC709), |_, _| [2.0, 1.5, 3.0]);
        let b = filled(Signal::Linear(REC709), |x, _| {
            if x < 4 {
                [4.0, 3.0, 6.0]
            } else {
                [2.0, 1.5, 3.0]
            }
        });
        let c = compare_itp(&a, &b, 10.0).unwrap();
        assert_eq!(c.over, 16);
        assert!(c.max > 50.0 && c.percentile(40.0) == 0.0, "{}", c.summary());
        assert_eq!(c.diff.get_pixel(0, 0).0, [255, 0, 0, 255]);
        assert_eq!(c.diff.get_pixel(7, 0).0, [0, 0, 0, 255]);
        assert!((c.peak_nits.1 - 2.0 * c.peak_nits.0).abs() < 1e-6);
        assert!(compare_itp(&a, &filled(Signal::Pq, |_, _| [0.0; 3]), 1.0).is_ok());
    }

    #[test]
    fn display_is_the_pq_code_in_8_bits() {
        let a = filled(Signal::Linear(REC2020), |x, _| [x as f32, 10.0, 1000.0]);
        let d = a.display();
        // 0 nits, 100 nits (PQ 0.508 -> 130), 1000 nits (0.7518 -> 192), 100,000 nits (255).
        assert_eq!(d.get_pixel(0, 0).0, [0, 192, 255, 255]);
        assert_eq!(d.get_pixel(1, 0).0[0], 130);
        let pq = filled(Signal::Pq, |_, _| [0.75, 0.502, 0.25]);
        assert_eq!(pq.display().get_pixel(0, 0).0, [191, 128, 64, 255]);
    }

    #[test]
    fn float_downsample_averages_blocks() {
        let img = Rgba32FImage::from_fn(5, 2, |x, _| Rgba([x as f32 * 10.0, 1.0, 0.0, 1.0]));
        let d = downsample_f32(&img, 2);
        assert_eq!(d.dimensions(), (3, 1));
        assert_eq!(d.get_pixel(0, 0).0, [5.0, 1.0, 0.0, 1.0]);
        assert_eq!(d.get_pixel(2, 0).0, [40.0, 1.0, 0.0, 1.0]);
        assert_eq!(downsample_f32(&img, 1), img);
    }

    #[test]
    fn size_mismatch_is_an_error() {
        let a = filled(Signal::Pq, |_, _| [0.0; 3]);
        let b = HdrImage {
            values: Rgba32FImage::new(3, 2),
            signal: Signal::Pq,
        };
        assert!(compare_itp(&a, &b, 1.0).is_err());
    }
}
