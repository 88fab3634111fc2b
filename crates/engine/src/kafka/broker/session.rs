//! The broker's coordinator session: connecting (and, with an ensemble, moving to another server
//! with the session), heartbeats, registering `/brokers/ids/N`, and losing it all on expiry. Every
//! coordinator request goes out through `zk` with its purpose, and its reply comes back here to be
//! handed to the part that asked (the controller's are in `controller`).

use super::Broker;
use crate::coordinator::WatchKind;
use crate::kafka::clients::{emit, send};
use crate::kafka::msg::{KafkaEvent, KafkaMsg, PartitionView, Tp, ZkCall, ZkResult};
use crate::kafka::partition::BrokerId;
use crate::kafka::{Ctx, KafkaTimer};
use crate::NodeId;

/// Why a coordinator request was sent, so the reply can be acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ZkPurpose {
    RegisterAndElect,
    Register,
    Elect,
    BumpEpoch,
    ReadBrokers {
        init: bool,
    },
    WatchController,
    /// A state write; a `BadVersion` means another controller has taken over. Once it is
    /// written, the LeaderAndIsr requests `notices` go out (and UpdateMetadata to every broker).
    Write {
        notices: Vec<(BrokerId, Vec<PartitionView>)>,
    },
    /// An ISR change a leader asked for (AlterPartition): answered once it is written.
    AlterIsr {
        to: NodeId,
        tp: Tp,
        leader_epoch: u32,
        isr: Vec<BrokerId>,
        partition_epoch: u32,
    },
}

impl Broker {
    pub(super) fn connect(&mut self, ctx: &mut Ctx) {
        self.connecting = true;
        send(ctx, self.zk_link.server(), KafkaMsg::ZkConnect { timeout: self.cluster.session_timeout });
    }

    /// Ensembles: leaves the coordinator server in use for the next one, taking the session along.
    pub(super) fn zk_move(&mut self, ctx: &mut Ctx) {
        self.zk_link.next_server(ctx.now);
        match self.session {
            Some(session) => {
                let watches = self.zk_link.watches().to_vec();
                send(ctx, self.zk_link.server(), KafkaMsg::ZkReconnect { session, watches });
            }
            None => self.connect(ctx),
        }
    }

    /// Sends `calls` to the coordinator in one request (nothing without a session); the reply is
    /// acted on according to `purpose`.
    pub(super) fn zk(&mut self, ctx: &mut Ctx, purpose: ZkPurpose, calls: Vec<ZkCall>) {
        let Some(session) = self.session else { return };
        let id = self.zk_next;
        self.zk_next += 1;
        self.zk_pending.insert(id, purpose);
        self.zk_link.sent(id, &calls);
        send(ctx, self.zk_link.server(), KafkaMsg::ZkCall { session, id, calls });
    }

    /// Creates this broker's ephemeral registration, `/brokers/ids/N`.
    fn register_call(&self) -> ZkCall {
        let id = self.id;
        ZkCall::Create { path: format!("/brokers/ids/{id}"), data: format!("b{id}"), ephemeral: true }
    }

    fn register_and_elect(&mut self, ctx: &mut Ctx) {
        let calls = vec![self.register_call(), self.controller_call()];
        self.zk(ctx, ZkPurpose::RegisterAndElect, calls);
    }

    /// Registers again after a failed registration.
    pub(super) fn register(&mut self, ctx: &mut Ctx) {
        let call = self.register_call();
        self.zk(ctx, ZkPurpose::Register, vec![call]);
    }

    /// A third of the session timeout: heartbeat the session, move on from a silent server, or
    /// connect again.
    pub(super) fn on_ping_timer(&mut self, ctx: &mut Ctx) {
        match self.session {
            Some(_) if self.zk_link.should_move(ctx.now, self.cluster.session_timeout) => self.zk_move(ctx),
            Some(session) => send(ctx, self.zk_link.server(), KafkaMsg::ZkPing { session }),
            // No answer to the last connect (the coordinator was unreachable): try again,
            // at the next server of an ensemble.
            None => {
                self.zk_link.next_server(ctx.now);
                self.connect(ctx)
            }
        }
        ctx.set_timer(self.cluster.session_timeout / 3, KafkaTimer::Ping);
    }

    /// What the coordinator says to this broker as its client.
    pub(super) fn on_coordinator_msg(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        match msg {
            KafkaMsg::ZkConnected { session } if self.zk_link.heard(from, ctx.now) => {
                let moved = self.session == Some(session);
                self.session = Some(session);
                self.connecting = false;
                if moved {
                    // The session moved to another server: send again what was not answered.
                    for (id, calls) in self.zk_link.resend() {
                        send(ctx, self.zk_link.server(), KafkaMsg::ZkCall { session, id, calls });
                    }
                } else {
                    self.register_and_elect(ctx);
                }
            }
            KafkaMsg::ZkPong => {
                self.zk_link.heard(from, ctx.now);
            }
            KafkaMsg::ZkNotServing => self.zk_link.closed(from),
            KafkaMsg::ZkExpired if self.zk_link.heard(from, ctx.now) => {
                self.zk_link.expired();
                if self.session.is_some() {
                    emit(ctx, KafkaEvent::SessionExpired { broker: self.id });
                }
                // Fenced: no longer registered, no longer controller. Reconnect and register again.
                self.session = None;
                self.controller = None;
                self.zk_pending.clear();
                if !self.connecting {
                    self.connect(ctx);
                }
            }
            KafkaMsg::ZkReply { id, mut results } if self.zk_link.heard(from, ctx.now) => {
                self.zk_link.answered(id, &mut results);
                if let Some(purpose) = self.zk_pending.remove(&id) {
                    self.on_zk_reply(ctx, purpose, results);
                }
            }
            KafkaMsg::ZkWatch { path, kind } if self.zk_link.heard(from, ctx.now) => {
                self.zk_link.fired(&path, kind);
                self.on_watch(ctx, &path, kind)
            }
            _ => {}
        }
    }

