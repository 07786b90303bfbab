//! Our core (`cachekit`) against the published peer implementation `cachekit-core` 0.7.4, side by
//! side in one run, on realistic MessagePack payloads.
//!
//! ```text
//! cargo bench -p cachekit --bench vs_cachekit_core            # everything
//! cargo bench -p cachekit --bench vs_cachekit_core -- '^envelope|^crypto|^key'   # comparison only
//! cargo bench -p cachekit --bench vs_cachekit_core -- '^piece'  # diagnostic pieces only
//! ```
//!
//! Every group holds the same operation for both implementations (`ours`, `cachekit-core`) on the
//! same input bytes, so criterion prints them one under the other. Results and analysis:
//! `docs/benchmarks.md`.
//!
//! Before anything is timed, `verify` asserts that each implementation round-trips its own output
//! (envelope and encryption), checks that each reads the other's output, and prints whether the
//! two envelopes are byte-identical for the same input.
//!
//! Groups:
//! - `envelope/{store,retrieve,roundtrip}/{1KiB,64KiB}`: ours `cachekit::envelope::{store,retrieve}`
//!   vs peer `ByteStorage::{store,retrieve}`.
//! - `crypto/{encrypt,decrypt,roundtrip}/{1KiB,64KiB}`: ours `Keyring::{encrypt,decrypt}` (AAD v0x03
//!   from `Aad::to_bytes`, computed once) vs peer `ZeroKnowledgeEncryptor::{encrypt,decrypt}_aes_gcm`
//!   with the tenant key derived once by `derive_domain_key` (the same HKDF, so the two are
//!   interchangeable on the wire).
//! - `key/interop`: ours `keys::interop_key`; cachekit-core has no cache-key function, so the peer
//!   column is the nearest hand-rolled equivalent an SDK on top of it would write: rmp-serde of the
//!   args tuple + Blake2b-256 + hex + `format!` (verified to produce the same key).
//! - `piece/...`: the parts of the two pipelines measured alone (LZ4 block compress/decompress in
//!   both lz4_flex versions, xxh3-64, envelope framing, AES-256-GCM in RustCrypto and ring, the
//!   zeroize-on-drop of a decrypted plaintext), to explain the differences.
//! - `proto/...`: prototypes of the proposed core changes (module `proto`, safe Rust on public
//!   cachekit APIs), checked against today's bytes before they are timed.
//!
//! Before criterion starts, an unfiltered run also prints a paired A/B section (ours and the peer
//! timed back to back in alternating batches, median of the per-round ratios), which holds up on
//! a shared machine where load comes and goes. `VS_CACHEKIT_CORE_PAIRED_ONLY=1` stops after it;
//! `VS_CACHEKIT_CORE_DUMP_DIR=dir` writes the two payloads there.

mod common;
use common::{Prng, paired_ratio};

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use blake2::{Blake2b, Digest, digest::consts::U32};
use cachekit::Value;
use cachekit::crypto::{Aad, DEFAULT_TENANT, DOMAIN_ENCRYPTION, Keyring, MasterKey, derive_key};
use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use peer::{ByteStorage, ZeroKnowledgeEncryptor, derive_domain_key};

const OURS: &str = "ours";
const PEER: &str = "cachekit-core";

/// The two payload sizes: (label, target bytes). Payloads are the largest record count whose
/// MessagePack encoding does not exceed the target.
const SIZES: [(&str, usize); 2] = [("1KiB", 1024), ("64KiB", 64 * 1024)];

const MASTER_KEY_HEX: &str = "7f3a9c1e5b2d4f6081a3c5e7092b4d6f8a1c3e5071b3d5f7092a4c6e8f1b3d5a";

// ---------------------------------------------------------------------------------------------
// Realistic payloads
// ---------------------------------------------------------------------------------------------

const FIRST: &[&str] = &[
    "alice", "bruno", "chen", "dagny", "emeka", "farah", "gustav", "hana", "ivan", "jun", "kofi", "lucia", "mateo",
    "nadia", "oskar", "priya", "quentin", "rosa", "sven", "tariq", "uma", "viktor", "wen", "ximena", "yusuf", "zoe",
];
const LAST: &[&str] = &[
    "smith",
    "garcia",
    "nakamura",
    "okafor",
    "johansson",
    "rossi",
    "kowalski",
    "haddad",
    "silva",
    "nguyen",
    "müller",
    "dubois",
    "patel",
    "kim",
    "andersen",
    "ivanova",
    "oconnor",
    "moreau",
];
const DOMAINS: &[&str] = &["example.com", "mail.example.org", "corp.example.net", "example.io"];
const TAGS: &[&str] = &["admin", "beta", "premium", "trial", "staff", "newsletter", "mfa", "eu", "us", "apac", "vip"];
const CITIES: &[(&str, &str)] = &[
    ("Lisbon", "PT"),
    ("Osaka", "JP"),
    ("Lagos", "NG"),
    ("Toronto", "CA"),
    ("Kraków", "PL"),
    ("Austin", "US"),
    ("Lyon", "FR"),
    ("Pune", "IN"),
    ("Malmö", "SE"),
];
const PLANS: &[&str] = &["free", "starter", "team", "enterprise"];
const WORDS: &[&str] = &[
    "cloud",
    "engineer",
    "coffee",
    "hiking",
    "distributed",
    "systems",
    "cats",
    "photography",
    "open",
    "source",
    "maintainer",
    "runner",
    "based",
    "in",
    "the",
    "and",
    "loves",
    "building",
    "fast",
    "reliable",
    "caches",
    "music",
    "climbing",
    "data",
    "platform",
    "team",
    "lead",
    "writer",
    "of",
    "tiny",
    "tools",
    "gardening",
    "rust",
    "python",
];

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn timestamp(rng: &mut Prng) -> String {
    let (y, mo, d) = (2019 + rng.below(6), 1 + rng.below(12), 1 + rng.below(28));
    let (h, mi, s, us) = (rng.below(24), rng.below(60), rng.below(60), rng.below(1_000_000));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}+00:00")
}

