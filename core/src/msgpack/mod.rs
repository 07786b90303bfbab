//! MessagePack, written and read by hand so every byte is ours to decide.
//!
//! - [`write`](mod@write): shortest-form primitives shared by every encoder.
//! - [`read`]: a bounds-checked cursor yielding one item header at a time.
//! - [`bounds`]: the structural pre-scan (depth, declared slots, completeness) that every
//!   untrusted decode runs before materialising anything (SPEC §5a).
//!
//! The value-level encoders live in [`crate::serializer`] (StandardSerializer) and
//! [`crate::canonical`] (interop/v1); the envelope in [`crate::envelope`].

pub mod bounds;
pub mod document;
pub mod read;
pub mod write;
