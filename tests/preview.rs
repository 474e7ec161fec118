//! The preview window end to end: `parallax preview --frames N --screenshot PATH` in a real window
//! under Xvfb (on whatever adapter exists; CI has Mesa's lavapipe). The Outputs view must show
//! exactly the headless outputs of the same frame at the window's scale; the Stage and Camera views
//! must show the wall's content. With `--pose-log`, the camera the window rendered with must be the
//! one a take gives at that frame, or the one a FreeD packet describes (computed by hand from the
//! protocol's definition), with the `Auto` overscan sized for that frame's lens.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use glam::{DQuat, DVec3, UVec2};
use parallax::camera::{CameraState, OverscanRule};
use parallax::compare::{Tolerance, compare, write_failure};
use parallax::gpu::Gpu;
use parallax::preview::gpu::PixelRect;
use parallax::preview::{FrameRecord, outputs, overlay};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::tracking::{Take, TakeCameras};

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
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let spec = parallax::scene::SceneSpec {
        environment: None,
        environment_yaw_deg: stage.render.environment_yaw_deg,
        test_scene: stage.render.test_scene,
        ..Default::default()
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

/// Runs the preview on `stage` under Xvfb with `--pose-log` and `args`, and returns the log: the
/// camera of every presented frame.
fn pose_log(stage: &Path, args: &[&str]) -> Vec<FrameRecord> {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = RUN.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = out_dir().join(format!("poses-{}-{k}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_parallax"))
        .arg("preview")
        .arg(stage)
        .args(["--view", "camera", "--size", &format!("{W}x{H}")])
        .args(args)
        .arg("--pose-log")
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
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("pose log {}: {e}", path.display()));
    let records: Vec<FrameRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("pose log line {l}: {e}")))
        .collect();
    for (k, r) in records.iter().enumerate() {
        assert_eq!(
            r.frame, k as u64,
            "the log has every presented frame, in order"
        );
    }
    records
}

/// `tiny.ron` with `extra` (fields of `CameraTracking`) tracking camera A over FreeD, camera id 1.
fn tracked_tiny(file: &str, tracking: &str, overscan: Option<&str>) -> PathBuf {
    let text = std::fs::read_to_string(stage_path()).unwrap();
    let camera = r#"Camera(name: "A", position: (0.0, 1.0, 0.5), "#;
    assert!(text.contains(camera), "tiny.ron's camera line changed");
    let mut tracked = text.replace(
        camera,
        &format!(
            r#"Camera(name: "A", tracking: Some(CameraTracking(protocol: FreeD, camera_id: 1, {tracking})), position: (0.0, 1.0, 0.5), "#
        ),
    );
    if let Some(o) = overscan {
        assert!(tracked.contains("overscan: Uniform(0.3)"));
        tracked = tracked.replace("overscan: Uniform(0.3)", &format!("overscan: {o}"));
    }
    let path = out_dir().join(file);
    std::fs::write(&path, tracked).unwrap();
    path
}

