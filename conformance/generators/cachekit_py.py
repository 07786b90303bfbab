#!/usr/bin/env python3
"""Conformance vectors produced BY the reference Python SDK, cachekit 0.24.1 (PyPI).

Run through ``conformance/generators/generate``, which installs the SDK into a private venv.
Every expected value written here (msgpack bytes, envelopes, keys, hashes, derived keys,
fingerprints, AAD bytes, ciphertexts) is the output of a function of the installed ``cachekit``
package. This file only chooses inputs, calls the SDK, converts Python values to the tagged JSON
of /work/shared/protocol/VECTORS.md, and checks the SDK against itself (round trips, and
equivalences such as "a Decimal argument hashes like its string"). It never encodes, hashes or
encrypts anything by itself, with one documented exception: the HKDF salt is not exposed by the
SDK, so ``salt_hex`` is built from the SPEC §6 layout and kept only if an independent
HKDF-SHA256 over it reproduces the key the SDK derived (see ``key_derivation_file``).

Where the SDK has no public function, the internal one is called, and the call site says so.

Determinism: all inputs are fixed (seeded PRNG for the bulk records). AES-GCM nonces are drawn by
the SDK's encryptor (random instance id + counter) and cannot be injected, so the encryption file
reuses a ciphertext from the previous output when the SDK, in this run, opens it under the same
key and AAD to the same plaintext; only new or changed vectors get a fresh SDK ciphertext.
"""

from __future__ import annotations

import os
import sys

# No ambient configuration may leak into the SDK (master keys, deployment UUID, ...).
for _name in list(os.environ):
    if _name.startswith("CACHEKIT_"):
        del os.environ[_name]

import enum
import hashlib
import hmac
import json
import logging
import math
import random
import re
import struct
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from unittest.mock import Mock

import msgpack

import cachekit
import cachekit._rust_serializer as rust  # the SDK's compiled core (ByteStorage, HKDF, AES-GCM)
from cachekit import interop
from cachekit.backends.redis.provider import PerRequestRedisBackend
from cachekit.cache_handler import CacheOperationHandler, CacheSerializationHandler
from cachekit.key_generator import CacheKeyGenerator
from cachekit.serializers.base import SerializationFormat, SerializationMetadata
from cachekit.serializers.standard_serializer import StandardSerializer
from cachekit.serializers.wrapper import SerializationWrapper

logging.disable(logging.CRITICAL)  # the SDK logs INFO lines on every encryptor set-up

SDK_VERSION = "0.24.1"
GENERATOR = f"cachekit {SDK_VERSION} (PyPI) via conformance/generators/cachekit_py.py"

if cachekit.__version__ != SDK_VERSION or rust.__version__ != SDK_VERSION:
    sys.exit(f"expected cachekit {SDK_VERSION}, found {cachekit.__version__} (core {rust.__version__})")

OUT_DIR = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "vectors"
FRESH = "--fresh" in sys.argv  # ignore previous ciphertexts (new nonces everywhere)

MAX_SAFE_INT = 2**53 - 1
_INT_LIKE = re.compile(r"^(0|[1-9][0-9]*)$")


# --------------------------------------------------------------------------------------------
# Tagged JSON (VECTORS.md)
# --------------------------------------------------------------------------------------------


class Tagged:
    """A Python value handed to the SDK, written to the vector file as ``tagged`` instead.

    For inputs tagged JSON cannot carry (Decimal, Path, Enum, a UUID's original spelling), the
    vector records what the SDK normalises them to, and the generator checks that the SDK gives the
    same result for that recorded value."""

    def __init__(self, value: Any, tagged: Any):
        self.value = value
        self.tagged = tagged


def py(v: Any) -> Any:
    """The Python value to hand to the SDK (unwraps Tagged, recursively)."""
    if isinstance(v, Tagged):
        return v.value
    if isinstance(v, list):
        return [py(x) for x in v]
    if isinstance(v, tuple):
        return tuple(py(x) for x in v)
    if isinstance(v, dict):
        return {py(k): py(x) for k, x in v.items()}
    if isinstance(v, (set, frozenset)):
        return type(v)(py(x) for x in v)
    return v


def float_text(f: float, inf_style: str) -> str:
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        if inf_style == "1e999":
            return "1e999" if f > 0 else "-1e999"
        return "inf" if f > 0 else "-inf"
    return repr(f)


def tag(v: Any, inf_style: str = "inf") -> Any:
    """Python value -> tagged JSON."""
    if isinstance(v, Tagged):
        return v.tagged
    if v is None or isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, int):
        return {"$int": str(v)} if abs(v) > MAX_SAFE_INT else v
    if isinstance(v, float):
        return {"$float": float_text(v, inf_style)}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [tag(x, inf_style) for x in v]
    if isinstance(v, dict):
        keys_plain = all(isinstance(k, str) and not _INT_LIKE.match(k) and not k.startswith("$") for k in v)
        if keys_plain:
            return {k: tag(x, inf_style) for k, x in v.items()}
        return {"$map": [[tag(k, inf_style), tag(x, inf_style)] for k, x in v.items()]}
    if isinstance(v, (set, frozenset)):
        items = [tag(x, inf_style) for x in v]
        items.sort(key=lambda t: json.dumps(t, sort_keys=True, ensure_ascii=False))
        return {"$set": items}
    if isinstance(v, datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, date):
        return {"$date": v.isoformat()}
    if isinstance(v, time):
        return {"$time": v.isoformat()}
    if isinstance(v, uuid.UUID):
        return {"$uuid": str(v)}
    raise TypeError(f"no tagged JSON for {type(v).__name__}: wrap it in Tagged")


