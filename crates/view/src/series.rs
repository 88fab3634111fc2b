//! Bounded series for the live charts, so a chart costs the same after an hour as after a second:
//! - `Series`: counts per bucket of simulated time (rates), the last `capacity` buckets;
//! - `Latencies`: latency samples per bucket (at most `SAMPLES` each), for p50/p99 per bucket;
//! - `Gauges`: values sampled once per bucket (lag, ISR sizes), the last `capacity` samples.

use crate::i18n::en;
use brokerlab_engine::Time;
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

/// Everything the charts show, folded from events and sampled from the world.
#[derive(Clone, Debug)]
pub struct Meters {
    /// Lines: published/s, consumed/s, dropped/s.
    pub rates: Series,
    /// End-to-end latencies (publish to consumer).
    pub latency: Latencies,
    /// Kafka: total lag per consumer group.
    pub lag: Gauges,
    /// Kafka: under-replicated partitions, offline partitions, average ISR size.
    pub replication: Gauges,
    /// RabbitMQ: messages ready and unacknowledged over all queues.
    pub depth: Gauges,
    /// RabbitMQ: acks, rejections (nack/reject) and dead-letterings per second.
    pub settles: Series,
    /// RabbitMQ: per queue, messages in, out and acked over the last five seconds (the
    /// management overview's rates).
    pub queues: super::rabbit::overview::QueueRates,
}

pub const SETTLE_LINES: [&str; 3] = [en("acked/s"), en("rejected/s"), en("dead-lettered/s")];

pub const RATE_LINES: [&str; 3] = [en("published/s"), en("consumed/s"), en("dropped/s")];

impl Meters {
    pub fn new(width: Time, capacity: usize) -> Meters {
        Meters {
            rates: Series::new(width, capacity, RATE_LINES.len()),
            latency: Latencies::new(width, capacity),
            lag: Gauges::new(width, capacity),
            replication: Gauges::new(width, capacity),
            depth: Gauges::new(width, capacity),
            settles: Series::new(width, capacity, SETTLE_LINES.len()),
            queues: Default::default(),
        }
    }

    pub fn observe(&mut self, e: &brokerlab_engine::Event) {
        use brokerlab_engine::kernel::event::Flow;
        use brokerlab_engine::rabbit::event::RabbitEvent;
        self.queues.observe(e);
        if let brokerlab_engine::EventKind::Model(brokerlab_engine::models::ModelEvents::Rabbit(r)) = e.kind {
            let settled = match r {
                RabbitEvent::Acked { .. } => Some(0),
                RabbitEvent::Rejected { .. } => Some(1),
                RabbitEvent::DeadLettered { .. } => Some(2),
                _ => None,
            };
            if let Some(line) = settled {
                self.settles.add(e.at, line, 1);
            }
        }
        let line = match (e.flow(), e.kind) {
            (Some(Flow::Published), _) => 0,
            (Some(Flow::Consumed(latency)), _) => {
                self.latency.add(e.at, latency);
                1
            }
            (_, brokerlab_engine::EventKind::Dropped { .. }) => 2,
            _ => return,
        };
        self.rates.add(e.at, line, 1);
    }

    /// Moves the series to the world's time and samples the gauges when due.
    pub fn sample(&mut self, world: &brokerlab_engine::World) {
        let now = world.now;
        self.rates.advance(now);
        self.latency.advance(now);
        self.settles.advance(now);
        if let Some((_, b)) = super::rabbit::broker(world) {
            if self.depth.due(now) {
                let ready: u32 = (0..b.names.queues.len() as u16).map(|q| b.queue(q).map_or(0, |q| q.ready())).sum();
                self.depth.push(now, vec![ready as f64, b.deliveries().count() as f64]);
            }
        }
        let Some(c) = &world.shared.kafka else { return };
        if self.lag.due(now) {
            let lags =
                (0..c.groups.len() as u8).map(|g| super::kafka::group_lag(world, g).unwrap_or(0) as f64).collect();
            self.lag.push(now, lags);
        }
        if self.replication.due(now) {
            let r = super::kafka::replication(world);
            self.replication.push(now, vec![r.under_replicated as f64, r.offline as f64, r.avg_isr]);
        }
    }
}

/// Latency samples kept per bucket: enough for a p99 that means something, bounded.
pub const SAMPLES: usize = 512;

#[derive(Clone, Debug)]
pub struct Latencies {
    width: Time,
    capacity: usize,
    newest: u64,
    buckets: VecDeque<Vec<u32>>,
}

impl Latencies {
    pub fn new(width: Time, capacity: usize) -> Latencies {
        Latencies {
            width: Time(width.0.max(1)),
            capacity: capacity.max(1),
            newest: 0,
            buckets: VecDeque::from([vec![]]),
        }
    }

