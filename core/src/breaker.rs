//! Circuit breaker for the Redis layer (SPEC §9): closed → open → half-open → closed.
//!
//! The breaker decides; the binding calls Redis. Every call that may reach Redis asks
//! [`Breaker::try_acquire`] first, runs only with the [`Permit`] it gets, and hands the permit
//! back with the call's [`Outcome`] through [`Breaker::record`]. Time is an argument (`now`,
//! [`Millis`]), so the breaker runs unchanged in WASM and PHP and tests drive time by hand.
//!
//! Defaults are cachekit-py 0.24.1's ([`BreakerConfig::default`]):
//!
//! | state | admits | leaves when |
//! |---|---|---|
//! | closed | every call | 5 counted failures fall within a rolling 60 s → **open** |
//! | open | nothing ([`ErrorKind::CircuitOpen`]) | 30 s have passed since it opened → **half-open** on the next call |
//! | half-open | up to 3 probe calls per cycle | 3 probe successes → **closed**; any probe failure → **open** |
//!
//! Semantics kept from cachekit-py:
//!
//! - Successes never reset the failure count while closed; failures older than the window
//!   stop counting (a rolling window, not "consecutive failures").
//! - Probe slots are per half-open *cycle*, not a concurrency limit: a probe holds its slot
//!   until its outcome is recorded. A [`Outcome::Neutral`] probe (an error that says nothing
//!   about Redis health) hands its slot back for the next call.
//! - Outcomes are tied to the cycle that admitted them: a probe of an earlier cycle, or a call
//!   admitted while closed, that reports during a later half-open cycle changes nothing.
//! - A failure recorded while open changes nothing (it comes from a call admitted before the
//!   breaker opened; counting it would push the cool-down forward under steady traffic).
//! - A cycle whose probes are all out and that has neither closed nor re-opened within
//!   `open_duration` starts a fresh cycle, so probes that never report back (a cancelled
//!   promise, a killed PHP request) cannot wedge the breaker half-open forever. This is a
//!   half-open → half-open restart, counted in [`BreakerCounters::probe_cycles_restarted`],
//!   not a state change.
//!
//! Differences from cachekit-py, on purpose:
//!
//! - Every counted failure of a real Redis call counts, so the breaker opens when Redis dies
//!   after start-up (SPEC §9 note: the Python SDK only counts backend-resolution failures).
//! - Which errors count is decided by [`ErrorClass`]: transient, timeout and unknown errors
//!   count; permanent, authentication and application errors do not. Bindings classify a
//!   Redis error text with [`classify_redis_error`] or pass an [`ErrorClass`] directly.
//! - The breaker goes half-open once `open_duration` *has elapsed* (`>=`), where Python waits
//!   for strictly more; at millisecond resolution the difference is one tick.
//!
//! The breaker is `Send + Sync`: one `std::sync::Mutex` guards its state, so C and ZTS PHP can
//! share it across threads. `now` values that go backwards (two threads reading the clock and
//! racing for the lock) are tolerated: every time difference saturates at zero.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, ErrorKind, Result, err};
use crate::time::Millis;

/// Tuning of a [`Breaker`]; [`Default`] is cachekit-py 0.24.1's (SPEC §9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Counted failures within `failure_window` that open a closed breaker. Default 5.
    pub failure_threshold: u32,
    /// Length of the rolling failure window, in ms. Default 60 000.
    pub failure_window: Millis,
    /// How long the breaker stays open before it lets probes through, in ms. It also bounds
    /// a half-open cycle whose probes never report back. Default 30 000.
    pub open_duration: Millis,
    /// Probe slots per half-open cycle. Default 3.
    pub half_open_probes: u32,
    /// Probe successes of one cycle that close the breaker. Default 3.
    pub success_threshold: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            failure_window: 60_000,
            open_duration: 30_000,
            half_open_probes: 3,
            success_threshold: 3,
        }
    }
}

impl BreakerConfig {
    /// Checks the configuration: every count and duration must be positive, and a cycle must
    /// have at least `success_threshold` probe slots (fewer could never close the breaker).
    /// Fails with [`ErrorKind::InvalidArgument`].
    pub fn validate(&self) -> Result<()> {
        if self.failure_threshold == 0 {
            return err(ErrorKind::InvalidArgument, "breaker failure_threshold must be at least 1");
        }
        if self.failure_window == 0 {
            return err(ErrorKind::InvalidArgument, "breaker failure_window must be positive");
        }
        if self.open_duration == 0 {
            return err(ErrorKind::InvalidArgument, "breaker open_duration must be positive");
        }
        if self.success_threshold == 0 {
            return err(ErrorKind::InvalidArgument, "breaker success_threshold must be at least 1");
        }
        if self.half_open_probes < self.success_threshold {
            return err(
                ErrorKind::InvalidArgument,
                format!(
                    "breaker half_open_probes ({}) must be at least success_threshold ({})",
                    self.half_open_probes, self.success_threshold
                ),
            );
        }
        Ok(())
    }
}

/// The state of a [`Breaker`]. The numeric codes are cachekit-py's `CircuitState` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BreakerState {
    /// Normal operation: every call is admitted and failures are counted.
    Closed = 0,
    /// Failing fast: no call is admitted until the cool-down ends.
    Open = 1,
    /// Testing recovery: a limited number of probe calls per cycle.
    HalfOpen = 2,
}

