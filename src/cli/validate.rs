//! `parallax validate STAGE`

use std::path::PathBuf;

use parallax::stage::Stage;

mod colour;

#[derive(clap::Args)]
pub struct Args {
    /// Stage file (RON).
    pub stage: PathBuf,
    /// GPU texture limit to check output sizes against (pixels a side).
    #[arg(long, default_value_t = parallax::stage::DEFAULT_MAX_TEXTURE_SIZE)]
    pub max_texture_size: u32,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let limits = parallax::stage::Limits {
        max_texture_size: args.max_texture_size,
        ..Default::default()
    };
    let stage = parallax::stage::load_with_limits(&args.stage, &limits)?;
    for w in &stage.warnings {
        eprintln!("warning: {w}");
    }
    // The 3D content is read and checked too (CPU only): a missing or broken glTF file fails
    // validation as it would fail `render` and `run`.
    let (content, failed) = content(&stage);
    for e in &failed {
        eprintln!("error: {e}");
    }
    if !failed.is_empty() {
        anyhow::bail!(
            "{}: {} of {} scene files cannot be loaded",
            args.stage.display(),
            failed.len(),
            stage.scene.len()
        );
    }
    print!("{}", report(&stage));
    println!("{}", wall_line(&stage, args.max_texture_size));
    print!("{content}");
    Ok(())
}