/// One user-like record: ids, names, email, timestamps as ISO strings, floats, a bool, a hex token,
/// nested tags and a nested address map.
fn record(rng: &mut Prng, i: u64, bio_words: usize) -> Value {
    let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
    let n = rng.below(1000);
    let (city, country) = CITIES[rng.below(CITIES.len() as u64) as usize];
    let tags: Vec<Value> = (0..rng.below(4)).map(|_| Value::from(rng.pick(TAGS))).collect();
    Value::map([
        ("id", Value::Int(1_000_000 + i128::from(i) * 7 + i128::from(rng.below(7)))),
        ("username", Value::from(format!("{first}.{last}{n}"))),
        ("name", Value::from(format!("{} {}", capitalize(first), capitalize(last)))),
        ("email", Value::from(format!("{first}.{last}{n}@{}", rng.pick(DOMAINS)))),
        ("api_token", Value::from(format!("{:016x}{:016x}", rng.next(), rng.next()))),
        ("created_at", Value::from(timestamp(rng))),
        ("last_login", Value::from(timestamp(rng))),
        ("score", Value::Float((rng.unit() * 1000.0 * 100.0).round() / 100.0)),
        ("balance", Value::Float(rng.unit() * 25_000.0 - 5_000.0)),
        ("login_count", Value::Int(i128::from(rng.below(5000)))),
        ("active", Value::Bool(rng.below(10) != 0)),
        ("plan", Value::from(rng.pick(PLANS))),
        ("tags", Value::Array(tags)),
        ("bio", Value::from((0..bio_words).map(|_| rng.pick(WORDS)).collect::<Vec<_>>().join(" "))),
        (
            "address",
            Value::map([
                ("street", Value::from(format!("{} {} Street", 1 + rng.below(400), capitalize(rng.pick(LAST))))),
                ("city", Value::from(city)),
                ("country", Value::from(country)),
                ("postal_code", Value::from(format!("{:05}", rng.below(100_000)))),
            ]),
        ),
    ])
}

/// StandardSerializer bytes of an array of records filling `target` as closely as it can: whole
/// records (each with a 4..=15-word bio) while they fit, then one last record whose bio is cut
/// word by word until the document fits.
fn payload(target: usize) -> (Vec<u8>, usize) {
    let mut rng = Prng(0x9e37_79b9_7f4a_7c15);
    let mut records: Vec<Value> = Vec::new();
    let encode = |r: &[Value]| cachekit::serializer::encode(&Value::Array(r.to_vec())).unwrap();
    loop {
        let i = records.len() as u64;
        let words = 4 + rng.below(12) as usize;
        let state = rng.0;
        records.push(record(&mut rng, i, words));
        if encode(&records).len() <= target {
            continue;
        }
        // Too big: replay the same record with fewer words until it fits (or drop it).
        records.pop();
        for fewer in (0..words).rev() {
            let mut replay = Prng(state);
            records.push(record(&mut replay, i, fewer));
            if encode(&records).len() <= target {
                let bytes = encode(&records);
                return (bytes, records.len());
            }
            records.pop();
        }
        return (encode(&records), records.len());
    }
}

struct Fixture {
    label: &'static str,
    payload: Vec<u8>,
    ours_env: Vec<u8>,
    peer_env: Vec<u8>,
}

// ---------------------------------------------------------------------------------------------
// Verification (outside every timed loop)
// ---------------------------------------------------------------------------------------------

fn interop_args() -> Vec<Value> {
    vec![
        Value::Int(42),
        Value::from("alice.smith@example.com"),
        Value::map([("limit", Value::Int(50)), ("offset", Value::Int(100))]),
    ]
}

/// The peer-side key: what an SDK on top of cachekit-core would hand-roll (it has no key function).
fn peer_style_interop_key(namespace: &str, operation: &str, args: &(i64, &str, BTreeMap<&str, i64>)) -> String {
    let bytes = rmp_serde::to_vec(args).expect("rmp-serde encodes the args");
    let digest = Blake2b::<U32>::digest(&bytes);
    format!("{namespace}:{operation}:{}", hex::encode(digest))
}

fn peer_args() -> (i64, &'static str, BTreeMap<&'static str, i64>) {
    (42, "alice.smith@example.com", BTreeMap::from([("limit", 50), ("offset", 100)]))
}

struct Crypto {
    ours: Keyring,
    peer: ZeroKnowledgeEncryptor,
    peer_key: [u8; 32],
    aad: Vec<u8>,
}

fn crypto_setup() -> Crypto {
    let master = MasterKey::from_hex(MASTER_KEY_HEX).unwrap();
    let ours = Keyring::new(&master, &[], DEFAULT_TENANT).unwrap();
    // The peer's equivalent derivation, done once: same HKDF-SHA256, salt and info as SPEC §6.
    let peer_key = derive_domain_key(master.as_bytes(), DOMAIN_ENCRYPTION, DEFAULT_TENANT.as_bytes()).unwrap();
    assert_eq!(
        peer_key,
        *derive_key(&master, DOMAIN_ENCRYPTION, DEFAULT_TENANT).unwrap(),
        "both derive the same tenant key"
    );
    let key = cachekit::keys::interop_key("users", "get_user", &interop_args()).unwrap();
    let aad =
        Aad { tenant: DEFAULT_TENANT, cache_key: &key, format: "msgpack", compressed: false, original_type: None }
            .to_bytes();
    Crypto { ours, peer: ZeroKnowledgeEncryptor::new().unwrap(), peer_key, aad }
}

