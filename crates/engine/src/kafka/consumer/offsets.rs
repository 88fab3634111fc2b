//! The consumer's offsets: committing the positions it has processed (OffsetCommit), starting
//! from the group's committed offsets (OffsetFetch), and, without one, from `auto.offset.reset`
//! (ListOffsets).

use super::membership::Phase;
use super::{bits, Consumer};
use crate::kafka::cluster::{REQUEST_TIMEOUT, RETRY_BACKOFF};
use crate::kafka::config::OffsetReset;
use crate::kafka::msg::{KafkaEvent, KafkaMsg, OffsetCommitRequest, PositionFrom, Tp};
use crate::kafka::partition::Error;
use crate::kafka::{Ctx, KafkaTimer};

impl Consumer {
    /// Commits the positions it has moved since the last commit (`all`: even unchanged ones).
    pub(super) fn commit(&mut self, ctx: &mut Ctx, all: bool) {
        let Some(m) = &self.member else { return };
        let mask = if all { m.owned } else { m.owned & self.moved() };
        if mask != 0 {
            self.commit_partitions(ctx, mask);
        }
    }

    /// The auto-commit in `poll()`: commits the positions processed so far, and the interval
    /// starts again from now (the client resets its timer at each auto-commit).
    pub(super) fn auto_commit(&mut self, ctx: &mut Ctx) {
        let Some(every) = self.settings().and_then(|g| g.auto_commit) else { return };
        ctx.set_timer(every, KafkaTimer::AutoCommit);
        if self.member.as_ref().is_some_and(|m| m.phase == Phase::Stable && !m.commit_inflight) {
            self.commit(ctx, false);
        }
    }

    fn moved(&self) -> u64 {
        let Some(m) = &self.member else { return 0 };
        self.processed.iter().filter(|(p, o)| m.committed.get(p) != Some(o)).fold(0, |acc, (p, _)| acc | 1 << p)
    }

    /// Sends an OffsetCommit of `mask`'s positions; false if there was nothing to send.
    pub(super) fn commit_partitions(&mut self, ctx: &mut Ctx, mask: u64) -> bool {
        if !self.may_commit() {
            return false;
        }
        let offsets: Vec<(u16, u64)> = bits(mask).filter_map(|p| Some((p, *self.processed.get(&p)?))).collect();
        let Some(m) = &mut self.member else { return false };
        if offsets.is_empty() || m.generation.is_none() || m.coordinator.is_none() {
            return false;
        }
        m.commit_inflight = true;
        let msg = KafkaMsg::OffsetCommit(Box::new(OffsetCommitRequest {
            group: m.group,
            generation: m.generation.unwrap_or(0),
            member: m.member_id.clone(),
            instance: m.instance.clone(),
            offsets,
        }));
        let wait = (m.phase == Phase::Committing).then_some(REQUEST_TIMEOUT);
        self.request(ctx, msg, wait);
        true
    }

    pub(super) fn on_committed(&mut self, ctx: &mut Ctx, result: Result<Vec<(u16, u64)>, Error>) {
        let me = ctx.me;
        let topic = self.topic;
        let Some(m) = &mut self.member else { return };
        m.commit_inflight = false;
        match result {
            Ok(offsets) => {
                for (partition, offset) in offsets {
                    m.committed.insert(partition, offset);
                    let tp = Tp { topic, partition };
                    ctx.emit(KafkaEvent::Committed { group: m.group, consumer: me, tp, offset });
                }
            }
            // ConsumerCoordinator marks the coordinator unknown on these and finds it again.
            Err(Error::NotCoordinator | Error::CoordinatorNotAvailable | Error::RequestTimedOut) => {
                if m.phase != Phase::Committing {
                    return self.coordinator_lost(ctx);
                }
            }
            Err(Error::FencedInstanceId) => return self.fenced(ctx),
            Err(_) => {}
        }
        let m = self.member.as_mut().expect("a member");
        if m.phase == Phase::Committing {
            m.waiting = None;
            self.rejoin_now(ctx);
        }
    }

    pub(super) fn on_offsets(&mut self, ctx: &mut Ctx, result: Result<Vec<(u16, Option<u64>)>, Error>) {
        let me = ctx.me;
        let topic = self.topic;
        let list = match result {
            Ok(list) => list,
            // KIP-447: a transaction holds offsets of these partitions; ask again in a while.
            Err(Error::UnstableOffsetCommit) => return ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RefetchOffsets),
            // Its coordinator moved: fetch the offsets from the next one once it has rejoined.
            Err(_) => return self.coordinator_lost(ctx),
        };
        for (p, committed) in list {
            if !self.reads(p) || self.positions.contains_key(&p) {
                continue;
            }
            let tp = Tp { topic, partition: p };
            match committed {
                Some(offset) => {
                    self.set_position(p, offset);
                    let from = PositionFrom::Committed;
                    ctx.emit(KafkaEvent::PositionSet { consumer: me, tp, offset, from });
                    if let Some(m) = &mut self.member {
                        m.committed.insert(p, offset);
                    }
                }
                None => self.resetting |= 1 << p,
            }
            self.fetch(ctx, p);
        }
        if self.leaders.len() < self.partitions() as usize {
            self.metadata.ask(ctx, &self.cluster);
        }
    }

    pub(super) fn on_list_offsets(&mut self, ctx: &mut Ctx, tp: Tp, result: Result<u64, Error>) {
        let p = tp.partition;
        if self.resetting & (1 << p) == 0 || !self.reads(p) {
            return;
        }
        match result {
            Ok(offset) => {
                self.resetting &= !(1 << p);
                self.set_position(p, offset);
                let from = if self.out_of_range & (1 << p) != 0 {
                    PositionFrom::OutOfRange
                } else if self.settings().is_none_or(|g| g.reset == OffsetReset::Earliest) {
                    PositionFrom::Earliest
                } else {
                    PositionFrom::Latest
                };
                self.out_of_range &= !(1 << p);
                ctx.emit(KafkaEvent::PositionSet { consumer: ctx.me, tp, offset, from });
                self.fetch(ctx, p);
            }
            Err(_) => {
                self.leaders.remove(&p);
                self.by_leader = None;
                self.metadata.ask(ctx, &self.cluster);
                ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition: p });
            }
        }
    }
}