def strict_equal(a: Any, b: Any) -> bool:
    """Equality that also compares types (tuple != list) and float bits (NaN == NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack(">d", a) == struct.pack(">d", b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, (datetime, time)):
        return a == b and a.utcoffset() == b.utcoffset() and a.isoformat() == b.isoformat()
    return a == b


def write(name: str, doc: dict[str, Any]) -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / name
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    count = sum(len(v) for k, v in doc.items() if isinstance(v, list) and k.endswith("vectors"))
    print(f"wrote {path} ({count} vectors, {len(text.encode())} bytes)")
    return count


def check(cond: bool, what: str) -> None:
    if not cond:
        raise SystemExit(f"SDK self-check failed: {what}")


# --------------------------------------------------------------------------------------------
# standard-serializer.cachekit-py.json
# --------------------------------------------------------------------------------------------

UTC = timezone.utc
IST = timezone(timedelta(hours=5, minutes=30))
PST = timezone(timedelta(hours=-8))


def sdk_standard_read(ser: StandardSerializer, data: bytes) -> tuple[bool, Any]:
    try:
        return True, ser.deserialize(data)
    except Exception as e:  # SerializationError and friends: reading fails
        return False, e


def standard_serializer_file() -> int:
    plain = StandardSerializer(enable_integrity_checking=False)  # pure msgpack (integrity off)
    enveloped = StandardSerializer(enable_integrity_checking=True)  # ByteStorage envelope (default)
    storage = rust.ByteStorage("msgpack")

    def ascii_str(n: int) -> str:
        return ("cachekit-" * (n // 9 + 1))[:n]

    def blob(n: int) -> bytes:
        return bytes((i * 7 + 3) % 256 for i in range(n))

    cases: list[tuple[str, Any]] = [
        ("nil", None),
        ("true", True),
        ("false", False),
        # int ladder, unsigned side
        ("uint_0", 0),
        ("uint_positive_fixint_max_127", 127),
        ("uint8_min_128", 128),
        ("uint8_max_255", 255),
        ("uint16_min_256", 256),
        ("uint16_max_65535", 65535),
        ("uint32_min_65536", 65536),
        ("uint32_max_4294967295", 4294967295),
        ("uint64_min_4294967296", 4294967296),
        ("int_2p53_plus_1", 2**53 + 1),
        ("int64_max_2p63_minus_1", 2**63 - 1),
        ("uint64_2p63", 2**63),
        ("uint64_max_2p64_minus_1", 2**64 - 1),
        # int ladder, signed side
        ("negative_fixint_minus_1", -1),
        ("negative_fixint_min_minus_32", -32),
        ("int8_minus_33", -33),
        ("int8_min_minus_128", -128),
        ("int16_minus_129", -129),
        ("int16_min_minus_32768", -32768),
        ("int32_minus_32769", -32769),
        ("int32_min_minus_2p31", -(2**31)),
        ("int64_minus_2p31_minus_1", -(2**31) - 1),
        ("int_minus_2p53_minus_1", -(2**53) - 1),
        ("int64_min_minus_2p63", -(2**63)),
        # floats: always float64
        ("float_1_0", 1.0),
        ("float_negative_zero", -0.0),
        ("float_1_5", 1.5),
        ("float_minus_2_25", -2.25),
        ("float_0_1", 0.1),
        ("float_1e300", 1e300),
        ("float_min_subnormal", 5e-324),
        ("float_nan", float("nan")),
        ("float_inf", float("inf")),
        ("float_minus_inf", float("-inf")),
        # strings (widths are by UTF-8 byte length)
        ("str_empty", ""),
        ("str_unicode", "héllo wörld ✓ 名前 😀"),
        ("str_fixstr_max_31", ascii_str(31)),
        ("str8_min_32", ascii_str(32)),
        ("str8_max_255", ascii_str(255)),
        ("str16_min_256", ascii_str(256)),
        ("str16_max_65535", ascii_str(65535)),
        ("str32_min_65536", ascii_str(65536)),
        ("str8_11_euro_signs_33_bytes", "€" * 11),
        ("str_nul_and_controls", "a\x00b\x01\n\t"),
        # bytes: always bin
        ("bin8_empty", b""),
        ("bin8_1", b"\x00"),
        ("bin8_max_255", blob(255)),
        ("bin16_min_256", blob(256)),
        # arrays
        ("array_empty", []),
        ("fixarray_max_15", list(range(15))),
        ("array16_min_16", list(range(16))),
        ("array_mixed", [1, "two", 3.5, None, True, b"\x01", [], {}]),
        # maps: insertion order kept, never sorted
        ("map_empty", {}),
        ("map_insertion_order_not_sorted", {"zeta": 1, "alpha": 2, "Mid": 3, "_x": 4, "é": 5}),
        ("fixmap_max_15", {f"k{i:02d}": i for i in range(15)}),
        ("map16_min_16", {f"k{i:02d}": i for i in range(16)}),
        ("map16_min_16_reverse_order", {f"k{i:02d}": i for i in reversed(range(16))}),
        ("map_integer_like_string_keys", {"10": "a", "2": "b", "1": "c"}),
        ("map_bytes_keys", {b"\x02": 1, b"\x01": 2}),
        (
            "nested_structure",
            {
                "user": {"id": 42, "name": "alice", "roles": ["admin", "dev"], "meta": {"z": None, "a": [1.5, -0.0]}},
                "items": [{"sku": "A-1", "qty": 2, "price": 9.99}, {"sku": "B-2", "qty": 1, "price": 100.0}],
                "raw": b"\xde\xad\xbe\xef",
            },
        ),
        ("deep_nesting_32", _nest(32)),
        # tuples arrive as arrays
        ("tuple_becomes_array", (1, "two", (3, 4))),
        # temporal values: sentinel maps, Python isoformat text
        ("datetime_aware_utc", datetime(2024, 1, 15, 12, 30, 0, tzinfo=UTC)),
        ("datetime_aware_utc_microseconds", datetime(2024, 1, 15, 12, 30, 0, 123456, tzinfo=UTC)),
        ("datetime_aware_utc_microsecond_5", datetime(2024, 1, 15, 12, 30, 0, 5, tzinfo=UTC)),
        ("datetime_aware_plus_05_30", datetime(2024, 1, 15, 18, 0, 45, tzinfo=IST)),
        ("datetime_aware_plus_05_30_microseconds", datetime(2024, 1, 15, 18, 0, 45, 120000, tzinfo=IST)),
        ("datetime_aware_minus_08_00", datetime(2023, 12, 31, 23, 59, 59, tzinfo=PST)),
        ("datetime_naive", datetime(2024, 1, 15, 12, 30, 0)),
        ("datetime_naive_microseconds", datetime(2024, 1, 15, 12, 30, 0, 1)),
        ("datetime_year_1", datetime(1, 1, 1, 0, 0, 0, tzinfo=UTC)),
        ("date", date(2024, 1, 15)),
        ("date_year_9999", date(9999, 12, 31)),
        ("time", time(12, 30, 1)),
        ("time_microseconds", time(12, 30, 1, 5)),
        ("time_with_offset", time(12, 30, 0, tzinfo=IST)),
        ("time_with_utc_offset_and_microseconds", time(23, 59, 59, 999999, tzinfo=UTC)),
        ("time_midnight", time(0, 0)),
        (
            "record_with_temporals",
            {"created": datetime(2025, 11, 14, 10, 30, tzinfo=UTC), "day": date(2025, 11, 14), "at": time(10, 30)},
        ),
        # user maps shaped like sentinels: written as plain maps, read back as temporal values
        ("user_map_shaped_like_datetime_sentinel", {"__datetime__": True, "value": "2024-01-15T12:30:00+00:00"}),
        ("user_map_shaped_like_datetime_sentinel_trailing_z", {"__datetime__": True, "value": "2024-01-15T12:30:00Z"}),
        # Maps with non-string keys: Python writes them but its reader refuses them
        # (strict_map_key). Our readers accept them on purpose (PHP arrays with int keys must
        # round-trip between our SDKs), so these record `python_reader` instead of
        # `decodes_to: null`; see README.md, "Deliberate divergences".
        ("map_int_keys", {1: "a", 2: "b"}),
        ("map_nil_key", {None: 1}),
        ("map_float_key", {1.5: "x"}),
        ("map_bool_key", {True: 1}),
        ("user_map_sentinel_without_value", {"__datetime__": True, "other": 1}),
    ]

    vectors = []
    NON_STRING_KEY_CASES = {"map_int_keys", "map_nil_key", "map_float_key", "map_bool_key"}
    for name, value in cases:
        msgpack_bytes, meta = plain.serialize(value)
        check(meta.compressed is False and meta.original_type == "msgpack", f"{name}: metadata")
        envelope, meta_on = enveloped.serialize(value)
        check(meta_on.compressed is True, f"{name}: integrity-on metadata")
        # The integrity-on output is ByteStorage.store() of exactly the integrity-off bytes.
        check(storage.retrieve(envelope) == (msgpack_bytes, "msgpack"), f"{name}: envelope payload")
        check(storage.store(msgpack_bytes, "msgpack") == envelope, f"{name}: envelope determinism")
        ok_plain, back_plain = sdk_standard_read(plain, msgpack_bytes)
        ok_env, back_env = sdk_standard_read(enveloped, envelope)
        check(ok_plain == ok_env, f"{name}: readers disagree")
        if ok_plain:
            check(strict_equal(back_plain, back_env), f"{name}: readers disagree on value")
        entry: dict[str, Any] = {"name": name, "value": tag(value), "msgpack_hex": msgpack_bytes.hex(), "envelope_hex": envelope.hex()}
        if not ok_plain and name in NON_STRING_KEY_CASES:
            entry["python_reader"] = f"refuses: {type(back_plain).__name__}: {str(back_plain)[:120]}"
        elif not ok_plain:
            entry["decodes_to"] = None
            entry["read_error"] = f"{type(back_plain).__name__}: {str(back_plain)[:160]}"
        elif not strict_equal(back_plain, value):
            entry["decodes_to"] = tag(back_plain)
        vectors.append(entry)

    # Reader vectors: msgpack documents the SDK did not write itself, read by the SDK's reader
    # (StandardSerializer.deserialize with integrity off = plain msgpack; the envelope reader
    # decodes its payload with the same function).
    reader_inputs: list[tuple[str, bytes, str]] = [
        ("sentinel_datetime_trailing_z", msgpack.packb({"__datetime__": True, "value": "2024-01-15T12:30:00Z"}), ""),
        ("sentinel_datetime_value_key_first", msgpack.packb({"value": "2024-01-15T12:30:00+00:00", "__datetime__": True}), ""),
        ("sentinel_datetime_milliseconds", msgpack.packb({"__datetime__": True, "value": "2024-01-15T12:30:00.123+00:00"}), ""),
        ("sentinel_time_trailing_z", msgpack.packb({"__time__": True, "value": "12:30:00Z"}), ""),
        ("sentinel_date", msgpack.packb({"__date__": True, "value": "2025-11-14"}), ""),
        ("sentinel_false_stays_map", msgpack.packb({"__datetime__": False, "value": "2024-01-15T12:30:00+00:00"}), ""),
        ("sentinel_three_entries_stays_map", msgpack.packb({"__datetime__": True, "value": "2024-01-15T12:30:00+00:00", "x": 1}), "only 2-entry maps are sentinels"),
        ("padded_int_widths", bytes.fromhex("93cd002ad2ffffffffcf0000000000000001"), ""),
        ("padded_headers", bytes.fromhex("dc0003d903616263de0001a16101c50002dead"), ""),
        ("float32", bytes.fromhex("ca3fc00000"), ""),
        ("map_bytes_key", bytes.fromhex("81c4016b01"), "bytes keys are readable (msgpack-python strict_map_key admits str and bytes)"),
    ]
    reader_vectors = []
    for name, data, note in reader_inputs:
        ok, back = sdk_standard_read(plain, data)
        check(ok, f"reader {name}: {back!r}")
        ok_env, back_env = sdk_standard_read(enveloped, storage.store(data, "msgpack"))
        check(ok_env and strict_equal(back, back_env), f"reader {name}: envelope reader disagrees")
        entry = {"name": name, "input_hex": data.hex(), "value": tag(back)}
        if note:
            entry["note"] = note
        reader_vectors.append(entry)

    errors: list[tuple[str, Any]] = [
        ("int_2p64_overflow", 2**64),
        ("int_minus_2p63_minus_1_underflow", -(2**63) - 1),
        ("int_overflow_nested_in_list", [1, 2**64]),
        ("int_overflow_nested_in_map", {"id": 2**64}),
        ("set", Tagged({1, 2, 3}, {"$set": [1, 2, 3]})),
        ("set_nested_in_map", Tagged({"s": {1}}, {"s": {"$set": [1]}})),
        ("uuid", uuid.UUID("550e8400-e29b-41d4-a716-446655440000")),
        ("uuid_nested_in_list", [uuid.UUID("550e8400-e29b-41d4-a716-446655440000")]),
    ]
    error_vectors = []
    for name, value in errors:
        try:
            plain.serialize(py(value))
        except Exception as e:
            err = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
        else:
            raise SystemExit(f"SDK accepted error vector {name}")
        try:
            enveloped.serialize(py(value))
        except Exception:
            pass
        else:
            raise SystemExit(f"SDK (integrity on) accepted error vector {name}")
        error_vectors.append({"name": name, "value": tag(value), "error": err})

    doc = {
        "generator": GENERATOR,
        "version": "1.0.0",
        "serializer": "cachekit.serializers.standard_serializer.StandardSerializer: msgpack_hex from enable_integrity_checking=False, envelope_hex from the default (True)",
        "vectors": vectors,
        "reader_vectors": reader_vectors,
        "error_vectors": error_vectors,
    }
    return write("standard-serializer.cachekit-py.json", doc)


def _nest(depth: int) -> Any:
    v: Any = "leaf"
    for i in range(depth):
        v = [v] if i % 2 == 0 else {"k": v}
    return v


# --------------------------------------------------------------------------------------------
# cache-keys.cachekit-py.json
# --------------------------------------------------------------------------------------------


def make_function(module: str, qualname: str):
    """A real Python function whose identity (__module__, __qualname__) the key generator reads."""

    def function(*args: Any, **kwargs: Any) -> None:
        return None

    function.__module__ = module
    function.__qualname__ = qualname
    function.__name__ = qualname.rsplit(".", 1)[-1]
    return function


class Color(enum.Enum):
    RED = "red"


class Priority(enum.IntEnum):
    HIGH = 1


class Pair(enum.Enum):
    ORIGIN = (0, 0)


def cache_keys_file() -> int:
    gen = CacheKeyGenerator()

    def key(ns, module, qualname, args, kwargs, ic=True, ser="std"):
        return gen.generate_key(make_function(module, qualname), tuple(py(args)), py(kwargs), ns, ic, ser)

    dt_utc = datetime(2024, 1, 15, 12, 30, 0, tzinfo=UTC)
    dt_ist = datetime(2024, 1, 15, 18, 0, 0, tzinfo=IST)  # the same instant as dt_utc
    U = "550E8400-E29B-41D4-A716-446655440000"

    M, Q = "__main__", "get_user"
    cases: list[dict[str, Any]] = []

    def add(name, args, kwargs=None, ns="test", module=M, qualname=Q, ic=True, ser="std", same_as=None, note=None):
        cases.append(dict(name=name, ns=ns, module=module, qualname=qualname, args=args, kwargs=kwargs or {}, ic=ic, ser=ser, same_as=same_as, note=note))

    add("int_42", [42])
    add("kwargs_several_unsorted", [], {"zeta": 1, "alpha": "a", "Mid": True, "_under": None, "é": 2.5})
    add("kwargs_same_keys_other_order", [], {"é": 2.5, "_under": None, "Mid": True, "alpha": "a", "zeta": 1}, same_as="kwargs_several_unsorted")
    add("args_and_kwargs", ["alice", 30], {"limit": 10, "include_profile": False})
    add("nested_dict_in_args_sorted", [{"b": 1, "a": {"d": [1, 2], "c": None}, "B": 3}])
    add("nested_dict_in_args_other_order", [{"B": 3, "a": {"c": None, "d": [1, 2]}, "b": 1}], same_as="nested_dict_in_args_sorted")
    add("nested_dict_key_sort_code_point_not_utf16", [{"\U00010000": 1, "\uff61": 2}], note="keys sorted by code point: U+FF61 before U+10000")
    add("nested_dict_int_keys_sorted_numerically", [{10: "a", -1: "b", 2: "c"}], note="non-string keys are sorted by Python value (numerically: -1, 2, 10), not by their msgpack bytes; keys themselves are not normalized")
    add("nested_dict_negative_zero_key_not_normalized", [{-0.0: 1}], note="-0.0 as a map KEY stays -0.0 (cb8000000000000000); only values are normalized")
    add("list_of_dicts", [[{"y": 1, "x": 2}, {"b": [], "a": {}}]])
    add("tuple_arg_is_array", [(1, (2, "three"))], same_as=None)
    add("negative_zero_becomes_zero", [-0.0])
    add("positive_zero_float", [0.0], same_as="negative_zero_becomes_zero")
    add("float_1_0_not_collapsed", [1.0])
    add("int_1_differs_from_float_1_0", [1])
    add("bool_true_differs_from_int_1", [True])
    add("float_fractional", [3.14, -2.5])
    add("float_nan", [float("nan")])
    add("float_inf", [float("inf")])
    add("float_minus_inf", [float("-inf")])
    add("none_arg", [None])
    add("bytes_arg", [b"\x00\x01\xfe\xff"])
    add("bytes_empty", [b""])
    add("str_unicode", ["héllo wörld ✓ 😀"])
    add("big_int_2p53_plus_1", [2**53 + 1])
    add("big_int_uint64_max", [2**64 - 1])
    add("big_int_int64_min", [-(2**63)])
    add("big_ints_ladder", [127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1])
    add("datetime_utc", [dt_utc], note="tz-aware datetimes hash as their isoformat() text")
    add("datetime_utc_same_as_iso_string", ["2024-01-15T12:30:00+00:00"], same_as="datetime_utc")
    add("datetime_plus_05_30", [dt_ist], note="offset kept in the text: the same instant as datetime_utc gives a different key")
    add("datetime_plus_05_30_microseconds", [datetime(2024, 1, 15, 18, 0, 45, 123456, tzinfo=IST)])
    add("datetime_minus_08_00_in_kwargs", [], {"since": datetime(2023, 12, 31, 23, 59, 59, 1, tzinfo=PST)})
    add("uuid_uppercase_input", [Tagged(uuid.UUID(U), {"$uuid": U})], note="UUID hashes as its lowercase hyphenated string")
    add("uuid_same_as_lowercase_string", [U.lower()], same_as="uuid_uppercase_input")
    add("decimal_1_10_as_its_string", [Tagged(Decimal("1.10"), "1.10")], note="SDK input Decimal('1.10'): hashes as str(Decimal) = '1.10'")
    add("decimal_1e2_as_its_string", [Tagged(Decimal("1E+2"), "1E+2")], note="SDK input Decimal('1E+2'): str() keeps the exponent form")
    add("path_posix_as_its_string", [Tagged(PurePosixPath("/var/data/file.txt"), "/var/data/file.txt")], note="SDK input PurePosixPath: hashes as as_posix()")
    add("path_windows_as_posix_string", [Tagged(PureWindowsPath("C:\\Users\\me\\file.txt"), "C:/Users/me/file.txt")], note="SDK input PureWindowsPath: as_posix() turns backslashes into slashes")
    add("enum_str_value", [Tagged(Color.RED, "red")], note="SDK input Enum member Color.RED = 'red': hashes as its value")
    add("int_enum_value", [Tagged(Priority.HIGH, 1)], note="SDK input IntEnum member = 1: hashes as its value", same_as="int_1_differs_from_float_1_0")
    add("enum_tuple_value_becomes_array", [Tagged(Pair.ORIGIN, [0, 0])], note="SDK input Enum member with value (0, 0): the value is normalized recursively")
    add("namespace_with_space_newline_cr", [1], ns="my ns\nline\rend", note="space, \\n and \\r become '_' after assembly")
    add("namespace_other_characters_verbatim", [1], ns="Tab\there:colon/slash@ü", note="only space, \\n, \\r are replaced; everything else in a namespace stays")
    add("namespace_empty_string_omitted", [1], ns="")
    add("no_namespace", [1], ns=None)
    add("qualname_locals_lambda", [1], module="app.views", qualname="outer.<locals>.<lambda>")
    add("module_with_dot_runs", [1], module="my..pkg...mod", qualname="Cls..method")
    add("module_qualname_non_ascii", [1], module="mödule", qualname="Ünïcode.名前 x", note="each code point outside [A-Za-z0-9_.] becomes one '_'")
    add("qualname_longer_than_200_truncated", [1], ns=None, qualname="q" * 150 + ".<locals>." + "r" * 100, note="function identity cut to 200 characters, then the whole key exceeds 250 and is shortened")
    # total length = 3 + len(ns) + 6 + 17 + 6 + 64 + 3 = 99 + len(ns)
    add("key_exactly_250_chars_kept", [1], ns="n" * 151)
    add("key_251_chars_shortened", [1], ns="n" * 152)
    add("key_250_code_points_401_utf8_bytes_kept", [1], ns="é" * 151, note="the 250 limit counts code points, not bytes")
    add("key_251_code_points_shortened_prefix_by_code_points", [1], ns="é" * 152, note="prefix = first 50 code points; hash over the UTF-8 of the whole key")
    add("long_namespace_with_spaces_replaced_then_shortened", [1], ns="long namespace " * 20)
    add("very_long_args_do_not_lengthen_key", ["x" * 5000, list(range(300))], note="arguments only enter the key through the 64-hex hash")
    add("integrity_off", [42], ic=False)
    add("integrity_off_no_namespace", [], {"q": "x"}, ns=None, ic=False)
    add("serializer_default_name", [42], ser="default", same_as="int_42")

    vectors = []
    by_name: dict[str, str] = {}
    for c in cases:
        expected = key(c["ns"], c["module"], c["qualname"], c["args"], c["kwargs"], c["ic"], c["ser"])
        # A Tagged input must give the key of the value recorded for it.
        recorded = gen.generate_key(
            make_function(c["module"], c["qualname"]),
            tuple(_untag_for_key(tag(a)) for a in c["args"]),
            {k: _untag_for_key(tag(v)) for k, v in c["kwargs"].items()},
            c["ns"],
            c["ic"],
            c["ser"],
        )
        check(recorded == expected, f"cache-keys {c['name']}: recorded value hashes differently from the SDK input")
        if c["same_as"]:
            check(by_name[c["same_as"]] == expected, f"cache-keys {c['name']} should equal {c['same_as']}")
        by_name[c["name"]] = expected
        v = {
            "name": c["name"],
            "namespace": c["ns"],
            "function_module": c["module"],
            "function_qualname": c["qualname"],
            "args": [tag(a) for a in c["args"]],
            "kwargs": {k: tag(x) for k, x in c["kwargs"].items()},
            "integrity_checking": c["ic"],
            "serializer_type": c["ser"],
            "expected_key": expected,
        }
        if c["note"]:
            v["note"] = c["note"]
        vectors.append(v)

    # sanity on pairs that must differ
    for a, b in [("float_1_0_not_collapsed", "int_1_differs_from_float_1_0"), ("bool_true_differs_from_int_1", "int_1_differs_from_float_1_0"), ("datetime_utc", "datetime_plus_05_30")]:
        check(by_name[a] != by_name[b], f"{a} and {b} should differ")
    check(len(by_name["key_exactly_250_chars_kept"]) == 250, "250 boundary")
    check(len(by_name["key_251_chars_shortened"]) == 50 + 1 + 32, "251 boundary")

    errors: list[tuple[str, list, dict, str]] = [
        ("naive_datetime", [datetime(2024, 1, 15, 12, 30)], {}, ""),
        ("naive_datetime_in_kwargs", [], {"since": datetime(2024, 1, 15, 12, 30)}, ""),
        ("naive_datetime_nested_in_dict", [{"when": datetime(2024, 1, 15)}], {}, ""),
        ("date", [date(2024, 1, 15)], {}, ""),
        ("time", [time(12, 30)], {}, ""),
        ("time_with_offset", [time(12, 30, tzinfo=UTC)], {}, ""),
        ("set", [{1, 2, 3}], {}, ""),
        ("set_nested_in_list", [[{"a"}]], {}, ""),
        ("frozenset_in_kwargs", [], {"ids": frozenset({1})}, ""),
        ("int_2p64_overflow", [2**64], {}, ""),
        ("int_minus_2p63_minus_1_underflow", [-(2**63) - 1], {}, ""),
        ("map_mixed_str_and_int_keys", [{"a": 1, 1: 2}], {}, "Python cannot order str against int while sorting the map"),
    ]
    error_vectors = []
    for name, args, kwargs, note in errors:
        try:
            key("test", M, Q, args, kwargs)
        except Exception as e:
            err = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
        else:
            raise SystemExit(f"key generator accepted error vector {name}")
        v = {
            "name": name,
            "namespace": "test",
            "function_module": M,
            "function_qualname": Q,
            "args": [tag(a) for a in args],
            "kwargs": {k: tag(x) for k, x in kwargs.items()},
            "integrity_checking": True,
            "serializer_type": "std",
            "error": err + (f" ({note})" if note else ""),
        }
        error_vectors.append(v)

    doc = {
        "generator": GENERATOR,
        "version": "1.3.0",
        "key_format": "[ns:{namespace}:]func:{module}.{qualname}:args:{blake2b_256_hex}:{ic_flag}{serializer_code}",
        "source": "cachekit.key_generator.CacheKeyGenerator().generate_key(func, args, kwargs, namespace, integrity_checking, serializer_type)",
        "vectors": vectors,
        "error_vectors": error_vectors,
    }
    return write("cache-keys.cachekit-py.json", doc)


def _untag_for_key(t: Any) -> Any:
    """Tagged JSON -> the plain Python value a runner would hand over (used only to check that a
    Tagged input hashes like what the vector records)."""
    if isinstance(t, list):
        return [_untag_for_key(x) for x in t]
    if isinstance(t, dict):
        if len(t) == 1:
            (k, v), = t.items()
            if k == "$int":
                return int(v)
            if k == "$float":
                return float(v)
            if k == "$bytes":
                return bytes.fromhex(v)
            if k == "$uuid":
                return uuid.UUID(v)
            if k == "$datetime":
                return datetime.fromisoformat(v)
            if k == "$date":
                return date.fromisoformat(v)
            if k == "$time":
                return time.fromisoformat(v)
            if k == "$set":
                return {_hashable(_untag_for_key(x)) for x in v}
            if k == "$map":
                return {_hashable(_untag_for_key(a)): _untag_for_key(b) for a, b in v}
        return {k: _untag_for_key(v) for k, v in t.items()}
    return t


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


# --------------------------------------------------------------------------------------------
# wire-format.cachekit-py.json
# --------------------------------------------------------------------------------------------

FIRST = ["Alice", "Bob", "Carol", "Dmitri", "Eun-ji", "Fatima", "Gonzalo", "Hiroshi", "Ingrid", "José", "Kwame", "Léa"]
LAST = ["Smith", "Nakamura", "García", "Okafor", "Müller", "Rossi", "Kowalski", "Haddad", "Ólafsson", "Nguyen"]
CITIES = ["Lisbon", "Osaka", "Nairobi", "Montréal", "Berlin", "Austin", "São Paulo", "Pune"]
TAGS = ["admin", "beta", "vip", "churn-risk", "newsletter", "mobile", "sso", "trial"]


def realistic_records(rng: random.Random, count: int) -> list[dict[str, Any]]:
    records = []
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        records.append(
            {
                "id": 100000 + i * 37 + rng.randrange(37),
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{rng.randrange(1000)}@example.com",
                "active": rng.random() < 0.8,
                "score": round(rng.uniform(0, 100), 3),
                "balance_cents": rng.randrange(-50000, 5000000),
                "tags": rng.sample(TAGS, rng.randrange(0, 4)),
                "address": {"city": rng.choice(CITIES), "zip": f"{rng.randrange(100000):05d}"},
                "created_at": base + timedelta(seconds=rng.randrange(0, 31_536_000), microseconds=rng.randrange(0, 1_000_000)),
                "session": rng.randbytes(16),
                "last_login": None if rng.random() < 0.2 else base + timedelta(days=rng.randrange(365)),
            }
        )
    return records


def wire_format_file() -> int:
    plain = StandardSerializer(enable_integrity_checking=False)
    storage = rust.ByteStorage("msgpack")
    rng = random.Random(20241115)

    def records_until(target: int) -> bytes:
        n = 1
        while True:
            data, _ = plain.serialize(realistic_records(random.Random(target), n))
            if len(data) >= target:
                return data
            n += 1

    inputs: list[tuple[str, str, bytes]] = [
        ("empty", "Zero-length input", b""),
        ("nil_document", "The msgpack nil document c0", plain.serialize(None)[0]),
        ("small_record", "One user record as the StandardSerializer writes it", plain.serialize({"user_id": 42, "name": "cachekit", "active": True, "created": datetime(2025, 11, 14, 10, 30, tzinfo=UTC)})[0]),
        ("records_1kib", "Realistic user records (StandardSerializer msgpack), at least 1 KiB", records_until(1024)),
        ("records_4kib", "Realistic user records, at least 4 KiB", records_until(4096)),
        ("records_64kib", "Realistic user records, at least 64 KiB (compressed payload still bin16)", records_until(65536)),
        ("random_bytes_300", "A msgpack bin16 document holding 300 incompressible bytes", plain.serialize(rng.randbytes(300))[0]),
        ("api_response_mixed", "An API-style response: nested maps, lists, floats, unicode", plain.serialize({
            "status": "ok", "page": 3, "per_page": 25, "total": 1234,
            "data": [{"id": i, "title": f"Item #{i} – naïve café", "price": i * 1.25, "in_stock": i % 3 != 0} for i in range(25)],
            "links": {"next": "/api/items?page=4", "prev": "/api/items?page=2"},
        })[0]),
    ]
    vectors = []
    for name, desc, data in inputs:
        env = storage.store(data, "msgpack")
        check(storage.retrieve(env) == (data, "msgpack"), f"wire {name}: round trip")
        check(env[0] == 0x94 and env[1] in (0xC4, 0xC5, 0xC6), f"wire {name}: bin encoding")
        vectors.append(
            {
                "name": name,
                "description": desc,
                "format": "msgpack",
                "envelope_encoding": "bin",
                "input_hex": data.hex(),
                "input_size": len(data),
                "envelope_hex": env.hex(),
                "envelope_size": len(env),
            }
        )
    doc = {
        "generator": GENERATOR,
        "version": "1.4.0",
        "source": "cachekit._rust_serializer.ByteStorage('msgpack').store(input, 'msgpack') (the envelope StandardSerializer writes with integrity checking on)",
        "checksum": "xxHash3-64, 8 bytes big-endian, computed on uncompressed input",
        "compression": "LZ4 block format (NOT frame)",
        "vectors": vectors,
    }
    return write("wire-format.cachekit-py.json", doc)


# --------------------------------------------------------------------------------------------
# key-derivation.cachekit-py.json
# --------------------------------------------------------------------------------------------


def _independent_hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """RFC 5869 HKDF-SHA256, 32-byte output, used ONLY to confirm the salt layout: the SDK does
    not expose the salt, so the written salt_hex is kept only when this reproduces the SDK's key."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def _spec_salt(domain: str, tenant: str) -> bytes:
    d, t = domain.encode("utf-8"), tenant.encode("utf-8")
    return b"cachekit_v1_" + bytes([len(d)]) + d + len(t).to_bytes(2, "big") + t


