//! Traffic as rates, for a cluster too large to draw message by message: per link class (producers
//! ↔ brokers, consumers ↔ brokers, between brokers, with ZooKeeper or the controllers) the
//! messages sent, and records produced, appended by each broker as leader, and read — counted in
//! quarter-second buckets of simulated time. Each event costs one bucket increment (`observe`);
//! a rate sums a few buckets when the page renders.

use super::strip::MOVED_FOR;
use brokerlab_engine::kafka::msg::KafkaEvent;
use brokerlab_engine::kernel::{MsgInfo, Process};
use brokerlab_engine::{EventKind, ModelEvents, NodeId, Time, World};
use std::collections::VecDeque;

/// One bucket of simulated time.
pub const BUCKET: Time = Time::ms(250);
/// Buckets kept: the heat strip shows the last `BUCKETS - 1` complete ones (16 × 250 ms = 4 s;
/// the newest bucket is still filling).
pub const BUCKETS: usize = 17;
/// A rate is the mean over this many complete buckets (1 s of simulated time).
pub const RATE_OVER: usize = 4;
/// Heat levels above zero.
pub const HEAT_LEVELS: u8 = 4;

/// What a message's two ends are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A producer and a broker (Produce requests, their answers, metadata).
    Produce,
    /// A consumer and a broker (Fetch, the group protocol, commits).
    Consume,
    /// Two brokers (replica fetches; in ZooKeeper mode also the controller's requests).
    Brokers,
    /// A broker and ZooKeeper or a KRaft controller, or two of those; in KRaft's combined mode
    /// also the quorum's messages between two brokers (one of them runs the controller).
    Metadata,
}

/// The lane `KafkaMsg::info` gives KRaft's quorum messages: Raft among the voters and the brokers'
/// metadata fetches, registrations and heartbeats.
const KRAFT_LANE: u32 = 104;

/// Whether a message between two brokers is one of the KRaft quorum's (to or from a controller
/// that runs in a broker, combined mode), not replication.
fn quorum_msg(info: &MsgInfo) -> bool {
    info.lane == KRAFT_LANE || matches!(info.kind, "alter-partition" | "isr-committed")
}

impl Class {
    pub const ALL: [Class; 4] = [Class::Produce, Class::Consume, Class::Brokers, Class::Metadata];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Producer,
    Consumer,
    Broker,
    Metadata,
    Other,
}

fn class(a: End, b: End) -> Option<Class> {
    use End::*;
    match (a, b) {
        (Producer, Broker) | (Broker, Producer) => Some(Class::Produce),
        (Consumer, Broker) | (Broker, Consumer) => Some(Class::Consume),
        (Broker, Broker) => Some(Class::Brokers),
        (Broker | Metadata, Metadata) | (Metadata, Broker) => Some(Class::Metadata),
        _ => None,
    }
}

type Ring = [u32; BUCKETS];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rates {
    ends: Vec<End>,
    /// KRaft mode: messages of the quorum between brokers count as metadata (combined mode).
    kraft: bool,
    /// Node index → broker slot (its place in the cluster's broker list), `u16::MAX` if none.
    slot: Vec<u16>,
    /// Each user topic's first strip index (`None`: `__consumer_offsets`).
    base: Vec<Option<usize>>,
    /// The newest bucket an event fell in (bucket number = simulated time / `BUCKET`).
    head: u64,
    messages: [Ring; 4],
    produced: Ring,
    read: Ring,
    /// Records each broker appended as leader.
    written: Vec<Ring>,
    /// Re-elections (not a partition's first election) within the last `MOVED_FOR`: when, which.
    elected: VecDeque<(Time, usize)>,
}

impl Rates {
    /// Rates for a cluster the stage aggregates (`super::aggregates`); `None` for any other.
    pub fn for_stage(world: &World) -> Option<Rates> {
        super::aggregates(world).then(|| Rates::new(world))
    }

    pub fn new(world: &World) -> Rates {
        let cluster = world.shared.kafka.as_ref();
        let brokers = cluster.map_or(&[][..], |c| &c.brokers[..]);
        let ends = world
            .nodes
            .iter()
            .map(|s| match s.node.role() {
                "producer" => End::Producer,
                "consumer" => End::Consumer,
                "broker" => End::Broker,
                "zookeeper" | "kraft-controller" => End::Metadata,
                _ => End::Other,
            })
            .collect();
        let slot = (0..world.nodes.len())
            .map(|i| brokers.iter().position(|&b| b == NodeId(i as u32)).map_or(u16::MAX, |p| p as u16))
            .collect();
        let mut base = Vec::new();
        let mut n = 0;
        for (i, t) in cluster.map_or(&[][..], |c| &c.topics[..]).iter().enumerate() {
            if cluster.is_some_and(|c| c.offsets_topic == Some(i as u16)) {
                base.push(None);
            } else {
                base.push(Some(n));
                n += t.partitions as usize;
            }
        }
        Rates {
            ends,
            kraft: cluster.is_some_and(|c| c.kraft.is_some()),
            slot,
            base,
            head: 0,
            messages: [[0; BUCKETS]; 4],
            produced: [0; BUCKETS],
            read: [0; BUCKETS],
            written: vec![[0; BUCKETS]; brokers.len()],
            elected: VecDeque::new(),
        }
    }

