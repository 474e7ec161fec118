//! Fuzz targets: one entry point per parser of outside input, each taking arbitrary bytes. A
//! target returns normally for every input (a refused input is an `Err` it drops); a panic, an
//! abort, a hang or an unbounded allocation is a bug. Results go through
//! [`std::hint::black_box`]: without it the optimiser removes a pure parser whose result is
//! unused, and the fuzzer would explore nothing.
//!
//! The same functions run in two places: `fuzz/fuzz_targets/*.rs` (`cargo fuzz run TARGET`, on
//! libFuzzer, for the long runs recorded in `docs/reliability.md`), and the test suite's smoke of
//! every target over its seed corpus (`fuzz/corpus/TARGET/`) and mutations of it
//! ([`smoke`]), which keeps each crash found as a regression test.

use std::hint::black_box;
use std::path::Path;

use crate::tracking::opentrackio::{self, Encoding, Reassembler};

/// A named fuzz target.
pub type Target = fn(&[u8]);

/// Every target, by the name of its file in `fuzz/fuzz_targets/` and its corpus folder.
pub const TARGETS: [(&str, Target); 12] = [
    ("freed", freed),
    ("opentrackio_packets", opentrackio_packets),
    ("opentrackio_json", opentrackio_json),
    ("opentrackio_cbor", opentrackio_cbor),
    ("stage", stage),
    ("take", take),
    ("checks", checks),
    ("cube", cube),
    ("obj", obj),
    ("gltf", gltf),
    ("ron_locate", ron_locate),
    ("remote_body", remote_body),
];

/// A FreeD D1 message (`tracking::freed::decode`).
pub fn freed(data: &[u8]) {
    let _ = black_box(crate::tracking::freed::decode(data));
}

/// A stream of OpenTrackIO packets as a receiver gets them: `data` is cut into datagrams, each
/// preceded by its length (two bytes, big-endian, then that many bytes); each is parsed (header and checksum,
/// with and without the legacy layout), segments are reassembled per sender as the receiver does,
/// and each completed message is decoded (JSON or CBOR). One datagram also goes through
/// `decode_packet` whole.
pub fn opentrackio_packets(data: &[u8]) {
    let _ = black_box(opentrackio::decode_packet(data));
    let mut reassembler = Reassembler::default();
    let mut rest = data;
    while let [hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        let (datagram, next) = tail.split_at(len.min(tail.len()));
        rest = next;
        let _ = black_box(opentrackio::parse_packet_with(datagram, false));
        if let Ok((header, segment)) = opentrackio::parse_packet_with(datagram, true)
            && let Ok(Some(message)) = reassembler.push(&header, segment)
        {
            let _ = black_box(opentrackio::decode_payload(
                message.encoding,
                &message.payload,
            ));
        }
    }
}

/// An OpenTrackIO JSON payload (`decode_payload` with [`Encoding::Json`]).
pub fn opentrackio_json(data: &[u8]) {
    let _ = black_box(opentrackio::decode_payload(Encoding::Json, data));
}

/// An OpenTrackIO CBOR payload (`decode_payload` with [`Encoding::Cbor`]).
pub fn opentrackio_cbor(data: &[u8]) {
    let _ = black_box(opentrackio::decode_payload(Encoding::Cbor, data));
}

/// Where the file-based targets say their input was read from: a folder that does not exist, so
/// that the files an input names (LUTs, OBJ surveys, glTF buffers) are never found.
const NOWHERE: &str = "/nonexistent/parallax-fuzz/input";

/// A stage file: parsed, validated and built with the default limits (`stage::load_text`).
pub fn stage(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let path = Path::new(NOWHERE).with_extension("ron");
        let _ = black_box(crate::stage::load_text(text, &path));
    }
}

/// A take (`parallax track --record`'s file): parsed, then each of its first frames looked up.
pub fn take(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(take) = crate::tracking::Take::parse(text, "fuzz.take")
    {
        let _ = black_box((take.start(), take.duration()));
        for frame in 0..4 {
            let _ = black_box(take.frame_samples(frame, 24.0));
        }
    }
}

/// A checks file (`parallax check`).
pub fn checks(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = black_box(crate::check::parse(text, "fuzz.checks.ron"));
    }
}

/// A `.cube` LUT, and when it parses, one colour through it.
pub fn cube(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(lut) = crate::colour::cube::parse_cube(text, "fuzz.cube")
    {
        let _ = black_box(lut.apply([0.25, 0.5, 1.5]));
    }
}

