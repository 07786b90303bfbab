//! What the engines' option objects describe, read once for both: the engine configuration
//! (`new NativeEngine(config)`), request options, TTLs, master keys and keyrings, key recipes
//! of wrapped functions, invalidation targets, and the key and AAD specs of the `protocol`
//! primitives. The option names are the TypeScript
//! `EngineConfig`'s (`bindings/node/ts/engine.ts`).

use cachekit::adaptive_timeout::AdaptiveTimeoutConfig;
use cachekit::backpressure::LimiterConfig;
use cachekit::breaker::BreakerConfig;
use cachekit::crypto::{Aad, DEFAULT_TENANT, Keyring, MasterKey};
use cachekit::engine::{EngineConfig, Invalidate, Request};
use cachekit::entry::Mode;
use cachekit::keys::{DefaultKey, KeyRecipe};
use cachekit::l1::L1Config;
use cachekit::refresh::XFetch;
use cachekit::stampede::{LockConfig, SingleFlightConfig};
use cachekit::ttl::{Intent, Ttl, TtlRefresh};
use cachekit::{ErrorKind, Value};

use crate::fail;
use crate::host::{Host, Kind};
use crate::opts::Opts;
use crate::read::{ToCore, bytes_arg, string_arg, to_core_list};

/// A TTL option: seconds (fractions round up) or `"never"`.
pub fn ttl<H: Host>(host: &H, v: &H::V) -> Result<Ttl, H::Err> {
    match host.kind(v)? {
        Kind::Number(x) => Ok(Ttl::from_secs_f64(x)?),
        Kind::String if host.string(v)? == "never" => Ok(Ttl::Never),
        _ => Err(fail(ErrorKind::InvalidTtl, "ttl must be a number of seconds or \"never\"")),
    }
}

/// A master key given as 64 hex digits or 32 raw bytes.
pub fn master_key<H: Host>(host: &H, v: &H::V) -> Result<MasterKey, H::Err> {
    match host.kind(v)? {
        Kind::String => Ok(MasterKey::from_hex(&host.string(v)?)?),
        Kind::Object => Ok(MasterKey::from_bytes(&bytes_arg(host, v, "a master key")?)?),
        _ => Err(fail(
            ErrorKind::InvalidMasterKey,
            "a master key must be 64 hex digits (a string) or 32 bytes (a Uint8Array)",
        )),
    }
}

/// Previous (decrypt-only) master keys: an array of keys as [`master_key`] reads them; absent
/// (`undefined` or `null`) means none.
pub fn previous_keys<H: Host>(host: &H, v: &H::V) -> Result<Vec<MasterKey>, H::Err> {
    if host.kind(v)? == Kind::Nil {
        return Ok(Vec::new());
    }
    if !host.is_array(v)? {
        return Err(fail(ErrorKind::InvalidKeyring, "previousKeys must be an array of master keys"));
    }
    let mut keys = Vec::new();
    for i in 0..host.len(v)? {
        keys.push(master_key(host, &host.element(v, i)?)?);
    }
    Ok(keys)
}

/// `{masterKey, previousKeys?, tenant?}` → a keyring.
pub fn keyring<H: Host + Clone>(o: &Opts<H>) -> Result<Keyring, H::Err> {
    o.only(&[c"masterKey", c"previousKeys", c"tenant"], "encryption")?;
    let host = o.host();
    let Some(mk) = o.get(c"masterKey")? else {
        return Err(fail(ErrorKind::InvalidMasterKey, "encryption needs a masterKey (64 hex digits or 32 bytes)"));
    };
    let current = master_key(host, &mk)?;
    let previous = match o.get(c"previousKeys")? {
        Some(p) => previous_keys(host, &p)?,
        None => Vec::new(),
    };
    let tenant = o.string(c"tenant")?.unwrap_or_else(|| DEFAULT_TENANT.to_owned());
    Ok(Keyring::new(&current, &previous, &tenant)?)
}

/// A key family by name (`default`, `interop`).
pub fn mode(name: &str) -> Result<Mode, cachekit::Error> {
    Mode::from_name(name)
}

