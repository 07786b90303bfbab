//! The ByteStorage envelope: integrity and compression around default-mode payloads (SPEC §3).
//!
//! Wire form: a 4-element MessagePack array
//! `[compressed_data (bin; legacy: array of uints), checksum (array of 8 uints),
//!   original_size (uint), format (str)]`, with LZ4 *block* compression (no frame, no size
//! prefix) and xxh3-64 of the original bytes, big-endian.
//!
//! The block is the one `lz4_flex::block::compress` writes on 64-bit little-endian targets,
//! on every target: there it is lz4_flex's own (faster than [`crate::lz4`] on native, see
//! `docs/benchmarks.md`); elsewhere (wasm32, other 32-bit or big-endian targets, where
//! lz4_flex writes different blocks) it is [`crate::lz4::compress`], which reproduces it.
//! Reading uses lz4_flex's decoder everywhere.
//!
//! Reading validates in the spec's order, each failure typed, and allocates the output
//! only after every size check has passed, so a hostile envelope cannot make it allocate
//! more than 1000× its own length (and never more than 512 MiB).

use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, ErrorKind, Result, err};
use crate::msgpack::bounds::scan;
use crate::msgpack::read::{Reader, Token};
use crate::msgpack::write;

/// Largest envelope, compressed payload and original payload accepted: 512 MiB.
pub const MAX_SIZE: u64 = 512 * 1024 * 1024;
/// Largest accepted `original_size / compressed_len`.
pub const MAX_RATIO: u64 = 1000;
/// The format tag this core writes.
pub const FORMAT_MSGPACK: &str = "msgpack";

/// How `compressed_data` was encoded on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataEncoding {
    /// msgpack bin (canonical writers, protocol ≥ 1.1).
    Bin,
    /// An array of uints 0..=255 (legacy writers).
    IntArray,
}

/// The fields of a parsed (not yet decompressed) envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// LZ4 block bytes.
    pub compressed: Vec<u8>,
    /// xxh3-64 of the original bytes.
    pub checksum: u64,
    /// Declared size of the original bytes, as on the wire.
    pub original_size: u64,
    /// The format tag (`"msgpack"` for every writer of this protocol).
    pub format: String,
    /// How `compressed` was encoded.
    pub encoding: DataEncoding,
}

/// xxh3-64 of `data`, as the envelope stores it.
pub fn checksum(data: &[u8]) -> u64 {
    xxh3_64(data)
}

/// Wraps `data` (StandardSerializer bytes) in a canonical envelope.
pub fn store(data: &[u8]) -> Result<Vec<u8>> {
    if data.len() as u64 > MAX_SIZE {
        return err(ErrorKind::ValueTooLarge, format!("payload of {} bytes exceeds 512 MiB", data.len()));
    }
    let compressed = compress_block(data);
    let mut out = Vec::with_capacity(compressed.len() + 40);
    write::array_len(&mut out, 4)?;
    write::bin(&mut out, &compressed)?;
    write::array_len(&mut out, 8)?;
    for b in checksum(data).to_be_bytes() {
        write::uint(&mut out, u64::from(b));
    }
    write::uint(&mut out, data.len() as u64);
    write::str(&mut out, FORMAT_MSGPACK)?;
    Ok(out)
}

/// The LZ4 block of `data`, as lz4_flex writes it on 64-bit little-endian targets.
#[cfg(all(target_pointer_width = "64", target_endian = "little"))]
fn compress_block(data: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress(data)
}

/// The LZ4 block of `data`, as lz4_flex writes it on 64-bit little-endian targets.
#[cfg(not(all(target_pointer_width = "64", target_endian = "little")))]
fn compress_block(data: &[u8]) -> Vec<u8> {
    crate::lz4::compress(data)
}

fn structure<T>(why: &str) -> Result<T> {
    err(ErrorKind::EnvelopeStructure, format!("envelope {why}"))
}

fn byte(t: Token<'_>) -> Result<u8> {
    match t {
        Token::UInt(v) if v <= 255 => Ok(v as u8),
        _ => structure("byte element is not an integer 0..=255"),
    }
}

/// The envelope's fields borrowed from the input (the compressed bytes are copied only for
/// the legacy array-of-ints encoding).
struct View<'a> {
    compressed: std::borrow::Cow<'a, [u8]>,
    checksum: u64,
    original_size: u64,
    format: &'a str,
    encoding: DataEncoding,
}

