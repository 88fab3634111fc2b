//! The trace: every event folded into a stable 64-bit hash, and rendered as one readable line.
//!
//! The hash is FNV-1a over an explicit little-endian encoding of each event's fields (see
//! `Event::encode`), never over `std::hash::Hash` output or pointer-sized integers, so it is the same
//! on 64-bit native and 32-bit wasm and across compiler versions. Two runs with the same hash saw the
//! same events at the same times in the same order.

/// FNV-1a, 64-bit.
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

    pub fn byte(&mut self, b: u8) {
        self.0 ^= b as u64;
        self.0 = self.0.wrapping_mul(FNV_PRIME);
    }

    pub fn u32(&mut self, v: u32) {
        v.to_le_bytes().into_iter().for_each(|b| self.byte(b));
    }

    pub fn u64(&mut self, v: u64) {
        v.to_le_bytes().into_iter().for_each(|b| self.byte(b));
    }

    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        s.bytes().for_each(|b| self.byte(b));
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

    #[test]
    fn fnv1a_reference_vectors() {
        // From the FNV reference (draft-eastlake-fnv): FNV-1a 64 of "" and "a".
        assert_eq!(TraceHash::default().value(), 0xcbf29ce484222325);
        let mut h = TraceHash::default();
        h.byte(b'a');
        assert_eq!(h.value(), 0xaf63dc4c8601ec8c);
        assert_eq!(h.to_string(), "af63dc4c8601ec8c");
    }
}
