//! What Java does that decides Kafka's assignments: `String.compareTo` (member and topic order),
//! `String.hashCode`, and the iteration order of a `java.util.HashMap`. Kept apart from the
//! assignors because they are Java's semantics, not Kafka's logic (and `cluster` uses the hash too).

use std::cmp::Ordering;

/// Java's `String.compareTo`: by UTF-16 code units (differs from Rust's byte order only above U+FFFF).
pub(super) fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Java's `String.hashCode` (UTF-16 code units, wrapping): the sticky assignors' hash-map order,
/// and where a group's offsets live (`cluster::offsets_partition_for`).
pub(in crate::kafka) fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// A `java.util.HashMap`'s key order: Kafka's sticky assignors iterate hash maps, and their output
/// depends on that order. Buckets are the spread hash masked by the table size (16, doubling past
/// a load of 3/4, or when a bucket of a table under 64 reaches 9 keys); a bucket keeps insertion
/// order, and so does Java when it splits one on resize. (Java turns a bucket of 9+ keys in a
/// table of 64+ into a tree with an order of its own: not modelled, as it takes 9 colliding keys.)
pub(super) struct JavaHashSet<K> {
    table: Vec<Vec<(u32, K)>>,
    pub(super) len: usize,
}

impl<K: Copy + PartialEq> JavaHashSet<K> {
    pub(super) fn new() -> Self {
        JavaHashSet { table: (0..16).map(|_| Vec::new()).collect(), len: 0 }
    }

    fn slot(&self, hash: i32) -> (u32, usize) {
        let h = hash as u32 ^ (hash as u32 >> 16);
        (h, h as usize & (self.table.len() - 1))
    }

    pub(super) fn insert(&mut self, hash: i32, key: K) {
        let (h, b) = self.slot(hash);
        if self.table[b].iter().any(|e| e.1 == key) {
            return;
        }
        self.table[b].push((h, key));
        if self.table[b].len() > 8 && self.table.len() < 64 {
            self.grow();
        }
        self.len += 1;
        if self.len > self.table.len() / 4 * 3 {
            self.grow();
        }
    }

    pub(super) fn remove(&mut self, hash: i32, key: K) {
        let b = self.slot(hash).1;
        if let Some(i) = self.table[b].iter().position(|e| e.1 == key) {
            self.table[b].remove(i);
            self.len -= 1;
        }
    }

    fn grow(&mut self) {
        let n = self.table.len() * 2;
        let old = std::mem::replace(&mut self.table, (0..n).map(|_| Vec::new()).collect());
        for (h, k) in old.into_iter().flatten() {
            self.table[h as usize & (n - 1)].push((h, k));
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = K> + '_ {
        self.table.iter().flatten().map(|e| e.1)
    }
}

/// The order in which a `HashMap` filled with keys of these hashes (distinct keys) iterates them.
pub(super) fn java_order(hashes: impl Iterator<Item = i32>) -> Vec<usize> {
    let mut set = JavaHashSet::new();
    hashes.enumerate().for_each(|(i, h)| set.insert(h, i));
    set.iter().collect()
}
