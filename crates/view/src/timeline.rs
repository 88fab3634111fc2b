//! The timeline: the run as it has been played so far, to scrub back and forth in.
//!
//! Going back is snapshots plus replay: every `every` steps the session's run (and the view models
//! folded from events since the start: groups and chart series) is cloned; seeking to an instant
//! clones the last snapshot before it and runs on to it, applying the learner's actions from the
//! command log at the step they were taken (`Simulation::run_with_log`), so the trace there is the
//! one playing reached. Memory is bounded: at most `MAX_SNAPSHOTS` snapshots; when full, every
//! other one is dropped and the spacing doubles, so a seek never replays more than `every` steps.
//!
//! Acting in the past (a fault, a settle) forks: the future after that instant is discarded, and
//! the fork is marked.

use super::groups::Groups;
use super::series::Meters;
use brokerlab_engine::kafka::msg::KafkaEvent;
use brokerlab_engine::rabbit::event::RabbitEvent;
use brokerlab_engine::LoggedCommand;
use brokerlab_engine::{Event, EventKind, ModelEvents, Simulation, Time, World};

pub const MAX_SNAPSHOTS: usize = 24;
/// Steps between snapshots at first (a seek then replays at most this many: a few ms of work).
const FIRST_EVERY: u64 = 20_000;
/// Markers kept at most (the oldest go first).
pub const MAX_MARKERS: usize = 500;

/// A run's state at an instant, with the view models that are folded from its whole history.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub sim: Simulation,
    pub groups: Groups,
    pub meters: Meters,
}

/// Something worth jumping to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub at: Time,
    /// A short class: `crash`, `restart`, `cut`, `election`, `isr`, `rebalance`, `dead-letter`, `fork`.
    pub kind: &'static str,
    /// The event's log line.
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Timeline {
    snapshots: Vec<Snapshot>,
    every: u64,
    /// The furthest instant played, its step count, and the commands of the run up to there (the
    /// future, when the shown instant is earlier).
    head: Time,
    head_steps: u64,
    log: Vec<LoggedCommand>,
    markers: Vec<Marker>,
}

/// The marker an event makes, if it is one a learner would want to find again.
pub fn marker_kind(e: &Event) -> Option<&'static str> {
    Some(match e.kind {
        EventKind::NodeStopped { .. } => "crash",
        EventKind::NodeStarted { .. } if e.at > Time::ZERO => "restart",
        EventKind::NodeIsolated { .. } | EventKind::LinkCut { .. } => "cut",
        EventKind::NodeRejoined { .. } | EventKind::LinkHealed { .. } | EventKind::NetworkHealed => "heal",
        EventKind::Model(ModelEvents::Kafka(KafkaEvent::LeaderElected { unclean: true, .. })) => "unclean-election",
        EventKind::Model(ModelEvents::Kafka(
            KafkaEvent::LeaderElected { .. } | KafkaEvent::ControllerElected { .. },
        )) => "election",
        EventKind::Model(ModelEvents::Kafka(KafkaEvent::ZkLeaderElected { .. })) => "election",
        EventKind::Model(ModelEvents::Kafka(
            KafkaEvent::IsrChanged { .. } | KafkaEvent::OfflineReplicasRemoved { .. },
        )) => "isr",
        EventKind::Model(ModelEvents::Kafka(KafkaEvent::GroupState { .. })) => "rebalance",
        EventKind::Model(ModelEvents::Kafka(KafkaEvent::PartitionOffline { .. })) => "offline",
        EventKind::Model(ModelEvents::Rabbit(RabbitEvent::DeadLettered { .. })) => "dead-letter",
        _ => return None,
    })
}

impl Timeline {
    /// A timeline starting at `start`, the run's first instant.
    pub fn new(start: Snapshot) -> Timeline {
        Timeline {
            head: start.sim.now(),
            head_steps: start.sim.steps(),
            log: start.sim.command_log().to_vec(),
            snapshots: vec![start],
            every: FIRST_EVERY,
            markers: Vec::new(),
        }
    }

