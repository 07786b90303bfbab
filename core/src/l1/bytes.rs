//! [`EntryBytes`]: what a hit hands out.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// The stored bytes of an L1 entry, shared with the cache.
///
/// The L1 keeps each entry's key and value in one reference-counted block (one allocation
/// per entry, and a hit touches the key it compares and the count it bumps on the same
/// cache lines). This handle points at the value part. Cloning it, or getting it from a
/// hit, is one atomic increment and never copies; it keeps the bytes alive after the entry
/// is evicted, so a binding can copy them into its own buffer (or expose them) outside any
/// lock.
#[derive(Clone)]
pub struct EntryBytes {
    block: Arc<[u8]>,
    start: usize,
}

impl EntryBytes {
    /// Wraps `block`, whose value part starts at `start`.
    pub(crate) fn new(block: Arc<[u8]>, start: usize) -> EntryBytes {
        debug_assert!(start <= block.len());
        EntryBytes { block, start }
    }

    /// True when both handles point at the same entry (the same block the L1 allocated), not
    /// merely equal bytes: a replaced entry, even with identical bytes, is a different entry.
    /// While a handle is held its block cannot be freed, so an address is never reused under it.
    #[inline]
    pub fn same_entry(&self, other: &EntryBytes) -> bool {
        Arc::ptr_eq(&self.block, &other.block) && self.start == other.start
    }

    /// The value bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.block[self.start..]
    }
}

impl Deref for EntryBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for EntryBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for EntryBytes {
    fn eq(&self, other: &EntryBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for EntryBytes {}

impl PartialEq<[u8]> for EntryBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl fmt::Debug for EntryBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryBytes({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_the_value_part_and_shares_the_block() {
        let block: Arc<[u8]> = Arc::from(&b"keyvalue"[..]);
        let b = EntryBytes::new(Arc::clone(&block), 3);
        assert_eq!(&*b, b"value");
        assert_eq!(b.as_ref(), b"value");
        assert_eq!(b, *b"value".as_slice());
        let c = b.clone();
        assert_eq!(Arc::strong_count(&block), 3);
        assert_eq!(b, c);
        assert_eq!(format!("{c:?}"), "EntryBytes(5 bytes)");
        assert!(b.same_entry(&c));
        let equal_bytes = EntryBytes::new(Arc::from(&b"keyvalue"[..]), 3);
        assert_eq!(b, equal_bytes);
        assert!(!b.same_entry(&equal_bytes));
    }
}
