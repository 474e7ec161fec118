//! The shapes real stages have: a faceted wall along a polyline, an oval of joined arcs, cut-outs,
//! a round ceiling of rings and cabinets surveyed in an OBJ file. Each test writes a small stage
//! file and checks the cabinets against positions and normals worked out by hand (or, for the
//! oval, against circle geometry recovered from the cabinets themselves).

use glam::DVec3;
use parallax::mapping::PixelMap;
use parallax::pattern::{self, PatternKind};
use parallax::stage::{SectionKind, Stage, StageError};

fn build(text: &str) -> Stage {
    Stage::from_ron(text, "t.ron").unwrap_or_else(|e| panic!("{e}"))
}

fn problems(text: &str) -> Vec<String> {
    match Stage::from_ron(text, "t.ron") {
        Ok(_) => panic!("expected problems"),
        Err(StageError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        Err(e) => panic!("expected semantic problems, got {e}"),
    }
}

/// A stage of 500 x 500 mm cabinets of 32 x 32 px with one section `W` of `shape` (and `extra`
/// section fields), automatically placed in output `o` of `width` x `height`.
fn stage(shape: &str, extra: &str, width: u32, height: u32) -> String {
    format!(
        r#"Stage(
    name: "Shapes",
    frame_rate: 50.0,
    panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
    sections: [
        (name: "W", panel_type: "P",
         shape: {shape},
         placement: Auto(outputs: ["o"]){extra}),
    ],
    outputs: [Output(name: "o", width: {width}, height: {height})],
)"#
    )
}

fn close(a: DVec3, b: DVec3, tol: f64) -> bool {
    (a - b).length() < tol
}

/// A U-shaped room seen from inside: the left wall runs from (-3, 0) to (-3, -4) (4 m: 8 columns,
/// facing +X), the back wall to (3, -4) (6 m: 12 columns, facing +Z), the right wall to (3, 0.2)
/// (4.2 m: 8 columns and a 200 mm gap, facing -X). Two rows from the floor: tops at 1 m.
/// A point typed with extra digits (found by the `stage` fuzz target: it made the loader allocate
/// gigabytes of columns) is refused as too large, at once.
#[test]
fn a_polyline_point_far_away_is_refused_not_built() {
    let text = stage(
        "Polyline(points: [(0.5, -2.0), (99999999999999999999999999999980.0, 0.0), (9.5, 2.0)], rows: 2, bottom: 0.0)",
        "",
        320,
        64,
    );
    let p = problems(&text);
    assert!(
        p.iter().any(|m| m.contains("more than any stage holds")),
        "{p:?}"
    );
}

/// A disc ceiling whose grid holds more cabinets than any stage (found by the `stage` fuzz
/// target: a radius of 222 m built 1.6 million cabinets, a second and more per load) and rings
/// that do together are refused before any cabinet is made.
#[test]
fn a_disc_or_rings_beyond_any_stage_are_refused_not_built() {
    // 0.5 m cabinets: a radius of 300 m is a 1200 x 1200 grid (each side below the 10,000 limit).
    let p = problems(&stage(
        "Disc(centre: (0.0, 0.0), height: 4.0, radius: 300.0)",
        "",
        64,
        64,
    ));
    assert!(
        p.iter().any(|m| m.contains(
            "a disc of radius 300 m is more than any stage holds (10000 cabinets per side, 1000000 in its grid at most)"
        )),
        "{p:?}"
    );
    // 140 rings 1 m apart from 600 m: each fewer than 10,000 cabinets, about 1.2 million in all.
    let rings: Vec<String> = (0..140)
        .map(|i| format!("(radius: {}.0)", 600 + i))
        .collect();
    let p = problems(&stage(
        &format!(
            "Rings(centre: (0.0, 0.0), height: 4.0, rings: [{}])",
            rings.join(", ")
        ),
        "",
        64,
        64,
    ));
    assert!(
        p.iter().any(|m| m.contains(
            "cabinets in the rings is more than any stage holds (1000000 in a section at most)"
        )),
        "{p:?}"
    );
}

