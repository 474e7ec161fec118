//! Edits while live: the stage file and the files it names (environment image, glTF files, the
//! colour section's `.cube` LUTs; lens tables are part of the stage file) are watched (`notify`);
//! after a change
//! (debounced, so an editor's several writes count once), the stage is parsed and validated on the
//! watcher's thread, never on the render thread, and handed to the loop, which swaps it in between
//! two frames. A stage that does not load is reported with its located error and the running stage
//! keeps going; a partial write that fails to parse is simply followed by the next event.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::{RunError, Source, renderer_for};
use crate::scene::SceneSpec;
use crate::stage::Stage;

/// Quiet time after the last change before the stage is reloaded.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// What a reload produced.
#[derive(Debug)]
pub enum Reload {
    /// The edited stage loaded and validated: swap it in.
    Loaded {
        /// The stage.
        stage: Box<Stage>,
        /// The files whose change triggered the reload (absolute, sorted).
        files: Vec<PathBuf>,
    },
    /// The edit does not load: the message (file:line:column and field, as `parallax validate`
    /// prints it). The running stage is kept.
    Refused(String),
}

/// Texts this process itself wrote to the stage file (the remote server's save): the change
/// events of such a write are not reloads. Otherwise the watcher would reload the saved text and
/// replace edits made after the save (the live stage is ahead of the file it saved). The notes
/// hold until a change the process did not write is reloaded.
#[derive(Clone, Debug, Default)]
pub struct OwnWrites(Arc<Mutex<Vec<String>>>);

impl OwnWrites {
    /// Notes `text` as about to be written to the stage file (the last 8 kept).
    pub fn note(&self, text: &str) {
        if let Ok(mut v) = self.0.lock() {
            if v.len() >= 8 {
                v.remove(0);
            }
            v.push(text.to_string());
        }
    }

    fn noted(&self, text: &str) -> bool {
        self.0.lock().is_ok_and(|v| v.iter().any(|t| t == text))
    }

    fn clear(&self) {
        if let Ok(mut v) = self.0.lock() {
            v.clear();
        }
    }
}

/// Watches a stage file (and the other files it names) and reloads it on a change.
pub struct Reloader {
    rx: Receiver<Reload>,
    own: OwnWrites,
    // Dropping the watcher stops the events; the thread then ends.
    watcher: notify::RecommendedWatcher,
    /// The files watched (absolute), shared with the watcher's callback.
    files: Arc<Mutex<Vec<PathBuf>>>,
    /// The folders watched.
    dirs: Vec<PathBuf>,
}

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path}: {source}")]
pub struct WatchError {
    /// The folder that could not be watched.
    pub path: PathBuf,
    /// The watcher's error.
    #[source]
    pub source: notify::Error,
}

/// The files a stage depends on besides itself: what its scene reads (the environment image and
/// the glTF files; not yet the buffers and images a `.gltf` names) and the sections' and outputs'
/// `.cube` LUTs,
/// resolved against the stage file's folder. (Lens tables are written in the stage file.)
pub fn dependencies(stage: &Stage) -> Vec<PathBuf> {
    dependencies_with(stage, None)
}

/// [`dependencies`] with the environment image `environment` read instead of the stage's (a
/// run's `--environment` override), if given.
pub fn dependencies_with(stage: &Stage, environment: Option<&Path>) -> Vec<PathBuf> {
    let spec = crate::scene::SceneSpec::for_stage(stage, environment);
    spec.environment
        .into_iter()
        .chain(spec.gltf.into_iter().map(|g| g.path))
        .chain(lut_files(stage))
        .collect()
}

/// The LUTs a stage read, each with its file (absolute).
fn loaded_luts(stage: &Stage) -> Vec<(PathBuf, Arc<crate::colour::cube::CubeLut>)> {
    let c = &stage.colour;
    let sections = c.sections.iter().map(|s| (&s.lut_path, &s.lut));
    let outputs = c.outputs.iter().map(|o| (&o.lut_path, &o.lut));
    sections
        .chain(outputs)
        .filter_map(|(p, l)| Some((absolute(&stage.resolve_path(p.as_deref()?)), l.clone()?)))
        .collect()
}

