//! Identification-pattern generation for the demo stage's outputs (3840x2160 + 1920x1080) against a
//! plain copy (`copy_from_slice`) of the same number of bytes, measured in the same run.
//!
//! `id/new+render_all` includes drawing every cabinet's tile and allocating the output images;
//! `id/render_into` renders into buffers allocated once (tiles drawn once), which is what a
//! pattern generator that refreshes its outputs does; `id/render_into/rotated` the same with every
//! cabinet turned a quarter (no contiguous row copies).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parallax::pattern::{Pattern, PatternKind};

fn bench(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/demo.ron");
    let stage = parallax::stage::load(&path).expect("demo stage loads");
    let sizes: Vec<usize> = stage
        .outputs
        .iter()
        .map(|o| o.width as usize * o.height as usize * 4)
        .collect();
    let total: usize = sizes.iter().sum();

    let mut g = c.benchmark_group("pattern");
    g.throughput(Throughput::Bytes(total as u64));

    let src = vec![7u8; total];
    let mut dst = vec![0u8; total];
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&dst);
        })
    });

    g.bench_function("id/new+render_all", |b| {
        b.iter(|| {
            let p = Pattern::new(black_box(&stage), PatternKind::Id).unwrap();
            black_box(p.render_all().unwrap())
        })
    });

    let pattern = Pattern::new(&stage, PatternKind::Id).unwrap();
    let mut bufs: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![0u8; n]).collect();
    g.bench_function("id/render_into", |b| {
        b.iter(|| {
            for (o, buf) in bufs.iter_mut().enumerate() {
                pattern.render_into(o, buf).unwrap();
            }
            black_box(&bufs);
        })
    });

    // The same cabinets turned a quarter in place (square cabinets): the per-pixel gather path.
    let mut turned = stage.clone();
    for p in &mut turned.panels {
        let r = p.output_rect();
        if let Some(pl) = parallax::stage::Placement::from_rect(
            p.placement.output,
            r.x0 as u32,
            r.y0 as u32,
            p.pixels,
            90,
            false,
        ) {
            p.placement = pl;
        }
    }
    let pattern = Pattern::new(&turned, PatternKind::Id).unwrap();
    g.bench_function("id/render_into/rotated", |b| {
        b.iter(|| {
            for (o, buf) in bufs.iter_mut().enumerate() {
                pattern.render_into(o, buf).unwrap();
            }
            black_box(&bufs);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
