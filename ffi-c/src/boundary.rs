//! The boundary every export goes through: result codes, owned buffers, the panic guard,
//! the thread-local last error, and the checks that turn C pointers into Rust borrows.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use cachekit::error::{ALL_KINDS, ErrorKind};
use cachekit::{Error, Result};

/// A result code: `CK_OK` (0) on success, otherwise the stable code of a cachekit error
/// kind (the `CK_*` codes below, equal to the core's `ErrorKind` codes). Codes are append-only and never renumbered;
/// treat an unknown non-zero code as a failure and show `ck_error_name(code)`.
pub type ck_result = i32;

/// Success.
pub const CK_OK: ck_result = 0;
/// 100 `invalid_argument`: an argument is malformed (NULL where a value is required, bad mode, empty identity…).
pub const CK_INVALID_ARGUMENT: ck_result = 100;
/// 101 `integer_out_of_range`: an integer outside [-2^63, 2^64-1].
pub const CK_INTEGER_OUT_OF_RANGE: ck_result = 101;
/// 102 `non_finite_float`: NaN or ±Inf where the profile forbids them.
pub const CK_NON_FINITE_FLOAT: ck_result = 102;
/// 103 `unsupported_type`: a value the encoder cannot represent in this profile.
pub const CK_UNSUPPORTED_TYPE: ck_result = 103;
/// 104 `invalid_map_key`: a map key the encoder refuses (non-string, duplicate, unsortable mix).
pub const CK_INVALID_MAP_KEY: ck_result = 104;
/// 105 `invalid_string`: text that is not well-formed UTF-8 (including C string parameters).
pub const CK_INVALID_STRING: ck_result = 105;
/// 106 `invalid_segment`: an interop namespace or operation outside `^[a-z0-9][a-z0-9._-]{0,63}$`.
pub const CK_INVALID_SEGMENT: ck_result = 106;
/// 107 `invalid_temporal`: a date, time or datetime out of range or not ISO-8601.
pub const CK_INVALID_TEMPORAL: ck_result = 107;
/// 108 `invalid_ttl`: a TTL that is zero, negative or not finite.
pub const CK_INVALID_TTL: ck_result = 108;
/// 109 `value_too_large`: a value, entry or input buffer beyond a size cap.
pub const CK_VALUE_TOO_LARGE: ck_result = 109;
/// 200 `malformed_msgpack`: bytes are not MessagePack.
pub const CK_MALFORMED_MSGPACK: ck_result = 200;
/// 201 `decode_bounds`: the pre-decode guard refused the document (depth, declared slots, incomplete).
pub const CK_DECODE_BOUNDS: ck_result = 201;
/// 202 `trailing_bytes`: bytes remain after one complete document.
pub const CK_TRAILING_BYTES: ck_result = 202;
/// 203 `invalid_sentinel`: a temporal sentinel map whose `value` is not valid ISO-8601.
pub const CK_INVALID_SENTINEL: ck_result = 203;
/// 210 `envelope_structure`: the ByteStorage envelope has the wrong shape or types.
pub const CK_ENVELOPE_STRUCTURE: ck_result = 210;
/// 211 `envelope_size_limit`: envelope, compressed or original size over 512 MiB.
pub const CK_ENVELOPE_SIZE_LIMIT: ck_result = 211;
/// 212 `decompression_bomb`: empty compressed data or a ratio above 1000.
pub const CK_DECOMPRESSION_BOMB: ck_result = 212;
/// 213 `decompression_failed`: the LZ4 block is corrupt or does not fill `original_size`.
pub const CK_DECOMPRESSION_FAILED: ck_result = 213;
/// 214 `checksum_mismatch`: xxh3-64 of the decompressed bytes differs from the stored one.
pub const CK_CHECKSUM_MISMATCH: ck_result = 214;
/// 220 `python_frame`: the entry is a cachekit-py `CK` frame (Python-internal, never decoded).
pub const CK_PYTHON_FRAME: ck_result = 220;
/// 221 `python_frame_malformed`: a `CK` frame the inspector cannot parse.
pub const CK_PYTHON_FRAME_MALFORMED: ck_result = 221;
/// 300 `invalid_master_key`: a master key that is not exactly 32 bytes (64 hex digits).
pub const CK_INVALID_MASTER_KEY: ck_result = 300;
/// 301 `invalid_keyring`: more than 3 previous keys, or the current key repeated among them.
pub const CK_INVALID_KEYRING: ck_result = 301;
/// 302 `invalid_tenant`: tenant or derivation domain empty or too long.
pub const CK_INVALID_TENANT: ck_result = 302;
/// 303 `decryption_failed`: authentication failed with every key (wrong key, AAD or tampering).
pub const CK_DECRYPTION_FAILED: ck_result = 303;
/// 304 `ciphertext_too_short`: stored bytes shorter than nonce + tag (28 bytes).
pub const CK_CIPHERTEXT_TOO_SHORT: ck_result = 304;
/// 305 `nonce_exhausted`: this keyring issued all 2^32 counter nonces; make a new one.
pub const CK_NONCE_EXHAUSTED: ck_result = 305;
/// 306 `random_unavailable`: the platform random source failed.
pub const CK_RANDOM_UNAVAILABLE: ck_result = 306;
/// 307 `encryption_required`: a secure configuration without a key.
pub const CK_ENCRYPTION_REQUIRED: ck_result = 307;
/// 400 `circuit_open`: the circuit breaker is open (`ck_breaker_try_acquire`; an engine outcome's error).
pub const CK_CIRCUIT_OPEN: ck_result = 400;
/// 401 `overloaded`: backpressure refused the call (`ck_limiter_admit`/`_poll`; an engine outcome's error).
pub const CK_OVERLOADED: ck_result = 401;
/// 402 `timeout`: Redis did not answer in time (an engine outcome's error).
pub const CK_TIMEOUT: ck_result = 402;
/// 403 `backend`: a Redis error reported by the binding (an engine outcome's error).
pub const CK_BACKEND: ck_result = 403;
/// 404 `lock_not_acquired`: the fill lock stayed held by another writer (counted in metrics; not returned).
pub const CK_LOCK_NOT_ACQUIRED: ck_result = 404;
/// 405 `closed`: the cache was closed (defined for bindings; not returned by this ABI).
pub const CK_CLOSED: ck_result = 405;
/// 406 `compute_failed`: the computation of a get_or_compute failed (an engine outcome's error).
pub const CK_COMPUTE_FAILED: ck_result = 406;
/// 500 `internal`: a bug in cachekit, e.g. a Rust panic caught at this boundary.
pub const CK_INTERNAL: ck_result = 500;

