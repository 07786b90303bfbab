//! L1 hit path against quick_cache and moka: same keys, same 1 KiB values, 10k entries
//! resident, uniformly random hits; one thread, and two threads each doing the same fixed
//! number of gets (wall time); plus one thread over 64 hot keys (the hit path without
//! memory latency). Run: `cargo bench -p cachekit --bench l1`; results and
//! ratios are in docs/bench-l1.md.

mod common;
use common::median;

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use cachekit::l1::{EntryBytes, L1, L1Config, NO_EXPIRY};
use criterion::{Criterion, criterion_group};

const ENTRIES: usize = 10_000;
const VALUE_LEN: usize = 1024;
/// Length of the pre-shuffled access sequence each thread walks.
const TRACE: usize = 1 << 16;

/// A default-mode key as cachekit writes them (~90 bytes).
fn key(i: usize) -> String {
    format!("ns:bench:func:app.handlers.load_profile:args:{:064x}:1s", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn trace(seed: u64) -> Vec<usize> {
    let mut x = seed;
    (0..TRACE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % ENTRIES as u64) as usize
        })
        .collect()
}

/// The common face of the three caches for this benchmark.
trait Hit: Sync {
    /// What a hit hands out: a shared handle to the value bytes.
    type Out: std::ops::Deref<Target = [u8]>;
    fn hit(&self, key: &str) -> Option<Self::Out>;
}

impl Hit for L1 {
    type Out = EntryBytes;
    #[inline]
    fn hit(&self, key: &str) -> Option<EntryBytes> {
        self.get(key, 1)
    }
}

impl Hit for quick_cache::sync::Cache<String, Arc<[u8]>> {
    type Out = Arc<[u8]>;
    #[inline]
    fn hit(&self, key: &str) -> Option<Arc<[u8]>> {
        self.get(key)
    }
}

impl Hit for moka::sync::Cache<String, Arc<[u8]>> {
    type Out = Arc<[u8]>;
    #[inline]
    fn hit(&self, key: &str) -> Option<Arc<[u8]>> {
        self.get(key)
    }
}

struct Fixture {
    keys: Vec<String>,
    l1: L1,
    quick: quick_cache::sync::Cache<String, Arc<[u8]>>,
    moka: moka::sync::Cache<String, Arc<[u8]>>,
}

fn fixture() -> Fixture {
    let keys: Vec<String> = (0..ENTRIES).map(key).collect();
    let values: Vec<Arc<[u8]>> = (0..ENTRIES).map(|i| vec![i as u8; VALUE_LEN].into()).collect();
    let l1 = L1::with_config(L1Config::new(64 << 20)).unwrap();
    let quick = quick_cache::sync::Cache::new(2 * ENTRIES);
    let moka = moka::sync::Cache::new(2 * ENTRIES as u64);
    for (k, v) in keys.iter().zip(&values) {
        l1.insert(k, v, NO_EXPIRY, 0, &[]).unwrap();
        quick.insert(k.clone(), Arc::clone(v));
        moka.insert(k.clone(), Arc::clone(v));
    }
    moka.run_pending_tasks();
    let f = Fixture { keys, l1, quick, moka };
    for (i, k) in f.keys.iter().enumerate() {
        let resident = [f.l1.hit(k).map(|v| v[0]), f.quick.hit(k).map(|v| v[0]), f.moka.hit(k).map(|v| v[0])];
        assert_eq!(resident, [Some(i as u8); 3], "every entry must be resident");
    }
    f
}

