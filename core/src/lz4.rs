//! LZ4 *block* compressor whose output is the same on every target.
//!
//! The ByteStorage envelope must be byte-identical across implementations (SPEC §3), and the
//! reference writers use `lz4_flex::block::compress` on 64-bit little-endian machines. lz4_flex
//! picks its hash input and match-compare width by `target_pointer_width` (and its hash prime
//! by endianness), so on wasm32 it writes different, valid blocks. [`compress`] reproduces the
//! 64-bit little-endian output of lz4_flex 0.13 exactly, with fixed-width integers only.
//!
//! Where it is used: [`crate::envelope::store`] calls lz4_flex itself on 64-bit little-endian
//! targets, where lz4_flex's compressor (unsafe code inside lz4_flex) is faster: this safe one
//! runs at 0.81–0.93× its speed on MessagePack-like data (`core/benches/lz4.rs`,
//! `docs/benchmarks.md`). Every other target (wasm32 above all) uses this module.
//! Decompression is lz4_flex's on every target.
//!
//! The algorithm, a greedy single-pass LZ4 compressor:
//! - inputs shorter than 13 bytes are one literal run;
//! - inputs shorter than 65,535 bytes use a 4,096-slot table of 16-bit positions keyed by a
//!   multiplicative hash of the 4 bytes at the cursor; larger inputs use 4,096 slots of 32-bit
//!   positions keyed by a hash of the low 5 of the 8 bytes at the cursor;
//! - a slot's previous position is a match if it is at most 65,535 bytes back and its first 4
//!   bytes are equal; the search step grows by one every 32 misses in a row;
//! - a match is extended backwards over pending literals, then forwards up to 6 bytes before the
//!   end; no match starts within the last 12 bytes, so the block always ends in literals;
//! - after each match, the position 2 bytes before its end is entered into the table.
//!
//! The code is safe Rust and does not panic: input reads go through checked accessors whose
//! failure paths are unreachable, and output is appended to a `Vec`.

/// Shortest match LZ4 can encode.
const MIN_MATCH: usize = 4;
/// No match may start within this many bytes of the end (LZ4 block format's MFLIMIT).
const MATCH_START_LIMIT: usize = 12;
/// Forward match extension stops this many bytes before the end (LZ4 needs 5 trailing
/// literals; lz4_flex keeps one more).
const MATCH_END_GUARD: usize = 6;
/// Largest back-reference distance an LZ4 offset can hold.
const MAX_OFFSET: usize = 0xFFFF;
/// Inputs shorter than this use [`SmallTable`].
const SMALL_INPUT: usize = 0xFFFF;
/// The search step is `misses >> SKIP_SHIFT`, with `misses` starting at `1 << SKIP_SHIFT`.
const SKIP_SHIFT: u32 = 5;
/// Slots in either hash table.
const SLOTS: usize = 4096;
/// Literal runs this short are copied as a fixed-size chunk (see [`Output::put_sequence`]).
const SHORT_RUN: usize = 16;

/// Compresses `input` into one LZ4 block (no frame, no size prefix).
///
/// The bytes equal `lz4_flex::block::compress(input)` (lz4_flex 0.13) as computed on a 64-bit
/// little-endian target, whatever target this runs on. The vector keeps the capacity of the
/// worst case (a little over the input length); it is not shrunk to fit.
pub fn compress(input: &[u8]) -> Vec<u8> {
    if input.len() <= MATCH_START_LIMIT {
        let mut out = Output::new(input.len());
        out.put_last(input);
        out.finish()
    } else if input.len() < SMALL_INPUT {
        compress_with(input, &mut SmallTable([0; SLOTS]))
    } else {
        compress_with(input, &mut LargeTable([0; SLOTS]))
    }
}

/// A hash table from a hash of the bytes at a position to the last position seen with it.
trait Table {
    /// The integer the hash is computed from, read at a position.
    type Word: Copy;
    /// Bytes a `load` reads.
    const WIDTH: usize;
    /// Reads the hash input at `pos`, if `input` holds all of it.
    fn load(input: &[u8], pos: usize) -> Option<Self::Word>;
    /// The low 4 bytes of a loaded word (the bytes a match must share).
    fn low32(word: Self::Word) -> u32;
    /// The slot of a loaded word, `< SLOTS`.
    fn slot(word: Self::Word) -> usize;
    /// The position stored in `slot`.
    fn get(&self, slot: usize) -> usize;
    /// Stores `pos` in `slot`.
    fn set(&mut self, slot: usize, pos: usize);
}

