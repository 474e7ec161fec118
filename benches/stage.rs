//! CPU benchmarks of the stage model: load + validate + map.
//!
//! Goal (issue "Start here"): load + validate + map of `large.ron` and of a synthetic 10,000-cabinet
//! stage within 50 ms each.

use criterion::{Criterion, criterion_group, criterion_main};
use parallax::mapping::PixelMap;
use parallax::stage::{Stage, synthetic};

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
    g.bench_function("large.ron parse only", |b| {
        b.iter(|| parallax::stage::parse(&large, "bench.ron").expect("parses"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
