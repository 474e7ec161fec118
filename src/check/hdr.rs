//! The references of PQ and linear EXR outputs: written and read in the output's own format at
//! full depth (PQ: a 16-bit PNG of the code values, exactly as `parallax render` writes it; linear
//! EXR: half-float OpenEXR), compared by ΔE_ITP (ITU-R BT.2124) on absolute light
//! ([`crate::compare::hdr`]) against the case's `hdr_tolerance`.
//!
//! An 8-bit reference from before (an 8-bit PNG for a PQ output, or only a `.png` for a linear EXR
//! output, 8-bit or a PQ output's) is reported as missing, with the `--update` that replaces it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::{DynamicImage, Rgba, Rgba32FImage};

use super::review::{differing_region, review_image};
use super::run::{RunOptions, describe_region};
use super::{CaseResult, CaseSpec, Outcome};
use crate::colour::output::Encoding;
use crate::colour::primaries::WorkingSpace;
use crate::compare::hdr::{HdrImage, Signal, compare_itp};
use crate::render::ReadImage;
use crate::render::encode::{code16, output_path, write_output};

/// A PQ or linear EXR output's image as compared: its float values (PQ code values 0..1, or
/// linear working-space values, 1.0 = 100 nits), downsampled, not yet quantised.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct HdrOutput {
    /// The values, before quantisation to the file's depth.
    pub(super) values: Rgba32FImage,
    /// The output's encoding (`Pq` or `LinearExr`).
    pub(super) encoding: Encoding,
    /// The stage's working space (a linear EXR output's primaries).
    pub(super) working: WorkingSpace,
}

/// What a linear 1.0 means, or the PQ signal, of an encoding.
fn signal(encoding: &Encoding, working: WorkingSpace) -> Signal {
    match encoding {
        Encoding::LinearExr => Signal::Linear(working.primaries()),
        _ => Signal::Pq,
    }
}

/// A `bits`-bit code stored MSB-aligned in 16 bits as a value 0..1.
fn code_value(stored: u16, bits: u32) -> f32 {
    let bits = bits.clamp(1, 16);
    (stored >> (16 - bits)) as f32 / ((1u32 << bits) - 1) as f32
}

impl HdrOutput {
    /// The values as a float raster, for [`write_output`].
    fn raster(&self) -> ReadImage {
        ReadImage {
            width: self.values.width(),
            height: self.values.height(),
            format: wgpu::TextureFormat::Rgba32Float,
            bytes: bytemuck::cast_slice(self.values.as_raw()).to_vec(),
        }
    }

    /// The image as its file holds it: PQ codes quantised to the output's bits (as
    /// [`code16`]), linear values rounded to half floats and clamped to +-65504 (as
    /// [`crate::render::encode::exr_half`]).
    pub(super) fn stored(&self) -> HdrImage {
        let q = |v: f32| match self.encoding {
            Encoding::Pq { bits, .. } => code_value(code16(v, bits), bits),
            _ => half::f16::from_f32(crate::colour::clamp_f16(f64::from(v)) as f32).to_f32(),
        };
        HdrImage {
            values: Rgba32FImage::from_fn(self.values.width(), self.values.height(), |x, y| {
                let p = self.values.get_pixel(x, y);
                Rgba([q(p[0]), q(p[1]), q(p[2]), 1.0])
            }),
            signal: signal(&self.encoding, self.working),
        }
    }

    /// The reference file of stem `stem` (`<stem>.png` or `<stem>.exr`).
    fn reference(&self, refs: &Path, stem: &str) -> PathBuf {
        output_path(&refs.join(stem), &self.encoding)
    }

    /// The file format, in words.
    fn format(&self) -> String {
        match self.encoding {
            Encoding::Pq { bits, .. } => format!("PQ, {bits}-bit codes in a 16-bit PNG"),
            _ => "linear, half-float EXR".into(),
        }
    }
}

/// A reference as read: the image, or an 8-bit PNG from before HDR checks.
enum Reference {
    Image(HdrImage),
    EightBit,
}