    pub fn advance(&mut self, now: Time) {
        let target = now.0 / self.width.0;
        if target <= self.newest {
            return;
        }
        for _ in 0..(target - self.newest).min(self.capacity as u64) {
            self.buckets.push_back(vec![]);
            if self.buckets.len() > self.capacity {
                self.buckets.pop_front();
            }
        }
        self.newest = target;
    }

    pub fn add(&mut self, at: Time, latency: Time) {
        self.advance(at);
        if let Some(b) = self.buckets.back_mut().filter(|b| b.len() < SAMPLES) {
            b.push(latency.0.min(u32::MAX as u64) as u32);
        }
    }

    /// `(bucket start, percentile in ms)` per complete bucket that has samples.
    pub fn percentile(&self, per_mille: usize) -> Vec<(Time, f64)> {
        let first = self.newest + 1 - self.buckets.len() as u64;
        let complete = self.buckets.len().saturating_sub(1);
        self.buckets
            .iter()
            .take(complete)
            .enumerate()
            .filter(|(_, b)| !b.is_empty())
            .map(|(i, b)| {
                let mut v = b.clone();
                brokerlab_engine::sort::sort(&mut v);
                let rank = (v.len() * per_mille).div_ceil(1000).clamp(1, v.len());
                (Time((first + i as u64) * self.width.0), v[rank - 1] as f64 / 1_000.0)
            })
            .collect()
    }
}

/// Values sampled every `every` of simulated time; the last `capacity` samples.
#[derive(Clone, Debug)]
pub struct Gauges {
    every: Time,
    capacity: usize,
    next_at: Time,
    pub points: VecDeque<(Time, Vec<f64>)>,
}

impl Gauges {
    pub fn new(every: Time, capacity: usize) -> Gauges {
        Gauges { every: Time(every.0.max(1)), capacity: capacity.max(1), next_at: Time::ZERO, points: VecDeque::new() }
    }

    /// Whether a sample is due at `now`.
    pub fn due(&self, now: Time) -> bool {
        now >= self.next_at
    }

    pub fn push(&mut self, now: Time, values: Vec<f64>) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back((now, values));
        self.next_at = Time((now.0 / self.every.0 + 1) * self.every.0);
    }

    /// One line: `(time, value)` of line `i` in every sample that has it.
    pub fn line(&self, i: usize) -> Vec<(Time, f64)> {
        self.points.iter().filter_map(|(t, v)| v.get(i).map(|&x| (*t, x))).collect()
    }
}

/// Frame times recorded by the page's own benchmark (`?bench=frames`): a warm-up, then `frames`
/// frames' intervals (what the eye sees), work (simulating, folding, drawing) and messages in flight.
#[derive(Clone, Debug, Default)]
pub struct FrameLog {
    pub warmup: usize,
    pub frames: usize,
    seen: usize,
    intervals: Vec<f64>,
    work: Vec<f64>,
    in_flight: Vec<usize>,
}

/// The value at or below which `per_mille`/1000 of `v` lie (nearest rank); 0 when empty.
pub fn percentile(v: &[f64], per_mille: usize) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    brokerlab_engine::sort::sort_by(&mut s, |a, b| a.total_cmp(b));
    s[(s.len() * per_mille).div_ceil(1000).clamp(1, s.len()) - 1]
}

impl FrameLog {
    pub fn new(warmup: usize, frames: usize) -> FrameLog {
        FrameLog { warmup, frames, ..FrameLog::default() }
    }

    /// Records one frame; true once enough are recorded.
    pub fn record(&mut self, interval_ms: f64, work_ms: f64, in_flight: usize) -> bool {
        self.seen += 1;
        if self.seen > self.warmup && self.intervals.len() < self.frames {
            self.intervals.push(interval_ms);
            self.work.push(work_ms);
            self.in_flight.push(in_flight);
        }
        self.done()
    }

    pub fn done(&self) -> bool {
        self.intervals.len() >= self.frames
    }

