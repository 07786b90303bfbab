//! `cachekit-wasm`: the cachekit core compiled to WebAssembly with wasm-bindgen.
//!
//! It exposes exactly what the napi addon of `bindings/node` exposes, under the same names,
//! so the TypeScript SDK runs unchanged on either:
//!
//! - [`engine`]: `NativeEngine`, the core's sans-I/O request engine (the TypeScript `Engine`
//!   interface of `bindings/node/ts/engine.ts`); time comes from JavaScript
//!   (`performance.now()`), randomness from `crypto.getRandomValues` (getrandom `js`).
//! - [`value`]: `WasmHost`, `js-sys` under the value mapping, option readers and engine
//!   configuration of `cachekit-js-host` (shared with the napi addon).
//! - [`primitives`]: serializers, keys, envelope, entry codec, AAD, key derivation, keyring
//!   and the cachekit-py frame inspector (the package's `protocol` namespace).
//!
//! Errors are thrown as JavaScript `Error`s whose `code` is the core's stable machine name.

pub mod engine;
pub mod js;
pub mod primitives;
pub mod value;
