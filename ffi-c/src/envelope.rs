//! The ByteStorage envelope and cachekit-py `CK` frame inspection, for tools that look
//! at stored bytes below the entry codec.

use std::ffi::c_char;

use cachekit::envelope::{self, DataEncoding};
use cachekit::python_frame::{self, Frame, FrameRejection};
use cachekit::{Error, Result};

use crate::boundary::{bytes, ck_buf, ck_result, guard, out_buf, write_out};

/// How an envelope stored its compressed bytes: `CK_ENVELOPE_ENCODING_*`.
pub type ck_envelope_encoding = u32;
/// MessagePack bin (what every current writer produces).
pub const CK_ENVELOPE_ENCODING_BIN: ck_envelope_encoding = 1;
/// An array of integers 0..=255 (legacy writers; still read).
pub const CK_ENVELOPE_ENCODING_INT_ARRAY: ck_envelope_encoding = 2;

/// The fields of a parsed (not decompressed) ByteStorage envelope.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ck_envelope_info {
    /// Bytes of LZ4 block data.
    pub compressed_len: usize,
    /// Declared size of the original bytes, as on the wire (not yet checked).
    pub original_size: u64,
    /// The stored xxh3-64 of the original bytes.
    pub checksum: u64,
    /// `CK_ENVELOPE_ENCODING_BIN` or `CK_ENVELOPE_ENCODING_INT_ARRAY`.
    pub encoding: ck_envelope_encoding,
}

/// Wraps `data` (any bytes; entries put StandardSerializer MessagePack here) in a
/// canonical ByteStorage envelope: `[bin LZ4 block, 8 checksum bytes, original size,
/// "msgpack"]`, byte-identical to cachekit-py's.
///
/// Result codes: `CK_OK`; `CK_VALUE_TOO_LARGE` (over 512 MiB); `CK_INVALID_ARGUMENT`.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// `data` points to `len` readable bytes (or is NULL with `len == 0`); `out` is NULL or a
/// writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_envelope_store(data: *const u8, len: usize, out: *mut ck_buf) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        *out = ck_buf::from_vec(envelope::store(unsafe { bytes(data, len, "data") }?)?);
        Ok(())
    })
}

/// Opens an untrusted envelope and returns the original bytes, checking in the protocol's
/// order: structure, size limits (512 MiB), decompression-bomb ratio (1000), LZ4 block,
/// xxh3-64 checksum. Nothing is allocated before every size check passed.
///
/// Result codes: `CK_OK`; `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`, `CK_MALFORMED_MSGPACK`,
/// `CK_ENVELOPE_STRUCTURE`, `CK_ENVELOPE_SIZE_LIMIT`, `CK_DECOMPRESSION_BOMB`,
/// `CK_DECOMPRESSION_FAILED`, `CK_CHECKSUM_MISMATCH`; `CK_INVALID_ARGUMENT`;
/// `CK_VALUE_TOO_LARGE`.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// As `ck_envelope_store`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_envelope_retrieve(envelope: *const u8, len: usize, out: *mut ck_buf) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        *out = ck_buf::from_vec(envelope::retrieve(unsafe { bytes(envelope, len, "envelope") }?)?);
        Ok(())
    })
}

/// Parses an envelope's structure without decompressing it and reports its fields.
///
/// Result codes: `CK_OK`; the structure codes of `ck_envelope_retrieve` (`CK_DECODE_BOUNDS`,
/// `CK_TRAILING_BYTES`, `CK_MALFORMED_MSGPACK`, `CK_ENVELOPE_STRUCTURE`,
/// `CK_ENVELOPE_SIZE_LIMIT`); `CK_INVALID_ARGUMENT`. On failure `*out` is zeroed.
/// Ownership: `*out` is plain data in the caller's memory. Thread safety: safe from any thread.
///
/// # Safety
/// `envelope` points to `len` readable bytes; `out` is NULL or a writable `ck_envelope_info`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_envelope_inspect(envelope: *const u8, len: usize, out: *mut ck_envelope_info) -> ck_result {
    guard(|| {
        let zero = ck_envelope_info { compressed_len: 0, original_size: 0, checksum: 0, encoding: 0 };
        // SAFETY: forwarded contract.
        unsafe { write_out(out, zero, "out") }?;
        // SAFETY: forwarded contract.
        let e = envelope::parse(unsafe { bytes(envelope, len, "envelope") }?)?;
        let info = ck_envelope_info {
            compressed_len: e.compressed.len(),
            original_size: e.original_size,
            checksum: e.checksum,
            encoding: match e.encoding {
                DataEncoding::Bin => CK_ENVELOPE_ENCODING_BIN,
                DataEncoding::IntArray => CK_ENVELOPE_ENCODING_INT_ARRAY,
            },
        };
        // SAFETY: checked writable above.
        unsafe { write_out(out, info, "out") }
    })
}

// ---------------------------------------------------------------- cachekit-py frames

