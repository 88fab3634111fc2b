//! Bounded rate series for the live charts: counts per bucket of simulated time, the last
//! `capacity` buckets kept, so a chart costs the same after an hour as after a second.

use crate::engine::Time;
use std::collections::VecDeque;

#[derive(Clone, Debug)]
pub struct Series {
    width: Time,
    capacity: usize,
    lines: usize,
    /// Index (at / width) of the newest bucket.
    newest: u64,
    buckets: VecDeque<Vec<u64>>,
}

impl Series {
    pub fn new(width: Time, capacity: usize, lines: usize) -> Series {
        let width = Time(width.0.max(1));
        Series { width, capacity: capacity.max(1), lines, newest: 0, buckets: VecDeque::from([vec![0; lines]]) }
    }

    /// Moves the newest bucket forward to the one holding `now`, opening empty buckets on the way.
    pub fn advance(&mut self, now: Time) {
        let target = now.0 / self.width.0;
        if target <= self.newest {
            return;
        }
        let gap = (target - self.newest).min(self.capacity as u64);
        for _ in 0..gap {
            self.buckets.push_back(vec![0; self.lines]);
            if self.buckets.len() > self.capacity {
                self.buckets.pop_front();
            }
        }
        self.newest = target;
    }

    /// Counts `n` on `line` at time `at` (at or after the last `advance`).
    pub fn add(&mut self, at: Time, line: usize, n: u64) {
        self.advance(at);
        if let Some(b) = self.buckets.back_mut() {
            b[line] += n;
        }
    }

    /// `(bucket start time, per-second rate)` for each complete bucket of `line`, oldest first.
    /// The newest bucket is still filling and is left out so the line does not dip at its end.
    pub fn rates(&self, line: usize) -> Vec<(Time, f64)> {
        let complete = self.buckets.len().saturating_sub(1);
        let first = self.newest + 1 - self.buckets.len() as u64;
        let per_sec = 1_000_000.0 / self.width.0 as f64;
        self.buckets
            .iter()
            .take(complete)
            .enumerate()
            .map(|(i, b)| (Time((first + i as u64) * self.width.0), b[line] as f64 * per_sec))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_buckets_and_old_ones_fall_off() {
        let mut s = Series::new(Time::ms(1), 3, 2);
        s.add(Time(100), 0, 1);
        s.add(Time(900), 0, 2);
        s.add(Time(1_500), 1, 5);
        s.advance(Time(2_000));
        assert_eq!(s.rates(0), vec![(Time(0), 3_000.0), (Time(1_000), 0.0)]);
        assert_eq!(s.rates(1)[1], (Time(1_000), 5_000.0));
        s.advance(Time(10_000));
        assert_eq!(s.rates(0), vec![(Time(8_000), 0.0), (Time(9_000), 0.0)]);
    }
}
