//! Fetching from a follower (KIP-392, the consumer's side as `AbstractFetch` and
//! `SubscriptionState` do it): a leader that answers with a preferred read replica sends the
//! consumer's fetches of that partition there until `metadata.max.age.ms` passes, the replica
//! answers with an error (OFFSET_OUT_OF_RANGE: fetch from the leader at once, without resetting
//! the position), its connection is lost or a fetch to it times out; then the leader again. It
//! also counts the bytes it fetched from brokers outside its `client.rack`.

use super::Consumer;
use crate::kafka::cluster::RETRY_BACKOFF;
use crate::kafka::event::ReadReplicaDrop;
use crate::kafka::log::Record;
use crate::kafka::msg::{KafkaEvent, Tp};
use crate::kafka::partition::{BrokerId, Error};
use crate::kafka::rack::METADATA_MAX_AGE;
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;

impl Consumer {
    /// The broker to fetch `partition` from: its preferred read replica while it has one that is
    /// not expired, else `leader`; true when it is a follower. `None`: the replica's connection is
    /// in its reconnect backoff, so the partition waits (Kafka's fetcher skips a partition whose
    /// node "is awaiting reconnect backoff") and looks again after `retry.backoff.ms`.
    pub(super) fn fetch_target(&mut self, ctx: &mut Ctx, partition: u16, leader: BrokerId) -> Option<(BrokerId, bool)> {
        if self.read_replicas.get(&partition).is_some_and(|&(replica, until)| ctx.now >= until || replica == leader) {
            self.read_replicas.remove(&partition);
        }
        let target = self.read_from(partition, leader, ctx.now);
        if target.is_none() {
            ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition });
        }
        target
    }

    /// No leader is known for `partition`. A fetch answered by its read replica after the
    /// leader's connection was lost comes here with nothing else to wake it: look the leader up
    /// again, as Kafka's fetcher requests a metadata update for a partition without a leader.
    /// (Fetches from leaders are retried where they fail.)
    pub(super) fn no_leader(&mut self, ctx: &mut Ctx, partition: u16) {
        if self.read_replicas.contains_key(&partition) {
            self.metadata.ask(ctx, &self.cluster);
            ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition });
        }
    }

    /// The broker `partition` is read from now, as `fetch_target` decides it but changing
    /// nothing: `None` while its read replica's connection is in its reconnect backoff.
    pub(super) fn read_from(&self, partition: u16, leader: BrokerId, now: Time) -> Option<(BrokerId, bool)> {
        match self.read_replicas.get(&partition) {
            Some(&(replica, until)) if now < until && replica != leader => {
                let usable = self.cluster.broker_node(replica).is_some_and(|n| self.metadata.usable(n, now));
                usable.then_some((replica, true))
            }
            _ => Some((leader, false)),
        }
    }

    /// The leader named a preferred read replica for `tp` in its answer: it is fetched from
    /// there next.
    pub(super) fn on_read_replica(&mut self, ctx: &mut Ctx, tp: Tp, leader: BrokerId, replica: BrokerId) {
        self.read_replicas.insert(tp.partition, (replica, ctx.now + METADATA_MAX_AGE));
        ctx.emit(KafkaEvent::ReadReplicaChosen { consumer: ctx.me, tp, replica, leader });
    }

    /// Forgets `partition`'s preferred read replica, if it had one, saying why. True if it had.
    pub(super) fn drop_read_replica(&mut self, ctx: &mut Ctx, partition: u16, why: ReadReplicaDrop) -> bool {
        let Some((replica, _)) = self.read_replicas.remove(&partition) else { return false };
        let tp = Tp { topic: self.topic, partition };
        ctx.emit(KafkaEvent::ReadReplicaDropped { consumer: ctx.me, tp, replica, why });
        true
    }

    /// The connection to `broker` was lost: the partitions read from it go back to their leader.
    pub(super) fn drop_read_replicas_on(&mut self, ctx: &mut Ctx, broker: BrokerId) {
        let on: Vec<u16> = self.read_replicas.iter().filter(|(_, r)| r.0 == broker).map(|(&p, _)| p).collect();
        for p in on {
            self.drop_read_replica(ctx, p, ReadReplicaDrop::Disconnected);
        }
    }

    /// A fetch of `partition` answered with `error`: if it went to a preferred read replica, that
    /// replica is forgotten. True when that is all there is to do — OFFSET_OUT_OF_RANGE from a
    /// follower that lacks the offset yet: fetch from the leader now, keeping the position.
    pub(super) fn read_replica_failed(&mut self, ctx: &mut Ctx, partition: u16, error: Error) -> bool {
        let had = self.drop_read_replica(ctx, partition, ReadReplicaDrop::Error(error));
        had && error == Error::OffsetOutOfRange
    }

    /// Counts the bytes of an answer from `broker` by whether it is in this consumer's rack
    /// (only when both have racks).
    pub(super) fn count_rack_bytes(&mut self, broker: BrokerId, records: &[Record]) {
        let racks = &self.cluster.racks;
        let (Some(mine), Some(theirs)) = (self.rack, racks.of_broker(broker)) else { return };
        let bytes: u64 = records.iter().map(|r| r.size as u64).sum();
        if mine == theirs {
            self.rack_bytes.0 += bytes;
        } else {
            self.rack_bytes.1 += bytes;
        }
    }

    /// Bytes fetched from brokers in its own rack and from other racks.
    pub fn rack_bytes(&self) -> (u64, u64) {
        self.rack_bytes
    }

    /// Its preferred read replica for `partition`, if it reads from one.
    pub fn read_replica(&self, partition: u16) -> Option<BrokerId> {
        self.read_replicas.get(&partition).map(|r| r.0)
    }
}
