//! Time as the core sees it: a number the caller passes in. The core never reads a clock,
//! so it runs unchanged in WASM, PHP and C, and tests drive time by hand.

/// Milliseconds on a monotonic clock chosen by the binding (e.g. `performance.now()`,
/// `hrtime`, `CLOCK_MONOTONIC`). Only differences matter; the origin is arbitrary.
pub type Millis = u64;
