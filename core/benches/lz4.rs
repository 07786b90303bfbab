//! `cachekit::lz4::compress` against `lz4_flex::block::compress` (0.13, the reference it
//! reproduces), side by side on the same bytes.
//!
//! ```text
//! cargo bench -p cachekit --bench lz4                 # paired A/B section, then criterion
//! LZ4_BENCH_PAIRED_ONLY=1 cargo bench -p cachekit --bench lz4   # the paired section alone
//! LZ4_BENCH_PAIRED_ONLY=1 LZ4_BENCH_ONLY=msgpack/64 cargo bench -p cachekit --bench lz4
//! ```
//!
//! Inputs at 1 KiB, 64 KiB and 1 MiB: `msgpack`, StandardSerializer MessagePack of user-like
//! records (a fixed-seed PRNG, cut to the exact size), and `random`, incompressible bytes. Every
//! input is first checked to compress to identical bytes with both. The paired section times a
//! batch of each back to back, alternating the order, over 41 rounds and prints the median of
//! the per-round ratios lz4_flex / ours (> 1: ours is faster), which holds up on a shared machine.

use std::hint::black_box;
use std::time::Duration;

use cachekit::Value;
use criterion::{Criterion, Throughput};

mod common;
use common::{Prng, paired_ratio};

const NAMES: &[&str] = &["alice", "bruno", "chen", "dagny", "emeka", "farah", "gustav", "hana", "ivan", "jun"];
const WORDS: &[&str] = &["cache", "rust", "python", "tiny", "tools", "coffee", "maps", "garden", "lead", "writer"];
const CITIES: &[&str] = &["Lisbon", "Osaka", "Nairobi", "Lima", "Oslo", "Austin"];

/// StandardSerializer bytes of user-like records, cut to exactly `len` bytes.
fn msgpack(len: usize) -> Vec<u8> {
    let mut rng = Prng(0x9e37_79b9_7f4a_7c15);
    let mut records = Vec::new();
    let mut bytes = Vec::new();
    while bytes.len() < len {
        for i in 0..64 {
            let name = rng.pick(NAMES);
            let bio: Vec<&str> = (0..4 + rng.next() % 12).map(|_| rng.pick(WORDS)).collect();
            records.push(Value::map([
                ("id", Value::Int(1_000_000 + i128::from(i) + i128::from(rng.next() % 7))),
                ("name", Value::from(format!("{name}.{}", rng.next() % 1000))),
                ("email", Value::from(format!("{name}{}@example.com", rng.next() % 1000))),
                ("api_token", Value::from(format!("{:016x}{:016x}", rng.next(), rng.next()))),
                (
                    "created_at",
                    Value::from(format!("2024-{:02}-{:02}T10:00:00+00:00", 1 + rng.next() % 12, 1 + rng.next() % 28)),
                ),
                ("score", Value::Float((rng.next() % 100_000) as f64 / 100.0)),
                ("active", Value::Bool(rng.next() % 10 != 0)),
                ("bio", Value::from(bio.join(" "))),
                (
                    "address",
                    Value::map([
                        ("city", Value::from(rng.pick(CITIES))),
                        ("zip", Value::from(format!("{:05}", rng.next() % 100_000))),
                    ]),
                ),
            ]));
        }
        bytes = cachekit::serializer::encode(&Value::Array(records.clone())).unwrap();
    }
    bytes.truncate(len);
    bytes
}

fn random(len: usize) -> Vec<u8> {
    let mut rng = Prng(0x0123_4567_89ab_cdef);
    (0..len).map(|_| rng.next() as u8).collect()
}

fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for (label, len) in [("1KiB", 1024), ("64KiB", 64 * 1024), ("1MiB", 1024 * 1024)] {
        v.push((format!("msgpack/{label}"), msgpack(len)));
        v.push((format!("random/{label}"), random(len)));
    }
    v
}

fn main() {
    let inputs = inputs();
    for (label, input) in &inputs {
        let ours = cachekit::lz4::compress(input);
        assert!(ours == lz4_flex::block::compress(input), "{label}: blocks differ");
        println!("{label}: {} -> {} bytes", input.len(), ours.len());
    }
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.is_empty() {
        println!("== paired A/B: median ours, median lz4_flex, median per-round ratio lz4_flex/ours ==");
        let only = std::env::var("LZ4_BENCH_ONLY").unwrap_or_default();
        for (label, input) in inputs.iter().filter(|(l, _)| l.contains(&only)) {
            let iters = (4_000_000 / (input.len() + 256)).max(3) as u32;
            let (o, f, r) = paired_ratio(
                iters,
                || drop(black_box(cachekit::lz4::compress(black_box(input)))),
                || drop(black_box(lz4_flex::block::compress(black_box(input)))),
            );
            println!("{label:16} ours {o:>12.0} ns  lz4_flex {f:>12.0} ns  ratio {r:.3}");
        }
    }
    if std::env::var_os("LZ4_BENCH_PAIRED_ONLY").is_some() {
        return;
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    for (label, input) in &inputs {
        let mut g = c.benchmark_group(format!("lz4_compress/{label}"));
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function("ours", |b| b.iter(|| cachekit::lz4::compress(black_box(input))));
        g.bench_function("lz4_flex", |b| b.iter(|| lz4_flex::block::compress(black_box(input))));
        g.finish();
    }
    c.final_summary();
}
