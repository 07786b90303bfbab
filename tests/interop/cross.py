#!/usr/bin/env python3
"""Live cross-language interop: cachekit-py 0.24.1 and our Rust core share one Redis.

For every case, each side writes an interop/v1 entry (plain and encrypted) through its own
public path and the other side reads it back: Python's @cache decorator via python_peer.py,
our core via target/release/cachekit-peer. Then both must agree on the value, the key and
(for plaintext) the exact stored bytes. Closes with "N passed, N failed".

usage: cross.py REDIS_URL RUST_PEER PYTHON_PEER_LAUNCHER
"""

from __future__ import annotations

import json
import subprocess
import sys

KEY = "61" * 32
CASES = [
    ("users", "get_user", [42], {"name": "alice", "age": 30}),
    ("orders", "list", ["2025-11", 10, True], [{"id": 1, "total": {"$float": "19.99"}}, {"id": 2, "total": {"$float": "5.0"}}]),
    ("blobs", "get", [{"$bytes": "00ff10"}], {"data": {"$bytes": "deadbeef"}, "size": {"$int": "18446744073709551615"}}),
    ("events", "at", [{"$datetime": "2024-01-15T12:30:00+05:30"}], {"when": {"$datetime": "2024-01-15T12:30:00+00:00"}, "n": None}),
    ("search", "query", [{"q": "héllo ✓", "filters": {"b": 2, "a": 1}}, {"$float": "3.0"}], ["héllo", "✓", {"$float": "-0.0"}]),
]


def run(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    if not lines:
        raise RuntimeError(f"{cmd[0]} printed nothing (exit {out.returncode}): {out.stderr[-400:]}")
    return json.loads(lines[-1])


def main() -> int:
    redis, rust, python = sys.argv[1], sys.argv[2], sys.argv[3]
    peers = {"python": [python], "rust": [rust]}
    passed = failed = 0
    for ns, op, args, value in CASES:
        for encrypted in (False, True):
            extra = ["--master-key", KEY] if encrypted else []
            written = {}
            for writer, reader in (("python", "rust"), ("rust", "python")):
                name = f"{ns}:{op} {'encrypted' if encrypted else 'plain'} {writer}->{reader}"
                base = ["--redis", redis, "--namespace", ns, "--operation", op, "--args", json.dumps(args)]
                try:
                    w = run(peers[writer] + ["write", *base, "--value", json.dumps(value), *extra])
                    if "error" in w:
                        raise AssertionError(f"write failed: {w['error']}")
                    written[writer] = w
                    r = run(peers[reader] + ["read", *base, *extra])
                    if not r.get("hit"):
                        raise AssertionError(f"read missed: {r.get('error')}")
                    want = run(peers[writer] + ["read", *base, *extra])  # the writer's own view
                    if r["value"] != want.get("value"):
                        raise AssertionError(f"value differs: {reader} read {r['value']}, {writer} reads {want.get('value')}")
                    passed += 1
                except Exception as e:  # noqa: BLE001 — report every case
                    failed += 1
                    print(f"FAIL {name}: {e}")
            name = f"{ns}:{op} {'encrypted' if encrypted else 'plain'} same key and bytes"
            if len(written) == 2:
                py, rs = written["python"], written["rust"]
                if py["key"] != rs["key"]:
                    failed += 1
                    print(f"FAIL {name}: keys differ {py['key']} vs {rs['key']}")
                elif not encrypted and py["stored_hex"] != rs["stored_hex"]:
                    failed += 1
                    print(f"FAIL {name}: stored bytes differ\n  python {py['stored_hex']}\n  rust   {rs['stored_hex']}")
                elif encrypted and len(py["stored_hex"]) != len(rs["stored_hex"]):
                    failed += 1
                    print(f"FAIL {name}: ciphertext lengths differ")
                else:
                    passed += 1
    # A wrong key is a miss on both sides, never a wrong value.
    base = ["--redis", redis, "--namespace", "users", "--operation", "get_user", "--args", "[42]"]
    run([rust, "write", *base, "--value", '{"secret": 1}', "--master-key", KEY])
    for reader in ("python", "rust"):
        r = run(peers[reader] + ["read", *base, "--master-key", "62" * 32])
        if r.get("hit"):
            failed += 1
            print(f"FAIL wrong key ({reader}): read {r['value']}")
        else:
            passed += 1
        run([rust, "write", *base, "--value", '{"secret": 1}', "--master-key", KEY])  # python deletes on miss
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
