#!/usr/bin/env python3
"""Command-line interop/v1 peer driven by the REAL Python SDK, cachekit 0.24.1 (PyPI).

Our Rust integration tests use it to prove that entries written by cachekit-py are read by our
core and vice versa. Everything that touches the cache goes through the SDK's public caching path:
a function decorated with ``@cachekit.cache(interop=OP, namespace=NS, backend=RedisBackend(URL),
l1_enabled=False, ...)`` and called with the given arguments. The SDK computes the key, encodes
(and encrypts) the value and talks to Redis; the peer only builds the function, calls it, and
looks at Redis afterwards with redis-py.

    python_peer.py write --redis URL --namespace NS --operation OP --args JSON --value JSON
                         [--master-key HEX] [--ttl SECONDS]
        -> {"key": "<key the SDK wrote>", "stored_hex": "<raw bytes now at that key>"}
    python_peer.py read  --redis URL --namespace NS --operation OP --args JSON [--master-key HEX]
        -> {"hit": true, "value": <tagged JSON>}  or  {"hit": false, "error": "..."}

Optional extras (not needed by the basic contract): --key-source env (give the master key to the
SDK through CACHEKIT_MASTER_KEY instead of master_key=), --previous-master-keys HEX[,HEX...]
(CACHEKIT_PREVIOUS_MASTER_KEYS, decrypt-only keyring), --deployment-uuid UUID (single-tenant
tenant other than "default"), --fail-closed (EncryptionConfig.fail_closed=True).

JSON arguments and values use the tagged JSON of /work/shared/protocol/VECTORS.md: plain JSON plus
{"$int": ".."}, {"$float": ".."}, {"$bytes": "hex"}, {"$datetime": ".."} (also $date, $time,
$uuid, $set and $map on input). --args must be a JSON array: one element per positional parameter.

Exit codes: 0 = done (a read miss is still 0); 1 = write failed (SDK refused, nothing stored,
or a self-check failed; stdout then holds {"error": "..."}); 2 = usage error.

Write deletes any existing entry at the key first (key from cachekit.interop.generate_interop_key,
the function the decorator itself uses), so the decorated call is a miss and the SDK stores.
It then self-checks the SDK: the key it SET is {ns}:{op}:{blake2b-256(canonical args)}, Redis holds
the exact bytes it SET, and those bytes are the canonical interop document, or, when encrypted,
nonce||ct||tag that opens under HKDF(master key, tenant) with the 4-component AAD v0x03 of SPEC §6
(AAD built here from the spec layout and compared with the SDK's own, decrypted with the SDK's
compiled core).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import logging
import math
import os
import re
import sys
import uuid
from datetime import date, datetime, time
from typing import Any, NoReturn

SDK_VERSION = "0.24.1"
MAX_SAFE_INT = 2**53 - 1
_INT_LIKE = re.compile(r"^(0|-?[1-9][0-9]*)$")


# --------------------------------------------------------------------------------------------
# stdout discipline: exactly one JSON line on the real stdout, everything else on stderr
# --------------------------------------------------------------------------------------------

_OUT = None  # the real stdout, set by _isolate_stdout()


def _isolate_stdout() -> None:
    """Point fd 1 (and sys.stdout) at stderr so nothing the SDK prints can corrupt the JSON line."""
    global _OUT
    sys.stdout.flush()
    _OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def emit(obj: dict[str, Any], code: int = 0) -> NoReturn:
    line = json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    out = _OUT or sys.stdout
    out.write(line + "\n")
    out.flush()
    sys.exit(code)


class UsageError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Tagged JSON (VECTORS.md)
# --------------------------------------------------------------------------------------------


def untag(v: Any, where: str) -> Any:
    """Tagged JSON -> Python value (raises UsageError on malformed tags)."""
    if isinstance(v, list):
        return [untag(x, f"{where}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, dict):
        if len(v) == 1:
            ((tag, x),) = v.items()
            if isinstance(tag, str) and tag.startswith("$"):
                return _untag_one(tag, x, where)
        return {k: untag(x, f"{where}.{k}") for k, x in v.items()}
    return v  # null, bool, int, float (plain JSON), str


def _untag_one(tag: str, x: Any, where: str) -> Any:
    try:
        if tag == "$int":
            if not isinstance(x, str) or not _INT_LIKE.match(x):
                raise ValueError("expected decimal text")
            return int(x)
        if tag == "$float":
            if not isinstance(x, str):
                raise ValueError("expected text")
            return float(x)  # accepts "1.5", "-0.0", "nan", "inf", "-inf", "1e999"
        if tag == "$bytes":
            if not isinstance(x, str) or not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", x):
                raise ValueError("expected hex text")
            return bytes.fromhex(x)
        if tag == "$datetime":
            return datetime.fromisoformat(x)
        if tag == "$date":
            return date.fromisoformat(x)
        if tag == "$time":
            return time.fromisoformat(x)
        if tag == "$uuid":
            return uuid.UUID(x)
        if tag == "$set":
            return {untag(e, f"{where}.$set") for e in x}
        if tag == "$map":
            return {untag(k, f"{where}.$map"): untag(val, f"{where}.$map") for k, val in x}
    except UsageError:
        raise
    except Exception as e:  # noqa: BLE001 - any malformed tag is a usage error
        raise UsageError(f"{where}: bad {tag} value {x!r}: {e}") from e
    raise UsageError(f"{where}: unknown tag {tag!r}")


def float_text(f: float) -> str:
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return repr(f)


def tag(v: Any) -> Any:
    """Python value -> tagged JSON (same conventions as conformance/generators/cachekit_py.py)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return {"$int": str(v)} if abs(v) > MAX_SAFE_INT else v
    if isinstance(v, float):
        return {"$float": float_text(v)}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [tag(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) and not _INT_LIKE.match(k) and not k.startswith("$") for k in v):
            return {k: tag(x) for k, x in v.items()}
        return {"$map": [[tag(k), tag(x)] for k, x in v.items()]}
    if isinstance(v, (set, frozenset)):
        return {"$set": [tag(x) for x in v]}
    if isinstance(v, datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, date):
        return {"$date": v.isoformat()}
    if isinstance(v, time):
        return {"$time": v.isoformat()}
    if isinstance(v, uuid.UUID):
        return {"$uuid": str(v)}
    return {"$unsupported": f"{type(v).__module__}.{type(v).__qualname__}", "repr": repr(v)}


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 as well; keep its message on stderr
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def parse_cli(argv: list[str]) -> argparse.Namespace:
    p = _Parser(prog="python_peer.py", description="interop/v1 peer on the real cachekit-py SDK")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("write", "read"):
        s = sub.add_parser(name)
        s.add_argument("--redis", required=True, help="Redis URL, e.g. redis://127.0.0.1:6390/0")
        s.add_argument("--namespace", required=True)
        s.add_argument("--operation", required=True)
        s.add_argument("--args", required=True, help="tagged JSON array of positional arguments")
        if name == "write":
            s.add_argument("--value", required=True, help="tagged JSON value the function returns")
            s.add_argument("--ttl", default=None, help="seconds (integer; a decimal is passed to the SDK as float)")
        s.add_argument("--master-key", default=None, help="hex master key (passed to the SDK verbatim)")
        s.add_argument("--key-source", choices=("option", "env"), default="option",
                       help="hand the master key to the SDK as master_key= (default) or CACHEKIT_MASTER_KEY")
        s.add_argument("--previous-master-keys", default=None, help="comma-separated hex (CACHEKIT_PREVIOUS_MASTER_KEYS)")
        s.add_argument("--deployment-uuid", default=None, help="single-tenant tenant id (default: 'default')")
        s.add_argument("--fail-closed", action="store_true", help="EncryptionConfig.fail_closed=True")
    a = p.parse_args(argv)

    try:
        raw_args = json.loads(a.args)
    except ValueError as e:
        p.error(f"--args is not JSON: {e}")
    if not isinstance(raw_args, list):
        p.error("--args must be a JSON array (one element per positional parameter)")
    try:
        a.call_args = untag(raw_args, "args")
        if a.command == "write":
            try:
                raw_value = json.loads(a.value)
            except ValueError as e:
                raise UsageError(f"--value is not JSON: {e}") from e
            a.call_value = untag(raw_value, "value")
    except UsageError as e:
        p.error(str(e))

    if a.command == "write" and a.ttl is not None:
        try:
            a.ttl = int(a.ttl) if re.fullmatch(r"-?[0-9]+", a.ttl) else float(a.ttl)
        except ValueError:
            p.error(f"--ttl must be a number, got {a.ttl!r}")
    encrypted_opts = a.key_source == "env" or a.previous_master_keys or a.deployment_uuid or a.fail_closed
    if encrypted_opts and a.master_key is None:
        p.error("--key-source/--previous-master-keys/--deployment-uuid/--fail-closed need --master-key")
    return a


