//! "Why KRaft": the same cluster and the same failure in ZooKeeper mode and in KRaft mode, run for
//! several partition counts, with the time to recover measured from the run.
//!
//! The cluster: three brokers (each holding a replica of every partition, in both modes), one topic of N partitions (replication factor 3, min.insync.replicas
//! 2), one producer writing keyed records with acks=all; ZooKeeper mode with one ZooKeeper server,
//! KRaft mode with three controllers; Kafka's default timeouts. At `FAIL_AT` one failure:
//! - `ControllerDies`: the active controller's process is killed — in ZooKeeper mode a broker (the
//!   one holding `/controller`, which also leads partitions), in KRaft mode the quorum's leader;
//! - `BrokerCutOff`: a broker that is not the controller loses its link to ZooKeeper (to every
//!   controller in KRaft mode) and keeps running.
//!
//! Measured from the run, from the failure on (nothing here is a formula): when a new controller
//! is active (ZooKeeper mode: a broker holds `/controller` and has read every partition's state
//! back; KRaft: a controller leads the quorum and has its image), when every partition the failed
//! broker led has a leader again (a broker other than it leads it in a newer leader epoch), and
//! when the producer writes again (its first acknowledgement from each such partition's new
//! leader). The ZooKeeper-mode cost of the partitions comes from the work the model does: the new
//! controller reads every partition's state znode back, and the state of every partition whose
//! leader or ISR changed is written before the brokers hear of it, each request and znode taking
//! ZooKeeper's time (`kafka::zk_service`). KRaft's standby controllers already hold the metadata
//! log, so a new active controller reads nothing back.

use crate::kafka::msg::{KafkaEvent, Tp, ZnodePath};
use crate::kafka::node::KafkaNode;
use crate::kernel::Command;
use crate::models::Node;
use crate::{EventKind, ModelEvents, NodeId, Scenario, Simulation, Time};
use serde_json::json;

/// The partition counts of the comparison's chart.
pub const PARTITIONS: &[u32] = &[100, 250, 500, 1000];
/// Brokers in the cluster.
pub const BROKERS: u32 = 3;
/// The failure happens here (the cluster is set up and the producer writing by then).
pub const FAIL_AT: Time = Time::secs(5);
/// The longest a run goes on after the failure.
pub const GIVE_UP_AFTER: Time = Time::secs(60);
/// Records per second the producer sends, and the keys it sends them with in turn.
const RATE: u64 = 500;
const KEYS: u32 = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    ZooKeeper,
    Kraft,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    ControllerDies,
    BrokerCutOff,
}

/// What one run measured, each time counted from the failure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    pub partitions: u32,
    /// When the cluster noticed: the failed node's ZooKeeper session expired, or (KRaft) a
    /// controller stood for election / the active controller fenced the broker.
    pub detected: Option<Time>,
    /// A new controller is active (`None`: the controller did not change).
    pub controller_active: Option<Time>,
    /// Every partition the failed broker led has a new leader (`None`: it led none).
    pub leaders_back: Option<Time>,
    /// The producer has an acknowledgement from each of those partitions' new leaders that it
    /// writes to (`None`: it wrote to none of them).
    pub producers_back: Option<Time>,
    /// Partitions that lost their leader, and those of them the producer writes to.
    pub affected: u32,
    pub produced_affected: u32,
    /// Whether everything came back before the run gave up (`GIVE_UP_AFTER`).
    pub complete: bool,
}

impl Recovery {
    /// Until everything measured is back.
    pub fn total(&self) -> Time {
        [self.controller_active, self.leaders_back, self.producers_back].into_iter().flatten().max().unwrap_or_default()
    }

    /// The part after the failure was noticed: the work of recovering.
    pub fn after_detection(&self) -> Time {
        self.total().saturating_sub(self.detected.unwrap_or_default())
    }
}

