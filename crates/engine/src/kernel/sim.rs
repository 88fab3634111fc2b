//! The simulation: owns the clock, the queue, the random streams and the trace; runs handlers and
//! carries out what they ask. Commands in, events out.
//!
//! ```text
//! let mut sim = Simulation::new(&scenario, seed)?;   // invalid scenario -> Err, never a panic
//! sim.apply(Command::Stop { node })?;                // user actions are commands
//! sim.run_until(sim.now() + Time::ms(5));            // process everything due by then
//! for e in sim.drain_events() { … }                  // what the UI animates and charts
//! sim.world()                                        // read-only state for rendering
//! ```
//!
//! Replay is the truth: `(scenario, seed, command log)` rebuilds any instant (`Simulation::replay`);
//! a snapshot is just a `clone()`.

use super::command::Command;
use super::ctx::{Ctx, Effect, Outbox};
use super::event::{Event, EventKind, MsgId};
use super::net::{DropReason, Fate};
use super::rng::Rng;
use super::time::Time;
use super::trace::TraceHash;
use super::{Built, Leaving, NodeId, NodeSlot, Process, Spec, System, Wire, World};

/// Something due at a simulated time.
#[derive(Clone, Debug)]
enum Due<S: System> {
    Deliver {
        from: NodeId,
        to: NodeId,
        id: MsgId,
        sent_at: Time,
        msg: S::Msg,
        /// Whether it arrives, or its connection breaks (loss) and it is dropped then.
        fate: Fate,
    },
    Timer {
        node: NodeId,
        incarnation: u32,
        timer: S::Timer,
    },
    /// `node` learns that its connection to `peer` was reset (the peer's process is gone).
    Reset {
        node: NodeId,
        peer: NodeId,
    },
    Command(Command<NodeId, S::Act>),
}

/// A user command as it was applied: after `step` queue entries, at `at`. Enough to replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedCommand<A> {
    pub step: u64,
    pub at: Time,
    pub command: Command<NodeId, A>,
}

#[derive(Clone, Debug)]
pub struct Simulation<S: System> {
    scenario: S::Spec,
    seed: u64,
    world: World<S>,
    queue: super::queue::EventQueue<Due<S>>,
    net_rng: Rng,
    node_rngs: Vec<Rng>,
    steps: u64,
    next_msg: u64,
    hash: TraceHash,
    events: Vec<Event<S::Event>>,
    /// The outbox reused by every handler call, so handling allocates nothing; empty between calls.
    /// Taken out while a handler's effects are carried out (they need the rest of `self`): an
    /// `Option`, so putting it back drops nothing (dropping the empty stand-in of a plain take
    /// was a call per handler per model, 2% of the relay bench).
    effects: Option<S::Outbox>,
    log: Vec<LoggedCommand<S::Act>>,
}

/// Random stream numbers: one per node (its index), and this one for the network.
const NETWORK_STREAM: u64 = u64::MAX;

impl<S: System> Simulation<S> {
    /// Builds the world from a validated scenario and starts every node at time zero.
    pub fn new(scenario: &S::Spec, seed: u64) -> Result<Self, String> {
        scenario.validate()?;
        let Built { nodes, shared, network, faults, stopped } = scenario.build();
        let nodes: Vec<NodeSlot<S>> =
            nodes.into_iter().map(|(name, node)| NodeSlot { name, node, incarnation: 0, leaving: false }).collect();
        let mut queue = super::queue::EventQueue::default();
        for (at, command) in faults {
            queue.push(at, Due::Command(command));
        }
        let node_rngs = (0..nodes.len() as u64).map(|i| Rng::fork(seed, i)).collect();
        let mut sim = Simulation {
            scenario: scenario.clone(),
            seed,
            world: World { now: Time::ZERO, nodes, network, metrics: Default::default(), shared },
            queue,
            net_rng: Rng::fork(seed, NETWORK_STREAM),
            node_rngs,
            steps: 0,
            next_msg: 0,
            hash: TraceHash::default(),
            events: Vec::new(),
            effects: Some(Default::default()),
            log: Vec::new(),
        };
        for &node in &stopped {
            sim.world.network.set_up(node, false);
        }
        for i in 0..sim.world.nodes.len() {
            if !stopped.contains(&NodeId(i as u32)) {
                sim.start_node(NodeId(i as u32));
            }
        }
        Ok(sim)
    }

