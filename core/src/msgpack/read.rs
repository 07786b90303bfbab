//! A bounds-checked MessagePack cursor: one item header at a time, never panics, never
//! allocates. Collection headers report their declared length; the caller walks the
//! children. Run [`super::bounds::scan`] first on untrusted input.

use crate::error::{ErrorKind, Result, err};

/// One MessagePack item header. Scalars carry their payload; collections their length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Token<'a> {
    /// `c0`
    Nil,
    /// `c2` / `c3`
    Bool(bool),
    /// A non-negative integer (positive fixint, `cc`..`cf`, or a non-negative `d0`..`d3`).
    UInt(u64),
    /// A negative integer (negative fixint or `d0`..`d3`).
    NInt(i64),
    /// `ca`
    F32(f32),
    /// `cb`
    F64(f64),
    /// A str payload (UTF-8 not yet validated).
    Str(&'a [u8]),
    /// A bin payload.
    Bin(&'a [u8]),
    /// An array header with its declared element count.
    Array(u32),
    /// A map header with its declared pair count.
    Map(u32),
    /// An ext item: type and payload.
    Ext(i8, &'a [u8]),
}

/// A cursor over a MessagePack buffer.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn truncated<T>() -> Result<T> {
    err(ErrorKind::MalformedMsgpack, "truncated MessagePack item")
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return truncated();
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn len_u8(&mut self) -> Result<u32> {
        Ok(u32::from(self.be::<1>()?[0]))
    }
    fn len_u16(&mut self) -> Result<u32> {
        Ok(u32::from(u16::from_be_bytes(self.be()?)))
    }
    fn len_u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.be()?))
    }

    /// Reads the next item header without consuming a str, bin or ext payload.
    pub fn next_head(&mut self) -> Result<Head> {
        let m = self.be::<1>()?[0];
        Ok(match m {
            0x00..=0x7f => Head::UInt(u64::from(m)),
            0x80..=0x8f => Head::Map(u32::from(m & 0x0f)),
            0x90..=0x9f => Head::Array(u32::from(m & 0x0f)),
            0xa0..=0xbf => Head::Str(u32::from(m & 0x1f)),
            0xc0 => Head::Nil,
            0xc1 => return err(ErrorKind::MalformedMsgpack, "reserved marker 0xc1"),
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4 => Head::Bin(self.len_u8()?),
            0xc5 => Head::Bin(self.len_u16()?),
            0xc6 => Head::Bin(self.len_u32()?),
            0xc7 => {
                let n = self.len_u8()?;
                Head::Ext(self.be::<1>()?[0] as i8, n)
            }
            0xc8 => {
                let n = self.len_u16()?;
                Head::Ext(self.be::<1>()?[0] as i8, n)
            }
            0xc9 => {
                let n = self.len_u32()?;
                Head::Ext(self.be::<1>()?[0] as i8, n)
            }
            0xca => Head::F32(f32::from_bits(u32::from_be_bytes(self.be()?))),
            0xcb => Head::F64(f64::from_bits(u64::from_be_bytes(self.be()?))),
            0xcc => Head::UInt(u64::from(self.be::<1>()?[0])),
            0xcd => Head::UInt(u64::from(u16::from_be_bytes(self.be()?))),
            0xce => Head::UInt(u64::from(u32::from_be_bytes(self.be()?))),
            0xcf => Head::UInt(u64::from_be_bytes(self.be()?)),
            0xd0 => signed(i64::from(i8::from_be_bytes(self.be()?))),
            0xd1 => signed(i64::from(i16::from_be_bytes(self.be()?))),
            0xd2 => signed(i64::from(i32::from_be_bytes(self.be()?))),
            0xd3 => signed(i64::from_be_bytes(self.be()?)),
            0xd4..=0xd8 => Head::Ext(self.be::<1>()?[0] as i8, 1 << (m - 0xd4)),
            0xd9 => Head::Str(self.len_u8()?),
            0xda => Head::Str(self.len_u16()?),
            0xdb => Head::Str(self.len_u32()?),
            0xdc => Head::Array(self.len_u16()?),
            0xdd => Head::Array(self.len_u32()?),
            0xde => Head::Map(self.len_u16()?),
            0xdf => Head::Map(self.len_u32()?),
            0xe0..=0xff => Head::NInt(i64::from(m as i8)),
        })
    }

    /// Consumes `n` payload bytes (after a str, bin or ext head).
    pub fn payload(&mut self, n: u32) -> Result<&'a [u8]> {
        self.take(n as usize)
    }

    /// Reads the next item: its header and, for str, bin and ext, its payload.
    pub fn next_token(&mut self) -> Result<Token<'a>> {
        Ok(match self.next_head()? {
            Head::Nil => Token::Nil,
            Head::Bool(b) => Token::Bool(b),
            Head::UInt(v) => Token::UInt(v),
            Head::NInt(v) => Token::NInt(v),
            Head::F32(v) => Token::F32(v),
            Head::F64(v) => Token::F64(v),
            Head::Str(n) => Token::Str(self.payload(n)?),
            Head::Bin(n) => Token::Bin(self.payload(n)?),
            Head::Ext(t, n) => Token::Ext(t, self.payload(n)?),
            Head::Array(n) => Token::Array(n),
            Head::Map(n) => Token::Map(n),
        })
    }
}

/// An item header: like [`Token`], but str, bin and ext carry their declared length only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Head {
    /// `c0`
    Nil,
    /// `c2` / `c3`
    Bool(bool),
    /// A non-negative integer.
    UInt(u64),
    /// A negative integer.
    NInt(i64),
    /// `ca`
    F32(f32),
    /// `cb`
    F64(f64),
    /// A str of this many bytes follows.
    Str(u32),
    /// A bin of this many bytes follows.
    Bin(u32),
    /// An ext of this type and length follows.
    Ext(i8, u32),
    /// An array of this many elements.
    Array(u32),
    /// A map of this many pairs.
    Map(u32),
}

fn signed(v: i64) -> Head {
    if v >= 0 { Head::UInt(v as u64) } else { Head::NInt(v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_family() {
        let bytes = [
            0x05, 0xe0, 0xcc, 0x80, 0xd0, 0x05, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc3, 0xa1,
            b'a', 0xc4, 0x01, 0xff, 0x92, 0x81, 0xd4, 0x01, 0x2a, 0xca, 0x3f, 0xc0, 0x00, 0x00,
        ];
        let mut r = Reader::new(&bytes);
        let want = [
            Token::UInt(5),
            Token::NInt(-32),
            Token::UInt(128),
            Token::UInt(5),
            Token::NInt(-1),
            Token::Nil,
            Token::Bool(true),
            Token::Str(b"a"),
            Token::Bin(&[0xff]),
            Token::Array(2),
            Token::Map(1),
            Token::Ext(1, &[0x2a]),
            Token::F32(1.5),
        ];
        for w in want {
            assert_eq!(r.next_token().unwrap(), w);
        }
        assert_eq!(r.remaining(), 0);
        assert_eq!(r.next_token().unwrap_err().kind(), ErrorKind::MalformedMsgpack);
    }

    #[test]
    fn truncation_and_reserved_marker_are_errors() {
        for b in [&[0xcd, 0x01][..], &[0xc6, 0, 0, 0, 9, 1], &[0xdb, 0xff], &[0xc1], &[0xd8, 1]] {
            assert_eq!(Reader::new(b).next_token().unwrap_err().kind(), ErrorKind::MalformedMsgpack);
        }
    }
}