impl BreakerState {
    /// Every state, in code order.
    pub const ALL: [BreakerState; 3] = [BreakerState::Closed, BreakerState::Open, BreakerState::HalfOpen];

    /// The stable numeric code (0 closed, 1 open, 2 half-open).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The stable machine name: `"closed"`, `"open"` or `"half_open"`.
    pub const fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    /// The state with this code, if any.
    pub const fn from_code(code: u8) -> Option<BreakerState> {
        match code {
            0 => Some(BreakerState::Closed),
            1 => Some(BreakerState::Open),
            2 => Some(BreakerState::HalfOpen),
            _ => None,
        }
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a failed call tells the breaker about Redis, as bindings report it.
///
/// The numeric codes are stable so C, PHP and WASM callers can pass them as integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorClass {
    /// Redis is unreachable or temporarily unable to serve: connection refused, reset or
    /// closed, `LOADING`, `BUSY`, `READONLY`, `MASTERDOWN`, `CLUSTERDOWN`, `TRYAGAIN`,
    /// max clients reached. Counts as a failure.
    Transient = 1,
    /// The call (or the connection attempt) exceeded its deadline. Counts as a failure.
    Timeout = 2,
    /// Redis answered but refused this request as sent: `WRONGTYPE`, syntax and other `ERR`
    /// replies, script errors, `NOSCRIPT`, `EXECABORT`, cluster redirections, and the
    /// write refusals `OOM`, `MISCONF`, `NOREPLICAS` (reads keep working, so opening the
    /// breaker would only block them too). Does not count.
    Permanent = 3,
    /// Credentials or permissions: `NOAUTH`, `WRONGPASS`, `NOPERM`, `ERR invalid password`.
    /// A configuration problem that failing fast cannot fix. Does not count.
    Auth = 4,
    /// Not a Redis problem at all: the application's own code, serialization, a cachekit
    /// usage error. Does not count.
    Application = 5,
    /// Unrecognised. Counts as a failure (conservative, as in cachekit-py).
    Unknown = 6,
}

impl ErrorClass {
    /// Every class, in code order.
    pub const ALL: [ErrorClass; 6] = [
        ErrorClass::Transient,
        ErrorClass::Timeout,
        ErrorClass::Permanent,
        ErrorClass::Auth,
        ErrorClass::Application,
        ErrorClass::Unknown,
    ];

