//! Overrides: values that replace a stage camera's or a camera state's for one frame (the
//! command line's `--camera-position`, `--focal-length`, ...), applied and checked by
//! [`super::FrameInputs::resolve`].

use glam::DVec3;

use super::InputError;
use crate::camera::{CameraState, Distortion, OverscanRule, Pose};
use crate::stage::Camera;
use crate::tracking::transform::LensLookup;

/// Values that replace the stage camera's or the camera state's, so that scripts can reproduce a pose
/// and lens from a report without editing the stage file. Every field is optional; `None` keeps the
/// value from the stage file or the camera state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Tracked sensor position in stage metres.
    pub camera_position: Option<DVec3>,
    /// Pan, tilt, roll in degrees (`Ry(pan) * Rx(tilt) * Rz(roll)`, world-from-camera).
    pub camera_rotation: Option<(f64, f64, f64)>,
    /// Focal length in millimetres. With a lens table on the camera, the table's setting at that
    /// focal length (see [`Overrides::through_lens_table`]).
    pub focal_length_mm: Option<f64>,
    /// Zoom encoder value in the camera's lens table's units (raw or normalised, as the table
    /// says): the lens is the table's at (zoom, focus). Needs a lens table.
    pub zoom: Option<f64>,
    /// Focus encoder value in the lens table's units, with `zoom` or `focal_length_mm`; default the
    /// first calibrated focus of each zoom row. Needs a lens table.
    pub focus: Option<f64>,
    /// Sensor size `(width, height)` in millimetres.
    pub sensor_mm: Option<(f64, f64)>,
    /// Anamorphic squeeze (1 spherical, 2 for a 2x anamorphic; see [`crate::camera::Lens::squeeze`]).
    pub squeeze: Option<f64>,
    /// Principal-point shift `(x, y)` in millimetres on the sensor (x right, y up).
    pub shift_mm: Option<(f64, f64)>,
    /// Entrance-pupil offset in metres along the optical axis (positive towards the subject).
    pub entrance_pupil_m: Option<f64>,
    /// Brown-Conrady distortion (OpenCV's meaning).
    pub distortion: Option<Distortion>,
    /// Overscan rule.
    pub overscan: Option<OverscanRule>,
    /// Soft-edge fraction.
    pub soft_edge: Option<f64>,
    /// Fixed outer viewpoint in stage metres.
    pub outer_viewpoint: Option<DVec3>,
    /// Inner render pixel budget `(w, h)` (see [`crate::stage::InnerSettings::resolution`]).
    pub inner_resolution: Option<(u32, u32)>,
    /// Edge of the outer cube map's faces in pixels.
    pub outer_resolution: Option<u32>,
}

impl Overrides {
    /// These overrides with a lens setting (`zoom`, `focus`, `focal_length_mm`) resolved through
    /// `camera`'s lens table, as a tracked lens is: the table's focal length, focus distance,
    /// entrance pupil and distortion at the encoder values (`zoom`, or the zoom at which the table
    /// gives `focal_length_mm`: [`LensLookup::zoom_for_focal_length`]) become the focal length,
    /// entrance pupil and distortion overrides; ones given outright win. The result holds no `zoom`
    /// or `focus`. Without a lens table (or a lens setting), the overrides unchanged.
    ///
    /// Errors ([`InputError::Invalid`]): `zoom` or `focus` without a lens table, `zoom` and
    /// `focal_length_mm` together, `focus` alone on a table of several zoom rows, a focal length
    /// outside the table's range at that focus (the range is named), non-finite encoder values.
    ///
    /// [`LensLookup::zoom_for_focal_length`]: crate::tracking::transform::LensLookup::zoom_for_focal_length
    pub fn through_lens_table(&self, camera: &Camera) -> Result<Overrides, InputError> {
        let bad = |message: String| InputError::Invalid {
            camera: camera.name.clone(),
            message,
        };
        let table = camera
            .tracking
            .as_ref()
            .map(|t| &t.lens_table)
            .filter(|t| !t.points.is_empty());
        let Some(table) = table else {
            if self.zoom.is_some() || self.focus.is_some() {
                return Err(bad(
                    "zoom and focus encoder values need a lens table (tracking.lens_table)".into(),
                ));
            }
            return Ok(self.clone());
        };
        if self.zoom.is_none() && self.focus.is_none() && self.focal_length_mm.is_none() {
            return Ok(self.clone());
        }
        let lookup = LensLookup::new(table);
        for (what, v) in [("zoom", self.zoom), ("focus", self.focus)] {
            finite(&camera.name, what, v.unwrap_or(0.0))?;
        }
        let focus = self.focus.unwrap_or(f64::NEG_INFINITY);
        let zoom = match (self.zoom, self.focal_length_mm) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "give a zoom encoder value or a focal length, not both".into()
                ));
            }
            (Some(z), None) => z,
            (None, Some(f)) => lookup.zoom_for_focal_length(f, focus).map_err(|(lo, hi)| {
                bad(format!(
                    "focal length {f} mm is outside the lens table's {lo} to {hi} mm{}",
                    match self.focus {
                        Some(v) => format!(" at focus {v}"),
                        None => String::new(),
                    }
                ))
            })?,
            (None, None) => match lookup.single_zoom() {
                Some(z) => z,
                None => {
                    return Err(bad(
                        "a focus encoder value needs a zoom value or a focal length: the lens \
                         table has several zoom rows"
                            .into(),
                    ));
                }
            },
        };
        let t = lookup
            .lookup(zoom, focus)
            .ok_or_else(|| bad("the lens table has no usable point".into()))?;
        Ok(Overrides {
            zoom: None,
            focus: None,
            focal_length_mm: Some(self.focal_length_mm.unwrap_or(t.focal_length_mm)),
            entrance_pupil_m: self.entrance_pupil_m.or(Some(t.entrance_pupil_m)),
            distortion: self.distortion.or(Some(t.distortion)),
            ..self.clone()
        })
    }
}