# --------------------------------------------------------------------------------------------
# SDK set-up
# --------------------------------------------------------------------------------------------


def prepare_environment(a: argparse.Namespace) -> None:
    """Remove ambient CACHEKIT_* configuration, then set only what this invocation asks for.

    Must run before the SDK is imported: its settings singleton reads the environment once.
    """
    for name in list(os.environ):
        if name.startswith("CACHEKIT_") or name == "REDIS_URL":
            del os.environ[name]
    os.environ["CACHEKIT_LOG_SAMPLING_RATE"] = "1.0"  # WARNINGs are sampled at 10% by default
    if a.master_key is not None and a.key_source == "env":
        os.environ["CACHEKIT_MASTER_KEY"] = a.master_key
    if a.previous_master_keys:
        os.environ["CACHEKIT_PREVIOUS_MASTER_KEYS"] = a.previous_master_keys


class _LogCapture(logging.Handler):
    """Keeps the SDK's WARNING+ messages (JSON lines on the cachekit.* loggers) for diagnostics."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            try:
                entry = json.loads(text)
                if isinstance(entry, dict) and "message" in entry:
                    text = str(entry["message"])
            except ValueError:
                pass
            self.messages.append(f"{record.levelname}: {text}")
        except Exception:  # noqa: BLE001 - diagnostics must never break the peer
            pass


def sdk_log_summary(cap: _LogCapture) -> str:
    msgs = [m for m in cap.messages if "Single-tenant mode initialized" not in m]
    return " | ".join(msgs[:4])


def import_sdk():
    import cachekit
    import cachekit._rust_serializer as rust
    import redis
    from cachekit import cache, interop
    from cachekit.backends.redis import RedisBackend

    if cachekit.__version__ != SDK_VERSION or rust.__version__ != SDK_VERSION:
        raise RuntimeError(f"expected cachekit {SDK_VERSION}, found {cachekit.__version__} (core {rust.__version__})")
    return cachekit, rust, redis, cache, interop, RedisBackend


def make_backend_class(RedisBackend):  # noqa: N803 - it is a class
    class RecordingRedisBackend(RedisBackend):
        """The SDK's own RedisBackend (no key prefix, no key registry, no locks), recording the
        operations the decorator issues, so the peer can report the exact key the SDK used."""

        def __init__(self, url: str) -> None:
            super().__init__(redis_url=url)
            self.ops: list[tuple[str, str, Any]] = []

        def get(self, key):  # type: ignore[override]
            self.ops.append(("get", key, None))
            return super().get(key)

        def set(self, key, value, ttl=None):  # type: ignore[override]
            self.ops.append(("set", key, (bytes(value), ttl)))
            return super().set(key, value, ttl)

        def delete(self, key):  # type: ignore[override]
            self.ops.append(("delete", key, None))
            return super().delete(key)

    return RecordingRedisBackend


def build_function(n_args: int, body):
    """A plain function with n positional parameters whose body delegates to ``body``."""
    params = ", ".join(f"arg{i}" for i in range(n_args))
    scope: dict[str, Any] = {"_body": body}
    exec(f"def interop_peer_fn({params}):\n    return _body()\n", scope)  # noqa: S102 - fixed template
    fn = scope["interop_peer_fn"]
    fn.__module__ = "cachekit_interop_peer"
    return fn


def decorator_kwargs(a: argparse.Namespace, backend: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "interop": a.operation,
        "namespace": a.namespace,
        "backend": backend,  # explicit, non-prefixing backend: the SDK refuses its tenant-scoped default
        "l1_enabled": False,  # no in-process L1, so a hit can only come from Redis
    }
    if getattr(a, "ttl", None) is not None:
        kw["ttl"] = a.ttl
    if a.master_key is not None:
        kw["encryption"] = True
        kw["single_tenant_mode"] = True  # interop is single-tenant; tenant "default" unless deployment_uuid
        if a.key_source == "option":
            kw["master_key"] = a.master_key
        if a.deployment_uuid:
            kw["deployment_uuid"] = a.deployment_uuid
        if a.fail_closed:
            kw["fail_closed"] = True
    else:
        kw["encryption"] = False  # explicit plaintext
    return kw


def err_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


# --------------------------------------------------------------------------------------------
# Self-checks (write)
# --------------------------------------------------------------------------------------------


def spec_aad(tenant: str, key: str) -> bytes:
    """AAD v0x03 for an interop entry, built from SPEC §6: 0x03 || (u32be(len) || utf8)*4."""
    out = b"\x03"
    for c in (tenant, key, "msgpack", "False"):
        b = c.encode("utf-8")
        out += len(b).to_bytes(4, "big") + b
    return out


def self_check_write(a, rust, interop, key: str, flat_args: list, stored: bytes, value: Any) -> list[str]:
    problems: list[str] = []
    manual = f"{a.namespace}:{a.operation}:{hashlib.blake2b(interop.canonical_args_bytes(flat_args), digest_size=32).hexdigest()}"
    if key != manual:
        problems.append(f"key {key!r} != {{ns}}:{{op}}:blake2b-256(canonical args) = {manual!r}")
    document = interop.encode_interop_value(value)
    if a.master_key is None:
        if stored != document:
            problems.append(f"stored bytes {stored.hex()} != encode_interop_value(value) {document.hex()}")
        return problems

    from cachekit.cache_handler import CacheSerializationHandler
    from cachekit.serializers.base import SerializationFormat, SerializationMetadata

    tenant = a.deployment_uuid or "default"
    aad = spec_aad(tenant, key)
    handler = CacheSerializationHandler(
        "default", encryption=True, single_tenant_mode=True, master_key=a.master_key,
        deployment_uuid=a.deployment_uuid, interop_mode=True,
    )
    wrapper = handler._get_cached_encryption_wrapper(tenant)  # internal: the EncryptionWrapper the decorator builds
    meta = SerializationMetadata(serialization_format=SerializationFormat.MSGPACK, compressed=False, original_type=None)
    sdk_aad = wrapper._create_aad(meta, key)  # internal
    if sdk_aad != aad:
        problems.append(f"SDK AAD {sdk_aad.hex()} != SPEC §6 AAD {aad.hex()}")
    if len(stored) < 28:
        problems.append(f"ciphertext shorter than nonce+tag: {len(stored)} bytes")
        return problems
    if len(stored) != 12 + len(document) + 16:
        problems.append(f"ciphertext length {len(stored)} != 12 + {len(document)} + 16")
    master = bytes.fromhex(a.master_key)  # how the SDK decodes a hex key (config/validation.py)
    try:
        plain = rust.ZeroKnowledgeEncryptor().decrypt_with_keys(stored, aad, rust.derive_tenant_keys(master, tenant))
        if bytes(plain) != document:
            problems.append(f"decrypted {bytes(plain).hex()} != encode_interop_value(value) {document.hex()}")
    except Exception as e:  # noqa: BLE001
        problems.append(f"SDK core could not open the stored bytes with the SPEC AAD: {err_text(e)}")
    # The 5-component default-mode AAD must NOT open it (interop binds exactly 4 components).
    try:
        five = aad + (7).to_bytes(4, "big") + b"msgpack"
        rust.ZeroKnowledgeEncryptor().decrypt_with_keys(stored, five, rust.derive_tenant_keys(master, tenant))
        problems.append("stored bytes also open under a 5-component AAD")
    except Exception:  # noqa: BLE001 - expected
        pass
    return problems


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    a = parse_cli(argv)
    _isolate_stdout()
    prepare_environment(a)

    cap = _LogCapture()
    logging.getLogger("cachekit").addHandler(cap)
    logging.getLogger("cachekit").setLevel(logging.WARNING)
    logging.getLogger("cachekit").propagate = False

    def fail(msg: str) -> NoReturn:
        if a.command == "write":
            emit({"error": msg}, 1)
        emit({"hit": False, "error": msg}, 0)

    try:
        cachekit, rust, redis, cache, interop, RedisBackend = import_sdk()
    except Exception as e:  # noqa: BLE001
        fail(f"cannot import the SDK: {err_text(e)}")

    try:
        raw = redis.Redis.from_url(a.redis)  # raw bytes (decode_responses=False)
        raw.ping()
    except Exception as e:  # noqa: BLE001
        fail(f"cannot reach Redis at the given URL with redis-py: {err_text(e)}")

    backend = make_backend_class(RedisBackend)(a.redis)
    state = {"calls": 0}

    if a.command == "write":
        value = a.call_value

        def body() -> Any:
            state["calls"] += 1
            return value
    else:
        class PeerMiss(Exception):
            pass

        def body() -> Any:
            state["calls"] += 1
            raise PeerMiss("function body called")

    fn = build_function(len(a.call_args), body)
    try:
        decorated = cache(**decorator_kwargs(a, backend))(fn)
    except Exception as e:  # noqa: BLE001 - the SDK refused the configuration
        fail(f"SDK refused the decorator: {err_text(e)}")

    # The key the decorator will use, from the same SDK functions it calls (wrapper._interop_cache_key).
    try:
        flat = interop.bind_flat_args(inspect.signature(fn), tuple(a.call_args), {})
        expected_key = interop.generate_interop_key(a.namespace, a.operation, flat)
    except Exception as e:  # noqa: BLE001 - out-of-model arguments
        fail(f"SDK refused the arguments: {err_text(e)}")

    if a.command == "write":
        raw.delete(expected_key)  # make the call a miss, so the SDK computes and stores
        try:
            result = decorated(*a.call_args)
        except Exception as e:  # noqa: BLE001 - e.g. InteropError for an out-of-model value
            fail(f"SDK call failed: {err_text(e)}; SDK log: {sdk_log_summary(cap)}")
        sets = [op for op in backend.ops if op[0] == "set"]
        if state["calls"] != 1:
            fail(f"function body ran {state['calls']} times (expected 1)")
        if len(sets) != 1:
            fail(f"SDK issued {len(sets)} SETs (expected 1); SDK log: {sdk_log_summary(cap)}")
        _, key, (sent, sent_ttl) = sets[0]
        stored = raw.get(key)
        if stored is None:
            fail(f"nothing stored at {key!r}: the SDK's write failed; SDK log: {sdk_log_summary(cap)}")
        problems: list[str] = []
        if key != expected_key:
            problems.append(f"SDK wrote {key!r}, generate_interop_key gives {expected_key!r}")
        if stored != sent:
            problems.append("bytes in Redis differ from the bytes the SDK sent")
        if sent_ttl != a.ttl:
            problems.append(f"SDK passed ttl={sent_ttl!r} to the backend, asked for {a.ttl!r}")
        if tag(result) != tag(value):
            problems.append("decorated call returned something else than the body")
        problems += self_check_write(a, rust, interop, key, flat, stored, value)
        if problems:
            fail("self-check failed: " + "; ".join(problems))
        emit({"key": key, "stored_hex": stored.hex()}, 0)

    # read
    try:
        before = raw.get(expected_key)
    except Exception as e:  # noqa: BLE001
        before = None
        cap.messages.append(f"peer: redis-py GET before the call failed: {err_text(e)}")
    try:
        result = decorated(*a.call_args)
    except PeerMiss:
        try:
            after = raw.get(expected_key)
        except Exception:  # noqa: BLE001
            after = None
        if before is None:
            where = f"no entry at {expected_key}"
        elif after is None:
            where = f"an entry of {len(before)} bytes was at {expected_key}; the SDK refused it and deleted it"
        elif after == before:
            where = f"an entry of {len(before)} bytes was at {expected_key}; the SDK refused it and left it in place"
        else:
            where = f"an entry of {len(before)} bytes was at {expected_key}; it changed during the call"
        log = sdk_log_summary(cap)
        fail(f"miss: the SDK called the function body ({where})" + (f"; SDK log: {log}" if log else ""))
    except Exception as e:  # noqa: BLE001 - e.g. DecryptionAuthenticationError with --fail-closed
        log = sdk_log_summary(cap)
        fail(f"SDK raised {err_text(e)}" + (f"; SDK log: {log}" if log else ""))
    gets = [op[1] for op in backend.ops if op[0] == "get"]
    if state["calls"] != 0 or gets != [expected_key]:
        fail(f"inconsistent hit: body calls={state['calls']}, SDK GETs={gets}")
    emit({"hit": True, "value": tag(result)}, 0)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - a peer bug: still one JSON line
        sys.stderr.write(f"python_peer.py: internal error: {err_text(e)}\n")
        emit({"error": f"internal error: {err_text(e)}"}, 1)