def key_derivation_file() -> int:
    mk_a = bytes(range(32)).hex()  # 000102...1f: leading 00 byte
    mk_b = "61" * 32  # the upstream encryption.json key
    mk_c = bytes(range(0x80, 0xA0)).hex()  # leading 80 byte
    tenants = [
        ("default", "default"),
        ("uuid", "550e8400-e29b-41d4-a716-446655440000"),
        ("unicode", "テナント-ü/ß:1"),
        ("single_char", "a"),
        ("ascii_1024_bytes", ("tenant-" * 147)[:1024]),
        ("two_byte_chars_1024_bytes", "é" * 512),
    ]
    domains = ["encryption", "authentication", "cache_keys"]
    plan = [(f"{tn}_{d}", mk_a, t, d) for tn, t in tenants for d in domains]
    plan += [(f"upstream_key_cross_sdk_test_{d}", mk_b, "cross-sdk-test", d) for d in domains]
    plan += [("key_leading_80_default_encryption", mk_c, "default", "encryption")]

    vectors = []
    for name, mk_hex, tenant, domain in plan:
        mk = bytes.fromhex(mk_hex)
        # Internal binding (no public Python API): the HKDF the SDK's derive_tenant_keys runs per domain.
        derived = rust.derive_domain_key(mk, domain, tenant.encode("utf-8"))
        fingerprint = rust.key_fingerprint(derived)  # internal binding: SHA-256("key_fingerprint_v1"||k)[:16]
        tk = rust.derive_tenant_keys(mk, tenant)  # what EncryptionWrapper uses
        if domain == "encryption":
            check(tk.encryption_fingerprint() == fingerprint, f"{name}: encryption fingerprint")
        if domain == "authentication":
            check(tk.authentication_fingerprint() == fingerprint, f"{name}: authentication fingerprint")
        salt = _spec_salt(domain, tenant)
        check(_independent_hkdf_sha256(mk, salt, domain.encode()) == derived, f"{name}: salt layout does not reproduce the SDK key")
        vectors.append(
            {
                "name": name,
                "master_key_hex": mk_hex,
                "tenant_id": tenant,
                "domain": domain,
                "salt_hex": salt.hex(),
                "derived_key_hex": derived.hex(),
                "fingerprint_hex": fingerprint.hex(),
            }
        )
    # Upstream cross-check: encryption.json pins this fingerprint for ("61"*32, "cross-sdk-test").
    check(rust.derive_tenant_keys(bytes.fromhex(mk_b), "cross-sdk-test").encryption_fingerprint().hex() == "96179a9bc881aa7ca83f04b78a66afd3", "upstream fingerprint")
    doc = {
        "generator": GENERATOR,
        "version": "1.0.0",
        "source": "cachekit._rust_serializer.derive_domain_key(master_key, domain, tenant_utf8) and key_fingerprint(key); "
        "cross-checked against derive_tenant_keys(master_key, tenant).encryption_fingerprint()/authentication_fingerprint(). "
        "salt_hex is the SPEC §6 layout, confirmed by an independent HKDF-SHA256 reproducing derived_key_hex.",
        "vectors": vectors,
    }
    return write("key-derivation.cachekit-py.json", doc)