    /// The stable numeric code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The stable machine name, e.g. `"transient"` (cachekit-py's `BackendErrorType` values,
    /// plus `"application"`).
    pub const fn name(self) -> &'static str {
        match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Permanent => "permanent",
            ErrorClass::Auth => "authentication",
            ErrorClass::Application => "application",
            ErrorClass::Unknown => "unknown",
        }
    }

    /// The class with this code, if any.
    pub const fn from_code(code: u8) -> Option<ErrorClass> {
        match code {
            1 => Some(ErrorClass::Transient),
            2 => Some(ErrorClass::Timeout),
            3 => Some(ErrorClass::Permanent),
            4 => Some(ErrorClass::Auth),
            5 => Some(ErrorClass::Application),
            6 => Some(ErrorClass::Unknown),
            _ => None,
        }
    }

    /// True when an error of this class counts toward opening the breaker.
    pub const fn counts_as_failure(self) -> bool {
        matches!(self, ErrorClass::Transient | ErrorClass::Timeout | ErrorClass::Unknown)
    }

    /// The [`ErrorKind`] a binding raises for a Redis error of this class:
    /// [`ErrorKind::Timeout`] for timeouts, [`ErrorKind::Backend`] otherwise.
    pub const fn error_kind(self) -> ErrorKind {
        match self {
            ErrorClass::Timeout => ErrorKind::Timeout,
            _ => ErrorKind::Backend,
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Classifies the text of a Redis error: a server error reply (`WRONGTYPE Operation…`,
/// optionally with the RESP `-` or a client's `ReplyError: ` prefix) or a client/transport
/// message (`connect ECONNREFUSED…`, `Connection reset by peer`, `Command timed out`).
///
/// Server replies are recognised by their first word, exactly as Redis sends it (the same
/// table redis-py uses, plus `BUSY`, `UNBLOCKED`, `MISCONF`, `NOREPLICAS`); an unlisted
/// upper-case code is a reply Redis sent, hence [`ErrorClass::Permanent`] (except `E…` words,
/// which are more likely errno names such as `ENOBUFS`). Transport messages are matched
/// case-insensitively on well-known fragments. Anything else is [`ErrorClass::Unknown`],
/// which counts as a failure.
pub fn classify_redis_error(message: &str) -> ErrorClass {
    let text = message.trim_start();
    let text = text.strip_prefix('-').unwrap_or(text);
    if let Some(class) = known_reply(text) {
        return class;
    }
    // "ReplyError: WRONGTYPE …" and similar client wrappings.
    if let Some(class) = text.split_once(": ").and_then(|(_, rest)| known_reply(rest.trim_start())) {
        return class;
    }

    let lower = text.to_ascii_lowercase();
    const TIMEOUT: &[&str] = &["timed out", "timeout", "etimedout", "deadline exceeded"];
    if TIMEOUT.iter().any(|p| lower.contains(p)) {
        return ErrorClass::Timeout;
    }
    const TRANSIENT: &[&str] = &[
        "refused",
        "reset",
        "broken pipe",
        "epipe",
        "econn",
        "ehostunreach",
        "enetunreach",
        "enotfound",
        "eai_again",
        "unreachable",
        "no route to host",
        "closed",
        "went away",
        "connection lost",
        "lost connection",
        "disconnect",
        "not connected",
        "eof",
        "read error",
        "write error",
        "socket error",
        "i/o error",
        "io error",
    ];
    if TRANSIENT.iter().any(|p| lower.contains(p)) {
        return ErrorClass::Transient;
    }
    let code = first_word(text);
    if code.len() >= 2 && !code.starts_with('E') && code.bytes().all(|b| b.is_ascii_uppercase()) {
        return ErrorClass::Permanent;
    }
    ErrorClass::Unknown
}

/// The first word of `text`, ended by whitespace or `:` (`WRONGTYPE:` in some clients).
fn first_word(text: &str) -> &str {
    let end = text.find(|c: char| c.is_whitespace() || c == ':').unwrap_or(text.len());
    &text[..end]
}

/// The class of a reply whose first word is a Redis error code this module knows.
fn known_reply(text: &str) -> Option<ErrorClass> {
    let code = first_word(text);
    let class = match code {
        "LOADING" | "BUSY" | "READONLY" | "MASTERDOWN" | "CLUSTERDOWN" | "TRYAGAIN" | "UNBLOCKED" => {
            ErrorClass::Transient
        }
        "NOAUTH" | "WRONGPASS" | "NOPERM" => ErrorClass::Auth,
        "WRONGTYPE" | "NOSCRIPT" | "EXECABORT" | "MOVED" | "ASK" | "CROSSSLOT" | "OOM" | "MISCONF" | "NOREPLICAS"
        | "NOPROTO" | "BUSYKEY" | "BUSYGROUP" | "NOGROUP" => ErrorClass::Permanent,
        "ERR" => {
            let detail = text[code.len()..].trim_start_matches(':').trim().to_ascii_lowercase();
            if detail.starts_with("max number of clients reached") {
                ErrorClass::Transient
            } else if detail.starts_with("invalid password")
                || detail.starts_with("invalid username-password")
                || detail.contains("wrong number of arguments for 'auth' command")
                || detail.starts_with("client sent auth, but no password is set")
                || (detail.starts_with("auth") && detail.contains("without any password configured"))
            {
                ErrorClass::Auth
            } else {
                ErrorClass::Permanent
            }
        }
        _ => return None,
    };
    Some(class)
}

/// How an admitted call ended, as far as the breaker is concerned.
///
/// Record the outcome of the Redis call itself, not of the whole cache operation: a value
/// that Redis returned but that fails to decode is a [`Outcome::Success`] for the breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Redis answered.
    Success,
    /// A counted failure (transient, timeout or unknown error).
    Failure,
    /// The call ended without saying anything about Redis health (permanent, auth or
    /// application error, cancellation). A half-open probe's slot is handed back.
    Neutral,
}

impl From<ErrorClass> for Outcome {
    fn from(class: ErrorClass) -> Outcome {
        if class.counts_as_failure() { Outcome::Failure } else { Outcome::Neutral }
    }
}

/// Permission to make one Redis call, from [`Breaker::try_acquire`]; hand it back with
/// [`Breaker::record`]. Deliberately neither `Clone` nor `Copy`: one call, one outcome.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "record the call's outcome with Breaker::record"]
pub struct Permit {
    cycle: u64,
    probe: bool,
}

impl Permit {
    /// True when the permit is a half-open probe.
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// The number of the latest half-open cycle when the permit was issued (0 before the
    /// first); for a probe, the cycle it belongs to.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// The permit as one integer, for bindings that cannot hold a Rust value (C, WASM).
    pub fn into_raw(self) -> u64 {
        (self.cycle << 1) | u64::from(self.probe)
    }

    /// Rebuilds a permit from [`Permit::into_raw`]. Passing the same raw value twice records
    /// the call twice; bindings must not.
    pub fn from_raw(raw: u64) -> Permit {
        Permit { cycle: raw >> 1, probe: raw & 1 == 1 }
    }
}

/// A state change, returned by the calls that caused it so bindings can log it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
}

/// Monotonic counters of a breaker's life, for health reports and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BreakerCounters {
    /// Closed → open transitions.
    pub opened: u64,
    /// Open → half-open transitions.
    pub half_opened: u64,
    /// Half-open → closed transitions.
    pub closed: u64,
    /// Half-open → open transitions (a probe failed).
    pub reopened: u64,
    /// Half-open cycles restarted because their probes never reported back.
    pub probe_cycles_restarted: u64,
    /// Manual [`Breaker::reset`] calls.
    pub resets: u64,
    /// Calls refused with [`ErrorKind::CircuitOpen`].
    pub rejected: u64,
    /// Failures counted (recorded while closed, or by a probe of the current cycle).
    pub failures: u64,
}

