//! What the broker's role tests share: a small cluster, a broker of it with a coordinator
//! session, and a context whose effects a test reads back, sorted by kind.
//!
//! The cluster: one coordinator (node 0), brokers 1-3 (nodes 1-3), topic `t` (index 0, two
//! partitions), the compacted topic `keyed` (index 1) and, for group `g`, a one-partition
//! `__consumer_offsets` (index 2); every replication factor is 3.

use super::Broker;
use crate::kafka::cluster::Cluster;
use crate::kafka::config::KafkaSpec;
use crate::kafka::msg::{KafkaEvent, KafkaMsg, PartitionView, Tp};
use crate::kafka::partition::{Acks, BrokerId};
use crate::kafka::{Ctx, Kafka, KafkaTimer};
use crate::kernel::ctx::Effect;
use crate::kernel::rng::Rng;
use crate::time::Time;
use crate::NodeId;
use std::rc::Rc;

pub const TP: Tp = Tp { topic: 0, partition: 0 };
pub const KEYED: Tp = Tp { topic: 1, partition: 0 };
pub const OFFSETS: Tp = Tp { topic: 2, partition: 0 };
/// The node the tests' LeaderAndIsr and UpdateMetadata come from.
pub const CONTROLLER: NodeId = NodeId(3);
/// A producer's or consumer's node.
pub const CLIENT: NodeId = NodeId(9);

pub fn cluster() -> Rc<Cluster> {
    let spec: KafkaSpec = serde_json::from_str(
        r#"{"brokers":3,"topics":[
            {"name":"t","partitions":2,"replication_factor":3},
            {"name":"keyed","partitions":1,"replication_factor":3,"cleanup_policy":"compact"}],
            "groups":[{"id":"g"}],"offsets_topic_partitions":1}"#,
    )
    .expect("a valid spec");
    Rc::new(Cluster::new(&spec, 0))
}

/// Broker `id` of `cluster()`, with a coordinator session.
pub fn broker(id: BrokerId) -> Broker {
    let mut b = Broker::new(id, cluster());
    b.session = Some(7);
    b
}

/// A partition's state with replicas 1-3.
pub fn view(tp: Tp, leader: Option<BrokerId>, leader_epoch: u32, isr: Vec<BrokerId>) -> PartitionView {
    PartitionView { tp, leader, leader_epoch, partition_epoch: 0, isr, replicas: vec![1, 2, 3] }
}

/// What a handler asked for, by kind, each in the order asked.
#[derive(Debug, Default)]
pub struct Effects {
    pub sent: Vec<(NodeId, KafkaMsg)>,
    pub timers: Vec<(Time, KafkaTimer)>,
    pub events: Vec<KafkaEvent>,
}

/// What `pick` finds in the messages sent to `to`, in the order sent.
pub fn replies<T>(sent: &[(NodeId, KafkaMsg)], to: NodeId, pick: impl Fn(&KafkaMsg) -> Option<T>) -> Vec<T> {
    sent.iter().filter(|(n, _)| *n == to).filter_map(|(_, m)| pick(m)).collect()
}

/// The produce answers in `sent`, to the client.
pub fn produce_answers(sent: &[(NodeId, KafkaMsg)]) -> Vec<Result<u64, crate::kafka::partition::Error>> {
    let answers = replies(sent, CLIENT, |m| match m {
        KafkaMsg::ProduceResponse { results, .. } => Some(results.iter().map(|r| r.1).collect::<Vec<_>>()),
        _ => None,
    });
    answers.into_iter().flatten().collect()
}

pub struct Harness {
    pub now: Time,
    rng: Rng,
    effects: Vec<Effect<Kafka>>,
    /// The next produce request's id.
    next_id: u64,
}

impl Default for Harness {
    fn default() -> Self {
        Harness { now: Time::ZERO, rng: Rng::new(1), effects: vec![], next_id: 0 }
    }
}

impl Harness {
    /// Runs `f` as broker `b`'s handler would run, at `now`.
    pub fn on<R>(&mut self, b: &mut Broker, f: impl FnOnce(&mut Broker, &mut Ctx) -> R) -> R {
        let me = b.cluster.broker_node(b.id).expect("a broker of the cluster");
        let mut ctx = Ctx::new(self.now, me, &mut self.rng, &mut self.effects);
        f(b, &mut ctx)
    }

    pub fn message(&mut self, b: &mut Broker, from: NodeId, msg: KafkaMsg) {
        self.on(b, |b, ctx| b.on_message(ctx, from, msg));
    }

    pub fn timer(&mut self, b: &mut Broker, timer: KafkaTimer) {
        self.on(b, |b, ctx| b.on_timer(ctx, timer));
    }

    /// Takes what the handlers asked for since the last call.
    pub fn take(&mut self) -> Effects {
        let mut out = Effects::default();
        for e in self.effects.drain(..) {
            match e {
                Effect::Send { to, msg } => out.sent.push((to, msg)),
                Effect::Timer { after, timer } => out.timers.push((after, timer)),
                Effect::Emit(e) => out.events.push(e),
                Effect::Close { .. } => {}
            }
        }
        out
    }

    /// The controller makes `b` the leader of `tp` in `epoch` with `isr`; the effects are dropped.
    pub fn lead(&mut self, b: &mut Broker, tp: Tp, epoch: u32, isr: Vec<BrokerId>) {
        let states = vec![view(tp, Some(b.id), epoch, isr)];
        self.message(b, CONTROLLER, KafkaMsg::LeaderAndIsr { controller_epoch: 1, request: 0, states });
        self.take();
    }

    /// The controller makes `b` a follower of `leader` on `tp`; the effects are dropped.
    pub fn follow(&mut self, b: &mut Broker, tp: Tp, leader: BrokerId, epoch: u32) {
        let states = vec![view(tp, Some(leader), epoch, vec![1, 2, 3])];
        self.message(b, CONTROLLER, KafkaMsg::LeaderAndIsr { controller_epoch: 1, request: 0, states });
        self.take();
    }

    /// A client's produce request (ids 0, 1, …) of `records` to `tp`.
    pub fn produce(&mut self, b: &mut Broker, tp: Tp, acks: Acks, records: &[(Option<u32>, u64)]) {
        let records = records.to_vec();
        let timeout = crate::kafka::cluster::REQUEST_TIMEOUT;
        let batches = vec![crate::kafka::request::ProduceBatch { tp, producer: None, records }];
        let id = self.next_id;
        self.next_id += 1;
        let msg = KafkaMsg::Produce { id, acks, batches, transactional: false, size: 100, timeout };
        self.message(b, CLIENT, msg);
    }
}

/// A follower's full fetch (a new session) of `tp` at `offset`, in leader epoch 0.
pub fn full_fetch(tp: Tp, offset: u64, last_epoch: Option<u32>, generation: u64) -> KafkaMsg {
    let part = crate::kafka::fetch_session::FetchPart { tp, epoch: 0, offset, last_epoch };
    let fetch = crate::kafka::fetch_session::SessionFetch {
        session: 0,
        epoch: 0,
        parts: vec![part],
        forget: vec![],
        generation,
    };
    KafkaMsg::ReplicaFetch(Box::new(fetch))
}