/// Largest input buffer any function reads: 1 GiB. Longer inputs (and lengths that could
/// not describe a real object, such as `SIZE_MAX`) are refused with `CK_VALUE_TOO_LARGE`
/// before a byte is read.
pub const CK_MAX_INPUT_BYTES: usize = 1 << 30;

/// A byte buffer owned by the library.
///
/// Every `ck_buf` a function fills is allocated by cachekit and must be released with
/// `ck_buf_free` (never `free()`), exactly once, with `ptr` and `len` unchanged. On
/// success `ptr` is never NULL, even when `len` is 0, and one NUL byte follows the `len`
/// bytes (not counted in `len`), so text results (keys) can be used as C strings.
/// Functions set their `ck_buf` out-parameter to `{NULL, 0}` first, also on failure; an
/// out-parameter is overwritten, not freed, so free what it held before reusing it.
#[repr(C)]
#[derive(Debug)]
pub struct ck_buf {
    /// The bytes, or NULL when the buffer is empty-initialised or freed.
    pub ptr: *mut u8,
    /// Number of bytes at `ptr` (the trailing NUL not included).
    pub len: usize,
}

impl ck_buf {
    /// `{NULL, 0}`.
    pub(crate) const fn empty() -> ck_buf {
        ck_buf { ptr: std::ptr::null_mut(), len: 0 }
    }