# --------------------------------------------------------------------------------------------
# interop-mode.cachekit-py.json
# --------------------------------------------------------------------------------------------


def interop_file() -> int:
    IS = "1e999"  # this file's upstream convention for infinities
    key_cases: list[tuple[str, str, str, list, str]] = [
        ("nested_maps_unsorted", "users", "get_user", [{"z": {"b": 1, "a": [{"y": 2, "x": 1}]}, "m": {}, "A": None}], ""),
        ("unicode_map_keys", "users", "search", [{"é": 1, "z": 2, "Z": 3, "😀": 4, "\uff61": 5, "aa": 6, "a": 7}], "code point order"),
        ("kwargs_map_for_var_keyword", "users", "search", ["alice", [1, 2], {"limit": 10, "after": "x"}], "a **kwargs parameter becomes one map at its position"),
        ("floats_mixed", "math", "f", [1.5, 2.0, -0.0, 0.1, 1e19, 1e20, -9.5e18, 5e-324], "integral floats in [-2^63, 2^64) collapse to ints"),
        ("float_2p63_collapses_to_uint64", "math", "f", [9223372036854775808.0], ""),
        ("float_just_below_2p64", "math", "f", [18446744073709549568.0], "largest float64 below 2^64 collapses to cf"),
        ("big_ints", "ids", "get", [2**64 - 1, -(2**63), 2**53 + 1, -(2**53) - 1, 2**63], ""),
        ("bytes_args", "blobs", "get", [b"", b"\x00\xff", bytes(range(256))], ""),
        ("tuple_arg_is_array", "geo", "near", [(1.5, -2.5), (3, 4)], ""),
        ("set_of_ints", "tags", "by_ids", [{3, 1, 2}], ""),
        ("set_mixed_types", "tags", "mixed", [{"b", 10, "a", -1, 2.5, b"\x01", None, True}], "sorted by canonical bytes"),
        ("set_integral_float_collapses", "tags", "collapse", [{1.0, 2, 3.5}], "1.0 is encoded as the int 1 inside the set"),
        ("set_of_uuids_and_datetimes", "tags", "when", [{uuid.UUID("550e8400-e29b-41d4-a716-446655440000"), datetime(2024, 1, 1, tzinfo=UTC)}], ""),
        ("frozenset_in_map", "tags", "nested", [{"s": frozenset({"x", "y"}), "t": [frozenset()]}], ""),
        ("datetime_utc", "events", "at", [datetime(2024, 1, 15, 12, 30, tzinfo=UTC)], ""),
        ("datetime_plus_05_30_same_instant", "events", "at", [datetime(2024, 1, 15, 18, 0, tzinfo=IST)], "same instant as datetime_utc: same hash"),
        ("datetime_microseconds", "events", "at", [datetime(2024, 1, 15, 12, 30, 0, 123456, tzinfo=UTC)], ""),
        ("datetime_pre_epoch_one_microsecond", "events", "at", [datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)], ""),
        ("datetime_epoch", "events", "at", [datetime(1970, 1, 1, tzinfo=UTC)], ""),
        ("datetime_minus_08_00", "events", "at", [datetime(2023, 12, 31, 16, 0, 0, 1, tzinfo=PST)], ""),
        ("uuid_uppercase_input", "users", "get_user", [Tagged(uuid.UUID("550E8400-E29B-41D4-A716-446655440000"), {"$uuid": "550E8400-E29B-41D4-A716-446655440000"})], ""),
        ("decimal_as_its_string", "prices", "get", [Tagged(Decimal("19.90"), "19.90")], "SDK input Decimal('19.90')"),
        ("path_as_posix_string", "files", "stat", [Tagged(PureWindowsPath("C:\\data\\x.csv"), "C:/data/x.csv")], "SDK input PureWindowsPath"),
        ("enum_as_value", "colors", "get", [Tagged(Color.RED, "red"), Tagged(Priority.HIGH, 1)], "SDK input Enum members"),
        ("unicode_strings", "i18n", "get", ["héllo wörld ✓", "名前", "😀", ""], ""),
        ("str_width_ladder", "strs", "w", ["a" * 31, "b" * 32, "c" * 255, "d" * 256], ""),
        ("nested_empty_containers", "x", "y", [[], {}, [[]], {"a": {}}], ""),
        ("segments_with_dots_dashes", "my-app.v2", "get_user.by-id_1", [1], ""),
    ]
    key_vectors = []
    for name, ns, op, args, desc in key_cases:
        sdk_args = py(args)
        canon = interop.canonical_args_bytes(sdk_args)
        h = interop.args_hash(sdk_args)
        k = interop.generate_interop_key(ns, op, sdk_args)
        check(k == f"{ns}:{op}:{h}" and hashlib.blake2b(canon, digest_size=32).hexdigest() == h, f"interop {name}: hash")
        check(interop.canonical_args_bytes(_untag_for_key(tag(args, IS))) == canon, f"interop {name}: recorded value differs")
        v = {"name": name}
        if desc:
            v["description"] = desc
        v.update({"namespace": ns, "operation": op, "args": tag(args, IS), "canonical_args_hex": canon.hex(), "args_hash": h, "expected_key": k})
        key_vectors.append(v)
    keys = {v["name"]: v["args_hash"] for v in key_vectors}
    check(keys["datetime_utc"] == keys["datetime_plus_05_30_same_instant"], "interop datetime instants")

    # Binding: f(42), f(user_id=42) and defaults give one flat array (bind_flat_args).
    import inspect

    def get_user(user_id, include_profile=False, *extra, **options):
        return None

    sig = inspect.signature(get_user)
    flat_a = interop.bind_flat_args(sig, (42,), {})
    flat_b = interop.bind_flat_args(sig, (), {"user_id": 42, "include_profile": False})
    check(flat_a == flat_b == [42, False, [], {}], "bind_flat_args")
    key_vectors.append(
        {
            "name": "bound_call_with_defaults",
            "description": "def get_user(user_id, include_profile=False, *extra, **options): get_user(42) and get_user(user_id=42) bind to [42, False, [], {}]",
            "namespace": "users",
            "operation": "get_user",
            "args": tag(flat_a, IS),
            "canonical_args_hex": interop.canonical_args_bytes(flat_a).hex(),
            "args_hash": interop.args_hash(flat_a),
            "expected_key": interop.generate_interop_key("users", "get_user", flat_a),
        }
    )

    error_cases: list[tuple[str, Any, Any, list]] = [
        ("reject_date_arg", None, None, [date(2024, 1, 15)]),
        ("reject_time_arg", None, None, [time(12, 30, tzinfo=UTC)]),
        ("reject_naive_datetime_in_list", None, None, [[datetime(2024, 1, 15)]]),
        ("reject_int_map_key", None, None, [{1: "a"}]),
        ("reject_bytes_map_key", None, None, [{b"k": 1}]),
        ("reject_nan_in_set", None, None, [{float("nan")}]),
        ("reject_minus_infinity_in_map", None, None, [{"x": float("-inf")}]),
        ("reject_int_overflow_in_set", None, None, [{2**64}]),
        ("reject_namespace_uppercase_with_valid_args", "Users", "get", [1]),
        ("reject_operation_with_space", "users", "get user", [1]),
    ]
    error_vectors = []
    for name, ns, op, args in error_cases:
        try:
            if ns is None:
                interop.canonical_args_bytes(py(args))
            else:
                interop.generate_interop_key(ns, op, py(args))
        except interop.InteropError as e:
            err = str(e).splitlines()[0][:160]
        else:
            raise SystemExit(f"interop accepted error vector {name}")
        v = {"name": name}
        if ns is not None:
            v.update({"namespace": ns, "operation": op})
        v.update({"args": tag(args, IS), "error": err})
        error_vectors.append(v)

    value_cases: list[tuple[str, Any, str]] = [
        ("nested_maps_sorted_recursively", {"z": {"b": [1, {"d": 1, "c": 2}], "a": None}, "A": True, "é": "x"}, ""),
        ("unicode_keys_code_point_order", {"\U00010000": 1, "\uff61": 2, "a": 3}, ""),
        ("floats_stay_float64", [2.0, -0.0, 1.5, 1e300, 5e-324], "value profile: no collapse"),
        ("big_ints", [2**64 - 1, -(2**63), 2**53 + 1], ""),
        ("bytes_value", {"raw": b"\x00\x01\xff"}, ""),
        ("tuple_value_is_array", (1, (2, 3)), ""),
        ("datetime_aware_utc", datetime(2024, 1, 15, 12, 30, tzinfo=UTC), "sentinel map, key before value"),
        ("datetime_aware_offset_microseconds", datetime(2024, 1, 15, 18, 0, 45, 120000, tzinfo=IST), ""),
        ("datetime_naive_allowed_in_values", datetime(2024, 1, 15, 12, 30), "naive datetimes are refused as arguments but accepted as values"),
        ("date_value", date(2024, 1, 15), ""),
        ("time_value_with_offset", time(12, 30, 1, 5, tzinfo=IST), ""),
        ("record_with_temporals", {"when": datetime(2025, 11, 14, 10, 30, tzinfo=UTC), "day": date(2025, 11, 14), "id": 7}, ""),
        ("str_width_ladder", ["a" * 31, "b" * 32, "c" * 255, "d" * 256], ""),
        ("empty_containers", {"a": [], "b": {}}, ""),
        ("scalars", [None, True, False, 0, -1, "", b""], ""),
    ]
    value_vectors = []
    for name, value, desc in value_cases:
        enc = interop.encode_interop_value(value)
        back = interop.decode_interop_value(enc)
        check(interop.encode_interop_value(back) == enc, f"interop value {name}: round trip")
        v = {"name": name}
        if desc:
            v["description"] = desc
        v.update({"value": tag(value, IS), "canonical_msgpack_hex": enc.hex()})
        value_vectors.append(v)

    value_errors: list[tuple[str, Any]] = [
        ("reject_nan_value", float("nan")),
        ("reject_infinity_value", float("inf")),
        ("reject_nan_nested", {"a": [float("nan")]}),
        ("reject_set_value", {1, 2}),
        ("reject_int_map_key_value", {1: "a"}),
        ("reject_uuid_value", uuid.UUID("550e8400-e29b-41d4-a716-446655440000")),
        ("reject_int_overflow_value", 2**64),
        ("reject_int_underflow_nested", [-(2**63) - 1]),
    ]
    value_error_vectors = []
    for name, value in value_errors:
        try:
            interop.encode_interop_value(value)
        except interop.InteropError as e:
            err = str(e).splitlines()[0][:160]
        else:
            raise SystemExit(f"interop accepted value error vector {name}")
        value_error_vectors.append({"name": name, "value": tag(value, IS), "error": err})

    reader_inputs: list[tuple[str, bytes, str]] = [
        ("reader_datetime_sentinel_trailing_z", msgpack.packb({"__datetime__": True, "value": "2024-01-15T12:30:00Z"}), "a trailing Z is UTC"),
        ("reader_datetime_sentinel_trailing_lowercase_z", msgpack.packb({"__datetime__": True, "value": "2024-01-15T12:30:00z"}), "interop's reader maps z/Z to +00:00 itself"),
        ("reader_time_sentinel_trailing_z", msgpack.packb({"__time__": True, "value": "12:30:00Z"}), ""),
        ("reader_sentinel_value_first", msgpack.packb({"value": "2025-11-14", "__date__": True}), ""),
        ("reader_sentinel_not_true_stays_map", msgpack.packb({"__datetime__": 1, "value": "2024-01-15T12:30:00+00:00"}), "only the boolean true revives"),
    ]
    reader_accept_vectors = []
    for name, data, desc in reader_inputs:
        back = interop.decode_interop_value(data)
        v = {"name": name}
        if desc:
            v["description"] = desc
        v.update({"input_hex": data.hex(), "value": tag(back, IS)})
        reader_accept_vectors.append(v)

    reader_reject = [
        ("reader_ck_frame", bytes.fromhex("434b030000004d7b2273223a202264656661756c74222c20226d223a207b22666f726d6174223a20226d73677061636b222c2022636f6d70726573736564223a2066616c73657d2c202276223a2022322e30227d68656c6c6f2c2063616368656b697421")),
        ("reader_two_documents", bytes.fromhex("0102")),
    ]
    reader_reject_vectors = []
    for name, data in reader_reject:
        try:
            interop.decode_interop_value(data)
        except interop.InteropDecodeError as e:
            err = str(e).splitlines()[0][:160]
        else:
            raise SystemExit(f"interop reader accepted {name}")
        reader_reject_vectors.append({"name": name, "input_hex": data.hex(), "error": err})

    doc = {
        "generator": GENERATOR,
        "version": "1.3.0",
        "source": "cachekit.interop: canonical_args_bytes, args_hash, generate_interop_key, bind_flat_args, encode_interop_value, decode_interop_value",
        "key_format": "{namespace}:{operation}:{args_hash}",
        "key_vectors": key_vectors,
        "error_vectors": error_vectors,
        "value_vectors": value_vectors,
        "value_error_vectors": value_error_vectors,
        "reader_accept_vectors": reader_accept_vectors,
        "reader_reject_vectors": reader_reject_vectors,
    }
    return write("interop-mode.cachekit-py.json", doc)


