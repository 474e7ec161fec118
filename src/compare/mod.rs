//! Image comparison for golden tests and `parallax check`: per-channel tolerance with a bad-pixel
//! budget, PSNR, and a perceptual error (mean and 99th percentile of a CIELAB-based colour difference,
//! blurred slightly so that sub-pixel shifts of edges count less than changes of colour), all on
//! 8-bit sRGB images; and, in [`hdr`], ΔE_ITP (ITU-R BT.2124) on absolute light for PQ and linear
//! EXR images.

pub mod hdr;

use std::path::{Path, PathBuf};

/// How close two images must be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Largest per-channel difference (0..255) that does not count as a bad pixel.
    pub channel: u8,
    /// Fraction of pixels allowed to be bad.
    pub bad_fraction: f64,
    /// Largest mean perceptual error (delta E, 0..~100).
    pub mean_delta_e: f64,
    /// Largest 99th-percentile perceptual error.
    pub p99_delta_e: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            channel: 8,
            bad_fraction: 0.005,
            mean_delta_e: 1.0,
            p99_delta_e: 10.0,
        }
    }
}

/// The differences between two images.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Pixels with any channel differing by more than the tolerance.
    pub bad_pixels: u64,
    /// Pixels compared.
    pub pixels: u64,
    /// Largest channel difference.
    pub max_channel: u8,
    /// Peak signal-to-noise ratio over RGB in dB (infinite when equal).
    pub psnr_db: f64,
    /// Mean perceptual error (delta E 1976 over a 3 x 3 box blur).
    pub mean_delta_e: f64,
    /// 99th percentile of the perceptual error.
    pub p99_delta_e: f64,
    /// Per-pixel difference image (red = bad, grey = scaled difference).
    pub diff: image::RgbaImage,
    /// Every pixel's perceptual error, sorted ascending (for [`Comparison::delta_e_percentile`]).
    pub delta_e_sorted: Vec<f32>,
}

impl Comparison {
    /// Whether the comparison is within `tol`.
    pub fn passes(&self, tol: &Tolerance) -> bool {
        (self.bad_pixels as f64) <= tol.bad_fraction * self.pixels as f64
            && self.mean_delta_e <= tol.mean_delta_e
            && self.p99_delta_e <= tol.p99_delta_e
    }

    /// The perceptual error that `percent` per cent of the pixels do not exceed (0..=100).
    pub fn delta_e_percentile(&self, percent: f64) -> f64 {
        percentile(&self.delta_e_sorted, percent)
    }

    /// One line for reports.
    pub fn summary(&self) -> String {
        format!(
            "{}, delta E mean {:.2} p99 {:.2}",
            self.pixel_summary(),
            self.mean_delta_e,
            self.p99_delta_e
        )
    }

    /// The summary's pixel figures alone: pixels off, largest channel difference, PSNR (for a
    /// line that gives the delta E figures already).
    pub fn pixel_summary(&self) -> String {
        format!(
            "{} of {} pixels off (max channel diff {}), PSNR {:.1} dB",
            self.bad_pixels, self.pixels, self.max_channel, self.psnr_db
        )
    }
}

/// Why two images cannot be compared.
#[derive(Debug, thiserror::Error)]
#[error("image sizes differ: expected {expected:?}, got {actual:?}")]
pub struct SizeMismatch {
    /// Expected (width, height).
    pub expected: (u32, u32),
    /// Actual (width, height).
    pub actual: (u32, u32),
}

fn lab(c: [f64; 3]) -> [f64; 3] {
    let lin = |v: f64| {
        let v = v / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (lin(c[0]), lin(c[1]), lin(c[2]));
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

fn blurred(img: &image::RgbaImage) -> Vec<[f64; 3]> {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            let mut s = [0.0; 3];
            let mut n = 0.0;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (xx, yy) = (x + dx, y + dy);
                    if xx >= 0 && yy >= 0 && xx < w && yy < h {
                        let p = img.get_pixel(xx as u32, yy as u32);
                        for c in 0..3 {
                            s[c] += p[c] as f64;
                        }
                        n += 1.0;
                    }
                }
            }
            out.push(lab([s[0] / n, s[1] / n, s[2] / n]));
        }
    }
    out
}