    /// Hands `bytes` to C: one allocation of `len + 1` bytes, the last one NUL.
    pub(crate) fn from_vec(mut bytes: Vec<u8>) -> ck_buf {
        let len = bytes.len();
        bytes.push(0);
        let boxed: Box<[u8]> = bytes.into_boxed_slice();
        ck_buf { ptr: Box::into_raw(boxed).cast::<u8>(), len }
    }
}

/// Releases a buffer a cachekit function filled and resets it to `{NULL, 0}`.
///
/// Ownership: takes back the memory of `*buf`. Passing NULL, or a buffer whose `ptr` is
/// NULL (never filled, or already freed through this function), does nothing, so calling
/// it twice on the same `ck_buf` is harmless.
/// Thread safety: safe from any thread, as long as no other thread uses the same buffer.
///
/// # Safety
/// `buf` is NULL or points to a `ck_buf` that is `{NULL, 0}` or was filled by a cachekit
/// function and not modified since.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_buf_free(buf: *mut ck_buf) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller passes NULL or a valid, exclusively used ck_buf.
        let Some(b) = (unsafe { buf.as_mut() }) else { return };
        if !b.ptr.is_null() {
            // SAFETY: ptr/len came from `ck_buf::from_vec`: a boxed slice of len + 1 bytes.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(b.ptr, b.len + 1)) });
        }
        *b = ck_buf::empty();
    }));
}

// ---------------------------------------------------------------- last error

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_last_error(message: String) {
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = message);
}

fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|e| e.borrow_mut().clear());
}

/// Copies the detail message of the calling thread's last failed call into `buf`.
///
/// Every function that returns a `ck_result` first clears the calling thread's detail,
/// then sets it when it fails ("name (code): what exactly was wrong"); so after a success
/// the detail is empty. The detail is informative, never normative: branch on the code.
/// Writes at most `buf_len - 1` bytes plus a NUL (cut at a UTF-8 character boundary) and
/// returns the full length of the message in bytes, like `snprintf`: call it with
/// `buf = NULL, buf_len = 0` to size a buffer. Reading the detail does not clear it.
/// Ownership: `buf` stays the caller's. Thread safety: each thread has its own detail.
///
/// # Safety
/// `buf` is NULL or points to at least `buf_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    catch_unwind(AssertUnwindSafe(|| {
        LAST_ERROR
            .try_with(|e| {
                let msg = e.borrow();
                if !buf.is_null() && buf_len > 0 {
                    let mut n = msg.len().min(buf_len - 1);
                    while !msg.is_char_boundary(n) {
                        n -= 1;
                    }
                    // SAFETY: the caller guarantees buf_len writable bytes; n + 1 <= buf_len.
                    unsafe {
                        std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n);
                        *buf.add(n) = 0;
                    }
                }
                msg.len()
            })
            .unwrap_or(0)
    }))
    .unwrap_or(0)
}

// ---------------------------------------------------------------- the guard

/// Runs `f` inside the panic boundary: clears the last error, maps `Err` to its code and
/// detail, and a panic to `CK_INTERNAL`.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> ck_result {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => CK_OK,
        Ok(Err(e)) => {
            set_last_error(e.to_string());
            ck_result::from(e.code())
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            set_last_error(format!("internal (500): panic caught at the C boundary: {what}"));
            CK_INTERNAL
        }
    }
}

pub(crate) fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

// ---------------------------------------------------------------- C → Rust

/// Borrows `len` bytes at `ptr`. NULL with `len == 0` is the empty buffer; NULL with a
/// length, or a length over `CK_MAX_INPUT_BYTES`, is refused.
///
/// # Safety
/// Unless refused, `ptr` points to `len` readable bytes that outlive the returned slice.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len > CK_MAX_INPUT_BYTES {
        return Err(Error::new(
            ErrorKind::ValueTooLarge,
            format!("{what}: length {len} exceeds CK_MAX_INPUT_BYTES ({CK_MAX_INPUT_BYTES})"),
        ));
    }
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(invalid(format!("{what} is NULL but its length is {len}"))) };
    }
    // SAFETY: non-NULL, len <= 1 GiB < isize::MAX, and the caller guarantees readability.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Like [`bytes`], but NULL means "absent" (whatever the length is not allowed to be).