/// A Wavefront OBJ wall survey.
pub fn obj(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = black_box(crate::stage::obj::parse(text, "fuzz.obj"));
    }
}

/// A glTF 2.0 file (`.gltf` JSON or `.glb`): read, validated and built into draw data.
pub fn gltf(data: &[u8]) {
    let path = Path::new(NOWHERE).with_extension("glb");
    let _ = black_box(crate::scene::gltf::asset::from_bytes(
        data,
        &path,
        glam::Mat4::IDENTITY,
    ));
}

/// Locating a field path in RON text (how every config error gets its line and column): the
/// input's first line is the path, the rest the text.
pub fn ron_locate(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let (path, body) = text.split_once('\n').unwrap_or((text, ""));
        let _ = black_box(crate::ron_file::locate(body, path));
    }
}

/// A remote API request body: the first byte picks the action (`remote::access::Action::ALL`,
/// modulo; those that are not edits return at once), the rest is the JSON body (`remote::control::Edit::parse`); a body that parses is applied to the bundled
/// `tiny.ron` stage file (`remote::control::apply`, the range and name checks) and the result
/// written back as RON (`to_ron`, what `POST /api/save` writes).
pub fn remote_body(data: &[u8]) {
    use crate::remote::control::{Edit, apply, to_ron};
    static TINY: std::sync::OnceLock<Option<crate::stage::file::Stage>> =
        std::sync::OnceLock::new();
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let actions = crate::remote::access::Action::ALL;
    let action = actions[usize::from(pick) % actions.len()];
    let Some(Ok(edit)) = Edit::parse(action, body) else {
        return;
    };
    let tiny = TINY.get_or_init(|| {
        let text = include_str!("../assets/stages/tiny.ron");
        crate::stage::parse(text, "tiny.ron").ok()
    });
    if let Some(mut file) = tiny.clone()
        && black_box(apply(&edit, &mut file)).is_ok()
    {
        let _ = black_box(to_ron(&file));
    }
}

/// Runs `target` over every file of its seed corpus `corpus` and `mutations` deterministic
/// mutations of each (bytes flipped, inserted, removed and spliced from other seeds, by a fixed
/// xorshift sequence); returns the number of inputs run. Panics (as the target does) on the input
/// that fails, after printing it as hex. Errors: the corpus folder cannot be read.
pub fn smoke(target: Target, corpus: &Path, mutations: usize) -> std::io::Result<usize> {
    let mut seeds = Vec::new();
    for entry in std::fs::read_dir(corpus)? {
        let path = entry?.path();
        if path.is_file() {
            seeds.push(std::fs::read(path)?);
        }
    }
    seeds.sort();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    for i in 0..seeds.len() {
        run_one(target, &seeds[i]);
        runs += 1;
        for _ in 0..mutations {
            let other = &seeds[rng.below(seeds.len())];
            let input = mutate(&seeds[i], other, &mut rng);
            run_one(target, &input);
            runs += 1;
        }
    }
    Ok(runs)
}

fn run_one(target: Target, input: &[u8]) {
    let result = std::panic::catch_unwind(|| target(input));
    if let Err(panic) = result {
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!(
            "fuzz target panicked on input ({} bytes): {hex}",
            input.len()
        );
        std::panic::resume_unwind(panic);
    }
}

