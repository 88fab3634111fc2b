//! Static membership (KIP-345, Kafka 2.3+), as the classic `GroupCoordinator` runs it: a member
//! with a `group.instance.id` is known by it across restarts.
//!
//! - Joining with no member id, it is not sent MEMBER_ID_REQUIRED: an unknown instance joins at
//!   once as a new member (and the group rebalances); a known one takes its old place under a new
//!   member id (`updateStaticMemberAndRebalance`). In a Stable group nothing else changes — the
//!   coordinator answers the join with the current generation and the *old* leader id (so the
//!   member does not run the assignor), and its SyncGroup gets the assignment it had: no rebalance.
//!   In CompletingRebalance the group rebalances again; in PreparingRebalance it simply joins it.
//! - The member id it replaced is fenced: a request naming that instance with another member id
//!   is answered FENCED_INSTANCE_ID (a second consumer configured with the same instance id, or
//!   the old process if it was not dead), and its own waiting join or sync is answered so too.
//! - A static member never sends LeaveGroup (the consumer's side); only `session.timeout.ms`
//!   without a heartbeat removes it, and then the group rebalances as for any member.

use super::{Group, Settings};
use crate::kafka::clients::send as reply;
use crate::kafka::msg::{GroupState, Joined, KafkaEvent, KafkaMsg};
use crate::kafka::partition::Error;
use crate::kafka::Ctx;
use crate::NodeId;

impl Group {
    /// Whether a request from `member` naming `instance` comes from a fenced member: the
    /// instance is known here under another member id (`isStaticMemberFenced`).
    pub(super) fn fenced(&self, instance: Option<&str>, member: &str) -> bool {
        let Some(instance) = instance else { return false };
        self.members.iter().any(|m| m.instance.as_deref() == Some(instance) && m.id != member)
    }

    /// JoinGroup with a `group.instance.id` and no member id (`doStaticJoin`).
    pub(super) fn static_join(
        &mut self,
        ctx: &mut Ctx,
        cfg: &Settings,
        from: NodeId,
        instance: String,
        owned: (u64, i32),
    ) {
        // Kafka names a static member `<group.instance.id>-<UUID>`.
        let id = format!("{instance}-{}", self.next_id);
        self.next_id += 1;
        let Some(i) = self.members.iter().position(|m| m.instance.as_deref() == Some(instance.as_str())) else {
            return self.add_member(ctx, cfg, from, (id, Some(instance)), owned);
        };
        let leader_before = self.leader.clone().unwrap_or_default();
        let index = self.index;
        let m = &mut self.members[i];
        let old_id = std::mem::replace(&mut m.id, id.clone());
        let old_node = std::mem::replace(&mut m.node, from);
        m.last_heartbeat = ctx.now;
        // What the replaced member still waits for is answered FENCED_INSTANCE_ID (a process
        // that restarted on the same node has no such request left).
        if old_node != from {
            if m.awaiting_join {
                let e = KafkaMsg::JoinGroupResponse {
                    group: index,
                    result: Err(Error::FencedInstanceId),
                    member: old_id.clone(),
                };
                reply(ctx, old_node, e);
            }
            if m.awaiting_sync {
                reply(
                    ctx,
                    old_node,
                    KafkaMsg::SyncGroupResponse { group: index, result: Err(Error::FencedInstanceId) },
                );
            }
        }
        m.awaiting_sync = false;
        if self.leader.as_deref() == Some(old_id.as_str()) {
            self.leader = Some(id.clone());
        }
        match self.state {
            GroupState::Stable => {
                // The assignment stands; the old leader id keeps the member from assigning.
                let generation = self.generation;
                let joined = Joined { generation, member: id, leader: leader_before, members: vec![] };
                reply(
                    ctx,
                    from,
                    KafkaMsg::JoinGroupResponse { group: index, result: Ok(Box::new(joined)), member: String::new() },
                );
                ctx.emit(KafkaEvent::StaticMemberRejoined { group: index, consumer: from, generation });
            }
            GroupState::CompletingRebalance => {
                self.rejoining(i, owned);
                self.prepare_rebalance(ctx, cfg);
                self.try_complete_join(ctx, cfg);
            }
            GroupState::PreparingRebalance | GroupState::Empty | GroupState::Dead => {
                self.rejoining(i, owned);
                self.try_complete_join(ctx, cfg);
            }
        }
    }