fn verify(fixtures: &[Fixture], crypto: &Crypto) {
    let storage = ByteStorage::new(None);
    println!("== verification (before timing) ==");
    for f in fixtures {
        let p = &f.payload;
        // Each implementation round-trips its own output.
        assert_eq!(&cachekit::envelope::retrieve(&f.ours_env).unwrap(), p, "ours: store/retrieve");
        let (back, format) = storage.retrieve(&f.peer_env).unwrap();
        assert_eq!((&back, format.as_str()), (p, "msgpack"), "peer: store/retrieve");
        // Each reads the other's envelope.
        assert_eq!(&cachekit::envelope::retrieve(&f.peer_env).unwrap(), p, "ours reads the peer's envelope");
        assert_eq!(&storage.retrieve(&f.ours_env).unwrap().0, p, "peer reads our envelope");
        let env = cachekit::envelope::parse(&f.ours_env).unwrap();
        let first_diff = f.ours_env.iter().zip(&f.peer_env).position(|(a, b)| a != b);
        println!(
            "{}: payload {} B msgpack, lz4 block {} B (ratio {:.3}), envelope ours {} B / peer {} B, byte-identical: {}{}",
            f.label,
            p.len(),
            env.compressed.len(),
            env.compressed.len() as f64 / p.len() as f64,
            f.ours_env.len(),
            f.peer_env.len(),
            if f.ours_env == f.peer_env { "YES" } else { "NO" },
            match first_diff {
                Some(i) if f.ours_env != f.peer_env => format!(" (first difference at byte {i})"),
                _ => String::new(),
            }
        );

        // Encryption: each round-trips its own ciphertext, and each decrypts the other's.
        let ours_ct = crypto.ours.encrypt(&crypto.aad, p).unwrap();
        assert_eq!(&*crypto.ours.decrypt(&crypto.aad, &ours_ct).unwrap(), p, "ours: encrypt/decrypt");
        let peer_ct = crypto.peer.encrypt_aes_gcm(p, &crypto.peer_key, &crypto.aad).unwrap();
        assert_eq!(&crypto.peer.decrypt_aes_gcm(&peer_ct, &crypto.peer_key, &crypto.aad).unwrap(), p, "peer: enc/dec");
        assert_eq!(&*crypto.ours.decrypt(&crypto.aad, &peer_ct).unwrap(), p, "ours decrypts the peer's ciphertext");
        assert_eq!(
            &crypto.peer.decrypt_aes_gcm(&ours_ct, &crypto.peer_key, &crypto.aad).unwrap(),
            p,
            "peer decrypts our ciphertext"
        );
        assert_eq!(ours_ct.len(), peer_ct.len(), "same layout nonce(12) || ct || tag(16)");
        println!(
            "{}: AES-256-GCM ciphertext {} B each (nonce 12 + {} + tag 16); cross-decrypt both ways: OK",
            f.label,
            ours_ct.len(),
            p.len()
        );
    }
    let ours_key = cachekit::keys::interop_key("users", "get_user", &interop_args()).unwrap();
    let peer_key = peer_style_interop_key("users", "get_user", &peer_args());
    assert_eq!(ours_key, peer_key, "the peer-side baseline computes the same interop key");
    println!("interop key: {ours_key} (peer-side rmp-serde + blake2b baseline: identical)");
    println!("== verification passed ==");
}

// ---------------------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------------------

fn group<'a>(c: &'a mut Criterion, name: String, bytes: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g
}

fn bench_envelope(c: &mut Criterion, fixtures: &[Fixture]) {
    let storage = ByteStorage::new(None);
    for f in fixtures {
        let p = f.payload.as_slice();
        let mut g = group(c, format!("envelope/store/{}", f.label), p.len());
        g.bench_function(OURS, |b| b.iter(|| cachekit::envelope::store(black_box(p)).unwrap()));
        g.bench_function(PEER, |b| b.iter(|| storage.store(black_box(p), None).unwrap()));
        g.finish();

        let mut g = group(c, format!("envelope/retrieve/{}", f.label), p.len());
        g.bench_function(OURS, |b| b.iter(|| cachekit::envelope::retrieve(black_box(&f.ours_env)).unwrap()));
        g.bench_function(PEER, |b| b.iter(|| storage.retrieve(black_box(&f.peer_env)).unwrap()));
        g.finish();

        let mut g = group(c, format!("envelope/roundtrip/{}", f.label), p.len());
        g.bench_function(OURS, |b| {
            b.iter(|| {
                let env = cachekit::envelope::store(black_box(p)).unwrap();
                cachekit::envelope::retrieve(black_box(&env)).unwrap()
            })
        });
        g.bench_function(PEER, |b| {
            b.iter(|| {
                let env = storage.store(black_box(p), None).unwrap();
                storage.retrieve(black_box(&env)).unwrap()
            })
        });
        g.finish();
    }
}

fn bench_crypto(c: &mut Criterion, fixtures: &[Fixture], k: &Crypto) {
    for f in fixtures {
        let p = f.payload.as_slice();
        let aad = k.aad.as_slice();
        let ours_ct = k.ours.encrypt(aad, p).unwrap();
        let peer_ct = k.peer.encrypt_aes_gcm(p, &k.peer_key, aad).unwrap();

        let mut g = group(c, format!("crypto/encrypt/{}", f.label), p.len());
        g.bench_function(OURS, |b| b.iter(|| k.ours.encrypt(black_box(aad), black_box(p)).unwrap()));
        g.bench_function(PEER, |b| {
            b.iter(|| k.peer.encrypt_aes_gcm(black_box(p), &k.peer_key, black_box(aad)).unwrap())
        });
        g.finish();

        let mut g = group(c, format!("crypto/decrypt/{}", f.label), p.len());
        g.bench_function(OURS, |b| b.iter(|| k.ours.decrypt(black_box(aad), black_box(&ours_ct)).unwrap()));
        g.bench_function(PEER, |b| {
            b.iter(|| k.peer.decrypt_aes_gcm(black_box(&peer_ct), &k.peer_key, black_box(aad)).unwrap())
        });
        g.finish();

        let mut g = group(c, format!("crypto/roundtrip/{}", f.label), p.len());
        g.bench_function(OURS, |b| {
            b.iter(|| {
                let ct = k.ours.encrypt(black_box(aad), black_box(p)).unwrap();
                k.ours.decrypt(black_box(aad), black_box(&ct)).unwrap()
            })
        });
        g.bench_function(PEER, |b| {
            b.iter(|| {
                let ct = k.peer.encrypt_aes_gcm(black_box(p), &k.peer_key, black_box(aad)).unwrap();
                k.peer.decrypt_aes_gcm(black_box(&ct), &k.peer_key, black_box(aad)).unwrap()
            })
        });
        g.finish();
    }
}