#[test]
fn a_polyline_wall_puts_whole_columns_on_each_segment() {
    let text = stage(
        "Polyline(points: [(-3.0, 0.0), (-3.0, -4.0), (3.0, -4.0), (3.0, 0.2)], rows: 2, bottom: 0.0)",
        "",
        1024,
        64,
    );
    let s = build(&text);
    assert_eq!(s.sections[0].kind, SectionKind::Polyline);
    assert_eq!(s.panels.len(), 2 * 28);
    // Per segment: its plane, its extent along the floor, its front and its column count.
    // (first column, columns, segment start, unit direction, front normal)
    let segments = [
        (
            0u32,
            8u32,
            DVec3::new(-3.0, 0.0, 0.0),
            DVec3::NEG_Z,
            DVec3::X,
        ),
        (8, 12, DVec3::new(-3.0, 0.0, -4.0), DVec3::X, DVec3::Z),
        (20, 8, DVec3::new(3.0, 0.0, -4.0), DVec3::Z, DVec3::NEG_X),
    ];
    for (first, count, start, dir, normal) in segments {
        let on: Vec<_> = s
            .panels
            .iter()
            .filter(|p| (first..first + count).contains(&p.col))
            .collect();
        assert_eq!(on.len() as u32, 2 * count, "columns {first}..");
        for p in on {
            let k = (p.col - first) as f64;
            let top = 1.0 - 0.5 * p.row as f64;
            let tl = start + dir * (0.5 * k) + DVec3::Y * top;
            assert!(close(p.frame.top_left, tl, 1e-12), "{} {:?}", p.id, p.frame);
            assert!(close(p.frame.right, dir * 0.5, 1e-12), "{}", p.id);
            assert!(close(p.frame.down, DVec3::new(0.0, -0.5, 0.0), 1e-12));
            assert!(close(p.frame.normal(), normal, 1e-12), "{}", p.id);
        }
    }
    // The joins: the last column of a segment ends at the corner, where the next one starts.
    let at = |col: u32| {
        s.panels
            .iter()
            .find(|p| p.col == col && p.row == 0)
            .unwrap()
    };
    assert!(close(
        at(7).frame.corners()[1],
        DVec3::new(-3.0, 1.0, -4.0),
        1e-12
    ));
    assert!(close(
        at(8).frame.top_left,
        DVec3::new(-3.0, 1.0, -4.0),
        1e-12
    ));
    assert!(close(
        at(19).frame.corners()[1],
        DVec3::new(3.0, 1.0, -4.0),
        1e-12
    ));
    // The gap is reported, located at the segment's end point (line 7 of the text).
    let w: Vec<String> = s.warnings.iter().map(|w| w.to_string()).collect();
    let col = text.find("(3.0, 0.2)").unwrap()
        - text[..text.find("(3.0, 0.2)").unwrap()]
            .rfind('\n')
            .unwrap();
    assert_eq!(
        w,
        vec![format!(
            "t.ron:7:{col}: section 'W': segment 2 (points[2] to points[3], 4.200 m) holds 8 columns and leaves a gap of 200.0 mm at its end (9 columns would run past points[3] by 300.0 mm) (at sections[0].shape.points[3])"
        )]
    );
    // validate's line says what the polyline became.
    assert_eq!(s.sections[0].detail, "3 segments: 8 + 12 + 8 columns");
    // A repeated point is a located problem.
    let bad = text.replace(
        "(3.0, -4.0), (3.0, 0.2)",
        "(3.0, -4.0), (3.0, -4.0), (3.0, 0.2)",
    );
    let p = problems(&bad);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("t.ron:7:")
            && p[0].ends_with("points[2] and points[3] are 0.0 mm apart: a segment needs a length (at sections[0].shape.points[3])"),
        "{p:?}"
    );
}

