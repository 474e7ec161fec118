//! The images of a rendered case, each with its test-case name and file stem: the outputs (a
//! remapped output cut into its sub-frame regions), the unwrapped wall and the camera view; and the
//! cameras that remapped outputs' sub-frames show.
//!
//! sRGB outputs, the wall and the camera view are compared as 8-bit sRGB images; PQ and linear EXR
//! outputs keep their float values ([`HdrOutput`]), compared by ΔE_ITP against references in their
//! own format.

use super::hdr::HdrOutput;
use super::{CaseSpec, ImageKind};
use crate::colour::output::Encoding;
use crate::compare;
use crate::compare::hdr::downsample_f32;
use crate::render::{ReadImage, RenderedFrame, RendererOptions};
use crate::stage::Stage;

/// An image to compare.
#[derive(Debug)]
pub(super) enum CheckedImage {
    /// 8-bit sRGB (sRGB outputs, the wall, the camera view).
    Sdr(image::RgbaImage),
    /// A PQ or linear EXR output's values.
    Hdr(HdrOutput),
}

/// A raster before it is cut and downsampled: 8-bit, or float values in an HDR encoding.
enum Raster {
    Sdr(image::RgbaImage),
    Hdr(image::Rgba32FImage, Encoding),
}

impl Raster {
    /// An output raster read back, as its encoding is compared.
    fn of_output(img: &ReadImage, encoding: Encoding) -> Raster {
        match encoding {
            Encoding::Srgb { .. } => Raster::Sdr(img.to_rgba8()),
            Encoding::Pq { .. } | Encoding::LinearExr => Raster::Hdr(
                image::Rgba32FImage::from_fn(img.width, img.height, |x, y| {
                    image::Rgba(img.linear(x, y))
                }),
                encoding,
            ),
        }
    }

    fn crop(&self, x: u32, y: u32, w: u32, h: u32) -> Raster {
        match self {
            Raster::Sdr(i) => Raster::Sdr(image::imageops::crop_imm(i, x, y, w, h).to_image()),
            Raster::Hdr(i, e) => {
                Raster::Hdr(image::imageops::crop_imm(i, x, y, w, h).to_image(), *e)
            }
        }
    }

    /// The image compared: downsampled `factor` x `factor` (block averages of the 8-bit codes, or
    /// of the float values: PQ code values, linear light) when `factor` > 1.
    fn finish(self, factor: u32, stage: &Stage) -> CheckedImage {
        match self {
            Raster::Sdr(i) => CheckedImage::Sdr(compare::downsample(&i, factor)),
            Raster::Hdr(i, encoding) => CheckedImage::Hdr(HdrOutput {
                values: downsample_f32(&i, factor),
                encoding,
                working: stage.colour.working_space,
            }),
        }
    }
}

/// The encoding of output `name` (sRGB for a name the stage lacks).
fn encoding_of(stage: &Stage, name: &str) -> Encoding {
    stage
        .outputs
        .iter()
        .position(|o| o.name == name)
        .and_then(|k| stage.colour.outputs.get(k))
        .map(|c| c.encoding)
        .unwrap_or_default()
}

/// The image's part of a test-case and file name.
fn image_label(kind: &ImageKind, output: Option<&str>) -> String {
    match (kind, output) {
        (_, Some(o)) => format!("output-{o}"),
        (ImageKind::Wall, _) => "wall".into(),
        (ImageKind::Camera, _) => "camera".into(),
        _ => "outputs".into(),
    }
}

/// One image of a rendered case.
pub(super) struct CaseImage {
    /// Test-case name, `<case>/<image>`.
    pub(super) name: String,
    /// File-name stem, `<case>.<image>`.
    pub(super) stem: String,
    /// The image, or why the frame has none.
    pub(super) image: Result<CheckedImage, String>,
    /// How many full-size pixels each of its pixels averages per axis (the case's `downsample` for
    /// outputs and the wall; 1 for the camera view).
    pub(super) downsample: u32,
    /// What the image is, when the name does not say (a sub-frame region: `sub-frame 2 of 3,
    /// camera B`), put before the outcome's message.
    pub(super) about: Option<String>,
}

/// What sub-frame `sf` shows, in words.
fn describe_subframe(sf: &crate::stage::file::SubFrame) -> String {
    use crate::stage::file::SubFrame;
    match sf {
        SubFrame::Camera(c) => format!("camera {c}"),
        SubFrame::Chroma(c) => format!("chroma key of camera {c}"),
        SubFrame::Solid(r, g, b) => format!("solid ({r}, {g}, {b})"),
    }
}

