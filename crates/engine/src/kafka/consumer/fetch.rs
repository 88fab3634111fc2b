//! The consumer's reading, as `AbstractFetch.prepareFetchRequests` shapes it: one long-poll
//! Fetch per broker, covering every partition it reads from that broker — the partition's leader,
//! or its preferred read replica (`read_replica`, KIP-392: `selectReadReplica` per partition, then
//! grouped by node) — that has a position and no fetched records still waiting to be processed,
//! each from its position; no new fetch to a broker while one to it is out. Each partition's
//! answer is handled on its own: records to the application, a read replica to fetch from next,
//! an out-of-range position to `auto.offset.reset`, an error to a metadata refresh.
//!
//! Simplified: every fetch is a full one (Kafka's consumer keeps an incremental fetch session
//! per broker, KIP-227, as the model's followers do); ListOffsets goes per partition.

use super::Consumer;
use crate::kafka::clients::send;
use crate::kafka::cluster::{FETCH_MAX_WAIT, REQUEST_TIMEOUT, RETRY_BACKOFF};
use crate::kafka::config::OffsetReset;
use crate::kafka::log::Record;
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::{BrokerId, Error};
use crate::kafka::request::{FetchPart, FetchedPartition};
use crate::kafka::txn::partition::{committed_records, AbortedTxn};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::vecmap::VecMap;

