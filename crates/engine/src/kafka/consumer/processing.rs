//! The application's side of the consumer: one thread processing fetched records one at a time
//! (each taking `processing`, with jitter), `poll()` batches of up to `max.poll.records`, and the
//! poll timeout that makes a member that spends too long on a batch leave its group.

use super::{Consumer, Phase};
use crate::kafka::log::Record;
use crate::kafka::msg::{KafkaEvent, KafkaMsg, Tp};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;

/// `max.poll.records`: what one `poll()` hands the application at most.
const MAX_POLL_RECORDS: u32 = 500;

impl Consumer {
    /// The application is done with a record: it counts as consumed, and as committable.
    pub(super) fn processed_one(&mut self, ctx: &mut Ctx, partition: u16, r: Record) {
        let tp = Tp { topic: self.topic, partition };
        let latency = ctx.now - r.timestamp;
        ctx.emit(KafkaEvent::Consumed { consumer: ctx.me, tp, offset: r.offset, value: r.value, latency });
        self.processed.insert(partition, r.offset + 1);
        if let Some(a) = &mut self.app {
            a.handed.push((partition, r));
        }
    }

    /// Starts on the next fetched record, if any. Taking the first record of a new batch is a
    /// `poll()`: the poll timer (`max.poll.interval.ms`) starts again, and a member that left
    /// because it expired rejoins now.
    pub(super) fn process_next(&mut self, ctx: &mut Ctx) {
        // At a poll, or with nothing left to work on (waiting in poll()): the auto-commit if due.
        if (self.poll_left == 0 || self.backlog.is_empty()) && std::mem::take(&mut self.auto_commit_due) {
            self.auto_commit(ctx);
        }
        if self.poll_left == 0 {
            if self.app_poll_boundary() {
                return;
            }
            if self.poll_expired {
                self.rejoin_after_poll_timeout(ctx);
            }
            if self.backlog.is_empty() {
                return;
            }
            let max = self.app.as_ref().map_or(MAX_POLL_RECORDS, |a| a.max_poll);
            self.poll_left = (self.backlog.len() as u32).min(max);
            if let Some(a) = &mut self.app {
                a.in_batch = true;
            }
            self.poll_gen += 1;
            if let Some(limit) = self.settings().map(|g| g.rebalance_timeout) {
                ctx.set_timer(limit, KafkaTimer::PollTimeout { generation: self.poll_gen });
            }
        }
        if self.backlog.is_empty() {
            return;
        }
        self.poll_left -= 1;
        let (base, jitter) = self.processing;
        let extra = if jitter > Time::ZERO { Time(ctx.rng.below(jitter.0 + 1)) } else { Time::ZERO };
        self.busy = true;
        ctx.set_timer(base + extra, KafkaTimer::Processed { generation: self.process_gen });
    }

    /// The poll timer ran out while the application was still on the same batch: the heartbeat
    /// thread leaves the group ("consumer poll timeout has expired"), and the member forgets its
    /// id and generation; its partitions are lost (its commits would be refused).
    pub(super) fn on_poll_timer(&mut self, ctx: &mut Ctx, generation: u64) {
        let same_poll = generation == self.poll_gen;
        let Some(m) = &mut self.member else { return };
        if !same_poll || !(self.busy || self.poll_left > 0) || m.generation.is_none() {
            return;
        }
        ctx.emit(KafkaEvent::PollTimeout { group: m.group, consumer: ctx.me });
        // Only dynamic members send LeaveGroup (`AbstractCoordinator.maybeLeaveGroup`).
        if m.instance.is_none() {
            let msg = KafkaMsg::LeaveGroup { group: m.group, member: m.member_id.clone() };
            self.request(ctx, msg, None);
        }
        let m = self.member.as_mut().expect("a member");
        m.generation = None;
        m.held_generation = -1;
        m.member_id.clear();
        m.phase = Phase::Unjoined;
        m.waiting = None;
        self.poll_expired = true;
    }

    fn rejoin_after_poll_timeout(&mut self, ctx: &mut Ctx) {
        self.poll_expired = false;
        let me = ctx.me;
        let Some(m) = &self.member else { return };
        if m.owned != 0 {
            let (group, owned) = (m.group, m.owned);
            ctx.emit(KafkaEvent::Revoked { group, consumer: me, partitions: owned, lost: true });
            self.drop_partitions(owned);
        }
        self.join(ctx);
    }

    pub(super) fn on_processed(&mut self, ctx: &mut Ctx, generation: u64) {
        if generation != self.process_gen {
            return;
        }
        self.busy = false;
        if let Some((p, r)) = self.backlog.pop_front() {
            self.processed_one(ctx, p, r);
            if !self.backlog.iter().any(|b| b.0 == p) {
                self.fetch(ctx, p);
            }
        }
        self.process_next(ctx);
    }
}