/// The engine configuration object → the core's configuration and keyring (when
/// `encryption` is given). Starts from the `intent` preset (`production` by default).
pub fn engine_config<H: Host + Clone>(o: &Opts<H>) -> Result<(EngineConfig, Option<Keyring>), H::Err> {
    o.only(
        &[
            c"intent",
            c"ttl",
            c"mode",
            c"l1",
            c"breaker",
            c"backpressure",
            c"timeout",
            c"followerWaitMs",
            c"lock",
            c"ttlRefresh",
            c"earlyRefresh",
            c"maxValueBytes",
            c"deleteUnreadable",
            c"failClosed",
            c"tagPrefix",
            c"encryption",
        ],
        "engine",
    )?;
    let intent = match o.string(c"intent")? {
        Some(name) => Intent::from_name(&name)?,
        None => Intent::Production,
    };
    let mut c = EngineConfig::for_intent(intent);
    if let Some(v) = o.get(c"ttl")? {
        c.ttl = Some(ttl(o.host(), &v)?);
    }
    if let Some(m) = o.string(c"mode")? {
        c.mode = mode(&m)?;
    }
    match o.section(c"l1")? {
        Some(None) => c.l1 = None,
        Some(Some(l)) => {
            l.only(&[c"maxBytes", c"maxEntryBytes", c"shards"], "l1")?;
            let mut cfg = L1Config::new(l.u64(c"maxBytes")?.map_or(cachekit::l1::DEFAULT_BUDGET, |b| b as usize));
            cfg.max_entry_bytes = l.u64(c"maxEntryBytes")?.map(|b| b as usize);
            if let Some(s) = l.u64(c"shards")? {
                cfg.shards = s as usize;
            }
            c.l1 = Some(cfg);
        }
        None => {}
    }
    if let Some(Some(b)) = o.section(c"breaker")? {
        b.only(
            &[c"failureThreshold", c"failureWindowMs", c"openDurationMs", c"halfOpenProbes", c"successThreshold"],
            "breaker",
        )?;
        let d = BreakerConfig::default();
        c.breaker = BreakerConfig {
            failure_threshold: b.u64(c"failureThreshold")?.map_or(d.failure_threshold, |x| x as u32),
            failure_window: b.u64(c"failureWindowMs")?.unwrap_or(d.failure_window),
            open_duration: b.u64(c"openDurationMs")?.unwrap_or(d.open_duration),
            half_open_probes: b.u64(c"halfOpenProbes")?.map_or(d.half_open_probes, |x| x as u32),
            success_threshold: b.u64(c"successThreshold")?.map_or(d.success_threshold, |x| x as u32),
        };
    }
    if let Some(Some(b)) = o.section(c"backpressure")? {
        b.only(&[c"maxInFlight", c"maxQueued", c"maxWaitMs"], "backpressure")?;
        let d = LimiterConfig::default();
        c.limiter = LimiterConfig {
            max_in_flight: b.u64(c"maxInFlight")?.map_or(d.max_in_flight, |x| x as u32),
            max_queued: b.u64(c"maxQueued")?.map_or(d.max_queued, |x| x as u32),
            max_wait: b.u64(c"maxWaitMs")?.unwrap_or(d.max_wait),
        };
    }
    if let Some(Some(t)) = o.section(c"timeout")? {
        t.only(&[c"minMs", c"maxMs", c"multiplier", c"marginMs", c"minSamples"], "timeout")?;
        let d = AdaptiveTimeoutConfig::default();
        c.timeout = AdaptiveTimeoutConfig {
            min_timeout: t.u64(c"minMs")?.unwrap_or(d.min_timeout),
            max_timeout: t.u64(c"maxMs")?.unwrap_or(d.max_timeout),
            multiplier: t.f64(c"multiplier")?.unwrap_or(d.multiplier),
            margin: t.u64(c"marginMs")?.unwrap_or(d.margin),
            min_samples: t.u64(c"minSamples")?.map_or(d.min_samples, |x| x as usize),
            ..d
        };
    }
    if let Some(w) = o.u64(c"followerWaitMs")? {
        c.single_flight = SingleFlightConfig::new(w)?;
    }
    match o.section(c"lock")? {
        Some(None) => c.lock = None,
        Some(Some(l)) => {
            l.only(&[c"leaseMs", c"retryMs", c"waitMs"], "lock")?;
            c.lock = Some(LockConfig::new(
                l.u64(c"leaseMs")?.unwrap_or(LockConfig::DEFAULT_LEASE_MS),
                l.u64(c"retryMs")?.unwrap_or(LockConfig::DEFAULT_RETRY_MS),
                l.u64(c"waitMs")?.unwrap_or(LockConfig::DEFAULT_WAIT_MS),
            )?)
        }
        None => {}
    }
    if let Some(Some(r)) = o.section(c"ttlRefresh")? {
        r.only(&[c"threshold"], "ttlRefresh")?;
        c.ttl_refresh = Some(TtlRefresh::new(r.f64(c"threshold")?.unwrap_or(TtlRefresh::DEFAULT_THRESHOLD))?);
    }
    if let Some(Some(r)) = o.section(c"earlyRefresh")? {
        r.only(&[c"beta"], "earlyRefresh")?;
        c.early_refresh = Some(XFetch::new(r.f64(c"beta")?.unwrap_or(XFetch::DEFAULT_BETA))?);
    }
    if let Some(m) = o.u64(c"maxValueBytes")? {
        c.max_value_bytes = m as usize;
    }
    if let Some(b) = o.bool(c"deleteUnreadable")? {
        c.delete_unreadable = b;
    }
    if let Some(b) = o.bool(c"failClosed")? {
        c.fail_closed = b;
    }
    if let Some(p) = o.string(c"tagPrefix")? {
        c.tag_prefix = p;
    }
    // JSON.parse is the engines' fastest way to build a value (`Outcome::HitJson`).
    c.json_hits = true;
    let keyring = match o.section(c"encryption")? {
        Some(Some(e)) => Some(keyring(&e)?),
        _ => None,
    };
    Ok((c, keyring))
}