/// 16-bit positions, 4-byte multiplicative hash: for inputs shorter than 65,535 bytes.
struct SmallTable([u16; SLOTS]);

impl Table for SmallTable {
    type Word = u32;
    const WIDTH: usize = 4;
    #[inline(always)]
    fn load(input: &[u8], pos: usize) -> Option<u32> {
        input.get(pos..)?.first_chunk().map(|b| u32::from_le_bytes(*b))
    }
    #[inline(always)]
    fn low32(word: u32) -> u32 {
        word
    }
    #[inline(always)]
    fn slot(word: u32) -> usize {
        // Knuth's 2654435761; lz4_flex keeps the top 16 bits, then drops 4 to fit 4,096 slots.
        (word.wrapping_mul(2_654_435_761) >> 20) as usize
    }
    #[inline(always)]
    fn get(&self, slot: usize) -> usize {
        usize::from(self.0[slot & (SLOTS - 1)])
    }
    #[inline(always)]
    fn set(&mut self, slot: usize, pos: usize) {
        // pos < 65,535 for every input this table is used for.
        self.0[slot & (SLOTS - 1)] = pos as u16;
    }
}

/// 32-bit positions, 5-byte hash of an 8-byte little-endian read: for inputs of 65,535 bytes
/// and more.
struct LargeTable([u32; SLOTS]);

impl Table for LargeTable {
    type Word = u64;
    const WIDTH: usize = 8;
    #[inline(always)]
    fn load(input: &[u8], pos: usize) -> Option<u64> {
        input.get(pos..)?.first_chunk().map(|b| u64::from_le_bytes(*b))
    }
    #[inline(always)]
    fn low32(word: u64) -> u32 {
        word as u32
    }
    #[inline(always)]
    fn slot(word: u64) -> usize {
        // The low 5 bytes, moved to the top, times lz4_flex's little-endian prime; the top 16
        // bits of the product, less 4 bits for 4,096 slots.
        ((word << 24).wrapping_mul(889_523_592_379) >> 52) as usize
    }
    #[inline(always)]
    fn get(&self, slot: usize) -> usize {
        self.0[slot & (SLOTS - 1)] as usize
    }
    #[inline(always)]
    fn set(&mut self, slot: usize, pos: usize) {
        // Truncates past 4 GiB, as lz4_flex does; a truncated position fails the distance check.
        self.0[slot & (SLOTS - 1)] = pos as u32;
    }
}

/// Little-endian u32 at `pos`, if `input` holds it.
#[inline(always)]
fn load_u32(input: &[u8], pos: usize) -> Option<u32> {
    input.get(pos..)?.first_chunk().map(|b| u32::from_le_bytes(*b))
}

/// Little-endian u64 at `pos`, or 0 past the end (never reached: [`common_prefix`] reads only
/// below its `end`).
#[inline(always)]
fn load_u64(input: &[u8], pos: usize) -> u64 {
    input.get(pos..).and_then(<[u8]>::first_chunk).map_or(0, |b| u64::from_le_bytes(*b))
}

