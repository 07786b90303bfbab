#!/usr/bin/env python3
"""End-to-end check of tests/interop/python_peer.py against a live Redis.

    tests/interop/run-selftest                      # starts and stops its own redis-server
    <venv>/bin/python tests/interop/selftest.py --redis redis://127.0.0.1:6390/0

Drives the peer exactly as the Rust integration tests do (one subprocess per command, JSON on
stdout) and checks it against the conformance vectors:
- every key vector of conformance/vectors/interop-mode.json (upstream) and
  interop-mode.cachekit-py.json (SDK-generated): the key the SDK wrote == expected_key, and the
  entry reads back; error vectors: the write fails;
- value vectors: the stored bytes == canonical_msgpack_hex; value error vectors: the write fails;
- reader vectors: raw bytes put in Redis (as another SDK would write them) are read (accept) or
  refused and evicted (reject);
- encryption: write/read round trips, SDK-sealed vectors of encryption.cachekit-py.json placed in
  Redis and read, wrong key / plaintext-vs-encrypted / fail-closed / rotation / deployment UUID /
  CACHEKIT_MASTER_KEY behaviour;
- TTL behaviour and that the SDK leaves no other keys in Redis (no prefix, registry or lock keys).
Uses a dedicated Redis database: it FLUSHDBs it at the start.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import redis
from cachekit import interop

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VECTORS = ROOT / "conformance" / "vectors"
sys.path.insert(0, str(HERE))
import python_peer as peer_mod  # noqa: E402  (tagged JSON helpers only)

MK_A = "61" * 32
MK_B = "62" * 32
UUID_T = "5b0b3e0e-8d4c-4a8e-9f2a-0c1d2e3f4a5b"

failures: list[str] = []
KNOWN_KEYS: set[str] = set()  # every key a peer write reported or this script SET itself
passes = 0


def check(cond: bool, what: str) -> None:
    global passes
    if cond:
        passes += 1
    else:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def norm(tagged):
    """Tagged JSON as the peer would print it back (e.g. "...Z" datetimes become "+00:00")."""
    return peer_mod.tag(peer_mod.untag(tagged, "expected"))


class Peer:
    def __init__(self, url: str):
        self.url = url

    def run(self, *argv: str) -> tuple[int, dict]:
        p = subprocess.run(
            [sys.executable, str(HERE / "python_peer.py"), *argv],
            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
        )
        lines = p.stdout.splitlines()
        if len(lines) != 1:
            return p.returncode, {"_raw_stdout": p.stdout, "_stderr": p.stderr[-2000:]}
        return p.returncode, json.loads(lines[0])

    def write(self, ns, op, args, value, *extra):
        # --opt=value: a value starting with "-" (operation "-get", value -5) is not an option
        rc, out = self.run("write", f"--redis={self.url}", f"--namespace={ns}", f"--operation={op}",
                           f"--args={json.dumps(args)}", f"--value={json.dumps(value)}", *extra)
        if rc == 0:
            KNOWN_KEYS.add(out["key"])
        return rc, out

    def read(self, ns, op, args, *extra):
        return self.run("read", f"--redis={self.url}", f"--namespace={ns}", f"--operation={op}",
                        f"--args={json.dumps(args)}", *extra)


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis", required=True)
    url = ap.parse_args().redis
    r = redis.Redis.from_url(url)
    r.flushdb()
    peer = Peer(url)

    # ---- key vectors (plaintext and encrypted) ----------------------------------------------
    for fname in ("interop-mode.json", "interop-mode.cachekit-py.json"):
        doc = load(fname)
        for i, v in enumerate(doc["key_vectors"]):
            label = f"{fname}:{v['name']}"
            value = {"vector": v["name"], "n": i}
            extra = ("--master-key", MK_A) if i % 3 == 0 else ()  # every third one encrypted
            rc, out = peer.write(v["namespace"], v["operation"], v["args"], value, *extra)
            check(rc == 0 and out.get("key") == v["expected_key"], f"{label}: write key {out} != {v['expected_key']}")
            if rc != 0:
                continue
            if not extra:
                check(out["stored_hex"] == interop.encode_interop_value(value).hex(), f"{label}: stored bytes {out}")
            rc, out = peer.read(v["namespace"], v["operation"], v["args"], *extra)
            check(rc == 0 and out == {"hit": True, "value": value}, f"{label}: read back {out}")
        for v in doc["error_vectors"]:
            label = f"{fname}:{v['name']}"
            ns, op = v.get("namespace", "peer"), v.get("operation", "errors")
            rc, out = peer.write(ns, op, v["args"], 1)
            check(rc == 1 and "error" in out, f"{label}: write must fail, got rc={rc} {out}")

    # ---- value vectors --------------------------------------------------------------------------
    for fname in ("interop-mode.json", "interop-mode.cachekit-py.json"):
        doc = load(fname)
        for v in doc["value_vectors"]:
            label = f"{fname}:{v['name']}"
            args = ["value", v["name"]]
            rc, out = peer.write("peer", "values", args, v["value"])
            check(rc == 0 and out.get("stored_hex") == v["canonical_msgpack_hex"], f"{label}: stored {out}")
            rc, out = peer.read("peer", "values", args)
            # What the SDK's own reader makes of the canonical bytes (sentinel maps revive as temporals).
            back = peer_mod.tag(interop.decode_interop_value(bytes.fromhex(v["canonical_msgpack_hex"])))
            check(rc == 0 and out == {"hit": True, "value": back}, f"{label}: read back {out}")
            rc, out = peer.write("peer", "values-enc", args, v["value"], "--master-key", MK_A)
            stored = bytes.fromhex(out.get("stored_hex", ""))
            check(rc == 0 and len(stored) == 28 + len(bytes.fromhex(v["canonical_msgpack_hex"])), f"{label}: encrypted size {out}")
            rc, out = peer.read("peer", "values-enc", args, "--master-key", MK_A)
            check(rc == 0 and out == {"hit": True, "value": back}, f"{label}: encrypted read back {out}")
        for v in doc.get("value_error_vectors", []):
            rc, out = peer.write("peer", "value-errors", [v["name"]], v["value"])
            check(rc == 1 and "InteropError" in out.get("error", ""), f"{fname}:{v['name']}: write must fail, got {out}")

    # ---- reader vectors: bytes another writer put in Redis --------------------------------------
    for fname in ("interop-mode.json", "interop-mode.cachekit-py.json"):
        doc = load(fname)
        for kind in ("reader_accept_vectors", "reader_reject_vectors"):
            for v in doc.get(kind, []):
                label = f"{fname}:{v['name']}"
                args = ["reader", v["name"]]
                rc, out = peer.write("peer", "reader", args, 0)
                key = out["key"]
                r.set(key, bytes.fromhex(v["input_hex"]))
                rc, out = peer.read("peer", "reader", args)
                if kind == "reader_accept_vectors":
                    ok = rc == 0 and out.get("hit") is True and ("value" not in v or out["value"] == norm(v["value"]))
                    check(ok, f"{label}: accept {out}")
                else:
                    check(rc == 0 and out.get("hit") is False and r.get(key) is None, f"{label}: reject+evict {out}")

    # ---- SDK-sealed encryption vectors placed in Redis ------------------------------------------
    enc = load("encryption.cachekit-py.json")
    sealed_args = {"interop_record": ("users", "get_user", [42]), "interop_temporal_value": ("events", "list", []),
                   "interop_deployment_uuid_tenant": ("users", "get_user", [7])}
    for v in enc["vectors"]:
        if v["name"] not in sealed_args:
            continue
        ns, op, args = sealed_args[v["name"]]
        extra = ["--master-key", v.get("master_key_hex", enc["master_key_hex"])]
        if v.get("tenant_id", "default") != "default":
            extra += ["--deployment-uuid", v["tenant_id"]]
        r.set(v["cache_key"], bytes.fromhex(v["ciphertext_hex"]))
        KNOWN_KEYS.add(v["cache_key"])
        rc, out = peer.read(ns, op, args, *extra)
        expected = peer_mod.tag(interop.decode_interop_value(bytes.fromhex(v["plaintext_hex"])))
        check(rc == 0 and out == {"hit": True, "value": expected}, f"encryption.cachekit-py.json:{v['name']}: {out}")

    # ---- encryption behaviour --------------------------------------------------------------------
    ns, op, args, value = "users", "get_user", [42], {"name": "alice", "age": 30}
    key = "users:get_user:61598716255080080f6456eb065c2e51badfaa4320b0efe97469c29cffee8875"

    rc, out = peer.write(ns, op, args, value, "--master-key", MK_A)
    check(rc == 0 and out["key"] == key and bytes.fromhex(out["stored_hex"])[8:12] == b"\0\0\0\0",
          f"encrypted write: counter nonce starts at 0 {out}")
    rc, out = peer.read(ns, op, args, "--master-key", MK_A, "--key-source", "env")
    check(out == {"hit": True, "value": value}, f"CACHEKIT_MASTER_KEY reader {out}")
    rc, out = peer.read(ns, op, args, "--master-key", MK_B, "--fail-closed")
    check(out.get("hit") is False and "DecryptionAuthenticationError" in out.get("error", "") and r.exists(key),
          f"fail-closed wrong key: raises, entry kept {out}")
    rc, out = peer.read(ns, op, args, "--master-key", MK_B)
    check(out.get("hit") is False and "deleted" in out.get("error", "") and not r.exists(key),
          f"wrong key: miss + delete {out}")

    rc, out = peer.write(ns, op, args, value)  # plaintext entry
    rc, out = peer.read(ns, op, args, "--master-key", MK_A)
    check(out.get("hit") is False and "auth_tamper" in out.get("error", "") and not r.exists(key),
          f"encrypted reader, plaintext entry: miss + delete {out}")
    rc, out = peer.write(ns, op, args, value, "--master-key", MK_A, "--key-source", "env")
    rc, out = peer.read(ns, op, args)
    check(out.get("hit") is False and "deleted" in out.get("error", "") and not r.exists(key),
          f"plaintext reader, encrypted entry: miss + delete {out}")

    rc, out = peer.write(ns, op, args, value, "--master-key", MK_B)
    rc, out = peer.read(ns, op, args, "--master-key", MK_A, "--previous-master-keys", MK_B)
    check(out == {"hit": True, "value": value}, f"rotation: previous key opens the entry {out}")
    rc, out = peer.read(ns, op, args, "--master-key", MK_A)
    check(out.get("hit") is False, f"rotation: without the previous key it is a miss {out}")

    rc, out = peer.write(ns, op, args, value, "--master-key", MK_A, "--deployment-uuid", UUID_T)
    rc, out = peer.read(ns, op, args, "--master-key", MK_A)
    check(out.get("hit") is False, f"deployment UUID tenant is not 'default' {out}")
    rc, out = peer.write(ns, op, args, value, "--master-key", MK_A, "--deployment-uuid", UUID_T)
    rc, out = peer.read(ns, op, args, "--master-key", MK_A, "--deployment-uuid", UUID_T)
    check(out == {"hit": True, "value": value}, f"deployment UUID round trip {out}")
    rc, out = peer.write(ns, op, args, value, "--master-key", MK_A, "--deployment-uuid", UUID_T.upper())
    check(rc == 1 and "canonical" in out.get("error", ""), f"non-canonical deployment UUID refused {out}")

    # ---- TTL -------------------------------------------------------------------------------------
    for ttl, expect in (("300", "ttl300"), (None, "persist"), ("0", "persist"), ("1.5", "fail"), ("-1", "fail")):
        extra = ("--ttl", ttl) if ttl is not None else ()
        rc, out = peer.write("peer", "ttl", [str(ttl)], 1, *extra)
        if expect == "fail":
            check(rc == 1, f"ttl={ttl}: write must fail {out}")
            continue
        t = r.ttl(out["key"])
        check(rc == 0 and ((t == -1) if expect == "persist" else (0 < t <= 300)), f"ttl={ttl}: Redis TTL {t}")

    # ---- nothing else in Redis -------------------------------------------------------------------
    stray = sorted(k.decode() for k in r.scan_iter() if k.decode() not in KNOWN_KEYS)
    check(not stray, f"keys in Redis that no write reported (prefix/registry/lock keys?): {stray[:5]}")

    print(f"selftest: {passes} checks passed, {len(failures)} failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
