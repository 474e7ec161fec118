//! CPU benchmarks of the stage model: load + validate + map.
//!
//! Goal (issue "Start here"): load + validate + map of `large.ron` and of a synthetic 10,000-cabinet
//! stage within 50 ms each. Goal (issue 18): validate + map of a 2,000-cabinet volume (a 270-degree
//! arc and a ceiling, two cameras), geometry checks included (3D intersections, facing), within 20 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use parallax::mapping::PixelMap;
use parallax::stage::{Limits, Stage, intersect, synthetic};

fn load_validate_map(text: &str) -> usize {
    let stage = Stage::from_ron(text, "bench.ron").expect("valid stage");
    let map = PixelMap::of(&stage);
    let json = serde_json::to_vec(&map).expect("serialisable");
    json.len()
}

fn bench(c: &mut Criterion) {
    let large = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/stages/large.ron"
    ))
    .expect("large.ron");
    let synthetic_10k = synthetic::flat_wall(100, 100, (176, 176), (3840, 2160));
    let mut g = c.benchmark_group("stage");
    g.bench_function("large.ron load+validate+map", |b| {
        b.iter(|| load_validate_map(&large))
    });
    g.bench_function("synthetic 10k cabinets load+validate+map", |b| {
        b.iter(|| load_validate_map(&synthetic_10k))
    });
    let volume = synthetic::volume(96, 16, (16, 29));
    let parsed = parallax::stage::parse(&volume, "bench.ron").expect("parses");
    let built = Stage::build(&parsed, &Limits::default()).expect("valid volume");
    assert_eq!(built.panels.len(), 2000);
    g.bench_function("volume 2,000 cabinets load+validate+map", |b| {
        b.iter(|| load_validate_map(&volume))
    });
    g.bench_function("volume 2,000 cabinets validate (build from parsed)", |b| {
        b.iter(|| Stage::build(&parsed, &Limits::default()).expect("valid"))
    });
    g.bench_function("volume 2,000 cabinets map (PixelMap + JSON)", |b| {
        b.iter(|| {
            serde_json::to_vec(&PixelMap::of(&built))
                .expect("serialisable")
                .len()
        })
    });
    let frames: Vec<_> = built.panels.iter().map(|p| p.frame).collect();
    g.bench_function("volume 2,000 cabinets 3D intersection check only", |b| {
        b.iter(|| intersect::intersecting_pairs(&frames, 0.001))
    });
    g.bench_function("large.ron parse only", |b| {
        b.iter(|| parallax::stage::parse(&large, "bench.ron").expect("parses"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