# --------------------------------------------------------------------------------------------
# encryption.cachekit-py.json
# --------------------------------------------------------------------------------------------


def _previous_ciphertexts() -> dict[str, dict[str, Any]]:
    path = OUT_DIR / "encryption.cachekit-py.json"
    if FRESH or not path.exists():
        return {}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return {v["name"]: v for v in old.get("vectors", [])}


def encryption_file() -> int:
    top_mk = bytes(range(32)).hex()
    top_tenant = "default"
    alt_mk = bytes(range(0x80, 0xA0)).hex()
    deploy_uuid = "5b0b3e0e-8d4c-4a8e-9f2a-0c1d2e3f4a5b"
    previous = _previous_ciphertexts()
    key_gen = CacheKeyGenerator()

    # The backend the decorator uses by default: RedisBackendProvider.get_shared_backend() ->
    # PerRequestRedisBackend(client, "default", follow_context=True). Its key_prefix needs no server.
    shared_backend = PerRequestRedisBackend(Mock(), "default", follow_context=True)

    vectors = []

    def seal(name: str, desc: str, handler: CacheSerializationHandler, tenant: str, mk_hex: str, value: Any, key: str, interop_mode: bool):
        stored = handler.serialize_data(value, cache_key=key)  # the SDK's real write path
        wrapper = handler._get_cached_encryption_wrapper(tenant)  # internal: the EncryptionWrapper it used
        aad_key = handler._aad_key(key)  # internal: backend key_prefix + key (bare key in interop)
        if interop_mode:
            ciphertext = stored  # interop stores nonce||ct||tag as is
            meta = SerializationMetadata(serialization_format=SerializationFormat.MSGPACK, compressed=False, original_type=None)
            plaintext = interop.encode_interop_value(value)
            fingerprint = wrapper.encryption_key_fingerprint
        else:
            payload, header, sname = SerializationWrapper.unwrap(stored)  # CK frame -> payload + header
            check(sname == "default" and header["encrypted"] is True and header["tenant_id"] == tenant, f"{name}: frame header")
            ciphertext = bytes(payload)
            meta = SerializationMetadata.from_dict(header)
            plaintext = handler._base_serializer.serialize(value)[0]  # the StandardSerializer bytes that were sealed
            fingerprint = header["key_fingerprint"]
        aad = wrapper._create_aad(meta, aad_key)  # internal: AAD v0x03 exactly as sealed
        check(wrapper.encryptor.decrypt_with_keys(ciphertext, aad, wrapper.tenant_keys) == plaintext, f"{name}: open")
        check(handler.deserialize_data(stored, cache_key=key) == value, f"{name}: SDK read back")
        old = previous.get(name)
        if old and old.get("aad_hex") == aad.hex() and old.get("plaintext_hex") == plaintext.hex():
            try:
                old_ct = bytes.fromhex(old["ciphertext_hex"])
                if wrapper.encryptor.decrypt_with_keys(old_ct, aad, wrapper.tenant_keys) == plaintext:
                    ciphertext = old_ct  # still opened by the SDK under this key and AAD: keep bytes stable
            except Exception:
                pass
        v: dict[str, Any] = {"name": name, "description": desc}
        if mk_hex != top_mk:
            v["master_key_hex"] = mk_hex
        if tenant != top_tenant:
            v["tenant_id"] = tenant
        v.update(
            {
                "plaintext_hex": plaintext.hex(),
                "cache_key": aad_key,
                "format": meta.format.value,
                "compressed": meta.compressed,
            }
        )
        if meta.original_type is not None:
            v["original_type"] = meta.original_type
        v.update({"aad_hex": aad.hex(), "ciphertext_hex": ciphertext.hex(), "key_fingerprint_hex": fingerprint})
        vectors.append(v)

    def default_handler(mk_hex: str, ic: bool, deployment_uuid: str | None = None) -> CacheSerializationHandler:
        return CacheSerializationHandler(
            "default",
            encryption=True,
            single_tenant_mode=True,
            deployment_uuid=deployment_uuid,
            master_key=mk_hex,
            enable_integrity_checking=ic,
            encryption_fail_closed=True,
            backend_key_prefix=lambda: shared_backend.key_prefix,
        )

    def default_key(handler, module, qualname, args, kwargs, ns, ic):
        op = CacheOperationHandler(handler, key_gen)
        return op.get_cache_key(make_function(module, qualname), args, kwargs, ns, ic)

    record = {"user_id": 42, "name": "cachekit", "active": True}

    h = default_handler(top_mk, True)
    k = default_key(h, "app.users", "get_user", (42,), {}, "users", True)
    seal("default_integrity_on_record", "@cache.secure-style write: StandardSerializer envelope sealed; AAD = [tenant, t:default: + key, msgpack, True, msgpack]", h, "default", top_mk, record, k, False)
    k = default_key(h, "app.events", "list_events", (), {"since": datetime(2025, 1, 1, tzinfo=UTC), "limit": 3}, "events", True)
    seal(
        "default_integrity_on_temporals",
        "envelope of a value holding datetime/date sentinels",
        h, "default", top_mk,
        [{"at": datetime(2025, 11, 14, 10, 30, tzinfo=UTC), "day": date(2025, 11, 14)}, {"at": datetime(2025, 11, 14, 16, 0, 0, 5, tzinfo=IST), "day": date(2025, 11, 15)}],
        k, False,
    )
    k = default_key(h, "app.reports", "monthly", ("2025-11",), {}, None, True)
    seal("default_no_namespace_larger_value", "no namespace; a 1.5 KiB value", h, "default", top_mk, realistic_records(random.Random(7), 6), k, False)
    k = default_key(h, "app.reports", "q" * 220, (1,), {}, "reports", True)
    check(len(k) == 83, "shortened key")
    seal("default_shortened_key", "the >250 rule shortened the key before the prefix was added; the AAD binds t:default: + shortened key", h, "default", top_mk, {"ok": True}, k, False)

    h0 = default_handler(top_mk, False)
    k = default_key(h0, "app.users", "get_user", (42,), {}, "users", False)
    seal("default_integrity_off_record", "integrity off: raw msgpack sealed; compressed token False, original_type still msgpack (5 components)", h0, "default", top_mk, record, k, False)

    hu = default_handler(top_mk, True, deployment_uuid=deploy_uuid)
    k = default_key(hu, "app.users", "get_user", (7,), {}, "users", True)
    seal("default_deployment_uuid_tenant", "single-tenant with a deployment UUID: HKDF and AAD tenant = the UUID, Redis prefix still t:default:", hu, deploy_uuid, top_mk, record, k, False)

    ha = default_handler(alt_mk, True)
    k = default_key(ha, "app.users", "get_user", (42,), {}, "users", True)
    seal("default_other_master_key", "another master key (leading 0x80 byte)", ha, "default", alt_mk, record, k, False)

    hi = CacheSerializationHandler("default", encryption=True, single_tenant_mode=True, master_key=top_mk, encryption_fail_closed=True, interop_mode=True)
    args = interop.bind_flat_args(__import__("inspect").signature(lambda user_id: None), (42,), {})
    k = interop.generate_interop_key("users", "get_user", args)
    seal("interop_record", "interop/v1: canonical document sealed; AAD = [tenant, bare key, msgpack, False] (4 components)", hi, "default", top_mk, {"name": "alice", "age": 30}, k, True)
    k = interop.generate_interop_key("events", "list", [])
    seal("interop_temporal_value", "interop value with temporal sentinels", hi, "default", top_mk, {"when": datetime(2024, 1, 15, 12, 30, tzinfo=UTC), "n": 2.0}, k, True)
    hiu = CacheSerializationHandler("default", encryption=True, single_tenant_mode=True, deployment_uuid=deploy_uuid, master_key=top_mk, encryption_fail_closed=True, interop_mode=True)
    k = interop.generate_interop_key("users", "get_user", [7])
    seal("interop_deployment_uuid_tenant", "interop with a (canonical) deployment UUID tenant", hiu, deploy_uuid, top_mk, [1, "two", None], k, True)

    doc = {
        "generator": GENERATOR,
        "version": "1.5.0",
        "source": "cachekit.cache_handler.CacheSerializationHandler(encryption=True, single_tenant_mode=True, ...).serialize_data(value, cache_key=key) "
        "with the default Redis provider's key prefix; AAD from EncryptionWrapper._create_aad; ciphertext = the CK frame payload (default mode) or the stored bytes (interop). "
        "Nonces are the SDK's own (random instance id || counter); ciphertexts from earlier runs are kept when the SDK still opens them.",
        "algorithm": "AES-256-GCM",
        "aad_version": "0x03",
        "master_key_hex": top_mk,
        "tenant_id": top_tenant,
        "derived_key_fingerprint_hex": rust.derive_tenant_keys(bytes.fromhex(top_mk), top_tenant).encryption_fingerprint().hex(),
        "vectors": vectors,
    }
    return write("encryption.cachekit-py.json", doc)