fn bench_keys(c: &mut Criterion) {
    let args = interop_args();
    let pargs = peer_args();
    let mut g = c.benchmark_group("key/interop");
    g.bench_function(OURS, |b| {
        b.iter(|| cachekit::keys::interop_key(black_box("users"), black_box("get_user"), black_box(&args)).unwrap())
    });
    g.bench_function(PEER, |b| {
        b.iter(|| peer_style_interop_key(black_box("users"), black_box("get_user"), black_box(&pargs)))
    });
    g.finish();
}

thread_local! {
    /// The peer's reuse strategy for inputs under 4 KiB: one table and scratch per thread.
    static LZ4_013_STATE: RefCell<(Box<lz4_flex::block::CompressTable>, Vec<u8>)> =
        RefCell::new((Box::new(lz4_flex::block::CompressTable::small()), vec![0; 4 * 1024 + 1024]));
}

/// The pieces each pipeline is made of, alone, to explain the differences.
fn bench_pieces(c: &mut Criterion, fixtures: &[Fixture], k: &Crypto) {
    let master = MasterKey::from_hex(MASTER_KEY_HEX).unwrap();
    let derived = derive_key(&master, DOMAIN_ENCRYPTION, DEFAULT_TENANT).unwrap();
    let rc = Aes256Gcm::new(derived.as_ref().into());
    let ring_key =
        ring::aead::LessSafeKey::new(ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &*derived).unwrap());
    let nonce = [7u8; 12];
    for f in fixtures {
        let p = f.payload.as_slice();
        let env = cachekit::envelope::parse(&f.ours_env).unwrap();
        let block = env.compressed.clone();

        let mut g = group(c, format!("piece/lz4_compress/{}", f.label), p.len());
        g.bench_function("lz4_flex-0.11 safe-encode compress (ours before the 0.13 switch)", |b| {
            b.iter(|| lz4_flex_011::block::compress(black_box(p)))
        });
        g.bench_function("lz4_flex-0.13 compress (peer, >=4KiB)", |b| {
            b.iter(|| lz4_flex::block::compress(black_box(p)))
        });
        if p.len() < 4096 {
            g.bench_function("lz4_flex-0.13 thread table + scratch (peer, <4KiB)", |b| {
                b.iter(|| {
                    LZ4_013_STATE.with(|cell| {
                        let (table, scratch) = &mut *cell.borrow_mut();
                        let n = lz4_flex::block::compress_into_with_table(black_box(p), scratch, table).unwrap();
                        scratch[..n].to_vec()
                    })
                })
            });
        }
        g.finish();

        let mut g = group(c, format!("piece/lz4_decompress/{}", f.label), p.len());
        g.bench_function("lz4_flex-0.11 vec![0;n] + decompress_into (ours before the 0.13 switch)", |b| {
            b.iter(|| {
                let mut out = vec![0u8; p.len()];
                lz4_flex_011::block::decompress_into(black_box(&block), &mut out).unwrap();
                out
            })
        });
        g.bench_function("lz4_flex-0.13 decompress (peer)", |b| {
            b.iter(|| lz4_flex::block::decompress(black_box(&block), p.len()).unwrap())
        });
        g.finish();

        let mut g = group(c, format!("piece/xxh3_64/{}", f.label), p.len());
        g.bench_function("xxh3_64", |b| b.iter(|| xxhash_rust::xxh3::xxh3_64(black_box(p))));
        g.finish();

        let mut g = group(c, format!("piece/framing/{}", f.label), p.len());
        g.bench_function("ours parse (scan + typed decode + copy of the block)", |b| {
            b.iter(|| cachekit::envelope::parse(black_box(&f.ours_env)).unwrap())
        });
        g.bench_function("ours bounds::scan only", |b| {
            b.iter(|| cachekit::msgpack::bounds::scan(black_box(&f.ours_env)).unwrap())
        });
        g.bench_function("proto scan only (inline counter stack)", |b| {
            b.iter(|| proto::scan(black_box(&f.ours_env)).unwrap())
        });
        g.bench_function("proto parse (proto scan + typed decode, borrowed block)", |b| {
            b.iter(|| proto::parse(black_box(&f.ours_env)).unwrap().checksum)
        });
        g.bench_function("peer check_msgpack_structure only", |b| {
            b.iter(|| peer::check_msgpack_structure(black_box(&f.peer_env), 100).is_ok())
        });
        g.bench_function("block.to_vec() (the copy parse makes)", |b| b.iter(|| black_box(&block).to_vec()));
        g.finish();

        let mut g = group(c, format!("piece/aes_gcm_seal/{}", f.label), p.len());
        g.bench_function("RustCrypto aes-gcm 0.10, in place, key expanded once", |b| {
            let mut buf = p.to_vec();
            b.iter(|| {
                rc.encrypt_in_place_detached(Nonce::from_slice(&nonce), black_box(&k.aad), black_box(&mut buf)).unwrap()
            })
        });
        g.bench_function("ring 0.17, in place, key expanded once", |b| {
            let mut buf = p.to_vec();
            b.iter(|| {
                ring_key
                    .seal_in_place_separate_tag(
                        ring::aead::Nonce::assume_unique_for_key(nonce),
                        ring::aead::Aad::from(black_box(&k.aad)),
                        black_box(&mut buf),
                    )
                    .unwrap()
            })
        });
        g.bench_function("ring 0.17 key setup only (peer pays it per call)", |b| {
            b.iter(|| {
                ring::aead::LessSafeKey::new(
                    ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, black_box(&*derived)).unwrap(),
                )
            })
        });
        g.finish();

        let mut g = group(c, format!("piece/plaintext_drop/{}", f.label), p.len());
        g.bench_function("Vec<u8> clone + drop", |b| b.iter(|| black_box(p.to_vec())));
        g.bench_function("Zeroizing<Vec<u8>> clone + drop (ours decrypt output)", |b| {
            b.iter(|| black_box(zeroize::Zeroizing::new(p.to_vec())))
        });
        g.bench_function("clone + fill(0) wipe on drop (proposed)", |b| b.iter(|| black_box(proto::Wiped(p.to_vec()))));
        g.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// Prototypes of the proposed core changes (safe Rust, public cachekit APIs only), measured in the
