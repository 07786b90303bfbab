//! What a byte costs: the allocator model behind the L1 budget.
//!
//! Every heap block the L1 owns is charged with [`heap_cost`], the size of the chunk a
//! general-purpose `malloc` hands out for it, not the size asked for. The model is glibc's
//! ptmalloc (the system allocator Rust, Node addons and PHP extensions use on Linux) and
//! dlmalloc (Rust's allocator on `wasm32-unknown-unknown`); both round a request `n` up to
//! `max(4 words, n + 1 word rounded to 2 words)`, and glibc serves blocks of 128 KiB and more
//! with `mmap`, whole pages. Allocators with coarser size classes (jemalloc, mimalloc) can
//! waste up to ~20% more on large values; the model does not claim to cover them.

use std::mem::size_of;

const WORD: usize = size_of::<usize>();
/// Per-chunk header of ptmalloc/dlmalloc: one word (the chunk size).
const CHUNK_HEADER: usize = WORD;
/// Chunk alignment: two words.
const CHUNK_ALIGN: usize = 2 * WORD;
/// Smallest chunk: four words.
const MIN_CHUNK: usize = 4 * WORD;
/// glibc's default `M_MMAP_THRESHOLD`: larger blocks are mapped pages.
const MMAP_THRESHOLD: usize = 128 * 1024;
/// Page size of an `mmap`-served block (and of a wasm memory page's allocation granule).
const PAGE: usize = 4096;

/// Bytes the allocator really uses for a request of `n` bytes (0 for `n == 0`: Rust does
/// not allocate zero-sized blocks).
pub(crate) const fn heap_cost(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    if n >= MMAP_THRESHOLD {
        // mmap chunks carry a two-word header and are whole pages.
        return round_up(n.saturating_add(2 * WORD), PAGE);
    }
    let chunk = round_up(n + CHUNK_HEADER, CHUNK_ALIGN);
    if chunk < MIN_CHUNK { MIN_CHUNK } else { chunk }
}

/// Heap cost of a `Vec<T>` (or any array block) of `capacity` elements.
pub(crate) const fn array_cost(capacity: usize, elem: usize) -> usize {
    heap_cost(capacity.saturating_mul(elem))
}

/// Heap cost of an `Arc<[u8]>` holding `len` bytes: the two reference counts precede the data.
pub(crate) const fn arc_bytes_cost(len: usize) -> usize {
    heap_cost(len.saturating_add(2 * WORD))
}

const fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to).saturating_mul(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_free_small_is_min_chunk() {
        assert_eq!(heap_cost(0), 0);
        assert_eq!(heap_cost(1), MIN_CHUNK);
        assert_eq!(heap_cost(MIN_CHUNK - CHUNK_HEADER), MIN_CHUNK);
    }

    #[test]
    fn rounds_to_alignment_with_header() {
        for n in 1..4096 {
            let c = heap_cost(n);
            assert!(c >= n + CHUNK_HEADER, "{n} -> {c}");
            assert_eq!(c % CHUNK_ALIGN, 0);
            assert!(c < n + CHUNK_HEADER + CHUNK_ALIGN || c == MIN_CHUNK);
        }
    }

    #[test]
    fn large_blocks_are_pages() {
        assert_eq!(heap_cost(MMAP_THRESHOLD) % PAGE, 0);
        assert!(heap_cost(MMAP_THRESHOLD) > MMAP_THRESHOLD);
        assert_eq!(arc_bytes_cost(1024), heap_cost(1024 + 2 * WORD));
        assert_eq!(array_cost(0, 8), 0);
    }
}