/// The scenario of one run, as JSON.
pub fn scenario(mode: Mode, partitions: u32) -> serde_json::Value {
    let mut kafka = json!({
        "brokers": BROKERS,
        "topics": [{"name": "t", "partitions": partitions, "replication_factor": 3, "min_insync_replicas": 2}],
        "producers": [{"id": "p", "topic": "t", "interval": Time(1_000_000 / RATE), "acks": "all", "keys": KEYS}],
        "offsets_topic_partitions": 1,
    });
    if mode == Mode::Kraft {
        kafka["metadata"] = json!("kraft");
        kafka["controllers"] = json!(3);
    }
    json!({
        "name": "why-kraft", "until": FAIL_AT + GIVE_UP_AFTER,
        "network": {"latency": "250us", "jitter": "50us"},
        "kafka": kafka,
    })
}

/// One run being made, a slice of simulated time at a time (the page advances it per frame).
pub struct FailoverRun {
    sim: Simulation,
    mode: Mode,
    failure: Failure,
    out: Recovery,
    /// Once failed: the failed node, the broker it is (if one), and the controller epoch then.
    failed: Option<(NodeId, Option<u32>, u32)>,
    /// Partitions that lost their leader, with their leader epoch then; those still without a
    /// new leader; when each got one.
    affected: Vec<(Tp, u32)>,
    waiting: Vec<(Tp, u32)>,
    back: Vec<(Tp, Time)>,
    /// Partitions the producer wrote to before the failure; its acknowledgements after it.
    produced: Vec<Tp>,
    acks: Vec<(Tp, Time)>,
    /// Whether the run waits for the producer too (a producer stuck on a cut-off leader waits
    /// `request.timeout.ms`, 30 s, first).
    wait_for_producer: bool,
}

impl FailoverRun {
    pub fn new(mode: Mode, failure: Failure, partitions: u32, seed: u64) -> Result<FailoverRun, String> {
        let scenario = Scenario::from_json(&scenario(mode, partitions).to_string())?;
        let sim = Simulation::new(&scenario, seed)?;
        Ok(FailoverRun {
            sim,
            mode,
            failure,
            out: Recovery { partitions, ..Recovery::default() },
            failed: None,
            affected: vec![],
            waiting: vec![],
            back: vec![],
            produced: vec![],
            acks: vec![],
            wait_for_producer: true,
        })
    }

    /// Ends the run once the controller and the leaders are back, without waiting for the
    /// producer (its time is then measured only if it came back by then).
    pub fn without_waiting_for_the_producer(mut self) -> FailoverRun {
        self.wait_for_producer = false;
        self
    }

    /// Runs one to the end.
    pub fn run(mode: Mode, failure: Failure, partitions: u32, seed: u64) -> Result<Recovery, String> {
        let mut run = FailoverRun::new(mode, failure, partitions, seed)?;
        loop {
            if let Some(r) = run.advance(Time::secs(1))? {
                return Ok(r);
            }
        }
    }

    /// How far the run is, from 0 to 1 (its longest possible length).
    pub fn progress(&self) -> f64 {
        self.sim.now().0 as f64 / (FAIL_AT + GIVE_UP_AFTER).0 as f64
    }

    /// Runs up to `by` more simulated time; the measurements once everything is back (or the run
    /// has given up). An error if the cluster was not ready at the failure.
    pub fn advance(&mut self, by: Time) -> Result<Option<Recovery>, String> {
        let end = (self.sim.now() + by).min(FAIL_AT + GIVE_UP_AFTER);
        while self.sim.now() < end {
            if self.failed.is_none() {
                self.sim.run_until(end.min(FAIL_AT));
                self.take_events();
                if self.sim.now() >= FAIL_AT {
                    self.fail()?;
                }
                continue;
            }
            // Until the failure is noticed nothing can recover (no controller acts on it): run in
            // coarse steps. Then look at the cluster every millisecond.
            let step = if self.out.detected.is_some() { Time::ms(1) } else { Time::ms(50) };
            self.sim.run_until((self.sim.now() + step).min(end));
            self.take_events();
            if self.out.detected.is_some() {
                self.sample();
            }
            if self.done() {
                return Ok(Some(self.finish()));
            }
        }
        Ok((end == FAIL_AT + GIVE_UP_AFTER).then(|| self.finish()))
    }

    fn since_failure(&self) -> Time {
        self.sim.now().saturating_sub(FAIL_AT)
    }

    fn brokers(&self) -> impl Iterator<Item = (NodeId, &crate::kafka::broker::Broker)> {
        self.sim.world().nodes.iter().enumerate().filter_map(|(i, slot)| match &slot.node {
            Node::Kafka(KafkaNode::Broker(b)) => Some((NodeId(i as u32), &**b)),
            _ => None,
        })
    }