/// Why a `CK` frame could not be parsed: `CK_FRAME_REJECTION_*`.
pub type ck_frame_rejection = u32;
/// Not rejected.
pub const CK_FRAME_REJECTION_NONE: ck_frame_rejection = 0;
/// Shorter than the 7-byte prefix (`"prefix_length"`).
pub const CK_FRAME_REJECTION_PREFIX_LENGTH: ck_frame_rejection = 1;
/// Does not start with `CK` (`"magic"`).
pub const CK_FRAME_REJECTION_MAGIC: ck_frame_rejection = 2;
/// A version other than 3 (`"version"`).
pub const CK_FRAME_REJECTION_VERSION: ck_frame_rejection = 3;
/// The declared header length overruns the frame (`"header_length"`).
pub const CK_FRAME_REJECTION_HEADER_LENGTH: ck_frame_rejection = 4;
/// The header is not a UTF-8 JSON object (`"header_json"`).
pub const CK_FRAME_REJECTION_HEADER_JSON: ck_frame_rejection = 5;
/// The header records no serializer name (`"serializer_name"`; `ck_python_frame_validate` only).
pub const CK_FRAME_REJECTION_SERIALIZER_NAME: ck_frame_rejection = 6;

/// Where the parts of a `CK` frame lie in the bytes given to `ck_python_frame_parse`:
/// `"CK" || 0x03 || u32be(header_len) || JSON header || payload`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ck_python_frame {
    /// Offset of the JSON header (always 7).
    pub header_offset: usize,
    /// Bytes of JSON header (UTF-8, not NUL-terminated).
    pub header_len: usize,
    /// Offset of the payload (the bytes after the header).
    pub payload_offset: usize,
    /// Bytes of payload.
    pub payload_len: usize,
    /// True when the header records a non-empty serializer name (`"s"`).
    pub has_serializer: bool,
}

fn rejection_code(r: FrameRejection) -> ck_frame_rejection {
    match r {
        FrameRejection::PrefixLength => CK_FRAME_REJECTION_PREFIX_LENGTH,
        FrameRejection::Magic => CK_FRAME_REJECTION_MAGIC,
        FrameRejection::Version => CK_FRAME_REJECTION_VERSION,
        FrameRejection::HeaderLength => CK_FRAME_REJECTION_HEADER_LENGTH,
        FrameRejection::HeaderJson => CK_FRAME_REJECTION_HEADER_JSON,
        FrameRejection::SerializerName => CK_FRAME_REJECTION_SERIALIZER_NAME,
    }
}

/// True when `bytes` start with cachekit-py's `CK` magic: such an entry is Python-internal
/// and every entry read refuses it with `CK_PYTHON_FRAME`. False for NULL.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `data` points to `len` readable bytes (or is NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_python_frame_detect(data: *const u8, len: usize) -> bool {
    std::panic::catch_unwind(|| {
        // SAFETY: forwarded contract.
        unsafe { bytes(data, len, "data") }.is_ok_and(python_frame::is_frame)
    })
    .unwrap_or(false)
}

unsafe fn frame_call(
    data: *const u8,
    len: usize,
    out: *mut ck_python_frame,
    out_serializer: *mut ck_buf,
    out_rejection: *mut ck_frame_rejection,
    parse: for<'a> fn(&'a [u8]) -> std::result::Result<Frame<'a>, FrameRejection>,
) -> Result<()> {
    let zero =
        ck_python_frame { header_offset: 0, header_len: 0, payload_offset: 0, payload_len: 0, has_serializer: false };
    // SAFETY: forwarded contract.
    unsafe { write_out(out, zero, "out") }?;
    if !out_serializer.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { *out_serializer = ck_buf::empty() };
    }
    if !out_rejection.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { *out_rejection = CK_FRAME_REJECTION_NONE };
    }
    // SAFETY: forwarded contract.
    let data = unsafe { bytes(data, len, "data") }?;
    match parse(data) {
        Ok(f) => {
            let header_len = f.header_json.len();
            let info = ck_python_frame {
                header_offset: python_frame::PREFIX_LEN,
                header_len,
                payload_offset: python_frame::PREFIX_LEN + header_len,
                payload_len: f.payload.len(),
                has_serializer: f.serializer.is_some(),
            };
            // SAFETY: checked writable above.
            unsafe { out.write(info) };
            if let (false, Some(s)) = (out_serializer.is_null(), f.serializer) {
                // SAFETY: non-NULL and writable per the caller.
                unsafe { *out_serializer = ck_buf::from_vec(s.into_bytes()) };
            }
            Ok(())
        }
        Err(r) => {
            if !out_rejection.is_null() {
                // SAFETY: non-NULL and writable per the caller.
                unsafe { *out_rejection = rejection_code(r) };
            }
            Err(Error::from(r))
        }
    }
}