/// The pose and lens of `state` with `overrides` applied, checked (finite, positive focal length
/// and sensor, a non-degenerate rotation, normalised).
pub(super) fn camera_state(
    camera: &str,
    state: &CameraState,
    overrides: &Overrides,
) -> Result<(Pose, crate::camera::Lens), InputError> {
    let bad = |message: String| InputError::Invalid {
        camera: camera.to_string(),
        message,
    };
    let finite = |what: &str, v: f64| finite(camera, what, v);
    if overrides.zoom.is_some() || overrides.focus.is_some() {
        return Err(bad(
            "zoom and focus encoder values are resolved through the camera's lens table first \
             (Overrides::through_lens_table; FrameInputs::resolve does it)"
                .into(),
        ));
    }
    let mut lens = state.lens;
    let o = overrides;
    lens.focal_length_mm = o.focal_length_mm.unwrap_or(lens.focal_length_mm);
    lens.sensor_mm = o.sensor_mm.unwrap_or(lens.sensor_mm);
    lens.squeeze = o.squeeze.unwrap_or(lens.squeeze);
    lens.shift_mm = o.shift_mm.unwrap_or(lens.shift_mm);
    lens.entrance_pupil_m = o.entrance_pupil_m.unwrap_or(lens.entrance_pupil_m);
    lens.distortion = o.distortion.unwrap_or(lens.distortion);
    for (what, v) in [
        ("focal length", lens.focal_length_mm),
        ("sensor width", lens.sensor_mm.0),
        ("sensor height", lens.sensor_mm.1),
        ("anamorphic squeeze", lens.squeeze),
    ] {
        if finite(what, v)? <= 0.0 {
            return Err(bad(format!("{what} must be positive (got {v})")));
        }
    }
    finite("entrance-pupil offset", lens.entrance_pupil_m)?;
    finite("principal shift", lens.shift_mm.0 + lens.shift_mm.1)?;
    let d = lens.distortion;
    for v in [
        d.k1,
        d.k2,
        d.k3,
        d.p1,
        d.p2,
        d.centre[0],
        d.centre[1],
        d.overscan,
    ] {
        finite("distortion coefficient", v)?;
    }
    let position = o.camera_position.unwrap_or(state.pose.position);
    let rotation = match o.camera_rotation {
        Some((p, t, r)) => crate::camera::pan_tilt_roll_to_quat(p, t, r),
        None => state.pose.rotation,
    };
    if !position.is_finite() || !rotation.is_finite() || rotation.length_squared() < 1e-12 {
        return Err(bad("camera pose is not finite".into()));
    }
    let pose = Pose {
        position,
        rotation: rotation.normalize(),
    };
    Ok((pose, lens))
}

