//! The engine's commands, executed by calling methods on the user's phpredis object
//! (`\Redis` or `\RedisCluster`). phpredis exceptions (connection refused, lost, timeouts) and
//! error replies become [`Reply::Error`]; nothing here decides anything.

use cachekit::engine::{Command, Reply};
use ext_php_rs::convert::IntoZvalDyn;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::{ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::{ClassEntry, ExecutorGlobals};

/// phpredis' `Redis::PIPELINE`.
const PIPELINE: i64 = 2;
/// phpredis' `Redis::OPT_READ_TIMEOUT`.
const OPT_READ_TIMEOUT: i64 = 3;

/// phpredis options that change the bytes or key names reaching Redis, with their neutral
/// value: cachekit writes its own entry format under full key names (SCAN patterns included),
/// so a client with any of them set stores what other SDKs cannot read.
const REFUSED_OPTIONS: [(i64, &str, &str); 3] =
    [(1, "OPT_SERIALIZER", "::SERIALIZER_NONE"), (7, "OPT_COMPRESSION", "::COMPRESSION_NONE"), (2, "OPT_PREFIX", "")];

/// `ini_get('default_socket_timeout')` in seconds (a day when it is not positive: infinite).
fn default_socket_timeout() -> f64 {
    ext_php_rs::types::ZendCallable::try_from_name("ini_get")
        .ok()
        .and_then(|f| f.try_call(vec![&"default_socket_timeout"]).ok())
        .and_then(|z| z.string())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(86_400.0)
}

/// A phpredis client held by a cache (a reference to the user's object).
pub struct RedisClient {
    obj: Zval,
    /// `\RedisCluster` (no pipelines; SCAN on every master).
    pub cluster: bool,
    /// The last call lost the connection: phpredis 5 does not reconnect by itself, so the
    /// next command (one the breaker lets through) reconnects first.
    broken: std::cell::Cell<bool>,
    /// Host, port, timeout, credentials and database, read while connected (phpredis
    /// forgets them once the connection is lost).
    endpoint: Option<[Zval; 5]>,
}

fn connection_lost(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    ["went away", "connection lost", "connection refused", "read error", "socket", "connection closed", "timed out"]
        .iter()
        .any(|p| m.contains(p))
}

/// What went wrong in one call.
type CallResult = Result<Zval, String>;

fn bin(bytes: &[u8]) -> Zval {
    let mut z = Zval::new();
    z.set_binary(bytes.to_vec());
    z
}

fn text(s: &str) -> Zval {
    let mut z = Zval::new();
    let _ = z.set_string(s, false);
    z
}

fn array(items: Vec<Zval>) -> Zval {
    let mut ht = ZendHashTable::with_capacity(items.len() as u32);
    for i in items {
        let _ = ht.push(i);
    }
    let mut z = Zval::new();
    z.set_hashtable(ht);
    z
}

/// The message of a pending PHP exception, taking it (the cache handles it).
pub fn take_exception_message() -> Option<String> {
    let ex = ExecutorGlobals::take_exception()?;
    let msg = ex.try_call_method("getMessage", vec![]).ok().and_then(|m| m.string()).unwrap_or_default();
    let class = ex.get_class_name().unwrap_or_default();
    Some(format!("{class}: {msg}"))
}

fn reply_of(z: &Zval) -> Reply {
    let z = z.dereference();
    match z.get_type() {
        DataType::Null | DataType::False => Reply::Nil,
        DataType::True => Reply::Ok,
        DataType::Long => Reply::Int(z.long().unwrap_or(0)),
        DataType::String => Reply::Bytes(z.zend_str().map(|s| s.as_bytes().to_vec()).unwrap_or_default()),
        DataType::Array => Reply::Array(z.array().map(|a| a.values().map(reply_of).collect()).unwrap_or_default()),
        DataType::Double => Reply::Int(z.double().unwrap_or(0.0) as i64),
        _ => Reply::Nil,
    }
}

impl RedisClient {
    /// Wraps a `\Redis` / `\RedisCluster` object; `None` for anything else.
    pub fn new(z: &Zval) -> Option<RedisClient> {
        let obj = z.object()?;
        let is = |name: &str| ClassEntry::try_find(name).is_some_and(|ce| obj.instance_of(ce));
        let cluster = is("RedisCluster");
        if !cluster && !is("Redis") {
            return None;
        }
        let mut c =
            RedisClient { obj: z.shallow_clone(), cluster, broken: std::cell::Cell::new(false), endpoint: None };
        if !cluster {
            let get = |m: &str| c.call(m, vec![]).unwrap_or_default();
            let e = [get("getHost"), get("getPort"), get("getTimeout"), get("getAuth"), get("getDbNum")];
            if e[0].is_string() {
                c.endpoint = Some(e);
            }
        }
        Some(c)
    }

    /// The first client option cachekit cannot work with (serializer, compression, key
    /// prefix), as the message of the `UsageException` the cache throws; `None` when none is set.
    pub fn refused_option(&self) -> Option<String> {
        let class = if self.cluster { "RedisCluster" } else { "Redis" };
        REFUSED_OPTIONS.iter().find_map(|(opt, name, neutral)| {
            let v = self.call("getOption", vec![opt]).ok()?;
            let shown = match v.get_type() {
                DataType::Long if v.long() != Some(0) => v.long().unwrap_or_default().to_string(),
                DataType::String if !v.str().unwrap_or_default().is_empty() => {
                    format!("{:?}", v.str().unwrap_or_default())
                }
                _ => return None,
            };
            let neutral = if neutral.is_empty() { "''".to_owned() } else { format!("{class}{neutral}") };
            Some(format!(
                "the phpredis client has {class}::{name} set ({shown}); cachekit stores its own format under \
                 full key names, readable by every SDK, so give the cache a client without it \
                 (setOption({class}::{name}, {neutral}), or a separate connection)"
            ))
        })
    }

    /// True when the client had a connection when the cache wrapped it (its endpoint is known).
    pub fn connected(&self) -> bool {
        self.endpoint.is_some()
    }

    fn object(&self) -> &ZendObject {
        self.obj.object().expect("a phpredis object")
    }

    /// Calls `$redis->{name}(...params)`, turning a thrown exception into `Err`.
    fn call(&self, name: &str, params: Vec<&dyn IntoZvalDyn>) -> CallResult {
        let r = self.object().try_call_method(name, params);
        if let Some(msg) = take_exception_message() {
            if connection_lost(&msg) {
                self.broken.set(true);
            }
            return Err(msg);
        }
        r.map_err(|e| format!("phpredis {name}: {e}"))
    }

    /// An identity of the server this client talks to (part of the engine fingerprint, so
    /// two caches on different servers never share a breaker).
    pub fn identity(&self) -> String {
        if self.cluster {
            return "cluster".to_owned();
        }
        match &self.endpoint {
            Some([host, port, _, _, db]) => format!(
                "{}:{}/{}",
                host.string().unwrap_or_default(),
                port.long().unwrap_or_default(),
                db.long().unwrap_or_default()
            ),
            None => "unconnected".to_owned(),
        }
    }

    fn last_error(&self) -> Option<String> {
        let e = self.call("getLastError", vec![]).ok()?.string()?;
        let _ = self.call("clearLastError", vec![]);
        Some(e)
    }

    /// `false` from a command whose success is never `false` means an error reply.
    fn checked(&self, r: CallResult) -> Reply {
        match r {
            Err(m) => Reply::Error(m),
            Ok(z) if z.is_false() => Reply::Error(self.last_error().unwrap_or_else(|| "ERR command failed".to_owned())),
            Ok(z) => reply_of(&z),
        }
    }

    /// Reconnects a `\Redis` whose connection was lost, with its host, port, timeout,
    /// credentials and database.
    fn reconnect(&self) -> Result<(), String> {
        let Some([host, port, timeout, auth, db]) = &self.endpoint else {
            return Err("the \\Redis client was never connected (call connect() or pconnect() on it)".to_owned());
        };
        let db = db.long().unwrap_or(0);
        let _ = self.call("close", vec![]);
        let ok = self.call("connect", vec![host, port, timeout])?;
        if !ok.is_true() {
            return Err("Connection refused (reconnect)".to_owned());
        }
        if !auth.is_null() && !auth.is_false() {
            self.call("auth", vec![auth])?;
        }
        if db != 0 {
            self.call("select", vec![&db])?;
        }
        self.broken.set(false);
        Ok(())
    }

    /// Executes one engine command under the engine's adaptive timeout: a `\Redis` gets
    /// `OPT_READ_TIMEOUT` = min(the user's read timeout, `timeout_ms`) for this command only
    /// (the user's value is restored after it); a call that fails after at least that long is
    /// a [`Reply::Timeout`]. `\RedisCluster` keeps its own timeouts.
    pub fn execute_within(&self, cmd: &Command, timeout_ms: u64) -> Reply {
        if self.cluster || timeout_ms == 0 {
            return self.execute(cmd);
        }
        let original = self.call("getOption", vec![&OPT_READ_TIMEOUT]).ok().and_then(|z| z.double()).unwrap_or(0.0);
        // Negative = no timeout (phpredis blocks); 0 = "not set": the stream then waits
        // default_socket_timeout, and setting 0 back would mean "time out at once", so that
        // one alone is restored as the effective value. Every other value is restored exactly.
        let (user, restore) = if original < 0.0 {
            (f64::INFINITY, original)
        } else if original == 0.0 {
            let d = default_socket_timeout();
            (d, d)
        } else {
            (original, original)
        };
        let adaptive = timeout_ms as f64 / 1000.0;
        let applied = user.min(adaptive);
        let set = (applied - user).abs() > f64::EPSILON
            && self.call("setOption", vec![&OPT_READ_TIMEOUT, &applied]).is_ok_and(|z| z.is_true());
        let started = std::time::Instant::now();
        let reply = self.execute(cmd);
        let elapsed = started.elapsed().as_secs_f64();
        if set {
            let _ = self.call("setOption", vec![&OPT_READ_TIMEOUT, &restore]);
        }
        match reply {
            Reply::Error(_) if set && elapsed >= applied * 0.9 => Reply::Timeout,
            r => r,
        }
    }

    /// Executes one engine command.
    pub fn execute(&self, cmd: &Command) -> Reply {
        if self.broken.get() && !self.cluster {
            if let Err(m) = self.reconnect() {
                self.broken.set(true);
                return Reply::Error(m);
            }
        }
        match cmd {
            Command::Get { key } => match self.call("get", vec![&text(key)]) {
                Ok(z) => reply_of(&z),
                Err(m) => Reply::Error(m),
            },
            Command::GetWithTtl { key } => self.get_with_ttl(key),
            Command::Exists { key } => match self.call("exists", vec![&text(key)]) {
                Ok(z) => reply_of(&z),
                Err(m) => Reply::Error(m),
            },
            Command::Set { key, value, ttl_secs } => {
                let r = match ttl_secs {
                    Some(t) => {
                        let mut o = ZendHashTable::new();
                        let _ = o.insert("EX", *t as i64);
                        let mut oz = Zval::new();
                        oz.set_hashtable(o);
                        self.call("set", vec![&text(key), &bin(value), &oz])
                    }
                    None => self.call("set", vec![&text(key), &bin(value)]),
                };
                self.checked(r)
            }
            Command::SetNx { key, token, px_ms } => {
                let mut o = ZendHashTable::new();
                let _ = o.push("NX");
                let _ = o.insert("PX", *px_ms as i64);
                let mut oz = Zval::new();
                oz.set_hashtable(o);
                match self.call("set", vec![&text(key), &text(token), &oz]) {
                    Ok(z) if z.is_true() => Reply::Ok,
                    Ok(_) => match self.last_error() {
                        Some(e) => Reply::Error(e),
                        None => Reply::Nil,
                    },
                    Err(m) => Reply::Error(m),
                }
            }
            Command::EvalRelease { script, sha1, key, token } => {
                let args = array(vec![text(key), text(token)]);
                match self.call("evalSha", vec![&text(sha1), &args, &1i64]) {
                    Err(m) => Reply::Error(m),
                    Ok(z) if z.is_false() => match self.last_error() {
                        Some(e) if e.contains("NOSCRIPT") => {
                            self.checked(self.call("eval", vec![&text(script), &args, &1i64]))
                        }
                        Some(e) => Reply::Error(e),
                        None => Reply::Int(0),
                    },
                    Ok(z) => reply_of(&z),
                }
            }
            Command::Expire { key, ttl_secs } => match self.call("expire", vec![&text(key), &(*ttl_secs as i64)]) {
                Ok(z) => Reply::Int(i64::from(z.is_true())),
                Err(m) => Reply::Error(m),
            },
            Command::Del { keys } => {
                let ks = array(keys.iter().map(|k| text(k)).collect());
                match self.call("del", vec![&ks]) {
                    Ok(z) => Reply::Int(z.long().unwrap_or(0)),
                    Err(m) => Reply::Error(m),
                }
            }
            Command::SAdd { key, member, ttl_secs } => {
                let r = match self.call("sAdd", vec![&text(key), &text(member)]) {
                    Ok(z) => Reply::Int(z.long().unwrap_or(0)),
                    Err(m) => return Reply::Error(m),
                };
                // NX then GT: the set's life only ever grows, so it outlives every member
                // (phpredis 5's `expire` takes no mode: sent raw).
                // RedisCluster's rawCommand first takes the key that picks the node.
                let (k, expire, ttl) = (text(key), text("EXPIRE"), text(&ttl_secs.to_string()));
                for mode in [text("NX"), text("GT")] {
                    let mut args: Vec<&dyn IntoZvalDyn> = Vec::new();
                    if self.cluster {
                        args.push(&k);
                    }
                    args.extend([&expire as &dyn IntoZvalDyn, &k, &ttl, &mode]);
                    // rawCommand returns false for an error reply (it does not throw).
                    if let e @ Reply::Error(_) = self.checked(self.call("rawCommand", args)) {
                        return e;
                    }
                }
                r
            }
            Command::SMembers { key } => match self.call("sMembers", vec![&text(key)]) {
                Ok(z) => match reply_of(&z) {
                    Reply::Array(a) => Reply::Array(a),
                    _ => Reply::Array(Vec::new()),
                },
                Err(m) => Reply::Error(m),
            },
            Command::DeleteMatching { pattern } => self.delete_matching(pattern),
        }
    }

    fn get_with_ttl(&self, key: &str) -> Reply {
        if self.cluster {
            // No pipelines on RedisCluster: two calls (same slot, same node).
            let v = match self.call("get", vec![&text(key)]) {
                Ok(z) => reply_of(&z),
                Err(m) => return Reply::Error(m),
            };
            return match self.call("ttl", vec![&text(key)]) {
                Ok(t) => Reply::Array(vec![v, Reply::Int(t.long().unwrap_or(-2))]),
                Err(m) => Reply::Error(m),
            };
        }
        let steps = [
            self.call("multi", vec![&PIPELINE]).map(drop),
            self.call("get", vec![&text(key)]).map(drop),
            self.call("ttl", vec![&text(key)]).map(drop),
        ];
        if let Some(Err(m)) = steps.into_iter().find(Result::is_err) {
            let _ = self.call("discard", vec![]);
            return Reply::Error(m);
        }
        match self.call("exec", vec![]) {
            Ok(z) => match reply_of(&z) {
                Reply::Array(parts) if parts.len() == 2 => Reply::Array(parts),
                _ => Reply::Error("ERR pipeline GET+TTL returned no replies".to_owned()),
            },
            Err(m) => Reply::Error(m),
        }
    }

    /// `SCAN 0 MATCH pattern COUNT 500` until the cursor returns to 0 (on every master of a
    /// cluster), deleting each batch.
    fn delete_matching(&self, pattern: &str) -> Reply {
        let nodes: Vec<Option<Zval>> = if self.cluster {
            match self.call("_masters", vec![]) {
                Ok(z) => z.array().map(|a| a.values().map(|n| Some(n.shallow_clone())).collect()).unwrap_or_default(),
                Err(m) => return Reply::Error(m),
            }
        } else {
            vec![None]
        };
        let mut deleted = 0i64;
        for node in nodes {
            let mut cursor = "0".to_owned();
            loop {
                let (scan, pat, count, n500) = (text("SCAN"), text(pattern), text("COUNT"), text("500"));
                let (cur, matchw) = (text(&cursor), text("MATCH"));
                let mut params: Vec<&dyn IntoZvalDyn> = Vec::new();
                if let Some(n) = &node {
                    params.push(n);
                }
                params.extend([&scan as &dyn IntoZvalDyn, &cur, &matchw, &pat, &count, &n500]);
                let reply = match self.call("rawCommand", params) {
                    Ok(z) => reply_of(&z),
                    Err(m) => return Reply::Error(m),
                };
                let Reply::Array(mut parts) = reply else {
                    return Reply::Error(format!("ERR unexpected SCAN reply {reply:?}"));
                };
                let keys = match parts.pop() {
                    Some(Reply::Array(k)) => k,
                    _ => Vec::new(),
                };
                cursor = match parts.pop() {
                    Some(Reply::Bytes(c)) => String::from_utf8_lossy(&c).into_owned(),
                    Some(Reply::Int(c)) => c.to_string(),
                    _ => "0".to_owned(),
                };
                let keys: Vec<Zval> = keys
                    .into_iter()
                    .filter_map(|k| match k {
                        Reply::Bytes(b) => Some(bin(&b)),
                        _ => None,
                    })
                    .collect();
                if !keys.is_empty() {
                    match self.call("del", vec![&array(keys)]) {
                        Ok(z) => deleted += z.long().unwrap_or(0),
                        Err(m) => return Reply::Error(m),
                    }
                }
                if cursor == "0" {
                    break;
                }
            }
        }
        Reply::Int(deleted)
    }
}

/// Replies of a cache without Redis (L1 only): every read misses, every write succeeds.
pub fn memory_reply(cmd: &Command) -> Reply {
    match cmd {
        Command::Get { .. } => Reply::Nil,
        Command::GetWithTtl { .. } => Reply::Array(vec![Reply::Nil, Reply::Int(-2)]),
        Command::Set { .. } | Command::SetNx { .. } => Reply::Ok,
        Command::EvalRelease { .. } | Command::SAdd { .. } => Reply::Int(1),
        Command::Expire { .. } | Command::Del { .. } | Command::DeleteMatching { .. } | Command::Exists { .. } => {
            Reply::Int(0)
        }
        Command::SMembers { .. } => Reply::Array(Vec::new()),
    }
}