/// Wall time for `threads` threads each doing `iters` gets, started together.
fn wall_time<C: Hit>(cache: &C, keys: &[String], traces: &[Vec<usize>], iters: u64) -> Duration {
    let barrier = Barrier::new(traces.len() + 1);
    std::thread::scope(|s| {
        for t in traces {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for i in 0..iters as usize {
                    black_box(cache.hit(&keys[t[i % TRACE]]));
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        start.elapsed()
    })
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let one = trace(0x2545_F491_4F6C_DD1D);
    let two = [trace(0x9E37_79B9_7F4A_7C15), trace(0xD1B5_4A32_D192_ED03)];

    let mut g = c.benchmark_group("get_hit_1kib_10k/1_thread");
    one_thread(&mut g, "cachekit_l1", &f.l1, &f.keys, &one);
    one_thread(&mut g, "quick_cache", &f.quick, &f.keys, &one);
    one_thread(&mut g, "moka", &f.moka, &f.keys, &one);
    g.finish();

    // The same hits over 64 keys only: everything stays in the CPU caches, so this is the
    // hit path's own cost, without the memory latency of the 10k-entry working set.
    let hot: Vec<usize> = one.iter().map(|&i| i % 64).collect();
    let mut g = c.benchmark_group("get_hit_1kib_hot64/1_thread");
    one_thread(&mut g, "cachekit_l1", &f.l1, &f.keys, &hot);
    one_thread(&mut g, "quick_cache", &f.quick, &f.keys, &hot);
    one_thread(&mut g, "moka", &f.moka, &f.keys, &hot);
    g.finish();

    let mut g = c.benchmark_group("get_hit_1kib_10k/2_threads");
    two_threads(&mut g, "cachekit_l1", &f.l1, &f.keys, &two);
    two_threads(&mut g, "quick_cache", &f.quick, &f.keys, &two);
    two_threads(&mut g, "moka", &f.moka, &f.keys, &two);
    g.finish();
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

fn one_thread<C: Hit>(g: &mut Group<'_>, name: &str, cache: &C, keys: &[String], trace: &[usize]) {
    g.bench_function(name, |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % TRACE;
            black_box(cache.hit(black_box(&keys[trace[i]])))
        })
    });
}

/// Each thread does `iters` gets; criterion gets the wall time, so the figure is the time
/// per get per thread (equal to the 1-thread figure under perfect scaling).
fn two_threads<C: Hit>(g: &mut Group<'_>, name: &str, cache: &C, keys: &[String], traces: &[Vec<usize>]) {
    g.bench_function(name, |b| b.iter_custom(|iters| wall_time(cache, keys, traces, iters)));
}

/// Interleaved rounds, printed after criterion's groups: the three caches take turns in
/// short rounds (rotating who goes first), so the noise of a shared machine lands on all of
/// them alike. Prints, per cache, the median time per get per thread over the rounds and the
/// median of the per-round ratios to quick_cache.
fn interleaved(f: &Fixture, one: &[usize], two: &[Vec<usize>]) {
    const ROUNDS: usize = 41;
    const GETS: u64 = 50_000;
    println!("\ninterleaved: {ROUNDS} rounds of {GETS} gets per thread per cache");
    println!("| workload | cachekit_l1 | quick_cache | moka | l1 / quick_cache | moka / quick_cache |");
    println!("|---|---:|---:|---:|---:|---:|");
    let hot = [one.iter().map(|&i| i % 64).collect::<Vec<_>>()];
    let one = [one.to_vec()];
    let workloads: [(&str, &[Vec<usize>]); 3] =
        [("10k random, 1 thread", &one), ("10k random, 2 threads", two), ("64 hot keys, 1 thread", &hot)];
    for (name, traces) in workloads {
        let mut ns: [Vec<f64>; 3] = Default::default();
        for r in 0..ROUNDS {
            for k in 0..3 {
                let which = (r + k) % 3;
                let d = match which {
                    0 => wall_time(&f.l1, &f.keys, traces, GETS),
                    1 => wall_time(&f.quick, &f.keys, traces, GETS),
                    _ => wall_time(&f.moka, &f.keys, traces, GETS),
                };
                ns[which].push(d.as_nanos() as f64 / GETS as f64);
            }
        }
        let ratio = |i: usize| median(ns[i].iter().zip(&ns[1]).map(|(a, b)| a / b).collect());
        let (l1, quick, moka) = (median(ns[0].clone()), median(ns[1].clone()), median(ns[2].clone()));
        println!("| {name} | {l1:.1} ns | {quick:.1} ns | {moka:.1} ns | {:.2} | {:.2} |", ratio(0), ratio(2));
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only in `cargo bench` (criterion's --bench flag), not when tests run the target.
    if std::env::args().any(|a| a == "--bench") {
        let f = fixture();
        interleaved(&f, &trace(0x2545_F491_4F6C_DD1D), &[trace(0x9E37_79B9_7F4A_7C15), trace(0xD1B5_4A32_D192_ED03)]);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