pub(crate) unsafe fn opt_bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<Option<&'a [u8]>> {
    if ptr.is_null() {
        return if len == 0 { Ok(None) } else { Err(invalid(format!("{what} is NULL but its length is {len}"))) };
    }
    // SAFETY: forwarded contract.
    unsafe { bytes(ptr, len, what) }.map(Some)
}

/// Borrows a NUL-terminated UTF-8 string; NULL is refused.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that outlives the returned borrow.
pub(crate) unsafe fn text<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    unsafe { opt_text(ptr, what) }?.ok_or_else(|| invalid(format!("{what} is NULL")))
}

/// Borrows a NUL-terminated UTF-8 string; NULL is `None`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn opt_text<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated per the caller.
    let c = unsafe { CStr::from_ptr(ptr) };
    if c.to_bytes().len() > CK_MAX_INPUT_BYTES {
        return Err(Error::new(ErrorKind::ValueTooLarge, format!("{what} exceeds CK_MAX_INPUT_BYTES")));
    }
    c.to_str().map(Some).map_err(|e| Error::new(ErrorKind::InvalidString, format!("{what} is not valid UTF-8: {e}")))
}

/// Borrows an array of `len` NUL-terminated UTF-8 strings (tags). NULL with `len == 0` is
/// the empty list; NULL with a length, a NULL element, or more than `max` elements (checked
/// before anything is read) is refused.
///
/// # Safety
/// Unless refused, `ptr` points to `len` readable pointers, each NULL or a NUL-terminated
/// string, all outliving the returned borrows.
pub(crate) unsafe fn text_array<'a>(
    ptr: *const *const c_char,
    len: usize,
    max: usize,
    what: &str,
) -> Result<Vec<&'a str>> {
    if len > max {
        return Err(invalid(format!("{what}: {len} items, at most {max} allowed")));
    }
    if ptr.is_null() {
        return if len == 0 { Ok(Vec::new()) } else { Err(invalid(format!("{what} is NULL but its length is {len}"))) };
    }
    (0..len)
        .map(|i| {
            // SAFETY: i < len readable pointers per the caller.
            let item = unsafe { *ptr.add(i) };
            if item.is_null() {
                return Err(invalid(format!("{what}[{i}] is NULL")));
            }
            // SAFETY: NUL-terminated per the caller.
            unsafe { text(item, what) }
        })
        .collect()
}

/// Borrows a handle; NULL is refused.
///
/// # Safety
/// `p` is NULL or a live handle of type `T`.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: NULL or live per the caller.
    unsafe { p.as_ref() }.ok_or_else(|| invalid(format!("{what} is NULL")))
}

/// Resets a `ck_buf` out-parameter to `{NULL, 0}` and returns it; NULL is refused.
///
/// # Safety
/// `out` is NULL or points to a writable `ck_buf`.
pub(crate) unsafe fn out_buf<'a>(out: *mut ck_buf, what: &str) -> Result<&'a mut ck_buf> {
    // SAFETY: NULL or valid per the caller.
    let out = unsafe { out.as_mut() }.ok_or_else(|| invalid(format!("{what} (the output ck_buf) is NULL")))?;
    *out = ck_buf::empty();
    Ok(out)
}

/// A writable fixed-size output region of at least `need` bytes.
///
/// # Safety
/// `out` is NULL or points to `out_len` writable bytes.
pub(crate) unsafe fn out_bytes<'a>(out: *mut u8, out_len: usize, need: usize, what: &str) -> Result<&'a mut [u8]> {
    if out.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    if out_len < need {
        return Err(invalid(format!("{what} holds {out_len} bytes, needs {need}")));
    }
    // SAFETY: non-NULL with at least `need` writable bytes per the caller.
    Ok(unsafe { std::slice::from_raw_parts_mut(out, need) })
}

/// Writes a plain-old-data out-parameter; NULL is refused.
///
/// # Safety
/// `out` is NULL or points to a writable `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T, what: &str) -> Result<()> {
    if out.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and writable per the caller; T is plain data (no drop of the old value needed).
    unsafe { out.write(value) };
    Ok(())
}

