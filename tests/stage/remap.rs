//! Frame remapping in the stage model: cabinets are placed in one sub-frame region, the regions
//! must divide the raster, sub-frames name real cameras, and processors carry each cabinet once per
//! sub-frame.

use parallax::stage::Stage;

fn stage(width: u32, subframes: &str, max_pixels: u64) -> Result<Stage, String> {
    let text = format!(
        r#"Stage(name: "remap", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
     shape: Flat(columns: 8, rows: 4, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: {width}, height: 128,
    remap: Some(Remap(layout: Columns, subframes: [{subframes}])))],
  processors: [Processor(name: "X", inputs: ["o"], max_pixels: {max_pixels}, ports: 4, pixels_per_port: 1000000)],
  cameras: [Camera(name: "A"), Camera(name: "B", position: (0.5, 1.5, 0.0))])"#
    );
    Stage::from_ron(&text, "remap.ron").map_err(|e| e.to_string())
}

#[test]
fn cabinets_are_placed_in_one_region_and_regions_are_laid_out() {
    // 8 x 4 cabinets of 32 px: 256 x 128, the size of one of two regions of a 512 x 128 raster.
    let s = stage(512, r#"Camera("A"), Camera("B")"#, 10_000_000).unwrap();
    let o = &s.outputs[0];
    assert_eq!(o.subframe_count(), 2);
    assert_eq!(o.region_size(), (256, 128));
    assert_eq!(o.region_origin(1), (256, 0));
    let right = s.panels.iter().map(|p| p.output_rect().x1).max().unwrap();
    assert_eq!(right, 256, "cabinets fill the first region only");
    // The same cabinets do not fit one region of 128 px: an error naming the sub-frame.
    let e = stage(256, r#"Camera("A"), Camera("B")"#, 10_000_000).unwrap_err();
    assert!(
        e.contains("one sub-frame") || e.contains("do not fit"),
        "{e}"
    );
}

#[test]
fn bad_remaps_are_reported_all_at_once() {
    let e = stage(
        512,
        r#"Camera("A"), Chroma("Z"), Solid(0.0, 1.0, 0.0)"#,
        10_000_000,
    )
    .unwrap_err();
    assert!(
        e.contains("3 sub-frames do not divide the width of 512"),
        "{e}"
    );
    assert!(e.contains("unknown camera 'Z' (cameras: A, B)"), "{e}");
    let e = stage(512, "", 10_000_000).unwrap_err();
    assert!(e.contains("at least one sub-frame"), "{e}");
}

#[test]
fn processors_carry_each_cabinet_once_per_subframe() {
    // 32 cabinets of 1,024 px = 32,768 px per sub-frame; two sub-frames: 65,536.
    assert!(stage(512, r#"Camera("A"), Camera("B")"#, 65_536).is_ok());
    let e = stage(512, r#"Camera("A"), Camera("B")"#, 65_535).unwrap_err();
    assert!(e.contains("65,536") || e.contains("65536"), "{e}");
}

#[test]
fn the_pixel_map_describes_each_region() {
    let s = stage(
        768,
        r#"Camera("B"), Chroma("A"), Solid(0.0, 0.5, 1.0)"#,
        10_000_000,
    )
    .unwrap();
    let map = parallax::mapping::PixelMap::of(&s);
    let v = serde_json::to_value(&map).unwrap();
    let sub = &v["outputs"][0]["subframes"];
    assert_eq!(sub.as_array().unwrap().len(), 3);
    assert_eq!(sub[0]["kind"], "camera");
    assert_eq!(sub[0]["camera"], "B");
    assert_eq!(sub[1]["kind"], "chroma");
    assert_eq!(
        (sub[1]["x"].as_u64(), sub[1]["width"].as_u64()),
        (Some(256), Some(256))
    );
    assert_eq!(sub[2]["kind"], "solid");
    assert_eq!(sub[2]["colour"][1], 0.5);
    assert_eq!(sub[2]["x"], 512);
}

/// The identification pattern fills every sub-frame region (each maps the same cabinets): region 1
/// is region 0 shifted by the region width, pixel for pixel, and decoding finds every cabinet once
/// per region at its origin plus the region's.
#[test]
fn patterns_fill_every_region() {
    let s = stage(512, r#"Camera("A"), Solid(0.0, 0.0, 0.0)"#, 10_000_000).unwrap();
    let img = parallax::pattern::render(&s, 0, parallax::pattern::PatternKind::Id).unwrap();
    for y in 0..128 {
        for x in 0..256 {
            assert_eq!(img.get_pixel(x, y), img.get_pixel(x + 256, y), "({x}, {y})");
        }
    }
    let sizes: Vec<glam::UVec2> = s.panel_types.iter().map(|t| t.pixels).collect();
    let report = parallax::pattern::decode_id(std::slice::from_ref(&img), &sizes);
    assert!(report.unmatched.is_empty());
    assert_eq!(report.panels.len(), 2 * s.panels.len());
    // Each cabinet once in each region, at the region's origin (0 or 256) plus its placement.
    let mut seen = std::collections::HashSet::new();
    for d in &report.panels {
        let k = d.origin.x / 256;
        let p = &s.panels[d.panel];
        assert!(seen.insert((d.panel, k)), "{} twice in region {k}", p.id);
        assert_eq!(
            d.origin - glam::IVec2::new(256 * k, 0),
            p.placement.origin,
            "{}",
            p.id
        );
        assert_eq!(
            (d.step_col, d.step_row),
            (p.placement.step_col, p.placement.step_row)
        );
    }
    assert_eq!(seen.len(), 2 * s.panels.len());
}

/// The CSV has one row per cabinet and sub-frame, each with its region and the cabinet's
/// rectangle in the whole raster: region k's rectangle is region 0's shifted by k x 256 px.
#[test]
fn the_csv_has_a_row_per_cabinet_and_subframe() {
    let s = stage(
        768,
        r#"Camera("B"), Chroma("A"), Solid(0.0, 0.5, 1.0)"#,
        10_000_000,
    )
    .unwrap();
    let map = parallax::mapping::PixelMap::of(&s);
    let rows = crate::ports::parse_csv(&map.to_csv());
    assert_eq!(rows.len(), 3 * 32, "32 cabinets, 3 sub-frames");
    for p in &s.panels {
        let r = p.output_rect();
        let mine: Vec<_> = rows.iter().filter(|row| row["id"] == p.id).collect();
        assert_eq!(mine.len(), 3, "{}", p.id);
        for (k, row) in mine.iter().enumerate() {
            let (kind, source) = [("camera", "B"), ("chroma", "A"), ("solid", "0 0.5 1")][k];
            assert_eq!(row["subframe"], (k + 1).to_string());
            assert_eq!(
                (
                    row["subframe_kind"].as_str(),
                    row["subframe_source"].as_str()
                ),
                (kind, source)
            );
            assert_eq!(row["region_x"], (256 * k).to_string());
            assert_eq!(row["region_y"], "0");
            assert_eq!(
                row["rect_x"],
                (r.x0 + 256 * k as i64).to_string(),
                "{} {k}",
                p.id
            );
            assert_eq!(row["rect_y"], r.y0.to_string());
            assert_eq!(
                row["origin_x"],
                (p.placement.origin.x + 256 * k as i32).to_string()
            );
            assert_eq!(row["rect_width"], "32");
        }
    }
}

/// The diagram of a remapped output outlines each region in its colour, labels it, and draws
/// every region's copy of the cabinets: away from the labels and outlines, region 1 is region 0
/// moved by the region's width. Without remapping no region is drawn.
#[test]
fn the_diagram_shows_every_region() {
    use parallax::diagram::{diagram, region_colour};
    use parallax::stage::file::SubFrame;
    let s = stage(512, r#"Camera("A"), Chroma("B")"#, 10_000_000).unwrap();
    let img = diagram(&s, 0).unwrap();
    let camera = region_colour(&SubFrame::Camera("A".into()));
    let chroma = region_colour(&SubFrame::Chroma("B".into()));
    // Outlines 2 px thick (a 256 x 128 region): region 0 ends at x = 255, region 1 starts at 256.
    for y in [20, 64, 120] {
        assert_eq!(*img.get_pixel(255, y), camera);
        assert_eq!(*img.get_pixel(0, y), camera);
        assert_eq!(*img.get_pixel(256, y), chroma);
        assert_eq!(*img.get_pixel(511, y), chroma);
    }
    assert_eq!(*img.get_pixel(300, 127), chroma);
    // The labels' ink, in the bottom-left corner of each region.
    let ink = |x0: u32, c| (x0..x0 + 100).any(|x| (110..126).any(|y| *img.get_pixel(x, y) == c));
    assert!(ink(2, camera) && ink(258, chroma));
    // Region 1 is region 0 moved by 256 px, above the labels and inside the outlines.
    for y in 2..110 {
        for x in 2..254 {
            assert_eq!(img.get_pixel(x, y), img.get_pixel(x + 256, y), "({x}, {y})");
        }
    }
    // The cabinets are drawn in region 1: W-007-03, the last (bottom-right), has its outline at
    // (256 + 224, 96).
    let r = s.panels[s.panel_index("W-007-03").unwrap()].output_rect();
    assert_eq!((r.x0, r.y0), (224, 96));
    assert_eq!(
        *img.get_pixel(256 + 224, 100),
        image::Rgba([255, 255, 255, 255])
    );
    // Without remapping: no region outline anywhere.
    let plain = Stage::from_ron(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/stages/tiny.ron"
        ))
        .unwrap(),
        "tiny.ron",
    )
    .unwrap();
    let img = diagram(&plain, 0).unwrap();
    assert!(img.pixels().all(|p| *p != camera && *p != chroma));
}
