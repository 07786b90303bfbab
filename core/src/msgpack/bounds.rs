//! The structural pre-scan every untrusted MessagePack decode runs first (SPEC §5a).
//!
//! Before anything is materialised, one pass over the item headers checks:
//! - **depth**: collection headers on the deepest path ≤ [`MAX_DEPTH`];
//! - **slot budget**: the declared slots of the whole document (array elements, two per map
//!   pair, str/bin/ext byte lengths) summed in checked 64-bit arithmetic ≤ `input_len − 1`;
//! - **completeness**: the root item ends within the input.
//!
//! The scan keeps one counter per open collection (at most [`MAX_DEPTH`]) and allocates
//! nothing proportional to what the headers claim, so a hostile header costs nothing.

use super::read::{Head, Reader};
use crate::error::{ErrorKind, Result, err};

/// Deepest nesting accepted. The protocol lets readers choose 32..=1024; 512 keeps the
/// recursive materialisers comfortably inside a 1 MiB WASM stack.
pub const MAX_DEPTH: usize = 512;

fn refuse<T>(why: String) -> Result<T> {
    err(ErrorKind::DecodeBounds, why)
}

/// Checks `buf` under the decode bounds and returns the offset where its first complete
/// document ends (the caller decides whether trailing bytes are allowed).
pub fn scan(buf: &[u8]) -> Result<usize> {
    let budget = (buf.len() as u64).saturating_sub(1);
    let mut slots: u64 = 0;
    let mut open: Vec<u64> = Vec::new();
    let mut r = Reader::new(buf);
    let claim = |n: u64, slots_now: &mut u64| -> Result<()> {
        *slots_now = slots_now
            .checked_add(n)
            .filter(|s| *s <= budget)
            .map_or_else(|| refuse(format!("declared slots exceed the {budget} the input can back")), Ok)?;
        Ok(())
    };
    loop {
        if r.remaining() == 0 {
            return refuse("document is incomplete: input ends inside it".into());
        }
        let at = r.position();
        let head = match r.next_head() {
            Ok(h) => h,
            Err(e) if buf[at] == 0xc1 => return Err(e),
            Err(_) => return refuse("document is incomplete: input ends inside a header".into()),
        };
        let children = match head {
            Head::Str(n) | Head::Bin(n) | Head::Ext(_, n) => {
                claim(u64::from(n), &mut slots)?;
                if r.remaining() < n as usize {
                    return refuse("document is incomplete: payload runs past the input".into());
                }
                r.payload(n)?;
                0
            }
            Head::Array(n) | Head::Map(n) => {
                let n = if matches!(head, Head::Map(_)) { 2 * u64::from(n) } else { u64::from(n) };
                claim(n, &mut slots)?;
                if open.len() + 1 > MAX_DEPTH {
                    return refuse(format!("nesting deeper than {MAX_DEPTH}"));
                }
                n
            }
            _ => 0,
        };
        if children > 0 {
            open.push(children);
            continue;
        }
        // One item is complete: close every collection it completes.
        loop {
            match open.last_mut() {
                None => return Ok(r.position()),
                Some(left) => {
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    open.pop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn accepts_complete_documents_and_reports_their_end() {
        assert_eq!(scan(&h("c0")).unwrap(), 1);
        assert_eq!(scan(&h("9291c0a0")).unwrap(), 4);
        assert_eq!(scan(&h("81a161c0ff")).unwrap(), 4, "trailing byte left to the caller");
        let mut deep = vec![0x91; 32];
        deep.push(0xc0);
        assert_eq!(scan(&deep).unwrap(), 33);
        let mut deep = vec![0x91; MAX_DEPTH];
        deep.push(0xc0);
        assert!(scan(&deep).is_ok());
    }

    #[test]
    fn refuses_overclaims_depth_and_incomplete() {
        for s in [
            "ddffffffff",
            "dfffffffff",
            "df80000000",
            "91ddffffffff",
            "c6ffffffff41",
            "95c0c0c0c0",
            "81c0",
            "92dc0000",
            "",
            "dc00",
            "c4",
        ] {
            assert_eq!(scan(&h(s)).unwrap_err().kind(), ErrorKind::DecodeBounds, "{s}");
        }
        let mut deep = vec![0x91; MAX_DEPTH + 1];
        deep.push(0xc0);
        assert_eq!(scan(&deep).unwrap_err().kind(), ErrorKind::DecodeBounds);
        assert_eq!(scan(&h("c1")).unwrap_err().kind(), ErrorKind::MalformedMsgpack);
    }
}
