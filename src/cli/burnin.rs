//! `parallax burn-in DIR...`: reads the frame-number burn-ins (`run --burn-in`) of the frames
//! written by `run --sink files` into each DIR (one per node, say) and reports every output whose
//! code is not its frame folder's number (a held or stale picture, a seam between nodes), every
//! output without a readable code, and the frames some folders lack (ticks a node skipped). The
//! folder's `frame.json` names the frame its pictures are of: with it, a held frame (the node
//! repeated its last good pictures, and says so) is told from a stale picture (the node meant to
//! show this frame and did not). Exit status 1 when anything is reported, so a script or CI can
//! use it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use parallax::cluster::burnin;
use parallax::render::ReadImage;

#[derive(clap::Args)]
pub struct Args {
    /// Folders written by `parallax run --sink files --burn-in` (their `frame-NNNNNN/` folders
    /// hold the outputs as PNG or EXR), e.g. one per render node.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
}

/// What one output image of one frame folder says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// The folder given (as typed).
    pub dir: String,
    /// The frame folder's number.
    pub frame: u64,
    /// The image file's name.
    pub file: String,
    /// The code read, or why none was.
    pub code: Result<u64, String>,
    /// The frame the folder's `frame.json` says the pictures are of (`frame`; a held frame's
    /// names the last good frame); `None` without a readable one.
    pub pictures: Option<u64>,
}

/// The `frame` field of `folder/frame.json`, if it is there and readable.
fn pictures_of(folder: &Path) -> Option<u64> {
    let bytes = std::fs::read(folder.join("frame.json")).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()?
        .get("frame")?
        .as_u64()
}

