//! Entry lifetimes in the L1.
//!
//! An entry inserted at `now` with `ttl_ms` is readable while `now' < now + ttl_ms` and
//! never at or after that instant. cachekit-py keeps its L1 copy for `ttl − 1 s` (SPEC §9) so
//! that the local copy dies before the Redis key it mirrors, even with the whole-second
//! rounding of Redis TTLs; [`python_l1_ttl_ms`] computes that lifetime. Whether to use it is
//! the caller's choice: the L1 stores whatever lifetime it is given.

/// A TTL that never runs out (`now + NO_EXPIRY` saturates to the end of time). SPEC §8:
/// "never expire" is an explicit choice, never a default.
pub const NO_EXPIRY: u64 = u64::MAX;

/// cachekit-py's L1 lifetime for a backend TTL: `ttl − 1000 ms`, or `None` when that leaves
/// nothing (a TTL of one second or less is then not worth keeping in L1).
pub fn python_l1_ttl_ms(backend_ttl_ms: u64) -> Option<u64> {
    backend_ttl_ms.checked_sub(1000).filter(|&t| t > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_second_less_or_nothing() {
        assert_eq!(python_l1_ttl_ms(600_000), Some(599_000));
        assert_eq!(python_l1_ttl_ms(1001), Some(1));
        assert_eq!(python_l1_ttl_ms(1000), None);
        assert_eq!(python_l1_ttl_ms(0), None);
        assert_eq!(python_l1_ttl_ms(NO_EXPIRY), Some(NO_EXPIRY - 1000));
    }
}