/// Compares two RGBA8 images (alpha ignored) with `tol`'s per-channel threshold.
pub fn compare(
    expected: &image::RgbaImage,
    actual: &image::RgbaImage,
    tol: &Tolerance,
) -> Result<Comparison, SizeMismatch> {
    if expected.dimensions() != actual.dimensions() {
        return Err(SizeMismatch {
            expected: expected.dimensions(),
            actual: actual.dimensions(),
        });
    }
    let (w, h) = expected.dimensions();
    let mut diff = image::RgbaImage::new(w, h);
    let (mut bad, mut max, mut se) = (0u64, 0u8, 0.0f64);
    for (x, y, e) in expected.enumerate_pixels() {
        let a = actual.get_pixel(x, y);
        let d = (0..3).map(|c| e[c].abs_diff(a[c])).max().unwrap_or(0);
        for c in 0..3 {
            let v = e[c] as f64 - a[c] as f64;
            se += v * v;
        }
        max = max.max(d);
        let g = (d as u32 * 4).min(255) as u8;
        if d > tol.channel {
            bad += 1;
            diff.put_pixel(x, y, image::Rgba([255, 0, 0, 255]));
        } else {
            diff.put_pixel(x, y, image::Rgba([g, g, g, 255]));
        }
    }
    let n = (w as u64 * h as u64).max(1);
    let mse = se / (n as f64 * 3.0);
    let psnr_db = if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    };
    let (le, la) = (blurred(expected), blurred(actual));
    let mut de: Vec<f64> = le
        .iter()
        .zip(&la)
        .map(|(p, q)| {
            ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
        })
        .collect();
    let mean_delta_e = de.iter().sum::<f64>() / de.len().max(1) as f64;
    de.sort_by(f64::total_cmp);
    let p99_delta_e = de
        .get(((de.len() as f64 * 0.99) as usize).min(de.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0);
    let delta_e_sorted = de.iter().map(|&v| v as f32).collect();
    Ok(Comparison {
        bad_pixels: bad,
        pixels: n,
        max_channel: max,
        psnr_db,
        mean_delta_e,
        p99_delta_e,
        diff,
        delta_e_sorted,
    })
}

/// The value that `percent` per cent of `sorted` (ascending) do not exceed; 0 when empty.
pub(crate) fn percentile(sorted: &[f32], percent: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let p = if percent.is_finite() {
        percent.clamp(0.0, 100.0)
    } else {
        100.0
    };
    let k = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1] as f64
}

/// Expected, actual and difference side by side (with a 4-pixel grey gap), for reviewing a failure
/// at a glance. Images of different sizes are placed top-aligned.
pub fn side_by_side(
    expected: &image::RgbaImage,
    actual: &image::RgbaImage,
    diff: Option<&image::RgbaImage>,
) -> image::RgbaImage {
    const GAP: u32 = 4;
    let parts: Vec<&image::RgbaImage> = [Some(expected), Some(actual), diff]
        .into_iter()
        .flatten()
        .collect();
    let width = parts.iter().map(|p| p.width()).sum::<u32>() + GAP * (parts.len() as u32 - 1);
    let height = parts.iter().map(|p| p.height()).max().unwrap_or(0);
    let mut out = image::RgbaImage::from_pixel(width, height, image::Rgba([64, 64, 64, 255]));
    let mut x0 = 0;
    for p in parts {
        for (x, y, px) in p.enumerate_pixels() {
            out.put_pixel(x0 + x, y, image::Rgba([px[0], px[1], px[2], 255]));
        }
        x0 += p.width() + GAP;
    }
    out
}