/// A small deterministic generator (xorshift64, Marsaglia 2003) for the smoke's mutations.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// In `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One to four edits of `seed`: a byte replaced (by a random one or one of the values parsers
/// treat specially), a byte inserted or removed, a run of bytes duplicated, or a slice of `other`
/// spliced in.
fn mutate(seed: &[u8], other: &[u8], rng: &mut XorShift) -> Vec<u8> {
    const SPECIAL: [u8; 12] = [
        0, 0xff, 0x7f, 0x80, b'"', b'(', b')', b',', b':', b'\n', b'-', b'9',
    ];
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if at < v.len() => v[at] = rng.next() as u8,
            1 if at < v.len() => v[at] = SPECIAL[rng.below(SPECIAL.len())],
            2 => v.insert(at, SPECIAL[rng.below(SPECIAL.len())]),
            3 if at < v.len() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at..end);
            }
            _ if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(64)).min(other.len());
                v.splice(at..at, other[from..end].iter().copied());
            }
            _ => {}
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every target over its committed seed corpus and 200 mutations of each seed: the CI smoke
    /// (the long runs are `cargo fuzz run`). A crash found by the fuzzer is added to the corpus,
    /// so this keeps it fixed.
    #[test]
    fn every_target_survives_its_corpus_and_mutations() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        for (name, target) in TARGETS {
            let runs = smoke(target, &root.join(name), 200)
                .unwrap_or_else(|e| panic!("corpus of {name}: {e}"));
            assert!(runs >= 201, "{name}: seed corpus is empty ({runs} runs)");
        }
    }

    /// Every target has its cargo-fuzz entry file, and every entry file is a known target.
    #[test]
    fn every_target_has_a_fuzz_entry() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("fuzz/fuzz_targets")
            .map(|e| e.expect("entry").path())
            .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
            .collect();
        files.sort();
        let mut names: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        assert_eq!(files, names);
        for name in &names {
            let text = std::fs::read_to_string(dir.join(format!("{name}.rs"))).expect("entry");
            assert!(
                text.contains(&format!("parallax::fuzzing::{name}(")),
                "fuzz/fuzz_targets/{name}.rs does not call parallax::fuzzing::{name}"
            );
        }
    }

    /// The seeds are valid inputs (so that mutations start deep in each parser, not at its first
    /// check): each seed is accepted by its parser, but for those named `bad-*` (the error paths,
    /// and the crashes the fuzzer found, kept as regression inputs).
    #[test]
    fn seeds_are_accepted_by_their_parsers() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        let seeds = |name: &str| -> Vec<(String, Vec<u8>)> {
            let mut v: Vec<_> = std::fs::read_dir(root.join(name))
                .expect("corpus")
                .map(|e| e.expect("entry").path())
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("bad-"))
                })
                .map(|p| (p.display().to_string(), std::fs::read(&p).expect("seed")))
                .collect();
            v.sort();
            v
        };
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).expect("utf-8 seed");
        for (path, b) in seeds("freed") {
            crate::tracking::freed::decode(&b).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for (path, b) in seeds("opentrackio_json") {
            opentrackio::decode_payload(Encoding::Json, &b)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for (path, b) in seeds("opentrackio_cbor") {
            opentrackio::decode_payload(Encoding::Cbor, &b)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for (path, b) in seeds("opentrackio_packets") {
            let (len, rest) = b.split_at(2);
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            opentrackio::parse_packet_with(&rest[..len], true)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for (path, b) in seeds("stage") {
            // shapes.ron names an OBJ survey beside it, which the fuzz target never finds.
            if path.ends_with("shapes.ron") {
                continue;
            }
            let file = Path::new(&path);
            crate::stage::load_text(&text(&b), file).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for (path, b) in seeds("take") {
            crate::tracking::Take::parse(&text(&b), &path).unwrap_or_else(|e| panic!("{e}"));
        }
        for (path, b) in seeds("checks") {
            crate::check::parse(&text(&b), &path).unwrap_or_else(|e| panic!("{e}"));
        }
        for (path, b) in seeds("cube") {
            crate::colour::cube::parse_cube(&text(&b), &path).unwrap_or_else(|e| panic!("{e}"));
        }
        for (path, b) in seeds("obj") {
            crate::stage::obj::parse(&text(&b), &path).unwrap_or_else(|e| panic!("{e:?}"));
        }
        for (path, b) in seeds("gltf") {
            crate::scene::gltf::asset::from_bytes(&b, Path::new(&path), glam::Mat4::IDENTITY)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for (path, b) in seeds("ron_locate") {
            let t = text(&b);
            let (field, body) = t.split_once('\n').expect("path line");
            assert!(crate::ron_file::locate(body, field).is_some(), "{path}");
        }
        let tiny = include_str!("../assets/stages/tiny.ron");
        let tiny = crate::stage::parse(tiny, "tiny.ron").expect("tiny.ron");
        for (path, b) in seeds("remote_body") {
            let actions = crate::remote::access::Action::ALL;
            let action = actions[usize::from(b[0]) % actions.len()];
            let edit = crate::remote::control::Edit::parse(action, &b[1..])
                .expect("an edit")
                .unwrap_or_else(|e| panic!("{path}: {e:?}"));
            crate::remote::control::apply(&edit, &mut tiny.clone())
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }

    #[test]
    fn mutations_are_deterministic_and_change_the_seed() {
        let seed = b"Stage(name: \"a\")".to_vec();
        let run = || {
            let mut rng = XorShift(7);
            (0..50)
                .map(|_| mutate(&seed, b"xyz", &mut rng))
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        assert!(a.iter().filter(|m| **m != seed).count() >= 40);
    }
}