# --------------------------------------------------------------------------------------------
# encryption.rotation.cachekit-py.json
# --------------------------------------------------------------------------------------------


def rotation_file() -> int:
    """Key rotation through the SDK's own keyring: interop entries written by SDK encryptors
    under three successive master keys, each opened by an SDK reader whose current key is the
    newest and whose decrypt-only keys are the older ones; configuration verdicts are what
    EncryptionWrapper / refuse_current_key_in_previous_keys actually do."""
    from cachekit.config.settings import CachekitConfig
    from cachekit.serializers.encryption_wrapper import EncryptionWrapper
    from cachekit.serializers.interop_serializer import InteropSerializer
    from pydantic import SecretStr

    tenant = "default"
    keys = {"k1": "11" * 32, "k2": "22" * 32, "k3": "33" * 32, "k4": "44" * 32}
    path = OUT_DIR / "encryption.rotation.cachekit-py.json"
    old = {}
    if not FRESH and path.exists():
        try:
            old = {v["name"]: v for v in json.loads(path.read_text(encoding="utf-8"))["keyring"]["vectors"]}
        except (ValueError, KeyError):
            old = {}

    def wrapper(current: str, previous: list[str]) -> EncryptionWrapper:
        return EncryptionWrapper(
            serializer=InteropSerializer(),  # what an interop-mode handler threads into its wrapper
            master_key=bytes.fromhex(keys[current]),
            tenant_id=tenant,
            previous_master_keys=[bytes.fromhex(keys[p]) for p in previous],
        )

    entries = [
        {"id": kid, "master_key_hex": hexkey, "derived_key_fingerprint_hex": wrapper(kid, []).encryption_key_fingerprint}
        for kid, hexkey in keys.items()
    ]
    reader = wrapper("k3", ["k2", "k1"])  # the rotated deployment: k3 current, k2 and k1 decrypt-only
    vectors = []
    for kid, value, ns_op_args in [
        ("k1", {"name": "alice", "age": 30}, ("users", "get_user", [42])),
        ("k2", [1, "two", 3.5, None], ("orders", "list", ["2025-11", 10])),
        ("k3", {"when": datetime(2025, 11, 14, 10, 30, tzinfo=UTC)}, ("events", "latest", [])),
    ]:
        key = interop.generate_interop_key(*ns_op_args)
        writer = wrapper(kid, [])
        meta = SerializationMetadata(serialization_format=SerializationFormat.MSGPACK, compressed=False, original_type=None)
        plaintext = interop.encode_interop_value(value)
        aad = writer._create_aad(meta, key)  # internal: AAD v0x03 as the SDK seals interop entries
        name = f"interop_written_with_{kid}"
        prev = old.get(name)
        ciphertext = None
        if prev and prev.get("aad_hex") == aad.hex() and prev.get("plaintext_hex") == plaintext.hex():
            try:
                if writer.encryptor.decrypt_with_keys(bytes.fromhex(prev["ciphertext_hex"]), aad, writer.tenant_keys) == plaintext:
                    ciphertext = bytes.fromhex(prev["ciphertext_hex"])  # keep bytes stable across runs
            except Exception:
                ciphertext = None
        if ciphertext is None:
            ciphertext = writer.encryptor.encrypt_with_keys(plaintext, aad, writer.tenant_keys)  # the SDK's AES-GCM, its own nonce
        # The SDK's interop read path under rotation: sequential keyring trial, identical AAD.
        got = reader.deserialize_without_key_identity(ciphertext, meta, cache_key=key)
        check(strict_equal(got, interop.decode_interop_value(plaintext)), f"{name}: rotated reader opens it")
        vectors.append(
            {
                "name": name,
                "encrypted_with": kid,
                "plaintext_hex": plaintext.hex(),
                "cache_key": key,
                "format": "msgpack",
                "compressed": False,
                "aad_hex": aad.hex(),
                "ciphertext_hex": ciphertext.hex(),
                "key_fingerprint_hex": next(e["derived_key_fingerprint_hex"] for e in entries if e["id"] == kid),
            }
        )

    def verdict(current: str, previous: list[str]) -> str:
        # The SDK's configuration loader (what CACHEKIT_MASTER_KEY + CACHEKIT_PREVIOUS_MASTER_KEYS
        # go through): >3 decrypt-only keys and the current key among them are refused at load.
        try:
            CachekitConfig(master_key=SecretStr(current), previous_master_keys=[SecretStr(p) for p in previous])
            return "accept"
        except Exception:
            return "reject"

    configuration = []
    for name, current, previous in [
        ("rotation_no_previous_keys", keys["k4"], []),
        ("rotation_one_previous_key", keys["k4"], [keys["k3"]]),
        ("rotation_three_previous_keys", keys["k4"], [keys["k3"], keys["k2"], keys["k1"]]),
        ("rotation_four_previous_keys", "55" * 32, [keys["k4"], keys["k3"], keys["k2"], keys["k1"]]),
        ("rotation_current_repeated_as_previous", keys["k3"], [keys["k2"], keys["k3"]]),
        ("rotation_current_repeated_uppercase", "ab" * 32, ["AB" * 32]),
    ]:
        configuration.append({"name": name, "current_master_key_hex": current, "decrypt_only_master_keys_hex": previous, "verdict": verdict(current, previous)})

    doc = {
        "generator": GENERATOR,
        "version": "1.5.0",
        "source": "cachekit.serializers.encryption_wrapper.EncryptionWrapper (writers per key; reader k3 current + [k2, k1] decrypt-only via "
        "deserialize_without_key_identity); configuration verdicts from cachekit.config.settings.CachekitConfig.",
        "master_key_hex": keys["k3"],
        "tenant_id": tenant,
        "derived_key_fingerprint_hex": entries[2]["derived_key_fingerprint_hex"],
        "keyring": {"tenant_id": tenant, "entries": entries, "vectors": vectors, "configuration": {"vectors": configuration}},
    }
    write("encryption.rotation.cachekit-py.json", doc)
    return len(entries) + len(vectors) + len(configuration)


def main() -> None:
    counts = {
        "standard-serializer": standard_serializer_file(),
        "cache-keys": cache_keys_file(),
        "wire-format": wire_format_file(),
        "key-derivation": key_derivation_file(),
        "interop-mode": interop_file(),
        "encryption": encryption_file(),
        "encryption.rotation": rotation_file(),
    }
    print("vectors:", ", ".join(f"{k} {v}" for k, v in counts.items()), f"(total {sum(counts.values())})")


if __name__ == "__main__":
    main()
