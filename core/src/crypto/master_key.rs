//! The master key: exactly 32 bytes, given as 64 plain hex digits or as raw bytes.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{ErrorKind, Result, err};

/// A 32-byte master key, zeroized on drop, redacted in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// Parses exactly 64 hex digits (either case). Refuses other lengths, odd lengths,
    /// whitespace, `0x` and `+` prefixes and any non-hex character: plain hex decoding, no
    /// number parsing, so leading `00` or `80` bytes are fine.
    pub fn from_hex(hex: &str) -> Result<MasterKey> {
        let b = hex.as_bytes();
        if b.len() != 64 {
            return err(
                ErrorKind::InvalidMasterKey,
                format!("master key must be exactly 64 hex digits (32 bytes), got {} characters", b.len()),
            );
        }
        let mut key = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(h), Some(l)) => key[i] = h << 4 | l,
                _ => {
                    key.zeroize();
                    return err(ErrorKind::InvalidMasterKey, "master key must contain only hex digits 0-9a-fA-F");
                }
            }
        }
        Ok(MasterKey(key))
    }

    /// Takes exactly 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<MasterKey> {
        let key: [u8; 32] = bytes.try_into().or_else(|_| {
            err(ErrorKind::InvalidMasterKey, format!("raw master key must be exactly 32 bytes, got {}", bytes.len()))
        })?;
        Ok(MasterKey(key))
    }

    /// The key bytes (for derivation only).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &MasterKey) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_hex_of_32_bytes() {
        let k = MasterKey::from_hex("007F80ffa55ac33c1ee12dd24bb469968778f00f01102332455467768998abba").unwrap();
        assert_eq!(k.as_bytes()[0..3], [0x00, 0x7f, 0x80]);
        assert_eq!(format!("{k:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn refuses_everything_else() {
        let good = "007f80ffa55ac33c1ee12dd24bb469968778f00f01102332455467768998abba";
        for bad in [
            &good[..63],
            &format!("{good}0"),
            &format!("0x{}", &good[..62]),
            &format!("+{}", &good[1..]),
            &format!("{} ", &good[..63]),
            &good.replace('a', "g"),
            "",
        ] {
            assert_eq!(MasterKey::from_hex(bad).unwrap_err().kind(), ErrorKind::InvalidMasterKey, "{bad}");
        }
        for n in [16, 24, 31, 33, 0] {
            assert!(MasterKey::from_bytes(&vec![1; n]).is_err());
        }
        assert!(MasterKey::from_bytes(&[1; 32]).is_ok());
    }
}
