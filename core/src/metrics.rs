//! Metrics: lock-free counters, gauges and a latency histogram, rendered in the Prometheus
//! text exposition format 0.0.4, so every binding serves `/metrics` with one call.
//!
//! | family | type | labels | meaning |
//! |---|---|---|---|
//! | `cachekit_hits_total` | counter | `layer` = `l1` \| `redis` | cache hits |
//! | `cachekit_misses_total` | counter | `layer` | cache misses |
//! | `cachekit_errors_total` | counter | `kind` = [`ErrorKind::name`] | errors (a series appears on its kind's first error) |
//! | `cachekit_circuit_breaker_state` | gauge | `state` = `closed` \| `open` \| `half_open` | 1 for the current state, 0 for the others |
//! | `cachekit_l1_bytes` | gauge | — | bytes held by the L1 cache |
//! | `cachekit_l1_entries` | gauge | — | entries held by the L1 cache |
//! | `cachekit_request_duration_seconds` | histogram | `le` | request latency, fixed buckets [`LATENCY_BUCKETS_SECONDS`] |
//!
//! Every [`Metrics`] may carry constant labels (e.g. `namespace="users"`), put first on each
//! of its series; [`render_all`] renders several instances under one `# HELP`/`# TYPE` per
//! family, as the format requires. Bindings add their own gauges (backpressure queue depth,
//! the adaptive timeout…) with [`ExtraGauge`]; their names get the `cachekit_` prefix.
//!
//! Updates are single relaxed atomic operations, safe from any thread. A scrape reads each
//! atomic once, so it may see a request in the histogram's count but not yet in its sum; the
//! `+Inf` bucket and `_count` are always derived from the same bucket reads, so they agree.
//!
//! Latency buckets are cachekit-py's (`DURATION_BUCKETS_MS`, 10 µs … 1 s) converted to seconds,
//! the Prometheus base unit, plus 2.5 s and 5 s so calls up to the SPEC §9 socket timeout land
//! in a finite bucket.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

use crate::breaker::BreakerState;
use crate::error::{ALL_KINDS, ErrorKind, Result, err};

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (`le`) of the request latency histogram, in seconds, ascending; `+Inf` follows.
pub const LATENCY_BUCKETS_SECONDS: [f64; 16] =
    [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The same bounds in nanoseconds, for exact integer comparisons.
const BUCKET_NS: [u64; 16] = [
    10_000,
    50_000,
    100_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
];

/// The same bounds as `le` label text.
const BUCKET_LE: [&str; 16] = [
    "0.00001", "0.00005", "0.0001", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "5",
];

const KINDS: usize = ALL_KINDS.len();

/// The largest latency one observation records, in ns (2^53, about 104 days).
const MAX_OBSERVATION_NS: u64 = 1 << 53;

/// Label names the built-in families use; constant labels may not take them.
const RESERVED_LABELS: [&str; 4] = ["layer", "kind", "state", "le"];

/// Names of the built-in families and their histogram series; extra gauges may not take them.
const BUILTIN_NAMES: [&str; 10] = [
    "cachekit_hits_total",
    "cachekit_misses_total",
    "cachekit_errors_total",
    "cachekit_circuit_breaker_state",
    "cachekit_l1_bytes",
    "cachekit_l1_entries",
    "cachekit_request_duration_seconds",
    "cachekit_request_duration_seconds_bucket",
    "cachekit_request_duration_seconds_sum",
    "cachekit_request_duration_seconds_count",
];

/// The cache layer that answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The in-process L1 cache.
    L1,
    /// Redis (L2).
    Redis,
}

impl Layer {
    /// Every layer, in label order.
    pub const ALL: [Layer; 2] = [Layer::L1, Layer::Redis];

    /// The `layer` label value: `"l1"` or `"redis"`.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::L1 => "l1",
            Layer::Redis => "redis",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// A gauge a binding adds to the exposition, e.g. its backpressure queue depth.
///
/// `name` gets the `cachekit_` prefix unless it already has it; characters outside
/// `[A-Za-z0-9_:]` become `_` (in label names, outside `[A-Za-z0-9_]`). Gauges sharing a
/// name are rendered as one family (the first non-empty `help` is its help). A gauge whose
/// name is empty or collides with a built-in family is skipped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExtraGauge<'a> {
    /// The metric name.
    pub name: &'a str,
    /// The `# HELP` text.
    pub help: &'a str,
    /// Label pairs (name, value); values are escaped when rendered.
    pub labels: &'a [(&'a str, &'a str)],
    /// The value.
    pub value: f64,
}

