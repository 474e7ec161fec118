//! The GPU context: a headless wgpu device chosen the way wgpu users expect.
//!
//! `WGPU_BACKEND` (e.g. `vulkan`, `gl`), `WGPU_ADAPTER_NAME` (a case-insensitive part of the adapter's
//! name) and `WGPU_POWER_PREF` (`low`, `high`, `none`) choose the adapter. The adapter's name, backend
//! and driver are logged at info level and kept in [`Gpu::info`].
//!
//! GPU errors are data, never a panic: [`Gpu::scoped`] wraps work in wgpu error scopes (validation,
//! out of memory, internal) and returns what they caught as [`GpuError::Wgpu`]; the device's
//! uncaptured-error handler ([`ErrorLog::install`]) records errors that escape every scope instead of
//! wgpu's default (which panics), and [`Gpu::take_uncaptured`] turns them into an error too.

pub mod layout;

use std::sync::{Arc, Mutex};

/// Why no GPU device could be created.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter at all (or none matching `WGPU_ADAPTER_NAME`).
    #[error(
        "no GPU adapter found{0}. On a Linux machine without a GPU, install Mesa's software Vulkan driver \
         (lavapipe): `apt-get install -y mesa-vulkan-drivers libvulkan1`"
    )]
    NoAdapter(String),
    /// The adapter refused to create a device.
    #[error("cannot create a device on adapter '{adapter}': {source}")]
    Device {
        adapter: String,
        #[source]
        source: wgpu::RequestDeviceError,
    },
    /// A texture or buffer would exceed the adapter's limits.
    #[error("{what} needs {needed} but the adapter '{adapter}' allows at most {limit}")]
    Limit {
        what: String,
        needed: u64,
        limit: u64,
        adapter: String,
    },
    /// wgpu reported an error (validation, out of memory, internal) while doing `what`.
    #[error("GPU error during {what}: {message}")]
    Wgpu { what: String, message: String },
}

/// Errors that escaped every error scope, recorded by the device's uncaptured-error handler, and
/// whether the device was lost (its device-lost callback).
#[derive(Clone, Debug, Default)]
pub struct ErrorLog {
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

impl ErrorLog {
    /// Installs a handler on `device` that logs and records uncaptured errors instead of panicking
    /// (wgpu's default), and a device-lost callback that records the loss (see
    /// [`ErrorLog::lost`]); returns the log they record into.
    pub fn install(device: &wgpu::Device) -> ErrorLog {
        let log = ErrorLog::default();
        let sink = log.errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let message = e.to_string();
            // Recorded, and reported by the work that takes it (a frame held, a render failed):
            // logging it here too would say one fault twice, as two.
            log::debug!("uncaptured GPU error: {message}");
            if let Ok(mut v) = sink.lock() {
                v.push(message);
            }
        }));
        let lost = log.lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            let why = if message.trim().is_empty() {
                format!("the GPU device was lost ({reason:?})")
            } else {
                format!("the GPU device was lost ({reason:?}): {message}")
            };
            log::error!("{why}");
            if let Ok(mut l) = lost.lock() {
                *l = Some(why);
            }
        });
        log
    }

    /// The recorded messages, oldest first, emptying the log.
    pub fn take(&self) -> Vec<String> {
        self.errors
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    /// Why the device was lost, once it has been (driver reset, `Device::destroy`): everything
    /// made from it is gone and a new device must be created.
    pub fn lost(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|l| l.clone())
    }
}

/// A headless GPU device and queue with the adapter they came from.
pub struct Gpu {
    /// The wgpu instance.
    pub instance: wgpu::Instance,
    /// The chosen adapter.
    pub adapter: wgpu::Adapter,
    /// The device, created with the adapter's own limits.
    pub device: wgpu::Device,
    /// The device's queue.
    pub queue: wgpu::Queue,
    /// Name, backend, driver of the adapter.
    pub info: wgpu::AdapterInfo,
    /// Errors no scope caught (see [`ErrorLog::install`]).
    pub errors: ErrorLog,
}

