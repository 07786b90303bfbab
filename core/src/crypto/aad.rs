//! Additional authenticated data, version 0x03 (SPEC §6): binds a ciphertext to its tenant,
//! its full cache key and what the plaintext container is.
//!
//! `0x03 || for each component: u32be(len) || utf8`, components
//! `[tenant, cache_key, format, "True"|"False"]` plus, for cachekit-py writes only, a fifth
//! `original_type`.

/// The inputs of an AAD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aad<'a> {
    /// The tenant id (`default` in single-tenant mode).
    pub tenant: &'a str,
    /// The full key as stored in Redis, every client-side prefix included.
    pub cache_key: &'a str,
    /// The format token, `msgpack` for everything this core writes.
    pub format: &'a str,
    /// True when the plaintext is a ByteStorage envelope.
    pub compressed: bool,
    /// cachekit-py's fifth component; `None` for every other writer and interop mode.
    pub original_type: Option<&'a str>,
}

impl Aad<'_> {
    /// The AAD bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let flag = if self.compressed { "True" } else { "False" };
        let mut parts = vec![self.tenant, self.cache_key, self.format, flag];
        parts.extend(self.original_type);
        let mut out = Vec::with_capacity(1 + parts.iter().map(|p| 4 + p.len()).sum::<usize>());
        out.push(0x03);
        for p in parts {
            out.extend_from_slice(&(p.len() as u32).to_be_bytes());
            out.extend_from_slice(p.as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::to_hex;

    #[test]
    fn four_part_vector() {
        let a = Aad {
            tenant: "cross-sdk-test",
            cache_key: "test:vector:1",
            format: "msgpack",
            compressed: false,
            original_type: None,
        };
        assert_eq!(
            to_hex(&a.to_bytes()),
            "030000000e63726f73732d73646b2d746573740000000d746573743a766563746f723a31000000076d73677061636b0000000546616c7365"
        );
    }

    #[test]
    fn five_part_adds_original_type() {
        let a = Aad { tenant: "t", cache_key: "k", format: "msgpack", compressed: true, original_type: Some("numpy") };
        assert!(to_hex(&a.to_bytes()).ends_with("0000000454727565000000056e756d7079"));
    }
}
