//! The engine's I/O vocabulary: the plain Redis commands it hands a binding, and the replies
//! the binding hands back. Every binding maps these onto its client (ioredis, node-redis,
//! phpredis, hiredis) in a few lines; none of them decides anything.

use std::sync::Arc;

use crate::breaker::{ErrorClass, classify_redis_error};

/// One Redis command to execute. Keys are full Redis keys; values are opaque bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `GET key` → [`Reply::Bytes`] or [`Reply::Nil`].
    Get {
        /// The key.
        key: String,
    },
    /// `GET key` and `TTL key` in one round trip (pipeline or `MULTI`) →
    /// `Reply::Array([Bytes | Nil, Int])`. Sent instead of `Get` when TTL refresh on hit is on.
    GetWithTtl {
        /// The key.
        key: String,
    },
    /// `EXISTS key` → [`Reply::Int`] (1 when the key exists, else 0). Reads nothing.
    Exists {
        /// The key.
        key: String,
    },
    /// `SET key value EX ttl_secs`, or `SET key value` when `ttl_secs` is `None` (an explicit
    /// "never expire") → [`Reply::Ok`].
    Set {
        /// The key.
        key: String,
        /// The stored bytes.
        value: Arc<[u8]>,
        /// Expiry in whole seconds (≥ 1).
        ttl_secs: Option<u64>,
    },
    /// `SET key token NX PX px_ms` (the fill lock) → [`Reply::Ok`] when acquired, [`Reply::Nil`]
    /// when someone else holds it.
    SetNx {
        /// The lock key (`{key}:lock`).
        key: String,
        /// The random token proving ownership.
        token: String,
        /// Lease in milliseconds.
        px_ms: u64,
    },
    /// Run the compare-and-delete release script: `EVALSHA sha1 1 key token`, falling back to
    /// `EVAL script 1 key token` on `NOSCRIPT` → [`Reply::Int`].
    EvalRelease {
        /// [`crate::stampede::RELEASE_SCRIPT`].
        script: &'static str,
        /// [`crate::stampede::RELEASE_SCRIPT_SHA1`].
        sha1: &'static str,
        /// `KEYS[1]`.
        key: String,
        /// `ARGV[1]`.
        token: String,
    },
    /// `EXPIRE key ttl_secs` (TTL refresh on hit) → [`Reply::Int`].
    Expire {
        /// The key.
        key: String,
        /// New expiry in whole seconds.
        ttl_secs: u64,
    },
    /// `DEL key…` → [`Reply::Int`] (keys removed). In Redis Cluster the binding splits the
    /// keys by hash slot and sums the replies.
    Del {
        /// Keys to delete (never empty).
        keys: Vec<String>,
    },
    /// `SADD key member`, then `EXPIRE key ttl_secs NX` and `EXPIRE key ttl_secs GT` (one
    /// pipeline; the flags need Redis ≥ 7.0) → [`Reply::Int`] (from SADD). Maintains a tag set:
    /// the keys written with a tag. The two `EXPIRE`s only ever lengthen the set's life (set it
    /// when it has none, extend it when shorter), so the set outlives every member written
    /// with the tag, whatever their order; a plain `EXPIRE` would let a short-lived member cut
    /// short the index of a long-lived one, which then escapes invalidation by tag.
    SAdd {
        /// The tag set key.
        key: String,
        /// The member to add (a cache key).
        member: String,
        /// The life the set needs for this member, in seconds: the member's own (its grace
        /// included) plus a minute, or [`TAG_SET_NEVER_SECS`] for a member that never expires.
        ttl_secs: u64,
    },
    /// `SMEMBERS key` → `Reply::Array` of [`Reply::Bytes`].
    SMembers {
        /// The tag set key.
        key: String,
    },
    /// `SCAN 0 MATCH pattern COUNT 500` until the cursor returns to 0 — on every primary in
    /// Redis Cluster — deleting what it finds (`UNLINK`/`DEL`) → [`Reply::Int`] (keys deleted).
    DeleteMatching {
        /// A Redis glob pattern whose literal parts are already escaped.
        pattern: String,
    },
}

/// The life a tag set gets for a member without expiry: a century, in seconds. A finite
/// figure (not `PERSIST`) keeps "only ever lengthen" one rule: `EXPIRE … NX` would set a short
/// expiry on a set made persistent for such a member.
pub const TAG_SET_NEVER_SECS: u64 = 100 * 365 * 24 * 3600;

impl Command {
    /// The command's name, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Get { .. } => "GET",
            Command::GetWithTtl { .. } => "GET+TTL",
            Command::Exists { .. } => "EXISTS",
            Command::Set { .. } => "SET",
            Command::SetNx { .. } => "SET NX",
            Command::EvalRelease { .. } => "EVALSHA",
            Command::Expire { .. } => "EXPIRE",
            Command::Del { .. } => "DEL",
            Command::SAdd { .. } => "SADD",
            Command::SMembers { .. } => "SMEMBERS",
            Command::DeleteMatching { .. } => "SCAN+DEL",
        }
    }
}

/// A reply, as the binding received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A nil bulk or nil array.
    Nil,
    /// A simple-string `OK` (or any status reply).
    Ok,
    /// An integer reply.
    Int(i64),
    /// A bulk string.
    Bytes(Vec<u8>),
    /// An array (pipelines report their replies as one array, in order).
    Array(Vec<Reply>),
    /// The call failed: a Redis error reply or a client error (connection refused, closed,
    /// cluster redirection failures…), with its message.
    Error(String),
    /// The call did not answer before the engine's timeout (the binding enforces it).
    Timeout,
}

impl Reply {
    /// How the breaker should count this reply: `None` for a success.
    pub fn error_class(&self) -> Option<ErrorClass> {
        match self {
            Reply::Error(msg) => Some(classify_redis_error(msg)),
            Reply::Timeout => Some(ErrorClass::Timeout),
            _ => None,
        }
    }
}

/// Escapes Redis glob metacharacters so `text` matches only itself in a `SCAN MATCH` pattern.
pub fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_metacharacters_are_escaped() {
        assert_eq!(escape_glob("a*b?c[d]\\e"), "a\\*b\\?c\\[d\\]\\\\e");
        assert_eq!(escape_glob("users"), "users");
    }

    #[test]
    fn replies_classify_for_the_breaker() {
        assert_eq!(Reply::Ok.error_class(), None);
        assert_eq!(Reply::Timeout.error_class(), Some(ErrorClass::Timeout));
        assert_eq!(Reply::Error("WRONGTYPE Operation against a key".into()).error_class(), Some(ErrorClass::Permanent));
    }
}
