//! Each frame's camera inputs: the tracked state of the loop's camera and of the stage's other
//! drawn cameras, from the take, the live tracking input or the rest poses.

use super::{LiveLoop, Source};
use crate::tracking::TrackedState;

impl LiveLoop {
    /// The tracked states of the stage's other drawn cameras for frame `n` at render time `t`
    /// (enabled in the stage file or by [`LiveLoop::set_camera_enabled`]): `None` for a camera
    /// the source does not track (it is drawn at its rest pose).
    pub(super) fn others(&mut self, n: u64, t: f64) -> Vec<(String, Option<TrackedState>)> {
        let names: Vec<String> = self
            .stage
            .cameras
            .iter()
            .filter(|c| c.name != self.camera)
            .filter(|c| {
                self.switched
                    .iter()
                    .find(|(n, _)| *n == c.name)
                    .map_or(c.enabled, |(_, on)| *on)
            })
            .map(|c| c.name.clone())
            .collect();
        let k = self.take_frame(n);
        names
            .into_iter()
            .map(|name| {
                let state = match &mut self.source {
                    Source::Take(cams) => cams.camera_at_frame(&name, k),
                    Source::Live(cams) => cams.camera(&name, t),
                    Source::Rest => None,
                };
                (name, state)
            })
            .collect()
    }

    /// The tracked state of the camera for frame `n` and its render time on the tracking clock.
    pub(super) fn tracked(&mut self, n: u64) -> (TrackedState, f64) {
        let rest = || {
            self.stage
                .camera(&self.camera)
                .map(|c| c.rest)
                .unwrap_or_default()
        };
        let k = self.take_frame(n);
        match &mut self.source {
            Source::Take(cams) => {
                let t = cams.frame_time(k);
                let s = cams
                    .camera_at_frame(&self.camera, k)
                    .unwrap_or_else(|| TrackedState::untracked(rest()));
                (s, t)
            }
            Source::Live(cams) => {
                cams.update();
                let t = cams.now();
                let s = cams
                    .camera(&self.camera, t)
                    .unwrap_or_else(|| TrackedState::untracked(rest()));
                (s, t)
            }
            Source::Rest => (
                TrackedState::untracked(rest()),
                self.epoch.elapsed().as_secs_f64(),
            ),
        }
    }
}
