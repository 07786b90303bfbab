//! What the two JavaScript engines of cachekit share, written once: the napi addon of
//! `bindings/node` and the WebAssembly build of `bindings/wasm` each implement [`Host`], the
//! handful of JavaScript operations needed, over their own API (Node-API, `js-sys`); the
//! value mapping, the reading of option objects and the engine configuration they describe
//! live here, so both engines accept the same values and options with the same errors.
//!
//! The value mapping, JavaScript ⇄ the core's [`Value`]:
//!
//! | JavaScript | core |
//! |---|---|
//! | `null`, `undefined` | `Nil` |
//! | `boolean` | `Bool` |
//! | `number` that is a safe integer (not `-0`) | `Int` |
//! | any other `number` (fraction, beyond ±(2^53−1), NaN, ±Infinity, `-0`) | `Float` |
//! | `bigint` | `Int` (the core refuses values outside [−2^63, 2^64−1]) |
//! | `string` (lone surrogates refused: `invalid_string`) | `Str` |
//! | `Uint8Array`, `Buffer`, `ArrayBuffer` | `Bytes` |
//! | `Array` | `Array` |
//! | plain object (own enumerable string keys, in order) | `Map` with string keys |
//! | `Map` (any keys, in order) | `Map` |
//! | `MapEntries([[k, v], …])` | `Map` exactly as listed (duplicates and order kept) |
//! | `Set` | `Set` |
//! | `Date` (UTC, millisecond precision) | aware `DateTime` |
//! | `Float(x)` | `Float` (a float with an integral value) |
//! | `IsoDateTime(text)` | `DateTime` (naive, any offset, microseconds) |
//! | `LocalDate(text)`, `LocalTime(text)` | `Date`, `Time` |
//! | `Uuid(text)` | `Uuid` |
//! | `Ext(type, data)` | `Ext` (refused by every writer) |
//!
//! Functions, symbols, class instances, typed arrays other than `Uint8Array`, and cycles are
//! refused with `unsupported_type`.
//!
//! Reading back (the *natural* form): safe integers as `number`, other integers as `bigint`,
//! floats as `number`, bytes as `Buffer` (`Uint8Array` where there is no `Buffer`), maps with
//! only string keys as plain objects (others as `Map`), datetimes as `Date` (a naive datetime
//! is read as UTC; precision below a millisecond is dropped), dates, times, UUIDs and ext
//! values as their wrapper classes. The *exact* form (for tools and the conformance runner)
//! loses nothing: every integer is a `bigint`, every float a `Float`, every map a
//! `MapEntries`, every datetime an `IsoDateTime`.
//!
//! - [`host`]: the [`Host`] trait and the kinds and classes it reports.
//! - [`read`]: JavaScript → core ([`ToCore`], [`string_arg`], [`bytes_arg`], [`to_core_list`]).
//! - [`write`](mod@write): core → JavaScript ([`ToJs`]).
//! - [`opts`]: option objects ([`Opts`]).
//! - [`profiles`]: request options and key recipes registered once ([`Profiles`]).
//! - [`config`]: the engine configuration, requests, TTLs, keyrings, key recipes and
//!   invalidation targets read from options.

pub mod config;
pub mod host;
pub mod opts;
pub mod profiles;
pub mod read;
pub mod write;

pub use cachekit::Value;
pub use host::{Class, Host, Kind};
pub use opts::Opts;
pub use profiles::Profiles;
pub use read::{ToCore, bytes_arg, string_arg, to_core_list};
pub use write::ToJs;

/// A cachekit error in the host's error type (`Err(fail(kind, message))`; not generic over
/// the result, so the WebAssembly build holds one copy).
pub fn fail<E: From<cachekit::Error>>(kind: cachekit::ErrorKind, message: impl Into<String>) -> E {
    E::from(cachekit::Error::new(kind, message.into()))
}
