//! How C callers speak values: MessagePack in, MessagePack out.
//!
//! Input documents are never trusted: they are decoded under the decode bounds into the
//! core value model and then re-encoded by the core's own encoders, which judge them.
//! Plain MessagePack maps to itself (a map shaped like a temporal sentinel stays a map, as
//! a Python dict would); the types MessagePack lacks travel as the `CK_EXT_*` items below,
//! in both directions. Output documents are written from the decoded value by
//! [`to_msgpack`].

use std::ffi::c_char;

use cachekit::error::ErrorKind;
use cachekit::msgpack::bounds::{MAX_DEPTH, scan};
use cachekit::msgpack::read::{Reader, Token};
use cachekit::msgpack::write;
use cachekit::temporal::{Date, DateTime, Time};
use cachekit::value::parse_uuid;
use cachekit::{Error, Result, Value};

use crate::boundary::{bytes, ck_buf, ck_result, guard, invalid, out_buf, text};

/// MessagePack ext type for a **set**: the payload is one MessagePack array document whose
/// items are the members. Only the interop args profile accepts sets (sorted,
/// deduplicated); every other encoder refuses them (`CK_UNSUPPORTED_TYPE`). Build one with
/// `ck_msgpack_set`.
pub const CK_EXT_SET: i8 = 83;
/// MessagePack ext type for a **UUID**: the payload is its 16 bytes. Key arguments hash it
/// as its lowercase hyphenated string; values refuse it. Build one with `ck_msgpack_uuid`.
pub const CK_EXT_UUID: i8 = 85;
/// MessagePack ext type for an **integer of any size**: the payload is ASCII decimal text
/// (`-?[0-9]+`). Lets callers holding big integers (e.g. a language binding on top of
/// this ABI) get `CK_INTEGER_OUT_OF_RANGE` from the encoder instead of checking
/// [-2^63, 2^64-1] themselves. Build one with `ck_msgpack_bigint`. Never produced on output.
pub const CK_EXT_BIGINT: i8 = 73;
/// MessagePack ext type for a **datetime**: the payload is its ISO-8601 text
/// (`YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM]`; naive without an offset). Output documents use
/// it for every datetime a reader revived; inputs may use it wherever a datetime belongs.
/// Build one with `ck_msgpack_temporal`.
pub const CK_EXT_DATETIME: i8 = 84;
/// MessagePack ext type for a **date**: the payload is `YYYY-MM-DD`.
pub const CK_EXT_DATE: i8 = 68;
/// MessagePack ext type for a **time of day**: the payload is `HH:MM:SS[.ffffff][+HH:MM]`.
pub const CK_EXT_TIME: i8 = 116;

/// Temporal kind for `ck_msgpack_temporal`: a datetime, naive or with a UTC offset.
pub const CK_TEMPORAL_DATETIME: u32 = 1;
/// Temporal kind for `ck_msgpack_temporal`: a calendar date.
pub const CK_TEMPORAL_DATE: u32 = 2;
/// Temporal kind for `ck_msgpack_temporal`: a time of day, naive or with a UTC offset.
pub const CK_TEMPORAL_TIME: u32 = 3;

/// Decodes one caller-supplied document: the decode bounds (depth, declared sizes backed
/// by the input), no trailing bytes, str as UTF-8, `CK_EXT_*` items revived, sentinel-shaped
/// maps left as maps.
pub(crate) fn from_msgpack(input: &[u8]) -> Result<Value> {
    document(input, 0)
}

/// One bounded document whose root sits at `depth` (nested set payloads continue the count).
fn document(input: &[u8], depth: usize) -> Result<Value> {
    let end = scan(input)?;
    if end != input.len() {
        return Err(Error::new(
            ErrorKind::TrailingBytes,
            format!("{} bytes after one complete document", input.len() - end),
        ));
    }
    item(&mut Reader::new(input), depth)
}

fn too_deep<T>() -> Result<T> {
    Err(Error::new(ErrorKind::DecodeBounds, format!("nesting deeper than {MAX_DEPTH} (counting CK_EXT_SET payloads)")))
}

fn utf8(b: &[u8], what: &str) -> Result<String> {
    String::from_utf8(b.to_vec())
        .map_err(|e| Error::new(ErrorKind::MalformedMsgpack, format!("{what} is not valid UTF-8: {e}")))
}

