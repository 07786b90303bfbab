//! What the engine's per-call work costs when it runs cold, as it does in a binding that waits
//! for Redis between calls (docs/bench-node.md, "L2 hit").
//!
//! Each iteration does one real `GET` on a running redis-server, touches `MB` megabytes of other
//! memory (the caches a JavaScript runtime, its Redis client and the kernel use between two
//! calls), and then, in the `engine` rows, runs the engine's work for an L2 hit: start a `get`,
//! feed it a stored entry, take the hit as JSON text. The difference between the rows is that
//! work, cold.
//!
//! ```text
//! redis-server --port 6399 --save '' &
//! cargo run --release -p cachekit --example cold_engine -- 6399 0 2 8
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use cachekit::Value;
use cachekit::engine::{Action, Engine, EngineConfig, Outcome, Reply, Request};
use cachekit::entry::{self, EntryOptions};

/// CPU time of this thread so far, in µs (Linux: `/proc/thread-self/schedstat`).
fn cpu_us() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e3)
}

fn run(redis: &mut TcpStream, engine: Option<(&Engine, &[u8])>, junk: &mut [u8], n: u32) -> (f64, Option<f64>) {
    let mut buf = [0u8; 4096];
    let epoch = Instant::now();
    let (c0, t0) = (cpu_us(), Instant::now());
    for _ in 0..n {
        redis.write_all(b"*2\r\n$3\r\nGET\r\n$9\r\ncold:demo\r\n").expect("write to redis");
        let _ = redis.read(&mut buf).expect("read from redis");
        for i in (0..junk.len()).step_by(64) {
            junk[i] = junk[i].wrapping_add(1);
        }
        if let Some((engine, stored)) = engine {
            let now = epoch.elapsed().as_millis() as u64;
            let (mut op, step) = engine.get(Request::new("cold:demo"), now);
            assert!(matches!(step.action, Action::Send(_)), "a plain read");
            let step = op.on_reply(engine, Reply::Bytes(stored.to_vec()), now);
            let Action::Done(Outcome::HitJson { json, .. }) = step.action else { panic!("a JSON hit") };
            std::hint::black_box(json);
        }
    }
    let wall = t0.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let cpu = c0.zip(cpu_us()).map(|(a, b)| (b - a) / f64::from(n));
    (wall, cpu)
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect("usage: cold_engine PORT [MB...]");
    let sizes: Vec<usize> = args.map(|m| m.parse().expect("MB")).collect();
    let mut redis = TcpStream::connect(("127.0.0.1", port)).expect("a redis-server on that port");
    redis.set_nodelay(true).expect("nodelay");
    let mut config = EngineConfig { json_hits: true, l1: None, ..EngineConfig::default() };
    config.lock = None;
    let engine = Engine::new(config, None).expect("engine");
    let user = Value::map([
        ("id", 42i64.into()),
        ("name", "alice".into()),
        ("email", "alice@example.com".into()),
        ("roles", Value::Array(vec!["admin".into(), "dev".into(), "ops".into()])),
        ("active", true.into()),
        ("score", Value::Float(97.5)),
    ]);
    let stored = entry::encode(&user, &EntryOptions::new(engine.config().mode, "cold:demo")).expect("encode");
    redis.write_all(b"*3\r\n$3\r\nSET\r\n$9\r\ncold:demo\r\n$1\r\nx\r\n").expect("write to redis");
    let _ = redis.read(&mut [0u8; 64]).expect("read from redis");
    let (n, rounds) = (5_000, 9);
    println!("{:>4} {:>12} {:>14} {:>14}", "MB", "GET µs wall", "+engine wall", "+engine CPU");
    for mb in if sizes.is_empty() { vec![0, 2, 8] } else { sizes } {
        let mut junk = vec![0u8; mb << 20];
        run(&mut redis, Some((&engine, &stored)), &mut junk, n / 10); // warm up
        // Rounds alternate the two rows, so both see the same machine; medians of the differences.
        let (mut base, mut wall, mut cpu) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (w0, c0) = run(&mut redis, None, &mut junk, n);
            let (w1, c1) = run(&mut redis, Some((&engine, &stored)), &mut junk, n);
            base.push(w0);
            wall.push(w1 - w0);
            if let (Some(a), Some(b)) = (c0, c1) {
                cpu.push(b - a);
            }
        }
        let cpu = if cpu.is_empty() { "-".to_owned() } else { format!("{:+.2}", median(&mut cpu)) };
        println!("{mb:>4} {:>12.2} {:>+14.2} {cpu:>14}", median(&mut base), median(&mut wall));
    }
}