/// The significant bits of each colour channel of a PNG (its `sBIT` chunk; 16 without one).
fn significant_bits(path: &Path) -> Result<[u32; 3], String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .map_err(|e| e.to_string())?;
    let sbit = reader.info().sbit.as_deref().unwrap_or(&[]).to_vec();
    Ok([0, 1, 2].map(|c| {
        // A grey image has one sBIT byte for all three.
        let b = sbit.get(c).or(sbit.first()).copied().unwrap_or(16);
        u32::from(b).clamp(1, 16)
    }))
}

/// What `.png` reference `old` of a linear EXR output is, for the messages: a PQ output's 16-bit
/// reference (the output's encoding changed) or an 8-bit one.
fn old_png(old: &Path) -> &'static str {
    let sixteen = std::fs::File::open(old)
        .ok()
        .and_then(|f| {
            png::Decoder::new(std::io::BufReader::new(f))
                .read_info()
                .ok()
        })
        .is_some_and(|r| r.info().bit_depth == png::BitDepth::Sixteen);
    if sixteen {
        "a 16-bit PQ reference (from when the output was PQ)"
    } else {
        "an 8-bit reference from before HDR checks (or from when the output was sRGB)"
    }
}

/// Reads the reference of `actual` at `path` (which exists).
fn read_reference(path: &Path, actual: &HdrOutput) -> Result<Reference, String> {
    let cannot = |e: String| format!("cannot read reference {}: {e}", path.display());
    let img = image::open(path).map_err(|e| cannot(e.to_string()))?;
    let values = match actual.encoding {
        Encoding::Pq { .. } => {
            if matches!(
                img,
                DynamicImage::ImageLuma8(_)
                    | DynamicImage::ImageLumaA8(_)
                    | DynamicImage::ImageRgb8(_)
                    | DynamicImage::ImageRgba8(_)
            ) {
                return Ok(Reference::EightBit);
            }
            let bits = significant_bits(path).map_err(cannot)?;
            let img = img.to_rgba16();
            Rgba32FImage::from_fn(img.width(), img.height(), |x, y| {
                let p = img.get_pixel(x, y);
                let v = |c: usize| code_value(p[c], bits[c]);
                Rgba([v(0), v(1), v(2), 1.0])
            })
        }
        _ => img.to_rgba32f(),
    };
    Ok(Reference::Image(HdrImage {
        values,
        signal: signal(&actual.encoding, actual.working),
    }))
}

