//! # cachekit
//!
//! The runtime-free core of the cachekit protocol: every byte of a cache entry is decided
//! here, once, for every language binding (C, Node, PHP, WASM).
//!
//! | module | holds | spec |
//! |---|---|---|
//! | [`value`] | the language-neutral [`Value`] and how bindings map onto it | — |
//! | [`temporal`] | dates, times, datetimes, ISO-8601 as Python writes it | §2 |
//! | [`msgpack`] | MessagePack primitives, the bounded reader and pre-scan | §2, §5a |
//! | [`serializer`] | StandardSerializer (default-mode values) | §2 |
//! | [`canonical`] | canonical interop/v1 encoder (args and value profiles), interop reader | §5 |
//! | [`envelope`] | ByteStorage envelope: LZ4 block + xxh3-64, limits, bomb check | §3 |
//! | [`lz4`] | the LZ4 block compressor: lz4_flex's 64-bit output on every target | §3 |
//! | [`keys`] | default-mode and interop cache keys | §4, §5 |
//! | [`crypto`] | master keys, HKDF tenant keys, AAD v0x03, AES-256-GCM, nonces, keyring | §6 |
//! | [`entry`] | the one entry codec: value + options ⇄ stored bytes | §1 |
//! | [`js_json`] | a value, or a stored MessagePack document, as JSON text for the JS bindings | — |
//! | [`python_frame`] | cachekit-py `CK` frames: detect, refuse, inspect | §7 |
//! | [`ttl`] | TTL validation and rounding, intent presets, the TTL-refresh-on-hit rule | §8 |
//! | [`stampede`] | in-process single-flight table, distributed fill-lock state machine and release script | §8 |
//! | [`refresh`] | early refresh: XFetch, stale-while-revalidate, TTL refresh on hit | §8 |
//! | [`l1`] | the in-process L1 cache of stored entry bytes: byte budget, SIEVE, expiry, tags | §8, §9 |
//! | [`error`] | the one error type with stable codes | — |
//! | [`time`] | the time type every state machine takes as an argument | — |
//! | [`breaker`] | circuit breaker (closed → open → half-open), Redis error classification | §9 |
//! | [`backpressure`] | concurrency limiter with a bounded FIFO wait queue | §9 |
//! | [`adaptive_timeout`] | sliding-window latency percentiles and the proposed call timeout | §9 |
//! | [`metrics`] | atomic counters, gauges, latency histogram; Prometheus text exposition | — |
//! | [`engine`] | the sans-I/O request engine: the flow of every cache call, as commands for the binding | §8 |
//!
//! The crate performs no I/O, spawns no threads and reads no clock. The only ambient
//! resource it touches is the platform random source, for nonce instance ids and lock
//! tokens (Web Crypto on `wasm32-unknown-unknown`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adaptive_timeout;
pub mod backpressure;
pub mod breaker;
pub mod canonical;
pub mod crypto;
pub mod engine;
pub mod entry;
pub mod envelope;
pub mod error;
mod id_hash;
pub mod js_json;
pub mod keys;
pub mod l1;
pub mod lz4;
pub mod metrics;
pub mod msgpack;
pub mod python_frame;
pub mod refresh;
pub mod serializer;
pub mod stampede;
pub mod temporal;
pub mod time;
pub mod ttl;
pub mod value;

pub use error::{Error, ErrorKind, Result};
pub use value::Value;

/// The crate version, for bindings' `version()` functions.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
