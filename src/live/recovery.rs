//! Rendering one live frame, and what happens when it fails: never dark. A failed frame (a render
//! or read-back error, an injected fault) holds the last good frame on the outputs. A lost GPU
//! device (a driver reset, or `--inject-fault device-lost@N`, which destroys the device for real)
//! is detected by the device's lost callback ([`crate::gpu::ErrorLog::lost`]); after the held
//! frame has been delivered, the loop creates a new GPU device, renderer and scene for the running
//! stage (output windows re-create their surfaces when they see [`LiveLoop::gpu_generation`]
//! change) and carries on with the next frame. Until a re-creation succeeds (it is tried once per
//! frame) every frame is held without rendering.

use std::time::Instant;

use super::{FrameStats, LiveLoop, RunError, ms, renderer_for};
use crate::gpu::Gpu;
use crate::render::{FrameInputs, Overrides, ReadImage};
use crate::scene::SceneSpec;
use crate::tracking::TrackedState;

/// What an injected fault does (drills of the never-dark path, tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The frame fails with an error after it was prepared (nothing is lost).
    Error,
    /// The GPU device is destroyed before the frame (`wgpu::Device::destroy`): the device is lost
    /// for real and must be re-created.
    DeviceLost,
}

/// A fault injected at a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The frame number.
    pub frame: u64,
    /// What happens.
    pub kind: FaultKind,
}

impl Fault {
    /// Parses `N` or `error@N` (an error at frame N) or `device-lost@N`.
    pub fn parse(s: &str) -> Result<Fault, String> {
        let s = s.trim();
        let (kind, frame) = match s.split_once('@') {
            Some(("error", n)) => (FaultKind::Error, n),
            Some(("device-lost", n)) => (FaultKind::DeviceLost, n),
            Some((k, _)) => {
                return Err(format!(
                    "unknown fault '{k}' (expected error@N or device-lost@N)"
                ));
            }
            None => (FaultKind::Error, s),
        };
        let frame = frame
            .trim()
            .parse::<u64>()
            .map_err(|e| format!("'{frame}' is not a frame number: {e}"))?;
        Ok(Fault { frame, kind })
    }
}

/// What a frame produced: its inputs and, when read back, its outputs (name, image; stage order).
/// A rendered frame: its cameras (the primary first) and, when read back, its outputs.
pub(super) type Rendered = (Vec<FrameInputs>, Option<Vec<(String, ReadImage)>>);

impl LiveLoop {
    fn fault(&self, n: u64, kind: FaultKind) -> bool {
        self.options
            .faults
            .iter()
            .any(|f| f.frame == n && f.kind == kind)
    }

    /// Resolves, prepares, renders and (when `read`) reads back frame `n`. Errors: the message of
    /// what failed; a lost device is recorded in `self.lost`.
    pub(super) fn render(
        &mut self,
        tracked: &TrackedState,
        others: &[(String, Option<TrackedState>)],
        n: u64,
        read: bool,
        stats: &mut FrameStats,
    ) -> Result<Rendered, String> {
        if let Some(why) = &self.lost {
            return Err(format!("{why}; not yet re-created"));
        }
        if self.fault(n, FaultKind::DeviceLost) {
            log::warn!("frame {n}: injected fault: destroying the GPU device");
            self.gpu.device.destroy();
        }
        let result = self.render_on_device(tracked, others, n, read, stats);
        // A lost device may surface as any error, or as none (work silently dropped).
        if let Some(why) = self.gpu.lost() {
            self.lost = Some(why.clone());
            stats.device_lost = true;
            self.stats.device_lost += 1;
            return Err(why);
        }
        result
    }