/// Compares (or updates) the image of a PQ or linear EXR output and returns its result.
pub(super) fn check_hdr_image(
    case: &CaseSpec,
    name: String,
    file_stem: &str,
    downsample: u32,
    actual: &HdrOutput,
    refs: &Path,
    options: &RunOptions,
) -> CaseResult {
    let started = Instant::now();
    let reference = actual.reference(refs, file_stem);
    // The 8-bit reference an output had before HDR checks (same name, `.png`).
    let old = refs.join(format!("{file_stem}.png"));
    let mut files = Vec::new();
    let outcome = (|| {
        if options.updates(&case.name, &name) {
            return match write_output(
                &refs.join(file_stem),
                &actual.raster(),
                &actual.encoding,
                actual.working,
            ) {
                Ok(path) => {
                    files.push(path.clone());
                    let stale = if old != path && old.exists() {
                        format!(
                            "; {} is {} and no longer used: delete it",
                            old.display(),
                            old_png(&old)
                        )
                    } else {
                        String::new()
                    };
                    Outcome::Updated(format!(
                        "wrote {} ({}){stale}",
                        path.display(),
                        actual.format()
                    ))
                }
                Err(e) => Outcome::Error(e.to_string()),
            };
        }
        let write_actual = |files: &mut Vec<PathBuf>| {
            let stem = options.out.join(format!("{file_stem}.actual"));
            match write_output(&stem, &actual.raster(), &actual.encoding, actual.working) {
                Ok(p) => {
                    files.push(p);
                    String::new()
                }
                Err(e) => format!(" ({e})"),
            }
        };
        let regenerate = format!(
            "run with --update={} to write it in the output's format ({}), and review it",
            case.name,
            actual.format()
        );
        if !reference.exists() {
            let why = if old != reference && old.exists() {
                format!(
                    "no reference {}: {} is {}, which linear EXR outputs do not use",
                    reference.display(),
                    old.display(),
                    old_png(&old)
                )
            } else {
                format!("no reference {}", reference.display())
            };
            let note = write_actual(&mut files);
            return Outcome::Missing(format!("{why} ({regenerate}){note}"));
        }
        let expected = match read_reference(&reference, actual) {
            Ok(Reference::Image(i)) => i,
            Ok(Reference::EightBit) => {
                let note = write_actual(&mut files);
                return Outcome::Missing(format!(
                    "reference {} is an 8-bit PNG from before HDR checks (or from when the output was sRGB): PQ outputs are compared as 16-bit PNGs of their code values by delta E ITP ({regenerate}){note}",
                    reference.display()
                ));
            }
            Err(e) => return Outcome::Error(e),
        };
        let stored = actual.stored();
        let tol = &case.hdr_tolerance;
        match compare_itp(&expected, &stored, tol.mark()) {
            Err(e) => {
                let note = write_actual(&mut files);
                Outcome::Failed(format!("{e}{note}"))
            }
            Ok(c) if tol.passes(&c) => Outcome::Passed(tol.describe(&c)),
            Ok(c) => {
                let mut note = write_actual(&mut files);
                let diff = options.out.join(format!("{file_stem}.diff.png"));
                match crate::io::write_png(&diff, &c.diff) {
                    Ok(()) => files.push(diff),
                    Err(e) => note = format!(" ({e})"),
                }
                let sbs = options.out.join(format!("{file_stem}.side-by-side.png"));
                let review = review_image(&expected.display(), &stored.display(), &c.diff);
                match crate::io::write_png(&sbs, &review) {
                    Ok(()) => files.push(sbs),
                    Err(e) => note = format!(" ({e})"),
                }
                let place = differing_region(&c.diff)
                    .map(|r| describe_region(&r, stored.values.dimensions(), downsample))
                    .unwrap_or_default();
                Outcome::Failed(format!("{}{place}{note}", tol.describe(&c)))
            }
        }
    })();
    CaseResult {
        case: case.name.clone(),
        name,
        outcome,
        files,
        changed_cabinets: Vec::new(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{ImageKind, ToleranceSpec};

    fn case() -> CaseSpec {
        CaseSpec {
            name: "c".into(),
            pose: "p".into(),
            images: vec![ImageKind::Outputs],
            tolerance: ToleranceSpec::default(),
            hdr_tolerance: Default::default(),
        }
    }

    /// Values with light far above 1.0 (linear) and PQ codes across the range.
    fn output(encoding: Encoding, scale: f32) -> HdrOutput {
        HdrOutput {
            values: Rgba32FImage::from_fn(9, 5, |x, y| {
                let v = (x + 9 * y) as f32 / 44.0;
                Rgba([v * scale, 0.3 * scale, (1.0 - v) * scale, 1.0])
            }),
            encoding,
            working: WorkingSpace::AcesCg,
        }
    }

    fn run(out: &HdrOutput, refs: &Path, update: bool) -> CaseResult {
        let options = RunOptions {
            update: update.then(Vec::new),
            out: refs.join("fail"),
        };
        check_hdr_image(
            &case(),
            "c/output-o.1".into(),
            "c.output-o.1",
            1,
            out,
            refs,
            &options,
        )
    }

    /// `--update` writes the reference in the output's format at full depth (16-bit PNG with the
    /// output's sBIT, or half-float EXR), under a name that keeps the output's dots; reading it
    /// back gives exactly what the comparison quantises the render to (delta E ITP 0).
    #[test]
    fn references_round_trip_at_full_depth() {
        let pq = |bits| Encoding::Pq {
            white_nits: 100.0,
            peak_nits: 1000.0,
            bits,
        };
        for (encoding, scale, file) in [
            (pq(12), 1.0, "c.output-o.1.png"),
            (pq(10), 0.9, "c.output-o.1.png"),
            (Encoding::LinearExr, 40.0, "c.output-o.1.exr"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let out = output(encoding, scale);
            let r = run(&out, dir.path(), true);
            assert!(matches!(r.outcome, Outcome::Updated(_)), "{:?}", r.outcome);
            let path = dir.path().join(file);
            assert_eq!(r.files, vec![path.clone()]);
            let back = match read_reference(&path, &out).unwrap() {
                Reference::Image(i) => i,
                Reference::EightBit => panic!("{file} read as 8-bit"),
            };
            assert_eq!(back, out.stored(), "{encoding:?}");
            match encoding {
                Encoding::Pq { bits, .. } => {
                    assert!(matches!(
                        image::open(&path).unwrap(),
                        DynamicImage::ImageRgba16(_)
                    ));
                    assert_eq!(significant_bits(&path).unwrap(), [bits; 3]);
                }
                _ => {
                    // Light above 1.0 is kept (here up to 40).
                    let max = back.values.pixels().map(|p| p[0]).fold(0.0, f32::max);
                    assert_eq!(max, 40.0);
                }
            }
            let r = run(&out, dir.path(), false);
            match &r.outcome {
                Outcome::Passed(m) => assert!(
                    m.starts_with("delta E ITP mean 0.000 (limit 1), p99 0.000 (limit 10)"),
                    "{m}"
                ),
                o => panic!("{encoding:?}: {o:?}"),
            }
            // A change of light the 8-bit path cannot see (all above 1.0 linear, or a grade
            // step of a few PQ codes) fails, with the review images in the output's format.
            let brighter = output(encoding, scale * 1.02);
            let r = run(&brighter, dir.path(), false);
            assert!(
                matches!(&r.outcome, Outcome::Failed(m) if m.contains("delta E ITP mean")),
                "{encoding:?}: {:?}",
                r.outcome
            );
            let fail = dir.path().join("fail");
            let actual = output_path(&fail.join("c.output-o.1.actual"), &encoding);
            for f in [
                actual,
                fail.join("c.output-o.1.diff.png"),
                fail.join("c.output-o.1.side-by-side.png"),
            ] {
                assert!(r.files.contains(&f), "{f:?} in {:?}", r.files);
                assert!(f.exists(), "{f:?}");
            }
        }
    }

    /// An 8-bit reference from before HDR checks is missing, with the update that replaces it.
    #[test]
    fn old_eight_bit_references_are_missing_with_the_hint() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("c.output-o.1.png");
        crate::io::write_png(&old, &image::RgbaImage::new(9, 5)).unwrap();
        let pq = output(
            Encoding::Pq {
                white_nits: 100.0,
                peak_nits: 1000.0,
                bits: 12,
            },
            1.0,
        );
        for (out, says) in [
            (pq, "is an 8-bit PNG from before HDR checks"),
            (
                output(Encoding::LinearExr, 4.0),
                "c.output-o.1.png is an 8-bit reference from before HDR checks",
            ),
        ] {
            match run(&out, dir.path(), false).outcome {
                Outcome::Missing(m) => {
                    assert!(m.contains(says), "{m}");
                    assert!(m.contains("--update=c "), "{m}");
                }
                o => panic!("{o:?}"),
            }
        }
        // Updating the EXR output writes the .exr and says the .png is stale.
        match run(&output(Encoding::LinearExr, 4.0), dir.path(), true).outcome {
            Outcome::Updated(m) => assert!(
                m.contains("c.output-o.1.png is an 8-bit reference from before HDR checks (or from when the output was sRGB) and no longer used: delete it"),
                "{m}"
            ),
            o => panic!("{o:?}"),
        }
    }
}
