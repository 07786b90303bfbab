//! PHP leaving a call early, and what the cache does about it.
//!
//! * `exit()` / `die` (and a fiber's graceful exit) is an internal "unwind exit" object left in
//!   `EG(exception)`: it is no `Throwable`, so it is never inspected, caught or replaced; the
//!   cache abandons its operation and returns with it still pending, and PHP goes on unwinding
//!   (shutdown functions run, the exit code is kept).
//! * A bailout (a fatal error, `memory_limit`, `max_execution_time`) is a `longjmp` past every
//!   Rust frame up to the nearest `zend_try`. [`catch_bailout`] is such a frame: the cache
//!   abandons its operation there and re-raises the bailout.
//! * [`Computing`] is the set of keys this request is computing, so a `remember()` of the same
//!   key inside its own callback computes directly instead of waiting on itself.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;

use ext_php_rs::ffi::zend_object;
use ext_php_rs::zend::{BailoutGuard, CatchError, ExecutorGlobals, try_catch};

unsafe extern "C" {
    fn zend_is_unwind_exit(ex: *const zend_object) -> bool;
    fn zend_is_graceful_exit(ex: *const zend_object) -> bool;
}

/// True when PHP is unwinding for `exit()` / `die` or a graceful exit (the pending "exception"
/// must stay pending, untouched).
pub fn exiting() -> bool {
    let ex = ExecutorGlobals::get().exception;
    // SAFETY: a non-null EG(exception) is a live object owned by the engine.
    !ex.is_null() && unsafe { zend_is_unwind_exit(ex) || zend_is_graceful_exit(ex) }
}

/// Runs `f` with no exception pending (PHP calls do nothing while one is), then puts the
/// pending one back. Whatever `f` left pending is discarded, except an `exit()`, which stays
/// (and replaces the one set aside, as it would have had PHP run the code itself).
pub fn with_exception_set_aside<T>(f: impl FnOnce() -> T) -> T {
    let saved = {
        let mut g = ExecutorGlobals::get_mut();
        std::mem::replace(&mut g.exception, std::ptr::null_mut())
    };
    let r = f();
    if exiting() {
        if !saved.is_null() {
            // SAFETY: `saved` was EG(exception), a reference we took over and now release.
            drop(unsafe { ext_php_rs::boxed::ZBox::from_raw(saved) });
        }
    } else {
        drop(ExecutorGlobals::take_exception());
        ExecutorGlobals::get_mut().exception = saved;
    }
    r
}

/// How PHP code left a [`catch_bailout`] frame early.
pub enum Interrupted {
    /// A bailout (fatal error, memory or time limit).
    Bailout,
    /// A Rust panic, with its message.
    Panic(String),
}

impl Interrupted {
    /// Goes on leaving: re-raises the bailout to the next `zend_try`, or resumes the panic
    /// (the function handler turns it into a PHP `Error`).
    pub fn resume(self) -> ! {
        match self {
            // SAFETY: every frame between here and the handler's `zend_try` holds only values
            // whose leak is harmless (the engine reclaims request memory).
            Interrupted::Bailout => unsafe { ext_php_rs::zend::bailout() },
            Interrupted::Panic(m) => std::panic::resume_unwind(Box::new(m)),
        }
    }
}

/// Runs `f` (which calls into PHP) under a `zend_try`: `Err` when it bailed out or panicked.
pub fn catch_bailout<T>(f: impl FnOnce() -> T) -> Result<T, Interrupted> {
    match try_catch(AssertUnwindSafe(f)) {
        Ok(v) => Ok(v),
        Err(CatchError::Bailout) => Err(Interrupted::Bailout),
        Err(CatchError::Panic(m)) => Err(Interrupted::Panic(m)),
        Err(e) => Err(Interrupted::Panic(e.to_string())),
    }
}

thread_local! {
    /// (engine address, key) of every `remember`/`interop` this request is running.
    static COMPUTING: RefCell<Vec<(usize, String)>> = const { RefCell::new(Vec::new()) };
}

/// A key this request is running `remember`/`interop` for; dropped (also by a bailout) when
/// the call ends.
pub struct Computing(usize, String);

impl Computing {
    /// True when this request is already inside `remember`/`interop` of `key` on `engine`.
    pub fn contains(engine: usize, key: &str) -> bool {
        COMPUTING.with(|c| c.borrow().iter().any(|(e, k)| *e == engine && k == key))
    }

    /// Marks `key` as being computed by this request until the guard drops.
    pub fn enter(engine: usize, key: &str) -> BailoutGuard<Computing> {
        COMPUTING.with(|c| c.borrow_mut().push((engine, key.to_owned())));
        BailoutGuard::new(Computing(engine, key.to_owned()))
    }

    /// Forgets every key (request shutdown).
    pub fn clear() {
        COMPUTING.with(|c| c.borrow_mut().clear());
    }
}

impl Drop for Computing {
    fn drop(&mut self) {
        COMPUTING.with(|c| {
            let mut c = c.borrow_mut();
            if let Some(i) = c.iter().rposition(|(e, k)| *e == self.0 && *k == self.1) {
                c.remove(i);
            }
        });
    }
}
