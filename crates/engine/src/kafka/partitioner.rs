//! Kafka's built-in partitioner for keyed records: `toPositive(murmur2(keyBytes)) % numPartitions`
//! (`BuiltInPartitioner.partitionForKey`, with `Utils.murmur2` and `Utils.toPositive` from Kafka's
//! `clients` module). A string key's bytes are its UTF-8 encoding, as `StringSerializer` makes them.
//! Records without a key use the sticky partitioner (KIP-480, KIP-794), which the producer model
//! implements: it depends on batches, not on the key.

/// Kafka's murmur2 (seed 0x9747b28c), returning the same signed 32-bit value as `Utils.murmur2`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h: u32 = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    // Java's switch falls through: 3 bytes mix in all three, then multiply once.
    if tail.len() == 3 {
        h ^= (tail[2] as u32) << 16;
    }
    if tail.len() >= 2 {
        h ^= (tail[1] as u32) << 8;
    }
    if !tail.is_empty() {
        h ^= tail[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// `Utils.toPositive`: clears the sign bit (not `abs`, which would map i32::MIN to itself).
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition Kafka's default partitioner picks for a keyed record.
pub fn partition_for_key(key: &[u8], partitions: u32) -> Result<u32, String> {
    if partitions == 0 || partitions > i32::MAX as u32 {
        return Err(format!("partitions must be from 1 to {}", i32::MAX));
    }
    Ok(to_positive(murmur2(key)) as u32 % partitions)
}

/// Parses hex bytes (`"0a1B"`), for keys that are not text.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let t = text.trim();
    if t.len() % 2 != 0 {
        return Err(format!("`{t}` has an odd number of hex digits"));
    }
    (0..t.len())
        .step_by(2)
        .map(|i| {
            t.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("`{t}` is not hex bytes (0-9, a-f)"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka_utils_test() {
        // Kafka clients UtilsTest.testMurmur2.
        for (key, want) in [
            (&b"21"[..], -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            (b"abc", 479470107),
        ] {
            assert_eq!(murmur2(key), want, "{}", String::from_utf8_lossy(key));
        }
    }

    #[test]
    fn murmur2_matches_akkas_port_of_kafkas_function() {
        // Akka's Murmur2Spec: "expected correct hash values from the kafka murmur2 impl". (kafkajs'
        // *legacy* murmur2 vectors differ on purpose: that partitioner was never Java-compatible.)
        for (key, want) in
            [("1", -1993445489), ("12", 126087238), ("123", -267702483), ("1234", -1614185708), ("12345", -1188365604)]
        {
            assert_eq!(murmur2(key.as_bytes()), want, "{key}");
        }
    }

    #[test]
    fn partition_is_to_positive_mod_n() {
        assert_eq!(to_positive(-973932308), 1173551340);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(partition_for_key(b"21", 3), Ok(1173551340 % 3));
        assert!(partition_for_key(b"x", 0).is_err());
        // Every key lands in range.
        for n in 1..50u32 {
            let key = n.to_string();
            assert!(partition_for_key(key.as_bytes(), n).unwrap() < n);
        }
    }

    #[test]
    fn hex_keys() {
        assert_eq!(parse_hex("00ff10"), Ok(vec![0, 255, 16]));
        assert_eq!(parse_hex(""), Ok(vec![]));
        assert!(parse_hex("abc").unwrap_err().contains("odd"));
        assert!(parse_hex("zz").is_err());
        assert!(parse_hex("é1").is_err(), "multi-byte characters are not hex and must not panic");
    }
}