    /// One JSON line with the figures.
    pub fn summary(&self) -> String {
        let avg = self.in_flight.iter().sum::<usize>() as f64 / self.in_flight.len().max(1) as f64;
        format!(
            "{{\"frames\":{},\"frame_ms_p50\":{:.2},\"frame_ms_p95\":{:.2},\"work_ms_p50\":{:.2},\"work_ms_p95\":{:.2},\"in_flight_avg\":{:.0},\"in_flight_min\":{}}}",
            self.intervals.len(),
            percentile(&self.intervals, 500),
            percentile(&self.intervals, 950),
            percentile(&self.work, 500),
            percentile(&self.work, 950),
            avg,
            self.in_flight.iter().min().copied().unwrap_or(0)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rabbitmq_queue_depth_and_settle_rates_are_sampled() {
        let scenario = brokerlab_engine::presets::load("rabbit-basic").unwrap();
        let mut sim = brokerlab_engine::Simulation::new(&scenario, 1).unwrap();
        let mut m = Meters::new(Time::ms(20), 60);
        let mut peak_ready = 0.0f64;
        while sim.now() < Time::ms(290) && sim.step() {
            for e in sim.drain_events() {
                m.observe(&e);
            }
            m.sample(sim.world());
            peak_ready = m.depth.line(0).iter().map(|p| p.1).fold(peak_ready, f64::max);
        }
        assert!(peak_ready >= 1.0, "some queue holds messages (shipping is capped at 20, lost-and-found grows)");
        let acked: f64 = m.settles.rates(0).iter().map(|p| p.1).sum();
        let rejected: f64 = m.settles.rates(1).iter().map(|p| p.1).sum();
        let dead: f64 = m.settles.rates(2).iter().map(|p| p.1).sum();
        assert!(acked > 0.0 && rejected > 0.0 && dead > 0.0, "acks, the biller's rejects and their dead letters");
    }

    #[test]
    fn frame_log_keeps_the_frames_after_warm_up() {
        let mut f = FrameLog::new(2, 4);
        assert!(!f.record(100.0, 50.0, 0) && !f.record(100.0, 50.0, 0), "warm-up frames are not kept");
        for i in 1..=3 {
            assert!(!f.record(16.0 + i as f64, 2.0, 2_000));
        }
        assert!(f.record(40.0, 9.0, 1_000));
        assert!(f.record(1.0, 1.0, 1), "more frames change nothing");
        assert_eq!(percentile(&f.intervals, 500), 18.0);
        assert_eq!(percentile(&f.intervals, 950), 40.0);
        assert!(f.summary().contains("\"in_flight_avg\":1750"), "{}", f.summary());
    }

    #[test]
    fn meters_fold_a_kafka_run() {
        use brokerlab_engine::{presets, Simulation};
        let mut sim = Simulation::new(&presets::load("kafka-basic").unwrap(), 1).unwrap();
        let mut m = Meters::new(Time::ms(500), 60);
        for t in 1..=16 {
            sim.run_until(Time::ms(500 * t));
            let events: Vec<_> = sim.drain_events().collect();
            events.iter().for_each(|e| m.observe(e));
            m.sample(sim.world());
        }
        assert!(m.rates.rates(0).iter().any(|(_, r)| *r > 0.0), "records published");
        assert!(!m.latency.percentile(990).is_empty(), "latencies measured");
        // b1 dies at 3 s: the ISRs shrink, so some sample shows under-replicated partitions.
        assert!(m.replication.line(0).iter().any(|(_, u)| *u > 0.0));
        assert_eq!(m.replication.line(2).first().map(|p| p.1), Some(3.0), "ISR of 3 at the start");
        let groups = sim.world().shared.kafka.as_ref().unwrap().groups.len();
        assert!(m.lag.points.iter().all(|(_, v)| v.len() == groups), "one lag line per group");
    }

    #[test]
    fn latency_percentiles_per_bucket_and_bounded() {
        let mut l = Latencies::new(Time::ms(1), 3);
        for i in 1..=100 {
            l.add(Time(10), Time(i * 1_000));
        }
        for _ in 0..(SAMPLES + 50) {
            l.add(Time(1_500), Time(2_000));
        }
        l.advance(Time(2_100));
        let p50 = l.percentile(500);
        assert_eq!(p50, vec![(Time(0), 50.0), (Time(1_000), 2.0)]);
        assert_eq!(l.percentile(990)[0], (Time(0), 99.0));
        assert!(l.buckets[1].len() == SAMPLES, "samples per bucket are capped");
        l.advance(Time(50_000));
        assert!(l.percentile(500).is_empty(), "old buckets fall off; empty ones give no point");
    }

    #[test]
    fn gauges_sample_once_per_period_and_keep_the_last_ones() {
        let mut g = Gauges::new(Time::ms(1), 2);
        assert!(g.due(Time::ZERO));
        g.push(Time(10), vec![1.0, 2.0]);
        assert!(!g.due(Time(999)) && g.due(Time(1_000)));
        g.push(Time(1_000), vec![3.0]);
        g.push(Time(2_500), vec![5.0, 6.0]);
        assert_eq!(g.line(0), vec![(Time(1_000), 3.0), (Time(2_500), 5.0)]);
        assert_eq!(g.line(1), vec![(Time(2_500), 6.0)]);
    }

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