    fn render_on_device(
        &mut self,
        tracked: &TrackedState,
        others: &[(String, Option<TrackedState>)],
        n: u64,
        read: bool,
        stats: &mut FrameStats,
    ) -> Result<Rendered, String> {
        let t = Instant::now();
        let none = Overrides::default();
        let mut inputs = vec![
            FrameInputs::resolve_tracked(&self.stage, &self.camera, tracked, &none)
                .map_err(|e| e.to_string())?,
        ];
        for (name, state) in others {
            let camera = match state {
                Some(t) => FrameInputs::resolve_tracked(&self.stage, name, t, &none),
                None => match self.stage.camera(name) {
                    Some(c) => FrameInputs::resolve(&self.stage, name, &c.rest, &none),
                    None => continue,
                },
            };
            inputs.push(camera.map_err(|e| e.to_string())?);
        }
        self.renderer
            .prepare_cameras(&self.gpu, &inputs)
            .map_err(|e| e.to_string())?;
        if self.fault(n, FaultKind::Error) {
            return Err("injected fault".into());
        }
        self.renderer
            .submit_frame(&self.gpu, &self.scene)
            .map_err(|e| e.to_string())?;
        stats.cpu_ms = ms(t.elapsed());
        let t = Instant::now();
        let images = if read {
            Some(
                self.renderer
                    .read_frame(&self.gpu)
                    .map_err(|e| e.to_string())?
                    .outputs,
            )
        } else {
            self.gpu.wait_idle().map_err(|e| e.to_string())?;
            None
        };
        stats.gpu_ms = ms(t.elapsed());
        Ok((inputs, images))
    }

    /// After a frame on a lost device: creates a new GPU device, renderer and scene for the running
    /// stage. On success the loop renders again from the next frame; on failure it is tried again
    /// after the next frame.
    pub(super) fn recover(&mut self) {
        if self.lost.is_none() {
            return;
        }
        match self.recreate() {
            Ok(()) => {
                self.lost = None;
                self.fresh = true;
                self.generation += 1;
                self.stats.recoveries += 1;
                log::warn!(
                    "GPU device re-created on {} after frame {}; carrying on",
                    self.gpu.describe(),
                    self.frame.saturating_sub(1)
                );
            }
            Err(e) => self.report(&format!(
                "frame {}: the GPU device could not be re-created yet: {e}",
                self.frame
            )),
        }
    }

    fn recreate(&mut self) -> Result<(), RunError> {
        let gpu = Gpu::headless()?;
        let renderer = renderer_for(&gpu, &self.stage, self.options.views, self.keep.as_deref())?;
        let spec = SceneSpec::for_stage(&self.stage, self.options.environment.as_deref());
        let scene = crate::scene::build(&renderer.scene_context(&gpu), &spec)?;
        // The old device's objects go before the old device.
        self.scene = scene;
        self.renderer = renderer;
        self.gpu = gpu;
        Ok(())
    }

    /// How many times the GPU device has been re-created (0 at the start): whoever made objects on
    /// [`LiveLoop::gpu`] (window surfaces) re-makes them when this changes.
    pub fn gpu_generation(&self) -> u64 {
        self.generation
    }

    /// Whether the GPU device is lost and not yet re-created.
    pub fn device_lost(&self) -> bool {
        self.lost.is_some()
    }

    /// Whether [`LiveLoop::output_textures`] hold a frame to show: false while the device is lost
    /// and after a re-created (or swapped-in) renderer until its first good frame. Windows present
    /// nothing then and keep their last picture.
    pub fn outputs_ready(&self) -> bool {
        self.lost.is_none() && !self.fresh && !self.withheld
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_with_and_without_a_kind() {
        let f = |frame, kind| Ok(Fault { frame, kind });
        assert_eq!(Fault::parse("12"), f(12, FaultKind::Error));
        assert_eq!(Fault::parse("error@3"), f(3, FaultKind::Error));
        assert_eq!(Fault::parse("device-lost@30"), f(30, FaultKind::DeviceLost));
        assert!(Fault::parse("melt@3").is_err());
        assert!(Fault::parse("device-lost@x").is_err());
        assert!(Fault::parse("").is_err());
    }
}
