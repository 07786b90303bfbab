//! cachekit-py's `CK` frame (SPEC §7): Python-internal, detected and refused by cache reads,
//! parsed only for display by inspectors.
//!
//! Layout: `"CK" || 0x03 || u32be(header_len) || JSON header {"s", "m", "v"} || payload`.

use crate::error::{Error, ErrorKind, Result};

/// The frame's magic bytes.
pub const MAGIC: &[u8; 2] = b"CK";
/// The only defined frame version.
pub const VERSION: u8 = 3;
/// Magic + version + header length.
pub const PREFIX_LEN: usize = 7;

/// True when `bytes` start with the `CK` magic.
pub fn is_frame(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The error a cache read reports for a `CK` frame.
pub fn frame_error() -> Error {
    Error::new(
        ErrorKind::PythonFrame,
        "entry is a cachekit-py CK frame (Python default mode), not readable by other SDKs: share it through interop mode",
    )
}

/// Fails with [`ErrorKind::PythonFrame`] when `bytes` start with the `CK` magic.
pub fn refuse_frame(bytes: &[u8]) -> Result<()> {
    if is_frame(bytes) { Err(frame_error()) } else { Ok(()) }
}

/// Why an inspector could not parse a frame (names match the vectors' `rejected_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameRejection {
    /// Shorter than the 7-byte prefix.
    PrefixLength,
    /// Does not start with `CK`.
    Magic,
    /// Version other than 3.
    Version,
    /// Declared header length overruns the frame.
    HeaderLength,
    /// The header is not a UTF-8 JSON object.
    HeaderJson,
    /// The header records no serializer name (`s` missing or empty): cachekit-py's reader
    /// treats such a frame as a mismatch (a miss); an inspector can still display it.
    SerializerName,
}

impl FrameRejection {
    /// The vector vocabulary for this rejection, e.g. `"header_length"`.
    pub fn name(self) -> &'static str {
        match self {
            FrameRejection::PrefixLength => "prefix_length",
            FrameRejection::Magic => "magic",
            FrameRejection::Version => "version",
            FrameRejection::HeaderLength => "header_length",
            FrameRejection::HeaderJson => "header_json",
            FrameRejection::SerializerName => "serializer_name",
        }
    }
}

impl From<FrameRejection> for Error {
    fn from(r: FrameRejection) -> Error {
        Error::new(ErrorKind::PythonFrameMalformed, format!("CK frame rejected: {}", r.name()))
    }
}

/// A parsed frame, borrowed from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The header's JSON text.
    pub header_json: &'a str,
    /// The serializer name recorded in the header (`s`), if any.
    pub serializer: Option<String>,
    /// The bytes after the header (for default writes, a ByteStorage envelope or ciphertext).
    pub payload: &'a [u8],
}

/// Parses a frame's structure for display (prefix, magic, version, header length, header
/// JSON). Never used to read a cache value.
pub fn parse(bytes: &[u8]) -> std::result::Result<Frame<'_>, FrameRejection> {
    if bytes.len() < PREFIX_LEN {
        return Err(FrameRejection::PrefixLength);
    }
    if !is_frame(bytes) {
        return Err(FrameRejection::Magic);
    }
    if bytes[2] != VERSION {
        return Err(FrameRejection::Version);
    }
    let hlen = u32::from_be_bytes([bytes[3], bytes[4], bytes[5], bytes[6]]) as usize;
    let rest = &bytes[PREFIX_LEN..];
    if hlen > rest.len() {
        return Err(FrameRejection::HeaderLength);
    }
    let header_json = std::str::from_utf8(&rest[..hlen]).map_err(|_| FrameRejection::HeaderJson)?;
    let serializer = match serializer_name(header_json) {
        Ok(name) => Some(name),
        Err(FrameRejection::SerializerName) => None,
        Err(other) => return Err(other),
    };
    Ok(Frame { header_json, serializer, payload: &rest[hlen..] })
}

/// Parses a frame as cachekit-py's reader would accept it: [`parse`] plus a recorded
/// serializer name.
pub fn validate(bytes: &[u8]) -> std::result::Result<Frame<'_>, FrameRejection> {
    let frame = parse(bytes)?;
    if frame.serializer.is_none() {
        return Err(FrameRejection::SerializerName);
    }
    Ok(frame)
}

