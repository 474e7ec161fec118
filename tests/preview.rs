//! The preview window end to end: `parallax preview --frames N --screenshot PATH` in a real window
//! under Xvfb (on whatever adapter exists; CI has Mesa's lavapipe). The Outputs view must show
//! exactly the headless outputs of the same frame at the window's scale; the Stage and Camera views
//! must show the wall's content.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use glam::UVec2;
use parallax::compare::{Tolerance, compare, write_failure};
use parallax::gpu::Gpu;
use parallax::preview::gpu::PixelRect;
use parallax::preview::{outputs, overlay};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};

const W: u32 = 320;
const H: u32 = 240;

fn stage_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron")
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("preview");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the preview for `view` under Xvfb and returns its screenshot.
fn screenshot(view: &str, extra: &[&str]) -> image::RgbaImage {
    screenshot_sized(view, extra, (W, H))
}

/// [`screenshot`] of a window that ends up `size` pixels large.
fn screenshot_sized(view: &str, extra: &[&str], window: (u32, u32)) -> image::RgbaImage {
    let have_xvfb = Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        have_xvfb,
        "the preview tests need a virtual display: apt-get install -y xvfb xauth"
    );
    // Tests run in parallel: every run gets its own file.
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = RUN.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let tag: String = extra
        .iter()
        .filter(|a| a.starts_with("--"))
        .map(|a| a.trim_start_matches('-'))
        .collect::<Vec<_>>()
        .join("-");
    let path = out_dir().join(format!("{view}-{tag}-{k}.png"));
    let _ = std::fs::remove_file(&path);
    let size = format!("{W}x{H}");
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_parallax"))
        .arg("preview")
        .arg(stage_path())
        .args([
            "--view",
            view,
            "--size",
            &size,
            "--frames",
            "3",
            "--no-tracking",
        ])
        .args(extra)
        .arg("--screenshot")
        .arg(&path)
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("run xvfb-run");
    assert!(
        out.status.success(),
        "preview failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&path)
        .unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()))
        .to_rgba8();
    assert_eq!(img.dimensions(), window, "the screenshot is the window");
    img
}

/// The headless frame of the stage as it is (the frame the preview shows before any input).
fn headless_output() -> image::RgbaImage {
    let gpu = Gpu::headless().unwrap_or_else(|e| panic!("GPU tests need an adapter: {e}"));
    let stage = parallax::stage::load(&stage_path()).unwrap();
    let mut renderer = Renderer::new(&gpu, &stage, RendererOptions::default()).unwrap();
    let inputs = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let spec = parallax::scene::SceneSpec {
        environment: None,
        environment_yaw_deg: stage.render.environment_yaw_deg,
        test_scene: stage.render.test_scene,
    };
    let scene = parallax::scene::build(&renderer.scene_context(&gpu), &spec).unwrap();
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    frame.outputs[0].1.to_rgba8()
}

fn view_area() -> PixelRect {
    view_area_of(W, H)
}

fn view_area_of(w: u32, h: u32) -> PixelRect {
    PixelRect {
        x: 0.0,
        y: 0.0,
        w: w as f32,
        h: (h - overlay::band_height(w)) as f32,
    }
}

/// The saturated colours that cover at least 2% of the output (the wall's content; greys are left
/// out, as the window's background is grey too).
fn main_colours(img: &image::RgbaImage) -> Vec<[u8; 3]> {
    let mut count: HashMap<[u8; 3], u32> = HashMap::new();
    for p in img.pixels() {
        *count.entry([p[0], p[1], p[2]]).or_default() += 1;
    }
    let min = img.pixels().len() as u32 / 50;
    let mut v: Vec<_> = count
        .into_iter()
        .filter(|(c, n)| *n >= min && c.iter().max().unwrap() - c.iter().min().unwrap() > 40)
        .map(|(c, _)| c)
        .collect();
    v.sort();
    v
}

/// Fraction of the view area's pixels within 6 of one of `colours`, and how many of the colours show.
fn coverage(img: &image::RgbaImage, colours: &[[u8; 3]]) -> (f64, usize) {
    let a = view_area();
    let mut hits = 0u64;
    let mut seen = vec![false; colours.len()];
    for y in 0..a.h as u32 {
        for x in 0..a.w as u32 {
            let p = img.get_pixel(x, y);
            if let Some(k) = colours
                .iter()
                .position(|c| (0..3).all(|i| c[i].abs_diff(p[i]) <= 6))
            {
                hits += 1;
                seen[k] = true;
            }
        }
    }
    (
        hits as f64 / (a.w * a.h) as f64,
        seen.iter().filter(|s| **s).count(),
    )
}

