//! The broker as group coordinator: it hosts a `group::Group` for each group whose
//! `__consumer_offsets` partition it leads (loading its offsets from that partition, to its log
//! end, when it becomes leader, dropping it when it stops), hands the members' requests and the
//! groups' timers to it, and writes offset commits to the partition with acks=all: a commit
//! counts, and is answered, only once replicated — or fails after `offsets.commit.timeout.ms`.

use super::replica_manager::Waiter;
use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::group::{offset_key, Group};
use crate::kafka::msg::{GroupState, JoinGroupRequest, KafkaMsg, OffsetCommitRequest, SyncGroupRequest, Tp};
use crate::kafka::partition::{Acks, Error};
use crate::kafka::Ctx;
use crate::time::Time;
use crate::NodeId;

/// The size of an offset commit record in `__consumer_offsets` (key: group, topic, partition;
/// value: offset, metadata, timestamps), roughly as Kafka writes it.
const OFFSET_RECORD_BYTES: u32 = 100;

/// `offsets.commit.timeout.ms`: how long an offset commit may wait for its replication.
pub(super) const OFFSETS_COMMIT_TIMEOUT: Time = Time::secs(5);

/// What a member is told when its commit's append failed, as `GroupMetadataManager` maps append
/// errors for its members.
fn commit_error(append: Error) -> Error {
    match append {
        Error::NotEnoughReplicas => Error::CoordinatorNotAvailable,
        Error::RequestTimedOut => Error::RequestTimedOut,
        _ => Error::NotCoordinator,
    }
}

impl Broker {
    pub(super) fn on_group_request(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        let cluster = self.cluster.clone();
        let index = match &msg {
            KafkaMsg::JoinGroup(r) => r.group,
            KafkaMsg::SyncGroup(r) => r.group,
            KafkaMsg::OffsetCommit(r) => r.group,
            KafkaMsg::Heartbeat { group, .. }
            | KafkaMsg::LeaveGroup { group, .. }
            | KafkaMsg::OffsetFetch { group, .. } => *group,
            _ => return,
        };
        let (Some(g), Some(cfg)) = (self.groups.get_mut(&index), cluster.groups.get(index as usize)) else {
            let e = Error::NotCoordinator;
            let answer = match msg {
                KafkaMsg::JoinGroup(_) => {
                    KafkaMsg::JoinGroupResponse { group: index, result: Err(e), member: String::new() }
                }
                KafkaMsg::SyncGroup(_) => KafkaMsg::SyncGroupResponse { group: index, result: Err(e) },
                KafkaMsg::Heartbeat { .. } => KafkaMsg::HeartbeatResponse { group: index, error: Some(e) },
                KafkaMsg::OffsetCommit(_) => KafkaMsg::OffsetCommitResponse { group: index, result: Err(e) },
                KafkaMsg::OffsetFetch { .. } => KafkaMsg::OffsetFetchResponse { group: index, result: Err(e) },
                _ => return,
            };
            return send(ctx, from, answer);
        };
        match msg {
            KafkaMsg::JoinGroup(j) => {
                let JoinGroupRequest { member, instance, client, owned, owned_generation, .. } = *j;
                g.join(ctx, cfg, from, (member, instance), &client, (owned, owned_generation))
            }
            KafkaMsg::SyncGroup(s) => {
                let SyncGroupRequest { generation, member, instance, assignment, .. } = *s;
                g.sync(ctx, from, (generation, &member, instance.as_deref()), assignment)
            }
            KafkaMsg::Heartbeat { generation, member, instance, .. } => {
                g.heartbeat(ctx, cfg, from, generation, (&member, instance.as_deref()))
            }
            KafkaMsg::LeaveGroup { member, .. } => g.leave(ctx, cfg, &member),
            KafkaMsg::OffsetFetch { partitions, require_stable, .. } => {
                let unstable = require_stable && g.txn_offsets.unstable(partitions);
                let result = if unstable { Err(Error::UnstableOffsetCommit) } else { Ok(g.committed(partitions)) };
                send(ctx, from, KafkaMsg::OffsetFetchResponse { group: index, result });
            }
            KafkaMsg::OffsetCommit(c) => {
                let OffsetCommitRequest { generation, member, instance, offsets, .. } = *c;
                if let Err(e) = g.check_commit(generation, &member, instance.as_deref()) {
                    return send(ctx, from, KafkaMsg::OffsetCommitResponse { group: index, result: Err(e) });
                }
                self.append_commit(ctx, from, index, offsets);
            }
            _ => {}
        }
    }

    /// A group's timer: its join phase (generation `join`) is over, or (`None`) its members'
    /// sessions are due for a check.
    pub(super) fn on_group_timer(&mut self, ctx: &mut Ctx, index: u8, join: Option<u64>) {
        let cluster = self.cluster.clone();
        let (Some(g), Some(cfg)) = (self.groups.get_mut(&index), cluster.groups.get(index as usize)) else {
            return;
        };
        match join {
            Some(join) => g.on_join_timer(ctx, cfg, join),
            None => g.on_session_timer(ctx, cfg),
        }
    }