/// `v` when it is finite, else the error naming `what` of camera `camera`.
pub(super) fn finite(camera: &str, what: &str, v: f64) -> Result<f64, InputError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(InputError::Invalid {
            camera: camera.to_string(),
            message: format!("{what} is not a finite number"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::FrameInputs;

    /// tiny.ron with camera A tracked through a lens table: zoom 0 -> 20 mm, pupil 0.10 m, k1 -0.10;
    /// zoom 1000 -> 60 mm, pupil 0.20 m, k1 -0.02 (focus 0); at focus 100 the 60 mm row's pupil is
    /// 0.30 m.
    fn stage() -> crate::stage::Stage {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("assets/stages/tiny.ron")).unwrap();
        let camera = r#"Camera(name: "A", position: (0.0, 1.0, 0.5), "#;
        assert!(text.contains(camera), "tiny.ron's camera line changed");
        let table = "lens_table: LensTable(points: [\
            LensPoint(zoom: 0.0, focal_length_mm: 20.0, entrance_pupil_m: 0.1, distortion: (k1: -0.1)), \
            LensPoint(zoom: 1000.0, focal_length_mm: 60.0, entrance_pupil_m: 0.2, distortion: (k1: -0.02)), \
            LensPoint(zoom: 1000.0, focus: 100.0, focal_length_mm: 60.0, entrance_pupil_m: 0.3, distortion: (k1: -0.02))])";
        let tracked = text.replace(
            camera,
            &format!(
                r#"Camera(name: "A", tracking: Some(CameraTracking(protocol: FreeD, camera_id: 1, {table})), position: (0.0, 1.0, 0.5), "#
            ),
        );
        crate::stage::Stage::from_ron(&tracked, "tiny-lens-table.ron").unwrap()
    }

    fn resolve(stage: &crate::stage::Stage, o: Overrides) -> Result<FrameInputs, InputError> {
        FrameInputs::at_rest(stage, &o)
    }

    #[test]
    fn a_focal_length_goes_through_the_lens_table() {
        let stage = stage();
        // 30 mm is a quarter of the way from 20 to 60 mm: zoom 250, pupil 0.125 m, k1 -0.08.
        let f = resolve(
            &stage,
            Overrides {
                focal_length_mm: Some(30.0),
                ..Default::default()
            },
        )
        .unwrap();
        let lens = f.video.lens;
        assert_eq!(lens.focal_length_mm, 30.0);
        assert!((lens.entrance_pupil_m - 0.125).abs() < 1e-12, "{lens:?}");
        assert!((lens.distortion.k1 + 0.08).abs() < 1e-12, "{lens:?}");
        // The frustum's apex is the entrance pupil: 0.125 m in front of the sensor position.
        let rest = stage.camera("A").unwrap().rest.pose;
        let forward = rest.rotation * glam::DVec3::NEG_Z;
        assert!((f.eye - (rest.position + 0.125 * forward)).length() < 1e-9);
        // The same lens as the encoders that give it.
        let z = resolve(
            &stage,
            Overrides {
                zoom: Some(250.0),
                ..Default::default()
            },
        )
        .unwrap();
        assert!((z.video.lens.focal_length_mm - 30.0).abs() < 1e-12);
        assert_eq!(z.eye, f.eye);
        // At focus 100 the long end's pupil is 0.30 m: 30 mm there is pupil 0.1 + 0.25 * 0.2.
        let near = resolve(
            &stage,
            Overrides {
                focal_length_mm: Some(30.0),
                focus: Some(100.0),
                ..Default::default()
            },
        )
        .unwrap();
        assert!((near.video.lens.entrance_pupil_m - 0.15).abs() < 1e-12);
        // A value given outright wins over the table's.
        let pupil = resolve(
            &stage,
            Overrides {
                focal_length_mm: Some(30.0),
                entrance_pupil_m: Some(0.0),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(pupil.video.lens.entrance_pupil_m, 0.0);
        assert!((pupil.video.lens.distortion.k1 + 0.08).abs() < 1e-12);
    }

    #[test]
    fn lens_settings_the_table_cannot_give_are_errors() {
        let stage = stage();
        let message = |o: Overrides| resolve(&stage, o).unwrap_err().to_string();
        let m = message(Overrides {
            focal_length_mm: Some(85.0),
            ..Default::default()
        });
        assert!(
            m.contains("85 mm is outside the lens table's 20 to 60 mm"),
            "{m}"
        );
        let m = message(Overrides {
            focal_length_mm: Some(30.0),
            zoom: Some(10.0),
            ..Default::default()
        });
        assert!(m.contains("not both"), "{m}");
        let m = message(Overrides {
            focus: Some(10.0),
            ..Default::default()
        });
        assert!(m.contains("several zoom rows"), "{m}");
        let m = message(Overrides {
            zoom: Some(f64::NAN),
            ..Default::default()
        });
        assert!(m.contains("zoom is not a finite number"), "{m}");
        // Without a lens table, encoder values are refused; a focal length is the pinhole's.
        let plain = crate::stage::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
        )
        .unwrap();
        let e = FrameInputs::at_rest(
            &plain,
            &Overrides {
                zoom: Some(1.0),
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("need a lens table"), "{e}");
        let f = FrameInputs::at_rest(
            &plain,
            &Overrides {
                focal_length_mm: Some(30.0),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(f.video.lens.entrance_pupil_m, 0.0);
    }

    #[test]
    fn an_anamorphic_squeeze_widens_the_frame_horizontally_only() {
        let plain = crate::stage::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
        )
        .unwrap();
        let at = |q: Option<f64>| {
            FrameInputs::at_rest(
                &plain,
                &Overrides {
                    squeeze: q,
                    ..Default::default()
                },
            )
        };
        let (one, two) = (at(None).unwrap(), at(Some(2.0)).unwrap());
        // tiny.ron's camera A: 24 mm on 36 x 24 mm: half-width tangent 18 / 24, doubled.
        let (a, b) = (one.video.frame_tangents, two.video.frame_tangents);
        assert!(
            (a.right - 0.75).abs() < 1e-12 && (b.right - 1.5).abs() < 1e-12,
            "{b:?}"
        );
        assert!((b.left + 1.5).abs() < 1e-12);
        assert_eq!((a.top, a.bottom), (b.top, b.bottom));
        // The inner frustum follows (same overscan rule): twice as wide in tangent.
        let (ia, ib) = (one.inner_tangents, two.inner_tangents);
        assert!(
            (ib.width() - 2.0 * ia.width()).abs() < 1e-9,
            "{ia:?} {ib:?}"
        );
        for bad in [0.0, -1.0, f64::NAN] {
            assert!(at(Some(bad)).is_err(), "squeeze {bad}");
        }
    }
}