/// What the stage shows besides its geometry, and the scene files that cannot be loaded: each
/// `scene` item read as `render` reads it (glTF parsed and checked, images decoded; no GPU), light
/// cards, chroma keys, the frozen outer, colour encodings, cameras' priority and frame remapping.
fn content(stage: &Stage) -> (String, Vec<String>) {
    use std::fmt::Write;
    let mut out = String::new();
    let mut failed = Vec::new();
    if !stage.scene.is_empty() {
        let _ = writeln!(out, "scene:");
    }
    for (i, item) in stage.scene.iter().enumerate() {
        let path = stage.resolve_path(&item.path);
        match parallax::scene::gltf::load(&path, glam::Mat4::IDENTITY) {
            Ok(a) => {
                let _ = writeln!(
                    out,
                    "  {i}: {}  {} triangles, {} materials, {} images, {} lights{}",
                    item.path,
                    a.indices.len() / 3,
                    a.materials.len(),
                    a.images.len(),
                    a.lights.len(),
                    if a.warnings.is_empty() {
                        String::new()
                    } else {
                        format!(", {} warnings", a.warnings.len())
                    }
                );
                for w in &a.warnings {
                    eprintln!("warning: scene item {i} ('{}'): {w}", item.path);
                }
            }
            Err(e) => failed.push(format!("scene item {i} ('{}'): {e}", item.path)),
        }
    }
    for c in &stage.light_cards {
        let _ = writeln!(
            out,
            "light card '{}': {:?}, {} nits, {:?} the inner frustum",
            c.name, c.shape, c.intensity_nits, c.layer
        );
    }
    let r = &stage.render;
    let _ = writeln!(
        out,
        "render: outer {}{}",
        if r.frozen_outer { "frozen" } else { "live" },
        if r.reverse_priority {
            ", camera priority reversed (the lower on top)"
        } else {
            ""
        }
    );
    for c in &stage.cameras {
        let key = c
            .inner
            .chroma
            .map(|k| {
                let markers = k
                    .markers
                    .map(|m| format!(" with {:?} markers every {} mm", m.shape, m.spacing_mm))
                    .unwrap_or_default();
                format!(", chroma key {:?}{markers}", k.colour)
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "camera {}: priority {}{}{key}",
            c.name,
            c.priority,
            if c.enabled { "" } else { ", disabled" }
        );
    }
    // Colour: only for a stage with colour settings (otherwise each output's encoding name alone).
    let colour_set = colour::is_set(&stage.colour);
    if colour_set {
        out.push_str(&colour::header(stage));
    }
    for (k, o) in stage.outputs.iter().enumerate() {
        let e = stage.colour.output_transform(k).encoding;
        let remap = o
            .remap
            .as_ref()
            .map(|r| {
                let (w, h) = o.region_size();
                format!(
                    ", {} sub-frames of {w} x {h} ({:?}: {})",
                    r.subframes.len(),
                    r.layout,
                    r.subframes
                        .iter()
                        .map(|s| format!("{s:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .unwrap_or_default();
        if colour_set {
            let (head, lines) = colour::output(stage, k);
            let _ = writeln!(out, "output {}: {head}{remap}", o.name);
            out.push_str(&lines);
        } else {
            let _ = writeln!(out, "output {}: {}{remap}", o.name, e.name());
        }
    }
    if colour_set {
        out.push_str(&colour::sections(stage));
    }
    (out, failed)
}

/// The unwrapped wall's size (`wall.png` of `render`) and, when it is larger than the texture
/// limit `max`, the tiles it is rendered in.
fn wall_line(stage: &Stage, max: u32) -> String {
    let size = parallax::render::layout::wall_layout(stage, max).size;
    let tiles = parallax::render::layout::wall_tiles(size, max).len();
    let how = if tiles > 1 {
        format!(", rendered in {tiles} tiles of at most {max} px and stitched")
    } else {
        String::new()
    };
    format!("unwrapped wall (wall.png): {} x {} px{how}", size.x, size.y)
}

/// The summary printed by `validate`.
pub fn report(stage: &Stage) -> String {
    use std::fmt::Write;
    let s = stage.summary();
    let mut out = String::new();
    let _ = writeln!(out, "{}: valid", stage.name);
    let _ = writeln!(
        out,
        "  {} sections, {} panels, {} LED pixels ({:.1} M), {} Hz",
        s.sections,
        s.panels,
        s.pixels,
        s.pixels as f64 / 1e6,
        stage.frame_rate
    );
    for sec in &stage.sections {
        let t = &stage.panel_types[sec.panel_type];
        let _ = writeln!(
            out,
            "  section {:<10} {:?}, {} x {} ({}x{} px, {} x {} mm){}",
            sec.name,
            sec.kind,
            sec.panels.len(),
            t.name,
            t.pixels.x,
            t.pixels.y,
            t.width_mm,
            t.height_mm,
            if sec.detail.is_empty() {
                String::new()
            } else {
                format!("; {}", sec.detail)
            }
        );
    }
    let _ = writeln!(out, "outputs:");
    for (u, o) in s.outputs.iter().zip(&stage.outputs) {
        let _ = writeln!(
            out,
            "  {:<12} {:>5} x {:<5} {:>4} panels {:>10} px  {:5.1}% used{}",
            o.name,
            o.width,
            o.height,
            u.panels,
            u.pixels,
            u.share * 100.0,
            o.node
                .as_ref()
                .map(|n| {
                    let primary = if stage.primary_node.as_ref() == Some(n) {
                        " (primary)"
                    } else {
                        ""
                    };
                    format!("  node {n}{primary}")
                })
                .unwrap_or_default()
        );
    }
    let _ = writeln!(out, "cameras (at the stage file's pose and lens):");
    for c in &stage.cameras {
        match parallax::render::FrameInputs::resolve(
            stage,
            &c.name,
            &c.rest,
            &parallax::render::Overrides::default(),
        ) {
            Ok(f) => {
                let o = f.overscan;
                let (h, v) = f.lens.field_of_view_deg();
                let rule = match c.inner.overscan {
                    parallax::camera::OverscanRule::Uniform(_) => "uniform".to_string(),
                    parallax::camera::OverscanRule::PerSide(_) => "per side".to_string(),
                    parallax::camera::OverscanRule::Auto { margin } => {
                        format!("auto, margin {margin}")
                    }
                };
                let _ = writeln!(
                    out,
                    "  {:<12} {:.1} mm on {} x {} mm ({h:.1} x {v:.1} deg), inner {} x {} texels, overscan ({rule}) L {:.3} R {:.3} B {:.3} T {:.3}, soft edge {}, band {}{}",
                    c.name,
                    f.lens.focal_length_mm,
                    f.lens.sensor_mm.0,
                    f.lens.sensor_mm.1,
                    f.inner_resolution.x,
                    f.inner_resolution.y,
                    o.left,
                    o.right,
                    o.bottom,
                    o.top,
                    f.soft_edge,
                    if f.band_outside_picture() {
                        "outside the picture"
                    } else {
                        "INSIDE the picture"
                    },
                    c.tracking
                        .as_ref()
                        .map(|t| format!(", tracked by {} on {}", t.protocol.name(), t.bind_addr()))
                        .unwrap_or_default()
                );
            }
            Err(e) => {
                let _ = writeln!(out, "  {:<12} cannot be rendered: {e}", c.name);
            }
        }
    }
    if !s.processors.is_empty() {
        let _ = writeln!(out, "processors:");
    }
    let chains = stage.port_chains();
    for (pi, p) in s.processors.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<12} {:>10} / {} px  {:5.1}% of capacity",
            p.processor,
            p.pixels,
            p.capacity,
            100.0 * p.pixels as f64 / p.capacity.max(1) as f64
        );
        for (k, used) in p.ports.iter().enumerate().filter(|(_, u)| **u > 0) {
            // The chain's first and last cabinet, for the crew.
            let chain = chains
                .iter()
                .find(|c| c.processor == pi && c.port as usize == k + 1)
                .map(|c| {
                    let id = |n: Option<&usize>| n.map_or("?", |&n| stage.panels[n].id.as_str());
                    format!(
                        "  {} .. {} ({} cabinets)",
                        id(c.panels.first()),
                        id(c.panels.last()),
                        c.panels.len()
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    port {:<3} {:>10} / {} px  {:5.1}%{chain}",
                k + 1,
                used,
                p.port_capacity,
                100.0 * *used as f64 / p.port_capacity.max(1) as f64
            );
        }
    }
    out
}
