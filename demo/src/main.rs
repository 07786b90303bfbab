//! `cargo run -p cachekit-demo`: walks one value through the cachekit core — cache keys,
//! StandardSerializer + envelope, canonical interop encoding, AES-256-GCM with AAD — and
//! stores the entries in Redis when `REDIS_URL` is set (otherwise in process memory), then
//! reads them back, and shows that tampered or misplaced bytes are refused.

use std::collections::HashMap;
use std::process::ExitCode;

use cachekit::crypto::{DEFAULT_TENANT, Keyring};
use cachekit::entry::{self, EntryOptions, Mode};
use cachekit::keys::{self, DefaultKey};
use cachekit::temporal::DateTime;
use cachekit::{Value, value::format_uuid};

/// A fixed, public demo key: never use it for real data.
const DEMO_MASTER_KEY: &str = "6161616161616161616161616161616161616161616161616161616161616161";

/// Where entries go: Redis, or a map standing in for it.
enum Store {
    Redis(redis_lite::Client),
    Memory(HashMap<String, Vec<u8>>),
}

impl Store {
    fn set(&mut self, key: &str, bytes: &[u8], ttl: u64) -> std::io::Result<()> {
        match self {
            Store::Redis(c) => c.set_ex(key, bytes, ttl),
            Store::Memory(m) => {
                m.insert(key.to_owned(), bytes.to_vec());
                Ok(())
            }
        }
    }
    fn get(&mut self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        match self {
            Store::Redis(c) => c.get(key),
            Store::Memory(m) => Ok(m.get(key).cloned()),
        }
    }
}

/// Renders a value as JSON-like text.
fn show(v: &Value) -> String {
    match v {
        Value::Nil => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(s) => format!("{s:?}"),
        Value::Bytes(b) => format!("<{} bytes>", b.len()),
        Value::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", ")),
        Value::Set(a) => format!("set[{}]", a.iter().map(show).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => {
            format!("{{{}}}", m.iter().map(|(k, v)| format!("{}: {}", show(k), show(v))).collect::<Vec<_>>().join(", "))
        }
        Value::DateTime(d) => format!("datetime({d})"),
        Value::Date(d) => format!("date({d})"),
        Value::Time(t) => format!("time({t})"),
        Value::Uuid(u) => format!("uuid({})", format_uuid(u)),
        Value::Ext(t, b) => format!("ext({t}, {} bytes)", b.len()),
    }
}

fn short_hex(b: &[u8]) -> String {
    let h = keys::to_hex(b);
    if h.len() > 48 {
        format!("{}…{} ({} bytes)", &h[..32], &h[h.len() - 8..], b.len())
    } else {
        format!("{h} ({} bytes)", b.len())
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    println!("cachekit demo — core {}", cachekit::VERSION);
    let mut store = match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            println!("backend: Redis at {url}");
            Store::Redis(redis_lite::Client::connect(&url).map_err(|e| format!("cannot reach Redis at {url}: {e}"))?)
        }
        _ => {
            println!("backend: process memory (set REDIS_URL=redis://127.0.0.1:6379 to use Redis)");
            Store::Memory(HashMap::new())
        }
    };
    let (master, source) = match std::env::var("CACHEKIT_MASTER_KEY") {
        Ok(k) if !k.is_empty() => (k, "CACHEKIT_MASTER_KEY"),
        _ => (DEMO_MASTER_KEY.to_owned(), "the public demo key (set CACHEKIT_MASTER_KEY for your own)"),
    };
    let ring = Keyring::from_hex(&master, "", DEFAULT_TENANT)?;
    println!(
        "encryption: AES-256-GCM, key from {source}, tenant {:?}, fingerprint {}\n",
        ring.tenant(),
        keys::to_hex(&ring.fingerprint())
    );

    let user = Value::map([
        ("id", 42i64.into()),
        ("name", "Alice Liddell".into()),
        ("email", "alice@example.com".into()),
        ("score", 97.5.into()),
        ("roles", Value::Array(vec!["admin".into(), "editor".into()])),
        ("joined", DateTime::parse("2024-01-15T12:30:00+00:00")?.into()),
    ]);
    println!("value: {}\n", show(&user));

    // 1. Interop/v1: readable by every cachekit SDK, cachekit-py included.
    let args = [Value::from(42i64)];
    let key = keys::interop_key("users", "get_user", &args)?;
    let opts = EntryOptions::new(Mode::Interop, &key).encrypted(&ring);
    let stored = entry::encode(&user, &opts)?;
    store.set(&key, &stored, 600)?;
    let back = entry::decode(&store.get(&key)?.ok_or("entry vanished")?, &opts)?;
    println!("1. interop/v1 entry (shared with cachekit-py and every other SDK)");
    println!("   key     {key}");
    println!("   plain   {}", short_hex(&cachekit::canonical::encode_value(&user)?));
    println!("   stored  {}", short_hex(&stored));
    println!("   read    {}\n", show(&back));

    // 2. Default mode: StandardSerializer inside a ByteStorage envelope, then encrypted.
    let kwargs = [("include_roles".to_owned(), Value::Bool(true))];
    let dkey = DefaultKey {
        namespace: Some("demo"),
        function: "demo.get_user",
        args: &args,
        kwargs: &kwargs,
        integrity: true,
        serializer: "std",
    }
    .build()?;
    let dopts = EntryOptions::new(Mode::Default { integrity: true }, &dkey).encrypted(&ring);
    let dstored = entry::encode(&user, &dopts)?;
    store.set(&dkey, &dstored, 600)?;
    let dback = entry::decode(&store.get(&dkey)?.ok_or("entry vanished")?, &dopts)?;
    println!("2. default-mode entry (StandardSerializer + LZ4/xxh3 envelope + AES-256-GCM)");
    println!("   key     {dkey}");
    println!("   stored  {}", short_hex(&dstored));
    println!("   read    {}\n", show(&dback));

    // 3. What the core refuses: every failure is a typed error, and a read miss.
    println!("3. refused reads (each is a cache miss, never a crash)");
    let mut tampered = stored.clone();
    tampered[20] ^= 0x01;
    let e = entry::decode(&tampered, &opts).unwrap_err();
    println!("   one flipped bit          -> {e}");
    let moved = EntryOptions::new(Mode::Interop, "users:get_user:other").encrypted(&ring);
    let e = entry::decode(&stored, &moved).unwrap_err();
    println!("   copied under another key -> {e}");
    let e = entry::decode(b"CK\x03\x00\x00\x00\x02{}x", &EntryOptions::new(Mode::Interop, &key)).unwrap_err();
    println!("   cachekit-py CK frame     -> {e}");
    let e = entry::decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &EntryOptions::new(Mode::Interop, &key)).unwrap_err();
    println!("   4-GiB array header bomb  -> {e}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}
