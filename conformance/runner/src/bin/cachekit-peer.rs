//! `cachekit-peer`: the Rust side of the live interop tests (tests/interop). Same contract as
//! `tests/interop/python_peer.py`, so the test can swap writer and reader freely:
//!
//! ```text
//! cachekit-peer write --redis URL --namespace NS --operation OP --args JSON --value JSON [--master-key HEX] [--ttl S]
//!   -> {"key": "...", "stored_hex": "..."}
//! cachekit-peer read  --redis URL --namespace NS --operation OP --args JSON [--master-key HEX]
//!   -> {"hit": true, "value": <tagged JSON>} | {"hit": false, "error": "..."}
//! ```
//! Interop entries are single-tenant (`default`) and carry no key prefix (SPEC §5, §6).

use std::collections::HashMap;
use std::process::ExitCode;

use cachekit::crypto::{DEFAULT_TENANT, Keyring};
use cachekit::entry::{self, EntryOptions, Mode};
use cachekit::{Value, keys};
use cachekit_conformance::tagged::{hex, to_json, value};
use serde_json::{Value as Json, json};

fn parse_args() -> Result<(String, HashMap<String, String>), String> {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().ok_or("missing command (write|read)")?;
    let mut opts = HashMap::new();
    while let Some(flag) = it.next() {
        let name = flag.strip_prefix("--").ok_or_else(|| format!("unexpected {flag:?}"))?;
        opts.insert(name.to_owned(), it.next().ok_or_else(|| format!("--{name} needs a value"))?);
    }
    Ok((cmd, opts))
}

fn run(cmd: &str, o: &HashMap<String, String>) -> Result<Json, String> {
    let get = |k: &str| o.get(k).map(String::as_str).ok_or_else(|| format!("--{k} is required"));
    let args_json: Json = serde_json::from_str(get("args")?).map_err(|e| format!("--args: {e}"))?;
    let Value::Array(args) = value(&args_json)? else { return Err("--args must be a JSON array".into()) };
    let key = keys::interop_key(get("namespace")?, get("operation")?, &args).map_err(|e| e.to_string())?;
    let ring = match o.get("master-key") {
        Some(k) => Some(Keyring::from_hex(k, "", DEFAULT_TENANT).map_err(|e| e.to_string())?),
        None => None,
    };
    let mut opts = EntryOptions::new(Mode::Interop, &key);
    if let Some(r) = &ring {
        opts = opts.encrypted(r);
    }
    let mut redis = redis_lite::Client::connect(get("redis")?).map_err(|e| format!("redis: {e}"))?;
    match cmd {
        "write" => {
            let v = value(&serde_json::from_str(get("value")?).map_err(|e| format!("--value: {e}"))?)?;
            let stored = entry::encode(&v, &opts).map_err(|e| e.to_string())?;
            let ttl =
                o.get("ttl").map(|t| t.parse::<u64>()).transpose().map_err(|e| format!("--ttl: {e}"))?.unwrap_or(600);
            redis.set_ex(&key, &stored, ttl).map_err(|e| format!("redis SET: {e}"))?;
            Ok(json!({"key": key, "stored_hex": hex(&stored)}))
        }
        "read" => Ok(match redis.get(&key).map_err(|e| format!("redis GET: {e}"))? {
            None => json!({"hit": false, "error": "miss: no entry at the key"}),
            Some(bytes) => match entry::decode(&bytes, &opts) {
                Ok(v) => json!({"hit": true, "value": to_json(&v)}),
                Err(e) => json!({"hit": false, "error": e.to_string()}),
            },
        }),
        other => Err(format!("unknown command {other:?} (write|read)")),
    }
}

fn main() -> ExitCode {
    let (cmd, opts) = match parse_args() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("usage error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&cmd, &opts) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", json!({"error": e}));
            ExitCode::from(1)
        }
    }
}
