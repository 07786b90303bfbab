//! Cache keys (default mode and interop/v1) and interop canonicalization for C.

use std::ffi::c_char;

use cachekit::keys::{DefaultKey, interop_key};
use cachekit::{Result, Value, canonical};

use crate::boundary::{bytes, ck_buf, ck_result, guard, invalid, opt_bytes, opt_text, out_buf, text};
use crate::values::{args_from_msgpack, from_msgpack};

/// The positional arguments: a MessagePack array document, or NULL (length 0) for none.
unsafe fn args_arg(ptr: *const u8, len: usize) -> Result<Vec<Value>> {
    // SAFETY: forwarded contract.
    match unsafe { opt_bytes(ptr, len, "args_msgpack") }? {
        None => Ok(Vec::new()),
        Some(b) => args_from_msgpack(b),
    }
}

/// The keyword arguments: a MessagePack map with string keys, or NULL (length 0) for none.
unsafe fn kwargs_arg(ptr: *const u8, len: usize) -> Result<Vec<(String, Value)>> {
    // SAFETY: forwarded contract.
    let Some(b) = unsafe { opt_bytes(ptr, len, "kwargs_msgpack") }? else { return Ok(Vec::new()) };
    match from_msgpack(b)? {
        Value::Map(entries) => entries
            .into_iter()
            .map(|(k, v)| match k {
                Value::Str(name) => Ok((name, v)),
                other => Err(invalid(format!("kwargs keys are argument names (strings), got {}", other.type_name()))),
            })
            .collect(),
        other => Err(invalid(format!("kwargs must be a MessagePack map, got {}", other.type_name()))),
    }
}

/// Builds a default-mode cache key, byte-identical to cachekit-py's:
/// `[ns:{namespace}:]func:{function}:args:{blake2b-256 hex}:{1|0}{serializer code}`,
/// shortened to `key[0:50] + ":" + hash[0:32]` beyond 250 characters.
///
/// - `cache_namespace`: NULL or `""` for none.
/// - `function`: the function identity (Python: `module.qualname`), sanitised as Python does.
/// - `args_msgpack`: a MessagePack array of the positional arguments, or NULL with length 0.
/// - `kwargs_msgpack`: a MessagePack map from argument name (string) to value, or NULL with
///   length 0. The order does not matter (names are sorted); a repeated name is refused.
/// - `integrity`: the `1`/`0` of the suffix (integrity checking on or off).
/// - `serializer`: the serializer identity (`"std"`/`"default"` → `s`, `"auto"` → `a`, ...).
///
/// Arguments follow cachekit-py's normalisation: aware datetimes (`CK_EXT_DATETIME`) hash
/// as their ISO text, UUIDs (`CK_EXT_UUID`) as their lowercase string, maps with sorted keys;
/// naive datetimes, dates, times and sets are refused (`CK_UNSUPPORTED_TYPE`), as are
/// integers outside [-2^63, 2^64-1] and maps mixing key families (`CK_INVALID_MAP_KEY`).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `function`/`serializer`/`out`, empty
/// serializer, args not an array, kwargs not a map with string keys, repeated kwarg);
/// `CK_INVALID_STRING`; `CK_UNSUPPORTED_TYPE`; `CK_INTEGER_OUT_OF_RANGE`;
/// `CK_INVALID_MAP_KEY`; `CK_VALUE_TOO_LARGE`; MessagePack input errors (`CK_MALFORMED_MSGPACK`,
/// `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`).
/// Ownership: inputs stay the caller's; on success `*out` holds the key (ASCII-safe UTF-8,
/// NUL-terminated): free it with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// Strings are NULL or NUL-terminated; each byte pointer points to its length in readable
/// bytes (or is NULL with length 0); `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ck_default_key(
    cache_namespace: *const c_char,
    function: *const c_char,
    args_msgpack: *const u8,
    args_len: usize,
    kwargs_msgpack: *const u8,
    kwargs_len: usize,
    integrity: bool,
    serializer: *const c_char,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let (namespace, function, serializer, args, kwargs) = unsafe {
            (
                opt_text(cache_namespace, "namespace")?,
                text(function, "function")?,
                text(serializer, "serializer")?,
                args_arg(args_msgpack, args_len)?,
                kwargs_arg(kwargs_msgpack, kwargs_len)?,
            )
        };
        let key = DefaultKey { namespace, function, args: &args, kwargs: &kwargs, integrity, serializer }.build()?;
        *out = ck_buf::from_vec(key.into_bytes());
        Ok(())
    })
}

