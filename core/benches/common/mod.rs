//! What the benches share: the fixed-seed generator their payloads come from, and the paired
//! A/B timing that holds up on a shared machine.

/// xorshift64* with a fixed seed: the payloads are identical on every run and machine.
pub struct Prng(pub u64);

#[allow(dead_code)] // each bench uses its own subset
impl Prng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-enough in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    /// In `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The middle of `v` (the upper middle for an even length).
#[allow(dead_code)] // not every bench prints medians
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `ours` and `peer` back to back over 41 rounds (order alternating, after 3 warm-up
/// rounds), `iters` calls per batch: the median ns per call of each, and the median of the
/// per-round ratios peer / ours (> 1: ours is faster). Load that comes and goes hits both
/// sides of a round alike.
#[allow(dead_code)] // not every bench pairs
pub fn paired_ratio(iters: u32, mut ours: impl FnMut(), mut peer: impl FnMut()) -> (f64, f64, f64) {
    let time = |f: &mut dyn FnMut()| {
        let t = std::time::Instant::now();
        for _ in 0..iters {
            f();
        }
        t.elapsed().as_nanos() as f64 / f64::from(iters)
    };
    for _ in 0..3 {
        time(&mut ours);
        time(&mut peer);
    }
    let (mut ratios, mut o, mut p) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..41 {
        let (a, b) = if round % 2 == 0 {
            let a = time(&mut ours);
            (a, time(&mut peer))
        } else {
            let b = time(&mut peer);
            (time(&mut ours), b)
        };
        ratios.push(b / a);
        o.push(a);
        p.push(b);
    }
    (median(o), median(p), median(ratios))
}
