//! Where the cache-layer failures a `Cachekit\Cache` absorbs are reported: the `on_error`
//! callable, else the `logger`'s `warning()` (a PSR-3 logger), else nowhere (they are counted in
//! the metrics either way). The same failures as the Node SDK's `onError`: Redis errors and
//! timeouts, entries that could not be decoded, verified or decrypted, computed values that
//! cannot be cached, fill locks given up on, and refusals by the breaker or backpressure (at
//! most one report a second per process: an open breaker refuses every call).

use std::sync::Mutex;

use cachekit::engine::{Command, Op, Reply};
use cachekit::time::Millis;
use cachekit::{Error, ErrorKind};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::types::{ZendCallable, ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::ExecutorGlobals;

use crate::errors::{R, ck_err, ck_exception};
use crate::unwind;
use ext_php_rs::exception::PhpException;

/// How often refusals are reported, at most (the Node SDK's interval).
const REFUSAL_REPORT_MS: Millis = 1000;

/// Refusals not reported yet, and when the last report went out (`None`: never), for this
/// process (an FPM worker's requests share its breaker, so they share the rate too).
static REFUSALS: Mutex<(u64, Option<Millis>)> = Mutex::new((0, None));

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
    /// `on_error(Cachekit\Exception $error, array $context)`.
    OnError(Zval),
    /// `$logger->warning(string $message, array $context)`.
    Logger(Zval),
}

impl Reporter {
    /// Reads the `on_error` and `logger` options (`on_error` wins when both are given).
    pub fn from_options(on_error: Option<&Zval>, logger: Option<&Zval>) -> R<Reporter> {
        if let Some(f) = on_error {
            if !f.is_callable() {
                return Err(ck_err(
                    ErrorKind::InvalidArgument,
                    format!("option on_error must be callable, got {}", crate::args::type_name(f)),
                ));
            }
            return Ok(Reporter::OnError(f.shallow_clone()));
        }
        if let Some(l) = logger {
            let mut method = ZendHashTable::new();
            let _ = method.push(l.shallow_clone());
            let _ = method.push("warning");
            let callable = method.into_zval(false).map_err(|e| ck_err(ErrorKind::InvalidArgument, e.to_string()))?;
            if !l.is_object() || !callable.is_callable() {
                return Err(ck_err(
                    ErrorKind::InvalidArgument,
                    format!(
                        "option logger must be an object with a warning(string, array) method (a PSR-3 logger), got {}",
                        crate::args::type_name(l)
                    ),
                ));
            }
            return Ok(Reporter::Logger(l.shallow_clone()));
        }
        Ok(Reporter::Silent)
    }

    /// Reports what the engine took in its stride since the last look: a failure it absorbed
    /// at once, a refusal at most once a second.
    pub fn step(&self, op: &mut Op, now: Millis, ctx: Context<'_>) {
        if let Some(e) = op.take_absorbed() {
            self.failure(&e, ctx, None);
        }
        if let Some(e) = op.take_rejected() {
            let n = {
                let mut g = REFUSALS.lock().unwrap_or_else(|p| p.into_inner());
                g.0 += 1;
                if g.1.is_some_and(|last| now.saturating_sub(last) < REFUSAL_REPORT_MS) {
                    return;
                }
                let n = g.0;
                *g = (0, Some(now));
                n
            };
            if n > 1 {
                let e = Error::new(e.kind(), format!("{} ({n} refusals since the last report)", e.message()));
                self.failure(&e, ctx, None);
            } else {
                self.failure(&e, ctx, None);
            }
        }
    }

    /// Reports a Redis command that failed or timed out (other replies are not failures).
    pub fn reply(&self, cmd: &Command, reply: &Reply, ctx: Context<'_>) {
        let e = match reply {
            Reply::Error(msg) => Error::new(ErrorKind::Backend, format!("{}: {msg}", cmd.name())),
            Reply::Timeout => Error::new(ErrorKind::Timeout, format!("{} did not answer in time", cmd.name())),
            _ => return,
        };
        self.failure(&e, ctx, Some(cmd.name()));
    }

    /// Hands one failure to the hook. Whatever the hook throws is discarded (a failing logger
    /// must not fail the cache call); an `exit()` in it stays pending, and the caller sees it
    /// through [`unwind::exiting`].
    fn failure(&self, e: &Error, ctx: Context<'_>, command: Option<&'static str>) {
        self.exception(ck_exception(e), ctx, command);
    }

    /// Hands one failure, as the exception the cache would have thrown, to the hook.
    pub fn exception(&self, e: PhpException, ctx: Context<'_>, command: Option<&'static str>) {
        if matches!(self, Reporter::Silent) {
            return;
        }
        let Some(error) = exception_object(e).and_then(|o| o.into_zval(false).ok()) else { return };
        let mut context = ZendHashTable::new();
        let _ = context.insert("operation", ctx.operation);
        let _ = context.insert("key", ctx.key.map(str::to_owned));
        let _ = context.insert("command", command);
        let saved = std::mem::replace(&mut ExecutorGlobals::get_mut().exception, std::ptr::null_mut());
        match self {
            Reporter::Silent => {}
            Reporter::OnError(f) => {
                if let Ok(f) = ZendCallable::new(f) {
                    let _ = f.try_call(vec![&error, &context]);
                }
            }
            Reporter::Logger(l) => {
                let text =
                    error.try_call_method("getMessage", vec![]).ok().and_then(|m| m.string()).unwrap_or_default();
                let message = match ctx.key {
                    Some(k) => format!("cachekit: {} {k}: {text}", ctx.operation),
                    None => format!("cachekit: {}: {text}", ctx.operation),
                };
                // PSR-3: a Throwable goes under the context's "exception" key.
                let _ = context.insert("exception", error);
                let _ = l.try_call_method("warning", vec![&message, &context]);
            }
        }
        if unwind::exiting() {
            if !saved.is_null() {
                // SAFETY: `saved` was EG(exception), an object reference we now own; the exit
                // replaces it, as it would have replaced it had it been thrown over it.
                drop(unsafe { ZBox::from_raw(saved) });
            }
        } else {
            drop(ExecutorGlobals::take_exception());
            ExecutorGlobals::get_mut().exception = saved;
        }
    }
}

/// The object of exception `e`, made by throwing it and taking it back.
fn exception_object(e: PhpException) -> Option<ZBox<ZendObject>> {
    unwind::with_exception_set_aside(|| {
        e.throw();
        ExecutorGlobals::take_exception()
    })
}