/// A request: `key` and either request options `{mode?, namespace?, ttl?, tags?}` or the
/// number of a profile registered earlier (a wrapped function's options, read once).
pub fn request<H: Host + Clone>(host: &H, key: &H::V, opts: &H::V, profiles: &[Request]) -> Result<Request, H::Err> {
    let key = string_arg(host, key, "key")?;
    if let Kind::Number(i) = host.kind(opts)? {
        return match profiles.get(i as usize) {
            Some(p) if i.fract() == 0.0 && i >= 0.0 => Ok(Request { key, ..p.clone() }),
            _ => Err(fail(ErrorKind::InvalidArgument, format!("unknown request profile {i}"))),
        };
    }
    let mut req = Request::new(key);
    let o = Opts::new(host.clone(), opts, "request options")?;
    if o.is_empty() {
        return Ok(req);
    }
    if let Some(m) = o.string(c"mode")? {
        req.mode = Some(mode(&m)?);
    }
    req.namespace = o.string(c"namespace")?;
    if let Some(t) = o.get(c"ttl")? {
        req.ttl = Some(ttl(host, &t)?);
    }
    if let Some(tags) = o.strings(c"tags")? {
        req.tags = tags;
    }
    req.check()?;
    Ok(req)
}

/// How a wrapped function's calls are keyed: `{kind: "default", namespace?, function,
/// integrity?}` or `{kind: "interop", namespace, operation}`.
pub fn key_recipe<H: Host + Clone>(o: &Opts<H>) -> Result<KeyRecipe, H::Err> {
    o.only(&[c"kind", c"namespace", c"function", c"integrity", c"operation"], "key profile")?;
    Ok(match o.string(c"kind")?.as_deref() {
        Some("interop") => KeyRecipe::Interop {
            namespace: o.required(c"namespace", "key profile")?,
            operation: o.required(c"operation", "key profile")?,
        },
        _ => KeyRecipe::Default {
            namespace: o.string(c"namespace")?,
            function: o.required(c"function", "key profile")?,
            integrity: o.bool(c"integrity")?.unwrap_or(true),
        },
    })
}

