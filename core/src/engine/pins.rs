//! Pins: L1 entries whose decoded value a binding keeps in its own heap.
//!
//! In a binding whose values are heap objects (Node, WASM) most of an L1 hit's cost is
//! decoding: the envelope (xxHash3, LZ4), MessagePack, then building the language's
//! objects. Such a binding may keep the value it decoded from an L1 hit and hand out copies
//! of it, provided that before every use it asks whether L1 still holds *that very entry*:
//! not expired, evicted, invalidated or replaced (a replacement with equal bytes is still a
//! different entry). [`Pins`] answers with one L1 lookup and no decoding: a pin holds the
//! entry's key and a handle on its block, and [`Pins::check`] compares block identity
//! ([`EntryBytes::same_entry`]). A check that succeeds counts as an L1 hit in the metrics,
//! exactly like a decoded one.
//!
//! Never with encryption: there L1 holds only ciphertext (SPEC §8 `secure`), and a kept
//! plaintext value would be an L1 of plaintext, so [`Pins::pin`] refuses.
//!
//! The binding owns the lifetimes: a token stays valid until [`Pins::unpin`] or a failed
//! [`Pins::check`] frees it, and the binding drops its copy at the same moment. A held pin
//! keeps its entry's bytes alive after the L1 dropped them (as any [`EntryBytes`] does), so
//! the binding bounds how many it holds; [`MAX_PINS`] bounds it here too.
//!
//! ```
//! use cachekit::engine::{Engine, EngineConfig, Pins, Request};
//! use cachekit::ttl::Intent;
//! use cachekit::Value;
//! let engine = Engine::new(EngineConfig::for_intent(Intent::Minimal), None)?;
//! let req = || Request::new("ns:demo:func:f:args:1");
//! let (_, _) = engine.set(req(), &Value::Int(7), 0); // written to L1 at once
//! let (mut op, _) = engine.get(req(), 1);            // an L1 hit: decoded once
//! let mut pins = Pins::new();
//! pins.remember(&engine, &mut op);                   // the hit the binding just returned
//! let token = pins.pin_last(&engine).unwrap();
//! assert!(pins.check(&engine, token, 2));            // still that entry: reuse the value
//! let (_, _) = engine.set(req(), &Value::Int(7), 3); // replaced (equal bytes, new entry)
//! assert!(!pins.check(&engine, token, 4));           // decode again; the token is freed
//! # Ok::<(), cachekit::Error>(())
//! ```

use super::{Engine, Op};
use crate::l1::EntryBytes;
use crate::metrics::Layer;
use crate::time::Millis;

/// The most pins one [`Pins`] holds; [`Pins::pin`] refuses beyond it.
pub const MAX_PINS: usize = 1 << 20;

/// Bits of a [`PinToken`] that hold the slot index; the generation sits above them. Tokens
/// stay below 2^53, so they cross to JavaScript as exact numbers.
const INDEX_BITS: u32 = 24;
const GENERATION_MASK: u32 = (1 << 29) - 1;

/// Names one pin: its slot and the slot's generation when pinned, so a stale token never
/// names a slot's later occupant.
pub type PinToken = u64;

/// An entry an L1 hit decoded ([`super::Op::take_l1_hit`]): its key and its bytes.
#[derive(Clone, Debug)]
pub struct L1Hit {
    key: String,
    entry: EntryBytes,
}

impl L1Hit {
    pub(crate) fn new(key: String, entry: EntryBytes) -> L1Hit {
        L1Hit { key, entry }
    }

    /// The full cache key of the entry.
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[derive(Default)]
struct Slot {
    generation: u32,
    hit: Option<L1Hit>,
}

/// The L1 entries a binding keeps decoded values for (see the module documentation).
#[derive(Default)]
pub struct Pins {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    /// The L1 hit of the binding's last fast start, until [`Pins::pin_last`] or the next call.
    last: Option<L1Hit>,
}

/// A token as a JavaScript number names it; `None` for anything no token can be (negative,
/// fractional, NaN, beyond 2^53), which therefore names no pin.
pub fn token_from_js(x: f64) -> Option<PinToken> {
    (x >= 0.0 && x.fract() == 0.0 && x < (1u64 << 53) as f64).then_some(x as PinToken)
}

impl Pins {
    /// No pins.
    pub fn new() -> Pins {
        Pins::default()
    }

    /// Remembers the L1 hit `op` just decoded, if any, as the one [`Pins::pin_last`] pins
    /// (replacing an earlier one). The binding calls it after every start whose hit it hands
    /// back as a value; with an encrypting engine, which never pins, nothing is taken.
    pub fn remember(&mut self, engine: &Engine, op: &mut Op) {
        self.last = if engine.encrypted() { None } else { op.take_l1_hit() };
    }