/// The main loop, for inputs of at least 13 bytes.
#[inline(never)]
fn compress_with<T: Table>(input: &[u8], table: &mut T) -> Vec<u8> {
    let mut out = Output::new(input.len());
    // The search reads hash inputs only from `search`: a load there succeeds exactly when its
    // position is at most len - 12, the last position a match may start at.
    let search = input.get(..(input.len() + T::WIDTH).saturating_sub(MATCH_START_LIMIT)).unwrap_or_default();
    let mut literal_start = 0;
    // Position 0 is never looked up (a block cannot open with a match) and its slot would get
    // 0, which every slot already holds, so the search starts at 1.
    let mut cur = 1;
    loop {
        // Find the next match: `cur` at its start, `candidate` at the earlier copy.
        let mut misses = 1u32 << SKIP_SHIFT;
        let mut next = cur;
        let mut candidate;
        loop {
            cur = next;
            next += (misses >> SKIP_SHIFT) as usize;
            misses += 1;
            let Some(word) = T::load(search, cur) else {
                out.put_last(input.get(literal_start..).unwrap_or_default());
                return out.finish();
            };
            let slot = T::slot(word);
            candidate = table.get(slot);
            table.set(slot, cur);
            // Wrapping: a position truncated by LargeTable can exceed `cur`; it then reads as
            // far away, like every stale entry.
            if cur.wrapping_sub(candidate) <= MAX_OFFSET && load_u32(input, candidate) == Some(T::low32(word)) {
                break;
            }
        }

        // Extend backwards over the pending literals.
        while candidate > 0 && cur > literal_start {
            match (input.get(cur - 1), input.get(candidate - 1)) {
                (Some(a), Some(b)) if a == b => {
                    cur -= 1;
                    candidate -= 1;
                }
                _ => break,
            }
        }
        let literals = Run { start: literal_start, len: cur - literal_start };
        let offset = (cur - candidate) as u16;

        // Extend forwards past the 4 bytes already known equal.
        cur += MIN_MATCH;
        let extra = common_prefix(input, candidate + MIN_MATCH, cur, input.len().saturating_sub(MATCH_END_GUARD));
        cur += extra;

        // A match ends at most 6 bytes before the end, so this load always succeeds.
        if let Some(word) = T::load(input, cur - 2) {
            table.set(T::slot(word), cur - 2);
        }

        out.put_sequence(input, literals, offset, extra);
        literal_start = cur;
    }
}