/// The frame folders under `dir`, by number (`frame-NNNNNN`). Errors: `dir` unreadable.
fn frame_folders(dir: &Path) -> anyhow::Result<BTreeMap<u64, PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot be read ({e})", dir.display()))?;
    Ok(entries
        .filter_map(|e| {
            let e = e.ok()?;
            let n = e
                .file_name()
                .to_str()?
                .strip_prefix("frame-")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect())
}

/// The code of the image at `path` (decoded to 8-bit RGBA: the cells are black or white).
fn code_of(path: &Path) -> Result<u64, String> {
    let img = image::open(path).map_err(|e| format!("not readable ({e})"))?;
    let rgba = img.to_rgba8();
    let image = ReadImage {
        width: rgba.width(),
        height: rgba.height(),
        format: wgpu::TextureFormat::Rgba8Unorm,
        bytes: rgba.into_raw(),
    };
    burnin::read(&image).ok_or_else(|| "too small for a code".to_string())
}

/// The report's lines for `reads` over `dirs` (as given): each image whose code differs from
/// its frame or cannot be read, then the frames missing from some folder (listed as ranges).
/// Empty: every image of every frame carries its frame's number, in every folder.
pub fn problems(dirs: &[String], reads: &[Read]) -> Vec<String> {
    let mut lines = Vec::new();
    let code = |n: u64| n % (1 << burnin::BITS);
    for r in reads {
        let at = format!("{}/frame-{:06}/{}", r.dir, r.frame, r.file);
        match (&r.code, r.pictures) {
            (Ok(c), p) if *c == code(r.frame) && p.is_none_or(|p| p == r.frame) => {}
            (Ok(c), Some(p)) if *c == code(p) && p != r.frame => lines.push(format!(
                "frame {}: {at} shows frame {p}: held (the frame failed; its frame.json is frame {p}'s)",
                r.frame
            )),
            (Ok(c), Some(p)) if *c == code(r.frame) => lines.push(format!(
                "frame {}: {at} shows frame {c}, but its frame.json is frame {p}'s",
                r.frame
            )),
            (Ok(c), Some(p)) if p == r.frame => lines.push(format!(
                "frame {}: {at} shows frame {c}: a stale picture (its frame.json is this frame's)",
                r.frame
            )),
            (Ok(c), _) => lines.push(format!(
                "frame {}: {at} shows frame {c} (a held or stale picture)",
                r.frame
            )),
            (Err(why), _) => lines.push(format!("frame {}: {at}: no code: {why}", r.frame)),
        }
    }
    let all: BTreeSet<u64> = reads.iter().map(|r| r.frame).collect();
    for dir in dirs {
        let have: BTreeSet<u64> = reads
            .iter()
            .filter(|r| &r.dir == dir)
            .map(|r| r.frame)
            .collect();
        let missing: Vec<u64> = all.difference(&have).copied().collect();
        if !missing.is_empty() {
            lines.push(format!(
                "{dir}: {} of the {} frames missing ({}): ticks that node skipped, or it was not running",
                missing.len(),
                all.len(),
                ranges(&missing)
            ));
        }
    }
    lines
}

/// `[1, 2, 3, 7, 9, 10]` as `1..3, 7, 9..10`.
fn ranges(v: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            v[i].to_string()
        } else {
            format!("{}..{}", v[i], v[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut reads = Vec::new();
    let dirs: Vec<String> = args.dirs.iter().map(|d| d.display().to_string()).collect();
    for (dir, name) in args.dirs.iter().zip(&dirs) {
        let folders = frame_folders(dir)?;
        if folders.is_empty() {
            anyhow::bail!(
                "{name}: no frame-NNNNNN folders (written by parallax run --sink files --out {name})"
            );
        }
        for (frame, folder) in folders {
            let pictures = pictures_of(&folder);
            let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
                .map_err(|e| anyhow::anyhow!("{}: cannot be read ({e})", folder.display()))?
                .filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| {
                        x.eq_ignore_ascii_case("png") || x.eq_ignore_ascii_case("exr")
                    })
                })
                .collect();
            files.sort();
            for path in files {
                let file = path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                reads.push(Read {
                    dir: name.clone(),
                    frame,
                    file,
                    code: code_of(&path),
                    pictures,
                });
            }
        }
    }
    let frames: BTreeSet<u64> = reads.iter().map(|r| r.frame).collect();
    println!(
        "burn-in: {} images of {} frames in {} folder(s)",
        reads.len(),
        frames.len(),
        dirs.len()
    );
    let problems = problems(&dirs, &reads);
    if problems.is_empty() {
        println!("every image carries its frame's number, and every folder has every frame");
        return Ok(());
    }
    for p in &problems {
        println!("  {p}");
    }
    anyhow::bail!("{} problem(s) in the burn-ins (above)", problems.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(dir: &str, frame: u64, code: Result<u64, String>) -> Read {
        Read {
            dir: dir.into(),
            frame,
            file: "o.png".into(),
            code,
            pictures: None,
        }
    }

    #[test]
    fn held_pictures_missing_codes_and_missing_frames_are_reported() {
        let dirs = ["a".to_string(), "b".to_string()];
        let mut reads = Vec::new();
        for f in 0..10 {
            reads.push(read("a", f, Ok(f)));
            if ![3, 4, 5, 8].contains(&f) {
                reads.push(read("b", f, Ok(if f == 6 { 2 } else { f })));
            }
        }
        reads.push(read("a", 10, Err("too small for a code".into())));
        assert_eq!(
            problems(&dirs, &reads),
            [
                "frame 6: b/frame-000006/o.png shows frame 2 (a held or stale picture)",
                "frame 10: a/frame-000010/o.png: no code: too small for a code",
                "b: 5 of the 11 frames missing (3..5, 8, 10): ticks that node skipped, or it was not running",
            ]
        );
        // The code is the frame number modulo 2^24.
        let wrapped = [read("a", (1 << 24) + 5, Ok(5))];
        assert!(problems(&dirs[..1], &wrapped).is_empty());
    }

    /// With the folders' frame.json, a held frame (frame.json and picture both of the last good
    /// frame) is told from a stale picture (frame.json of this frame, picture of another) and
    /// from a frame.json that does not match its picture.
    #[test]
    fn frame_json_tells_held_frames_from_stale_pictures() {
        let dirs = ["a".to_string()];
        let with = |frame: u64, code: u64, pictures: u64| Read {
            pictures: Some(pictures),
            ..read("a", frame, Ok(code))
        };
        let reads = [
            with(1, 1, 1),
            with(2, 1, 1),
            with(3, 1, 3),
            with(4, 4, 3),
            with(5, 2, 1),
            with((1 << 24) + 6, 6, (1 << 24) + 6),
        ];
        assert_eq!(
            problems(&dirs, &reads),
            [
                "frame 2: a/frame-000002/o.png shows frame 1: held (the frame failed; its frame.json is frame 1's)",
                "frame 3: a/frame-000003/o.png shows frame 1: a stale picture (its frame.json is this frame's)",
                "frame 4: a/frame-000004/o.png shows frame 4, but its frame.json is frame 3's",
                "frame 5: a/frame-000005/o.png shows frame 2 (a held or stale picture)",
            ]
        );
    }
}