    /// A group's coordinator is the leader of its `__consumer_offsets` partition, as this broker
    /// last heard.
    pub(super) fn find_coordinator(&mut self, ctx: &mut Ctx, from: NodeId, group: u8) {
        let leader = self.cluster.offsets_tp(group).and_then(|tp| self.metadata.get(&tp)?.leader);
        let result = leader.ok_or(Error::CoordinatorNotAvailable);
        send(ctx, from, KafkaMsg::FindCoordinatorResponse { group, result });
    }

    /// Writes a commit to the group's `__consumer_offsets` partition with acks=all; the member is
    /// answered (and the offsets count as committed) once the write is replicated.
    pub(super) fn append_commit(&mut self, ctx: &mut Ctx, client: NodeId, group: u8, offsets: Vec<(u16, u64)>) {
        let Some(tp) = self.cluster.offsets_tp(group) else { return };
        let records: Vec<(Option<u32>, u64)> = offsets.iter().map(|&(p, o)| (Some(offset_key(group, p)), o)).collect();
        let waiter = Waiter::Commit { client, group, offsets, txn: None };
        self.append(ctx, tp, Acks::All, (None, OFFSET_RECORD_BYTES, false), &records, waiter);
    }

    /// A commit's append completed (or failed): the offsets count, and the member hears.
    pub(super) fn commit_written(
        &mut self,
        ctx: &mut Ctx,
        client: NodeId,
        group: u8,
        offsets: Vec<(u16, u64)>,
        append: Result<u64, Error>,
    ) {
        let result = match append {
            Ok(_) => {
                if let Some(g) = self.groups.get_mut(&group) {
                    for &(p, o) in &offsets {
                        g.offsets.insert(p, o);
                    }
                }
                Ok(offsets)
            }
            Err(e) => Err(commit_error(e)),
        };
        send(ctx, client, KafkaMsg::OffsetCommitResponse { group, result });
    }