fn view(bytes: &[u8]) -> Result<View<'_>> {
    if bytes.len() as u64 > MAX_SIZE {
        return err(ErrorKind::EnvelopeSizeLimit, "envelope exceeds 512 MiB");
    }
    let end = scan(bytes)?;
    if end != bytes.len() {
        return err(ErrorKind::TrailingBytes, format!("{} bytes after the envelope", bytes.len() - end));
    }
    let mut r = Reader::new(bytes);
    if r.next_token()? != Token::Array(4) {
        return structure("is not an array of exactly 4 elements");
    }
    let (compressed, encoding) = match r.next_token()? {
        Token::Bin(b) => (std::borrow::Cow::Borrowed(b), DataEncoding::Bin),
        Token::Array(n) => {
            let mut v = Vec::with_capacity(n as usize);
            for _ in 0..n {
                v.push(byte(r.next_token()?)?);
            }
            (std::borrow::Cow::Owned(v), DataEncoding::IntArray)
        }
        _ => return structure("compressed_data is neither bin nor an array of bytes"),
    };
    if r.next_token()? != Token::Array(8) {
        return structure("checksum is not an array of exactly 8 bytes");
    }
    let mut sum = [0u8; 8];
    for s in &mut sum {
        *s = byte(r.next_token()?)?;
    }
    let Token::UInt(original_size) = r.next_token()? else {
        return structure("original_size is not an unsigned integer");
    };
    let Token::Str(format) = r.next_token()? else {
        return structure("format is not a string");
    };
    let format = std::str::from_utf8(format)
        .map_err(|_| Error::new(ErrorKind::EnvelopeStructure, "envelope format is not UTF-8"))?;
    Ok(View { compressed, checksum: u64::from_be_bytes(sum), original_size, format, encoding })
}

/// Parses the envelope's structure (steps 1–2 of SPEC §3) without decompressing.
pub fn parse(bytes: &[u8]) -> Result<Envelope> {
    let v = view(bytes)?;
    Ok(Envelope {
        compressed: v.compressed.into_owned(),
        checksum: v.checksum,
        original_size: v.original_size,
        format: v.format.to_owned(),
        encoding: v.encoding,
    })
}

impl Envelope {
    /// Checks the limits and decompresses (steps 3–8 of SPEC §3).
    pub fn open(&self) -> Result<Vec<u8>> {
        open(&self.compressed, self.original_size, self.checksum)
    }
}

fn open(compressed: &[u8], original_size: u64, sum: u64) -> Result<Vec<u8>> {
    let clen = compressed.len() as u64;
    if clen > MAX_SIZE {
        return err(ErrorKind::EnvelopeSizeLimit, "compressed data exceeds 512 MiB");
    }
    if original_size > MAX_SIZE {
        return err(ErrorKind::EnvelopeSizeLimit, format!("original_size {original_size} exceeds 512 MiB"));
    }
    if clen == 0 {
        return err(ErrorKind::DecompressionBomb, "compressed data is empty");
    }
    if original_size > MAX_RATIO * clen {
        return err(
            ErrorKind::DecompressionBomb,
            format!("original_size {original_size} exceeds {MAX_RATIO} x {clen} compressed bytes"),
        );
    }
    let mut out = vec![0u8; original_size as usize];
    let n = lz4_flex::block::decompress_into(compressed, &mut out)
        .map_err(|e| Error::new(ErrorKind::DecompressionFailed, format!("LZ4 block is corrupt: {e}")))?;
    if n as u64 != original_size {
        return err(
            ErrorKind::DecompressionFailed,
            format!("decompressed {n} bytes, original_size says {original_size}"),
        );
    }
    if checksum(&out) != sum {
        return err(ErrorKind::ChecksumMismatch, "xxh3-64 of the decompressed bytes does not match");
    }
    Ok(out)
}

/// Parses, checks and decompresses an envelope, returning the original bytes.
pub fn retrieve(bytes: &[u8]) -> Result<Vec<u8>> {
    let v = view(bytes)?;
    open(&v.compressed, v.original_size, v.checksum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn spec_example_round_trips() {
        let env = h("94c4054081a16101 98cc84cc8c4fcc99cce3584cccc804 a76d73677061636b".replace(' ', "").as_str());
        assert_eq!(store(&h("81a16101")).unwrap(), env);
        assert_eq!(retrieve(&env).unwrap(), h("81a16101"));
        assert_eq!(checksum(b""), 0x2d06800538d394c2);
        assert_eq!(store(b"").unwrap(), h("94c40100982d06cc800538ccd3cc94ccc200a76d73677061636b"));
    }

    #[test]
    fn legacy_int_array_is_read() {
        let env = h("949210ccff98ccd6ccbcccec3c6b29ccd72e01a76d73677061636b");
        let e = parse(&env).unwrap();
        assert_eq!(e.encoding, DataEncoding::IntArray);
        assert_eq!(e.open().unwrap(), vec![0xff]);
    }

    #[test]
    fn each_step_fails_with_its_own_kind() {
        let good = store(b"hello, cachekit!").unwrap();
        let mut bad_sum = good.clone();
        let i = bad_sum.len() - 12;
        bad_sum[i] ^= 1;
        assert!(matches!(
            retrieve(&bad_sum).unwrap_err().kind(),
            ErrorKind::ChecksumMismatch | ErrorKind::EnvelopeStructure
        ));
        assert_eq!(retrieve(&good[..good.len() - 1]).unwrap_err().kind(), ErrorKind::DecodeBounds);
        assert_eq!(retrieve(&h("93c0c0c0")).unwrap_err().kind(), ErrorKind::EnvelopeStructure);
        assert_eq!(
            retrieve(&h("94c400982d06cc800538ccd3cc94ccc200a76d73677061636b")).unwrap_err().kind(),
            ErrorKind::DecompressionBomb
        );
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(retrieve(&trailing).unwrap_err().kind(), ErrorKind::TrailingBytes);
    }
}
