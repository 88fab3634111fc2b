//! The consumer's reading: one long-poll fetch in flight per partition it reads, from that
//! partition's leader, and what it does with the answer (records to the application, an
//! out-of-range position to `auto.offset.reset`, an error to a metadata refresh).

use super::Consumer;
use crate::kafka::clients::send;
use crate::kafka::cluster::{FETCH_MAX_WAIT, REQUEST_TIMEOUT, RETRY_BACKOFF};
use crate::kafka::config::OffsetReset;
use crate::kafka::log::Record;
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::Error;
use crate::kafka::txn::partition::{committed_records, AbortedTxn};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;

impl Consumer {
    pub(super) fn fetch(&mut self, ctx: &mut Ctx, partition: u16) {
        // A partition with records still waiting to be processed is not fetched (as Kafka's
        // fetcher skips partitions with buffered data).
        if !self.reads(partition)
            || self.fetching.contains_key(&partition)
            || self.backlog.iter().any(|b| b.0 == partition)
        {
            return;
        }
        let Some(&leader) = self.leaders.get(&partition) else { return self.no_leader(ctx, partition) };
        let Some(node) = self.cluster.broker_node(leader) else { return };
        if !self.metadata.usable(node, ctx.now) {
            // Its connection was just reset: wait out the reconnect backoff, then look again.
            ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition });
            return;
        }
        let tp = Tp { topic: self.topic, partition };
        let offset = match (&self.member, self.positions.get(&partition)) {
            (_, Some(&o)) => o,
            // Position unknown: ask the leader where the log starts or ends, if that is the reset
            // policy's job for this partition (else a member's committed offset is on its way).
            _ if self.resetting & (1 << partition) != 0 => {
                let earliest = self.settings().is_none_or(|g| g.reset == OffsetReset::Earliest);
                return send(ctx, node, KafkaMsg::ListOffsets { tp, earliest });
            }
            (None, None) => {
                self.set_position(partition, 0);
                0
            }
            (Some(_), None) => return,
        };
        // From its preferred read replica, if it has one (`read_replica`).
        let Some((target, to_follower)) = self.fetch_target(ctx, partition, leader) else { return };
        let Some(node) = self.cluster.broker_node(target) else { return };
        let generation = self.next_gen;
        self.next_gen += 1;
        self.fetching.insert(partition, (generation, target));
        let (read_committed, rack) = (self.read_committed, self.rack);
        send(ctx, node, KafkaMsg::Fetch { tp, offset, generation, read_committed, rack, to_follower });
        self.fetch_timeouts.set(ctx, partition, REQUEST_TIMEOUT + FETCH_MAX_WAIT, KafkaTimer::FetchTimeout);
    }

    /// The fetch of `partition` was answered or given up.
    pub(super) fn fetch_done(&mut self, partition: u16) {
        self.fetching.remove(&partition);
        self.fetch_timeouts.remove(partition);
    }

    pub(super) fn fetch_all(&mut self, ctx: &mut Ctx) {
        let idle: Vec<u16> = self.leaders.keys().copied().filter(|p| !self.fetching.contains_key(p)).collect();
        for p in idle {
            self.fetch(ctx, p);
        }
    }

    /// A fetch answered (its records, and for read_committed the aborted transactions among
    /// them): hand its records to the application, or find out why there were none. Control
    /// records (transaction markers) never reach the application; read_committed skips aborted
    /// transactions' records too. The position moves past all of them.
    pub(super) fn on_fetched(
        &mut self,
        ctx: &mut Ctx,
        tp: Tp,
        result: Result<(Vec<Record>, Vec<AbortedTxn>), Error>,
        generation: u64,
    ) {
        if self.fetching.get(&tp.partition).map(|f| f.0) != Some(generation) {
            return;
        }
        self.fetch_done(tp.partition);
        if let Err(e) = &result {
            if self.read_replica_failed(ctx, tp.partition, *e) {
                return;
            }
        }
        match result {
            // Records for a partition it no longer owns are dropped, unread.
            Ok((records, aborted)) if self.reads(tp.partition) => {
                let Some(&start) = self.positions.get(&tp.partition) else { return };
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
                if !self.busy {
                    self.process_next(ctx);
                }
                self.fetch(ctx, tp.partition);
            }
            Ok(_) => {}
            Err(Error::OffsetOutOfRange) => {
                // Retention deleted its position: start again where auto.offset.reset says.
                self.positions.remove(&tp.partition);
                self.resetting |= 1 << tp.partition;
                self.out_of_range |= 1 << tp.partition;
                self.fetch(ctx, tp.partition);
            }
            Err(_) => {
                self.leaders.remove(&tp.partition);
                self.metadata.ask(ctx, &self.cluster);
                ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition: tp.partition });
            }
        }
    }
}