/// Counts of the request latency histogram at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSnapshot {
    /// Cumulative counts per bound of [`LATENCY_BUCKETS_SECONDS`], then `+Inf` (= `count`).
    pub cumulative: [u64; 17],
    /// Requests observed.
    pub count: u64,
    /// Sum of their latencies, in seconds.
    pub sum_seconds: f64,
}

/// The values of a [`Metrics`] at one moment, for bindings' `stats()` functions.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsSnapshot {
    /// Hits per layer, indexed like [`Layer::ALL`].
    pub hits: [u64; 2],
    /// Misses per layer, indexed like [`Layer::ALL`].
    pub misses: [u64; 2],
    /// Error counts of every kind seen at least once, in code order.
    pub errors: Vec<(ErrorKind, u64)>,
    /// The last breaker state set.
    pub breaker_state: BreakerState,
    /// L1 bytes gauge.
    pub l1_bytes: u64,
    /// L1 entries gauge.
    pub l1_entries: u64,
    /// The request latency histogram.
    pub latency: HistogramSnapshot,
}

#[derive(Debug)]
struct Histogram {
    /// Non-cumulative counts per bucket; the last one is above every bound.
    buckets: [AtomicU64; 17],
    sum_ns: AtomicU64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram { buckets: std::array::from_fn(|_| AtomicU64::new(0)), sum_ns: AtomicU64::new(0) }
    }

    fn observe_ns(&self, ns: u64) {
        let i = BUCKET_NS.partition_point(|&bound| bound < ns);
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = [0u64; 17];
        let mut total = 0u64;
        for (slot, bucket) in cumulative.iter_mut().zip(&self.buckets) {
            total = total.wrapping_add(bucket.load(Relaxed));
            *slot = total;
        }
        HistogramSnapshot { cumulative, count: total, sum_seconds: self.sum_ns.load(Relaxed) as f64 / 1e9 }
    }
}

/// The metrics of one cache; see the module documentation. `Send + Sync`, lock-free.
#[derive(Debug)]
pub struct Metrics {
    const_labels: Vec<(String, String)>,
    hits: [AtomicU64; 2],
    misses: [AtomicU64; 2],
    errors: [AtomicU64; KINDS],
    breaker_state: AtomicU8,
    l1_bytes: AtomicU64,
    l1_entries: AtomicU64,
    latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Zeroed metrics without constant labels (breaker state: closed).
    pub fn new() -> Metrics {
        Metrics {
            const_labels: Vec::new(),
            hits: Default::default(),
            misses: Default::default(),
            errors: std::array::from_fn(|_| AtomicU64::new(0)),
            breaker_state: AtomicU8::new(BreakerState::Closed.code()),
            l1_bytes: AtomicU64::new(0),
            l1_entries: AtomicU64::new(0),
            latency: Histogram::new(),
        }
    }

    /// Zeroed metrics whose series all carry `labels` (e.g. `[("namespace", "users")]`).
    /// Label names must match `[A-Za-z_][A-Za-z0-9_]*`, not start with `__`, be distinct and
    /// not be `layer`, `kind`, `state` or `le`; otherwise [`ErrorKind::InvalidArgument`].
    pub fn with_labels(labels: &[(&str, &str)]) -> Result<Metrics> {
        let mut const_labels: Vec<(String, String)> = Vec::with_capacity(labels.len());
        for &(name, value) in labels {
            if !is_label_name(name) || name.starts_with("__") || RESERVED_LABELS.contains(&name) {
                return err(ErrorKind::InvalidArgument, format!("invalid metrics label name {name:?}"));
            }
            if const_labels.iter().any(|(n, _)| n == name) {
                return err(ErrorKind::InvalidArgument, format!("duplicate metrics label name {name:?}"));
            }
            const_labels.push((name.to_owned(), value.to_owned()));
        }
        Ok(Metrics { const_labels, ..Metrics::new() })
    }

    /// Counts a hit answered by `layer`.
    pub fn record_hit(&self, layer: Layer) {
        self.hits[layer.index()].fetch_add(1, Relaxed);
    }

    /// Counts a miss at `layer`.
    pub fn record_miss(&self, layer: Layer) {
        self.misses[layer.index()].fetch_add(1, Relaxed);
    }

