//! Where a live frame's outputs go: a null sink (tests and benchmarks: the frame is rendered and
//! finished on the GPU, nothing is read back) or files every Nth frame (a PNG or EXR per output and
//! the pictures' `frame.json`, written atomically). Output windows are driven by the window loop,
//! not by a sink.

use std::path::PathBuf;

use crate::colour::output::Encoding;
use crate::colour::primaries::WorkingSpace;
use crate::frame::FrameInfo;
use crate::io::WriteError;
use crate::render::ReadImage;

/// One frame handed to the sinks: the pictures of slot `frame`, and what they are.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    /// The frame number of the slot delivered.
    pub frame: u64,
    /// Each output's name and image, in stage order.
    pub outputs: &'a [(String, ReadImage)],
    /// Each output's colour encoding, in the same order: the one the images were rendered in.
    pub encodings: &'a [Encoding],
    /// The working space the images were rendered in (the primaries of linear EXR outputs).
    pub working_space: WorkingSpace,
    /// The pictures' `frame.json`: this frame's, or for a held frame the last good frame's (its
    /// `frame` field then names the frame the pictures come from).
    pub info: &'a FrameInfo,
    /// The frame failed: these are the last good frame's pictures, repeated.
    pub held: bool,
}

/// A headless destination for the outputs of each frame.
pub trait Sink {
    /// Whether frame `frame`'s images must be read back for this sink.
    fn wants(&self, frame: u64) -> bool;

    /// Delivers one frame's pictures. Errors: the sink's writes.
    fn deliver(&mut self, delivery: &Delivery) -> Result<(), WriteError>;
}

/// Discards every frame (nothing is read back).
#[derive(Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn wants(&self, _frame: u64) -> bool {
        false
    }

    fn deliver(&mut self, _: &Delivery) -> Result<(), WriteError> {
        Ok(())
    }
}

/// Writes every `every`th frame's outputs (all of them, or only those named in `outputs`) as
/// `DIR/frame-NNNNNN/OUTPUT.EXT` in each output's encoding (8-bit sRGB PNG, 16-bit PQ PNG or
/// half-float EXR, as `parallax render` writes them) and the pictures' `frame.json` beside them,
/// each file written atomically, `frame.json` last (a folder with it is complete). A held frame
/// (the frame failed) is written as the last good frame's images and `frame.json`, never as what
/// the failed frame left behind.
#[derive(Debug)]
pub struct FileSink {
    /// The folder frames are written into.
    pub dir: PathBuf,
    /// Write frames whose number is a multiple of this (at least 1).
    pub every: u64,
    /// Only these outputs (by name); `None`: every output.
    pub outputs: Option<Vec<String>>,
    /// Frames written so far (held ones included).
    pub written: u64,
    /// Of those, frames written as the last good frame because the frame failed.
    pub held: u64,
}

impl FileSink {
    /// A sink writing every `every`th frame into `dir`.
    pub fn new(dir: PathBuf, every: u64) -> FileSink {
        FileSink {
            dir,
            every: every.max(1),
            outputs: None,
            written: 0,
            held: 0,
        }
    }

    /// A sink writing every `every`th frame of the outputs named `outputs` into `dir`.
    pub fn for_outputs(dir: PathBuf, every: u64, outputs: Vec<String>) -> FileSink {
        FileSink {
            outputs: Some(outputs),
            ..FileSink::new(dir, every)
        }
    }
}

impl Sink for FileSink {
    fn wants(&self, frame: u64) -> bool {
        frame.is_multiple_of(self.every)
    }

    fn deliver(&mut self, d: &Delivery) -> Result<(), WriteError> {
        if !self.wants(d.frame) {
            return Ok(());
        }
        let dir = self.dir.join(format!("frame-{:06}", d.frame));
        for (k, (name, img)) in d.outputs.iter().enumerate() {
            if self
                .outputs
                .as_ref()
                .is_some_and(|only| !only.contains(name))
            {
                continue;
            }
            let encoding = d.encodings.get(k).copied().unwrap_or_default();
            crate::render::encode::write_output(&dir.join(name), img, &encoding, d.working_space)?;
        }
        crate::io::write_json(&dir.join("frame.json"), d.info)?;
        self.written += 1;
        self.held += u64::from(d.held);
        Ok(())
    }
}
