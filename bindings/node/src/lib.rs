//! The napi-rs addon of the `cachekit` npm package.
//!
//! - [`engine`]: `NativeEngine`, the core's sans-I/O request engine driven from JavaScript
//!   (the TypeScript `Engine` interface in `ts/engine.ts` describes it).
//! - [`value`]: `NodeHost`, Node-API under the value mapping, option readers and engine
//!   configuration of `cachekit-js-host` (shared with the WebAssembly build).
//! - [`primitives`]: serializers, keys, envelope, entry codec, AAD, key derivation, keyring
//!   and the cachekit-py frame inspector, for the conformance runner and the CLI.
//!
//! Errors are thrown as JavaScript `Error`s whose `code` is the core's stable machine name
//! (`invalid_string`, `decryption_failed`, …); the TypeScript layer turns them into
//! `CachekitError` classes with the numeric code as well.

#![cfg_attr(test, allow(dead_code))]

mod engine;
mod js;
mod obj;
mod primitives;
mod value;