    /// The commands to apply while playing: the run's own, with its future after a seek back.
    pub fn log(&self) -> &[LoggedCommand] {
        &self.log
    }
    /// Plays on toward a future known in advance (a shared link's actions).
    pub fn set_future(&mut self, log: Vec<LoggedCommand>) {
        self.log = log;
    }
    pub fn start(&self) -> Time {
        self.snapshots[0].sim.now()
    }
    pub fn head(&self) -> Time {
        self.head
    }
    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }
    pub fn snapshots(&self) -> usize {
        self.snapshots.len()
    }
    /// The snapshots kept, oldest first (`make bench` measures what they hold).
    pub fn kept(&self) -> &[Snapshot] {
        &self.snapshots
    }
    /// Steps between snapshots now (doubles each time the snapshots are thinned).
    pub fn every(&self) -> u64 {
        self.every
    }

    /// The run moved on (its events since the last call are `events`): beyond the head it is new
    /// ground, so markers are taken. True when a snapshot is due (`push` it).
    pub fn observe(&mut self, sim: &Simulation, events: &[Event], world: &World) -> bool {
        if sim.steps() < self.head_steps || (sim.steps() == self.head_steps && sim.now() <= self.head) {
            return false;
        }
        let head = self.head;
        for e in events.iter().filter(|e| e.at >= head) {
            if let Some(kind) = marker_kind(e) {
                let m = Marker { at: e.at, kind, text: e.line(world) };
                // Events at the head's own instant may have been seen already.
                if e.at > self.head || !self.markers.iter().rev().take_while(|o| o.at == e.at).any(|o| *o == m) {
                    self.push_marker(m);
                }
            }
        }
        self.head = sim.now();
        self.head_steps = sim.steps();
        let last = self.snapshots.last().map_or(0, |s| s.sim.steps());
        sim.steps() >= last + self.every
    }

    /// Keeps a snapshot of the head (when `observe` says one is due).
    pub fn push(&mut self, snapshot: Snapshot) {
        self.snapshots.push(snapshot);
        if self.snapshots.len() > MAX_SNAPSHOTS {
            // Keep the first and every other one after it; twice the spacing from now on.
            let mut i = 0;
            self.snapshots.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.every *= 2;
        }
    }

    /// The learner acted at the head (after `fork`, the shown instant is the head): the command
    /// log is now the run's.
    pub fn acted(&mut self, sim: &Simulation) {
        self.log = sim.command_log().to_vec();
    }

    fn push_marker(&mut self, m: Marker) {
        if self.markers.len() == MAX_MARKERS {
            self.markers.remove(0);
        }
        self.markers.push(m);
    }

    /// The last snapshot at or before `t` (the first one if `t` is earlier).
    pub fn before(&self, t: Time) -> &Snapshot {
        self.snapshots.iter().rev().find(|s| s.sim.now() <= t).unwrap_or(&self.snapshots[0])
    }

    /// The last snapshot at or before `steps` steps.
    pub fn before_step(&self, steps: u64) -> &Snapshot {
        self.snapshots.iter().rev().find(|s| s.sim.steps() <= steps).unwrap_or(&self.snapshots[0])
    }

    /// The learner is about to act on `sim`, the shown instant: if that is before the head, the
    /// future is discarded — snapshots, markers and commands after it — and the fork is marked.
    pub fn fork(&mut self, sim: &Simulation) {
        if sim.steps() >= self.head_steps && sim.now() >= self.head {
            return;
        }
        self.snapshots.retain(|s| s.sim.steps() <= sim.steps());
        self.markers.retain(|m| m.at <= sim.now());
        self.log = sim.command_log().to_vec();
        self.head = sim.now();
        self.head_steps = sim.steps();
        let text = format!("{:>12}  fork: acted in the past; the run after it was discarded", sim.now().to_string());
        self.push_marker(Marker { at: sim.now(), kind: "fork", text });
    }

    /// The marker before `t` (strictly), and the one after it.
    pub fn previous_marker(&self, t: Time) -> Option<&Marker> {
        self.markers.iter().rev().find(|m| m.at < t)
    }
    pub fn next_marker(&self, t: Time) -> Option<&Marker> {
        self.markers.iter().find(|m| m.at > t)
    }
}
