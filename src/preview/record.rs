//! What the preview showed, frame by frame: the shown camera's pose, lens and inner frustum as a
//! [`FrameRecord`], written as JSON Lines by `--pose-log FILE` ([`PoseLog`]) so that scripts and
//! tests can check the camera the window rendered with, not just its picture.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::source::Origin;
use crate::io::WriteError;
use crate::render::FrameInputs;
use crate::tracking::TrackingStatus;

/// One presented frame's camera. Stage space: metres, +Y up; rotations world-from-camera.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameRecord {
    /// Window frame number (0 for the first frame presented).
    pub frame: u64,
    /// The stage camera shown.
    pub camera: String,
    /// What drove it: `flown`, `take` or `live`.
    pub source: String,
    /// The take frame used (take playback only).
    pub take_frame: Option<u64>,
    /// The tracking status: `live`, `dropout` or `no data` (`None` for a flown camera).
    pub tracking: Option<String>,
    /// Tracked sensor position `[x, y, z]`, metres.
    pub position: [f64; 3],
    /// World-from-camera rotation as a unit quaternion `[x, y, z, w]`.
    pub rotation: [f64; 4],
    /// The render eye (the entrance pupil) `[x, y, z]`, metres.
    pub eye: [f64; 3],
    /// Focal length, millimetres.
    pub focal_length_mm: f64,
    /// Entrance-pupil offset along the optical axis, metres.
    pub entrance_pupil_m: f64,
    /// Overscan per side `[left, right, bottom, top]`, fractions of the frame's half extents.
    pub overscan: [f64; 4],
    /// The overscan rule in force: `uniform`, `per side`, `auto` or `key` (set with the keys or panel).
    pub overscan_rule: String,
    /// Soft-edge fraction of the inner frustum.
    pub soft_edge: f64,
    /// Whether the soft-edge band lies outside the camera's picture
    /// ([`FrameInputs::band_outside_picture`]).
    pub band_outside_picture: bool,
}

impl FrameRecord {
    /// The record of window frame `frame`, rendered from `inputs`, whose camera came from `origin`.
    pub fn new(frame: u64, inputs: &FrameInputs, origin: Origin, overscan_rule: &str) -> Self {
        let v = |p: glam::DVec3| [p.x, p.y, p.z];
        let q = inputs.pose.rotation;
        let o = inputs.overscan;
        FrameRecord {
            frame,
            camera: inputs.camera_name.clone(),
            source: origin.name().to_string(),
            take_frame: match origin {
                Origin::Take { frame, .. } => Some(frame),
                _ => None,
            },
            tracking: origin.status().map(|s| {
                match s {
                    TrackingStatus::Live => "live",
                    TrackingStatus::Dropout { .. } => "dropout",
                    TrackingStatus::NoData => "no data",
                }
                .to_string()
            }),
            position: v(inputs.pose.position),
            rotation: [q.x, q.y, q.z, q.w],
            eye: v(inputs.eye),
            focal_length_mm: inputs.lens.focal_length_mm,
            entrance_pupil_m: inputs.lens.entrance_pupil_m,
            overscan: [o.left, o.right, o.bottom, o.top],
            overscan_rule: overscan_rule.to_string(),
            soft_edge: inputs.soft_edge,
            band_outside_picture: inputs.band_outside_picture(),
        }
    }
}

/// A JSON Lines file of [`FrameRecord`]s, one a line. Written to a temporary file next to the
/// target and renamed into place by [`PoseLog::finish`], so a reader never sees a half-written log.
pub struct PoseLog {
    path: PathBuf,
    tmp: PathBuf,
    file: BufWriter<fs::File>,
}

impl PoseLog {
    /// Starts a log that will be written to `path` (parent folders are created).
    pub fn create(path: &Path) -> Result<PoseLog, WriteError> {
        let io = |source| WriteError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io)?;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let file = BufWriter::new(fs::File::create(&tmp).map_err(io)?);
        Ok(PoseLog {
            path: path.to_path_buf(),
            tmp,
            file,
        })
    }

    /// Appends one record.
    pub fn write(&mut self, record: &FrameRecord) -> Result<(), WriteError> {
        let mut line = serde_json::to_vec(record).map_err(|source| WriteError::Json {
            path: self.path.clone(),
            source,
        })?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(|source| WriteError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Flushes the log and renames it into place.
    pub fn finish(self) -> Result<(), WriteError> {
        let PoseLog { path, tmp, file } = self;
        let result = (|| {
            let f = file.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(|source| WriteError::Io { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Overrides;

    #[test]
    fn the_log_holds_one_record_a_line_and_appears_only_when_finished() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let stage = crate::stage::load(Path::new(path)).unwrap();
        let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("logs/poses.jsonl");
        let mut log = PoseLog::create(&out).unwrap();
        for k in 0..3 {
            log.write(&FrameRecord::new(k, &inputs, Origin::Flown, "uniform"))
                .unwrap();
        }
        assert!(!out.exists(), "the log appears only when finished");
        log.finish().unwrap();
        let text = fs::read_to_string(&out).unwrap();
        let records: Vec<FrameRecord> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(records.len(), 3);
        assert_eq!(records[2].frame, 2);
        // tiny.ron: camera A at (0, 1, 0.5) looking along -Z (identity rotation), 24 mm,
        // Uniform(0.3) overscan, soft edge 0.1.
        let r = &records[0];
        assert_eq!(r.camera, "A");
        assert_eq!(r.source, "flown");
        assert_eq!(r.tracking, None);
        assert_eq!(r.position, [0.0, 1.0, 0.5]);
        assert_eq!(r.rotation, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(r.focal_length_mm, 24.0);
        assert_eq!(r.overscan, [0.3; 4]);
        assert_eq!(r.soft_edge, 0.1);
        let leftovers = fs::read_dir(out.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left");
    }
}