/// A point-in-time view of a breaker, for health endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerSnapshot {
    /// The current state.
    pub state: BreakerState,
    /// Failures recorded while closed that still fall within the rolling window ending at
    /// `now` (the ones that opened the breaker stay until it closes again).
    pub failures_in_window: u32,
    /// While open: ms until the next call is let through as a probe (0 = the next call).
    pub time_until_half_open: Option<Millis>,
    /// Probes of the current half-open cycle admitted and not yet recorded.
    pub probes_in_flight: u32,
    /// Probe slots of the current half-open cycle in use (in flight or succeeded).
    pub probes_admitted: u32,
    /// Probe successes of the current half-open cycle.
    pub probe_successes: u32,
    /// The number of the latest half-open cycle (0 before the first).
    pub cycle: u64,
    /// Lifetime counters.
    pub counters: BreakerCounters,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    /// Times of counted failures, oldest first, at most `failure_threshold` of them: the
    /// breaker only needs to know whether that many fall within the window.
    failures: VecDeque<Millis>,
    opened_at: Millis,
    half_open_since: Millis,
    cycle: u64,
    probes_admitted: u32,
    probes_in_flight: u32,
    probe_successes: u32,
    counters: BreakerCounters,
}

/// A circuit breaker; see the module documentation. `Send + Sync`.
#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::new(BreakerConfig::default()).expect("the default configuration is valid")
    }
}

impl Breaker {
    /// A closed breaker with `config`; fails with [`ErrorKind::InvalidArgument`] when the
    /// configuration is invalid (see [`BreakerConfig::validate`]).
    pub fn new(config: BreakerConfig) -> Result<Breaker> {
        config.validate()?;
        let inner = Inner {
            state: BreakerState::Closed,
            failures: VecDeque::with_capacity(config.failure_threshold as usize),
            opened_at: 0,
            half_open_since: 0,
            cycle: 0,
            probes_admitted: 0,
            probes_in_flight: 0,
            probe_successes: 0,
            counters: BreakerCounters::default(),
        };
        Ok(Breaker { config, inner: Mutex::new(inner) })
    }

    /// The configuration.
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update below is complete before any call that could panic, so a poisoned
        // lock still guards a consistent state.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Asks to make one Redis call at `now`.
    ///
    /// Closed: always a permit. Open: [`ErrorKind::CircuitOpen`] until `open_duration` has
    /// passed since it opened, then the breaker goes half-open and this call is its first
    /// probe. Half-open: a probe permit while the cycle has free slots, else
    /// [`ErrorKind::CircuitOpen`] (or a fresh cycle, when the spent one is older than
    /// `open_duration`).
    pub fn try_acquire(&self, now: Millis) -> Result<Permit> {
        let mut s = self.lock();
        match s.state {
            BreakerState::Closed => return Ok(Permit { cycle: s.cycle, probe: false }),
            BreakerState::Open => {
                let elapsed = now.saturating_sub(s.opened_at);
                if elapsed < self.config.open_duration {
                    s.counters.rejected += 1;
                    let wait = self.config.open_duration - elapsed;
                    return Err(Error::new(
                        ErrorKind::CircuitOpen,
                        format!("circuit breaker open; next probe in {wait} ms"),
                    ));
                }
                s.counters.half_opened += 1;
                Self::start_cycle(&mut s, now);
            }
            BreakerState::HalfOpen => {
                let spent = s.probes_admitted >= self.config.half_open_probes;
                if spent && now.saturating_sub(s.half_open_since) >= self.config.open_duration {
                    s.counters.probe_cycles_restarted += 1;
                    Self::start_cycle(&mut s, now);
                }
            }
        }
        if s.probes_admitted < self.config.half_open_probes {
            s.probes_admitted += 1;
            s.probes_in_flight += 1;
            Ok(Permit { cycle: s.cycle, probe: true })
        } else {
            s.counters.rejected += 1;
            Err(Error::new(ErrorKind::CircuitOpen, "circuit breaker half-open; every probe slot is in use"))
        }
    }

    fn start_cycle(s: &mut Inner, now: Millis) {
        s.state = BreakerState::HalfOpen;
        s.cycle += 1;
        s.half_open_since = now;
        s.probes_admitted = 0;
        s.probes_in_flight = 0;
        s.probe_successes = 0;
    }

    /// Records how the call of `permit` ended, at `now`; returns the state change it caused.
    ///
    /// - [`Outcome::Success`] of a probe of the current cycle counts toward
    ///   `success_threshold`; reaching it closes the breaker. Other successes change nothing.
    /// - [`Outcome::Failure`] while closed counts in the rolling window and opens the breaker
    ///   at `failure_threshold`; a probe of the current cycle re-opens it; anything else
    ///   (open, or a stale permit while half-open) changes nothing.
    /// - [`Outcome::Neutral`] hands a current-cycle probe's slot back; otherwise nothing.
    pub fn record(&self, permit: Permit, outcome: Outcome, now: Millis) -> Option<Transition> {
        let mut s = self.lock();
        let current_probe = s.state == BreakerState::HalfOpen && permit.probe && permit.cycle == s.cycle;
        match (s.state, outcome) {
            (BreakerState::HalfOpen, _) if !current_probe => None,
            (BreakerState::HalfOpen, Outcome::Success) => {
                s.probes_in_flight = s.probes_in_flight.saturating_sub(1);
                s.probe_successes += 1;
                if s.probe_successes >= self.config.success_threshold {
                    s.counters.closed += 1;
                    Some(Self::close(&mut s))
                } else {
                    None
                }
            }
            (BreakerState::HalfOpen, Outcome::Failure) => {
                s.probes_in_flight = s.probes_in_flight.saturating_sub(1);
                s.counters.failures += 1;
                s.counters.reopened += 1;
                Some(Self::open(&mut s, now))
            }
            (BreakerState::HalfOpen, Outcome::Neutral) => {
                s.probes_in_flight = s.probes_in_flight.saturating_sub(1);
                s.probes_admitted = s.probes_admitted.saturating_sub(1);
                None
            }
            (BreakerState::Closed, Outcome::Failure) => {
                s.counters.failures += 1;
                if s.failures.len() >= self.config.failure_threshold as usize {
                    s.failures.pop_front();
                }
                s.failures.push_back(now);
                let cutoff = now.saturating_sub(self.config.failure_window);
                s.failures.retain(|&t| t >= cutoff);
                if s.failures.len() >= self.config.failure_threshold as usize {
                    s.counters.opened += 1;
                    Some(Self::open(&mut s, now))
                } else {
                    None
                }
            }
            (BreakerState::Closed, _) | (BreakerState::Open, _) => None,
        }
    }