    fn on_zk_reply(&mut self, ctx: &mut Ctx, purpose: ZkPurpose, results: Vec<ZkResult>) {
        match purpose {
            ZkPurpose::RegisterAndElect => {
                let mut it = results.into_iter();
                self.on_registered(ctx, it.next());
                self.on_elected(ctx, it.next());
            }
            ZkPurpose::Register => self.on_registered(ctx, results.into_iter().next()),
            purpose => self.on_controller_reply(ctx, purpose, results),
        }
    }

    fn on_registered(&mut self, ctx: &mut Ctx, result: Option<ZkResult>) {
        match result {
            Some(ZkResult::Done) => emit(ctx, KafkaEvent::BrokerRegistered { broker: self.id }),
            // Our previous session's node is still there until that session expires: retry.
            _ => ctx.set_timer(self.cluster.session_timeout / 3, KafkaTimer::Register),
        }
    }

    /// A watch this broker set fired.
    fn on_watch(&mut self, ctx: &mut Ctx, path: &str, kind: WatchKind) {
        match (path, kind) {
            ("/controller", WatchKind::NodeDeleted) if self.session.is_some() => self.register_controller(ctx),
            ("/controller", _) => self.watch_controller(ctx),
            ("/brokers/ids", WatchKind::NodeChildrenChanged) if self.controller.is_some() => self.read_brokers(ctx),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, Harness};
    use super::*;
    use crate::coordinator::ZkError;
    use crate::time::Time;

    const ZK: NodeId = NodeId(0);

    /// The calls of the one coordinator request in `sent`, with its id.
    fn request(sent: &[(NodeId, KafkaMsg)]) -> (u64, Vec<ZkCall>) {
        match sent {
            [(ZK, KafkaMsg::ZkCall { session: 7, id, calls })] => (*id, calls.clone()),
            other => panic!("one coordinator request expected: {other:?}"),
        }
    }

    #[test]
    fn a_new_session_registers_and_claims_the_controller_in_one_request() {
        let mut h = Harness::default();
        let mut b = broker(2);
        b.session = None;
        h.on(&mut b, |b, ctx| b.on_start(ctx));
        let start = h.take();
        assert_eq!(start.sent, vec![(ZK, KafkaMsg::ZkConnect { timeout: Time::secs(18) })]);
        assert_eq!(start.timers[0], (Time::secs(6), KafkaTimer::Ping), "a third of the session timeout");
        h.message(&mut b, ZK, KafkaMsg::ZkConnected { session: 7 });
        let (id, calls) = request(&h.take().sent);
        let created: Vec<&str> = calls
            .iter()
            .map(|c| match c {
                ZkCall::Create { path, ephemeral: true, .. } => path.as_str(),
                other => panic!("an ephemeral create expected: {other:?}"),
            })
            .collect();
        assert_eq!(created, ["/brokers/ids/2", "/controller"]);
        // Registered, but another broker is the controller: watch it.
        let results = vec![ZkResult::Done, ZkResult::Err(ZkError::NodeExists)];
        h.message(&mut b, ZK, KafkaMsg::ZkReply { id, results });
        let after = h.take();
        assert_eq!(after.events, vec![KafkaEvent::BrokerRegistered { broker: 2 }]);
        let (_, calls) = request(&after.sent);
        assert_eq!(calls, vec![ZkCall::Exists { path: "/controller".into(), watch: true }]);
    }

    #[test]
    fn a_failed_registration_is_tried_again_a_third_of_the_session_later() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.timer(&mut b, KafkaTimer::Register);
        let (id, calls) = request(&h.take().sent);
        assert!(matches!(&calls[..], [ZkCall::Create { path, .. }] if path == "/brokers/ids/1"));
        // The previous session's node is still there.
        h.message(&mut b, ZK, KafkaMsg::ZkReply { id, results: vec![ZkResult::Err(ZkError::NodeExists)] });
        let after = h.take();
        assert!(after.events.is_empty());
        assert_eq!(after.timers, vec![(Time::secs(6), KafkaTimer::Register)]);
    }

    #[test]
    fn expiry_ends_the_controller_role_and_connects_again() {
        let mut h = Harness::default();
        let mut b = broker(1);
        b.controller = Some(super::super::Controller::new(3));
        h.timer(&mut b, KafkaTimer::Register);
        h.take();
        h.message(&mut b, ZK, KafkaMsg::ZkExpired);
        let e = h.take();
        assert_eq!(e.events, vec![KafkaEvent::SessionExpired { broker: 1 }]);
        assert_eq!(e.sent, vec![(ZK, KafkaMsg::ZkConnect { timeout: Time::secs(18) })]);
        assert!(b.session.is_none() && b.controller.is_none());
        // The request in flight died with the session: its late reply is not acted on.
        h.message(&mut b, ZK, KafkaMsg::ZkReply { id: 0, results: vec![ZkResult::Err(ZkError::NodeExists)] });
        assert!(h.take().timers.is_empty());
        // A second expiry notice while connecting neither reports nor connects again.
        h.message(&mut b, ZK, KafkaMsg::ZkExpired);
        let again = h.take();
        assert!(again.events.is_empty() && again.sent.is_empty());
    }
}
