//! A deque kept in chunks shared by `Rc`: cloning it copies pointers, not elements.
//!
//! Why: the page's timeline snapshots the whole simulation (a `clone()`) every few thousand steps
//! to seek back in it. A Kafka partition replica's log is most of what a cluster holds — at 50
//! brokers and 1 000 partitions RF 3, half a million records, 29 MB after a minute — and copying
//! it all at each snapshot stalled the page for tens of milliseconds. Here a clone shares every
//! chunk with the original; whichever of the two changes a chunk first gets its own copy of that
//! chunk (`Rc::make_mut`'s copy-on-write), and only the chunk at the back (where appends go) is
//! ever written in normal running, so after a snapshot each log copies at most `CHUNK` elements.
//! Dropping the oldest element (retention) only moves a start index, so a shared front chunk is
//! never copied to shrink. The elements, their order and every answer are those of a `VecDeque`:
//! sharing is invisible to the model (same traces), and `Debug` prints the elements as a list.
//!
//! Layout invariant: every chunk but the first and the last holds exactly `CHUNK` elements, and
//! only the first has dead elements before `head`; so an index finds its chunk by arithmetic.

use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

/// Elements per chunk: a snapshot copies at most this many per deque (the back chunk, at the
/// next append); the pointers copied per clone are `len / CHUNK`.
pub const CHUNK: usize = 32;

#[derive(Clone)]
pub struct ChunkDeque<T> {
    chunks: VecDeque<Rc<Vec<T>>>,
    /// Elements of the first chunk already popped from the front (not removed: it may be shared).
    head: usize,
    len: usize,
}

impl<T> Default for ChunkDeque<T> {
    fn default() -> Self {
        ChunkDeque { chunks: VecDeque::new(), head: 0, len: 0 }
    }
}