/// How many bytes from `a` equal those from `b`, counting at most `end - b` (`a < b`).
#[inline(always)]
fn common_prefix(input: &[u8], a: usize, b: usize, end: usize) -> usize {
    let max = end.saturating_sub(b);
    let mut n = 0;
    while n + 8 <= max {
        let diff = load_u64(input, a + n) ^ load_u64(input, b + n);
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while n < max {
        match (input.get(a + n), input.get(b + n)) {
            (Some(x), Some(y)) if x == y => n += 1,
            _ => break,
        }
    }
    n
}

/// A run of literals: `input[start..start + len]`.
#[derive(Clone, Copy)]
struct Run {
    start: usize,
    len: usize,
}

/// The block being written.
struct Output {
    buf: Vec<u8>,
}

impl Output {
    /// An empty block with capacity for any block of `input_len` bytes: all literals (a token,
    /// one length byte per 255, the bytes) plus room for the fixed-size literal copy. If that
    /// allocation fails here, the vector grows on demand instead.
    fn new(input_len: usize) -> Self {
        let mut buf = Vec::new();
        let _ = buf.try_reserve(input_len.saturating_add(input_len / 255).saturating_add(16 + SHORT_RUN));
        Self { buf }
    }

    /// The written bytes.
    fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// Writes one sequence: token, literal length, literals, offset, match length (less 4).
    #[inline(always)]
    fn put_sequence(&mut self, input: &[u8], literals: Run, offset: u16, extra: usize) {
        let Run { start, len } = literals;
        self.buf.push((nibble(len) << 4) | nibble(extra));
        if len >= 15 {
            self.put_length(len - 15);
        }
        // Short runs append a fixed-size chunk and cut back the excess: a few moves instead
        // of a memcpy call. The input has 12+ bytes past every match start, so the chunk is
        // nearly always there.
        match input.get(start..).and_then(<[u8]>::first_chunk::<SHORT_RUN>) {
            Some(chunk) if len <= SHORT_RUN => {
                let end = self.buf.len() + len;
                self.buf.extend_from_slice(chunk);
                self.buf.truncate(end);
            }
            _ => self.buf.extend_from_slice(input.get(start..start + len).unwrap_or_default()),
        }
        self.buf.extend_from_slice(&offset.to_le_bytes());
        if extra >= 15 {
            self.put_length(extra - 15);
        }
    }

    /// Writes the closing literal-only sequence.
    fn put_last(&mut self, literals: &[u8]) {
        self.buf.push(nibble(literals.len()) << 4);
        if literals.len() >= 15 {
            self.put_length(literals.len() - 15);
        }
        self.buf.extend_from_slice(literals);
    }

    /// The continuation of a length of 15 or more: 255 per whole 255, then the remainder.
    #[inline(always)]
    fn put_length(&mut self, mut rest: usize) {
        while rest >= 255 {
            self.buf.push(255);
            rest -= 255;
        }
        self.buf.push(rest as u8);
    }
}

/// A length as a token half: itself below 15, else 15 (continued by a length).
#[inline(always)]
fn nibble(len: usize) -> u8 {
    len.min(15) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Ours equals lz4_flex (the reference, where this host is 64-bit little-endian) and
    /// decompresses back to `input`.
    fn check(input: &[u8]) {
        let ours = compress(input);
        #[cfg(all(target_pointer_width = "64", target_endian = "little"))]
        assert!(
            ours == lz4_flex::block::compress(input),
            "block differs from lz4_flex for {} input bytes",
            input.len()
        );
        assert_eq!(lz4_flex::block::decompress(&ours, input.len()).unwrap(), input);
    }

    /// Deterministic test data from a seed: `kind` 0 is bytes from an alphabet of `alphabet`
    /// symbols, 1 mixes literal runs with copies from up to `len` bytes back (so both within and
    /// beyond the 64 KiB window), 2 is one short pattern repeated with rare flips.
    fn data(seed: u64, len: usize, kind: u8, alphabet: u16) -> Vec<u8> {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let alphabet = u64::from(alphabet.max(1));
        let mut v = Vec::with_capacity(len);
        match kind {
            0 => v.extend((0..len).map(|_| (next() % alphabet) as u8)),
            1 => {
                while v.len() < len {
                    let run = 1 + (next() % 300) as usize;
                    if v.len() > 8 && next() % 3 != 0 {
                        let back = 1 + (next() % v.len() as u64) as usize;
                        let from = v.len() - back;
                        for i in 0..run {
                            v.push(v[from + i % back]);
                        }
                    } else {
                        v.extend((0..run).map(|_| (next() % alphabet) as u8));
                    }
                }
                v.truncate(len);
            }
            _ => {
                let period = 1 + (next() % 64) as usize;
                let pattern: Vec<u8> = (0..period).map(|_| (next() % alphabet) as u8).collect();
                v.extend((0..len).map(|i| pattern[i % period]));
                for _ in 0..len / 5000 {
                    let at = (next() % len as u64) as usize;
                    v[at] ^= 0x5a;
                }
            }
        }
        v
    }

    #[test]
    fn short_inputs_match_the_reference() {
        check(b"");
        for len in 1..=40 {
            check(&vec![b'a'; len]);
            check(&data(len as u64, len, 0, 256));
            check(&data(len as u64, len, 0, 2));
        }
    }

    #[test]
    fn both_table_kinds_around_the_64k_switch() {
        for len in [65_534, 65_535, 65_536, 65_537, 65_547, 70_000, 131_072, 200_003] {
            for kind in 0..3 {
                for alphabet in [2, 16, 256] {
                    check(&data(len as u64 ^ u64::from(alphabet), len, kind, alphabet));
                }
            }
        }
        check(&vec![0; 1 << 20]);
        check(&data(7, 1 << 20, 1, 256));
    }

    #[test]
    fn conformance_vector_inputs() {
        let json = include_str!("../../conformance/vectors/wire-format.cachekit-py.json");
        let field = |rest: &str, name: &str| -> Option<String> {
            let at = rest.find(&format!("\"{name}\": \""))? + name.len() + 5;
            Some(rest[at..at + rest[at..].find('"')?].to_owned())
        };
        let hex = |s: &str| hex::decode(s).unwrap();
        let mut seen = 0;
        for record in json.split("\"name\": ").skip(1) {
            let (Some(input), Some(envelope)) = (field(record, "input_hex"), field(record, "envelope_hex")) else {
                continue;
            };
            let input = hex(&input);
            check(&input);
            // Target-independent: the vector's bytes themselves, not the host's lz4_flex.
            assert_eq!(crate::envelope::store(&input).unwrap(), hex(&envelope));
            seen += 1;
        }
        assert_eq!(seen, 8);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_match_the_reference(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
            check(&input);
        }

        #[test]
        fn structured_data_matches_the_reference(seed in any::<u64>(), len in 0usize..20_000, kind in 0u8..3, alphabet in 1u16..=256) {
            check(&data(seed, len, kind, alphabet));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn large_inputs_match_the_reference(
            seed in any::<u64>(),
            len in prop_oneof![65_530usize..65_540, 65_540usize..300_000],
            kind in 0u8..3,
            alphabet in 1u16..=256,
        ) {
            check(&data(seed, len, kind, alphabet));
        }
    }
}