impl Gpu {
    /// Creates a headless device, honouring `WGPU_BACKEND`, `WGPU_ADAPTER_NAME` and `WGPU_POWER_PREF`.
    pub fn headless() -> Result<Gpu, GpuError> {
        pollster::block_on(Self::headless_async())
    }

    async fn headless_async() -> Result<Gpu, GpuError> {
        // Without WGPU_BACKEND, try the primary backends (Vulkan, Metal, DX12) first and fall back to
        // all (GL): probing GL on a machine without EGL drivers logs noisy errors.
        let explicit = std::env::var_os("WGPU_BACKEND").is_some();
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        if !explicit {
            desc.backends = wgpu::Backends::PRIMARY;
        }
        let instance = wgpu::Instance::new(desc.with_env());
        if !explicit
            && instance
                .enumerate_adapters(wgpu::Backends::all())
                .await
                .is_empty()
        {
            let instance = wgpu::Instance::new(
                wgpu::InstanceDescriptor::new_without_display_handle().with_env(),
            );
            return Self::with_instance(instance).await;
        }
        Self::with_instance(instance).await
    }

    async fn with_instance(instance: wgpu::Instance) -> Result<Gpu, GpuError> {
        let adapter = match std::env::var("WGPU_ADAPTER_NAME") {
            Ok(wanted) if !wanted.is_empty() => {
                let wanted_lc = wanted.to_lowercase();
                let adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
                let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
                adapters
                    .into_iter()
                    .find(|a| a.get_info().name.to_lowercase().contains(&wanted_lc))
                    .ok_or_else(|| {
                        GpuError::NoAdapter(format!(
                            " matching WGPU_ADAPTER_NAME='{wanted}' (available: {})",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                names.join(", ")
                            }
                        ))
                    })?
            }
            _ => instance
                .request_adapter(&wgpu::RequestAdapterOptions {
                    power_preference: wgpu::PowerPreference::from_env().unwrap_or_default(),
                    ..Default::default()
                })
                .await
                .map_err(|e| GpuError::NoAdapter(format!(" ({e})")))?,
        };
        let info = adapter.get_info();
        log::info!(
            "GPU adapter: {} ({:?}, {:?}), driver {} {}",
            info.name,
            info.backend,
            info.device_type,
            info.driver,
            info.driver_info
        );
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("parallax device"),
                required_features: wgpu::Features::empty(),
                required_limits: adapter.limits(),
                ..Default::default()
            })
            .await
            .map_err(|source| GpuError::Device {
                adapter: info.name.clone(),
                source,
            })?;
        let errors = ErrorLog::install(&device);
        Ok(Gpu {
            instance,
            adapter,
            device,
            queue,
            info,
            errors,
        })
    }

    /// Waits until the GPU has finished all submitted work. Errors: the device was lost or the
    /// wait failed, as [`GpuError::Wgpu`].
    pub fn wait_idle(&self) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| GpuError::Wgpu {
                what: "waiting for the GPU".into(),
                message: e.to_string(),
            })
    }

    /// Why the device was lost, if it was (see [`ErrorLog::lost`]). Polls the device first so that a
    /// pending loss is reported.
    pub fn lost(&self) -> Option<String> {
        let _ = self.device.poll(wgpu::PollType::Poll);
        self.errors.lost()
    }

    /// One line describing the adapter: `name (backend, driver)`.
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {} {})",
            self.info.name, self.info.backend, self.info.driver, self.info.driver_info
        )
    }

    /// Runs `f` inside error scopes for validation, out-of-memory and internal errors and returns
    /// the first error they caught (or an uncaptured one recorded meanwhile) as [`GpuError::Wgpu`]
    /// naming `what`. Errors of work recorded in `f` surface when that work is finished or submitted,
    /// so submit inside the scope. Scopes are per thread: call from the thread that records.
    pub fn scoped<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let value = f();
        let caught = [internal.pop(), memory.pop(), validation.pop()]
            .into_iter()
            .filter_map(pollster::block_on)
            .map(|e| e.to_string())
            .chain(self.errors.take())
            .collect::<Vec<_>>();
        if caught.is_empty() {
            Ok(value)
        } else {
            Err(GpuError::Wgpu {
                what: what.to_string(),
                message: caught.join("; "),
            })
        }
    }

    /// Errors that escaped every scope since the last call, as one [`GpuError::Wgpu`].
    pub fn take_uncaptured(&self, what: &str) -> Result<(), GpuError> {
        let v = self.errors.take();
        if v.is_empty() {
            Ok(())
        } else {
            Err(GpuError::Wgpu {
                what: what.to_string(),
                message: v.join("; "),
            })
        }
    }

    /// Checks that a 2D texture of `width x height` fits the device's limits.
    pub fn check_texture(&self, what: &str, width: u32, height: u32) -> Result<(), GpuError> {
        let limit = self.device.limits().max_texture_dimension_2d;
        let needed = width.max(height);
        if needed > limit || width == 0 || height == 0 {
            return Err(GpuError::Limit {
                what: format!("{what} ({width} x {height})"),
                needed: needed as u64,
                limit: limit as u64,
                adapter: self.info.name.clone(),
            });
        }
        Ok(())
    }

    /// Checks that a buffer of `size` bytes fits the device's limits.
    pub fn check_buffer(&self, what: &str, size: u64) -> Result<(), GpuError> {
        let limits = self.device.limits();
        let limit = limits
            .max_buffer_size
            .min(limits.max_storage_buffer_binding_size);
        if size > limit {
            return Err(GpuError::Limit {
                what: what.to_string(),
                needed: size,
                limit,
                adapter: self.info.name.clone(),
            });
        }
        Ok(())
    }
}

