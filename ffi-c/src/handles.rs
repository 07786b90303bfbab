//! The registry of live handles: what makes the `_free` functions of the state-machine
//! handles (`ck_l1`, `ck_breaker`, `ck_limiter`, `ck_adaptive_timeout`, `ck_engine`,
//! `ck_op`) safe to call twice.
//!
//! Every handle is a `Box` handed to C as a raw pointer and recorded here with its type.
//! A `_free` first removes the `(address, type)` pair from the registry and only drops the
//! box when it was there, so freeing a handle twice, freeing a pointer that is no handle,
//! or passing a handle to another type's `_free` is detected and ignored without touching
//! the memory. The one case it cannot catch: a second free after a new handle of the same
//! type was allocated at the same address (that frees the new handle). The registry is
//! sharded by address so that creating and freeing per-request handles (`ck_op`) on many
//! threads rarely meets on one lock. Ordinary calls do not consult it: a use after free is
//! still the caller's bug, as everywhere in C.

use std::any::TypeId;
use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

const SHARDS: usize = 16;

static LIVE: [Mutex<BTreeSet<(usize, TypeId)>>; SHARDS] = [const { Mutex::new(BTreeSet::new()) }; SHARDS];

fn shard(addr: usize) -> MutexGuard<'static, BTreeSet<(usize, TypeId)>> {
    // Boxes are at least 8-byte aligned: mix the address so neighbours spread out.
    let i = (addr >> 4 ^ addr >> 10) % SHARDS;
    // The sets are consistent after every operation, so a poisoned lock is still usable.
    LIVE[i].lock().unwrap_or_else(|p| p.into_inner())
}

/// Hands `value` to C as a registered handle.
pub(crate) fn register<T: 'static>(value: Box<T>) -> *mut T {
    let p = Box::into_raw(value);
    shard(p as usize).insert((p as usize, TypeId::of::<T>()));
    p
}

/// Takes a handle back from C: `Some` only for a live handle of type `T` (which is then no
/// longer registered), `None` for NULL, a freed handle or a pointer of another kind.
///
/// # Safety
/// When `p` is registered as a `T`, it came from [`register`] and no other thread uses it.
pub(crate) unsafe fn unregister<T: 'static>(p: *mut T) -> Option<Box<T>> {
    if p.is_null() || !shard(p as usize).remove(&(p as usize, TypeId::of::<T>())) {
        return None;
    }
    // SAFETY: registered by `register::<T>` and removed exactly once (just now).
    Some(unsafe { Box::from_raw(p) })
}

/// The body of every `_free`: drops a live handle of type `T`, ignores anything else, and
/// keeps a panic in a destructor from unwinding into C.
///
/// # Safety
/// As [`unregister`].
pub(crate) unsafe fn free<T: 'static>(p: *mut T) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: forwarded contract.
        drop(unsafe { unregister(p) });
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frees_once_and_only_its_own_type() {
        let a = register(Box::new(7u32));
        let b = register(Box::new(9u64));
        unsafe {
            assert!(unregister(b.cast::<u32>()).is_none(), "another type's handle");
            assert_eq!(unregister(a).map(|v| *v), Some(7));
            assert!(unregister(a).is_none(), "twice");
            assert!(unregister(std::ptr::null_mut::<u32>()).is_none());
            assert_eq!(unregister(b).map(|v| *v), Some(9));
        }
    }
}
