//! Where the cache-layer failures a `Cachekit\Cache` absorbs are reported: the `on_error`
//! callable, else the `logger`'s `warning()` (a PSR-3 logger), else nowhere (they are counted in
//! the metrics either way). The same failures as the Node SDK's `onError`: Redis errors and
//! timeouts the call takes in its stride, entries that could not be decoded, verified or
//! decrypted, computed values that cannot be cached, fill locks given up on, and refusals by the
//! breaker or backpressure (at most one report a second per engine: an open breaker refuses
//! every call). Failures thrown to the caller (`delete()` without Redis, …) are not reported.

use std::collections::HashMap;
use std::sync::Mutex;

use cachekit::engine::{Command, Op, Reply};
use cachekit::time::Millis;
use cachekit::{Error, ErrorKind};
use ext_php_rs::convert::IntoZval;
use ext_php_rs::types::{ZendCallable, ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::{ClassEntry, ExecutorGlobals};

use crate::errors::{R, ck_err, exception_parts};
use crate::unwind;

/// How often refusals are reported, at most (the Node SDK's interval).
const REFUSAL_REPORT_MS: Millis = 1000;

/// Per engine (by address; engines live as long as the process): refusals not reported yet,
/// and when the last report went out.
type RefusalLog = HashMap<usize, (u64, Option<Millis>)>;

/// This process's [`RefusalLog`], shared by each engine's caches and requests, as its breaker is.
static REFUSALS: Mutex<Option<RefusalLog>> = Mutex::new(None);

/// Which call a failure happened in, for the report's context array.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The cache method: `get`, `set`, `remember`, `interop`, `invalidate`, `refresh`, …
    pub operation: &'static str,
    /// The Redis key of the call, when it has one.
    pub key: Option<&'a str>,
}

impl<'a> Context<'a> {
    /// The context of a call on one key.
    pub fn of(operation: &'static str, key: &'a str) -> Context<'a> {
        Context { operation, key: Some(key) }
    }
}

/// The receiver of a cache's failure reports.
pub enum Reporter {
    /// Nobody listens: failures are only counted.
    Silent,
    /// `on_error(Cachekit\Exception $error, array $context)`, as a `Closure`.
    OnError(Zval),
    /// The logger's `warning(string $message, array $context)`, as a `Closure`.
    Logger(Zval),
}

/// `Closure::fromCallable($f)`, made where the option was given: a private method of the
/// caller's class stays callable from wherever the cache later reports, and a `__call` logger
/// is reached.
fn closure(f: &Zval, option: &str) -> R<Zval> {
    let refused = |got: &Zval| {
        ck_err(
            ErrorKind::InvalidArgument,
            format!("option {option} must be callable, got {}", crate::args::type_name(got)),
        )
    };
    let from_callable = ZendCallable::try_from_name("Closure::fromCallable").map_err(|_| refused(f))?;
    let made = from_callable.try_call(vec![f]);
    if ExecutorGlobals::take_exception().is_some() {
        return Err(refused(f));
    }
    made.ok().filter(Zval::is_object).ok_or_else(|| refused(f))
}

impl Reporter {
    /// Reads the `on_error` and `logger` options (`on_error` wins when both are given).
    pub fn from_options(on_error: Option<&Zval>, logger: Option<&Zval>) -> R<Reporter> {
        if let Some(f) = on_error {
            return Ok(Reporter::OnError(closure(f, "on_error")?));
        }
        if let Some(l) = logger {
            let refused = || {
                ck_err(
                    ErrorKind::InvalidArgument,
                    format!(
                        "option logger must be an object with a warning(string, array) method (a PSR-3 logger), got {}",
                        crate::args::type_name(l)
                    ),
                )
            };
            if !l.is_object() {
                return Err(refused());
            }
            let mut method = ZendHashTable::new();
            let _ = method.push(l.shallow_clone());
            let _ = method.push("warning");
            let method = method.into_zval(false).map_err(|_| refused())?;
            return closure(&method, "logger").map(Reporter::Logger).map_err(|_| refused());
        }
        Ok(Reporter::Silent)
    }

    /// Reports what the engine took in its stride since the last look: a failure it absorbed
    /// at once, a refusal at most once a second per engine (`engine`: its address).
    pub fn step(&self, op: &mut Op, engine: usize, now: Millis, ctx: Context<'_>) {
        let (absorbed, rejected) = (op.take_absorbed(), op.take_rejected());
        if matches!(self, Reporter::Silent) {
            return;
        }
        if let Some(e) = absorbed {
            self.failure(&e, ctx, None);
        }
        if let Some(e) = rejected {
            let n = {
                let mut g = REFUSALS.lock().unwrap_or_else(|p| p.into_inner());
                let (count, last) = g.get_or_insert_with(HashMap::new).entry(engine).or_insert((0, None));
                *count += 1;
                if last.is_some_and(|at| now.saturating_sub(at) < REFUSAL_REPORT_MS) {
                    return;
                }
                *last = Some(now);
                std::mem::take(count)
            };
            let e = if n > 1 {
                Error::new(e.kind(), format!("{} ({n} refusals since the last report)", e.message()))
            } else {
                e
            };
            self.failure(&e, ctx, None);
        }
    }

    /// The failure a Redis reply says, if it is one (an error reply, a timeout).
    pub fn reply_failure(cmd: &Command, reply: &Reply) -> Option<Error> {
        match reply {
            Reply::Error(msg) => Some(Error::new(ErrorKind::Backend, format!("{}: {msg}", cmd.name()))),
            Reply::Timeout => Some(Error::new(ErrorKind::Timeout, format!("{} did not answer in time", cmd.name()))),
            _ => None,
        }
    }

    /// Hands one failure to the hook, as the exception the cache would have thrown (made, not
    /// thrown: error trackers hooked on throws do not see it). Whatever the hook throws is
    /// discarded (a failing logger must not fail the cache call); an `exit()` in it stays
    /// pending, the caller sees it through [`unwind::exiting`], and no hook runs after it.
    pub fn failure(&self, e: &Error, ctx: Context<'_>, command: Option<&'static str>) {
        let hook = match self {
            Reporter::Silent => return,
            Reporter::OnError(f) | Reporter::Logger(f) => f,
        };
        if unwind::exiting() {
            return;
        }
        let (class, text, code) = exception_parts(e);
        unwind::with_exception_set_aside(|| {
            let Some(error) = exception_object(class, &text, code) else { return };
            let mut context = ZendHashTable::new();
            let _ = context.insert("operation", ctx.operation);
            let _ = context.insert("key", ctx.key.map(str::to_owned));
            let _ = context.insert("command", command);
            let Ok(hook) = ZendCallable::new(hook) else { return };
            if let Reporter::Logger(_) = self {
                let message = match ctx.key {
                    Some(k) => format!("cachekit: {} {k}: {text}", ctx.operation),
                    None => format!("cachekit: {}: {text}", ctx.operation),
                };
                // PSR-3: a Throwable goes under the context's "exception" key.
                let _ = context.insert("exception", error);
                let _ = hook.try_call(vec![&message, &context]);
            } else {
                let _ = hook.try_call(vec![&error, &context]);
            }
        });
    }
}

/// A new exception of `class` (file, line and trace: the calling PHP code's).
fn exception_object(class: &ClassEntry, message: &str, code: i32) -> Option<Zval> {
    let object = ZendObject::new(class);
    let _ = object.try_call_method("__construct", vec![&message, &i64::from(code)]);
    if ExecutorGlobals::has_exception() {
        return None;
    }
    object.into_zval(false).ok()
}