/// The `.cube` files the sections' and outputs' colour settings name, resolved against the stage
/// file's folder.
fn lut_files(stage: &Stage) -> Vec<PathBuf> {
    let c = &stage.colour;
    c.sections
        .iter()
        .filter_map(|s| s.lut_path.as_deref())
        .chain(c.outputs.iter().filter_map(|o| o.lut_path.as_deref()))
        .map(|p| stage.resolve_path(p))
        .collect()
}

impl Reloader {
    /// Starts watching `stage_path` and `also` (files the stage names, [`dependencies`]).
    pub fn start(stage_path: &Path, also: &[PathBuf]) -> Result<Reloader, WatchError> {
        // The text the running stage was loaded from, read before watching starts (an edit after
        // this read has its own change event).
        let loaded = std::fs::read_to_string(stage_path).ok();
        let (event_tx, event_rx) = channel::<Vec<PathBuf>>();
        let files = Arc::new(Mutex::new(vec![absolute(stage_path)]));
        let watched = files.clone();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // Changes only: reading the files (our own reload does) is an access event.
            let Ok(ev) = res else { return };
            if matches!(ev.kind, notify::EventKind::Access(_)) {
                return;
            }
            let Ok(watched) = watched.lock() else { return };
            let hit: Vec<PathBuf> = ev
                .paths
                .into_iter()
                .filter(|p| watched.contains(p))
                .collect();
            if !hit.is_empty() {
                let _ = event_tx.send(hit);
            }
        })
        .map_err(|source| WatchError {
            path: stage_path.to_path_buf(),
            source,
        })?;
        let (tx, rx) = channel();
        let own = OwnWrites::default();
        let mut reloader = Reloader {
            rx,
            own: own.clone(),
            watcher,
            files,
            dirs: Vec::new(),
        };
        reloader.watch(&[stage_path.to_path_buf()])?;
        reloader.watch(also)?;
        let path = stage_path.to_path_buf();
        std::thread::Builder::new()
            .name("stage reload".into())
            .spawn(move || reload_thread(&path, &event_rx, &tx, &own, loaded))
            .map_err(|e| WatchError {
                path: stage_path.to_path_buf(),
                source: notify::Error::io(e),
            })?;
        Ok(reloader)
    }

    /// Watches `files` too (a reloaded stage may name new ones). Their folders are watched (editors
    /// often replace a file by renaming a new one over it); events are filtered by file name.
    pub fn watch(&mut self, files: &[PathBuf]) -> Result<(), WatchError> {
        for f in files.iter().map(|f| absolute(f)) {
            if let Some(d) = f.parent()
                && !self.dirs.iter().any(|x| x == d)
            {
                self.watcher
                    .watch(d, RecursiveMode::NonRecursive)
                    .map_err(|source| WatchError {
                        path: d.to_path_buf(),
                        source,
                    })?;
                self.dirs.push(d.to_path_buf());
            }
            if let Ok(mut list) = self.files.lock()
                && !list.contains(&f)
            {
                list.push(f);
            }
        }
        Ok(())
    }

    /// The notes of the stage file's own writes ([`OwnWrites`]), shared with the reload thread.
    pub fn own_writes(&self) -> OwnWrites {
        self.own.clone()
    }

    /// The newest reload result since the last call, without waiting (older ones are superseded:
    /// only the last edit matters, but every refused one is returned so it can be reported).
    pub fn poll(&self) -> Vec<Reload> {
        self.rx.try_iter().collect()
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Reloads `path` on each (debounced) batch of change events. `loaded`: the text the running
/// stage came from; a batch that only touched the stage file and leaves it holding that text (an
/// editor's save without changes, a `touch`) is not a reload.
fn reload_thread(
    path: &Path,
    events: &Receiver<Vec<PathBuf>>,
    out: &Sender<Reload>,
    own: &OwnWrites,
    mut loaded: Option<String>,
) {
    let stage_file = absolute(path);
    while let Ok(mut files) = events.recv() {
        // Debounce: wait until the files have been quiet for DEBOUNCE.
        loop {
            match events.recv_timeout(DEBOUNCE) {
                Ok(more) => files.extend(more),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        files.sort();
        files.dedup();
        // The file is read once: to recognise the process's own save, and to load.
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(source) => {
                let e = crate::stage::StageError::Io {
                    path: path.to_path_buf(),
                    source,
                };
                if out.send(Reload::Refused(e.to_string())).is_err() {
                    return;
                }
                continue;
            }
        };
        if files.iter().all(|f| *f == stage_file) {
            if own.noted(&text) {
                log::info!("{}: saved by this process, not reloaded", path.display());
                loaded = Some(text);
                continue;
            }
            if loaded.as_deref() == Some(text.as_str()) {
                log::info!("{}: unchanged, not reloaded", path.display());
                continue;
            }
            own.clear();
        }
        let result = match crate::stage::load_text(&text, path) {
            Ok(stage) => {
                loaded = Some(text);
                Reload::Loaded {
                    stage: Box::new(stage),
                    files,
                }
            }
            Err(e) => {
                // Putting the running stage's text back is then a reload (it clears the error).
                loaded = None;
                Reload::Refused(e.to_string())
            }
        };
        if out.send(result).is_err() {
            return;
        }
    }
}

impl super::LiveLoop {
    /// Applies pending stage reloads (between two frames). A stage that cannot be rendered
    /// (renderer or scene) is refused like one that does not parse.
    pub(super) fn apply_reloads(&mut self) {
        let Some(r) = &self.reloader else { return };
        for reload in r.poll() {
            match reload {
                Reload::Loaded { stage, files } => match self.prepare(*stage, &files) {
                    // On render nodes the cluster says when the stage is switched to
                    // ([`crate::cluster::FrameSync::loaded`]); alone, it is switched to now.
                    Ok(p) => match &mut self.sync {
                        Some(sync) => {
                            sync.loaded(&p.stage);
                            self.held = Some((p, files));
                        }
                        None => self.commit_reload(p, files),
                    },
                    Err(e) => self.refuse(e.to_string()),
                },
                Reload::Refused(message) => self.refuse(message),
            }
        }
    }

    /// Switches to a loaded stage and reports it; `files`: what changed.
    pub(super) fn commit_reload(&mut self, p: Prepared, files: Vec<PathBuf>) {
        let in_place = self.commit(p);
        self.stats.reloads += 1;
        let files = if files.is_empty() {
            vec![self.stage_path.clone()]
        } else {
            files
        };
        let luts = loaded_luts(&self.stage);
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                let name = f.file_name().map_or_else(
                    || f.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                // A LUT file: which table was read (its TITLE and the start of its SHA-256).
                match luts.iter().find(|(p, _)| p == f) {
                    Some((_, lut)) => {
                        let about: Vec<String> = lut
                            .title
                            .iter()
                            .map(|t| format!("\"{t}\""))
                            .chain(lut.sha256.iter().map(|h| format!("sha256 {h}")))
                            .collect();
                        if about.is_empty() {
                            name
                        } else {
                            format!("{name} ({})", about.join(", "))
                        }
                    }
                    None => name,
                }
            })
            .collect();
        self.notice(format!(
            "reloaded {}{} from frame {}",
            names.join(", "),
            if in_place {
                " in place (colour only)"
            } else {
                ""
            },
            self.frame
        ));
        for w in &self.stage.warnings {
            log::warn!("{w}");
        }
        let deps = dependencies(&self.stage);
        if let Some(r) = &mut self.reloader
            && let Err(e) = r.watch(&deps)
        {
            log::warn!("{e}");
        }
    }

    /// Switches to the held reload (render nodes, at the frame the cluster says).
    pub(super) fn switch_held(&mut self) {
        if let Some((p, files)) = self.held.take() {
            self.commit_reload(p, files);
        }
    }

    fn refuse(&mut self, message: String) {
        self.stats.reload_errors += 1;
        log::error!(
            "edit refused at frame {}, the running stage is kept: {message}",
            self.frame
        );
        self.refused = Some(message);
    }

    /// Why the last refused edit was refused (its located error), if one was.
    pub fn last_refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// Swaps in an edited stage between two frames, as a reload does (a new renderer and scene;
    /// tracking restarts only when its settings changed). Errors: the stage cannot be rendered;
    /// the running stage is kept.
    pub fn apply_stage(&mut self, stage: Stage) -> Result<(), RunError> {
        self.swap(stage)
    }

    fn swap(&mut self, stage: Stage) -> Result<(), RunError> {
        let p = self.prepare(stage, &[])?;
        self.commit(p);
        Ok(())
    }

    /// Loads an edited stage's renderer, scene and (when its settings changed) tracking, without
    /// switching to it; `files`: the files whose change made the edit (none for an edit made in
    /// the process). An edit of the colour settings alone (the stage file's `colour:` or the LUT
    /// files it names) that the running renderer can take in place is prepared as such
    /// ([`crate::render::Renderer::recolour_plan`]): nothing is built. Errors: the stage cannot
    /// be rendered.
    fn prepare(&self, stage: Stage, files: &[PathBuf]) -> Result<Prepared, RunError> {
        let stage_file = absolute(&self.stage_path);
        let luts: Vec<PathBuf> = lut_files(&stage).iter().map(|p| absolute(p)).collect();
        let colour_files_only = files.iter().all(|f| *f == stage_file || luts.contains(f));
        if colour_files_only
            && self.stage.same_but_colour(&stage)
            && let Some(r) = self.renderer.recolour_plan(&stage)
        {
            return Ok(Prepared {
                stage,
                build: Build::Recolour(r),
            });
        }
        let camera = stage
            .camera_or_first(Some(&self.camera))
            .or_else(|_| stage.camera_or_first(None))?
            .name
            .clone();
        let renderer = renderer_for(&self.gpu, &stage, self.options.views, self.keep.as_deref())?;
        let spec = SceneSpec::for_stage(&stage, self.options.environment.as_deref());
        let scene = crate::scene::build(&renderer.scene_context(&self.gpu), &spec)?;
        // Tracking restarts only when its settings changed (live sockets stay bound otherwise).
        let tracking_changed = stage.cameras.iter().map(|c| &c.tracking).ne(self
            .stage
            .cameras
            .iter()
            .map(|c| &c.tracking));
        let source = if tracking_changed || matches!(self.source, Source::Take(_)) {
            Some(Self::source(&stage, &self.options)?)
        } else {
            None
        };
        Ok(Prepared {
            stage,
            build: Build::New {
                renderer: Box::new(renderer),
                scene,
                source,
                camera,
            },
        })
    }

    /// Switches to a prepared stage between two frames; whether it was applied in place (a
    /// colour edit).
    fn commit(&mut self, p: Prepared) -> bool {
        let Prepared { stage, build } = p;
        let (renderer, scene, source, camera) = match build {
            Build::Recolour(r) => {
                // The same renderer: its outputs still hold the last frame (not fresh).
                self.renderer.recolour(&self.gpu, r);
                self.stats.recolours += 1;
                self.stage = stage;
                return true;
            }
            Build::New {
                renderer,
                scene,
                source,
                camera,
            } => (renderer, scene, source, camera),
        };
        if let Some(source) = source {
            self.source = source;
        }
        if !super::targets::same_targets(&self.stage, &stage) {
            // Windows and sinks were opened for the old targets: keep them (never dark).
            self.targets_changed = true;
            log::warn!(
                "the edit changes the outputs' targets: they apply when `parallax run` is restarted; the running targets are kept"
            );
        }
        if stage.frame_rate != self.stage.frame_rate {
            // New slots: the clock restarts at the next delivered frame (frame numbers go on).
            self.clock = super::Pacer::new(stage.frame_rate);
            self.stats.frame_rate = stage.frame_rate;
        }
        self.scene = scene;
        self.renderer = *renderer;
        self.fresh = true;
        self.camera = camera;
        self.stage = stage;
        false
    }
}

/// An edited stage loaded (renderer, scene, tracking) and not yet switched to.
pub(super) struct Prepared {
    stage: Stage,
    build: Build,
}

/// What switching to an edited stage takes.
enum Build {
    /// A colour edit the running renderer takes in place.
    Recolour(crate::render::Recolour),
    /// A new renderer and scene, and a new tracking source when its settings changed.
    New {
        renderer: Box<super::Renderer>,
        scene: crate::scene::SceneList,
        source: Option<Source>,
        camera: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nothing within 10 debounce periods (`want` 0), or the first result within 5 s.
    fn wait(r: &Reloader, want: usize) -> Vec<Reload> {
        let limit = if want == 0 {
            DEBOUNCE * 10
        } else {
            Duration::from_secs(5)
        };
        let until = std::time::Instant::now() + limit;
        let mut got = Vec::new();
        while std::time::Instant::now() < until && got.len() < want.max(1) {
            got.extend(r.poll());
            std::thread::sleep(Duration::from_millis(50));
        }
        got
    }

    /// A stage file in a fresh folder, holding `tiny.ron`'s text: (folder, path, text).
    fn tiny_stage() -> (tempfile::TempDir, PathBuf, String) {
        let dir = tempfile::tempdir().unwrap();
        let stage = dir.path().join("stage.ron");
        let tiny = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let text = std::fs::read_to_string(tiny).unwrap();
        std::fs::write(&stage, &text).unwrap();
        (dir, stage, text)
    }

    /// A write the process noted is not reloaded; the next change it did not write is.
    #[test]
    fn own_writes_are_not_reloaded() {
        let (_dir, stage, text) = tiny_stage();
        let r = Reloader::start(&stage, &[]).unwrap();
        let wait = |want| wait(&r, want);
        let saved = text.replacen("name: \"Tiny\"", "name: \"Saved\"", 1);
        assert_ne!(saved, text);
        r.own_writes().note(&saved);
        crate::io::write_atomic(&stage, saved.as_bytes()).unwrap();
        assert!(wait(0).is_empty(), "the process's own save was reloaded");
        let edited = text.replacen("name: \"Tiny\"", "name: \"Edited\"", 1);
        std::fs::write(&stage, &edited).unwrap();
        let got = wait(1);
        assert!(
            matches!(&got[..], [Reload::Loaded { stage, .. }] if stage.name == "Edited"),
            "{got:?}"
        );
    }

    /// Saving the running stage's text again (no change) is not a reload; a refused edit put
    /// back to that text is (the error is cleared by a reload).
    #[test]
    fn unchanged_saves_are_not_reloaded() {
        let (_dir, stage, text) = tiny_stage();
        let r = Reloader::start(&stage, &[]).unwrap();
        crate::io::write_atomic(&stage, text.as_bytes()).unwrap();
        let got = wait(&r, 0);
        assert!(got.is_empty(), "an unchanged save was reloaded: {got:?}");
        std::fs::write(&stage, "(name: ").unwrap();
        let got = wait(&r, 1);
        assert!(matches!(&got[..], [Reload::Refused(_)]), "{got:?}");
        std::fs::write(&stage, &text).unwrap();
        let got = wait(&r, 1);
        assert!(
            matches!(&got[..], [Reload::Loaded { stage, .. }] if stage.name == "Tiny"),
            "{got:?}"
        );
    }
}