    fn open(s: &mut Inner, now: Millis) -> Transition {
        let from = s.state;
        s.state = BreakerState::Open;
        s.opened_at = now;
        s.probes_admitted = 0;
        s.probes_in_flight = 0;
        s.probe_successes = 0;
        Transition { from, to: BreakerState::Open }
    }

    fn close(s: &mut Inner) -> Transition {
        let from = s.state;
        s.state = BreakerState::Closed;
        s.failures.clear();
        s.probes_admitted = 0;
        s.probes_in_flight = 0;
        s.probe_successes = 0;
        Transition { from, to: BreakerState::Closed }
    }

    /// Forces the breaker closed (an operator's manual recovery); returns the state change,
    /// if any. Outstanding permits of an earlier cycle stay stale.
    pub fn reset(&self) -> Option<Transition> {
        let mut s = self.lock();
        s.counters.resets += 1;
        let was = s.state;
        let t = Self::close(&mut s);
        (was != BreakerState::Closed).then_some(t)
    }

    /// The current state (an open breaker whose cool-down has passed still reads open until
    /// the next [`Breaker::try_acquire`]).
    pub fn state(&self) -> BreakerState {
        self.lock().state
    }

    /// A point-in-time view at `now`. Pure: it changes no state.
    pub fn snapshot(&self, now: Millis) -> BreakerSnapshot {
        let s = self.lock();
        let cutoff = now.saturating_sub(self.config.failure_window);
        let failures_in_window = s.failures.iter().filter(|&&t| t >= cutoff).count() as u32;
        let time_until_half_open = (s.state == BreakerState::Open)
            .then(|| self.config.open_duration.saturating_sub(now.saturating_sub(s.opened_at)));
        BreakerSnapshot {
            state: s.state,
            failures_in_window,
            time_until_half_open,
            probes_in_flight: s.probes_in_flight,
            probes_admitted: s.probes_admitted,
            probe_successes: s.probe_successes,
            cycle: s.cycle,
            counters: s.counters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};

    fn small() -> BreakerConfig {
        BreakerConfig {
            failure_threshold: 3,
            failure_window: 1_000,
            open_duration: 500,
            half_open_probes: 2,
            success_threshold: 2,
        }
    }

    fn fail(b: &Breaker, now: Millis) -> Option<Transition> {
        let p = b.try_acquire(now).expect("admitted");
        b.record(p, Outcome::Failure, now)
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Breaker>();
    }

    #[test]
    fn defaults_are_cachekit_py() {
        let c = BreakerConfig::default();
        assert_eq!(
            (c.failure_threshold, c.failure_window, c.open_duration, c.half_open_probes, c.success_threshold),
            (5, 60_000, 30_000, 3, 3)
        );
        assert!(c.validate().is_ok());
        assert_eq!(Breaker::default().state(), BreakerState::Closed);
    }

    #[test]
    fn invalid_configs_are_refused() {
        let cases = [
            BreakerConfig { failure_threshold: 0, ..Default::default() },
            BreakerConfig { failure_window: 0, ..Default::default() },
            BreakerConfig { open_duration: 0, ..Default::default() },
            BreakerConfig { success_threshold: 0, ..Default::default() },
            BreakerConfig { half_open_probes: 2, success_threshold: 3, ..Default::default() },
        ];
        for c in cases {
            assert_eq!(Breaker::new(c).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
    }

    #[test]
    fn full_cycle_with_defaults() {
        let b = Breaker::default();
        for i in 0..4 {
            assert_eq!(fail(&b, i * 1_000), None);
        }
        assert_eq!(fail(&b, 4_000), Some(Transition { from: BreakerState::Closed, to: BreakerState::Open }));
        let e = b.try_acquire(4_000 + 29_999).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CircuitOpen);
        assert_eq!(b.snapshot(4_000 + 29_999).time_until_half_open, Some(1));

        let probes: Vec<Permit> = (0..3).map(|_| b.try_acquire(34_000).expect("probe")).collect();
        assert!(probes.iter().all(Permit::is_probe));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert_eq!(b.try_acquire(34_000).unwrap_err().kind(), ErrorKind::CircuitOpen);
        let snap = b.snapshot(34_000);
        assert_eq!((snap.probes_in_flight, snap.probes_admitted, snap.cycle), (3, 3, 1));

        let mut last = None;
        for p in probes {
            last = b.record(p, Outcome::Success, 34_010);
        }
        assert_eq!(last, Some(Transition { from: BreakerState::HalfOpen, to: BreakerState::Closed }));
        let c = b.snapshot(34_010).counters;
        assert_eq!((c.opened, c.half_opened, c.closed, c.reopened, c.rejected, c.failures), (1, 1, 1, 0, 2, 5));
    }

    #[test]
    fn failures_outside_the_window_do_not_count_and_successes_do_not_reset() {
        let b = Breaker::new(small()).unwrap();
        fail(&b, 0);
        fail(&b, 500);
        // A success does not reset the rolling count.
        let p = b.try_acquire(600).unwrap();
        b.record(p, Outcome::Success, 600);
        // t=1001: the failure at 0 has left the window (cutoff 1), so only 2 count.
        assert_eq!(fail(&b, 1_001), None);
        assert_eq!(b.snapshot(1_001).failures_in_window, 2);
        // The window is inclusive: at 1500 the failure at 500 still counts.
        assert_eq!(fail(&b, 1_500).map(|t| t.to), Some(BreakerState::Open));
    }

    #[test]
    fn probe_failure_reopens_and_restarts_the_cool_down() {
        let b = Breaker::new(small()).unwrap();
        (0..3).for_each(|i| {
            fail(&b, i);
        });
        assert_eq!(b.state(), BreakerState::Open);
        let p = b.try_acquire(502).unwrap();
        assert_eq!(
            b.record(p, Outcome::Failure, 600),
            Some(Transition { from: BreakerState::HalfOpen, to: BreakerState::Open })
        );
        assert!(b.try_acquire(1_099).is_err());
        assert!(b.try_acquire(1_100).unwrap().is_probe());
    }

    #[test]
    fn stale_outcomes_change_nothing() {
        let b = Breaker::new(small()).unwrap();
        let closed_permit = b.try_acquire(0).unwrap();
        (0..3).for_each(|i| {
            fail(&b, i);
        });
        // A failure recorded while open does not move the cool-down.
        let late = b.try_acquire(0);
        assert!(late.is_err());
        let first_probe = b.try_acquire(502).unwrap();
        // A call admitted while closed, reporting during half-open: ignored.
        assert_eq!(b.record(closed_permit, Outcome::Failure, 503), None);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        // Re-open through a current probe, then a new cycle.
        let second_probe = b.try_acquire(502).unwrap();
        assert!(b.record(first_probe, Outcome::Failure, 504).is_some());
        let p = b.try_acquire(1_004).unwrap();
        assert_eq!(p.cycle(), 2);
        // The previous cycle's probe cannot close or re-open this one.
        assert_eq!(b.record(second_probe, Outcome::Success, 1_005), None);
        assert_eq!(b.snapshot(1_005).probe_successes, 0);
        assert_eq!(b.record(p, Outcome::Success, 1_006), None);
        assert_eq!(b.snapshot(1_006).probe_successes, 1);
    }

    #[test]
    fn neutral_probe_hands_its_slot_back() {
        let b = Breaker::new(small()).unwrap();
        (0..3).for_each(|i| {
            fail(&b, i);
        });
        let a = b.try_acquire(600).unwrap();
        let c = b.try_acquire(600).unwrap();
        assert!(b.try_acquire(600).is_err());
        assert_eq!(b.record(a, Outcome::Neutral, 601), None);
        let d = b.try_acquire(602).unwrap();
        assert!(d.is_probe());
        b.record(c, Outcome::Success, 603);
        assert_eq!(b.record(d, Outcome::Success, 604).map(|t| t.to), Some(BreakerState::Closed));
    }

    #[test]
    fn wedged_cycle_restarts_after_open_duration() {
        let b = Breaker::new(small()).unwrap();
        (0..3).for_each(|i| {
            fail(&b, i);
        });
        let lost1 = b.try_acquire(600).unwrap();
        let _lost2 = b.try_acquire(600).unwrap();
        assert!(b.try_acquire(1_099).is_err());
        let fresh = b.try_acquire(1_100).unwrap();
        assert_eq!(fresh.cycle(), lost1.cycle() + 1);
        assert_eq!(b.snapshot(1_100).counters.probe_cycles_restarted, 1);
        assert_eq!(b.record(lost1, Outcome::Failure, 1_101), None);
        assert_eq!(b.state(), BreakerState::HalfOpen);
    }

    #[test]
    fn reset_closes_and_permits_round_trip() {
        let b = Breaker::new(small()).unwrap();
        (0..3).for_each(|i| {
            fail(&b, i);
        });
        assert_eq!(b.reset(), Some(Transition { from: BreakerState::Open, to: BreakerState::Closed }));
        assert_eq!(b.reset(), None);
        assert_eq!(b.snapshot(10).counters.resets, 2);
        for raw in [0u64, 1, 2, 3, 0xffff_ffff_fffe, 0xffff_ffff_ffff] {
            assert_eq!(Permit::from_raw(raw).into_raw(), raw);
        }
        let p = Permit { cycle: 7, probe: true };
        assert_eq!(Permit::from_raw(p.into_raw()), Permit { cycle: 7, probe: true });
    }

    #[test]
    fn time_going_backwards_is_tolerated() {
        let b = Breaker::new(small()).unwrap();
        fail(&b, 1_000);
        fail(&b, 999);
        fail(&b, 998);
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.try_acquire(0).is_err());
        assert_eq!(b.snapshot(0).time_until_half_open, Some(500));
        assert!(b.try_acquire(1_498).is_ok());
    }

    #[test]
    fn codes_and_names_round_trip() {
        for s in BreakerState::ALL {
            assert_eq!(BreakerState::from_code(s.code()), Some(s));
        }
        assert_eq!(BreakerState::from_code(3), None);
        assert_eq!(BreakerState::HalfOpen.to_string(), "half_open");
        for c in ErrorClass::ALL {
            assert_eq!(ErrorClass::from_code(c.code()), Some(c));
        }
        assert_eq!(ErrorClass::from_code(0), None);
        assert_eq!(ErrorClass::Timeout.error_kind(), ErrorKind::Timeout);
        assert_eq!(ErrorClass::Transient.error_kind(), ErrorKind::Backend);
        assert_eq!(Outcome::from(ErrorClass::Unknown), Outcome::Failure);
        assert_eq!(Outcome::from(ErrorClass::Auth), Outcome::Neutral);
        assert_eq!(Outcome::from(ErrorClass::Application), Outcome::Neutral);
    }

    #[test]
    fn redis_errors_are_classified() {
        use ErrorClass::*;
        let cases = [
            // Server replies.
            ("LOADING Redis is loading the dataset in memory", Transient),
            ("-LOADING Redis is loading the dataset in memory", Transient),
            ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", Transient),
            ("READONLY You can't write against a read only replica.", Transient),
            ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", Transient),
            ("CLUSTERDOWN The cluster is down", Transient),
            ("TRYAGAIN Multiple keys request during rehashing of slot", Transient),
            ("ERR max number of clients reached", Transient),
            ("NOAUTH Authentication required.", Auth),
            ("WRONGPASS invalid username-password pair or user is disabled.", Auth),
            ("NOPERM this user has no permissions to run the 'get' command", Auth),
            ("ERR invalid password", Auth),
            ("ERR AUTH <password> called without any password configured for the default user.", Auth),
            ("ERR Client sent AUTH, but no password is set", Auth),
            ("WRONGTYPE Operation against a key holding the wrong kind of value", Permanent),
            ("ERR syntax error", Permanent),
            ("ERR unknown command 'FOO', with args beginning with: ", Permanent),
            ("ERR timeout is not a float or out of range", Permanent),
            ("ERR Error running script (call to f_1234): @user_script:1: oops", Permanent),
            ("ERR user_script:1: Script attempted to access nonexistent global variable 'x'", Permanent),
            ("NOSCRIPT No matching script. Please use EVAL.", Permanent),
            ("EXECABORT Transaction discarded because of previous errors.", Permanent),
            ("BUSYKEY Target key name already exists.", Permanent),
            ("OOM command not allowed when used memory > 'maxmemory'.", Permanent),
            ("MOVED 3999 127.0.0.1:6381", Permanent),
            ("SOMENEWCODE something Redis 9 says", Permanent),
            ("WRONGTYPE: Operation against a key holding the wrong kind of value", Permanent),
            ("ReplyError: WRONGTYPE Operation against a key holding the wrong kind of value", Permanent),
            ("ResponseError: NOAUTH Authentication required.", Auth),
            ("Error: LOADING Redis is loading the dataset in memory", Transient),
            // Client and transport messages.
            ("connect ECONNREFUSED 127.0.0.1:6379", Transient),
            ("read ECONNRESET", Transient),
            ("Connection reset by peer", Transient),
            ("Connection refused (os error 111)", Transient),
            ("write EPIPE", Transient),
            ("Broken pipe", Transient),
            ("Connection is closed.", Transient),
            ("Socket closed unexpectedly", Transient),
            ("Redis server went away", Transient),
            ("read error on connection to 127.0.0.1:6379", Transient),
            ("getaddrinfo ENOTFOUND redis.internal", Transient),
            ("EOF", Transient),
            ("ENOBUFS", Unknown),
            ("Command timed out", Timeout),
            ("Connection timed out", Timeout),
            ("connect ETIMEDOUT 10.0.0.1:6379", Timeout),
            ("Timeout", Timeout),
            // Unrecognised.
            ("", Unknown),
            ("something odd happened", Unknown),
        ];
        for (msg, want) in cases {
            assert_eq!(classify_redis_error(msg), want, "{msg:?}");
        }
    }

    #[test]
    fn targeted_walk_reaches_every_state_and_transition() {
        use BreakerState::*;
        let b = Breaker::new(small()).unwrap();
        let mut seen = Vec::new();
        let mut step = |f: &dyn Fn(&Breaker)| {
            let before = b.state();
            f(&b);
            let after = b.state();
            if before != after {
                seen.push((before, after));
            }
        };
        for i in 0..3 {
            step(&|b| {
                fail(b, i);
            });
        }
        let probe = std::cell::Cell::new(None);
        step(&|b| probe.set(Some(b.try_acquire(502).unwrap())));
        step(&|b| {
            b.record(probe.take().unwrap(), Outcome::Failure, 502);
        });
        step(&|b| probe.set(Some(b.try_acquire(1_002).unwrap())));
        let second = b.try_acquire(1_002).unwrap();
        step(&|b| {
            b.record(probe.take().unwrap(), Outcome::Success, 1_003);
        });
        let second = std::cell::Cell::new(Some(second));
        step(&|b| {
            b.record(second.take().unwrap(), Outcome::Success, 1_003);
        });
        assert_eq!(
            seen,
            vec![(Closed, Open), (Open, HalfOpen), (HalfOpen, Open), (Open, HalfOpen), (HalfOpen, Closed)]
        );
        assert_eq!(b.state(), Closed);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Advance(Millis),
        Acquire,
        Record(usize, Outcome),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u64..400).prop_map(Op::Advance),
            4 => Just(Op::Acquire),
            3 => any::<usize>().prop_map(|i| Op::Record(i, Outcome::Failure)),
            3 => any::<usize>().prop_map(|i| Op::Record(i, Outcome::Success)),
            1 => any::<usize>().prop_map(|i| Op::Record(i, Outcome::Neutral)),
        ]
    }

    #[derive(Default)]
    struct Coverage {
        states: [bool; 3],
        transitions: std::collections::HashSet<(BreakerState, BreakerState)>,
    }

    /// Runs one op sequence against the breaker and a small reference model of the rules,
    /// checking every invariant after every step.
    fn run_ops(ops: &[Op], cov: &mut Coverage) -> std::result::Result<(), TestCaseError> {
        use BreakerState::*;
        let cfg = small();
        let b = Breaker::new(cfg.clone()).unwrap();
        let legal = [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed), (HalfOpen, Open)];
        let mut now: Millis = 0;
        let mut held: Vec<Permit> = Vec::new();
        let mut opened_at: Option<Millis> = None;
        let mut model_failures: Vec<Millis> = Vec::new();
        // Probe slots taken per cycle: admitted minus those handed back by neutral outcomes.
        let mut slots_taken: std::collections::HashMap<u64, u32> = Default::default();

        for op in ops {
            let before = b.snapshot(now);
            match op {
                Op::Advance(d) => now += d,
                Op::Acquire => {
                    let r = b.try_acquire(now);
                    match before.state {
                        Closed => prop_assert!(r.as_ref().is_ok_and(|p| !p.is_probe())),
                        Open => {
                            let due = opened_at.unwrap() + cfg.open_duration;
                            if now < due {
                                prop_assert!(r.is_err(), "admitted while open before the cool-down");
                            } else {
                                prop_assert!(r.as_ref().is_ok_and(Permit::is_probe), "no probe after the cool-down");
                            }
                        }
                        HalfOpen => {}
                    }
                    if let Ok(p) = r {
                        if p.is_probe() {
                            let n = slots_taken.entry(p.cycle()).or_default();
                            *n += 1;
                            prop_assert!(*n <= cfg.half_open_probes, "more probes than slots in cycle {}", p.cycle());
                        }
                        held.push(p);
                    }
                }
                Op::Record(i, outcome) => {
                    if held.is_empty() {
                        continue;
                    }
                    let p = held.swap_remove(i % held.len());
                    let current_probe = before.state == HalfOpen && p.is_probe() && p.cycle() == before.cycle;
                    let cycle = p.cycle();
                    let t = b.record(p, *outcome, now);
                    let after = b.state();
                    prop_assert_eq!(t.is_some(), after != before.state);
                    match (before.state, outcome) {
                        (Closed, Outcome::Failure) => {
                            model_failures.push(now);
                            model_failures.retain(|&f| f + cfg.failure_window >= now);
                            let should_open = model_failures.len() >= cfg.failure_threshold as usize;
                            prop_assert_eq!(after == Open, should_open, "model disagrees on opening");
                        }
                        (HalfOpen, Outcome::Neutral) if current_probe => {
                            *slots_taken.get_mut(&cycle).unwrap() -= 1;
                        }
                        (HalfOpen, Outcome::Failure) => prop_assert_eq!(after == Open, current_probe),
                        (Open, _) => prop_assert_eq!(after, Open, "an outcome moved an open breaker"),
                        _ => {}
                    }
                }
            }
            let after = b.snapshot(now);
            if after.state != before.state {
                let tr = (before.state, after.state);
                prop_assert!(legal.contains(&tr), "illegal transition {:?}", tr);
                cov.transitions.insert(tr);
                match after.state {
                    Open => opened_at = Some(now),
                    Closed => model_failures.clear(),
                    HalfOpen => {}
                }
            }
            cov.states[after.state.code() as usize] = true;
            if after.state == HalfOpen {
                prop_assert!(after.probes_admitted <= cfg.half_open_probes);
                prop_assert!(after.probes_in_flight <= after.probes_admitted);
            } else {
                prop_assert_eq!(after.probes_in_flight, 0);
            }
            if after.state == Open {
                prop_assert!(after.time_until_half_open.unwrap() <= cfg.open_duration);
            }
        }
        Ok(())
    }

    #[test]
    fn random_sequences_only_take_legal_transitions() {
        let mut runner = TestRunner::new(Config { cases: 512, failure_persistence: None, ..Config::default() });
        let cov = std::cell::RefCell::new(Coverage::default());
        runner.run(&prop::collection::vec(op(), 1..250), |ops| run_ops(&ops, &mut cov.borrow_mut())).unwrap();
        let cov = cov.into_inner();
        assert_eq!(cov.states, [true; 3], "not every state was reached");
        use BreakerState::*;
        for t in [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed), (HalfOpen, Open)] {
            assert!(cov.transitions.contains(&t), "transition {t:?} never happened");
        }
    }
}