/// Parses a cachekit-py `CK` frame for display (an inspector's job: cache reads never
/// decode frames, they refuse them). Checks prefix length, magic, version 3, header length
/// and that the header is a UTF-8 JSON object; a missing serializer name is reported in
/// `has_serializer`, not refused.
///
/// On success fills `*out` with offsets into `data` and, when `out_serializer` is not NULL
/// and the header names one, `*out_serializer` with the serializer name (UTF-8). On a
/// malformed frame returns `CK_PYTHON_FRAME_MALFORMED` and, when `out_rejection` is not
/// NULL, sets `*out_rejection` to the failed check (`ck_python_frame_rejection_name` gives
/// the vector vocabulary, e.g. `"header_length"`).
///
/// Result codes: `CK_OK`; `CK_PYTHON_FRAME_MALFORMED`; `CK_INVALID_ARGUMENT` (NULL `out`);
/// `CK_VALUE_TOO_LARGE`.
/// Ownership: `*out` is plain data; free `*out_serializer` with `ck_buf_free` (it is
/// `{NULL, 0}` when there is no name). Thread safety: safe from any thread.
///
/// # Safety
/// `data` points to `len` readable bytes; `out` is NULL or a writable `ck_python_frame`;
/// `out_serializer` and `out_rejection` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_python_frame_parse(
    data: *const u8,
    len: usize,
    out: *mut ck_python_frame,
    out_serializer: *mut ck_buf,
    out_rejection: *mut ck_frame_rejection,
) -> ck_result {
    // SAFETY: forwarded contract.
    guard(|| unsafe { frame_call(data, len, out, out_serializer, out_rejection, python_frame::parse) })
}

/// Like `ck_python_frame_parse`, but also refuses a frame whose header names no serializer
/// (`CK_FRAME_REJECTION_SERIALIZER_NAME`), as cachekit-py's own reader does.
///
/// Result codes, ownership and thread safety: as `ck_python_frame_parse`.
///
/// # Safety
/// As `ck_python_frame_parse`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_python_frame_validate(
    data: *const u8,
    len: usize,
    out: *mut ck_python_frame,
    out_serializer: *mut ck_buf,
    out_rejection: *mut ck_frame_rejection,
) -> ck_result {
    // SAFETY: forwarded contract.
    guard(|| unsafe { frame_call(data, len, out, out_serializer, out_rejection, python_frame::validate) })
}

/// The vector vocabulary name of a frame rejection (`"prefix_length"`, `"magic"`,
/// `"version"`, `"header_length"`, `"header_json"`, `"serializer_name"`), `"none"` for
/// `CK_FRAME_REJECTION_NONE`, `"unknown"` otherwise.
/// Ownership: static; never free it. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_python_frame_rejection_name(rejection: ck_frame_rejection) -> *const c_char {
    let name = match rejection {
        CK_FRAME_REJECTION_NONE => c"none",
        CK_FRAME_REJECTION_PREFIX_LENGTH => c"prefix_length",
        CK_FRAME_REJECTION_MAGIC => c"magic",
        CK_FRAME_REJECTION_VERSION => c"version",
        CK_FRAME_REJECTION_HEADER_LENGTH => c"header_length",
        CK_FRAME_REJECTION_HEADER_JSON => c"header_json",
        CK_FRAME_REJECTION_SERIALIZER_NAME => c"serializer_name",
        _ => c"unknown",
    };
    name.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_OK, CK_PYTHON_FRAME_MALFORMED, ck_buf_free};
    use std::ffi::CStr;

    #[test]
    fn rejection_names_match_the_core() {
        for r in [
            FrameRejection::PrefixLength,
            FrameRejection::Magic,
            FrameRejection::Version,
            FrameRejection::HeaderLength,
            FrameRejection::HeaderJson,
            FrameRejection::SerializerName,
        ] {
            let n = unsafe { CStr::from_ptr(ck_python_frame_rejection_name(rejection_code(r))) };
            assert_eq!(n.to_str().unwrap(), r.name());
        }
    }

    #[test]
    fn frames_parse_and_validate() {
        let f = b"CK\x03\x00\x00\x00\x0b{\"s\":\"std\"}xy";
        let mut info = ck_python_frame {
            header_offset: 9,
            header_len: 9,
            payload_offset: 9,
            payload_len: 9,
            has_serializer: false,
        };
        let (mut name, mut rej) = (ck_buf::empty(), 9);
        unsafe {
            assert_eq!(ck_python_frame_validate(f.as_ptr(), f.len(), &mut info, &mut name, &mut rej), CK_OK);
            assert_eq!((info.header_offset, info.header_len, info.payload_offset, info.payload_len), (7, 11, 18, 2));
            assert_eq!(std::slice::from_raw_parts(name.ptr, name.len), b"std");
            ck_buf_free(&mut name);
            let g = b"CK\x03\x00\x00\x00\x02{}";
            assert_eq!(ck_python_frame_parse(g.as_ptr(), g.len(), &mut info, &mut name, &mut rej), CK_OK);
            assert!(!info.has_serializer && name.ptr.is_null());
            assert_eq!(
                ck_python_frame_validate(g.as_ptr(), g.len(), &mut info, &mut name, &mut rej),
                CK_PYTHON_FRAME_MALFORMED
            );
            assert_eq!(rej, CK_FRAME_REJECTION_SERIALIZER_NAME);
        }
    }
}
