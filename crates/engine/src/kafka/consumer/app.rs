//! The consumer inside a processor (a consume-transform-produce application): the records the
//! application has processed are handed to it (`handed`), it learns when a `poll()` batch is done
//! (`batch_ended`), and it holds the next poll (`hold`) while it commits the batch. Its offsets
//! are committed by the application only (no auto-commit, no commit on revocation): inside the
//! transaction with exactly-once, by OffsetCommit after a flush with at-least-once.

use super::{bits, Consumer, Phase};
use crate::kafka::log::Record;
use crate::kafka::msg::KafkaMsg;
use crate::kafka::producer::GroupMeta;
use crate::kafka::Ctx;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppLink {
    /// `max.poll.records`.
    pub max_poll: u32,
    /// Records processed and not yet taken by the application.
    pub handed: Vec<(u16, Record)>,
    /// A poll batch is being processed.
    pub in_batch: bool,
    /// The last poll batch is done: the application commits it before the next poll.
    pub batch_ended: bool,
    /// The application is not ready for the next poll.
    pub hold: bool,
    /// The application itself is committing (OffsetCommit of an at-least-once processor).
    committing: bool,
}

impl AppLink {
    pub fn new(max_poll: u32) -> AppLink {
        AppLink { max_poll, ..AppLink::default() }
    }
}

impl Consumer {
    /// Inside a processor, taking at most `max_poll` records per poll.
    pub fn with_app(mut self, max_poll: u32) -> Consumer {
        self.app = Some(AppLink::new(max_poll));
        self
    }

    /// At a poll: true if the application stops it here (a batch just ended, or it holds polls).
    pub(super) fn app_poll_boundary(&mut self) -> bool {
        let Some(a) = &mut self.app else { return false };
        if a.in_batch {
            a.in_batch = false;
            a.batch_ended = true;
            return true;
        }
        a.hold
    }

    /// Whether a commit may go now: never on its own inside a processor.
    pub(super) fn may_commit(&self) -> bool {
        self.app.as_ref().is_none_or(|a| a.committing)
    }

    /// The application lets the next poll happen.
    pub fn resume(&mut self, ctx: &mut Ctx) {
        if let Some(a) = &mut self.app {
            a.hold = false;
        }
        if !self.busy {
            self.process_next(ctx);
        }
    }

    /// `groupMetadata()`: what a TxnOffsetCommit carries for KIP-447's fencing; none while the
    /// member has no generation.
    pub fn group_meta(&self) -> Option<GroupMeta> {
        let m = self.member.as_ref()?;
        Some(GroupMeta {
            group: m.group,
            generation: m.generation?,
            member: m.member_id.clone(),
            instance: m.instance.clone(),
        })
    }

    /// The partitions it owns now (a 64-bit set).
    pub fn owned(&self) -> u64 {
        self.member.as_ref().map_or(0, |m| m.owned)
    }

    /// OffsetCommit of the positions processed of `mask`'s partitions (an at-least-once
    /// processor, once its output is flushed); false if nothing was sent.
    pub fn commit_processed(&mut self, ctx: &mut Ctx, mask: u64) -> bool {
        if let Some(a) = &mut self.app {
            a.committing = true;
        }
        let sent = self.commit_partitions(ctx, mask);
        if let Some(a) = &mut self.app {
            a.committing = false;
        }
        sent
    }

    /// The group's committed offsets moved with a transaction the application committed.
    pub fn note_committed(&mut self, offsets: &[(u16, u64)]) {
        if let Some(m) = &mut self.member {
            for &(p, o) in offsets {
                m.committed.insert(p, o);
            }
        }
    }

    /// Whether an OffsetCommit is in flight.
    pub fn commit_in_flight(&self) -> bool {
        self.member.as_ref().is_some_and(|m| m.commit_inflight)
    }

    /// After an aborted transaction: forget what was fetched and processed of the partitions it
    /// owns and start again from the group's committed offsets (what Kafka Streams does when it
    /// closes a task dirty and revives it).
    pub fn rewind(&mut self, ctx: &mut Ctx) {
        let owned = self.owned();
        self.drop_partitions(owned);
        if let Some(m) = &mut self.member {
            m.owned = owned; // still its partitions: only what it read of them is forgotten
        }
        self.poll_left = 0;
        self.busy = false;
        self.process_gen += 1;
        self.backlog.clear();
        if let Some(a) = &mut self.app {
            a.handed.clear();
            a.in_batch = false;
            a.batch_ended = false;
        }
        self.refetch_offsets(ctx);
    }

    /// OffsetFetch of the owned partitions without a position (`RefetchOffsets`).
    pub(super) fn refetch_offsets(&mut self, ctx: &mut Ctx) {
        let Some(m) = &self.member else { return };
        if m.phase != Phase::Stable {
            return; // the rejoin fetches them
        }
        let missing = bits(m.owned).filter(|p| !self.positions.contains_key(p)).fold(0u64, |acc, p| acc | 1 << p);
        if missing != 0 {
            let msg =
                KafkaMsg::OffsetFetch { group: m.group, partitions: missing, require_stable: self.read_committed };
            self.request(ctx, msg, None);
        }
    }
}