#[test]
fn outputs_view_shows_the_headless_outputs_at_the_window_scale() {
    check_outputs_view(&screenshot("outputs", &[]), view_area());
}

#[test]
fn a_resized_window_shows_the_outputs_at_its_new_scale() {
    let shot = screenshot_sized("outputs", &["--resize-to", "520x330"], (520, 330));
    check_outputs_view(&shot, view_area_of(520, 330));
}

fn check_outputs_view(shot: &image::RgbaImage, area: PixelRect) {
    let expected = headless_output();
    let rects = outputs::layout(area, &[UVec2::new(expected.width(), expected.height())]);
    let r = rects[0];
    assert!(
        r.w >= expected.width() as f32,
        "tiny's output fits at 1:1 or more"
    );
    let scaled = image::imageops::resize(
        &expected,
        r.w as u32,
        r.h as u32,
        image::imageops::FilterType::Nearest,
    );
    let actual =
        image::imageops::crop_imm(shot, r.x as u32, r.y as u32, r.w as u32, r.h as u32).to_image();
    let tol = Tolerance {
        channel: 2,
        bad_fraction: 0.0,
        mean_delta_e: 0.5,
        p99_delta_e: 2.0,
    };
    let c = compare(&scaled, &actual, &tol).unwrap();
    if !c.passes(&tol) {
        let name = format!("outputs_view_{}x{}", shot.width(), shot.height());
        let paths = write_failure(&out_dir(), &name, &actual, Some(&c.diff)).unwrap();
        panic!(
            "Outputs view differs from the headless outputs: {} ({paths:?})",
            c.summary()
        );
    }
    // Outside the raster (and above the status band) the window is black.
    assert_eq!(shot.get_pixel(0, 0).0, [0, 0, 0, 255]);
}

#[test]
fn stage_and_camera_views_show_the_walls_content() {
    let colours = main_colours(&headless_output());
    assert!(
        colours.len() >= 3,
        "the test scene gives the wall several colours: {colours:?}"
    );
    let (stage_fraction, stage_seen) = coverage(&screenshot("stage", &[]), &colours);
    assert!(
        stage_fraction > 0.01 && stage_seen >= 3,
        "Stage view: {:.3} of the pixels show {stage_seen} of the wall's colours {colours:?}",
        stage_fraction
    );
    // The camera view is supersampled (antialiased): pixels on the edges between LED colours are
    // blends, so fewer pixels equal a wall colour than in the outputs (0.018 of them on lavapipe).
    let (cam_fraction, cam_seen) = coverage(&screenshot("camera", &[]), &colours);
    assert!(
        cam_fraction > 0.01 && cam_seen >= 3,
        "Camera view: {:.3} of the pixels show {cam_seen} of the wall's colours {colours:?}",
        cam_fraction
    );
}

#[test]
fn camera_difference_is_dark_where_the_wall_is_right() {
    let colours = main_colours(&headless_output());
    let lit = screenshot("camera", &[]);
    let diff = screenshot("camera", &["--difference"]);
    // Where the simulated camera shows the wall's own colours (inside areas of one colour, away
    // from edges, which the coarse LED pitch of tiny.ron blurs), the wall matches the direct render
    // of the scene: the difference image is dark there.
    let a = view_area();
    let colour_at = |x: i64, y: i64| -> Option<usize> {
        if x < 0 || y < 0 || x >= a.w as i64 || y >= a.h as i64 {
            return None;
        }
        let p = lit.get_pixel(x as u32, y as u32);
        colours
            .iter()
            .position(|c| (0..3).all(|i| c[i].abs_diff(p[i]) <= 6))
    };
    let (mut wall, mut dark, mut bright_elsewhere) = (0u64, 0u64, 0u64);
    for y in 0..a.h as u32 {
        for x in 0..a.w as u32 {
            let d = diff.get_pixel(x, y);
            let here = colour_at(x as i64, y as i64);
            let on_wall = here.is_some()
                && (-2..=2)
                    .all(|dy| (-2..=2).all(|dx| colour_at(x as i64 + dx, y as i64 + dy) == here));
            if on_wall {
                wall += 1;
                if d[0].max(d[1]).max(d[2]) < 48 {
                    dark += 1;
                }
            } else if here.is_none() && d[0].max(d[1]).max(d[2]) > 48 {
                bright_elsewhere += 1;
            }
        }
    }
    eprintln!(
        "difference view: {dark} of {wall} wall pixels dark, {bright_elsewhere} bright off the wall"
    );
    assert!(wall > 300, "the camera sees the wall ({wall} pixels)");
    assert!(
        dark as f64 >= 0.9 * wall as f64,
        "only {dark} of {wall} wall pixels are dark in the difference view"
    );
    // The difference view is not simply black: off the wall (no LED) it shows the scene dimmed.
    assert!(bright_elsewhere > 0, "the difference view shows nothing");
}

