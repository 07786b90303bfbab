//! Shortest-form MessagePack primitives (SPEC §2): the one place markers are written.

use crate::error::{ErrorKind, Result, err};

/// Appends an unsigned integer in its shortest form (fixint, `cc`, `cd`, `ce`, `cf`).
pub fn uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v <= 0xff {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= 0xffff {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= 0xffff_ffff {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Appends a signed integer in its shortest form: non-negative values as unsigned, negative
/// ones as negative fixint or the narrowest of `d0`..`d3`.
pub fn int(out: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        uint(out, v as u64);
    } else if v >= -32 {
        out.push(v as i8 as u8);
    } else if v >= i64::from(i8::MIN) {
        out.extend_from_slice(&[0xd0, v as i8 as u8]);
    } else if v >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(v as i16).to_be_bytes());
    } else if v >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(v as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Appends an integer of the value model, refusing anything outside [−2^63, 2^64−1].
pub fn integer(out: &mut Vec<u8>, v: i128) -> Result<()> {
    if let Ok(u) = u64::try_from(v) {
        uint(out, u);
    } else if let Ok(i) = i64::try_from(v) {
        int(out, i);
    } else {
        return err(ErrorKind::IntegerOutOfRange, format!("integer {v} is outside [-2^63, 2^64-1]"));
    }
    Ok(())
}

/// Appends `nil`.
pub fn nil(out: &mut Vec<u8>) {
    out.push(0xc0);
}

/// Appends `true` or `false`.
pub fn boolean(out: &mut Vec<u8>, v: bool) {
    out.push(if v { 0xc3 } else { 0xc2 });
}

/// Appends a float64 (`cb`), whatever its value.
pub fn float64(out: &mut Vec<u8>, v: f64) {
    out.push(0xcb);
    out.extend_from_slice(&v.to_bits().to_be_bytes());
}

fn len32(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n).or_else(|_| err(ErrorKind::ValueTooLarge, format!("{what} of {n} exceeds MessagePack's 2^32-1")))
}

/// Appends a str header and the UTF-8 bytes (`a0..bf`, `d9`, `da`, `db`).
pub fn str(out: &mut Vec<u8>, s: &str) -> Result<()> {
    let n = len32(s.len(), "string length")?;
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xd9, n as u8]);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// Appends a bin header and the bytes (`c4`, `c5`, `c6`).
pub fn bin(out: &mut Vec<u8>, b: &[u8]) -> Result<()> {
    let n = len32(b.len(), "byte string length")?;
    if n <= 0xff {
        out.extend_from_slice(&[0xc4, n as u8]);
    } else if n <= 0xffff {
        out.push(0xc5);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend_from_slice(b);
    Ok(())
}

/// Appends an array header for `n` elements (`90..9f`, `dc`, `dd`).
pub fn array_len(out: &mut Vec<u8>, n: usize) -> Result<()> {
    collection_len(out, len32(n, "array length")?, 0x90, 0xdc)
}

/// Appends a map header for `n` pairs (`80..8f`, `de`, `df`).
pub fn map_len(out: &mut Vec<u8>, n: usize) -> Result<()> {
    collection_len(out, len32(n, "map length")?, 0x80, 0xde)
}

fn collection_len(out: &mut Vec<u8>, n: u32, fix: u8, m16: u8) -> Result<()> {
    if n < 16 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(m16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(m16 + 1);
        out.extend_from_slice(&n.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        v.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn ints_take_the_shortest_form() {
        assert_eq!(hex(|o| uint(o, 127)), "7f");
        assert_eq!(hex(|o| uint(o, 128)), "cc80");
        assert_eq!(hex(|o| uint(o, 256)), "cd0100");
        assert_eq!(hex(|o| uint(o, 65536)), "ce00010000");
        assert_eq!(hex(|o| uint(o, 1 << 32)), "cf0000000100000000");
        assert_eq!(hex(|o| int(o, -32)), "e0");
        assert_eq!(hex(|o| int(o, -33)), "d0df");
        assert_eq!(hex(|o| int(o, -129)), "d1ff7f");
        assert_eq!(hex(|o| int(o, -32769)), "d2ffff7fff");
        assert_eq!(hex(|o| int(o, i64::MIN)), "d38000000000000000");
        assert_eq!(hex(|o| int(o, 5)), "05");
    }

    #[test]
    fn integers_outside_the_wire_range_are_refused() {
        let mut o = Vec::new();
        assert!(integer(&mut o, u64::MAX as i128).is_ok());
        assert!(integer(&mut o, i64::MIN as i128).is_ok());
        assert_eq!(integer(&mut o, u64::MAX as i128 + 1).unwrap_err().kind(), ErrorKind::IntegerOutOfRange);
        assert_eq!(integer(&mut o, i64::MIN as i128 - 1).unwrap_err().kind(), ErrorKind::IntegerOutOfRange);
    }

    #[test]
    fn headers_switch_width_at_the_boundaries() {
        assert_eq!(hex(|o| str(o, &"a".repeat(31)).unwrap())[..2], *"bf");
        assert_eq!(hex(|o| str(o, &"a".repeat(32)).unwrap())[..4], *"d920");
        assert_eq!(hex(|o| str(o, &"a".repeat(256)).unwrap())[..6], *"da0100");
        assert_eq!(hex(|o| bin(o, &[1]).unwrap()), "c40101");
        assert_eq!(hex(|o| bin(o, &[0; 256]).unwrap())[..6], *"c50100");
        assert_eq!(hex(|o| array_len(o, 15).unwrap()), "9f");
        assert_eq!(hex(|o| array_len(o, 16).unwrap()), "dc0010");
        assert_eq!(hex(|o| map_len(o, 65536).unwrap()), "df00010000");
        assert_eq!(hex(|o| float64(o, -0.0)), "cb8000000000000000");
    }
}
