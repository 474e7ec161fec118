//! The images of a rendered case, each with its test-case name and file stem: the outputs (a
//! remapped output cut into its sub-frame regions), the unwrapped wall and the camera view; and the
//! cameras that remapped outputs' sub-frames show.

use super::{CaseSpec, ImageKind};
use crate::compare;
use crate::render::RenderedFrame;
use crate::stage::Stage;

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
    pub(super) image: Result<image::RgbaImage, String>,
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
) -> Vec<CaseImage> {
    // (label, image, downsampled, about)
    let mut parts: Vec<(String, Option<image::RgbaImage>, bool, Option<String>)> = Vec::new();
    let output = |parts: &mut Vec<_>, name: &str, img: Option<image::RgbaImage>| {
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
                    let region = image::imageops::crop_imm(&img, x, y, w, h).to_image();
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
                    output(&mut parts, o, Some(img.to_rgba8()));
                }
            }
            ImageKind::Output(o) => {
                let img = frame
                    .outputs
                    .iter()
                    .find(|(n, _)| n == o)
                    .map(|(_, i)| i.to_rgba8());
                output(&mut parts, o, img);
            }
            ImageKind::Wall => parts.push((
                image_label(kind, None),
                frame.wall.as_ref().map(|i| i.to_rgba8()),
                true,
                None,
            )),
            ImageKind::Camera => parts.push((
                image_label(kind, None),
                frame.camera.as_ref().map(|i| i.to_rgba8()),
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
                Some(i) if scale => Ok(compare::downsample(&i, downsample)),
                Some(i) => Ok(i),
                None => Err(format!("the frame has no {label} image")),
            },
            about,
        })
        .collect()
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