    /// Rebuilds the instant reached by applying `log` to a fresh run of `scenario` with `seed`.
    pub fn replay(scenario: &S::Spec, seed: u64, log: &[LoggedCommand<S::Act>]) -> Result<Self, String> {
        let mut sim = Simulation::new(scenario, seed)?;
        for entry in log {
            sim.reapply(entry)?;
        }
        Ok(sim)
    }

    /// Runs on to the step `entry` was applied after (or until nothing is left to happen) and
    /// applies it at the instant it was applied.
    fn reapply(&mut self, entry: &LoggedCommand<S::Act>) -> Result<(), String> {
        while self.steps < entry.step && self.step() {}
        self.advance_clock(entry.at);
        self.apply(entry.command.clone())
    }

    pub fn now(&self) -> Time {
        self.world.now
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn scenario(&self) -> &S::Spec {
        &self.scenario
    }
    pub fn world(&self) -> &World<S> {
        &self.world
    }
    /// Queue entries processed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }
    pub fn trace_hash(&self) -> TraceHash {
        self.hash
    }
    pub fn command_log(&self) -> &[LoggedCommand<S::Act>] {
        &self.log
    }
    /// Queue entries waiting: timers set and messages in flight (the soak test bounds it).
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
    /// When the next queue entry is due, if anything is left to happen.
    pub fn next_due(&self) -> Option<Time> {
        self.queue.peek_time()
    }

    /// Events emitted since the last drain, oldest first.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event<S::Event>> {
        self.events.drain(..)
    }

    /// Applies a user command now. Invalid input (an unknown node) is an error, never a panic.
    pub fn apply(&mut self, command: Command<NodeId, S::Act>) -> Result<(), String> {
        self.check(&command)?;
        self.log.push(LoggedCommand { step: self.steps, at: self.world.now, command: command.clone() });
        self.execute(command);
        Ok(())
    }

    /// Whether `command` can be applied to this run: its nodes exist and a link joins two of them.
    /// (What `apply` refuses; a command it accepts is never refused later.)
    pub fn check(&self, command: &Command<NodeId, S::Act>) -> Result<(), String> {
        let n = self.world.nodes.len();
        if let Some(bad) = command.nodes().into_iter().find(|id| id.index() >= n) {
            return Err(format!("no node with index {} (the scenario has {n})", bad.0));
        }
        if let Command::Slow { a, b, .. } | Command::Cut { a, b } | Command::Heal { a, b } = *command {
            if a == b {
                return Err("a link joins two different nodes".into());
            }
        }
        Ok(())
    }