fn item(r: &mut Reader<'_>, depth: usize) -> Result<Value> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    Ok(match r.next_token()? {
        Token::Nil => Value::Nil,
        Token::Bool(b) => Value::Bool(b),
        Token::UInt(v) => Value::Int(v.into()),
        Token::NInt(v) => Value::Int(v.into()),
        Token::F32(v) => Value::Float(v.into()),
        Token::F64(v) => Value::Float(v),
        Token::Str(b) => Value::Str(utf8(b, "a str")?),
        Token::Bin(b) => Value::Bytes(b.to_vec()),
        Token::Array(n) => {
            // The pre-scan bounded n by the input length, so this reservation is backed.
            let mut v = Vec::with_capacity(n as usize);
            for _ in 0..n {
                v.push(item(r, depth + 1)?);
            }
            Value::Array(v)
        }
        Token::Map(n) => {
            let mut m = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let k = item(r, depth + 1)?;
                m.push((k, item(r, depth + 1)?));
            }
            Value::Map(m)
        }
        Token::Ext(CK_EXT_SET, payload) => match document(payload, depth + 1)? {
            Value::Array(items) => Value::Set(items),
            other => {
                return Err(invalid(format!(
                    "a CK_EXT_SET payload must be a MessagePack array, got {}",
                    other.type_name()
                )));
            }
        },
        Token::Ext(CK_EXT_UUID, payload) => match <[u8; 16]>::try_from(payload) {
            Ok(u) => Value::Uuid(u),
            Err(_) => return Err(invalid(format!("a CK_EXT_UUID payload must be 16 bytes, got {}", payload.len()))),
        },
        Token::Ext(CK_EXT_BIGINT, payload) => Value::Int(bigint(payload)?),
        Token::Ext(CK_EXT_DATETIME, payload) => Value::DateTime(DateTime::parse(&utf8(payload, "a datetime")?)?),
        Token::Ext(CK_EXT_DATE, payload) => Value::Date(Date::parse(&utf8(payload, "a date")?)?),
        Token::Ext(CK_EXT_TIME, payload) => Value::Time(Time::parse(&utf8(payload, "a time")?)?),
        Token::Ext(t, payload) => Value::Ext(t, payload.to_vec()),
    })
}

/// Parses `-?[0-9]+`; integers beyond i128 are out of every encoder's range anyway.
fn bigint(text: &[u8]) -> Result<i128> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid("a CK_EXT_BIGINT payload must be ASCII decimal text -?[0-9]+"));
    }
    let s = std::str::from_utf8(text).map_err(|_| invalid("CK_EXT_BIGINT payload is not ASCII"))?;
    s.parse::<i128>()
        .map_err(|_| Error::new(ErrorKind::IntegerOutOfRange, format!("integer {s} is outside [-2^63, 2^64-1]")))
}

/// The items of an args document (a MessagePack array).
pub(crate) fn args_from_msgpack(input: &[u8]) -> Result<Vec<Value>> {
    match from_msgpack(input)? {
        Value::Array(items) => Ok(items),
        other => Err(invalid(format!("args must be a MessagePack array, got {}", other.type_name()))),
    }
}

