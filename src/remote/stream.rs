//! Frames for remote viewing: the camera view, the unwrapped wall and each output of a frame,
//! scaled to at most a width and encoded as baseline JPEG (`jpeg-encoder`) off the render thread.
//!
//! Over the frames WebSocket each image is one binary message: a 4-byte big-endian length `L`,
//! `L` bytes of UTF-8 JSON `{"view": "camera" | "wall" | "output:NAME", "frame": N, "width": W,
//! "height": H}`, then the JPEG file.

use std::sync::Arc;

use image::RgbaImage;

/// One encoded view of a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamFrame {
    /// `camera`, `wall` or `output:NAME`.
    pub view: String,
    /// The live loop's frame number.
    pub frame: u64,
    /// Size of the JPEG image in pixels.
    pub width: u32,
    /// Size of the JPEG image in pixels.
    pub height: u32,
    /// The JPEG file.
    pub jpeg: Vec<u8>,
    /// CPU time to convert, scale and encode it, milliseconds.
    pub encode_ms: f64,
}

impl StreamFrame {
    /// The WebSocket message: header length, JSON header, JPEG.
    pub fn message(&self) -> Vec<u8> {
        let header = serde_json::json!({
            "view": self.view, "frame": self.frame, "width": self.width, "height": self.height
        })
        .to_string();
        let mut out = Vec::with_capacity(4 + header.len() + self.jpeg.len());
        out.extend_from_slice(&(header.len() as u32).to_be_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&self.jpeg);
        out
    }
}

/// The size an image of `w x h` is sent at: at most `max_width` wide (0: no limit), aspect kept,
/// at least 1 x 1, and within JPEG's 65535 limit.
pub fn stream_size(w: u32, h: u32, max_width: u32) -> (u32, u32) {
    let limit = if max_width == 0 {
        65535
    } else {
        max_width.min(65535)
    };
    if w <= limit && h <= 65535 {
        return (w.max(1), h.max(1));
    }
    let s = (f64::from(limit) / f64::from(w.max(1))).min(65535.0 / f64::from(h.max(1)));
    (
        ((f64::from(w) * s).round() as u32).clamp(1, limit),
        ((f64::from(h) * s).round() as u32).clamp(1, 65535),
    )
}

/// Encodes `image` as a JPEG of quality `quality` (1..=100), scaled (area average) to
/// [`stream_size`]. Errors: the encoder's message.
pub fn encode(
    image: &RgbaImage,
    max_width: u32,
    quality: u8,
) -> Result<(u32, u32, Vec<u8>), String> {
    let (w, h) = stream_size(image.width(), image.height(), max_width);
    let scaled;
    let img = if (w, h) == image.dimensions() {
        image
    } else {
        scaled = image::imageops::thumbnail(image, w, h);
        &scaled
    };
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100))
        .encode(
            img.as_raw(),
            w as u16,
            h as u16,
            jpeg_encoder::ColorType::Rgba,
        )
        .map_err(|e| e.to_string())?;
    Ok((w, h, out))
}

/// A frame's images to encode: `(view, image)`.
pub struct Captured {
    /// The frame number.
    pub frame: u64,
    /// The views, read back.
    pub views: Vec<(String, crate::render::ReadImage)>,
}

/// Encodes captured frames on its own thread and hands each view to `publish`. The channel holds
/// one frame: a frame captured while the encoder is busy is dropped (the stream skips, the wall
/// never waits).
pub fn start_encoder(
    max_width: u32,
    quality: u8,
    publish: impl Fn(Arc<StreamFrame>) + Send + 'static,
) -> std::io::Result<std::sync::mpsc::SyncSender<Captured>> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Captured>(1);
    std::thread::Builder::new()
        .name("remote jpeg".into())
        .spawn(move || {
            while let Ok(c) = rx.recv() {
                for (view, img) in c.views {
                    let t = std::time::Instant::now();
                    match encode(&img.to_rgba8(), max_width, quality) {
                        Ok((width, height, jpeg)) => publish(Arc::new(StreamFrame {
                            view,
                            frame: c.frame,
                            width,
                            height,
                            jpeg,
                            encode_ms: t.elapsed().as_secs_f64() * 1000.0,
                        })),
                        Err(e) => log::warn!("frame {} {view}: JPEG not encoded: {e}", c.frame),
                    }
                }
            }
        })?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_keep_the_aspect() {
        assert_eq!(stream_size(1920, 1080, 640), (640, 360));
        assert_eq!(stream_size(320, 200, 640), (320, 200));
        assert_eq!(stream_size(320, 200, 0), (320, 200));
        assert_eq!(stream_size(100_000, 10, 0), (65535, 7));
    }

    #[test]
    fn a_jpeg_decodes_close_to_its_image() {
        // Smooth gradients: baseline JPEG at quality 90 keeps them within a few code values.
        let img = RgbaImage::from_fn(64, 48, |x, y| {
            image::Rgba([(x * 4) as u8, (y * 5) as u8, 128, 255])
        });
        let (w, h, jpeg) = encode(&img, 0, 90).unwrap();
        assert_eq!((w, h), (64, 48));
        let back = image::load_from_memory(&jpeg).unwrap().to_rgba8();
        let worst = img
            .pixels()
            .zip(back.pixels())
            .flat_map(|(a, b)| (0..3).map(move |c| (i32::from(a[c]) - i32::from(b[c])).abs()))
            .max()
            .unwrap();
        assert!(worst <= 8, "worst {worst}");
        let f = StreamFrame {
            view: "camera".into(),
            frame: 7,
            width: w,
            height: h,
            jpeg: jpeg.clone(),
            encode_ms: 0.0,
        };
        let m = f.message();
        let n = u32::from_be_bytes([m[0], m[1], m[2], m[3]]) as usize;
        let header: serde_json::Value = serde_json::from_slice(&m[4..4 + n]).unwrap();
        assert_eq!(header["frame"], 7);
        assert_eq!(&m[4 + n..], &jpeg[..]);
    }

    /// Encode cost at 1920 x 1080 (timing, not a check: `cargo test --lib encode_cost -- --ignored
    /// --nocapture`; figures in BENCHMARKS.md). A picture like a render: smooth gradients, a grid
    /// of hard edges and fine noise.
    #[test]
    #[ignore]
    fn encode_cost_at_1080p() {
        let img = RgbaImage::from_fn(1920, 1080, |x, y| {
            let grid = x % 120 < 3 || y % 120 < 3;
            let n = ((x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 13) as u8 & 15;
            if grid {
                image::Rgba([240, 240, 240, 255])
            } else {
                image::Rgba([(x / 8) as u8 + n, (y / 5) as u8 + n, 96 + n, 255])
            }
        });
        for (width, q) in [(0, 85), (960, 85), (0, 70)] {
            let t = std::time::Instant::now();
            let mut bytes = 0;
            let runs = 10;
            for _ in 0..runs {
                bytes = encode(&img, width, q).unwrap().2.len();
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
            println!(
                "1920x1080 -> width {width} (0: full), quality {q}: {ms:.2} ms, {bytes} bytes"
            );
        }
    }
}