#[test]
fn a_take_drives_the_camera() {
    let take = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/takes/demo-truck.take");
    let take = take.to_str().unwrap();
    let still = screenshot("camera", &[]);
    let played = screenshot("camera", &["--take", take]);
    let a = view_area();
    let mut differ = 0u64;
    for y in 0..a.h as u32 {
        for x in 0..a.w as u32 {
            let (p, q) = (still.get_pixel(x, y), played.get_pixel(x, y));
            if (0..3).any(|i| p[i].abs_diff(q[i]) > 16) {
                differ += 1;
            }
        }
    }
    assert!(
        differ as f64 > 0.01 * (a.w * a.h) as f64,
        "the take's camera shows the same picture as the stage file's ({differ} pixels differ)"
    );
}

#[test]
fn live_freed_tracking_drives_the_camera() {
    // tiny.ron with camera A tracked over FreeD on a free local port.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .port();
    let text = std::fs::read_to_string(stage_path()).unwrap();
    let camera = r#"Camera(name: "A", position: (0.0, 1.0, 0.5), "#;
    assert!(text.contains(camera), "tiny.ron's camera line changed");
    let tracked = text.replace(
        camera,
        &format!(
            r#"Camera(name: "A", tracking: Some(CameraTracking(protocol: FreeD, camera_id: 1, bind: Some("127.0.0.1:{port}"))), position: (0.0, 1.0, 0.5), "#
        ),
    );
    let stage = out_dir().join(format!("tracked-{port}.ron"));
    std::fs::write(&stage, tracked).unwrap();
    // Replay a recorded FreeD take to that port while the preview runs.
    let take = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/takes/demo-truck.take");
    let mut sender = Command::new(env!("CARGO_BIN_EXE_parallax"))
        .arg("track")
        .arg("--replay")
        .arg(&take)
        .args(["--send", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the replay");
    let path = out_dir().join(format!("live-{port}.png"));
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_parallax"))
        .arg("preview")
        .arg(&stage)
        .args([
            "--view",
            "camera",
            "--size",
            &format!("{W}x{H}"),
            "--frames",
            "300",
        ])
        .arg("--screenshot")
        .arg(&path)
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("run xvfb-run");
    let _ = sender.kill();
    let _ = sender.wait();
    assert!(
        out.status.success(),
        "preview failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = image::open(&path).unwrap().to_rgba8();
    let still = screenshot("camera", &[]);
    let a = view_area();
    let mut differ = 0u64;
    for y in 0..a.h as u32 {
        for x in 0..a.w as u32 {
            let (p, q) = (still.get_pixel(x, y), live.get_pixel(x, y));
            if (0..3).any(|i| p[i].abs_diff(q[i]) > 16) {
                differ += 1;
            }
        }
    }
    assert!(
        differ as f64 > 0.01 * (a.w * a.h) as f64,
        "the tracked camera shows the stage file's picture ({differ} pixels differ)"
    );
}

#[test]
fn the_control_panel_draws_only_when_asked() {
    let plain = screenshot("outputs", &[]);
    let with_panel = screenshot("outputs", &["--panel"]);
    // The panel floats at the top left (8, 8): its title bar and view buttons lie in this box.
    let (x0, y0, x1, y1) = (10, 10, 150, 60);
    let mut differing = 0;
    let mut colours = std::collections::HashSet::new();
    for y in y0..y1 {
        for x in x0..x1 {
            let a = plain.get_pixel(x, y).0;
            let b = with_panel.get_pixel(x, y).0;
            colours.insert(b);
            if (0..3).any(|c| a[c].abs_diff(b[c]) > 8) {
                differing += 1;
            }
        }
    }
    let total = (x1 - x0) * (y1 - y0);
    assert!(
        differing * 2 > total,
        "with --panel only {differing} of {total} pixels at the top left changed"
    );
    assert!(
        colours.len() >= 4,
        "the panel's box shows text and widgets, not a flat fill: {} colours",
        colours.len()
    );
}
