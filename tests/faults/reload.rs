//! Content that becomes unreadable under a running loop (`parallax run` watches the stage file and
//! what it names): the environment image or a glTF file replaced by garbage, or removed. Each
//! reload is refused with the file named, the old content stays on the wall frame for frame, and
//! once the files are good again a reload is applied (so the refusals were not a watch that saw
//! nothing).

use std::path::Path;
use std::time::{Duration, Instant};

use parallax::live::{FileSink, LiveLoop, Pacing, RunOptions, Sink};

use super::{root, tiny};

/// An equirectangular sky of one colour.
fn sky(path: &Path, rgb: [u8; 3]) {
    image::RgbImage::from_pixel(64, 32, image::Rgb(rgb))
        .save(path)
        .expect("write sky");
}

#[test]
fn unreadable_content_during_a_hot_reload_keeps_the_old_content() {
    let _serial = super::serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = tiny().replace(
        "outer_resolution: 32)",
        "outer_resolution: 32, environment: Some(\"sky.png\"), test_scene: false),\n    \
         scene: [Gltf(path: \"set.glb\", position: (0.0, 1.0, -1.0))]",
    );
    assert!(text.contains("sky.png"), "the anchor moved");
    let stage = dir.path().join("stage.ron");
    std::fs::write(&stage, text).expect("write stage");
    let glb = root().join("tests/data/gltf/coded-quad.glb");
    let set = dir.path().join("set.glb");
    std::fs::copy(&glb, &set).expect("copy glb");
    let sky_png = dir.path().join("sky.png");
    sky(&sky_png, [40, 90, 200]);
    let options = RunOptions {
        pacing: Pacing::Unpaced,
        watch: true,
        ..Default::default()
    };
    let mut live = LiveLoop::new(&stage, options).expect("loop");
    let out = dir.path().join("out");
    let mut sink = FileSink::new(out.clone(), 1);
    let frame = |n: u64| {
        image::open(out.join(format!("frame-{n:06}/main.png")))
            .expect("frame")
            .to_rgba8()
    };
    let mut step_until = |live: &mut LiveLoop, what: &str, done: &dyn Fn(&LiveLoop) -> bool| {
        let t = Instant::now();
        let mut sinks: [&mut dyn Sink; 1] = [&mut sink];
        while !done(live) {
            assert!(t.elapsed() < Duration::from_secs(15), "waiting for {what}");
            live.step(&mut sinks, Instant::now());
        }
        // Two more frames after it.
        for _ in 0..2 {
            live.step(&mut sinks, Instant::now());
        }
    };
    step_until(&mut live, "three frames", &|l| l.frame() >= 3);
    let before = frame(2);
    let last = |l: &LiveLoop| l.frame() - 1;
    // Each fault: (what is done, the file the refusal names).
    let faults: [(&str, &dyn Fn(), &str); 3] = [
        (
            "the sky replaced by garbage",
            &|| std::fs::write(&sky_png, b"\x89PNG garbage, not an image").expect("write"),
            "sky.png",
        ),
        (
            "the glTF replaced by garbage (the sky restored)",
            &|| {
                sky(&sky_png, [40, 90, 200]);
                std::thread::sleep(Duration::from_millis(400));
                std::fs::write(&set, b"glTF\x02\x00\x00\x00garbage").expect("write");
            },
            "set.glb",
        ),
        (
            "the glTF removed",
            &|| std::fs::remove_file(&set).expect("remove"),
            "set.glb",
        ),
    ];
    for (k, (what, fault, file)) in faults.iter().enumerate() {
        let refused = live.stats.reload_errors;
        fault();
        step_until(&mut live, what, &|l| l.stats.reload_errors > refused);
        let message = live.last_refused().expect("refused").to_string();
        eprintln!("reload fault {k} ({what}): refused: {message}");
        assert!(message.contains(file), "{what}: {message}");
        assert_eq!(frame(last(&live)), before, "{what}: the wall changed");
        assert_eq!(live.stats.failures, 0, "{what}");
    }
    // Good files again: the glTF back (applied: the same picture), then a red sky (applied: a
    // different picture).
    let reloads = live.stats.reloads;
    std::fs::copy(&glb, &set).expect("copy glb");
    step_until(&mut live, "the glTF back", &|l| l.stats.reloads > reloads);
    assert_eq!(frame(last(&live)), before);
    let reloads = live.stats.reloads;
    sky(&sky_png, [200, 30, 30]);
    step_until(&mut live, "a red sky", &|l| l.stats.reloads > reloads);
    assert_ne!(frame(last(&live)), before, "the new sky shows");
    assert_eq!(live.stats.failures, 0);
}