/// Finds the top-level `"s"` string of the header: a small scanner over the JSON object the
/// Python SDK writes (keys and string values without exotic escapes), enough to tell a
/// frame that records a serializer from one that does not. Full header display is the
/// inspector's job (it has a JSON parser); the core stays dependency-free here.
fn serializer_name(json: &str) -> std::result::Result<String, FrameRejection> {
    let body = json.trim();
    if !body.starts_with('{') || !body.ends_with('}') {
        return Err(FrameRejection::HeaderJson);
    }
    let (mut depth, mut i) = (0usize, 0usize);
    let b = body.as_bytes();
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let (s, next) = json_string(body, i)?;
                i = next;
                if depth == 1 && s == "s" {
                    let after = body[i..].trim_start();
                    let Some(v) = after.strip_prefix(':') else { return Err(FrameRejection::HeaderJson) };
                    let v = v.trim_start();
                    if !v.starts_with('"') {
                        return Err(FrameRejection::SerializerName);
                    }
                    let (name, _) = json_string(v, 0)?;
                    return if name.is_empty() { Err(FrameRejection::SerializerName) } else { Ok(name) };
                }
                // Skip a string value so its content is never taken for a key.
                let after = body[i..].trim_start();
                if let Some(v) = after.strip_prefix(':') {
                    let v2 = v.trim_start();
                    if v2.starts_with('"') {
                        let offset = body.len() - v2.len();
                        let (_, next) = json_string(body, offset)?;
                        i = next;
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Err(FrameRejection::SerializerName)
}

/// Reads the JSON string starting at `s[at] == '"'`; returns its text and the index after it.
/// Escapes as RFC 8259 has them (`\uXXXX` surrogate pairs joined, a lone surrogate read as
/// U+FFFD); anything else is `HeaderJson`.
fn json_string(s: &str, at: usize) -> std::result::Result<(String, usize), FrameRejection> {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = at + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok((out, i + 1)),
            b'\\' => {
                let esc = *b.get(i + 1).ok_or(FrameRejection::HeaderJson)?;
                i += 2;
                out.push(match esc {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => {
                        let hi = hex4(s, i)?;
                        i += 4;
                        if (0xD800..0xDC00).contains(&hi) && s.get(i..i + 2) == Some("\\u") {
                            let lo = hex4(s, i + 2)?;
                            if (0xDC00..0xE000).contains(&lo) {
                                i += 6;
                                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                continue;
                            }
                        }
                        char::from_u32(hi).unwrap_or('\u{fffd}')
                    }
                    _ => return Err(FrameRejection::HeaderJson),
                });
            }
            c if c < 0x20 => return Err(FrameRejection::HeaderJson),
            _ => {
                // `i` is always on a character boundary: every step above is ASCII.
                let c = s[i..].chars().next().ok_or(FrameRejection::HeaderJson)?;
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    Err(FrameRejection::HeaderJson)
}

/// Four hex digits at `s[at..]` (ASCII only: no sign, unlike `from_str_radix`).
fn hex4(s: &str, at: usize) -> std::result::Result<u32, FrameRejection> {
    let hex =
        s.get(at..at + 4).filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit())).ok_or(FrameRejection::HeaderJson)?;
    u32::from_str_radix(hex, 16).map_err(|_| FrameRejection::HeaderJson)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(version: u8, header: &str, payload: &[u8]) -> Vec<u8> {
        let mut v = b"CK".to_vec();
        v.push(version);
        v.extend_from_slice(&(header.len() as u32).to_be_bytes());
        v.extend_from_slice(header.as_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn parses_a_python_frame() {
        let f = frame(3, r#"{"s": "default", "m": {"format": "msgpack", "s": "nested"}, "v": "2.0"}"#, b"hello");
        let p = parse(&f).unwrap();
        assert_eq!(p.serializer.as_deref(), Some("default"));
        assert_eq!(p.payload, b"hello");
        assert!(refuse_frame(&f).is_err_and(|e| e.kind() == ErrorKind::PythonFrame));
    }

    #[test]
    fn rejections_name_their_step() {
        assert_eq!(parse(b"CK\x03"), Err(FrameRejection::PrefixLength));
        assert_eq!(parse(b"\x94\xc4\x00\x00\x00\x00\x00"), Err(FrameRejection::Magic));
        assert_eq!(parse(&frame(4, "{}", b"")), Err(FrameRejection::Version));
        let mut over = frame(3, r#"{"s": "x"}"#, b"");
        over[6] += 1;
        assert_eq!(parse(&over), Err(FrameRejection::HeaderLength));
        assert_eq!(validate(&frame(3, r#"{"m": {"s": "x"}, "v": "2.0"}"#, b"")), Err(FrameRejection::SerializerName));
        assert_eq!(validate(&frame(3, r#"{"s": "", "v": "2.0"}"#, b"")), Err(FrameRejection::SerializerName));
        assert_eq!(validate(&frame(3, r#"{"v": "s", "m": 1}"#, b"")), Err(FrameRejection::SerializerName));
        assert_eq!(parse(&frame(3, r#"{"v": "s", "m": 1}"#, b"")).unwrap().serializer, None);
        assert_eq!(parse(&frame(3, "nope", b"")), Err(FrameRejection::HeaderJson));
    }

    #[test]
    fn header_strings_are_read_as_json_has_them() {
        let name = |json: &str| parse(&frame(3, json, b"")).map(|f| f.serializer);
        assert_eq!(name(r#"{"s":"a\fb\b\/\"\\"}"#), Ok(Some("a\u{c}b\u{8}/\"\\".to_owned())));
        assert_eq!(name(r#"{"s":"\ud83d\ude00"}"#), Ok(Some("😀".to_owned())));
        assert_eq!(name(r#"{"s":"\ud83d"}"#), Ok(Some("\u{fffd}".to_owned())), "a lone surrogate");
        // Found by fuzzing: a backslash before a multi-byte character panicked; `+041` passed
        // `from_str_radix` as hex.
        assert_eq!(name("{\"\\é\"}"), Err(FrameRejection::HeaderJson));
        assert_eq!(name(r#"{"s":"\u+041"}"#), Err(FrameRejection::HeaderJson));
        assert_eq!(name("{\"s\":\"a\u{1}\"}"), Err(FrameRejection::HeaderJson), "raw control characters");
    }
}