    /// Counts an error of `kind`.
    pub fn record_error(&self, kind: ErrorKind) {
        if let Some(i) = ALL_KINDS.iter().position(|&k| k == kind) {
            self.errors[i].fetch_add(1, Relaxed);
        }
    }

    /// Sets the breaker state gauge.
    pub fn set_breaker_state(&self, state: BreakerState) {
        self.breaker_state.store(state.code(), Relaxed);
    }

    /// Sets the L1 gauges.
    pub fn set_l1_usage(&self, bytes: u64, entries: u64) {
        self.l1_bytes.store(bytes, Relaxed);
        self.l1_entries.store(entries, Relaxed);
    }

    /// Records one request that took `latency_ms` (fractions allowed). Negative values count
    /// as 0, values above 2^53 ns (about 104 days) as 2^53 ns; NaN and infinities are ignored.
    pub fn observe_request(&self, latency_ms: f64) {
        if !latency_ms.is_finite() {
            return;
        }
        // `as` saturates negatives to 0; the clamp keeps the nanosecond sum far from overflow.
        self.latency.observe_ns(((latency_ms * 1e6).round() as u64).min(MAX_OBSERVATION_NS));
    }

    /// The current values.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let load2 = |a: &[AtomicU64; 2]| [a[0].load(Relaxed), a[1].load(Relaxed)];
        MetricsSnapshot {
            hits: load2(&self.hits),
            misses: load2(&self.misses),
            errors: ALL_KINDS
                .iter()
                .zip(&self.errors)
                .map(|(&k, n)| (k, n.load(Relaxed)))
                .filter(|&(_, n)| n > 0)
                .collect(),
            breaker_state: BreakerState::from_code(self.breaker_state.load(Relaxed)).unwrap_or(BreakerState::Closed),
            l1_bytes: self.l1_bytes.load(Relaxed),
            l1_entries: self.l1_entries.load(Relaxed),
            latency: self.latency.snapshot(),
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of these metrics plus `extra_gauges`;
    /// serve it with [`CONTENT_TYPE`].
    pub fn render(&self, extra_gauges: &[ExtraGauge<'_>]) -> String {
        render_all(&[self], extra_gauges)
    }
}

/// The Prometheus text exposition of several [`Metrics`] (e.g. one per namespace, told apart
/// by their constant labels) plus `extra_gauges`, with one `# HELP`/`# TYPE` per family.
pub fn render_all(metrics: &[&Metrics], extra_gauges: &[ExtraGauge<'_>]) -> String {
    let snaps: Vec<(&Metrics, MetricsSnapshot)> = metrics.iter().map(|m| (*m, m.snapshot())).collect();
    let mut out = String::with_capacity(2048 * snaps.len().max(1));

    for (name, help, pick) in
        [("cachekit_hits_total", "Cache hits, by layer.", 0), ("cachekit_misses_total", "Cache misses, by layer.", 1)]
    {
        header(&mut out, name, help, "counter");
        for (m, s) in &snaps {
            let values = if pick == 0 { s.hits } else { s.misses };
            for layer in Layer::ALL {
                sample(&mut out, name, &m.const_labels, &[("layer", layer.name())], &values[layer.index()].to_string());
            }
        }
    }

    header(&mut out, "cachekit_errors_total", "Errors, by cachekit error kind.", "counter");
    for (m, s) in &snaps {
        for (kind, n) in &s.errors {
            sample(&mut out, "cachekit_errors_total", &m.const_labels, &[("kind", kind.name())], &n.to_string());
        }
    }

    let name = "cachekit_circuit_breaker_state";
    header(&mut out, name, "Circuit breaker state: 1 for the current state, 0 for the others.", "gauge");
    for (m, s) in &snaps {
        for state in BreakerState::ALL {
            let v = if state == s.breaker_state { "1" } else { "0" };
            sample(&mut out, name, &m.const_labels, &[("state", state.name())], v);
        }
    }

    for (name, help, bytes) in [
        ("cachekit_l1_bytes", "Bytes held by the in-process L1 cache.", true),
        ("cachekit_l1_entries", "Entries held by the in-process L1 cache.", false),
    ] {
        header(&mut out, name, help, "gauge");
        for (m, s) in &snaps {
            let v = if bytes { s.l1_bytes } else { s.l1_entries };
            sample(&mut out, name, &m.const_labels, &[], &v.to_string());
        }
    }

    let name = "cachekit_request_duration_seconds";
    header(&mut out, name, "Cache request latency in seconds.", "histogram");
    for (m, s) in &snaps {
        let h = &s.latency;
        let bucket = format!("{name}_bucket");
        for (le, n) in BUCKET_LE.iter().copied().chain(["+Inf"]).zip(h.cumulative) {
            sample(&mut out, &bucket, &m.const_labels, &[("le", le)], &n.to_string());
        }
        sample(&mut out, &format!("{name}_sum"), &m.const_labels, &[], &format_value(h.sum_seconds));
        sample(&mut out, &format!("{name}_count"), &m.const_labels, &[], &h.count.to_string());
    }

    render_extra(&mut out, extra_gauges);
    out
}

fn render_extra(out: &mut String, gauges: &[ExtraGauge<'_>]) {
    let mut families: Vec<(String, Vec<&ExtraGauge<'_>>)> = Vec::new();
    for g in gauges {
        if g.name.is_empty() {
            continue;
        }
        let mut name: String =
            g.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' }).collect();
        if !name.starts_with("cachekit_") {
            name.insert_str(0, "cachekit_");
        }
        if BUILTIN_NAMES.contains(&name.as_str()) {
            continue;
        }
        match families.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(g),
            None => families.push((name, vec![g])),
        }
    }
    for (name, members) in families {
        let help = members.iter().map(|g| g.help).find(|h| !h.is_empty()).unwrap_or("");
        header(out, &name, help, "gauge");
        for g in members {
            let mut labels: Vec<(String, &str)> = Vec::with_capacity(g.labels.len());
            for &(label, value) in g.labels {
                let mut label: String =
                    label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
                if label.is_empty() {
                    continue;
                }
                if label.starts_with(|c: char| c.is_ascii_digit()) {
                    label.insert(0, '_');
                }
                if !labels.iter().any(|(l, _)| *l == label) {
                    labels.push((label, value));
                }
            }
            let labels: Vec<(&str, &str)> = labels.iter().map(|(l, v)| (l.as_str(), *v)).collect();
            sample(out, &name, &[], &labels, &format_value(g.value));
        }
    }
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    if !help.is_empty() {
        let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    }
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, const_labels: &[(String, String)], labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    let pairs = const_labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).chain(labels.iter().copied());
    let mut first = true;
    for (n, v) in pairs {
        out.push(if first { '{' } else { ',' });
        first = false;
        let _ = write!(out, "{n}=\"{}\"", escape_label_value(v));
    }
    if !first {
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// A sample value as the format writes it: `NaN`, `+Inf`, `-Inf` or a decimal number.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v == f64::INFINITY {
        "+Inf".to_owned()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else {
        v.to_string()
    }
}

/// Escapes a label value: `\` → `\\`, `"` → `\"`, newline → `\n`.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `# HELP` text: `\` → `\\`, newline → `\n` (quotes stay as they are).
pub fn escape_help(help: &str) -> String {
    let mut out = String::with_capacity(help.len());
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Metrics>();
    }

    #[test]
    fn bucket_tables_agree() {
        for ((secs, ns), le) in LATENCY_BUCKETS_SECONDS.iter().zip(BUCKET_NS).zip(BUCKET_LE) {
            assert_eq!((*secs * 1e9).round() as u64, ns);
            assert_eq!(le.parse::<f64>().unwrap(), *secs);
        }
        assert!(BUCKET_NS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn renders_exact_text() {
        let m = Metrics::with_labels(&[("namespace", "users")]).unwrap();
        m.record_hit(Layer::L1);
        m.record_hit(Layer::L1);
        m.record_hit(Layer::Redis);
        m.record_miss(Layer::Redis);
        m.record_error(ErrorKind::Timeout);
        m.record_error(ErrorKind::ChecksumMismatch);
        m.record_error(ErrorKind::Timeout);
        m.set_breaker_state(BreakerState::HalfOpen);
        m.set_l1_usage(4096, 3);
        m.observe_request(0.5); // ≤ 0.0005 s
        m.observe_request(20.0); // ≤ 0.025 s
        m.observe_request(0.01); // ≤ 0.00001 s, exactly on the bound
        let text = m.render(&[
            ExtraGauge { name: "backpressure_queued", help: "Callers waiting.", labels: &[], value: 2.0 },
            ExtraGauge { name: "adaptive_timeout_ms", help: "", labels: &[("op", "get")], value: 62.5 },
        ]);
        let expected = r#"# HELP cachekit_hits_total Cache hits, by layer.
# TYPE cachekit_hits_total counter
cachekit_hits_total{namespace="users",layer="l1"} 2
cachekit_hits_total{namespace="users",layer="redis"} 1
# HELP cachekit_misses_total Cache misses, by layer.
# TYPE cachekit_misses_total counter
cachekit_misses_total{namespace="users",layer="l1"} 0
cachekit_misses_total{namespace="users",layer="redis"} 1
# HELP cachekit_errors_total Errors, by cachekit error kind.
# TYPE cachekit_errors_total counter
cachekit_errors_total{namespace="users",kind="checksum_mismatch"} 1
cachekit_errors_total{namespace="users",kind="timeout"} 2
# HELP cachekit_circuit_breaker_state Circuit breaker state: 1 for the current state, 0 for the others.
# TYPE cachekit_circuit_breaker_state gauge
cachekit_circuit_breaker_state{namespace="users",state="closed"} 0
cachekit_circuit_breaker_state{namespace="users",state="open"} 0
cachekit_circuit_breaker_state{namespace="users",state="half_open"} 1
# HELP cachekit_l1_bytes Bytes held by the in-process L1 cache.
# TYPE cachekit_l1_bytes gauge
cachekit_l1_bytes{namespace="users"} 4096
# HELP cachekit_l1_entries Entries held by the in-process L1 cache.
# TYPE cachekit_l1_entries gauge
cachekit_l1_entries{namespace="users"} 3
# HELP cachekit_request_duration_seconds Cache request latency in seconds.
# TYPE cachekit_request_duration_seconds histogram
cachekit_request_duration_seconds_bucket{namespace="users",le="0.00001"} 1
cachekit_request_duration_seconds_bucket{namespace="users",le="0.00005"} 1
cachekit_request_duration_seconds_bucket{namespace="users",le="0.0001"} 1
cachekit_request_duration_seconds_bucket{namespace="users",le="0.0005"} 2
cachekit_request_duration_seconds_bucket{namespace="users",le="0.001"} 2
cachekit_request_duration_seconds_bucket{namespace="users",le="0.0025"} 2
cachekit_request_duration_seconds_bucket{namespace="users",le="0.005"} 2
cachekit_request_duration_seconds_bucket{namespace="users",le="0.01"} 2
cachekit_request_duration_seconds_bucket{namespace="users",le="0.025"} 3
cachekit_request_duration_seconds_bucket{namespace="users",le="0.05"} 3
cachekit_request_duration_seconds_bucket{namespace="users",le="0.1"} 3
cachekit_request_duration_seconds_bucket{namespace="users",le="0.25"} 3
cachekit_request_duration_seconds_bucket{namespace="users",le="0.5"} 3
cachekit_request_duration_seconds_bucket{namespace="users",le="1"} 3
cachekit_request_duration_seconds_bucket{namespace="users",le="2.5"} 3
cachekit_request_duration_seconds_bucket{namespace="users",le="5"} 3
cachekit_request_duration_seconds_bucket{namespace="users",le="+Inf"} 3
cachekit_request_duration_seconds_sum{namespace="users"} 0.02051
cachekit_request_duration_seconds_count{namespace="users"} 3
# HELP cachekit_backpressure_queued Callers waiting.
# TYPE cachekit_backpressure_queued gauge
cachekit_backpressure_queued 2
# TYPE cachekit_adaptive_timeout_ms gauge
cachekit_adaptive_timeout_ms{op="get"} 62.5
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        assert_eq!(escape_label_value(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label_value("line1\nline2"), r"line1\nline2");
        assert_eq!(escape_help("say \"hi\"\\\n"), r#"say "hi"\\\n"#);
        let m = Metrics::with_labels(&[("namespace", "we\"ird\\name\n")]).unwrap();
        let text = m.render(&[ExtraGauge {
            name: "x-y",
            help: "a \\ help\nline",
            labels: &[("path", "C:\\tmp\\\"q\"\n"), ("9bad-name", "v")],
            value: f64::NAN,
        }]);
        assert!(text.contains(r#"cachekit_l1_bytes{namespace="we\"ird\\name\n"} 0"#), "{text}");
        assert!(text.contains("# HELP cachekit_x_y a \\\\ help\\nline\n"), "{text}");
        assert!(text.contains(r#"cachekit_x_y{path="C:\\tmp\\\"q\"\n",_9bad_name="v"} NaN"#), "{text}");
        // Every line is a comment or `name[{labels}] value`: no raw newline leaked.
        for line in text.lines() {
            assert!(line.starts_with("# ") || line.starts_with("cachekit_"), "{line:?}");
        }
    }

    #[test]
    fn several_instances_share_headers() {
        let a = Metrics::with_labels(&[("namespace", "a")]).unwrap();
        let b = Metrics::with_labels(&[("namespace", "b")]).unwrap();
        a.record_hit(Layer::L1);
        b.record_error(ErrorKind::CircuitOpen);
        b.set_breaker_state(BreakerState::Open);
        let text = render_all(&[&a, &b], &[]);
        assert_eq!(text.matches("# TYPE cachekit_hits_total counter").count(), 1);
        assert_eq!(text.matches("# TYPE cachekit_request_duration_seconds histogram").count(), 1);
        assert!(text.contains("cachekit_hits_total{namespace=\"a\",layer=\"l1\"} 1\n"));
        assert!(text.contains("cachekit_hits_total{namespace=\"b\",layer=\"l1\"} 0\n"));
        assert!(text.contains("cachekit_errors_total{namespace=\"b\",kind=\"circuit_open\"} 1\n"));
        assert!(text.contains("cachekit_circuit_breaker_state{namespace=\"b\",state=\"open\"} 1\n"));
        assert!(text.contains("cachekit_request_duration_seconds_bucket{namespace=\"a\",le=\"+Inf\"} 0\n"));
    }

    #[test]
    fn extra_gauges_group_and_skip_collisions() {
        let m = Metrics::new();
        let text = m.render(&[
            ExtraGauge { name: "cachekit_inflight", help: "", labels: &[("ns", "a")], value: 1.0 },
            ExtraGauge { name: "l1_bytes", help: "clash", labels: &[], value: 9.0 },
            ExtraGauge { name: "", help: "", labels: &[], value: 9.0 },
            ExtraGauge {
                name: "inflight",
                help: "In flight.",
                labels: &[("ns", "b"), ("ns", "dup")],
                value: f64::INFINITY,
            },
        ]);
        let tail = text.split("cachekit_request_duration_seconds_count 0\n").nth(1).unwrap();
        assert_eq!(
            tail,
            "# HELP cachekit_inflight In flight.\n# TYPE cachekit_inflight gauge\ncachekit_inflight{ns=\"a\"} 1\ncachekit_inflight{ns=\"b\"} +Inf\n"
        );
        assert_eq!(text.matches("# TYPE cachekit_l1_bytes").count(), 1);
        assert!(text.contains("cachekit_l1_bytes 0\n"));
    }

    #[test]
    fn constant_labels_are_validated() {
        for bad in [
            &[("", "v")][..],
            &[("1a", "v")],
            &[("a-b", "v")],
            &[("__x", "v")],
            &[("le", "v")],
            &[("a", "1"), ("a", "2")],
        ] {
            assert_eq!(Metrics::with_labels(bad).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
        assert!(Metrics::with_labels(&[("_ok", "v"), ("tenant2", "")]).is_ok());
    }

    #[test]
    fn observations_and_snapshot() {
        let m = Metrics::default();
        m.observe_request(f64::NAN);
        m.observe_request(-3.0);
        m.observe_request(6_000.0);
        m.observe_request(f64::INFINITY);
        m.observe_request(1e300);
        let s = m.snapshot();
        assert_eq!(s.latency.count, 3);
        assert_eq!(s.latency.cumulative[0], 1); // the negative one, as 0
        assert_eq!(s.latency.cumulative[15], 1); // 6 s and 1e300 ms are above 5 s
        assert_eq!(s.latency.cumulative[16], 3);
        assert_eq!(s.latency.sum_seconds, (6_000_000_000u64 + (1u64 << 53)) as f64 / 1e9);
        assert_eq!(s.breaker_state, BreakerState::Closed);
        assert!(s.errors.is_empty());
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(0.25), "0.25");
    }

    #[test]
    fn concurrent_updates_are_all_counted() {
        let m = std::sync::Arc::new(Metrics::new());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for i in 0..1000 {
                        m.record_hit(if (t + i) % 2 == 0 { Layer::L1 } else { Layer::Redis });
                        m.record_error(ErrorKind::Backend);
                        m.observe_request(1.0);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let s = m.snapshot();
        assert_eq!(s.hits[0] + s.hits[1], 8000);
        assert_eq!(s.errors, vec![(ErrorKind::Backend, 8000)]);
        assert_eq!(s.latency.count, 8000);
        assert_eq!(s.latency.sum_seconds, 8.0);
    }
}