    fn up(&self, node: NodeId) -> bool {
        self.sim.world().network.is_up(node) && self.failed.is_none_or(|(f, _, _)| f != node)
    }

    /// The failure: picks its node, notes what it leads, and applies it.
    fn fail(&mut self) -> Result<(), String> {
        let world = self.sim.world();
        let zk_controller = self.brokers().find(|(_, b)| b.controller.is_some()).map(|(n, b)| (n, b.id));
        let (node, broker, epoch) = match (self.failure, self.mode) {
            (Failure::ControllerDies, Mode::ZooKeeper) => {
                let (n, id) = zk_controller.ok_or("no controller at the failure")?;
                let epoch =
                    self.brokers().find(|(m, _)| *m == n).and_then(|(_, b)| b.controller.as_ref()).map(|c| c.epoch);
                (n, Some(id), epoch.unwrap_or(0))
            }
            (Failure::ControllerDies, Mode::Kraft) => {
                let active = world.nodes.iter().enumerate().find_map(|(i, slot)| match &slot.node {
                    Node::Kafka(KafkaNode::Controller(c)) => c.active.as_ref().map(|a| (NodeId(i as u32), a.epoch)),
                    _ => None,
                });
                let (n, epoch) = active.ok_or("no active controller at the failure")?;
                (n, None, epoch)
            }
            (Failure::BrokerCutOff, _) => {
                // The highest-numbered broker that is not the controller: the same one in both modes.
                let (n, b) = self
                    .brokers()
                    .filter(|(n, _)| zk_controller.is_none_or(|(c, _)| c != *n))
                    .last()
                    .ok_or("no broker to cut off")?;
                (n, Some(b.id), 0)
            }
        };
        // What the failed broker leads now.
        let mut affected = vec![];
        if broker.is_some() {
            let (_, b) = self.brokers().find(|(n, _)| *n == node).expect("a broker");
            for (tp, r) in b.replicas.iter() {
                if r.is_leader() && tp.topic == 0 {
                    affected.push((*tp, r.epoch));
                }
            }
        }
        let leaderless = self.topic_partitions() - self.led_partitions();
        if leaderless > 0 {
            return Err(format!("{leaderless} partitions had no leader at the failure"));
        }
        let commands: Vec<Command<NodeId, _>> = match self.failure {
            Failure::ControllerDies => vec![Command::Stop { node }],
            Failure::BrokerCutOff => self.coordinators().into_iter().map(|c| Command::Cut { a: node, b: c }).collect(),
        };
        for c in commands {
            self.sim.apply(c)?;
        }
        self.out.affected = affected.len() as u32;
        self.out.produced_affected = affected.iter().filter(|(tp, _)| self.produced.contains(tp)).count() as u32;
        self.waiting = affected.clone();
        self.affected = affected;
        self.failed = Some((node, broker, epoch));
        Ok(())
    }

    /// ZooKeeper's servers, or KRaft's controllers.
    fn coordinators(&self) -> Vec<NodeId> {
        let world = self.sim.world();
        (0..world.nodes.len() as u32)
            .map(NodeId)
            .filter(|&n| {
                matches!(&world.nodes[n.index()].node, Node::Kafka(KafkaNode::Zk(_) | KafkaNode::Controller(_)))
            })
            .collect()
    }

    fn topic_partitions(&self) -> usize {
        self.out.partitions as usize
    }

    /// Partitions of the topic some broker leads.
    fn led_partitions(&self) -> usize {
        let mut led: Vec<Tp> = self
            .brokers()
            .flat_map(|(_, b)| b.replicas.iter().filter(|(tp, r)| tp.topic == 0 && r.is_leader()).map(|(tp, _)| *tp))
            .collect();
        crate::sort::sort(&mut led);
        led.dedup();
        led.len()
    }