/// An invalidation target: `{key}`, `{namespace, mode?}` or `{tag}`.
pub fn invalidation<H: Host + Clone>(o: &Opts<H>) -> Result<Invalidate, H::Err> {
    o.only(&[c"key", c"namespace", c"mode", c"tag"], "invalidation")?;
    Ok(if let Some(k) = o.string(c"key")? {
        Invalidate::Key(k)
    } else if let Some(ns) = o.string(c"namespace")? {
        Invalidate::Namespace { name: ns, mode: o.string(c"mode")?.map(|m| mode(&m)).transpose()? }
    } else if let Some(tag) = o.string(c"tag")? {
        Invalidate::Tag(tag)
    } else {
        return Err(fail(ErrorKind::InvalidArgument, "invalidate needs a key, a namespace or a tag"));
    })
}

/// A default-mode key from its spec: `{namespace?, function, args?, kwargs? (object or Map),
/// integrity?, serializer?}`.
pub fn default_key<H: Host + Clone>(o: &Opts<H>) -> Result<String, H::Err> {
    o.only(&[c"namespace", c"function", c"args", c"kwargs", c"integrity", c"serializer"], "defaultKey")?;
    let Some(function) = o.string(c"function")? else {
        return Err(fail(ErrorKind::InvalidArgument, "defaultKey needs a function"));
    };
    let args = match o.get(c"args")? {
        Some(a) => to_core_list(o.host().clone(), &a, "args")?,
        None => Vec::new(),
    };
    let kwargs = match o.get(c"kwargs")? {
        Some(k) => match ToCore::new(o.host().clone()).value(&k)? {
            Value::Map(entries) => {
                let mut kwargs = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let Value::Str(k) = k else {
                        return Err(fail(ErrorKind::InvalidArgument, "kwargs keys must be strings"));
                    };
                    kwargs.push((k, v));
                }
                kwargs
            }
            _ => return Err(fail(ErrorKind::InvalidArgument, "kwargs must be an object")),
        },
        None => Vec::new(),
    };
    // An identity that is given but not a string (null included) is an error, never "std".
    let serializer = match o.get_raw(c"serializer")? {
        None => "std".to_owned(),
        Some(s) if o.host().kind(&s)? == Kind::String => o.host().string(&s)?,
        Some(_) => return Err(fail(ErrorKind::InvalidArgument, "serializer must be a string")),
    };
    let namespace = o.string(c"namespace")?;
    Ok(DefaultKey {
        namespace: namespace.as_deref(),
        function: &function,
        args: &args,
        kwargs: &kwargs,
        integrity: o.bool(c"integrity")?.unwrap_or(true),
        serializer: &serializer,
    }
    .build()?)
}

/// The AAD v0x03 bytes from their spec: `{tenant, cacheKey, format, compressed?,
/// originalType?}`.
pub fn aad<H: Host + Clone>(o: &Opts<H>) -> Result<Vec<u8>, H::Err> {
    o.only(&[c"tenant", c"cacheKey", c"format", c"compressed", c"originalType"], "aad")?;
    let tenant = o.required(c"tenant", "aad")?;
    let cache_key = o.required(c"cacheKey", "aad")?;
    let format = o.required(c"format", "aad")?;
    let original_type = o.string(c"originalType")?;
    let compressed = o.bool(c"compressed")?.unwrap_or(false);
    Ok(Aad {
        tenant: &tenant,
        cache_key: &cache_key,
        format: &format,
        compressed,
        original_type: original_type.as_deref(),
    }
    .to_bytes())
}

/// A default-mode key from positional arguments (the hot path of `wrap`): `namespace`
/// (`undefined`/`null` for none), the function identity and the argument list; serializer
/// `std`, no keyword arguments.
pub fn default_key_of<H: Host + Clone>(
    host: &H,
    namespace: &H::V,
    function: &H::V,
    args: &H::V,
    integrity: bool,
) -> Result<String, H::Err> {
    let namespace = match host.kind(namespace)? {
        Kind::Nil => None,
        _ => Some(string_arg(host, namespace, "namespace")?),
    };
    let function = string_arg(host, function, "function")?;
    let args = to_core_list(host.clone(), args, "args")?;
    let key = DefaultKey {
        namespace: namespace.as_deref(),
        function: &function,
        args: &args,
        kwargs: &[],
        integrity,
        serializer: "std",
    };
    Ok(key.build()?)
}