fn ext(out: &mut Vec<u8>, t: i8, data: &[u8]) -> Result<()> {
    let n = data.len();
    match n {
        1 => out.push(0xd4),
        2 => out.push(0xd5),
        4 => out.push(0xd6),
        8 => out.push(0xd7),
        16 => out.push(0xd8),
        _ if n <= 0xff => out.extend_from_slice(&[0xc7, n as u8]),
        _ if n <= 0xffff => {
            out.push(0xc8);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            let n = u32::try_from(n).map_err(|_| Error::new(ErrorKind::ValueTooLarge, "ext payload over 4 GiB"))?;
            out.push(0xc9);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    out.push(t as u8);
    out.extend_from_slice(data);
    Ok(())
}

/// Writes a decoded value for C: shortest-form integers, floats as float64, str, bin,
/// arrays, maps in stored order (any key type), temporal values as `CK_EXT_DATETIME` /
/// `CK_EXT_DATE` / `CK_EXT_TIME` items with their ISO text, other ext items unchanged.
pub(crate) fn to_msgpack(v: &Value, out: &mut Vec<u8>) -> Result<()> {
    match v {
        Value::Nil => write::nil(out),
        Value::Bool(b) => write::boolean(out, *b),
        Value::Int(i) => write::integer(out, *i)?,
        Value::Float(f) => write::float64(out, *f),
        Value::Str(s) => write::str(out, s)?,
        Value::Bytes(b) => write::bin(out, b)?,
        Value::Array(items) => {
            write::array_len(out, items.len())?;
            for i in items {
                to_msgpack(i, out)?;
            }
        }
        Value::Map(entries) => {
            write::map_len(out, entries.len())?;
            for (k, val) in entries {
                to_msgpack(k, out)?;
                to_msgpack(val, out)?;
            }
        }
        Value::DateTime(dt) => ext(out, CK_EXT_DATETIME, dt.to_string().as_bytes())?,
        Value::Date(d) => ext(out, CK_EXT_DATE, d.to_string().as_bytes())?,
        Value::Time(t) => ext(out, CK_EXT_TIME, t.to_string().as_bytes())?,
        // Readers never produce these; written in their input form for symmetry.
        Value::Set(items) => {
            let mut inner = Vec::new();
            write::array_len(&mut inner, items.len())?;
            for i in items {
                to_msgpack(i, &mut inner)?;
            }
            ext(out, CK_EXT_SET, &inner)?;
        }
        Value::Uuid(u) => ext(out, CK_EXT_UUID, u)?,
        Value::Ext(t, data) => ext(out, *t, data)?,
    }
    Ok(())
}

pub(crate) fn value_to_msgpack(v: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    to_msgpack(v, &mut out)?;
    Ok(out)
}

// ---------------------------------------------------------------- helpers for C callers

/// Wraps a MessagePack array document as one `CK_EXT_SET` item, to place wherever a set
/// belongs in an args document (`{1, 2}` → `ck_msgpack_set("\x92\x01\x02", 3, &out)`).
///
/// The array is validated (one bounded document, an array, no trailing bytes); its items
/// are copied as given. Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`, not an
/// array); `CK_MALFORMED_MSGPACK`, `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`,
/// `CK_VALUE_TOO_LARGE`.
/// Ownership: `array_msgpack` stays the caller's; on success free `*out` with `ck_buf_free`.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `array_msgpack` points to `len` readable bytes (or is NULL with `len == 0`); `out` is
/// NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_msgpack_set(array_msgpack: *const u8, len: usize, out: *mut ck_buf) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let input = unsafe { bytes(array_msgpack, len, "array_msgpack") }?;
        match from_msgpack(input)? {
            Value::Array(_) => {}
            other => {
                return Err(invalid(format!("a set is built from a MessagePack array, got {}", other.type_name())));
            }
        }
        let mut v = Vec::with_capacity(input.len() + 6);
        ext(&mut v, CK_EXT_SET, input)?;
        *out = ck_buf::from_vec(v);
        Ok(())
    })
}

/// Writes one `CK_EXT_UUID` item for a UUID given as text (`8-4-4-4-12` hex, any case).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, not a UUID); `CK_INVALID_STRING`.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// `uuid` is NULL or a NUL-terminated string; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_msgpack_uuid(uuid: *const c_char, out: *mut ck_buf) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let u = parse_uuid(unsafe { text(uuid, "uuid") }?)?;
        let mut v = Vec::with_capacity(18);
        ext(&mut v, CK_EXT_UUID, &u)?;
        *out = ck_buf::from_vec(v);
        Ok(())
    })
}

/// Writes one `CK_EXT_BIGINT` item for an integer given as decimal text (`-?[0-9]+`, any
/// size). Encoders accept it when it lies in [-2^63, 2^64-1] (as if it were a plain
/// MessagePack integer) and refuse it otherwise with `CK_INTEGER_OUT_OF_RANGE`.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, not decimal); `CK_INVALID_STRING`.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// `decimal` is NULL or a NUL-terminated string; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_msgpack_bigint(decimal: *const c_char, out: *mut ck_buf) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let t = unsafe { text(decimal, "decimal") }?;
        let digits = t.strip_prefix('-').unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return Err(invalid(format!("{t:?} is not decimal text -?[0-9]+")));
        }
        let mut v = Vec::with_capacity(t.len() + 6);
        ext(&mut v, CK_EXT_BIGINT, t.as_bytes())?;
        *out = ck_buf::from_vec(v);
        Ok(())
    })
}

