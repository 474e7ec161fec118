//! Reading rendered textures back to the CPU, with the 256-byte row alignment wgpu requires.

use crate::gpu::Gpu;

/// Why a readback failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadbackError {
    /// The texture's format cannot be read back by this module.
    #[error("cannot read back a texture of format {0:?}")]
    Format(wgpu::TextureFormat),
    /// Mapping the staging buffer failed.
    #[error("cannot map the readback buffer: {0}")]
    Map(String),
}

/// A texture's pixels on the CPU (rows tightly packed).
#[derive(Clone, Debug, PartialEq)]
pub struct ReadImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The texture's format: Rgba8Unorm(Srgb), Rgba16Float or Rgba32Float.
    pub format: wgpu::TextureFormat,
    /// Tightly packed rows.
    pub bytes: Vec<u8>,
}

/// sRGB transfer function (linear -> encoded), both 0..1.
pub fn linear_to_srgb(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    if x <= 0.0031308 {
        x * 12.92
    } else {
        1.055 * x.powf(1.0 / 2.4) - 0.055
    }
}

/// Inverse sRGB transfer function (encoded -> linear), both 0..1.
pub fn srgb_to_linear(x: f32) -> f32 {
    if x <= 0.04045 {
        x / 12.92
    } else {
        ((x + 0.055) / 1.055).powf(2.4)
    }
}

impl ReadImage {
    /// Linear RGBA values of pixel `(x, y)` (sRGB textures are decoded).
    pub fn linear(&self, x: u32, y: u32) -> [f32; 4] {
        let i = (y as usize * self.width as usize + x as usize) * 4;
        match self.format {
            wgpu::TextureFormat::Rgba32Float => {
                let f: &[f32] = bytemuck::cast_slice(&self.bytes[i * 4..i * 4 + 16]);
                [f[0], f[1], f[2], f[3]]
            }
            wgpu::TextureFormat::Rgba16Float => {
                let h = &self.bytes[i * 2..i * 2 + 8];
                let v = |k: usize| half::f16::from_le_bytes([h[2 * k], h[2 * k + 1]]).to_f32();
                [v(0), v(1), v(2), v(3)]
            }
            wgpu::TextureFormat::Rgba8UnormSrgb => {
                let b = &self.bytes[i..i + 4];
                let d = |v: u8| srgb_to_linear(v as f32 / 255.0);
                [d(b[0]), d(b[1]), d(b[2]), b[3] as f32 / 255.0]
            }
            _ => {
                let b = &self.bytes[i..i + 4];
                [b[0], b[1], b[2], b[3]].map(|v| v as f32 / 255.0)
            }
        }
    }

    /// The image as 8-bit sRGB-encoded RGBA (float textures are encoded from linear).
    pub fn to_rgba8(&self) -> image::RgbaImage {
        match self.format {
            wgpu::TextureFormat::Rgba8UnormSrgb | wgpu::TextureFormat::Rgba8Unorm => {
                image::RgbaImage::from_raw(self.width, self.height, self.bytes.clone())
                    .unwrap_or_else(|| image::RgbaImage::new(self.width, self.height))
            }
            _ => image::RgbaImage::from_fn(self.width, self.height, |x, y| {
                let c = self.linear(x, y);
                let e = |v: f32| (linear_to_srgb(v) * 255.0 + 0.5) as u8;
                image::Rgba([
                    e(c[0]),
                    e(c[1]),
                    e(c[2]),
                    (c[3].clamp(0.0, 1.0) * 255.0 + 0.5) as u8,
                ])
            }),
        }
    }
}

/// Copies a 2D texture (one layer) to the CPU and waits for it. A BGRA texture (a window's) is
/// returned as RGBA with the same code values.
pub fn read_texture(gpu: &Gpu, texture: &wgpu::Texture) -> Result<ReadImage, ReadbackError> {
    let mut format = texture.format();
    let bgra = matches!(
        format,
        wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
    );
    let bpp: u32 = match format {
        wgpu::TextureFormat::Rgba8Unorm
        | wgpu::TextureFormat::Rgba8UnormSrgb
        | wgpu::TextureFormat::Bgra8Unorm
        | wgpu::TextureFormat::Bgra8UnormSrgb => 4,
        wgpu::TextureFormat::Rgba16Float => 8,
        wgpu::TextureFormat::Rgba32Float => 16,
        f => return Err(ReadbackError::Format(f)),
    };
    let (width, height) = (texture.width(), texture.height());
    let row = width * bpp;
    let padded =
        row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback buffer"),
        size: padded as u64 * height as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("readback encoder"),
        });
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(height),
            },
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    gpu.queue.submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    buffer.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    gpu.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| ReadbackError::Map(e.to_string()))?;
    match rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(ReadbackError::Map(e.to_string())),
        Err(e) => return Err(ReadbackError::Map(e.to_string())),
    }
    let mut bytes = Vec::with_capacity((row * height) as usize);
    {
        let data = buffer
            .get_mapped_range(..)
            .map_err(|e| ReadbackError::Map(e.to_string()))?;
        for y in 0..height as usize {
            let start = y * padded as usize;
            bytes.extend_from_slice(&data[start..start + row as usize]);
        }
    }
    buffer.unmap();
    if bgra {
        for px in bytes.chunks_exact_mut(4) {
            px.swap(0, 2);
        }
        format = match format {
            wgpu::TextureFormat::Bgra8Unorm => wgpu::TextureFormat::Rgba8Unorm,
            _ => wgpu::TextureFormat::Rgba8UnormSrgb,
        };
    }
    Ok(ReadImage {
        width,
        height,
        format,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srgb_round_trips_every_code_value() {
        for v in 0..=255u8 {
            let l = srgb_to_linear(v as f32 / 255.0);
            assert_eq!((linear_to_srgb(l) * 255.0 + 0.5) as u8, v);
        }
    }
}
