//! The operations a binding has in progress, by number, for bindings whose callers hold a
//! number instead of the [`Op`] itself (the napi and WASM engines hand JavaScript an operation
//! number with every step).
//!
//! It also holds the binding's [`Pins`]: which L1 hit the latest call returned as a value is
//! decided where operations start and are fed, so both live here.

use super::{Engine, Op, Pins};
use crate::error::{Error, ErrorKind, Result};
use crate::id_hash::IdMap;

/// Operations in progress by number, and the binding's pins.
pub struct Ops {
    table: IdMap<u32, Op>,
    next: u32,
    /// L1 entries whose decoded value the binding keeps, and the hit of the last fast start.
    pub pins: Pins,
}

impl Default for Ops {
    fn default() -> Ops {
        Ops { table: IdMap::default(), next: 1, pins: Pins::new() }
    }
}

impl Ops {
    /// No operations, no pins.
    pub fn new() -> Ops {
        Ops::default()
    }

    /// Numbers an operation that just started. With `fast` the binding hands a hit back as
    /// its value, so the operation's L1 hit becomes the one [`Pins::pin_last`] pins; otherwise
    /// the last one is forgotten. The number is never 0, so its negation is another number.
    pub fn begin(&mut self, engine: &Engine, fast: bool, op: &mut Op) -> u32 {
        if fast {
            self.pins.remember(engine, op);
        } else {
            self.pins.forget_last();
        }
        let id = self.next;
        self.next = self.next.checked_add(1).unwrap_or(1);
        id
    }

    /// Takes operation `id` out to feed it (put it back with [`Ops::keep`] unless it is
    /// done); the last fast start's hit is no longer the latest call's. Fails when no such
    /// operation is in progress.
    pub fn take(&mut self, id: u32) -> Result<Op> {
        self.pins.forget_last();
        self.table
            .remove(&id)
            .ok_or_else(|| Error::new(ErrorKind::Internal, format!("unknown or finished operation {id}")))
    }

    /// Keeps operation `id` until its next step is fed.
    pub fn keep(&mut self, id: u32, op: Op) {
        self.table.insert(id, op);
    }

    /// Removes operation `id` (the caller went away), if it is in progress.
    pub fn remove(&mut self, id: u32) -> Option<Op> {
        self.table.remove(&id)
    }

    /// How many operations are in progress.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no operation is in progress.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineConfig, Request};
    use crate::ttl::Intent;

    #[test]
    fn numbers_keeps_takes_and_skips_zero() {
        let e = Engine::new(EngineConfig::for_intent(Intent::Minimal), None).unwrap();
        let mut ops = Ops::new();
        let (mut op, _) = e.get(Request::new("k"), 0);
        let id = ops.begin(&e, false, &mut op);
        assert_eq!(id, 1);
        ops.keep(id, op);
        assert_eq!(ops.len(), 1);
        assert!(ops.take(id).is_ok());
        assert_eq!(ops.take(id).unwrap_err().kind(), ErrorKind::Internal);
        assert!(ops.is_empty());
        ops.next = u32::MAX;
        let (mut op, _) = e.get(Request::new("k"), 0);
        assert_eq!(ops.begin(&e, false, &mut op), u32::MAX);
        assert_eq!(ops.begin(&e, false, &mut op), 1, "0 is skipped");
    }
}