// same run so the expected gains in docs/benchmarks.md are evidence, not guesses. Not used by
// any comparison group.
// ---------------------------------------------------------------------------------------------

mod proto {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicU64, Ordering};

    use aes_gcm::aead::AeadInPlace;
    use aes_gcm::{Aes256Gcm, Nonce, Tag};
    use cachekit::msgpack::read::{Head, Reader, Token};
    use cachekit::msgpack::write;

    const MAX_DEPTH: usize = cachekit::msgpack::bounds::MAX_DEPTH;
    const INLINE: usize = 16;

    /// `bounds::scan` with the open-collection counters in an inline array (spilling to a Vec
    /// only past 16 levels): no heap allocation for any realistic document.
    pub fn scan(buf: &[u8]) -> Result<usize, ()> {
        let budget = (buf.len() as u64).saturating_sub(1);
        let mut slots: u64 = 0;
        let mut inline = [0u64; INLINE];
        let mut spill: Vec<u64> = Vec::new();
        let mut depth = 0usize;
        let mut r = Reader::new(buf);
        let mut claim = |n: u64| -> Result<(), ()> {
            slots = slots.checked_add(n).filter(|s| *s <= budget).ok_or(())?;
            Ok(())
        };
        loop {
            if r.remaining() == 0 {
                return Err(());
            }
            let children = match r.next_head().map_err(|_| ())? {
                Head::Str(n) | Head::Bin(n) | Head::Ext(_, n) => {
                    claim(u64::from(n))?;
                    r.payload(n).map_err(|_| ())?;
                    0
                }
                h @ (Head::Array(n) | Head::Map(n)) => {
                    let n = if matches!(h, Head::Map(_)) { 2 * u64::from(n) } else { u64::from(n) };
                    claim(n)?;
                    if depth + 1 > MAX_DEPTH {
                        return Err(());
                    }
                    n
                }
                _ => 0,
            };
            if children > 0 {
                if depth < INLINE {
                    inline[depth] = children
                } else {
                    spill.push(children)
                }
                depth += 1;
                continue;
            }
            loop {
                if depth == 0 {
                    return Ok(r.position());
                }
                let left = if depth <= INLINE { &mut inline[depth - 1] } else { spill.last_mut().unwrap() };
                *left -= 1;
                if *left > 0 {
                    break;
                }
                if depth > INLINE {
                    spill.pop();
                }
                depth -= 1;
            }
        }
    }

    /// The parsed envelope, borrowing the LZ4 block from the input (bin encoding; the legacy
    /// int-array encoding would own its bytes, as today).
    pub struct Env<'a> {
        pub block: &'a [u8],
        pub checksum: u64,
        pub original_size: u64,
    }

    fn byte(t: Token<'_>) -> Result<u8, ()> {
        match t {
            Token::UInt(v) if v <= 255 => Ok(v as u8),
            _ => Err(()),
        }
    }

    /// Today's order: the bounds pre-scan, then the typed decode.
    pub fn parse(bytes: &[u8]) -> Result<Env<'_>, ()> {
        if bytes.len() as u64 > cachekit::envelope::MAX_SIZE || scan(bytes)? != bytes.len() {
            return Err(());
        }
        typed(bytes)
    }

    /// Decode first, scan only when the decode fails. For the envelope's fixed shape a typed
    /// decode that consumes the whole input proves the scan passes (depth 2, complete, and every
    /// declared slot is backed by at least one byte with the headers adding at least 13 more, so
    /// slots <= len - 1). On failure the scan runs, so the error a caller sees is the one the
    /// spec's order gives (decode_bounds before envelope_structure).
    pub fn parse_decode_first(bytes: &[u8]) -> Result<Env<'_>, ()> {
        if bytes.len() as u64 > cachekit::envelope::MAX_SIZE {
            return Err(());
        }
        typed(bytes).or_else(|()| {
            scan(bytes)?;
            typed(bytes)
        })
    }

    fn typed(bytes: &[u8]) -> Result<Env<'_>, ()> {
        let mut r = Reader::new(bytes);
        if r.next_token().map_err(|_| ())? != Token::Array(4) {
            return Err(());
        }
        let Token::Bin(block) = r.next_token().map_err(|_| ())? else { return Err(()) };
        if r.next_token().map_err(|_| ())? != Token::Array(8) {
            return Err(());
        }
        let mut sum = [0u8; 8];
        for s in &mut sum {
            *s = byte(r.next_token().map_err(|_| ())?)?;
        }
        let Token::UInt(original_size) = r.next_token().map_err(|_| ())? else { return Err(()) };
        let Token::Str(format) = r.next_token().map_err(|_| ())? else { return Err(()) };
        std::str::from_utf8(format).map_err(|_| ())?;
        if r.remaining() != 0 {
            return Err(());
        }
        Ok(Env { block, checksum: u64::from_be_bytes(sum), original_size })
    }

    /// Today's `Envelope::open` checks and decompression, on the borrowed block.
    pub fn retrieve(bytes: &[u8], lz4_013: bool, decode_first: bool) -> Result<Vec<u8>, ()> {
        let e = if decode_first { parse_decode_first(bytes)? } else { parse(bytes)? };
        let clen = e.block.len() as u64;
        if clen == 0 || clen > cachekit::envelope::MAX_SIZE || e.original_size > cachekit::envelope::MAX_SIZE {
            return Err(());
        }
        if e.original_size > cachekit::envelope::MAX_RATIO * clen {
            return Err(());
        }
        let mut out = vec![0u8; e.original_size as usize];
        let n = if lz4_013 {
            lz4_flex::block::decompress_into(e.block, &mut out).map_err(|_| ())?
        } else {
            lz4_flex_011::block::decompress_into(e.block, &mut out).map_err(|_| ())?
        };
        if n as u64 != e.original_size || xxhash_rust::xxh3::xxh3_64(&out) != e.checksum {
            return Err(());
        }
        Ok(out)
    }

    thread_local! {
        static TABLE: RefCell<(Box<lz4_flex::block::CompressTable>, Vec<u8>)> = RefCell::new((
            Box::new(lz4_flex::block::CompressTable::small()),
            vec![0; lz4_flex::block::get_maximum_output_size(4095)],
        ));
    }

    /// `envelope::store` with lz4_flex 0.13's default (non-`safe-encode`) block compressor, its
    /// hash table and scratch kept per thread below 4 KiB (same bytes as a fresh `compress`).
    pub fn store(data: &[u8]) -> Vec<u8> {
        let frame = |out: &mut Vec<u8>, block: &[u8]| {
            write::array_len(out, 4).unwrap();
            write::bin(out, block).unwrap();
            write::array_len(out, 8).unwrap();
            for b in xxhash_rust::xxh3::xxh3_64(data).to_be_bytes() {
                write::uint(out, u64::from(b));
            }
            write::uint(out, data.len() as u64);
            write::str(out, cachekit::envelope::FORMAT_MSGPACK).unwrap();
        };
        if data.len() < 4096 {
            TABLE.with(|cell| {
                let (table, scratch) = &mut *cell.borrow_mut();
                let n = lz4_flex::block::compress_into_with_table(data, scratch, table).unwrap();
                let mut out = Vec::with_capacity(n + 40);
                frame(&mut out, &scratch[..n]);
                out
            })
        } else {
            let block = lz4_flex::block::compress(data);
            let mut out = Vec::with_capacity(block.len() + 40);
            frame(&mut out, &block);
            out
        }
    }

    /// A plaintext buffer wiped with one `fill(0)` (a memset) on drop; `black_box` keeps the
    /// stores from being removed as dead. Best effort, like `zeroize`, but at memset speed.
    pub struct Wiped(pub Vec<u8>);
    impl Drop for Wiped {
        fn drop(&mut self) {
            self.0.fill(0);
            std::hint::black_box(&mut self.0);
        }
    }

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    fn next_nonce() -> [u8; 12] {
        let c = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut n = [0u8; 12];
        n[..8].copy_from_slice(&0x0123_4567_89ab_cdefu64.to_be_bytes());
        n[8..].copy_from_slice(&(c as u32).to_be_bytes());
        n
    }

    /// RustCrypto, one output buffer: `nonce || ct || tag` sealed in place (today: `encrypt`
    /// allocates ct||tag, then `seal_with_nonce` copies it behind the nonce).
    pub fn rc_seal(cipher: &Aes256Gcm, aad: &[u8], pt: &[u8]) -> Vec<u8> {
        let nonce = next_nonce();
        let mut out = Vec::with_capacity(12 + pt.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(pt);
        let tag = cipher.encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut out[12..]).unwrap();
        out.extend_from_slice(&tag);
        out
    }

    pub fn rc_open(cipher: &Aes256Gcm, aad: &[u8], stored: &[u8]) -> Wiped {
        let (nonce, rest) = stored.split_at(12);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let mut buf = Wiped(ct.to_vec());
        cipher.decrypt_in_place_detached(Nonce::from_slice(nonce), aad, &mut buf.0, Tag::from_slice(tag)).unwrap();
        buf
    }

    /// ring with the key expanded once (held in the tenant key, as `Aes256Gcm` is today).
    pub fn ring_seal(key: &ring::aead::LessSafeKey, aad: &[u8], pt: &[u8]) -> Vec<u8> {
        let nonce = next_nonce();
        let mut out = Vec::with_capacity(12 + pt.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(pt);
        let tag = key
            .seal_in_place_separate_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(aad),
                &mut out[12..],
            )
            .unwrap();
        out.extend_from_slice(tag.as_ref());
        out
    }

    pub fn ring_open(key: &ring::aead::LessSafeKey, aad: &[u8], stored: &[u8]) -> Vec<u8> {
        let nonce: [u8; 12] = stored[..12].try_into().unwrap();
        let mut buf = stored[12..].to_vec();
        let n = key
            .open_in_place(ring::aead::Nonce::assume_unique_for_key(nonce), ring::aead::Aad::from(aad), &mut buf)
            .unwrap()
            .len();
        buf.truncate(n);
        buf
    }
}