impl Consumer {
    /// `partition` may be fetched now: it goes in a fetch to its leader or read replica, with
    /// that broker's other fetchable partitions, unless a fetch to that broker is out (then it
    /// goes in the next one). Without a position it asks for one first (ListOffsets) or waits
    /// for the group's committed offset.
    pub(super) fn fetch(&mut self, ctx: &mut Ctx, partition: u16) {
        if !self.reads(partition) || self.in_fetch(partition) || self.backlog.iter().any(|b| b.0 == partition) {
            return;
        }
        let Some(&leader) = self.leaders.get(&partition) else { return self.no_leader(ctx, partition) };
        let Some(node) = self.cluster.broker_node(leader) else { return };
        if !self.metadata.usable(node, ctx.now) {
            // Its connection was just reset: wait out the reconnect backoff, then look again.
            ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition });
            return;
        }
        if !self.positions.contains_key(&partition) {
            let tp = Tp { topic: self.topic, partition };
            match &self.member {
                // Position unknown: ask the leader where the log starts or ends, if that is the
                // reset policy's job for this partition (else a member's committed offset is on
                // its way).
                _ if self.resetting & (1 << partition) != 0 => {
                    let earliest = self.settings().is_none_or(|g| g.reset == OffsetReset::Earliest);
                    return send(ctx, node, KafkaMsg::ListOffsets { tp, earliest });
                }
                None => self.set_position(partition, 0),
                Some(_) => return,
            }
        }
        // From its preferred read replica, if it has one (`read_replica`).
        let Some((target, _)) = self.fetch_target(ctx, partition, leader) else { return };
        self.fetch_from(ctx, target);
    }

    /// Whether a fetch in flight carries `partition`.
    pub(super) fn in_fetch(&self, partition: u16) -> bool {
        self.carried.contains_key(&partition)
    }

    /// One Fetch to `broker` for every partition read from it now that has a position, is in no
    /// fetch and has no records waiting to be processed (`fetch` found at least one).
    fn fetch_from(&mut self, ctx: &mut Ctx, broker: BrokerId) {
        if self.fetching.contains_key(&broker) {
            return;
        }
        let Some(node) = self.cluster.broker_node(broker).filter(|&n| self.metadata.usable(n, ctx.now)) else { return };
        // The partitions it leads, and those it serves as a preferred read replica.
        let leaders = &self.leaders;
        let by_leader = self.by_leader.get_or_insert_with(|| {
            let mut m: VecMap<BrokerId, Vec<u16>> = VecMap::new();
            for (&p, &l) in leaders.iter() {
                m.get_or_insert_with(l, Vec::new).push(p);
            }
            m
        });
        let mut candidates: Vec<u16> = by_leader.get(&broker).cloned().unwrap_or_default();
        candidates.extend(self.read_replicas.iter().filter(|r| r.1 .0 == broker).map(|r| *r.0));
        candidates.sort_unstable();
        candidates.dedup();
        let mut waiting: Vec<u16> = self.backlog.iter().map(|b| b.0).collect();
        waiting.sort_unstable();
        waiting.dedup();
        let mut parts = Vec::new();
        for partition in candidates {
            let (Some(&offset), Some(&leader)) = (self.positions.get(&partition), self.leaders.get(&partition)) else {
                continue;
            };
            if !self.reads(partition) || self.in_fetch(partition) || waiting.binary_search(&partition).is_ok() {
                continue;
            }
            if let Some((_, to_follower)) = self.read_from(partition, leader, ctx.now).filter(|t| t.0 == broker) {
                parts.push(FetchPart { tp: Tp { topic: self.topic, partition }, offset, to_follower });
            }
        }
        if parts.is_empty() {
            return;
        }
        let generation = self.next_gen;
        self.next_gen += 1;
        for p in &parts {
            self.carried.insert(p.tp.partition, broker);
        }
        self.fetching.insert(broker, (generation, parts.iter().map(|p| p.tp.partition).collect()));
        let (read_committed, rack) = (self.read_committed, self.rack);
        send(ctx, node, KafkaMsg::Fetch { parts, generation, read_committed, rack });
        self.fetch_timeouts.set(ctx, broker, REQUEST_TIMEOUT + FETCH_MAX_WAIT, KafkaTimer::FetchTimeout);
    }

    /// `partition` is fetched no more (revoked): it leaves the fetch that carries it, whose
    /// answer for it will be dropped.
    pub(super) fn fetch_done(&mut self, partition: u16) {
        if let Some(broker) = self.carried.remove(&partition) {
            if let Some(f) = self.fetching.get_mut(&broker) {
                f.1.retain(|&p| p != partition);
            }
        }
    }

    /// The fetch to `broker` was answered or given up: the partitions it carried.
    pub(super) fn fetch_over(&mut self, broker: BrokerId) -> Option<Vec<u16>> {
        self.fetch_timeouts.remove(broker);
        let (_, parts) = self.fetching.remove(&broker)?;
        for p in &parts {
            self.carried.remove(p);
        }
        Some(parts)
    }

    pub(super) fn fetch_all(&mut self, ctx: &mut Ctx) {
        let idle: Vec<u16> = self.leaders.keys().copied().filter(|&p| !self.in_fetch(p)).collect();
        for p in idle {
            self.fetch(ctx, p);
        }
    }

    /// A fetch answered: each partition it carried is handled on its own, then those that may
    /// be fetched again go in the next fetches.
    pub(super) fn on_fetch_response(&mut self, ctx: &mut Ctx, parts: Vec<FetchedPartition>, generation: u64) {
        // Generations are unique: the fetch it answers, if it is still out.
        let Some(broker) = self.fetching.iter().find(|f| f.1 .0 == generation).map(|f| *f.0) else { return };
        let carried = self.fetch_over(broker).unwrap_or_default();
        let mut again = Vec::with_capacity(carried.len());
        for part in parts.into_iter().filter(|p| carried.contains(&p.tp.partition)) {
            let (tp, p) = (part.tp, part.tp.partition);
            if let Some(replica) = part.read_replica {
                self.on_read_replica(ctx, tp, broker, replica);
                again.push(p);
                continue;
            }
            match &part.result {
                Ok((records, _)) => self.count_rack_bytes(broker, records),
                Err(e) if self.read_replica_failed(ctx, p, *e) => {
                    again.push(p);
                    continue;
                }
                Err(_) => {}
            }
            if self.on_fetched(ctx, tp, part.result.map(|(records, _)| (records, part.aborted))) {
                again.push(p);
            }
        }
        if !self.busy {
            self.process_next(ctx);
        }
        for p in again {
            self.fetch(ctx, p);
        }
        // Partitions read from this broker that became fetchable while the answered fetch was
        // out (their records processed meanwhile) go in its next fetch, as the next poll's
        // `sendFetches` takes every fetchable partition.
        self.fetch_from(ctx, broker);
    }

    /// One partition's answer (its records, and for read_committed the aborted transactions
    /// among them): hand its records to the application, or find out why there were none.
    /// Control records (transaction markers) never reach the application; read_committed skips
    /// aborted transactions' records too. The position moves past all of them. True if the
    /// partition is to be fetched again now.
    fn on_fetched(&mut self, ctx: &mut Ctx, tp: Tp, result: Result<(Vec<Record>, Vec<AbortedTxn>), Error>) -> bool {
        match result {
            // Records for a partition it no longer owns are dropped, unread.
            Ok((records, aborted)) if self.reads(tp.partition) => {
                let Some(&start) = self.positions.get(&tp.partition) else { return false };
                let instant = self.processing == (Time::ZERO, Time::ZERO) && self.app.is_none();
                let end = records.last().map(|r| r.offset + 1).filter(|&end| end > start);
                let visible = if self.read_committed {
                    committed_records(&records, &aborted)
                } else {
                    records.into_iter().filter(|r| !r.kind.is_control()).collect()
                };
                // Offsets may have gaps where the log was compacted.
                for r in visible.into_iter().skip_while(|r| r.offset < start) {
                    self.positions.insert(tp.partition, r.offset + 1);
                    if instant {
                        self.processed_one(ctx, tp.partition, r);
                    } else {
                        self.backlog.push_back((tp.partition, r));
                    }
                }
                if let Some(end) = end {
                    // Past the skipped records too; with nothing of the partition left to
                    // process, the application is past them as well (what a commit records).
                    self.positions.insert(tp.partition, end);
                    if (instant || !self.busy) && !self.backlog.iter().any(|b| b.0 == tp.partition) {
                        self.processed.insert(tp.partition, end);
                    }
                }
                true
            }
            Ok(_) => false,
            Err(Error::OffsetOutOfRange) => {
                // Retention deleted its position: start again where auto.offset.reset says.
                self.positions.remove(&tp.partition);
                self.resetting |= 1 << tp.partition;
                self.out_of_range |= 1 << tp.partition;
                true
            }
            Err(_) => {
                self.leaders.remove(&tp.partition);
                self.by_leader = None;
                self.metadata.ask(ctx, &self.cluster);
                ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition: tp.partition });
                false
            }
        }
    }
}