impl<T: Clone> ChunkDeque<T> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk and position of element `i` (which must exist).
    fn locate(&self, i: usize) -> (usize, usize) {
        let first = self.chunks[0].len() - self.head;
        if i < first {
            (0, self.head + i)
        } else {
            let j = i - first;
            (1 + j / CHUNK, j % CHUNK)
        }
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        (i < self.len).then(|| {
            let (c, p) = self.locate(i);
            &self.chunks[c][p]
        })
    }
    pub fn front(&self) -> Option<&T> {
        self.get(0)
    }
    pub fn back(&self) -> Option<&T> {
        self.chunks.back().and_then(|c| c.last())
    }

    /// Chunk `c` as this deque's own, copied first if it is shared; the first chunk loses its
    /// dead elements on the way.
    fn own(&mut self, c: usize) -> &mut Vec<T> {
        let head = if c == 0 { std::mem::take(&mut self.head) } else { 0 };
        let chunk = &mut self.chunks[c];
        if Rc::get_mut(chunk).is_none() {
            let mut copy = Vec::with_capacity(CHUNK);
            copy.extend_from_slice(&chunk[head..]);
            *chunk = Rc::new(copy);
        } else if head > 0 {
            Rc::get_mut(chunk).expect("checked above").drain(..head);
        }
        Rc::get_mut(chunk).expect("made unique above")
    }

    pub fn push_back(&mut self, x: T) {
        match self.chunks.back() {
            Some(last) if last.len() < CHUNK => {
                let c = self.chunks.len() - 1;
                self.own(c).push(x);
            }
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(x);
                self.chunks.push_back(Rc::new(chunk));
            }
        }
        self.len += 1;
    }

    pub fn pop_back(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let c = self.chunks.len() - 1;
        let x = self.own(c).pop();
        if self.chunks[c].is_empty() {
            self.chunks.pop_back();
        }
        self.len -= 1;
        x
    }

    pub fn pop_front(&mut self) -> Option<T> {
        let x = self.front()?.clone();
        self.head += 1;
        if self.head == self.chunks[0].len() {
            self.chunks.pop_front();
            self.head = 0;
        }
        self.len -= 1;
        Some(x)
    }

    /// The last element, as this deque's own.
    pub fn back_mut(&mut self) -> Option<&mut T> {
        let c = self.chunks.len().checked_sub(1)?;
        self.own(c).last_mut()
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.head = 0;
        self.len = 0;
    }

    /// The elements from index `i` on (none if `i` is past the end).
    pub fn iter_from(&self, i: usize) -> impl DoubleEndedIterator<Item = &T> + '_ {
        let (c, p) = if i < self.len { self.locate(i) } else { (self.chunks.len(), 0) };
        self.chunks.range(c..).enumerate().flat_map(move |(k, chunk)| chunk[if k == 0 { p } else { 0 }..].iter())
    }

    /// Appends clones of the elements at indices `i..j` (clamped to the deque) to `out`, one
    /// chunk's run at a time: a slice copy per chunk, where an iterator over the elements costs
    /// a call and a bounds check per element (in wasm, more than twice its native time).
    pub fn extend_range_into(&self, i: usize, j: usize, out: &mut Vec<T>) {
        let j = j.min(self.len);
        if i >= j {
            return;
        }
        out.reserve(j - i);
        let (c, p) = self.locate(i);
        let mut left = j - i;
        for (k, chunk) in self.chunks.range(c..).enumerate() {
            let run = &chunk[if k == 0 { p } else { 0 }..];
            let n = run.len().min(left);
            out.extend_from_slice(&run[..n]);
            left -= n;
            if left == 0 {
                break;
            }
        }
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.iter_from(0)
    }

    /// Calls `f` on each element from index `i` on, as this deque's own (the chunks they are in
    /// are copied first if shared).
    pub fn for_each_from_mut(&mut self, i: usize, mut f: impl FnMut(&mut T)) {
        if i >= self.len {
            return;
        }
        let (c, mut p) = self.locate(i);
        for k in c..self.chunks.len() {
            if k == 0 {
                // Owning the first chunk drops its dead elements: the position moves with them.
                p -= self.head;
            }
            self.own(k)[p..].iter_mut().for_each(&mut f);
            p = 0;
        }
    }

    /// The number of leading elements for which `pred` holds (they must come first), as
    /// `VecDeque::partition_point`. Two binary searches: over the chunks by their first live
    /// element, then within the one chunk where `pred` turns false (a log's `get` and `slice` are
    /// on the engine's hot path: one division per probe over the whole deque cost Kafka a tenth
    /// of its speed in the browser).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let live = |c: usize| &self.chunks[c][if c == 0 { self.head } else { 0 }..];
        // The chunks whose first live element satisfies `pred`: the answer lies in the last one.
        let (mut lo, mut hi) = (0, self.chunks.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(&live(mid)[0]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let Some(c) = lo.checked_sub(1) else { return 0 };
        let before = if c == 0 { 0 } else { live(0).len() + (c - 1) * CHUNK };
        before + live(c).partition_point(pred)
    }

    /// Keeps the elements for which `keep` holds, in order (repacked into fresh chunks).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let kept: Vec<T> = self.iter().filter(|x| keep(x)).cloned().collect();
        self.clear();
        kept.into_iter().for_each(|x| self.push_back(x));
    }
}

impl<T: Clone + PartialEq> PartialEq for ChunkDeque<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}
impl<T: Clone + Eq> Eq for ChunkDeque<T> {}

