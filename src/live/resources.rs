//! What a running loop holds, for soak runs and leak checks: the process's resident memory and open
//! file descriptors (Linux `/proc/self`), the renderer's own counts of GPU objects created, and
//! wgpu's registry of live GPU objects. `parallax run --resources-every N` prints one sample every
//! N frames ([`ResourceLog`]); tests call [`LiveLoop::resources`] between frames.

use super::{FrameHook, FrameStats, LiveLoop};
use crate::tracking::TrackedState;

/// Live wgpu objects of the loop's instance (wgpu-core's registry: ids allocated and not yet
/// freed), all devices together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WgpuObjects {
    /// Buffers.
    pub buffers: usize,
    /// Textures.
    pub textures: usize,
    /// Texture views.
    pub texture_views: usize,
    /// Bind groups.
    pub bind_groups: usize,
    /// Samplers.
    pub samplers: usize,
    /// Render and compute pipelines.
    pub pipelines: usize,
}

/// One sample of what the loop holds, after frame `frame`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Resources {
    /// The next frame's number when sampled.
    pub frame: u64,
    /// Resident memory of the process (`VmRSS`), KiB; `None` where `/proc` is not available.
    pub rss_kib: Option<u64>,
    /// Open file descriptors of the process (entries of `/proc/self/fd`); `None` without `/proc`.
    pub fds: Option<u64>,
    /// Textures and buffers the running renderer has created since it was built (a count that
    /// only grows: flat once warm means no new allocation).
    pub renderer_allocations: u64,
    /// Bind groups the running renderer has created since it was built.
    pub renderer_bind_groups: u64,
    /// Live wgpu objects; `None` when the backend gives no report.
    pub wgpu: Option<WgpuObjects>,
}

impl Resources {
    /// One line: `frame N: rss K KiB, fds F, renderer allocations A, bind groups B, wgpu live ...`.
    pub fn line(&self) -> String {
        let opt = |v: Option<u64>| v.map_or("?".to_string(), |v| v.to_string());
        let wgpu = self.wgpu.map_or("no report".to_string(), |w| {
            format!(
                "buffers {}, textures {}, views {}, bind groups {}, samplers {}, pipelines {}",
                w.buffers, w.textures, w.texture_views, w.bind_groups, w.samplers, w.pipelines
            )
        });
        format!(
            "frame {}: rss {} KiB, fds {}, renderer allocations {}, bind groups {}; wgpu live: {wgpu}",
            self.frame,
            opt(self.rss_kib),
            opt(self.fds),
            self.renderer_allocations,
            self.renderer_bind_groups
        )
    }
}

/// The process's resident memory in KiB (`VmRSS` of `/proc/self/status`); `None` without it.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The process's open file descriptors (entries of `/proc/self/fd`, the one used to read it
/// included); `None` without it.
pub fn open_fds() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

impl LiveLoop {
    /// What the loop holds now (see [`Resources`]).
    pub fn resources(&self) -> Resources {
        let wgpu = self.gpu.instance.generate_report().map(|r| {
            let h = r.hub_report();
            WgpuObjects {
                buffers: h.buffers.num_allocated,
                textures: h.textures.num_allocated,
                texture_views: h.texture_views.num_allocated,
                bind_groups: h.bind_groups.num_allocated,
                samplers: h.samplers.num_allocated,
                pipelines: h.render_pipelines.num_allocated + h.compute_pipelines.num_allocated,
            }
        });
        Resources {
            frame: self.frame,
            rss_kib: rss_kib(),
            fds: open_fds(),
            renderer_allocations: self.renderer.allocation_count(),
            renderer_bind_groups: self.renderer.bind_group_count(),
            wgpu,
        }
    }
}

impl LiveLoop {
    /// The live tracking the loop listens to (its listeners' addresses and packet counters, its
    /// cameras' clock resets); `None` when it replays a take or tracks nothing.
    pub fn live_tracking(&self) -> Option<&crate::tracking::LiveCameras> {
        match &self.source {
            super::Source::Live(cams) => Some(cams),
            _ => None,
        }
    }
}

/// A [`FrameHook`] that prints [`LiveLoop::resources`] on stderr after every `every`th frame
/// (frames whose number is a multiple of it), prefixed `resources: `.
#[derive(Debug)]
pub struct ResourceLog {
    every: u64,
}

impl ResourceLog {
    /// Every `every` frames (at least 1).
    pub fn new(every: u64) -> ResourceLog {
        ResourceLog {
            every: every.max(1),
        }
    }
}

impl FrameHook for ResourceLog {
    fn before_frame(&mut self, _: &mut LiveLoop) {}

    fn after_frame(&mut self, live: &LiveLoop, stats: &FrameStats, _: &TrackedState) {
        if stats.frame.is_multiple_of(self.every) {
            eprintln!("resources: {}", live.resources().line());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_figures_are_read_on_linux() {
        if cfg!(target_os = "linux") {
            let rss = rss_kib().expect("VmRSS");
            // A test process holds more than 1 MiB and less than 1 TiB.
            assert!(rss > 1024 && rss < 1 << 30, "{rss}");
            // Standard input, output and error, and the folder being read (other tests' threads
            // open files meanwhile, so no exact count).
            assert!(open_fds().expect("fds") >= 4);
        }
    }
}