    /// Processes the next queue entry. False when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        let Some((at, due)) = self.queue.pop() else { return false };
        debug_assert!(at >= self.world.now, "time went backwards: {at} < {}", self.world.now);
        self.world.now = at;
        self.steps += 1;
        match due {
            Due::Deliver { from, to, id, sent_at, msg, fate } => {
                let info = msg.info();
                if fate != Fate::Arrives {
                    self.connection_timed_out(from, to, id, info, fate);
                    return true;
                }
                match self.world.network.deliverable(from, to) {
                    Err(reason) => {
                        self.emit(EventKind::Dropped { from, to, msg: id, info, reason });
                        // A stopped process's host still answers: the sender's connection is reset
                        // (TCP RST) one hop later. A cut link or isolation answers nothing.
                        if reason == DropReason::ReceiverDown {
                            self.schedule_reset(from, to);
                        }
                    }
                    Ok(()) => {
                        self.emit(EventKind::Delivered { from, to, msg: id, info, sent_at });
                        self.handle(to, |node, ctx| node.on_message(ctx, from, msg));
                    }
                }
            }
            Due::Timer { node, incarnation, timer } => {
                let slot = &self.world.nodes[node.index()];
                // A timer set before a crash died with the process that set it.
                if incarnation == slot.incarnation && self.world.network.is_up(node) {
                    self.handle(node, |n, ctx| n.on_timer(ctx, timer));
                }
            }
            Due::Reset { node, peer } => {
                if self.world.network.is_up(node) {
                    self.emit(EventKind::ConnectionReset { node, peer });
                    self.handle(node, |n, ctx| n.on_disconnect(ctx, peer));
                }
            }
            Due::Command(command) => self.execute(command),
        }
        true
    }

    /// Processes everything due at or before `until`, then sets the clock to `until`.
    /// Returns the number of queue entries processed.
    pub fn run_until(&mut self, until: Time) -> u64 {
        self.run_until_limited(until, u64::MAX).0
    }

    /// Like `run_until`, but stops after `max_steps` entries (a frame's budget). Returns the entries
    /// processed and whether `until` was reached; the clock only moves to `until` if it was.
    pub fn run_until_limited(&mut self, until: Time, max_steps: u64) -> (u64, bool) {
        let mut done = 0;
        while done < max_steps {
            match self.queue.peek_time() {
                Some(t) if t <= until => {
                    self.step();
                    done += 1;
                }
                _ => {
                    self.advance_clock(until);
                    return (done, true);
                }
            }
        }
        let reached = self.queue.peek_time().is_none_or(|t| t > until);
        if reached {
            self.advance_clock(until);
        }
        (done, reached)
    }

    /// Runs on like `run_until_limited`, applying the commands of `log` that this run has not
    /// applied yet, each after the step and at the instant it was first applied. `log` is the
    /// command log of a run this one is an earlier instant of (its own log is a prefix of it):
    /// from a snapshot, this reaches the same instant with the same trace as the run itself did.
    pub fn run_with_log(&mut self, log: &[LoggedCommand<S::Act>], until: Time, max_steps: u64) -> (u64, bool) {
        debug_assert!(log.starts_with(&self.log), "not a later instant of this run");
        // It was applied once to this very state, so it applies again.
        self.follow_log(log, until, max_steps).expect("a logged command applies again")
    }

    /// `run_with_log` for a log from outside (a link, a saved file), which may have been edited:
    /// an entry that does not fit this run is an error in words, never a hang or a panic. It fits
    /// when this run reaches its step no later than its instant, with nothing left due before that
    /// instant (as when it was taken), and its nodes exist. Running toward an entry never passes
    /// its instant, so a step far beyond the run stops there instead of running forever.
    pub fn follow_log(
        &mut self,
        log: &[LoggedCommand<S::Act>],
        until: Time,
        max_steps: u64,
    ) -> Result<(u64, bool), String> {
        let mut done = 0;
        while let Some(entry) = log.get(self.log.len()).filter(|e| e.at <= until) {
            let need = entry.step.saturating_sub(self.steps);
            let (d, _) = self.run_until_limited(entry.at, need.min(max_steps - done));
            done += d;
            if self.steps < entry.step && self.next_due().is_some_and(|t| t <= entry.at) {
                return Ok((done, false)); // out of budget on the way
            }
            let fits =
                self.steps == entry.step && self.world.now <= entry.at && self.next_due().is_none_or(|t| t >= entry.at);
            if !fits {
                return Err(format!(
                    "action {} does not fit this run: it was taken after step {} at {}, and this run is \
                     after step {} at {} then",
                    self.log.len() + 1,
                    entry.step,
                    entry.at,
                    self.steps,
                    self.world.now
                ));
            }
            self.advance_clock(entry.at);
            self.apply(entry.command.clone()).map_err(|e| format!("action {}: {e}", self.log.len() + 1))?;
        }
        let (d, reached) = self.run_until_limited(until, max_steps - done);
        Ok((done + d, reached))
    }

    fn advance_clock(&mut self, to: Time) {
        self.world.now = self.world.now.max(to);
    }

    #[inline(always)]
    fn emit(&mut self, kind: EventKind<S::Event>) {
        let event = Event { at: self.world.now, kind };
        event.encode(&mut self.hash);
        self.world.metrics.observe(&event);
        self.events.push(event);
    }

    /// Runs one handler of one node, then carries out its effects in the order it asked for them.
    fn handle(&mut self, node: NodeId, f: impl FnOnce(&mut S::Node, &mut Ctx<S>)) {
        let mut effects = self.effects.take().unwrap_or_default();
        {
            let mut ctx = Ctx::new(self.world.now, node, &mut self.node_rngs[node.index()], &mut effects);
            f(&mut self.world.nodes[node.index()].node, &mut ctx);
        }
        effects.drain_each(|effect| match effect {
            Effect::Send { to, msg } => self.send(node, to, msg),
            Effect::Timer { after, timer } => {
                let incarnation = self.world.nodes[node.index()].incarnation;
                self.queue.push(self.world.now + after, Due::Timer { node, incarnation, timer });
            }
            Effect::Emit(e) => self.emit(EventKind::Model(e)),
            Effect::Close { peer } => self.world.network.reconnect(node, peer),
        });
        self.effects = Some(effects);
        let slot = &self.world.nodes[node.index()];
        if slot.leaving && slot.node.has_left() {
            self.execute(Command::Stop { node });
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: S::Msg) {
        let id = MsgId(self.next_msg);
        self.next_msg += 1;
        let info = msg.info();
        let now = self.world.now;
        match self.world.network.route(from, to, now, &mut self.net_rng) {
            Ok(transit) => {
                let deliver_at = transit.at;
                self.emit(EventKind::Sent { from, to, msg: id, info, deliver_at });
                self.queue.push(deliver_at, Due::Deliver { from, to, id, sent_at: now, msg, fate: transit.fate });
            }
            Err(reason) => self.emit(EventKind::Dropped { from, to, msg: id, info, reason }),
        }
    }

    /// Every transmission of a message from `from` was lost (`net`'s retransmissions): it is
    /// dropped, and the message that broke the connection tells its sender, whose socket fails
    /// (ETIMEDOUT), as a reset. Those queued behind it are dropped with it.
    fn connection_timed_out(&mut self, from: NodeId, to: NodeId, id: MsgId, info: super::MsgInfo, fate: Fate) {
        self.emit(EventKind::Dropped { from, to, msg: id, info, reason: DropReason::Loss });
        if fate == Fate::BreaksConnection && self.world.network.is_up(from) {
            self.world.network.forget_connection(from, to);
            self.emit(EventKind::ConnectionReset { node: from, peer: to });
            self.handle(from, |n, ctx| n.on_disconnect(ctx, to));
        }
    }

    /// `node` will learn, one hop from `peer` later, that its connection to `peer` was reset — if a
    /// packet from `peer` can reach it (a cut link carries no reset).
    fn schedule_reset(&mut self, node: NodeId, peer: NodeId) {
        // A lost RST is answered again when the peer retransmits: it arrives late, as routed.
        match self.world.network.route(peer, node, self.world.now, &mut self.net_rng) {
            Ok(t) if t.fate == Fate::Arrives => self.queue.push(t.at, Due::Reset { node, peer }),
            _ => {}
        }
    }

    fn start_node(&mut self, node: NodeId) {
        self.handle(node, |n, ctx| n.on_start(ctx));
    }

    /// Carries out a command. Idempotent: stopping a stopped node changes nothing and emits nothing.
    fn execute(&mut self, command: Command<NodeId, S::Act>) {
        let net = &mut self.world.network;
        match command {
            Command::Stop { node } if net.is_up(node) => {
                net.set_up(node, false);
                let slot = &mut self.world.nodes[node.index()];
                slot.incarnation += 1;
                slot.leaving = false;
                slot.node.on_crash();
                self.emit(EventKind::NodeStopped { node });
                // The dying process's sockets close: its peers see their connections reset one hop
                // later (unless the link is cut, when they hear nothing and must time out).
                for peer in self.world.network.close_connections(node) {
                    self.schedule_reset(peer, node);
                }
            }
            Command::Leave { node } if net.is_up(node) && !self.world.nodes[node.index()].leaving => {
                self.emit(EventKind::NodeLeaving { node });
                let mut leaving = Leaving::Now;
                self.handle(node, |n, ctx| leaving = n.on_leave(ctx));
                match leaving {
                    Leaving::Now => self.execute(Command::Stop { node }),
                    Leaving::Later => self.world.nodes[node.index()].leaving = true,
                }
            }
            Command::Start { node } if !net.is_up(node) => {
                net.set_up(node, true);
                self.emit(EventKind::NodeStarted { node });
                self.start_node(node);
            }
            Command::Isolate { node } if !net.is_isolated(node) => {
                net.set_isolated(node, true);
                self.emit(EventKind::NodeIsolated { node });
            }
            Command::Rejoin { node } if net.is_isolated(node) => {
                net.set_isolated(node, false);
                self.emit(EventKind::NodeRejoined { node });
            }
            Command::Cut { a, b } if !net.is_cut(a, b) => {
                net.set_cut(a, b, true);
                self.emit(EventKind::LinkCut { a, b });
            }
            Command::Heal { a, b } if net.is_cut(a, b) => {
                net.set_cut(a, b, false);
                self.emit(EventKind::LinkHealed { a, b });
            }
            Command::Slow { a, b, extra } if net.extra_delay(a, b) != extra => {
                net.set_extra_delay(a, b, extra);
                self.emit(EventKind::LinkSlowed { a, b, extra });
            }
            Command::HealAll => {
                net.heal_all();
                self.emit(EventKind::NetworkHealed);
            }
            Command::Act { node, act } if net.is_up(node) => {
                self.handle(node, |n, ctx| S::act(n, ctx, act));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;
    // The kernel's own test model.
    use crate::relay::Relay;

    type Command = super::Command<NodeId, crate::relay::NoAct>;

    /// A run with actions at several instants, and a snapshot taken before the first.
    fn run_with_actions() -> (Simulation<Relay>, Simulation<Relay>) {
        let s = presets::load("relay-basic").unwrap();
        let mut sim = Simulation::<Relay>::new(&s, 3).unwrap();
        sim.run_until(Time::ms(5));
        let snapshot = sim.clone();
        sim.run_until(Time::ms(9));
        sim.apply(Command::Stop { node: NodeId(2) }).unwrap();
        sim.apply(Command::Cut { a: NodeId(3), b: NodeId(4) }).unwrap();
        sim.run_until(Time::ms(25));
        sim.step();
        sim.apply(Command::Start { node: NodeId(2) }).unwrap();
        sim.run_until(Time::ms(40));
        (snapshot, sim)
    }

    #[test]
    fn from_a_snapshot_the_log_reaches_the_same_instant_and_trace() {
        let (snapshot, head) = run_with_actions();
        let mut again = snapshot.clone();
        let (_, reached) = again.run_with_log(head.command_log(), head.now(), u64::MAX);
        assert!(reached);
        assert_eq!((again.now(), again.steps()), (head.now(), head.steps()));
        assert_eq!(again.trace_hash(), head.trace_hash());
        assert_eq!(again.command_log(), head.command_log());
        // In small slices (a frame's budget at a time), the same.
        let mut sliced = snapshot;
        while !sliced.run_with_log(head.command_log(), head.now(), 7).1 {}
        assert_eq!(sliced.trace_hash(), head.trace_hash());
        assert_eq!(sliced.steps(), head.steps());
    }

    #[test]
    fn an_earlier_instant_applies_only_the_commands_before_it() {
        let (snapshot, head) = run_with_actions();
        let mut early = snapshot;
        early.run_with_log(head.command_log(), Time::ms(10), u64::MAX);
        assert_eq!(early.command_log(), &head.command_log()[..2]);
        assert_eq!(early.now(), Time::ms(10));
    }

    /// A log from outside that was edited: each misfit is a message, and none runs past its instant.
    #[test]
    fn an_edited_log_is_an_error_not_a_hang() {
        let (_, head) = run_with_actions();
        let scenario = head.scenario().clone();
        let follow = |edit: &dyn Fn(&mut Vec<LoggedCommand<crate::relay::NoAct>>)| {
            let mut log = head.command_log().to_vec();
            edit(&mut log);
            let mut sim = Simulation::<Relay>::new(&scenario, 3).unwrap();
            sim.follow_log(&log, head.now(), u64::MAX).map(|_| sim.trace_hash())
        };
        assert_eq!(follow(&|_| {}), Ok(head.trace_hash()));
        let far = follow(&|l| l[0].step = u64::MAX).unwrap_err();
        assert!(
            far.starts_with("action 1 does not fit this run: it was taken after step 18446744073709551615"),
            "{far}"
        );
        assert!(follow(&|l| l[0].step -= 1).unwrap_err().contains("action 1 does not fit"));
        assert!(follow(&|l| l[2].at = Time::ms(1)).unwrap_err().contains("action 3 does not fit"));
        assert!(follow(&|l| l[0].at = Time::ms(30)).unwrap_err().contains("action 1 does not fit"));
        let node = follow(&|l| l[1].command = Command::Stop { node: NodeId(99) }).unwrap_err();
        assert_eq!(node, "action 2: no node with index 99 (the scenario has 5)");
    }
}