/// The images of one rendered case. A remapped output (frame remapping) gives one image per
/// sub-frame region (`<case>/output-<name>/sub-<k>`, `k` from 1), each cut from the raster before
/// it is downsampled, so that a failure names the region and a block never mixes two regions.
pub(super) fn case_images(
    case: &CaseSpec,
    stage: &Stage,
    frame: &RenderedFrame,
    downsample: u32,
    rendered: &RendererOptions,
) -> Vec<CaseImage> {
    // (label, image, downsampled, about)
    let mut parts: Vec<(String, Option<Raster>, bool, Option<String>)> = Vec::new();
    let output = |parts: &mut Vec<_>, name: &str, img: Option<&ReadImage>| {
        let img = img.map(|i| Raster::of_output(i, encoding_of(stage, name)));
        let label = image_label(&ImageKind::Output(name.into()), Some(name));
        let remapped = stage
            .outputs
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| o.remap.as_ref().map(|r| (o, r)));
        match (remapped, img) {
            (Some((o, r)), Some(img)) => {
                let (w, h) = o.region_size();
                for (k, sf) in r.subframes.iter().enumerate() {
                    let (x, y) = o.region_origin(k as u32);
                    let region = img.crop(x, y, w, h);
                    let about = format!(
                        "sub-frame {} of {}, {}",
                        k + 1,
                        r.subframes.len(),
                        describe_subframe(sf)
                    );
                    parts.push((
                        format!("{label}/sub-{}", k + 1),
                        Some(region),
                        true,
                        Some(about),
                    ));
                }
            }
            (_, img) => parts.push((label, img, true, None)),
        }
    };
    for kind in &case.images {
        match kind {
            ImageKind::Outputs => {
                for (o, img) in &frame.outputs {
                    output(&mut parts, o, Some(img));
                }
            }
            ImageKind::Output(o) => {
                let img = frame.outputs.iter().find(|(n, _)| n == o).map(|(_, i)| i);
                output(&mut parts, o, img);
            }
            ImageKind::Wall => parts.push((
                image_label(kind, None),
                frame.wall.as_ref().map(|i| Raster::Sdr(i.to_rgba8())),
                true,
                None,
            )),
            ImageKind::Camera => parts.push((
                image_label(kind, None),
                frame.camera.as_ref().map(|i| Raster::Sdr(i.to_rgba8())),
                false,
                None,
            )),
        }
    }
    parts
        .into_iter()
        .map(|(label, img, scale, about)| CaseImage {
            downsample: if scale { downsample.max(1) } else { 1 },
            name: format!("{}/{label}", case.name),
            stem: format!("{}.{}", case.name, label.replace('/', ".")),
            image: match img {
                Some(i) => Ok(i.finish(if scale { downsample } else { 1 }, stage)),
                None => Err(missing(&label, stage, rendered)),
            },
            about,
        })
        .collect()
}

/// Why the frame has no image `label` (`wall`, `camera`, `output-<name>`), and what to do.
fn missing(label: &str, stage: &Stage, rendered: &RendererOptions) -> String {
    let (what, option, kind) = match label {
        "wall" => ("unwrapped wall", rendered.wall, "Wall"),
        "camera" => ("simulated camera view", rendered.camera, "Camera"),
        _ => {
            let name = label.strip_prefix("output-").unwrap_or(label);
            let names: Vec<String> = stage
                .outputs
                .iter()
                .map(|o| format!("'{}'", o.name))
                .collect();
            return format!(
                "the frame has no output '{name}': the stage file has no output of that name (its outputs: {}); correct `Output(\"{name}\")` in the case's images",
                names.join(", ")
            );
        }
    };
    if option {
        format!(
            "the frame has no {label} image: the renderer was made with the {what} but read none back (an internal error: please report it with the stage and checks files)"
        )
    } else {
        format!(
            "the frame has no {label} image: the renderer was made without the {what} (`check` renders it only when a case lists `{kind}` in its images)"
        )
    }
}

/// The cameras that remapped outputs' `Camera` and `Chroma` sub-frames show, each once, in the
/// order of the outputs and their sub-frames.
pub(super) fn subframe_cameras(stage: &Stage) -> Vec<String> {
    use crate::stage::file::SubFrame;
    let mut names: Vec<String> = Vec::new();
    for r in stage.outputs.iter().filter_map(|o| o.remap.as_ref()) {
        for sf in &r.subframes {
            if let SubFrame::Camera(c) | SubFrame::Chroma(c) = sf
                && !names.contains(c)
            {
                names.push(c.clone());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_the_frame_lacks_says_why() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let stage = crate::stage::load(std::path::Path::new(path)).unwrap();
        let case = CaseSpec {
            name: "c".into(),
            pose: "p".into(),
            images: vec![
                ImageKind::Wall,
                ImageKind::Camera,
                ImageKind::Output("nope".into()),
            ],
            tolerance: Default::default(),
            hdr_tolerance: Default::default(),
        };
        let frame = RenderedFrame {
            outputs: Vec::new(),
            wall: None,
            camera: None,
        };
        let off = RendererOptions {
            wall: false,
            camera: false,
            ..Default::default()
        };
        let why: Vec<String> = case_images(&case, &stage, &frame, 1, &off)
            .into_iter()
            .map(|i| i.image.unwrap_err())
            .collect();
        assert_eq!(
            why[0],
            "the frame has no wall image: the renderer was made without the unwrapped wall (`check` renders it only when a case lists `Wall` in its images)"
        );
        assert!(
            why[1].contains("without the simulated camera view") && why[1].contains("`Camera`"),
            "{}",
            why[1]
        );
        assert_eq!(
            why[2],
            "the frame has no output 'nope': the stage file has no output of that name (its outputs: 'main'); correct `Output(\"nope\")` in the case's images"
        );
        // Made with the wall, yet none came back: said to be an internal error.
        let on = RendererOptions::default();
        let why = case_images(&case, &stage, &frame, 1, &on)
            .remove(0)
            .image
            .unwrap_err();
        assert!(
            why.contains("made with the unwrapped wall but read none back"),
            "{why}"
        );
    }
}
