//! What Kafka's clients (the producer in `producer`, the consumer in `consumer`) share: the
//! metadata lookup that finds partition leaders.

use super::cluster::Cluster;
use super::msg::{KafkaMsg, PartitionView};
use super::partition::BrokerId;
use super::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;

/// What every Kafka node sends and emits goes through these two.
pub(super) fn send(ctx: &mut Ctx, to: NodeId, m: KafkaMsg) {
    ctx.send(to, m);
}

pub(super) fn emit(ctx: &mut Ctx, e: super::msg::KafkaEvent) {
    ctx.emit(e);
}

/// A client's view of metadata requests: which broker it asked, if it is waiting for one.
#[derive(Clone, Debug, Default)]
pub(super) struct MetadataAsk {
    pub(super) next: usize,
    waiting_on: Option<NodeId>,
    /// Brokers whose connection was reset, and until when to leave them alone
    /// (`reconnect.backoff.max.ms`, 1 s).
    avoid: VecMap<NodeId, Time>,
    /// Generation of the one live metadata timer; firings of older ones are ignored, so re-arming
    /// never multiplies timers.
    timer_gen: u64,
}

impl MetadataAsk {
    /// A fresh lookup that starts with the `next`-th broker (clients start at a random one).
    pub(super) fn starting_at(next: usize) -> MetadataAsk {
        MetadataAsk { next, ..MetadataAsk::default() }
    }

    /// Asks a broker (round-robin over all, as a client with every broker in `bootstrap.servers`)
    /// for metadata, unless a request is already out; if no answer comes, the timer asks the next.
    pub(super) fn ask(&mut self, ctx: &mut Ctx, cluster: &Cluster) {
        if self.waiting_on.is_some() {
            return;
        }
        let n = cluster.brokers.len();
        let pick = (0..n)
            .map(|i| cluster.brokers[(self.next + i) % n])
            .find(|b| self.avoid.get(b).is_none_or(|&t| t <= ctx.now));
        let node = pick.unwrap_or(cluster.brokers[self.next % n]);
        self.next = cluster.brokers.iter().position(|&b| b == node).unwrap_or(0) + 1;
        self.waiting_on = Some(node);
        send(ctx, node, KafkaMsg::Metadata);
        self.arm(ctx, Time::secs(1));
    }

    /// (Re)arms the metadata timer: the previous one, if any, no longer counts.
    pub(super) fn arm(&mut self, ctx: &mut Ctx, after: Time) {
        self.timer_gen += 1;
        ctx.set_timer(after, KafkaTimer::Metadata { generation: self.timer_gen });
    }

    /// Whether a metadata timer firing is the live one.
    pub(super) fn is_live(&self, generation: u64) -> bool {
        generation == self.timer_gen
    }

    /// Whether a connection to `node` may be tried now (not within the reconnect backoff).
    pub(super) fn usable(&self, node: NodeId, now: Time) -> bool {
        self.avoid.get(&node).is_none_or(|&t| t <= now)
    }

    /// An answer came, or the broker asked is gone, or the wait is over.
    pub(super) fn done(&mut self) {
        self.waiting_on = None;
    }

    pub(super) fn lost(&mut self, peer: NodeId, now: Time) -> bool {
        self.avoid.insert(peer, now + Time::secs(1));
        if self.waiting_on == Some(peer) {
            self.waiting_on = None;
            return true;
        }
        false
    }
}

pub(super) fn update_leaders(leaders: &mut VecMap<u16, BrokerId>, topic: u16, states: &[PartitionView]) {
    for s in states.iter().filter(|s| s.tp.topic == topic) {
        match s.leader {
            Some(l) => leaders.insert(s.tp.partition, l),
            None => leaders.remove(&s.tp.partition),
        };
    }
}