/// A take of FreeD samples for camera id 1, one per 1/60 s: `(x_m, y_m, z_m, pan, tilt, zoom)`.
fn write_take(file: &str, samples: &[(f64, f64, f64, f64, f64, f64)]) -> PathBuf {
    let mut text = String::from("{\"format\":\"parallax-take\",\"version\":1}\n");
    for (k, (x, y, z, pan, tilt, zoom)) in samples.iter().enumerate() {
        text += &format!(
            "{{\"t\":{},\"source\":\"freed\",\"camera_id\":1,\"pan_deg\":{pan},\"tilt_deg\":{tilt},\"roll_deg\":0.0,\"x_m\":{x},\"y_m\":{y},\"z_m\":{z},\"zoom\":{zoom},\"focus\":0.0}}\n",
            k as f64 / 60.0
        );
    }
    let path = out_dir().join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// `parallax render STAGE --take TAKE --frames FRAMES --out OUT` (headless), which must succeed.
fn render_take(stage: &Path, take: &Path, frames: &str, out: &Path) {
    let done = Command::new(env!("CARGO_BIN_EXE_parallax"))
        .arg("render")
        .arg(stage)
        .arg("--take")
        .arg(take)
        .args(["--frames", frames, "--out"])
        .arg(out)
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("render");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

fn take_cameras(stage: &Path, take: &Path) -> TakeCameras {
    let stage = parallax::stage::load(stage).unwrap();
    let take = Take::load(take).unwrap();
    TakeCameras::new(&take, &stage.camera_specs(), stage.frame_rate).unwrap()
}

fn dvec(v: [f64; 3]) -> DVec3 {
    DVec3::from_array(v)
}

fn quat(q: [f64; 4]) -> DQuat {
    DQuat::from_array(q)
}

/// Asserts that a logged frame shows `want` (pose and focal length; the eye on the optical axis at
/// the lens's entrance-pupil offset).
fn assert_shows(r: &FrameRecord, want: &CameraState) {
    let what = format!("frame {} ({:?})", r.frame, r);
    assert!(
        (dvec(r.position) - want.pose.position).length() < 1e-9,
        "{what}: position, want {}",
        want.pose.position
    );
    assert!(
        quat(r.rotation).dot(want.pose.rotation).abs() > 1.0 - 1e-12,
        "{what}: rotation, want {:?}",
        want.pose.rotation
    );
    assert!(
        (r.focal_length_mm - want.lens.focal_length_mm).abs() < 1e-9,
        "{what}: focal length"
    );
    let forward = quat(r.rotation) * DVec3::NEG_Z;
    let eye = dvec(r.position) + forward * want.lens.entrance_pupil_m;
    assert!((dvec(r.eye) - eye).length() < 1e-9, "{what}: eye");
}

#[test]
fn fixed_frames_play_take_frame_k_mod_count_with_its_pose() {
    // A short take that moves 0.1 m along tracker X per take frame, so neighbouring take frames
    // have distinct poses; 3 to 4 take frames, played for 9 window frames (it loops).
    let samples: Vec<_> = (0..4)
        .map(|k| (0.1 * k as f64, -2.0, 1.2, 2.0 * k as f64, -1.0, 0.0))
        .collect();
    let take = write_take("loop.take", &samples);
    let cameras = take_cameras(&stage_path(), &take);
    let n = cameras.frame_count();
    assert!((3..=4).contains(&n), "{n} take frames");
    let log = pose_log(
        &stage_path(),
        &["--frames", "9", "--take", take.to_str().unwrap()],
    );
    assert_eq!(log.len(), 9);
    for r in &log {
        let k = r.frame % n;
        assert_eq!((r.source.as_str(), r.take_frame), ("take", Some(k)));
        assert_eq!(r.tracking.as_deref(), Some("live"));
        assert_shows(r, &cameras.camera_at_frame("A", k).unwrap().camera);
    }
    // Take frame 1 by hand: FreeD (0.1, -2, 1.2) m through the default tracker transform (stage
    // x, y, z = tracker x, z, -y); pan 2 degrees to the right, tilt 1 degree down.
    let r = &log[1];
    assert!((dvec(r.position) - DVec3::new(0.1, 1.2, 2.0)).length() < 1e-9);
    let (p, t) = (2f64.to_radians(), (-1f64).to_radians());
    let forward = DVec3::new(p.sin() * t.cos(), t.sin(), -p.cos() * t.cos());
    assert!((quat(r.rotation) * DVec3::NEG_Z - forward).length() < 1e-9);
}

#[test]
fn a_recorded_take_drives_the_shown_camera_frame_by_frame() {
    let take = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/takes/demo-truck.take");
    let cameras = take_cameras(&stage_path(), &take);
    let log = pose_log(
        &stage_path(),
        &["--frames", "6", "--take", take.to_str().unwrap()],
    );
    assert_eq!(log.len(), 6);
    let rest = parallax::stage::load(&stage_path()).unwrap().cameras[0].rest;
    for r in &log {
        assert_eq!(r.take_frame, Some(r.frame));
        let want = cameras.camera_at_frame("A", r.frame).unwrap().camera;
        assert!(
            (want.pose.position - rest.pose.position).length() > 0.1,
            "the take moves the camera away from the stage file's"
        );
        assert_shows(r, &want);
    }
}

/// A FreeD D1 packet, built from its definition (29 bytes, big-endian; angles in 1/32768 degree,
/// positions in 1/64 mm, signed 24-bit; checksum 0x40 minus the sum of bytes 0..28, mod 256).
fn freed_packet(id: u8, angles: [i32; 3], position: [i32; 3], zoom: u32, focus: u32) -> [u8; 29] {
    let mut b = [0u8; 29];
    b[0] = 0xD1;
    b[1] = id;
    let mut put = |at: usize, v: u32| {
        b[at] = (v >> 16) as u8;
        b[at + 1] = (v >> 8) as u8;
        b[at + 2] = v as u8;
    };
    for (k, v) in angles.iter().chain(&position).enumerate() {
        put(2 + 3 * k, (*v as u32) & 0xFF_FFFF);
    }
    put(20, zoom);
    put(23, focus);
    let sum = b[..28].iter().fold(0u8, |s, v| s.wrapping_add(*v));
    b[28] = 0x40u8.wrapping_sub(sum);
    b
}

#[test]
fn live_freed_tracking_puts_the_camera_at_the_sent_pose() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .port();
    // The tracker frame sits 30 degrees to the left in the stage, its origin at (0.2, 0, -1).
    let stage = tracked_tiny(
        &format!("tracked-{port}.ron"),
        &format!(
            r#"bind: Some("127.0.0.1:{port}"), transform: TrackerTransform(rotation: PanTiltRoll(30.0, 0.0, 0.0), offset: (0.2, 0.0, -1.0))"#
        ),
        None,
    );
    // Pan 10 degrees right, tilt 5 up, roll 3 anticlockwise; X 300 mm, Y -2000 mm, Z 1500 mm.
    let packet = freed_packet(
        1,
        [10 * 32768, 5 * 32768, -3 * 32768],
        [300 * 64, -2000 * 64, 1500 * 64],
        0,
        0,
    );
    // The expected pose, by hand. FreeD frame: Z up, pan 0 looks along +Y, positive pan turns
    // right (clockwise from above), tilt looks up, positive roll is clockwise seen from behind.
    let (p, t, r) = (10f64.to_radians(), 5f64.to_radians(), (-3f64).to_radians());
    let forward = DVec3::new(p.sin() * t.cos(), p.cos() * t.cos(), t.sin());
    let up0 = DVec3::new(-p.sin() * t.sin(), -p.cos() * t.sin(), t.cos());
    let right0 = forward.cross(up0);
    let up = up0 * r.cos() + right0 * r.sin();
    // Tracker to stage: stage (x, y, z) = tracker (x, z, -y), then the frame's rotation (a turn of
    // 30 degrees about +Y: positive pan turns left) and offset.
    let axes = |v: DVec3| DVec3::new(v.x, v.z, -v.y);
    let turn = DQuat::from_rotation_y(30f64.to_radians());
    let position = turn * axes(DVec3::new(0.3, -2.0, 1.5)) + DVec3::new(0.2, 0.0, -1.0);
    let (forward, up) = (turn * axes(forward), turn * axes(up));

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = socket.send_to(&packet, ("127.0.0.1", port));
                std::thread::sleep(std::time::Duration::from_millis(4));
            }
        })
    };
    let log = pose_log(&stage, &["--frames", "150"]);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    sender.join().unwrap();

    let rest = parallax::stage::load(&stage).unwrap().cameras[0].rest;
    let mut live = 0;
    for rec in &log {
        assert_eq!(rec.source, "live");
        let q = quat(rec.rotation);
        match rec.tracking.as_deref() {
            Some("live") => {
                live += 1;
                let what = format!("frame {}: {rec:?}", rec.frame);
                assert!(
                    (dvec(rec.position) - position).length() < 1e-9,
                    "{what}: want {position}"
                );
                assert!(
                    (q * DVec3::NEG_Z - forward).length() < 1e-9,
                    "{what}: forward {forward}"
                );
                assert!((q * DVec3::Y - up).length() < 1e-9, "{what}: up {up}");
                assert_eq!(
                    rec.focal_length_mm, 24.0,
                    "no lens table: the stage file's lens"
                );
            }
            // Before the first packet: the stage file's camera.
            Some("no data") => assert_shows(rec, &rest),
            other => panic!("frame {}: tracking {other:?}", rec.frame),
        }
    }
    eprintln!(
        "live FreeD: {live} of {} frames live, at {position}",
        log.len()
    );
    assert_eq!(log.last().unwrap().tracking.as_deref(), Some("live"));
    assert!(live >= 10, "only {live} of {} frames were live", log.len());
}