    fn take_events(&mut self) {
        let failed = self.failed;
        let mut detected = None;
        for e in self.sim.drain_events() {
            let EventKind::Model(ModelEvents::Kafka(k)) = e.kind else { continue };
            match (k, failed) {
                (KafkaEvent::ProduceAcked { tp, .. }, None) if !self.produced.contains(&tp) => self.produced.push(tp),
                (KafkaEvent::ProduceAcked { tp, .. }, Some(_)) if self.affected.iter().any(|(a, _)| *a == tp) => {
                    self.acks.push((tp, e.at.saturating_sub(FAIL_AT)));
                }
                (KafkaEvent::ZnodeChanged { path: ZnodePath::Controller, .. }, Some((_, _, _)))
                    if self.failure == Failure::ControllerDies && self.mode == Mode::ZooKeeper =>
                {
                    detected.get_or_insert(e.at);
                }
                (KafkaEvent::ZnodeChanged { path: ZnodePath::Broker(b), .. }, Some((_, Some(f), _)))
                    if self.failure == Failure::BrokerCutOff && b == f =>
                {
                    detected.get_or_insert(e.at);
                }
                (KafkaEvent::ControllerCandidate { .. }, Some(_))
                    if self.mode == Mode::Kraft && self.failure == Failure::ControllerDies =>
                {
                    detected.get_or_insert(e.at);
                }
                (KafkaEvent::BrokerFenced { broker }, Some((_, Some(f), _))) if broker == f => {
                    detected.get_or_insert(e.at);
                }
                _ => {}
            }
        }
        if self.out.detected.is_none() {
            self.out.detected = detected.map(|t| t.saturating_sub(FAIL_AT));
        }
    }

    /// Looks at the cluster now: a new active controller, partitions with a new leader.
    fn sample(&mut self) {
        let Some((failed, _, epoch)) = self.failed else { return };
        let now = self.since_failure();
        if self.failure == Failure::ControllerDies && self.out.controller_active.is_none() {
            let world = self.sim.world();
            let active = world.nodes.iter().enumerate().any(|(i, slot)| {
                let n = NodeId(i as u32);
                n != failed
                    && world.network.is_up(n)
                    && match &slot.node {
                        Node::Kafka(KafkaNode::Broker(b)) => {
                            b.controller.as_ref().is_some_and(|c| c.epoch > epoch && c.initialised())
                        }
                        Node::Kafka(KafkaNode::Controller(c)) => c.active.as_ref().is_some_and(|a| a.epoch > epoch),
                        _ => false,
                    }
            });
            if active {
                self.out.controller_active = Some(now);
            }
        }
        if self.waiting.is_empty() {
            return;
        }
        let mut waiting = std::mem::take(&mut self.waiting);
        waiting.retain(|&(tp, old)| {
            let led = self
                .brokers()
                .any(|(n, b)| self.up(n) && b.replicas.get(&tp).is_some_and(|r| r.is_leader() && r.epoch > old));
            if led {
                self.back.push((tp, now));
            }
            !led
        });
        self.waiting = waiting;
        if self.waiting.is_empty() {
            self.out.leaders_back = self.back.iter().map(|(_, t)| *t).max();
        }
    }

    /// The producer's first acknowledgement from each affected partition's new leader (at or
    /// after the sample that saw it lead, less the sampling step), the latest of them; `None`
    /// while one of them has none yet.
    fn producers_back(&self) -> Option<Time> {
        let mut latest = Time::ZERO;
        for &(tp, back) in self.back.iter().filter(|(tp, _)| self.produced.contains(tp)) {
            let acks = self.acks.iter().filter(|(a, at)| *a == tp && *at + Time::ms(1) >= back);
            latest = latest.max(acks.map(|(_, at)| *at).min()?);
        }
        Some(latest)
    }

    /// Whether the producer wrote to a partition that lost its leader.
    fn producer_affected(&self) -> bool {
        self.affected.iter().any(|(tp, _)| self.produced.contains(tp))
    }

    fn done(&self) -> bool {
        let controller = self.failure != Failure::ControllerDies || self.out.controller_active.is_some();
        let producers = !self.wait_for_producer || !self.producer_affected() || self.producers_back().is_some();
        self.out.detected.is_some() && controller && self.waiting.is_empty() && producers
    }

    fn finish(&mut self) -> Recovery {
        if self.producer_affected() && self.waiting.is_empty() {
            self.out.producers_back = self.producers_back();
        }
        self.out.complete = self.done();
        self.out.clone()
    }
}