/// Builds an interop/v1 cache key `{namespace}:{operation}:{blake2b-256 hex of the
/// canonical args}`, shared by every SDK.
///
/// `cache_namespace` and `operation` must match `^[a-z0-9][a-z0-9._-]{0,63}$` without `..`
/// (`ns` and `nsapi` are reserved namespaces). `args_msgpack` is a MessagePack array of
/// the arguments (NULL with length 0 for none), canonicalized with the args profile (see
/// `ck_interop_canonical_args`).
///
/// Result codes: `CK_OK`; `CK_INVALID_SEGMENT`; `CK_INVALID_ARGUMENT` (NULL, args not an
/// array); `CK_INVALID_STRING`; the args-profile errors of `ck_interop_canonical_args`.
/// Ownership: on success free `*out` (the key, NUL-terminated) with `ck_buf_free`.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `cache_namespace` and `operation` are NULL or NUL-terminated; `args_msgpack` points to
/// `args_len` readable bytes (or is NULL with length 0); `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_interop_key(
    cache_namespace: *const c_char,
    operation: *const c_char,
    args_msgpack: *const u8,
    args_len: usize,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let (ns, op, args) = unsafe {
            (text(cache_namespace, "namespace")?, text(operation, "operation")?, args_arg(args_msgpack, args_len)?)
        };
        *out = ck_buf::from_vec(interop_key(ns, op, &args)?.into_bytes());
        Ok(())
    })
}

/// Writes the canonical interop/v1 bytes of an argument array (the bytes an interop key
/// hashes): shortest-form integers, integral floats as integers (1.0 ≡ 1, -0.0 ≡ 0),
/// other floats as float64, maps with string keys sorted by UTF-8 bytes, sets
/// (`CK_EXT_SET`) as sorted deduplicated arrays, aware datetimes as Unix seconds, UUIDs as
/// lowercase strings.
///
/// Result codes: `CK_OK`; `CK_NON_FINITE_FLOAT`; `CK_INTEGER_OUT_OF_RANGE`;
/// `CK_UNSUPPORTED_TYPE` (naive datetimes, dates, times, ext items); `CK_INVALID_MAP_KEY`
/// (non-string or duplicate keys); `CK_VALUE_TOO_LARGE`; `CK_INVALID_ARGUMENT` (not an
/// array, NULL); MessagePack input errors.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// `args_msgpack` points to `args_len` readable bytes; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_interop_canonical_args(
    args_msgpack: *const u8,
    args_len: usize,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let args = args_from_msgpack(unsafe { bytes(args_msgpack, args_len, "args_msgpack") }?)?;
        *out = ck_buf::from_vec(canonical::encode_args(&args)?);
        Ok(())
    })
}

/// Writes the canonical interop/v1 bytes of a value (what `CK_MODE_INTEROP` entries store
/// before encryption): floats stay float64, maps with string keys sorted, temporal values
/// (`CK_EXT_DATETIME`/`DATE`/`TIME`) as cachekit-py's sentinel maps; NaN/Inf, sets, UUIDs,
/// non-string or duplicate keys are refused.
///
/// Result codes: `CK_OK`; `CK_NON_FINITE_FLOAT`; `CK_INTEGER_OUT_OF_RANGE`;
/// `CK_UNSUPPORTED_TYPE`; `CK_INVALID_MAP_KEY`; `CK_VALUE_TOO_LARGE`; `CK_INVALID_ARGUMENT`;
/// MessagePack input errors.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// `value_msgpack` points to `value_len` readable bytes; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_interop_canonical_value(
    value_msgpack: *const u8,
    value_len: usize,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let value = from_msgpack(unsafe { bytes(value_msgpack, value_len, "value_msgpack") }?)?;
        *out = ck_buf::from_vec(canonical::encode_value(&value)?);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_INVALID_SEGMENT, CK_OK, ck_buf_free};

    #[test]
    fn keys_match_the_upstream_examples() {
        let mut out = ck_buf::empty();
        unsafe {
            let args = [0x91, 42];
            assert_eq!(
                ck_default_key(
                    c"test".as_ptr(),
                    c"__main__.get_user".as_ptr(),
                    args.as_ptr(),
                    2,
                    std::ptr::null(),
                    0,
                    true,
                    c"std".as_ptr(),
                    &mut out
                ),
                CK_OK
            );
            assert_eq!(
                std::ffi::CStr::from_ptr(out.ptr.cast()).to_str().unwrap(),
                "ns:test:func:__main__.get_user:args:3870b2ea5735ae639ded9450ef117768db676f037bec636503796c5b81095153:1s"
            );
            ck_buf_free(&mut out);
            assert_eq!(ck_interop_key(c"users".as_ptr(), c"get".as_ptr(), std::ptr::null(), 0, &mut out), CK_OK);
            ck_buf_free(&mut out);
            assert_eq!(
                ck_interop_key(c"ns".as_ptr(), c"get".as_ptr(), std::ptr::null(), 0, &mut out),
                CK_INVALID_SEGMENT
            );
        }
    }
}