// ---------------------------------------------------------------- codes → text

/// The stable name and one-line description of each kind, from the core (NUL-terminated
/// copies made once, so the pointers handed to C are `'static`).
fn describe(kind: ErrorKind) -> (&'static CStr, &'static CStr) {
    static TABLE: OnceLock<Vec<(ErrorKind, CString, CString)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        ALL_KINDS
            .iter()
            .map(|k| {
                let c = |s: &str| CString::new(s).unwrap_or_else(|_| CString::from(c"(description has a NUL)"));
                (*k, c(k.name()), c(k.description()))
            })
            .collect()
    });
    table
        .iter()
        .find(|(k, ..)| *k == kind)
        .map_or((c"unknown", c"an error kind this build does not describe"), |(_, n, d)| (n.as_c_str(), d.as_c_str()))
}

fn kind_of(code: ck_result) -> Option<ErrorKind> {
    u16::try_from(code).ok().and_then(ErrorKind::from_code)
}

/// The stable machine name of a result code: `"ok"` for `CK_OK`, e.g. `"checksum_mismatch"`
/// for 214, `"unknown"` for a code this library does not define.
///
/// Ownership: the string is static; never free it. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_error_name(code: ck_result) -> *const c_char {
    catch_unwind(|| match code {
        CK_OK => c"ok",
        _ => kind_of(code).map_or(c"unknown", |k| describe(k).0),
    })
    .unwrap_or(c"unknown")
    .as_ptr()
}

/// A static one-line English description of a result code (`"success"` for `CK_OK`).
/// For what went wrong in a particular call, see `ck_last_error_message`.
///
/// Ownership: the string is static; never free it. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_error_message(code: ck_result) -> *const c_char {
    catch_unwind(|| match code {
        CK_OK => c"success",
        _ => kind_of(code).map_or(c"unknown result code", |k| describe(k).1),
    })
    .unwrap_or(c"unknown result code")
    .as_ptr()
}

/// True when a cache read that failed with `code` must be treated as a miss (and counted),
/// not reported to the caller: the stored bytes are unreadable (decode and integrity
/// codes, `CK_DECRYPTION_FAILED`, `CK_CIPHERTEXT_TOO_SHORT`, `CK_PYTHON_FRAME`), not the call
/// wrong. False for `CK_OK` and unknown codes.
///
/// Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_error_is_read_miss(code: ck_result) -> bool {
    catch_unwind(|| kind_of(code).is_some_and(ErrorKind::is_read_miss)).unwrap_or(false)
}

