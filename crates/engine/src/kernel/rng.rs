//! The simulator's own pseudo-random generator, pinned so a seed means the same run forever.
//!
//! xoshiro256** (Blackman & Vigna), seeded through SplitMix64. Our own few lines rather than a crate
//! so that no upstream change of algorithm or of `gen_range`'s method can ever alter a trace. Only
//! integer operations: identical on native and wasm. Probabilities are integers per million.

/// One stream of random numbers. `fork` derives independent streams, one per node, so that adding a
/// node or a random draw in one node does not shift the numbers every other node sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let s = [splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm)];
        // SplitMix64 never yields four zeros in a row, the one state xoshiro must avoid.
        Rng { s }
    }

    /// An independent stream named by `stream` (e.g. a node index), derived from the seed alone.
    pub fn fork(seed: u64, stream: u64) -> Rng {
        let mut sm = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng::new(splitmix64(&mut sm))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` without modulo bias (Lemire's multiply-and-reject). `n == 0` gives 0.
    /// Bounds that fit in 32 bits — all latencies, jitters and probabilities — take a 64-bit
    /// multiply of a 32-bit draw: wasm has no 64×64→128 multiply, and the u128 path costs a
    /// library call there.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        if n <= u32::MAX as u64 {
            let threshold = ((1u64 << 32) - n) % n;
            loop {
                let m = (self.next_u64() >> 32) * n;
                if (m & 0xFFFF_FFFF) >= threshold {
                    return m >> 32;
                }
            }
        }
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n || low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        debug_assert!(lo <= hi, "between({lo}, {hi}): empty range");
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_million / 1_000_000`.
    pub fn chance_ppm(&mut self, per_million: u32) -> bool {
        per_million > 0 && self.below(1_000_000) < per_million as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro256starstar_reference_vector() {
        // The reference implementation's output for state [1, 2, 3, 4] (also rand_xoshiro's test).
        let mut r = Rng { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..6).map(|_| r.next_u64()).collect();
        assert_eq!(got, [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600]);
    }

    #[test]
    fn splitmix64_reference_vector() {
        // Vigna's splitmix64.c seeded with 1234567.
        let mut state = 1234567;
        let got: Vec<u64> = (0..3).map(|_| splitmix64(&mut state)).collect();
        assert_eq!(got, [6457827717110365317, 3203168211198807973, 9817491932198370423]);
    }

    #[test]
    fn pinned_seeded_sequence() {
        // If this fails, every trace hash ever published has changed.
        let mut r = Rng::new(42);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, [1546998764402558742, 6990951692964543102, 12544586762248559009]);
    }

    #[test]
    fn forks_are_independent_and_reproducible() {
        let a: Vec<u64> = (0..4).map(|i| Rng::fork(7, i).next_u64()).collect();
        let b: Vec<u64> = (0..4).map(|i| Rng::fork(7, i).next_u64()).collect();
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "forks collided: {a:?}");
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut r = Rng::new(1);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[r.below(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.below(1), 0);
    }

    #[test]
    fn chance_ppm_extremes() {
        let mut r = Rng::new(3);
        assert!((0..1000).all(|_| !r.chance_ppm(0)));
        assert!((0..1000).all(|_| r.chance_ppm(1_000_000)));
        let hits = (0..100_000).filter(|_| r.chance_ppm(250_000)).count();
        assert!((24_000..26_000).contains(&hits), "{hits}");
    }
}