#[test]
fn auto_overscan_follows_a_lens_table_zoom_through_a_take() {
    // Zoom encoder 0: 18 mm with barrel distortion; 1000: 80 mm, pinhole.
    let stage = tracked_tiny(
        "zoom.ron",
        "lens_table: LensTable(points: [\
            LensPoint(zoom: 0.0, focal_length_mm: 18.0, distortion: (k1: -0.08)), \
            LensPoint(zoom: 1000.0, focal_length_mm: 80.0)])",
        Some("Auto(margin: 0.05)"),
    );
    // The zoom ramps from 1000 (80 mm) down to 0 (18 mm) over the take.
    let samples: Vec<_> = (0..11)
        .map(|k| (0.0, -2.0, 1.2, 0.0, 0.0, 1000.0 - 100.0 * k as f64))
        .collect();
    let take = write_take("zoom.take", &samples);
    let cameras = take_cameras(&stage, &take);
    let n = cameras.frame_count();
    let log = pose_log(
        &stage,
        &["--frames", &n.to_string(), "--take", take.to_str().unwrap()],
    );
    assert_eq!(log.len() as u64, n);
    let soft_edge = 0.1; // tiny.ron
    let rule = OverscanRule::Auto { margin: 0.05 };
    for r in [&log[0], &log[n as usize - 1]] {
        let lens = cameras.camera_at_frame("A", r.frame).unwrap().camera.lens;
        let o = rule.overscan(&lens, soft_edge).unwrap();
        let want = [o.left, o.right, o.bottom, o.top];
        for (a, b) in r.overscan.iter().zip(want) {
            assert!(
                (a - b).abs() < 1e-12,
                "frame {}: overscan {:?}, want {want:?}",
                r.frame,
                r.overscan
            );
        }
        assert_eq!(r.overscan_rule, "auto");
        assert!((r.focal_length_mm - lens.focal_length_mm).abs() < 1e-9);
        assert!(
            r.band_outside_picture,
            "frame {}: the band is in the picture",
            r.frame
        );
    }
    let (first, last) = (&log[0], &log[n as usize - 1]);
    eprintln!(
        "zoom over {n} frames: {:.1} mm overscan {:?}, {:.1} mm overscan {:?}",
        first.focal_length_mm, first.overscan, last.focal_length_mm, last.overscan
    );
    assert!((first.focal_length_mm - 80.0).abs() < 1e-9);
    assert!(last.focal_length_mm < 30.0, "{}", last.focal_length_mm);
    assert!(
        last.overscan[0] > first.overscan[0] + 0.01,
        "the overscan at 18 mm with barrel distortion ({:?}) exceeds the one at 80 mm ({:?})",
        last.overscan,
        first.overscan
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

/// `parallax run --windows` under Xvfb: two outputs, each in its own window (one placed as a region
/// at 200,100 on monitor 0), shown pixel for pixel: each window's screenshot after the last frame
/// equals, byte for byte, the headless output of the same take frame from `render --take`.
#[test]
fn run_output_windows_show_the_headless_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tiny = std::fs::read_to_string(root.join("assets/stages/tiny.ron")).unwrap();
    let two = tiny
        .replace(
            r#"placement: Auto(outputs: ["main"], origin: (96, 0), rotation: 90)"#,
            r#"placement: Auto(outputs: ["top"], rotation: 90)"#,
        )
        .replace(
            r#"Output(name: "main", width: 128, height: 64),"#,
            r#"Output(name: "main", width: 128, height: 64), Output(name: "top", width: 64, height: 64),"#,
        );
    assert_ne!(two, tiny);
    let stage = dir.path().join("two.ron");
    std::fs::write(&stage, &two).unwrap();
    let take = root.join("assets/takes/demo-truck.take");
    let shots = dir.path().join("shots");
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_parallax"))
        .arg("run")
        .arg(&stage)
        .arg("--take")
        .arg(&take)
        .args(["--frames", "3", "--unpaced", "--no-watch", "--windows"])
        .args(["--display", "top=0@200,100", "--screenshots"])
        .arg(&shots)
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("run xvfb-run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = dir.path().join("render");
    render_take(&stage, &take, "2", &rendered);
    for name in ["main", "top"] {
        let window = image::open(shots.join(format!("{name}.png")))
            .unwrap()
            .to_rgba8();
        let headless = image::open(rendered.join(format!("frame-000002/{name}.png")))
            .unwrap()
            .to_rgba8();
        assert_eq!(window.dimensions(), headless.dimensions(), "{name}");
        assert!(
            window == headless,
            "window {name} differs from the headless output"
        );
        assert!(
            window.pixels().any(|p| p.0[..3] != [0, 0, 0]),
            "{name} is black"
        );
    }
}

/// Targets from the stage file under Xvfb, with a real device loss: `top` in a window placed by its
/// `target: Window(display: "0", position: ...)`, `main` to files every 2nd frame, no target switch
/// on the command line. The device is destroyed before frame 1: frame 1 is held, the device,
/// renderer, scene and the window's surface are re-created, and after the last frame (3) the
/// window shows, byte for byte, `render --take`'s frame 3; main's files of frames 0 and 2 equal
/// render's.
#[test]
fn stage_file_targets_mix_a_window_and_files_and_survive_a_device_loss() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tiny = std::fs::read_to_string(root.join("assets/stages/tiny.ron")).unwrap();
    let two = tiny
        .replace(
            r#"placement: Auto(outputs: ["main"], origin: (96, 0), rotation: 90)"#,
            r#"placement: Auto(outputs: ["top"], rotation: 90)"#,
        )
        .replace(
            r#"Output(name: "main", width: 128, height: 64),"#,
            r#"Output(name: "main", width: 128, height: 64, target: Files(dir: "files", every: 2)),
        Output(name: "top", width: 64, height: 64, target: Window(display: "0", position: Some((300, 50)))),"#,
        );
    assert_ne!(two, tiny);
    let stage = dir.path().join("two.ron");
    std::fs::write(&stage, &two).unwrap();
    let take = root.join("assets/takes/demo-truck.take");
    let shots = dir.path().join("shots");
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_parallax"))
        .arg("run")
        .arg(&stage)
        .arg("--take")
        .arg(&take)
        .args(["--frames", "4", "--unpaced", "--no-watch"])
        .args(["--inject-fault", "device-lost@1", "--screenshots"])
        .arg(&shots)
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("run xvfb-run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("output windows re-created"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 device lost (1 re-created)"), "{stdout}");
    let rendered = dir.path().join("render");
    render_take(&stage, &take, "0..4", &rendered);
    let read = |p: PathBuf| {
        image::open(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .to_rgba8()
    };
    let window = read(shots.join("top.png"));
    assert!(
        window == read(rendered.join("frame-000003/top.png")),
        "window top differs from the headless output of frame 3"
    );
    assert!(!shots.join("main.png").exists(), "main has no window");
    for n in [0, 2] {
        let name = format!("frame-{n:06}/main.png");
        assert!(
            std::fs::read(dir.path().join("files").join(&name)).unwrap()
                == std::fs::read(rendered.join(&name)).unwrap(),
            "{name} differs from render --take"
        );
    }
    assert!(!dir.path().join("files/frame-000001").exists());
    assert!(!dir.path().join("files/frame-000003").exists());
}
