//! Shared pieces of the conformance tools: tagged JSON (VECTORS.md) to and from the core's
//! `Value`. Used by the vector runner (`cachekit-conformance`) and the live interop peer
//! (`cachekit-peer`).

pub mod tagged;