/// A window surface's configuration and what it allows (see [`surface_config`]).
pub struct SurfaceSetup {
    /// The configuration to apply.
    pub config: wgpu::SurfaceConfiguration,
    /// The sRGB format the window's texture is viewed in.
    pub view_format: wgpu::TextureFormat,
    /// Whether the window's texture can be copied from (8-bit RGBA/BGRA with `COPY_SRC` offered):
    /// screenshots read it directly.
    pub copy_src: bool,
}

/// The configuration of a window surface with capabilities `caps` and `size` (pixels, at least
/// 1 x 1 used): an sRGB format if offered (else the first), viewed as sRGB; copies allowed where
/// they can be read back; `present_mode`; the first offered alpha mode. `None` when the surface
/// offers no format. Shared by the preview window and the live loop's output windows.
pub fn surface_config(
    caps: &wgpu::SurfaceCapabilities,
    size: (u32, u32),
    present_mode: wgpu::PresentMode,
) -> Option<SurfaceSetup> {
    let format = caps
        .formats
        .iter()
        .copied()
        .find(|f| f.is_srgb())
        .or_else(|| caps.formats.first().copied())?;
    let view_format = format.add_srgb_suffix();
    let copy_src = caps.usages.contains(wgpu::TextureUsages::COPY_SRC)
        && matches!(
            view_format,
            wgpu::TextureFormat::Bgra8UnormSrgb | wgpu::TextureFormat::Rgba8UnormSrgb
        );
    let config = wgpu::SurfaceConfiguration {
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT
            | if copy_src {
                wgpu::TextureUsages::COPY_SRC
            } else {
                wgpu::TextureUsages::empty()
            },
        format,
        width: size.0.max(1),
        height: size.1.max(1),
        present_mode,
        desired_maximum_frame_latency: 2,
        color_space: wgpu::SurfaceColorSpace::Auto,
        alpha_mode: caps
            .alpha_modes
            .first()
            .copied()
            .unwrap_or(wgpu::CompositeAlphaMode::Auto),
        view_formats: if view_format != format {
            vec![view_format]
        } else {
            vec![]
        },
    };
    Some(SurfaceSetup {
        config,
        view_format,
        copy_src,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_adapter_error_says_how_to_get_one() {
        let msg = GpuError::NoAdapter(String::new()).to_string();
        assert!(
            msg.contains("apt-get install -y mesa-vulkan-drivers"),
            "{msg}"
        );
    }
}
