//! One stable sort for the whole program. The standard library's sorts are fast but large, and each
//! element type gets its own copy (about 3 KB of wasm each, two dozen types: a tenth of the
//! app's code). Here a merge sort over `u32` positions is compiled once, with the comparison
//! behind a `dyn` call; per element type only a small permutation step remains. Stable, like
//! `slice::sort_by`, so results (and trace hashes) are the same; O(n log n) comparisons.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order: Vec<u32> = (0..v.len() as u32).collect();
    merge_sort(&mut order, &mut |a, b| cmp(&v[a as usize], &v[b as usize]));
    permute(v, order);
}

/// Sorts `v` stably by the key `f` gives.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut f: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| f(a).cmp(&f(b)));
}

/// Sorts `v` in its natural order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Bottom-up merge sort of positions: runs of 1, 2, 4, … merged into a second buffer and back.
fn merge_sort(a: &mut Vec<u32>, cmp: &mut dyn FnMut(u32, u32) -> Ordering) {
    let n = a.len();
    let mut b = vec![0u32; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j) = (lo, mid);
            for slot in &mut b[lo..hi] {
                // Take from the left run unless the right one is strictly smaller: stable.
                if i < mid && (j >= hi || cmp(a[j], a[i]) != Ordering::Less) {
                    *slot = a[i];
                    i += 1;
                } else {
                    *slot = a[j];
                    j += 1;
                }
            }
            lo = hi;
        }
        std::mem::swap(a, &mut b);
        width *= 2;
    }
}

/// Rearranges `v` so that `v[k]` becomes the old `v[order[k]]`, following each cycle with swaps.
fn permute<T>(v: &mut [T], mut order: Vec<u32>) {
    for start in 0..v.len() {
        let mut k = start;
        while order[k] as usize != start {
            let from = order[k] as usize;
            v.swap(k, from);
            order[k] = k as u32;
            k = from;
        }
        order[k] = k as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        let mut rng = Rng::new(7);
        for n in [0usize, 1, 2, 3, 5, 8, 17, 100, 1000] {
            for _ in 0..20 {
                // Few distinct keys, so stability is tested: the second field records the order.
                let v: Vec<(u64, usize)> = (0..n).map(|i| (rng.below(n as u64 / 3 + 1), i)).collect();
                let mut ours = v.clone();
                let mut std = v.clone();
                sort_by_key(&mut ours, |x| x.0);
                std.sort_by_key(|x| x.0);
                assert_eq!(ours, std, "n = {n}");
                let mut ours = v.clone();
                let mut std = v;
                sort_by(&mut ours, |a, b| b.0.cmp(&a.0));
                std.sort_by_key(|x| std::cmp::Reverse(x.0));
                assert_eq!(ours, std, "n = {n}, descending");
            }
        }
        let mut words = vec!["b", "a", "c", "a"];
        sort(&mut words);
        assert_eq!(words, ["a", "a", "b", "c"]);
    }
}