    /// Moves the newest bucket to the one `at` falls in, emptying those it passes.
    fn advance(&mut self, at: Time) -> usize {
        let b = at.0 / BUCKET.0;
        if b > self.head {
            let clear = (b - self.head).min(BUCKETS as u64);
            for n in b + 1 - clear..=b {
                let i = (n % BUCKETS as u64) as usize;
                self.messages.iter_mut().for_each(|r| r[i] = 0);
                self.produced[i] = 0;
                self.read[i] = 0;
                self.written.iter_mut().for_each(|r| r[i] = 0);
            }
            self.head = b;
        }
        (b % BUCKETS as u64) as usize
    }

    /// Folds one event in (events come in time order).
    pub fn observe(&mut self, at: Time, kind: &EventKind) {
        let end = |ends: &[End], n: NodeId| ends.get(n.index()).copied().unwrap_or(End::Other);
        match kind {
            EventKind::Sent { from, to, info, .. } => {
                let c = match class(end(&self.ends, *from), end(&self.ends, *to)) {
                    Some(Class::Brokers) if self.kraft && quorum_msg(info) => Some(Class::Metadata),
                    c => c,
                };
                if let Some(c) = c {
                    let i = self.advance(at);
                    self.messages[c as usize][i] += 1;
                }
            }
            EventKind::Model(ModelEvents::Kafka(k)) => match *k {
                KafkaEvent::Produced { .. } => {
                    let i = self.advance(at);
                    self.produced[i] += 1;
                }
                KafkaEvent::Consumed { .. } => {
                    let i = self.advance(at);
                    self.read[i] += 1;
                }
                KafkaEvent::Appended { broker, .. } => {
                    let i = self.advance(at);
                    if let Some(r) = self.written.get_mut((broker as usize).wrapping_sub(1)) {
                        r[i] += 1;
                    }
                }
                KafkaEvent::LeaderElected { tp, epoch, .. } if epoch > 0 => {
                    if let Some(Some(first)) = self.base.get(tp.topic as usize) {
                        while self.elected.front().is_some_and(|(t, _)| t.0 + MOVED_FOR.0 < at.0) {
                            self.elected.pop_front();
                        }
                        self.elected.push_back((at, first + tp.partition as usize));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// Bucket number `n`'s value in `ring` (zero if nothing was counted in it).
    fn value(&self, ring: &Ring, n: u64) -> u32 {
        if n > self.head || n + BUCKETS as u64 <= self.head {
            0
        } else {
            ring[(n % BUCKETS as u64) as usize]
        }
    }

    /// Per simulated second over the last `RATE_OVER` complete buckets before `now` (fewer at the
    /// start of the run; `None` before the first bucket is complete).
    fn rate(&self, ring: &Ring, now: Time) -> Option<u64> {
        let current = now.0 / BUCKET.0;
        let k = (current as usize).min(RATE_OVER);
        if k == 0 {
            return None;
        }
        let sum: u64 = (current - k as u64..current).map(|n| self.value(ring, n) as u64).sum();
        Some(sum * 1_000_000 / (k as u64 * BUCKET.0))
    }

    /// Messages per second between the ends of `class`.
    pub fn messages(&self, class: Class, now: Time) -> Option<u64> {
        self.rate(&self.messages[class as usize], now)
    }

    /// Records per second the producers sent (retries included).
    pub fn produced(&self, now: Time) -> Option<u64> {
        self.rate(&self.produced, now)
    }

    /// Records per second the consumers read.
    pub fn read(&self, now: Time) -> Option<u64> {
        self.rate(&self.read, now)
    }

    /// Records per second the broker in `slot` appended as leader.
    pub fn written(&self, slot: usize, now: Time) -> Option<u64> {
        self.rate(self.written.get(slot)?, now)
    }

    /// Each broker's heat strip: its records appended as leader in each of the last
    /// `BUCKETS - 1` complete buckets (oldest first), as levels 0…`HEAT_LEVELS` of the largest
    /// count any broker had in any of them (0: none at all).
    pub fn heat(&self, now: Time) -> Vec<[u8; BUCKETS - 1]> {
        let current = now.0 / BUCKET.0;
        let first = current.saturating_sub(BUCKETS as u64 - 1);
        let counts: Vec<[u32; BUCKETS - 1]> = self
            .written
            .iter()
            .map(|ring| {
                let mut row = [0; BUCKETS - 1];
                for (j, n) in (first..current).enumerate() {
                    row[j + (BUCKETS - 1) - (current - first) as usize] = self.value(ring, n);
                }
                row
            })
            .collect();
        let max = counts.iter().flatten().copied().max().unwrap_or(0).max(1);
        counts
            .iter()
            .map(|row| row.map(|v| if v == 0 { 0 } else { (v * HEAT_LEVELS as u32).div_ceil(max) as u8 }))
            .collect()
    }

    /// Strip indices of the partitions re-elected at or after `since` (each once).
    pub fn moved_since(&self, since: u64) -> Vec<usize> {
        let mut out: Vec<usize> = self.elected.iter().filter(|(t, _)| t.0 >= since).map(|(_, k)| *k).collect();
        brokerlab_engine::sort::sort(&mut out);
        out.dedup();
        out
    }
}