    /// Member `i` waits for the join phase's end with what it holds.
    fn rejoining(&mut self, i: usize, (owned, owned_generation): (u64, i32)) {
        let m = &mut self.members[i];
        m.awaiting_join = true;
        m.owned = owned;
        m.owned_generation = owned_generation;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::config::KafkaSpec;
    use crate::kafka::msg::{JoinGroupRequest, RemoveReason};
    use crate::kafka::Kafka;
    use crate::kernel::ctx::Effect;
    use crate::kernel::rng::Rng;
    use crate::time::Time;

    /// Runs a group's handlers as its coordinator (node 1) would, and reads back what they did.
    struct Recorder {
        now: Time,
        rng: Rng,
        effects: Vec<Effect<Kafka>>,
    }

    #[derive(Debug, Default)]
    struct Done {
        sent: Vec<(NodeId, KafkaMsg)>,
        events: Vec<KafkaEvent>,
    }

    impl Default for Recorder {
        fn default() -> Self {
            Recorder { now: Time::ZERO, rng: Rng::new(1), effects: vec![] }
        }
    }

    impl Recorder {
        fn on(&mut self, f: impl FnOnce(&mut Ctx)) {
            let mut ctx = Ctx::new(self.now, NodeId(1), &mut self.rng, &mut self.effects);
            f(&mut ctx);
        }

        fn at(&mut self, t: Time) {
            self.now = t;
        }

        fn take(&mut self) -> Done {
            let mut done = Done::default();
            for e in self.effects.drain(..) {
                match e {
                    Effect::Send { to, msg } => done.sent.push((to, msg)),
                    Effect::Emit(e) => done.events.push(e),
                    Effect::Timer { .. } | Effect::Close { .. } => {}
                }
            }
            done
        }
    }

    const A: NodeId = NodeId(10);
    const B: NodeId = NodeId(11);

    fn settings() -> Settings {
        let spec: KafkaSpec = serde_json::from_str(
            r#"{"brokers":1,"topics":[{"name":"t","partitions":4,"replication_factor":1}],
                "groups":[{"id":"g","session_timeout":"10s"}],"group_initial_rebalance_delay":"0ms"}"#,
        )
        .expect("a valid spec");
        crate::kafka::cluster::Cluster::new(&spec, 0).groups[0].clone()
    }

    /// A Stable group of two static members, `a` (the leader) and `b`, with partitions {0,1}
    /// and {2,3} in generation 1.
    fn stable(r: &mut Recorder, cfg: &Settings) -> Group {
        let mut g = Group::load(0, 1, &[]);
        r.on(|ctx| g.join(ctx, cfg, A, (String::new(), Some("a".into())), "ca", (0, -1)));
        r.on(|ctx| g.join(ctx, cfg, B, (String::new(), Some("b".into())), "cb", (0, -1)));
        r.at(Time::secs(3));
        // The initial delay runs out (once more for the member that arrived during it).
        while g.state == GroupState::PreparingRebalance {
            r.on(|ctx| g.on_join_timer(ctx, cfg, g.join_timer));
        }
        assert_eq!((g.state, g.generation), (GroupState::CompletingRebalance, 1));
        let assignment = vec![("a-0".to_string(), 0b0011), ("b-1".to_string(), 0b1100)];
        r.on(|ctx| g.sync(ctx, A, (1, "a-0", Some("a")), assignment));
        assert_eq!(g.state, GroupState::Stable);
        r.take();
        g
    }

