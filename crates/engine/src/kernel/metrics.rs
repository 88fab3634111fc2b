//! Counters and latency histograms folded from the event stream, for summaries and charts.

use super::event::{Event, EventKind, Flow, ModelEvent};
use super::time::Time;

/// A log-linear histogram of microsecond values: 8 sub-buckets per power of two, so any percentile
/// it reports is within 12.5% of the true value, in fixed memory and integer arithmetic only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

const SUB_BITS: u32 = 3;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS + 1) as usize) * SUB as usize;

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: vec![0; BUCKETS], total: 0, max: 0 }
    }
}

impl Histogram {
    fn bucket(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb - SUB_BITS;
        ((shift as u64 + 1) * SUB + ((v >> shift) & (SUB - 1))) as usize
    }

    /// The largest value that falls in bucket `i`.
    fn bucket_high(i: usize) -> u64 {
        let i = i as u64;
        if i < SUB {
            return i;
        }
        let shift = i / SUB - 1;
        let low = (SUB + i % SUB) << shift;
        low + ((1u64 << shift) - 1)
    }

    pub fn record(&mut self, t: Time) {
        self.counts[Self::bucket(t.0)] += 1;
        self.total += 1;
        self.max = self.max.max(t.0);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> Time {
        Time(self.max)
    }

    /// The value at or below which `per_mille`/1000 of the samples lie (upper bound of its bucket,
    /// never above the maximum seen). `None` when empty.
    pub fn percentile(&self, per_mille: u64) -> Option<Time> {
        if self.total == 0 {
            return None;
        }
        let rank = (self.total * per_mille).div_ceil(1000).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Time(Self::bucket_high(i).min(self.max)));
            }
        }
        Some(Time(self.max))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub events: u64,
    pub sent: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub published: u64,
    pub acked: u64,
    pub consumed: u64,
    /// Records sent again, errors answered to producers, leader elections (and unclean ones).
    pub retries: u64,
    pub errors: u64,
    /// Records a producer gave up on (their delivery timeout passed).
    pub expired: u64,
    pub elections: u64,
    pub unclean_elections: u64,
    pub ack_latency: Histogram,
    pub e2e_latency: Histogram,
}

impl Metrics {
    #[inline(always)]
    pub fn observe<E: ModelEvent>(&mut self, e: &Event<E>) {
        self.events += 1;
        match e.flow() {
            Some(Flow::Published) => self.published += 1,
            Some(Flow::Acked(latency)) => {
                self.acked += 1;
                self.ack_latency.record(latency);
            }
            Some(Flow::Consumed(latency)) => {
                self.consumed += 1;
                self.e2e_latency.record(latency);
            }
            Some(Flow::Retried) => self.retries += 1,
            Some(Flow::Failed) => self.errors += 1,
            Some(Flow::Expired) => self.expired += 1,
            Some(Flow::Elected { unclean }) => {
                self.elections += 1;
                self.unclean_elections += unclean as u64;
            }
            None => {}
        }
        match e.kind {
            EventKind::Sent { .. } => self.sent += 1,
            EventKind::Delivered { .. } => self.delivered += 1,
            EventKind::Dropped { .. } => self.dropped += 1,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        for v in (0..5_000u64).chain([u64::MAX / 3, u64::MAX]) {
            let b = Histogram::bucket(v);
            assert!(Histogram::bucket_high(b) >= v, "{v} above its bucket {b}");
            if b > 0 {
                assert!(Histogram::bucket_high(b - 1) < v, "{v} belongs in an earlier bucket");
            }
        }
    }

    #[test]
    fn percentiles_within_an_eighth() {
        let mut h = Histogram::default();
        for v in 1..=1000 {
            h.record(Time(v));
        }
        let p50 = h.percentile(500).unwrap().0;
        let p99 = h.percentile(990).unwrap().0;
        assert!((500..=563).contains(&p50), "{p50}");
        assert!((990..=1000).contains(&p99), "{p99}");
        assert_eq!(h.percentile(1000), Some(Time(1000)));
        assert_eq!(Histogram::default().percentile(500), None);
    }
}