impl<T: Clone + fmt::Debug> fmt::Debug for ChunkDeque<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(d: &ChunkDeque<u64>, model: &VecDeque<u64>) {
        assert_eq!(d.len(), model.len());
        assert!(d.iter().eq(model.iter()), "{d:?} vs {model:?}");
        assert!(d.iter().rev().eq(model.iter().rev()));
        for i in 0..=model.len() {
            assert_eq!(d.get(i), model.get(i));
            assert!(d.iter_from(i).eq(model.range(i.min(model.len())..)));
        }
        assert_eq!((d.front(), d.back()), (model.front(), model.back()));
        assert_eq!(format!("{d:?}"), format!("{model:?}"));
        // The layout invariant: interior chunks are full, only the first has dead elements.
        let n = d.chunks.len();
        for (k, c) in d.chunks.iter().enumerate() {
            assert!(!c.is_empty() && c.len() <= CHUNK);
            if k > 0 && k + 1 < n {
                assert_eq!(c.len(), CHUNK);
            }
        }
        assert!(n == 0 && d.head == 0 || n > 0 && d.head < d.chunks[0].len());
    }

    /// Every operation against a `VecDeque`, with clones taken along the way that must not change
    /// when the original does (and the other way round).
    #[test]
    fn behaves_like_a_vecdeque_and_clones_are_independent() {
        let mut rng = crate::rng::Rng::fork(7, 0);
        let mut d = ChunkDeque::new();
        let mut model = VecDeque::new();
        let mut kept: Vec<(ChunkDeque<u64>, VecDeque<u64>)> = Vec::new();
        let mut next = 0u64;
        for step in 0..20_000 {
            match rng.below(100) {
                0..=54 => {
                    // Increasing, as a log's offsets are (`partition_point` needs them sorted).
                    next = model.back().map_or(next, |b| b + 1).max(next);
                    d.push_back(next);
                    model.push_back(next);
                    next += 1;
                }
                55..=69 => assert_eq!(d.pop_front(), model.pop_front()),
                70..=79 => assert_eq!(d.pop_back(), model.pop_back()),
                80..=84 => {
                    let i = rng.below(model.len() as u64 + 1) as usize;
                    d.for_each_from_mut(i, |x| *x += 1_000_000);
                    model.range_mut(i..).for_each(|x| *x += 1_000_000);
                }
                85..=87 => {
                    if let (Some(a), Some(b)) = (d.back_mut(), model.back_mut()) {
                        *a += 7;
                        *b += 7;
                    }
                }
                88 => {
                    let m = rng.below(3) + 2;
                    d.retain(|x| x % m != 0);
                    model.retain(|x| x % m != 0);
                }
                89 if rng.below(20) == 0 => {
                    d.clear();
                    model.clear();
                }
                _ => kept.push((d.clone(), model.clone())),
            }
            if step % 97 == 0 {
                check(&d, &model);
                let x = rng.below(next.max(1));
                assert_eq!(d.partition_point(|v| *v < x), model.partition_point(|v| *v < x));
                let (i, j) = (rng.below(model.len() as u64 + 2) as usize, rng.below(model.len() as u64 + 2) as usize);
                let mut out = vec![9];
                d.extend_range_into(i, j, &mut out);
                let want: Vec<u64> =
                    [9].into_iter().chain(model.iter().skip(i).take(j.saturating_sub(i)).copied()).collect();
                assert_eq!(out, want, "extend_range_into({i}, {j})");
            }
            if kept.len() > 40 {
                kept.drain(..20);
            }
        }
        check(&d, &model);
        for (copy, at) in &kept {
            check(copy, at);
        }
    }

    #[test]
    fn a_clone_shares_its_chunks_until_written() {
        let mut d = ChunkDeque::new();
        (0..100u64).for_each(|x| d.push_back(x));
        let snapshot = d.clone();
        assert!(d.chunks.iter().zip(&snapshot.chunks).all(|(a, b)| Rc::ptr_eq(a, b)));
        d.push_back(100);
        d.pop_front();
        let shared = d.chunks.iter().zip(&snapshot.chunks).filter(|(a, b)| Rc::ptr_eq(a, b)).count();
        assert_eq!(shared, 3, "the back chunk was copied to append; the front one stays shared while popped");
        assert_eq!(snapshot.len(), 100);
        assert_eq!(snapshot.front(), Some(&0));
    }
}