    /// A group's offsets partition came to this broker (load the group) or left it (drop it).
    pub(super) fn groups_follow_leadership(&mut self, ctx: &mut Ctx, tp: Tp) {
        if Some(tp.topic) != self.cluster.offsets_topic {
            return;
        }
        let leading = self.leads(tp);
        let cluster = self.cluster.clone();
        for (i, _) in cluster.groups.iter().enumerate().filter(|(_, g)| g.offsets_partition == tp.partition) {
            let index = i as u8;
            match (leading, self.groups.contains_key(&index)) {
                (true, false) => {
                    let r = self.replicas.get(&tp).expect("leading it");
                    let mut g = Group::load(index, self.id, &r.log.slice(r.log.log_start(), r.log.leo()));
                    g.announce(ctx, GroupState::Empty);
                    self.groups.insert(index, g);
                }
                (false, true) => {
                    if let Some(mut g) = self.groups.remove(&index) {
                        g.announce(ctx, GroupState::Dead);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, replies, view, Harness, CLIENT, CONTROLLER, OFFSETS};
    use super::*;
    use crate::kafka::msg::KafkaEvent;
    use crate::kafka::KafkaTimer;

    /// The member's offset commit answers in `sent`.
    fn commit_answers(sent: &[(NodeId, KafkaMsg)]) -> Vec<Result<Vec<(u16, u64)>, Error>> {
        replies(sent, CLIENT, |m| match m {
            KafkaMsg::OffsetCommitResponse { group: 0, result } => Some(result.clone()),
            _ => None,
        })
    }

    /// Broker 1 coordinates group 0 (it leads its offsets partition, with broker 2 in the ISR),
    /// and a commit of offset 40 for partition 3 waits for broker 2: with the timer that ends the
    /// wait.
    fn waiting_commit() -> (Harness, Broker, KafkaTimer) {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, OFFSETS, 0, vec![1, 2]);
        h.on(&mut b, |b, ctx| b.append_commit(ctx, CLIENT, 0, vec![(3, 40)]));
        let waiting = h.take();
        assert!(commit_answers(&waiting.sent).is_empty());
        let [(OFFSETS_COMMIT_TIMEOUT, timer @ KafkaTimer::CommitTimeout { tp: OFFSETS, .. })] = waiting.timers[..]
        else {
            panic!("{:?}", waiting.timers)
        };
        assert_eq!(b.groups[&0].offsets.get(&3), None, "not committed before it is replicated");
        (h, b, timer)
    }

    #[test]
    fn a_group_comes_and_goes_with_its_offsets_partition_leadership() {
        let mut h = Harness::default();
        let mut b = broker(1);
        let lead = |epoch| KafkaMsg::LeaderAndIsr {
            controller_epoch: 1,
            request: 0,
            states: vec![view(OFFSETS, Some(1), epoch, vec![1])],
        };
        h.message(&mut b, CONTROLLER, lead(0));
        assert!(b.groups.contains_key(&0));
        let state = |e: &KafkaEvent| match *e {
            KafkaEvent::GroupState { group: 0, broker: 1, state, .. } => Some(state),
            _ => None,
        };
        assert_eq!(h.take().events.iter().filter_map(state).collect::<Vec<_>>(), [GroupState::Empty]);
        // Coordinating it already: a new epoch of the same leadership loads nothing again.
        h.message(&mut b, CONTROLLER, lead(1));
        assert!(h.take().events.iter().filter_map(state).next().is_none());
        let follow = KafkaMsg::LeaderAndIsr {
            controller_epoch: 1,
            request: 0,
            states: vec![view(OFFSETS, Some(2), 2, vec![1, 2])],
        };
        h.message(&mut b, CONTROLLER, follow);
        assert!(b.groups.is_empty());
        assert_eq!(h.take().events.iter().filter_map(state).collect::<Vec<_>>(), [GroupState::Dead]);
    }

    #[test]
    fn a_new_coordinator_loads_the_group_to_its_log_end_not_its_high_watermark() {
        // Broker 1 followed the offsets partition: it has a transactional offset commit of
        // producer 7 (partition 3 at 40) and the COMMIT marker, but heard of a HW below the
        // marker (a follower learns the HW a fetch later). The old leader had them replicated,
        // so its group counted the offsets as committed.
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, OFFSETS, 2, 0);
        let log = &mut b.replicas.get_mut(&OFFSETS).unwrap().log;
        log.append_txn_batch(0, &[(Some(offset_key(0, 3)), 40)], (7, 0, 0), OFFSET_RECORD_BYTES, Time::ZERO);
        log.append_marker(0, (7, 0), true, Time::ZERO);
        log.set_hw(1);
        // It becomes leader: as `GroupMetadataManager.loadGroupsAndOffsets` reads to the log end
        // (FetchIsolation.LOG_END), the marker counts and the offset is committed, not left
        // pending for a later ABORT of the same producer id to drop.
        h.lead(&mut b, OFFSETS, 1, vec![1]);
        let g = &b.groups[&0];
        assert_eq!(g.offsets.get(&3), Some(&40));
        assert!(!g.txn_offsets.unstable(1 << 3), "nothing pending");
    }

    #[test]
    fn a_commit_counts_and_is_answered_only_once_replicated() {
        let (mut h, mut b, _) = waiting_commit();
        // Follower 2 fetches past the commit record: the HW covers it.
        let fetch = super::super::testkit::full_fetch(OFFSETS, 1, Some(0), 1);
        h.message(&mut b, NodeId(2), fetch);
        assert_eq!(commit_answers(&h.take().sent), vec![Ok(vec![(3, 40)])]);
        assert_eq!(b.groups[&0].offsets.get(&3), Some(&40));
    }

    #[test]
    fn a_commit_not_replicated_in_time_is_answered_request_timed_out() {
        let (mut h, mut b, timer) = waiting_commit();
        h.timer(&mut b, timer);
        assert_eq!(commit_answers(&h.take().sent), vec![Err(Error::RequestTimedOut)]);
        assert_eq!(b.groups[&0].offsets.get(&3), None);
    }

    #[test]
    fn append_errors_are_told_as_group_errors() {
        assert_eq!(commit_error(Error::NotEnoughReplicas), Error::CoordinatorNotAvailable);
        assert_eq!(commit_error(Error::RequestTimedOut), Error::RequestTimedOut);
        assert_eq!(commit_error(Error::NotLeaderOrFollower), Error::NotCoordinator);
    }

    #[test]
    fn a_broker_that_does_not_coordinate_the_group_says_so() {
        let mut h = Harness::default();
        let mut b = broker(1);
        let commit = KafkaMsg::OffsetCommit(Box::new(OffsetCommitRequest {
            group: 0,
            generation: 1,
            member: "m".into(),
            instance: None,
            offsets: vec![(0, 1)],
        }));
        h.message(&mut b, CLIENT, commit);
        assert_eq!(commit_answers(&h.take().sent), vec![Err(Error::NotCoordinator)]);
        h.message(&mut b, CLIENT, KafkaMsg::Heartbeat { group: 0, generation: 1, member: "m".into(), instance: None });
        let heartbeat = KafkaMsg::HeartbeatResponse { group: 0, error: Some(Error::NotCoordinator) };
        assert_eq!(h.take().sent, vec![(CLIENT, heartbeat)]);
        // Who coordinates it: the offsets partition's leader, once known.
        h.message(&mut b, CLIENT, KafkaMsg::FindCoordinator { group: 0 });
        let unknown = KafkaMsg::FindCoordinatorResponse { group: 0, result: Err(Error::CoordinatorNotAvailable) };
        assert_eq!(h.take().sent, vec![(CLIENT, unknown)]);
        h.follow(&mut b, OFFSETS, 2, 0);
        h.message(&mut b, CLIENT, KafkaMsg::FindCoordinator { group: 0 });
        assert_eq!(h.take().sent, vec![(CLIENT, KafkaMsg::FindCoordinatorResponse { group: 0, result: Ok(2) })]);
    }
}