/// Averages `factor` x `factor` blocks (the last row and column of blocks may be partial), so that
/// large rasters can be checked against small references. A factor of 0 or 1 returns a copy.
pub fn downsample(img: &image::RgbaImage, factor: u32) -> image::RgbaImage {
    if factor <= 1 {
        return img.clone();
    }
    let (w, h) = img.dimensions();
    let (ow, oh) = (w.div_ceil(factor), h.div_ceil(factor));
    let mut sums = vec![[0u32; 5]; ow as usize * oh as usize];
    for (x, y, p) in img.enumerate_pixels() {
        let s = &mut sums[(y / factor) as usize * ow as usize + (x / factor) as usize];
        for c in 0..4 {
            s[c] += p[c] as u32;
        }
        s[4] += 1;
    }
    image::RgbaImage::from_fn(ow, oh, |x, y| {
        let s = sums[y as usize * ow as usize + x as usize];
        let n = s[4].max(1);
        image::Rgba([0, 1, 2, 3].map(|c| ((s[c] + n / 2) / n) as u8))
    })
}

/// Writes `<dir>/<name>.actual.png` and `<dir>/<name>.diff.png` and returns their paths.
pub fn write_failure(
    dir: &Path,
    name: &str,
    actual: &image::RgbaImage,
    diff: Option<&image::RgbaImage>,
) -> Result<Vec<PathBuf>, crate::io::WriteError> {
    let mut paths = vec![dir.join(format!("{name}.actual.png"))];
    crate::io::write_png(&paths[0], actual)?;
    if let Some(d) = diff {
        paths.push(dir.join(format!("{name}.diff.png")));
        crate::io::write_png(&paths[1], d)?;
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(f: impl Fn(u32, u32) -> [u8; 3]) -> image::RgbaImage {
        image::RgbaImage::from_fn(16, 8, |x, y| {
            let c = f(x, y);
            image::Rgba([c[0], c[1], c[2], 255])
        })
    }

    #[test]
    fn identical_images_pass_with_infinite_psnr() {
        let a = img(|x, y| [x as u8 * 10, y as u8 * 20, 7]);
        let c = compare(&a, &a, &Tolerance::default()).unwrap();
        assert!(c.passes(&Tolerance::default()));
        assert_eq!(c.bad_pixels, 0);
        assert!(c.psnr_db.is_infinite());
    }

    #[test]
    fn a_changed_region_fails_and_is_marked() {
        let a = img(|_, _| [100, 100, 100]);
        let b = img(|x, y| {
            if x < 4 && y < 4 {
                [200, 0, 0]
            } else {
                [100, 100, 100]
            }
        });
        let c = compare(&a, &b, &Tolerance::default()).unwrap();
        assert_eq!(c.bad_pixels, 16);
        assert!(!c.passes(&Tolerance::default()));
        assert_eq!(c.diff.get_pixel(0, 0)[0], 255);
        assert!(c.psnr_db < 30.0);
    }

    #[test]
    fn small_noise_passes() {
        let a = img(|x, _| [x as u8 * 10, 50, 50]);
        let b = img(|x, y| [x as u8 * 10 + ((x + y) % 2) as u8, 50, 51]);
        let c = compare(&a, &b, &Tolerance::default()).unwrap();
        assert!(c.passes(&Tolerance::default()), "{}", c.summary());
    }

    #[test]
    fn percentile_picks_the_right_rank() {
        let v: Vec<f32> = (1..=100).map(|i| i as f32).collect();
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn downsample_averages_blocks() {
        let a = img(|x, _| {
            if x % 2 == 0 {
                [0, 0, 0]
            } else {
                [200, 100, 50]
            }
        });
        let d = downsample(&a, 2);
        assert_eq!(d.dimensions(), (8, 4));
        assert!(d.pixels().all(|p| p.0 == [100, 50, 25, 255]));
        let odd = downsample(&a, 3);
        assert_eq!(odd.dimensions(), (6, 3));
    }

    #[test]
    fn side_by_side_holds_all_three() {
        let a = img(|_, _| [10, 20, 30]);
        let s = side_by_side(&a, &a, Some(&a));
        assert_eq!(s.dimensions(), (16 * 3 + 8, 8));
        assert_eq!(s.get_pixel(16 + 4, 0).0, [10, 20, 30, 255]);
        assert_eq!(s.get_pixel(16, 0).0, [64, 64, 64, 255]);
    }

    #[test]
    fn size_mismatch_is_an_error() {
        let a = image::RgbaImage::new(2, 2);
        let b = image::RgbaImage::new(3, 2);
        assert!(compare(&a, &b, &Tolerance::default()).is_err());
    }
}