fn bench_proto(c: &mut Criterion, fixtures: &[Fixture], k: &Crypto) {
    let master = MasterKey::from_hex(MASTER_KEY_HEX).unwrap();
    let derived = derive_key(&master, DOMAIN_ENCRYPTION, DEFAULT_TENANT).unwrap();
    let rc = Aes256Gcm::new(derived.as_ref().into());
    let ring_key =
        ring::aead::LessSafeKey::new(ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &*derived).unwrap());
    let aad = k.aad.as_slice();
    for f in fixtures {
        let p = f.payload.as_slice();
        // The prototypes are checked like the real thing before they are timed.
        assert_eq!(proto::store(p), f.ours_env, "proto store writes today's bytes");
        assert_eq!(proto::retrieve(&f.ours_env, false, false).unwrap(), p);
        assert_eq!(proto::retrieve(&f.ours_env, true, false).unwrap(), p);
        assert_eq!(proto::retrieve(&f.ours_env, true, true).unwrap(), p);
        assert!(proto::parse_decode_first(&f.ours_env[..f.ours_env.len() - 1]).is_err());
        assert!(proto::parse_decode_first(&[f.ours_env.as_slice(), &[0xc0]].concat()).is_err());
        assert_eq!(proto::scan(&f.ours_env), Ok(f.ours_env.len()));
        let rc_ct = proto::rc_seal(&rc, aad, p);
        assert_eq!(&*k.ours.decrypt(aad, &rc_ct).unwrap(), p, "proto RustCrypto output is readable by ours");
        assert_eq!(proto::rc_open(&rc, aad, &rc_ct).0, p);
        let ring_ct = proto::ring_seal(&ring_key, aad, p);
        assert_eq!(&*k.ours.decrypt(aad, &ring_ct).unwrap(), p, "proto ring output is readable by ours");
        assert_eq!(proto::ring_open(&ring_key, aad, &ring_ct), p);

        let mut g = group(c, format!("proto/envelope/store/{}", f.label), p.len());
        g.bench_function("lz4_flex-0.13 + per-thread table", |b| b.iter(|| proto::store(black_box(p))));
        g.finish();
        let mut g = group(c, format!("proto/envelope/retrieve/{}", f.label), p.len());
        g.bench_function("no-alloc scan + borrowed block, lz4_flex-0.11", |b| {
            b.iter(|| proto::retrieve(black_box(&f.ours_env), false, false).unwrap())
        });
        g.bench_function("no-alloc scan + borrowed block, lz4_flex-0.13", |b| {
            b.iter(|| proto::retrieve(black_box(&f.ours_env), true, false).unwrap())
        });
        g.bench_function("decode-first (scan on failure) + borrowed block, lz4_flex-0.13", |b| {
            b.iter(|| proto::retrieve(black_box(&f.ours_env), true, true).unwrap())
        });
        g.finish();
        let mut g = group(c, format!("proto/envelope/roundtrip/{}", f.label), p.len());
        g.bench_function("all proposed envelope changes", |b| {
            b.iter(|| {
                let env = proto::store(black_box(p));
                proto::retrieve(black_box(&env), true, true).unwrap()
            })
        });
        g.finish();

        let mut g = group(c, format!("proto/crypto/roundtrip/{}", f.label), p.len());
        g.bench_function("RustCrypto, one buffer, memset wipe", |b| {
            b.iter(|| {
                let ct = proto::rc_seal(&rc, black_box(aad), black_box(p));
                proto::rc_open(&rc, black_box(aad), black_box(&ct))
            })
        });
        g.bench_function("ring key-once, one buffer, zeroize (byte-wise) wipe", |b| {
            b.iter(|| {
                let ct = proto::ring_seal(&ring_key, black_box(aad), black_box(p));
                zeroize::Zeroizing::new(proto::ring_open(&ring_key, black_box(aad), black_box(&ct)))
            })
        });
        g.bench_function("ring key-once, one buffer, memset wipe", |b| {
            b.iter(|| {
                let ct = proto::ring_seal(&ring_key, black_box(aad), black_box(p));
                proto::Wiped(proto::ring_open(&ring_key, black_box(aad), black_box(&ct)))
            })
        });
        g.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// Paired A/B check: the machine is shared (2 cores), so besides criterion's per-benchmark medians
// the run prints, for every comparison, the median over 41 rounds of peer_time / our_time, each
// round timing a batch of ours and a batch of the peer back to back (order alternating). Load
// that comes and goes hits both sides of a round alike.
// ---------------------------------------------------------------------------------------------

fn paired(fixtures: &[Fixture], k: &Crypto) {
    let storage = ByteStorage::new(None);
    let aad = k.aad.as_slice();
    println!("== paired A/B: median ours, median cachekit-core, median of per-round ratio peer/ours ==");
    let show = |name: String, (o, p, r): (f64, f64, f64)| {
        println!("{name:44} ours {o:>10.0} ns  cachekit-core {p:>10.0} ns  ratio {r:.2}");
    };
    for f in fixtures {
        let p = f.payload.as_slice();
        let n = if p.len() < 4096 { 2000 } else { 40 };
        let (oe, pe) = (&f.ours_env, &f.peer_env);
        let (oc, pc) = (k.ours.encrypt(aad, p).unwrap(), k.peer.encrypt_aes_gcm(p, &k.peer_key, aad).unwrap());
        show(
            format!("envelope/store/{}", f.label),
            paired_ratio(
                n,
                || drop(black_box(cachekit::envelope::store(black_box(p)).unwrap())),
                || drop(black_box(storage.store(black_box(p), None).unwrap())),
            ),
        );
        show(
            format!("envelope/retrieve/{}", f.label),
            paired_ratio(
                n,
                || drop(black_box(cachekit::envelope::retrieve(black_box(oe)).unwrap())),
                || drop(black_box(storage.retrieve(black_box(pe)).unwrap())),
            ),
        );
        show(
            format!("envelope/roundtrip/{}", f.label),
            paired_ratio(
                n,
                || {
                    let e = cachekit::envelope::store(black_box(p)).unwrap();
                    drop(black_box(cachekit::envelope::retrieve(black_box(&e)).unwrap()))
                },
                || {
                    let e = storage.store(black_box(p), None).unwrap();
                    drop(black_box(storage.retrieve(black_box(&e)).unwrap()))
                },
            ),
        );
        show(
            format!("crypto/encrypt/{}", f.label),
            paired_ratio(
                n,
                || drop(black_box(k.ours.encrypt(black_box(aad), black_box(p)).unwrap())),
                || drop(black_box(k.peer.encrypt_aes_gcm(black_box(p), &k.peer_key, black_box(aad)).unwrap())),
            ),
        );
        show(
            format!("crypto/decrypt/{}", f.label),
            paired_ratio(
                n,
                || drop(black_box(k.ours.decrypt(black_box(aad), black_box(&oc)).unwrap())),
                || drop(black_box(k.peer.decrypt_aes_gcm(black_box(&pc), &k.peer_key, black_box(aad)).unwrap())),
            ),
        );
        show(
            format!("crypto/roundtrip/{}", f.label),
            paired_ratio(
                n,
                || {
                    let c = k.ours.encrypt(black_box(aad), black_box(p)).unwrap();
                    drop(black_box(k.ours.decrypt(black_box(aad), black_box(&c)).unwrap()))
                },
                || {
                    let c = k.peer.encrypt_aes_gcm(black_box(p), &k.peer_key, black_box(aad)).unwrap();
                    drop(black_box(k.peer.decrypt_aes_gcm(black_box(&c), &k.peer_key, black_box(aad)).unwrap()))
                },
            ),
        );
    }
    let (args, pargs) = (interop_args(), peer_args());
    show(
        "key/interop".into(),
        paired_ratio(
            2000,
            || drop(black_box(cachekit::keys::interop_key("users", "get_user", black_box(&args)).unwrap())),
            || drop(black_box(peer_style_interop_key("users", "get_user", black_box(&pargs)))),
        ),
    );

    // The prototypes of the proposed core changes (see `proto`), against the same peer numbers.
    println!("== paired A/B, prototypes of the proposed changes in the 'ours' column ==");
    let master = MasterKey::from_hex(MASTER_KEY_HEX).unwrap();
    let derived = derive_key(&master, DOMAIN_ENCRYPTION, DEFAULT_TENANT).unwrap();
    let rc = Aes256Gcm::new(derived.as_ref().into());
    let ring_key =
        ring::aead::LessSafeKey::new(ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &*derived).unwrap());
    for f in fixtures {
        let p = f.payload.as_slice();
        let n = if p.len() < 4096 { 2000 } else { 40 };
        let (oe, pe) = (&f.ours_env, &f.peer_env);
        let peer_roundtrip = || {
            let c = k.peer.encrypt_aes_gcm(black_box(p), &k.peer_key, black_box(aad)).unwrap();
            drop(black_box(k.peer.decrypt_aes_gcm(black_box(&c), &k.peer_key, black_box(aad)).unwrap()))
        };
        show(
            format!("proto envelope/store/{}", f.label),
            paired_ratio(
                n,
                || drop(black_box(proto::store(black_box(p)))),
                || drop(black_box(storage.store(black_box(p), None).unwrap())),
            ),
        );
        show(
            format!("proto envelope/retrieve/{}", f.label),
            paired_ratio(
                n,
                || drop(black_box(proto::retrieve(black_box(oe), true, true).unwrap())),
                || drop(black_box(storage.retrieve(black_box(pe)).unwrap())),
            ),
        );
        show(
            format!("proto envelope/roundtrip/{}", f.label),
            paired_ratio(
                n,
                || {
                    let e = proto::store(black_box(p));
                    drop(black_box(proto::retrieve(black_box(&e), true, true).unwrap()))
                },
                || {
                    let e = storage.store(black_box(p), None).unwrap();
                    drop(black_box(storage.retrieve(black_box(&e)).unwrap()))
                },
            ),
        );
        show(
            format!("proto crypto/rt RustCrypto 1buf+memset/{}", f.label),
            paired_ratio(
                n,
                || {
                    let c = proto::rc_seal(&rc, black_box(aad), black_box(p));
                    drop(black_box(proto::rc_open(&rc, black_box(aad), black_box(&c))))
                },
                peer_roundtrip,
            ),
        );
        show(
            format!("proto crypto/rt ring 1buf+zeroize/{}", f.label),
            paired_ratio(
                n,
                || {
                    let c = proto::ring_seal(&ring_key, black_box(aad), black_box(p));
                    drop(black_box(zeroize::Zeroizing::new(proto::ring_open(&ring_key, black_box(aad), black_box(&c)))))
                },
                peer_roundtrip,
            ),
        );
        show(
            format!("proto crypto/rt ring 1buf+memset/{}", f.label),
            paired_ratio(
                n,
                || {
                    let c = proto::ring_seal(&ring_key, black_box(aad), black_box(p));
                    drop(black_box(proto::Wiped(proto::ring_open(&ring_key, black_box(aad), black_box(&c)))))
                },
                peer_roundtrip,
            ),
        );
    }
}

