//! Leader election: a server without a leader is *looking* and votes for the most up-to-date
//! server it has heard of until a quorum agrees (`coordinator::election`); one that finds the
//! others already following a leader joins it. Then it leads, or follows and sends FOLLOWERINFO.

use super::{to_client, to_peer, Lead, Peer, PeerMsg, PeerState, Role};
use crate::coordinator::election::{Election, Heard, Vote};
use crate::coordinator::zab::{quorum, Acks};
use crate::coordinator::SessionId;
use crate::kafka::clients::emit;
use crate::kafka::msg::{KafkaEvent, KafkaMsg};
use crate::kafka::zk_server::ZkServer;
use crate::kafka::Ctx;
use crate::vecmap::VecMap;
use crate::NodeId;

impl Peer {
    /// Stops serving and starts an election round.
    pub(super) fn look(&mut self, srv: &mut ZkServer, ctx: &mut Ctx) {
        if self.serving() {
            emit(ctx, KafkaEvent::ZkQuorumLost { server: ctx.me, was_leader: self.role == Role::Leading });
        }
        // Close every client connection: they go to another server.
        let clients: Vec<(SessionId, NodeId)> = srv.clients.iter().map(|(&s, &c)| (s, c)).collect();
        let mut told: Vec<NodeId> = vec![];
        for (s, c) in clients {
            srv.tree.forget_watches(s);
            told.push(c);
        }
        told.extend(self.connects.values().copied());
        told.extend(self.batches.iter().map(|b| b.client));
        crate::sort::sort(&mut told);
        told.dedup();
        for c in told {
            to_client(ctx, c, KafkaMsg::ZkNotServing);
        }
        srv.clients.clear();
        self.connects.clear();
        self.batches.clear();
        self.touched.clear();
        self.role = Role::Looking;
        self.lead = None;
        self.settled.clear();
        self.since = ctx.now;
        self.election = Election::start(self.own_vote(), self.election.round + 1);
        self.broadcast_vote(ctx);
    }

    pub(super) fn broadcast_vote(&self, ctx: &mut Ctx) {
        let m = PeerMsg::Vote { round: self.election.round, vote: self.election.vote, state: PeerState::Looking };
        for s in 1..=self.n() as u8 {
            if s != self.id {
                to_peer(ctx, self.node(s), m.clone());
            }
        }
    }

    pub(super) fn on_vote(
        &mut self,
        srv: &mut ZkServer,
        ctx: &mut Ctx,
        from: u8,
        round: u64,
        vote: Vote,
        state: PeerState,
    ) {
        let Some(leader) = self.leader() else {
            if state == PeerState::Looking {
                match self.election.hear(from, round, vote, self.own_vote()) {
                    Heard::Changed => self.broadcast_vote(ctx),
                    Heard::Stale => {
                        let m = PeerMsg::Vote { round: self.election.round, vote: self.election.vote, state };
                        to_peer(ctx, self.node(from), m);
                    }
                    Heard::Same => {}
                }
                if let Some(l) = self.election.decided(self.n()) {
                    self.conclude(srv, ctx, l);
                }
                return;
            }
            // Others already follow a leader: join it once a quorum (this server included) would,
            // and the leader itself says it leads.
            self.settled.insert(from, (vote.server, vote.epoch, state == PeerState::Leading));
            let agree = self.settled.values().filter(|(l, e, _)| *l == vote.server && *e == vote.epoch).count() + 1;
            let leads = self.settled.get(&vote.server).is_some_and(|(l, _, leading)| *leading && *l == vote.server);
            if agree >= quorum(self.n()) && leads {
                self.conclude(srv, ctx, vote.server);
            }
            return;
        };
        if state == PeerState::Looking {
            // Tell a looking server who leads.
            let me = if leader == self.id { PeerState::Leading } else { PeerState::Following };
            let v = Vote { epoch: self.current_epoch, zxid: self.log.last_zxid(), server: leader };
            to_peer(ctx, self.node(from), PeerMsg::Vote { round, vote: v, state: me });
        }
    }

    fn conclude(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, leader: u8) {
        let _ = srv;
        self.since = ctx.now;
        self.settled.clear();
        if leader == self.id {
            self.role = Role::Leading;
            let mut acks = Acks::new(self.n());
            acks.ack(self.id, self.log.last_zxid());
            self.lead = Some(Box::new(Lead {
                epoch: None,
                infos: VecMap::new(),
                synced: VecMap::new(),
                acks,
                established: false,
                counter: 0,
                closing: vec![],
            }));
        } else {
            self.role = Role::Following { leader, serving: false, heard: ctx.now };
            let m = PeerMsg::FollowerInfo { accepted_epoch: self.accepted_epoch, last_zxid: self.log.last_zxid() };
            to_peer(ctx, self.node(leader), m);
        }
    }
}