/// Writes one temporal item: `CK_EXT_DATETIME`, `CK_EXT_DATE` or `CK_EXT_TIME` (by `kind`:
/// `CK_TEMPORAL_DATETIME`, `CK_TEMPORAL_DATE`, `CK_TEMPORAL_TIME`) whose payload is `iso`
/// validated and rewritten in the canonical form Python's `isoformat()` gives (e.g.
/// `"2024-01-15T12:30:00Z"` becomes `"2024-01-15T12:30:00+00:00"`). Encoders store it as
/// the temporal sentinel map cachekit-py writes; key arguments hash it as Python hashes the
/// datetime (naive datetimes, dates and times are refused there).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, unknown kind);
/// `CK_INVALID_TEMPORAL` (not ISO-8601 or out of range); `CK_INVALID_STRING`.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// `iso` is NULL or a NUL-terminated string; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_msgpack_temporal(kind: u32, iso: *const c_char, out: *mut ck_buf) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let iso = unsafe { text(iso, "iso") }?;
        let v = match kind {
            CK_TEMPORAL_DATETIME => Value::DateTime(DateTime::parse(iso)?),
            CK_TEMPORAL_DATE => Value::Date(Date::parse(iso)?),
            CK_TEMPORAL_TIME => Value::Time(Time::parse(iso)?),
            other => return Err(invalid(format!("unknown temporal kind {other}"))),
        };
        *out = ck_buf::from_vec(value_to_msgpack(&v)?);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn ext_items_revive() {
        let mut set = Vec::new();
        ext(&mut set, CK_EXT_SET, &h("920102")).unwrap();
        let mut doc = vec![0x91];
        doc.extend_from_slice(&set);
        assert_eq!(from_msgpack(&doc).unwrap(), Value::Array(vec![Value::Set(vec![1i64.into(), 2i64.into()])]));
        let mut u = Vec::new();
        ext(&mut u, CK_EXT_UUID, &[7; 16]).unwrap();
        assert_eq!(from_msgpack(&u).unwrap(), Value::Uuid([7; 16]));
        let mut b = Vec::new();
        ext(&mut b, CK_EXT_BIGINT, b"18446744073709551616").unwrap();
        assert_eq!(from_msgpack(&b).unwrap(), Value::Int(1 << 64));
        let mut huge = Vec::new();
        ext(&mut huge, CK_EXT_BIGINT, "9".repeat(60).as_bytes()).unwrap();
        assert_eq!(from_msgpack(&huge).unwrap_err().kind(), ErrorKind::IntegerOutOfRange);
        let mut bad = Vec::new();
        ext(&mut bad, CK_EXT_UUID, &[7; 3]).unwrap();
        assert_eq!(from_msgpack(&bad).unwrap_err().kind(), ErrorKind::InvalidArgument);
        // A map shaped like a temporal sentinel stays a map (as a Python dict would).
        let map = h("82ac5f5f6461746574696d655f5fc3a576616c7565a3787878");
        assert!(matches!(from_msgpack(&map).unwrap(), Value::Map(_)));
        let mut dt = Vec::new();
        ext(&mut dt, CK_EXT_DATETIME, b"2024-01-15T12:30:00Z").unwrap();
        let dt = from_msgpack(&dt).unwrap();
        assert_eq!(value_to_msgpack(&dt).unwrap()[3..], *b"2024-01-15T12:30:00+00:00");
        let mut bad_dt = Vec::new();
        ext(&mut bad_dt, CK_EXT_DATE, b"2024-02-30").unwrap();
        assert_eq!(from_msgpack(&bad_dt).unwrap_err().kind(), ErrorKind::InvalidTemporal);
        // Other ext types stay ext values (and encoders refuse them).
        assert_eq!(from_msgpack(&h("d4012a")).unwrap(), Value::Ext(1, vec![0x2a]));
    }

    #[test]
    fn nested_set_payloads_count_towards_the_depth_bound() {
        let mut doc = h("90");
        for _ in 0..MAX_DEPTH + 2 {
            let mut wrapped = vec![0x91];
            ext(&mut wrapped, CK_EXT_SET, &doc).unwrap();
            doc = wrapped;
        }
        assert_eq!(from_msgpack(&doc).unwrap_err().kind(), ErrorKind::DecodeBounds);
    }

    #[test]
    fn output_round_trips_what_readers_produce() {
        for hex in [
            "81012a",
            "d4012a",
            "c70301020304",
            "93c0c3cb3ff8000000000000",
            "82a85f5f74696d655f5fc3a576616c7565a831303a33303a3030",
        ] {
            let v =
                cachekit::msgpack::document::decode(&h(hex), cachekit::msgpack::document::Sentinels::Strict).unwrap();
            let out = value_to_msgpack(&v).unwrap();
            assert_eq!(from_msgpack(&out).unwrap(), v, "{hex}");
        }
    }
}
