//! The trace: every event folded into a stable 64-bit hash, and rendered as one readable line.
//!
//! The hash folds an explicit encoding of each event's fields (see `Event::encode`) — never
//! `std::hash::Hash` output or pointer-sized integers — so it is the same on 64-bit native and 32-bit
//! wasm and across compiler versions. Two runs with the same hash saw the same events at the same
//! times in the same order.
//!
//! The mixing is FNV-1a's (xor, then multiply by the FNV prime) applied to whole 64-bit words instead
//! of bytes, plus an xor-shift so high bits reach the low ones: an event costs a handful of multiplies
//! instead of one per byte (the byte-wise version took a third of the benchmark's time). It is a
//! fingerprint for spotting divergence, not a cryptographic hash.

/// FNV-1a-style 64-bit fingerprint over words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash(u64);

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(FNV_OFFSET)
    }
}

impl TraceHash {
    pub fn value(self) -> u64 {
        self.0
    }

    pub fn u64(&mut self, v: u64) {
        let h = (self.0 ^ v).wrapping_mul(FNV_PRIME);
        self.0 = h ^ (h >> 29);
    }

    pub fn byte(&mut self, b: u8) {
        self.u64(b as u64);
    }

    pub fn u32(&mut self, v: u32) {
        self.u64(v as u64);
    }

    /// Length, then the bytes in little-endian 8-byte words (the last one zero-padded).
    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        for chunk in s.as_bytes().chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.u64(u64::from_le_bytes(word));
        }
    }
}

/// The hash as it is printed everywhere: 16 lowercase hex digits.
impl std::fmt::Display for TraceHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(words: &[u64]) -> TraceHash {
        let mut h = TraceHash::default();
        words.iter().for_each(|&w| h.u64(w));
        h
    }

    #[test]
    fn pinned_values() {
        // If these move, every published trace hash has changed.
        assert_eq!(TraceHash::default().to_string(), "cbf29ce484222325");
        assert_eq!(of(&[1, 2, 3]).to_string(), PINNED_123);
    }
    const PINNED_123: &str = "6da0eea95f45479e";

    #[test]
    fn order_and_every_bit_matter() {
        assert_ne!(of(&[1, 2]), of(&[2, 1]));
        let base = of(&[0, 0]);
        for bit in 0..64 {
            assert_ne!(of(&[1 << bit, 0]), base, "bit {bit} of the first word is lost");
        }
        let mut a = TraceHash::default();
        a.str("ab");
        let mut b = TraceHash::default();
        b.str("ab\0");
        assert_ne!(a, b, "the length is part of a string's encoding");
    }
}