    /// Forgets the remembered hit: the binding's latest call was not a fast start, so the
    /// value the caller holds is not that hit's.
    pub fn forget_last(&mut self) {
        self.last = None;
    }

    /// Pins the remembered hit (once); `None` when there is none or [`Pins::pin`] refuses.
    pub fn pin_last(&mut self, engine: &Engine) -> Option<PinToken> {
        let hit = self.last.take()?;
        self.pin(engine, hit)
    }

    /// Pins the entry of an L1 hit; `None` when the engine encrypts (never pinned) or
    /// [`MAX_PINS`] are held.
    pub fn pin(&mut self, engine: &Engine, hit: L1Hit) -> Option<PinToken> {
        if engine.encrypted() || self.live >= MAX_PINS {
            return None;
        }
        let index = match self.free.pop() {
            Some(i) => i as usize,
            None => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[index];
        slot.hit = Some(hit);
        self.live += 1;
        Some((u64::from(slot.generation) << INDEX_BITS) | index as u64)
    }

    /// True when L1 still holds exactly the pinned entry at `now` (counted as an L1 hit, so
    /// the binding may hand out its kept value); false otherwise, and the token is freed.
    /// An unknown or stale token is false.
    pub fn check(&mut self, engine: &Engine, token: PinToken, now: Millis) -> bool {
        let Some(index) = self.index(token) else { return false };
        let Some(hit) = self.slots[index].hit.as_ref() else { return false };
        let live = engine
            .l1
            .as_ref()
            .and_then(|l1| l1.get(&hit.key, now))
            .is_some_and(|current| current.same_entry(&hit.entry));
        if live {
            // What a decoded L1 hit records: a hit, and a request that took no time.
            engine.metrics.record_hit(Layer::L1);
            engine.metrics.observe_request(0.0);
        } else {
            self.release(index);
        }
        live
    }

    /// Frees a pin; false when the token was unknown or already freed.
    pub fn unpin(&mut self, token: PinToken) -> bool {
        match self.index(token) {
            Some(index) => {
                self.release(index);
                true
            }
            None => false,
        }
    }

    /// Pins held.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no pin is held.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Frees every pin (every token goes stale) and forgets the remembered hit.
    pub fn clear(&mut self) {
        self.last = None;
        for index in 0..self.slots.len() {
            if self.slots[index].hit.is_some() {
                self.release(index);
            }
        }
    }

    /// The slot a live token names.
    fn index(&self, token: PinToken) -> Option<usize> {
        let index = (token & ((1 << INDEX_BITS) - 1)) as usize;
        let generation = token >> INDEX_BITS;
        let slot = self.slots.get(index)?;
        (slot.hit.is_some() && u64::from(slot.generation) == generation).then_some(index)
    }

    fn release(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        slot.hit = None;
        slot.generation = (slot.generation + 1) & GENERATION_MASK;
        self.live -= 1;
        self.free.push(index as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;
    use crate::crypto::{Keyring, MasterKey};
    use crate::engine::{Action, EngineConfig, Op, Outcome, Request, Step};
    use crate::ttl::{Intent, Ttl};

    fn secs(n: i64) -> Ttl {
        Ttl::from_secs(n).unwrap()
    }

    fn engine() -> Engine {
        Engine::new(EngineConfig::for_intent(Intent::Minimal), None).unwrap()
    }

    fn set(e: &Engine, key: &str, v: i128, ttl: Ttl, now: Millis) {
        let mut req = Request::new(key);
        req.ttl = Some(ttl);
        let (_op, step) = e.set(req, &Value::Int(v), now);
        assert!(matches!(step.action, Action::Send(_)), "written to L1, then sent to Redis");
    }

    /// A `get` that hits L1, and the entry it decoded.
    fn hit(e: &Engine, key: &str, now: Millis) -> (Value, L1Hit) {
        let (mut op, step): (Op, Step) = e.get(Request::new(key), now);
        let Action::Done(Outcome::Hit { value, .. }) = step.action else { panic!("expected an L1 hit") };
        (value, op.take_l1_hit().expect("an L1 hit hands out its entry"))
    }

    fn l1_hits(e: &Engine) -> u64 {
        e.metrics().snapshot().hits[0]
    }

    #[test]
    fn a_pin_stays_valid_while_l1_holds_that_entry_and_counts_as_a_hit() {
        let e = engine();
        set(&e, "k", 1, secs(10), 0);
        let (v, h) = hit(&e, "k", 1);
        assert_eq!(v, Value::Int(1));
        assert_eq!(h.key(), "k");
        let mut pins = Pins::new();
        let t = pins.pin(&e, h).unwrap();
        let before = l1_hits(&e);
        assert!(pins.check(&e, t, 2));
        assert!(pins.check(&e, t, 8_999));
        assert_eq!(l1_hits(&e), before + 2);
        assert_eq!(pins.len(), 1);
    }

    #[test]
    fn expiry_replacement_removal_and_invalidation_end_a_pin() {
        let e = engine();
        let mut pins = Pins::new();
        // Expiry: the L1 copy lives `ttl − 1 s` (cachekit-py's rule).
        set(&e, "a", 1, secs(2), 0);
        let t = pins.pin(&e, hit(&e, "a", 0).1).unwrap();
        assert!(pins.check(&e, t, 999));
        assert!(!pins.check(&e, t, 1_000));
        // Replacement by equal bytes.
        set(&e, "b", 2, secs(60), 0);
        let t = pins.pin(&e, hit(&e, "b", 0).1).unwrap();
        set(&e, "b", 2, secs(60), 1);
        assert!(!pins.check(&e, t, 2));
        // Removal and tag invalidation.
        set(&e, "c", 3, secs(60), 0);
        let t = pins.pin(&e, hit(&e, "c", 0).1).unwrap();
        e.l1().unwrap().remove("c");
        assert!(!pins.check(&e, t, 1));
        let mut req = Request::new("d");
        req.tags = vec!["t".into()];
        let _ = e.set(req, &Value::Int(4), 0);
        let t = pins.pin(&e, hit(&e, "d", 0).1).unwrap();
        let before = l1_hits(&e);
        e.l1().unwrap().invalidate_tag("t");
        assert!(!pins.check(&e, t, 1));
        assert_eq!(l1_hits(&e), before, "a failed check counts nothing (the fallback read does)");
        assert!(pins.is_empty(), "every failed check freed its pin");
    }

    #[test]
    fn stale_and_freed_tokens_never_name_a_later_pin() {
        let e = engine();
        set(&e, "x", 1, secs(60), 0);
        set(&e, "y", 2, secs(60), 0);
        let mut pins = Pins::new();
        let tx = pins.pin(&e, hit(&e, "x", 0).1).unwrap();
        assert!(pins.unpin(tx));
        assert!(!pins.unpin(tx));
        let ty = pins.pin(&e, hit(&e, "y", 0).1).unwrap();
        assert_ne!(tx, ty, "the slot was reused under a new generation");
        assert!(!pins.check(&e, tx, 1), "the old token does not name y's pin");
        assert!(pins.check(&e, ty, 1));
        assert!(!pins.check(&e, 12_345_678, 1));
        assert!(ty < (1 << 53), "tokens are exact JavaScript numbers");
        assert_eq!(token_from_js(ty as f64), Some(ty));
        for no in [-1.0, 0.5, f64::NAN, f64::INFINITY, 2f64.powi(53)] {
            assert_eq!(token_from_js(no), None, "{no}");
        }
        pins.clear();
        assert!(pins.is_empty());
        assert!(!pins.check(&e, ty, 1));
    }

    #[test]
    fn only_the_remembered_hit_is_pinned_once() {
        let e = engine();
        set(&e, "k", 1, secs(60), 0);
        let mut pins = Pins::new();
        let (mut op, _) = e.get(Request::new("k"), 1);
        pins.remember(&e, &mut op);
        assert!(pins.pin_last(&e).is_some());
        assert!(pins.pin_last(&e).is_none(), "pinned once");
        let (mut op, _) = e.get(Request::new("k"), 1);
        pins.remember(&e, &mut op);
        pins.forget_last();
        assert!(pins.pin_last(&e).is_none(), "forgotten");
        let (mut op, _) = e.get(Request::new("missing"), 1);
        pins.remember(&e, &mut op);
        assert!(pins.pin_last(&e).is_none(), "a miss is no hit");
    }

    #[test]
    fn only_l1_hits_hand_out_an_entry_and_an_encrypting_engine_never_pins() {
        let e = engine();
        let (mut op, step) = e.get(Request::new("missing"), 0);
        assert!(matches!(step.action, Action::Send(_)), "an L1 miss reads Redis");
        assert!(op.take_l1_hit().is_none());

        let keyring = Keyring::new(&MasterKey::from_bytes(&[7; 32]).unwrap(), &[], "default").unwrap();
        let enc = Engine::new(EngineConfig::for_intent(Intent::Minimal), Some(keyring)).unwrap();
        set(&enc, "s", 1, secs(60), 0);
        let (v, h) = hit(&enc, "s", 1);
        assert_eq!(v, Value::Int(1));
        assert!(Pins::new().pin(&enc, h).is_none());
        let (mut op, _) = enc.get(Request::new("s"), 1);
        let mut pins = Pins::new();
        pins.remember(&enc, &mut op);
        assert!(pins.pin_last(&enc).is_none());
    }
}