/// The centre of the circle through three points of the floor plan (x, z).
fn circumcentre(a: DVec3, b: DVec3, c: DVec3) -> (f64, f64) {
    let (ax, az, bx, bz, cx, cz) = (a.x, a.z, b.x, b.z, c.x, c.z);
    let d = 2.0 * (ax * (bz - cz) + bx * (cz - az) + cx * (az - bz));
    let a2 = ax * ax + az * az;
    let b2 = bx * bx + bz * bz;
    let c2 = cx * cx + cz * cz;
    (
        (a2 * (bz - cz) + b2 * (cz - az) + c2 * (az - bz)) / d,
        (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d,
    )
}

/// An oval (a horseshoe volume) of three arcs: 8 columns on 6 m, 12 on 3 m, 8 on 6 m. Each arc's
/// circle is recovered from three of its column edges; the arcs must meet within 0.01 mm, the
/// circles must be tangent where they meet (centres and meeting point on one line), and the oval
/// must be symmetric about the middle of the small arc: the first edge mirrored across that axis
/// is the last edge, within 0.01 mm.
#[test]
fn an_oval_of_three_arcs_meets_within_a_hundredth_of_a_millimetre() {
    let text = stage(
        "Arcs(centre: (0.0, 1.0), start_deg: -70.0, arcs: [(radius: 6.0, columns: 8), (radius: 3.0, columns: 12), (radius: 6.0, columns: 8)], rows: 3, bottom: 0.1)",
        "",
        28 * 32,
        3 * 32,
    );
    let s = build(&text);
    assert_eq!(s.sections[0].kind, SectionKind::Arcs);
    assert_eq!(s.panels.len(), 28 * 3);
    let cab = |col: u32| {
        s.panels
            .iter()
            .find(|p| p.col == col && p.row == 2)
            .unwrap()
    };
    // Left edge of column c (c = 28: the right edge of the last), on the floor plan at row 2.
    let edge = |c: u32| {
        if c == 28 {
            cab(27).frame.corners()[1]
        } else {
            cab(c).frame.top_left
        }
    };
    let flat = |p: DVec3| DVec3::new(p.x, 0.0, p.z);
    let arcs = [(0u32, 8u32, 6.0f64), (8, 12, 3.0), (20, 8, 6.0)];
    let mut centres = Vec::new();
    for (first, n, r) in arcs {
        let c = circumcentre(edge(first), edge(first + n / 2), edge(first + n));
        for k in first..=first + n {
            let d = (flat(edge(k)) - DVec3::new(c.0, 0.0, c.1)).length();
            assert!(
                (d - r).abs() < 1e-9,
                "edge {k}: {d} from the centre of radius {r}"
            );
        }
        for k in first..first + n {
            let f = cab(k).frame;
            assert!((f.right.length() - 0.5).abs() < 1e-9);
            // Each cabinet faces its arc's centre.
            let to = (DVec3::new(c.0, f.centre().y, c.1) - f.centre()).normalize();
            assert!(f.normal().dot(to) > 0.99, "column {k}");
        }
        centres.push(DVec3::new(c.0, 0.0, c.1));
    }
    // The first arc's centre is the file's.
    assert!(close(centres[0], DVec3::new(0.0, 0.0, 1.0), 1e-9));
    // Where the arcs meet: the last edge of one arc is the first of the next (each is a cabinet
    // corner of both); the two circles share the point and their tangent there.
    for (k, joint) in [(0usize, 8u32), (1, 20)] {
        let end_prev = cab(joint - 1).frame.corners()[1];
        let start_next = cab(joint).frame.top_left;
        let closure = (end_prev - start_next).length();
        assert!(closure < 1e-5, "joint {k}: {} mm apart", closure * 1e3);
        let p = flat(start_next);
        let (a, b) = (centres[k], centres[k + 1]);
        let cross = (a - p).cross(b - p).length();
        assert!(cross < 1e-9, "joint {k}: centres and joint not on one line");
    }
    // Symmetry about the line from the small arc's centre through its middle edge (edge 14).
    let axis = (flat(edge(14)) - centres[1]).normalize();
    let mirror = |q: DVec3| {
        let v = q - centres[1];
        centres[1] + 2.0 * v.dot(axis) * axis - v
    };
    let closure = (mirror(flat(edge(0))) - flat(edge(28))).length();
    assert!(closure < 1e-5, "{} mm", closure * 1e3);
    // Bottom and rows as in an Arc.
    assert!((cab(0).frame.corners()[3].y - 0.1).abs() < 1e-12);
    assert!(
        s.sections[0].detail.starts_with("3 arcs over "),
        "{}",
        s.sections[0].detail
    );
    // A negative radius of an arc says "negative", located.
    let p = problems(&text.replace("(radius: 3.0, columns: 12)", "(radius: -3.0, columns: 12)"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("arcs[1]: radius -3 m is negative")
            && p[0].ends_with("(at sections[0].shape.arcs[1].radius)")
            && p[0].starts_with("t.ron:7:"),
        "{p:?}"
    );
}

/// A flat wall of 6 x 3 cabinets with a doorway: columns 2-3 of the two lower rows cut out.
#[test]
fn cut_outs_leave_no_cabinet_and_move_none_of_the_others() {
    let shape = "Flat(columns: 6, rows: 3, position: (-1.5, 1.5, -3.0))";
    let whole = build(&stage(shape, "", 6 * 32, 3 * 32));
    let door = build(&stage(
        shape,
        ", skip: [(cols: (2, 3), rows: (1, 2))]",
        6 * 32,
        3 * 32,
    ));
    assert_eq!(whole.panels.len(), 18);
    assert_eq!(door.panels.len(), 14);
    let cut = |col: u32, row: u32| (2..=3).contains(&col) && (1..=2).contains(&row);
    // The cabinets beside the doorway are where they were, in space and in the output.
    for p in &whole.panels {
        match door.panels.iter().find(|q| q.id == p.id) {
            Some(q) => {
                assert!(!cut(p.col, p.row), "{} should be cut out", p.id);
                assert_eq!(q.frame, p.frame, "{}", p.id);
                assert_eq!(q.placement, p.placement, "{}", p.id);
            }
            None => assert!(cut(p.col, p.row), "{} is missing", p.id),
        }
    }
    // Not in the pixel map.
    let map = PixelMap::of(&door);
    assert_eq!(map.panels.len(), 14);
    assert!(!map.panels.iter().any(|p| cut(p.col, p.row)));
    assert!(map.to_csv().lines().all(|l| !l.contains("W-002-01")));
    // No pixel of the output lights where the cut-out cabinets were (they would be at x 64..128,
    // y 32..96 in the whole wall's packing); every other cabinet's pixels are lit.
    let img = pattern::render(&door, 0, PatternKind::Solid([255, 255, 255])).unwrap();
    for y in 0..96 {
        for x in 0..192 {
            let lit = img.get_pixel(x, y).0[..3] == [255, 255, 255];
            let hole = (64..128).contains(&x) && (32..96).contains(&y);
            assert_eq!(lit, !hole, "output pixel ({x}, {y})");
        }
    }
    assert_eq!(door.sections[0].detail, "1 cut-out, 4 cabinets skipped");
    // A range outside the grid is a located problem.
    let text = stage(shape, ", skip: [(cols: (2, 6))]", 6 * 32, 3 * 32);
    let p = problems(&text);
    assert_eq!(
        p,
        vec![format!(
            "t.ron:8:{}: section 'W': skip[0].cols (2, 6) is not a range of its 6 columns: first <= last <= 5 (at sections[0].skip[0].cols)",
            text.lines().nth(7).unwrap().find("cols: (2, 6)").unwrap() + 1
        )]
    );
}

/// A round ceiling at 4 m of three rings of 500 mm cabinets. Ring 0 (radius 1 m): a cabinet spans
/// 2 asin(0.25) = 28.955 degrees, so 12 fit; its outer corners reach
/// sqrt((sqrt(1 - 0.25^2) + 0.5)^2 + 0.25^2) = 1.48938 m, and the next ring's inner edges (chords)
/// clear that from a radius of sqrt(1.48938^2 + 0.25^2) = 1.51021 m. Ring 1 (1.52 m):
/// 2 asin(0.25 / 1.52) = 18.933 degrees, 19 fit, reaching 2.01487 m (next from 2.03032 m).
/// Ring 2 (2.05 m): 2 asin(0.25 / 2.05) = 14.009 degrees, 25 fit.
#[test]
fn a_ring_ceiling_faces_down_with_its_cabinets_on_the_ring_radius() {
    let text = stage(
        "Rings(centre: (0.5, -1.0), height: 4.0, rings: [(radius: 1.0), (radius: 1.52), (radius: 2.05)])",
        "",
        25 * 32,
        3 * 32,
    );
    let s = build(&text);
    assert_eq!(s.sections[0].kind, SectionKind::Rings);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    for (row, (radius, count)) in [(1.0, 12usize), (1.52, 19), (2.05, 25)]
        .into_iter()
        .enumerate()
    {
        let ring: Vec<_> = s.panels.iter().filter(|p| p.row == row as u32).collect();
        assert_eq!(ring.len(), count, "ring {row}");
        for p in ring {
            let f = p.frame;
            assert!(close(f.normal(), DVec3::NEG_Y, 1e-12), "{}", p.id);
            for corner in f.corners() {
                assert!((corner.y - 4.0).abs() < 1e-12);
            }
            // The inner (top) edge's corners are on the ring's circle, the outer ones beyond it.
            let r = |q: DVec3| ((q.x - 0.5).powi(2) + (q.z + 1.0).powi(2)).sqrt();
            let c = f.corners();
            assert!((r(c[0]) - radius).abs() < 1e-12 && (r(c[1]) - radius).abs() < 1e-12);
            assert!(r(c[2]) > radius + 0.45 && r(c[3]) > radius + 0.45);
            assert!(
                (f.right.length() - 0.5).abs() < 1e-12 && (f.down.length() - 0.5).abs() < 1e-12
            );
        }
    }
    // Packed by default, each ring is a line of the output (the shorter rings' lines end early):
    // cabinet (c, r) at output pixel (32 c, 32 r), so the raster looks like the rings unrolled.
    for p in &s.panels {
        let r = p.output_rect();
        assert_eq!(
            (r.x0, r.y0),
            (32 * p.col as i64, 32 * p.row as i64),
            "{}",
            p.id
        );
    }
    // Cabinets spread evenly: in ring 0, cabinet c is centred on the angle (c + 0.5) * 30 degrees.
    let c3 = s
        .panels
        .iter()
        .find(|p| p.row == 0 && p.col == 3)
        .unwrap()
        .frame;
    let mid = (3.5f64 * 30.0).to_radians();
    let inner_mid = 0.5 * (c3.corners()[0] + c3.corners()[1]);
    let d = (1.0f64 - 0.0625).sqrt();
    assert!(close(
        inner_mid,
        DVec3::new(0.5 + d * mid.sin(), 4.0, -1.0 - d * mid.cos()),
        1e-12
    ));
    // Rings too close together overlap: located, with the radius that would do.
    // At 1.5 m ring 1's inner chords come within sqrt(1.5^2 - 0.25^2) = 1.47902 m of the centre,
    // inside ring 0's reach.
    let p = problems(&text.replace("(radius: 1.52)", "(radius: 1.5)"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains(
            "rings[1] (radius 1.5 m) reaches into the cabinets of rings[0], which reach 1.4894 m from the centre: its radius must be at least 1.5102 m"
        ) && p[0].ends_with("(at sections[0].shape.rings[1].radius)"),
        "{p:?}"
    );
}

/// A grid ceiling clipped to a disc of radius 1.2 m about (0.5, -1), at 4 m: the 6 x 6 grid of 500 mm
/// cabinets has a cabinet corner on the centre, so a cabinet is kept when its farthest corner is
/// within 1.2 m: per quadrant those reaching (0.5, 0.5) (0.71 m), (1.0, 0.5) and (0.5, 1.0)
/// (1.12 m), not (1.0, 1.0) (1.41 m) nor any at 1.5 m. Twelve cabinets: rows 2-3 hold columns
/// 1-4, rows 1 and 4 hold columns 2-3.
#[test]
fn a_disc_ceiling_keeps_the_grid_cabinets_inside_its_circle() {
    let text = stage(
        "Disc(centre: (0.5, -1.0), height: 4.0, radius: 1.2)",
        "",
        6 * 32,
        6 * 32,
    );
    let s = build(&text);
    assert_eq!(s.sections[0].kind, SectionKind::Disc);
    let mut cells: Vec<(u32, u32)> = s.panels.iter().map(|p| (p.col, p.row)).collect();
    cells.sort();
    let mut expect = vec![];
    for row in 1..=4u32 {
        let cols = if row == 1 || row == 4 { 2..=3 } else { 1..=4 };
        expect.extend(cols.map(|c| (c, row)));
    }
    expect.sort();
    assert_eq!(cells, expect);
    for p in &s.panels {
        let f = p.frame;
        assert!(close(f.normal(), DVec3::NEG_Y, 1e-12), "{}", p.id);
        // Column c spans x from 0.5 - 1.5 + 0.5 c; row r spans z from -1 + 1.5 - 0.5 r down
        // to 0.5 less (rows run towards -Z, as a Flat ceiling at tilt 90).
        let tl = DVec3::new(-1.0 + 0.5 * p.col as f64, 4.0, 0.5 - 0.5 * p.row as f64);
        assert!(close(f.top_left, tl, 1e-12), "{}: {:?}", p.id, f.top_left);
        assert!(close(f.right, DVec3::new(0.5, 0.0, 0.0), 1e-12));
        assert!(close(f.down, DVec3::new(0.0, 0.0, -0.5), 1e-12));
        // Packed by default at its grid cell: the output looks like the disc, corners left empty.
        let r = p.output_rect();
        assert_eq!(
            (r.x0, r.y0),
            (32 * p.col as i64, 32 * p.row as i64),
            "{}",
            p.id
        );
    }
    // A negative radius says so, located.
    let p = problems(&text.replace("radius: 1.2", "radius: -1.2"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("radius -1.2 m is negative")
            && p[0].ends_with("(at sections[0].shape.radius)"),
        "{p:?}"
    );
}

/// Four surveyed quads in an OBJ file: two on a wall facing +Z at z = -3 and two on a side wall
/// facing +X at x = -2, each face listed top-left, bottom-left, bottom-right, top-right.
const SURVEY: &str = "# four cabinets, metres
v -1.0 2.0 -3.0
v -1.0 1.5 -3.0
v -0.5 1.5 -3.0
v -0.5 2.0 -3.0
v 0.0 1.5 -3.0
v 0.0 2.0 -3.0
o W-000-00
f 1 2 3 4
o W-001-00
f 4 3 5 6
v -2.0 2.0 0.0
v -2.0 1.5 0.0
v -2.0 1.5 -0.5
v -2.0 2.0 -0.5
v -2.0 1.0 0.0
v -2.0 1.0 -0.5
g 0-1
f 7 8 9 10
g W-001-01
f 8 11 12 9
o truss-000-00
f 1 2 3 4
";

#[test]
fn an_obj_survey_of_four_quads_places_four_cabinets() {
    let dir = std::env::temp_dir().join(format!("parallax-obj-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The truss object belongs to another section's id prefix: it is left out.
    std::fs::write(dir.join("survey.obj"), SURVEY).unwrap();
    let text = stage("Obj(path: \"survey.obj\")", "", 128, 64);
    let path = dir.join("stage.ron");
    std::fs::write(&path, &text).unwrap();
    let s = parallax::stage::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.sections[0].kind, SectionKind::Obj);
    assert_eq!(s.panels.len(), 4);
    let expect = [
        (
            "W-000-00",
            DVec3::new(-1.0, 2.0, -3.0),
            DVec3::new(0.5, 0.0, 0.0),
            DVec3::Z,
        ),
        (
            "W-001-00",
            DVec3::new(-0.5, 2.0, -3.0),
            DVec3::new(0.5, 0.0, 0.0),
            DVec3::Z,
        ),
        (
            "W-000-01",
            DVec3::new(-2.0, 2.0, 0.0),
            DVec3::new(0.0, 0.0, -0.5),
            DVec3::X,
        ),
        (
            "W-001-01",
            DVec3::new(-2.0, 1.5, 0.0),
            DVec3::new(0.0, 0.0, -0.5),
            DVec3::X,
        ),
    ];
    for (id, tl, right, normal) in expect {
        let p = &s.panels[s.panel_index(id).unwrap_or_else(|| panic!("{id}"))];
        assert!(close(p.frame.top_left, tl, 1e-12), "{id}: {:?}", p.frame);
        assert!(close(p.frame.right, right, 1e-12), "{id}");
        assert!(
            close(p.frame.down, DVec3::new(0.0, -0.5, 0.0), 1e-12),
            "{id}"
        );
        assert!(close(p.frame.normal(), normal, 1e-12), "{id}");
    }
    // A quad 10 mm too wide is an error at its line of the OBJ file.
    let bad = SURVEY.replace(
        "v 0.0 1.5 -3.0\nv 0.0 2.0 -3.0",
        "v 0.01 1.5 -3.0\nv 0.01 2.0 -3.0",
    );
    std::fs::write(dir.join("survey.obj"), bad).unwrap();
    let e = parallax::stage::load(&path).unwrap_err().to_string();
    assert!(
        e.contains("survey.obj:11: panel 'W-001-00': the quad is not a 500 x 500 mm rectangle within 5.0 mm: edges 500.0 mm, 510.0 mm, 500.0 mm, 510.0 mm"),
        "{e}"
    );
    // A face with a wrong name and three vertices: both problems at once, at its line.
    let bad = SURVEY.replace("o W-001-00\nf 4 3 5 6", "o W-0x1-00\nf 4 3 5");
    std::fs::write(dir.join("survey.obj"), bad).unwrap();
    let e = parallax::stage::load(&path).unwrap_err().to_string();
    assert!(
        e.contains("survey.obj:11")
            && e.contains("'W-0x1-00': a face of 3 vertices")
            && e.contains("'W-0x1-00' is not a cabinet id"),
        "{e}"
    );
    // A missing file names it, and the stage-file field.
    std::fs::remove_file(dir.join("survey.obj")).unwrap();
    let e = parallax::stage::load(&path).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "cannot read OBJ file {}",
            dir.join("survey.obj").display()
        )) && e.contains("(at sections[0].shape.path)")
            && e.contains("stage.ron:7:"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The ring ceiling of the test above, 100 mm below the top of an arc wall of radius 2.6 m about the
/// same axis: the wall's cabinets are chords sqrt(2.6^2 - 0.25^2) = 2.5880 m from the axis, the
/// outer ring reaches 2.5470 m, so nothing crosses. An outer ring of radius 2.2 m reaches
/// sqrt((sqrt(2.2^2 - 0.25^2) + 0.5)^2 + 0.25^2) = 2.6973 m: through the wall, which the 3D check
/// reports like any other pair of sections.
#[test]
fn a_ring_ceiling_inside_an_arc_wall_is_checked_in_3d_like_any_section() {
    let text = |outer: &str| {
        format!(
            r#"Stage(
    name: "Round", frame_rate: 50.0,
    panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
    sections: [
        (name: "A", panel_type: "P",
         shape: Arc(centre: (0.5, -1.0), radius: 2.6, start_deg: -60.0, columns: 8, rows: 2, bottom: 3.0),
         placement: Auto(outputs: ["a"])),
        (name: "C", panel_type: "P",
         shape: Rings(centre: (0.5, -1.0), height: 3.9, rings: [(radius: 1.0), (radius: 1.52), {outer}]),
         placement: Auto(outputs: ["c"])),
    ],
    outputs: [Output(name: "a", width: 256, height: 64), Output(name: "c", width: 1024, height: 96)],
)"#
        )
    };
    let s = build(&text("(radius: 2.05)"));
    assert_eq!(s.panels.len(), 16 + 12 + 19 + 25);
    let p = problems(&text("(radius: 2.2)"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("section 'A': ") && p[0].contains("cabinets of section 'C' in 3D"),
        "{p:?}"
    );
}