    #[test]
    fn a_static_member_restarting_within_the_session_timeout_keeps_its_assignment_and_no_rebalance() {
        let (mut r, cfg) = (Recorder::default(), settings());
        let mut g = stable(&mut r, &cfg);
        // b restarts: a new process, no member id, the same instance id.
        r.at(Time::secs(8));
        r.on(|ctx| g.join(ctx, &cfg, B, (String::new(), Some("b".into())), "cb", (0, -1)));
        let joined = r.take();
        let Some(KafkaMsg::JoinGroupResponse { result: Ok(j), .. }) = joined.sent.first().map(|(_, m)| m) else {
            panic!("{joined:?}")
        };
        assert_eq!((j.generation, j.member.as_str(), j.leader.as_str()), (1, "b-2", "a-0"), "no new generation");
        assert!(j.members.is_empty(), "not the leader: nothing to assign");
        assert_eq!(joined.events, [KafkaEvent::StaticMemberRejoined { group: 0, consumer: B, generation: 1 }]);
        assert_eq!((g.state, g.generation), (GroupState::Stable, 1), "no rebalance");
        r.on(|ctx| g.sync(ctx, B, (1, "b-2", Some("b")), vec![]));
        let synced = r.take().sent;
        assert_eq!(synced, [(B, KafkaMsg::SyncGroupResponse { group: 0, result: Ok(0b1100) })], "the same partitions");
        // The old member id is fenced.
        r.on(|ctx| g.heartbeat(ctx, &cfg, B, 1, ("b-1", Some("b"))));
        let fenced = KafkaMsg::HeartbeatResponse { group: 0, error: Some(Error::FencedInstanceId) };
        assert_eq!(r.take().sent, [(B, fenced)]);
    }

    #[test]
    fn a_static_member_away_past_the_session_timeout_is_removed_and_the_group_rebalances() {
        let (mut r, cfg) = (Recorder::default(), settings());
        let mut g = stable(&mut r, &cfg);
        // a keeps heartbeating; b is silent from 3 s.
        r.at(Time::secs(12));
        r.on(|ctx| g.heartbeat(ctx, &cfg, A, 1, ("a-0", Some("a"))));
        r.at(Time::secs(13));
        r.on(|ctx| g.on_session_timer(ctx, &cfg));
        let e = r.take().events;
        assert!(e.contains(&KafkaEvent::MemberRemoved { group: 0, consumer: B, reason: RemoveReason::SessionTimeout }));
        assert_eq!(g.state, GroupState::PreparingRebalance);
        // b comes back: an unknown instance now, it joins as a new member of the rebalance.
        r.on(|ctx| g.join(ctx, &cfg, B, (String::new(), Some("b".into())), "cb", (0, -1)));
        r.on(|ctx| g.join(ctx, &cfg, A, ("a-0".into(), Some("a".into())), "ca", (0b0011, 1)));
        assert_eq!((g.state, g.generation), (GroupState::CompletingRebalance, 2), "a new generation");
    }

    #[test]
    fn a_second_consumer_with_the_same_instance_id_fences_the_first() {
        let (mut r, cfg) = (Recorder::default(), settings());
        let mut g = stable(&mut r, &cfg);
        let c = NodeId(12);
        r.on(|ctx| g.join(ctx, &cfg, c, (String::new(), Some("b".into())), "cc", (0, -1)));
        r.take();
        for ask in [
            KafkaMsg::Heartbeat { group: 0, generation: 1, member: "b-1".into(), instance: Some("b".into()) },
            KafkaMsg::JoinGroup(Box::new(JoinGroupRequest {
                group: 0,
                member: "b-1".into(),
                instance: Some("b".into()),
                client: "cb".into(),
                owned: 0,
                owned_generation: 1,
            })),
        ] {
            r.on(|ctx| match ask {
                KafkaMsg::Heartbeat { generation, member, instance, .. } => {
                    g.heartbeat(ctx, &cfg, B, generation, (&member, instance.as_deref()))
                }
                KafkaMsg::JoinGroup(j) => {
                    let JoinGroupRequest { member, instance, client, owned, owned_generation, .. } = *j;
                    g.join(ctx, &cfg, B, (member, instance), &client, (owned, owned_generation))
                }
                _ => unreachable!(),
            });
        }
        let errors: Vec<Option<Error>> = r
            .take()
            .sent
            .into_iter()
            .map(|(_, m)| match m {
                KafkaMsg::HeartbeatResponse { error, .. } => error,
                KafkaMsg::JoinGroupResponse { result, .. } => result.err(),
                _ => None,
            })
            .collect();
        assert_eq!(errors, [Some(Error::FencedInstanceId); 2]);
        assert_eq!(g.check_commit(1, "b-1", Some("b")), Err(Error::FencedInstanceId));
        assert_eq!(g.members.iter().find(|m| m.instance.as_deref() == Some("b")).map(|m| m.node), Some(c));
    }
}