/// The version of the linked library, `"MAJOR.MINOR.PATCH"` (compare with
/// `CACHEKIT_VERSION_STRING` to detect a header/library mismatch).
///
/// Ownership: the string is static; never free it. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_version() -> *const c_char {
    const V: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the crate version contains a NUL"),
    };
    V.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachekit::error::ALL_KINDS;

    /// Every constant of the header, by name: the single list the test below checks.
    const CODES: &[(ck_result, &str)] = &[
        (CK_INVALID_ARGUMENT, "invalid_argument"),
        (CK_INTEGER_OUT_OF_RANGE, "integer_out_of_range"),
        (CK_NON_FINITE_FLOAT, "non_finite_float"),
        (CK_UNSUPPORTED_TYPE, "unsupported_type"),
        (CK_INVALID_MAP_KEY, "invalid_map_key"),
        (CK_INVALID_STRING, "invalid_string"),
        (CK_INVALID_SEGMENT, "invalid_segment"),
        (CK_INVALID_TEMPORAL, "invalid_temporal"),
        (CK_INVALID_TTL, "invalid_ttl"),
        (CK_VALUE_TOO_LARGE, "value_too_large"),
        (CK_MALFORMED_MSGPACK, "malformed_msgpack"),
        (CK_DECODE_BOUNDS, "decode_bounds"),
        (CK_TRAILING_BYTES, "trailing_bytes"),
        (CK_INVALID_SENTINEL, "invalid_sentinel"),
        (CK_ENVELOPE_STRUCTURE, "envelope_structure"),
        (CK_ENVELOPE_SIZE_LIMIT, "envelope_size_limit"),
        (CK_DECOMPRESSION_BOMB, "decompression_bomb"),
        (CK_DECOMPRESSION_FAILED, "decompression_failed"),
        (CK_CHECKSUM_MISMATCH, "checksum_mismatch"),
        (CK_PYTHON_FRAME, "python_frame"),
        (CK_PYTHON_FRAME_MALFORMED, "python_frame_malformed"),
        (CK_INVALID_MASTER_KEY, "invalid_master_key"),
        (CK_INVALID_KEYRING, "invalid_keyring"),
        (CK_INVALID_TENANT, "invalid_tenant"),
        (CK_DECRYPTION_FAILED, "decryption_failed"),
        (CK_CIPHERTEXT_TOO_SHORT, "ciphertext_too_short"),
        (CK_NONCE_EXHAUSTED, "nonce_exhausted"),
        (CK_RANDOM_UNAVAILABLE, "random_unavailable"),
        (CK_ENCRYPTION_REQUIRED, "encryption_required"),
        (CK_CIRCUIT_OPEN, "circuit_open"),
        (CK_OVERLOADED, "overloaded"),
        (CK_TIMEOUT, "timeout"),
        (CK_BACKEND, "backend"),
        (CK_LOCK_NOT_ACQUIRED, "lock_not_acquired"),
        (CK_CLOSED, "closed"),
        (CK_COMPUTE_FAILED, "compute_failed"),
        (CK_INTERNAL, "internal"),
    ];

    #[test]
    fn result_codes_are_exactly_the_core_kinds() {
        assert_eq!(CODES.len(), ALL_KINDS.len(), "a core kind has no CK_ constant (or one too many)");
        for kind in ALL_KINDS {
            let (code, name) = CODES.iter().find(|(c, _)| *c == ck_result::from(kind.code())).expect("constant");
            assert_eq!(*name, kind.name());
            let cname = unsafe { CStr::from_ptr(ck_error_name(*code)) };
            assert_eq!(cname.to_str().unwrap(), kind.name());
            assert_ne!(describe(*kind).1.to_bytes(), b"an error kind this build does not describe");
            assert_ne!(*code, CK_OK);
        }
        let name = |c| unsafe { CStr::from_ptr(ck_error_name(c)) }.to_str().unwrap();
        assert_eq!(name(CK_OK), "ok");
        assert_eq!(name(-1), "unknown");
        assert_eq!(name(99_999), "unknown");
        assert!(ck_error_is_read_miss(CK_CHECKSUM_MISMATCH));
        assert!(!ck_error_is_read_miss(CK_OK));
        assert!(!ck_error_is_read_miss(CK_INVALID_ARGUMENT));
    }

    #[test]
    fn buffers_round_trip_and_free_twice_safely() {
        let mut b = ck_buf::from_vec(b"abc".to_vec());
        assert_eq!(b.len, 3);
        assert_eq!(unsafe { *b.ptr.add(3) }, 0);
        unsafe { ck_buf_free(&mut b) };
        assert!(b.ptr.is_null());
        unsafe { ck_buf_free(&mut b) };
        unsafe { ck_buf_free(std::ptr::null_mut()) };
        let mut e = ck_buf::from_vec(Vec::new());
        assert!(!e.ptr.is_null());
        unsafe { ck_buf_free(&mut e) };
    }

    #[test]
    fn guard_maps_errors_and_panics() {
        assert_eq!(guard(|| Ok(())), CK_OK);
        assert_eq!(guard(|| Err(invalid("nope"))), CK_INVALID_ARGUMENT);
        let mut buf = [0 as c_char; 8];
        let n = unsafe { ck_last_error_message(buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, "invalid_argument (100): nope".len());
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), "invalid");
        assert_eq!(guard(|| panic!("boom")), CK_INTERNAL);
        assert_eq!(guard(|| Ok(())), CK_OK);
        assert_eq!(unsafe { ck_last_error_message(std::ptr::null_mut(), 0) }, 0);
    }
}