fn main() {
    let storage = ByteStorage::new(None);
    let fixtures: Vec<Fixture> = SIZES
        .iter()
        .map(|&(label, target)| {
            let (payload, records) = payload(target);
            println!("{label}: {records} records, {} B of StandardSerializer msgpack", payload.len());
            // For experiments outside this bench (e.g. other lz4_flex builds on the same bytes).
            if let Some(dir) = std::env::var_os("VS_CACHEKIT_CORE_DUMP_DIR") {
                std::fs::write(std::path::Path::new(&dir).join(format!("payload-{label}.msgpack")), &payload).unwrap();
            }
            let ours_env = cachekit::envelope::store(&payload).unwrap();
            let peer_env = storage.store(&payload, None).unwrap();
            Fixture { label, payload, ours_env, peer_env }
        })
        .collect();
    let crypto = crypto_setup();
    verify(&fixtures, &crypto);
    // Skipped when criterion is only asked to list or to run a filtered subset.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.is_empty() {
        paired(&fixtures, &crypto);
    }
    if std::env::var_os("VS_CACHEKIT_CORE_PAIRED_ONLY").is_some() {
        return;
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    bench_envelope(&mut c, &fixtures);
    bench_crypto(&mut c, &fixtures, &crypto);
    bench_keys(&mut c);
    bench_pieces(&mut c, &fixtures, &crypto);
    bench_proto(&mut c, &fixtures, &crypto);
    c.final_summary();
}
