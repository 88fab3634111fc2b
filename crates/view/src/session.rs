//! The playground's session: one run of one scenario and everything the page derives from it —
//! the simulation, its speed and play state, the per-frame stepping budget, the walkthrough, and
//! every view model the events are folded into. Pure and natively tested; the Yew app only renders
//! a session and turns clicks into calls on it.
//!
//! Loading another scenario (or a new seed, or a reset) builds a new `Session`, so nothing of the
//! old run can survive into the new one: a selection, a highlighted node, a half-played walkthrough.
//! What is the learner's preference rather than the run's (the speed, whether the log shows
//! network messages) is carried over explicitly by `Session::next`.

use super::event_log::EventLog;
use super::flights::Flights;
use super::groups::Groups;
use super::layout::{layout, Point};
use super::rabbit_flow::RouteFlow;
use super::series::Meters;
use super::speed;
use super::timeline::{Snapshot, Timeline};
use super::walk::{Pace, Variant, Walk};
use brokerlab_engine::{presets, Command, Event, EventKind, ModelEvents, NodeId, Scenario, Simulation, Time, World};

/// Work per frame: past this the simulation runs slower than asked rather than drop frames.
pub const FRAME_BUDGET_MS: f64 = 6.0;
/// Queue entries between two looks at the clock.
const STEPS_PER_SLICE: u64 = 2_000;
/// The most engine steps opening a link may take to reach its instant (a few seconds of work).
pub const LINK_MAX_STEPS: u64 = 20_000_000;
const CHART_BUCKETS: usize = 60;
/// The speed a walkthrough plays at between two steps it needs to see quickly (×10).
const WALK_FAST: usize = 8;
/// How far a walkthrough looks for its first step before giving up and playing on.
const WALK_FIRST_STEP_WITHIN: Time = Time::secs(120);
/// Steps run between two folds while seeking or opening a link (the timeline's snapshot spacing
/// is a multiple of it, so snapshots fall where they would while playing).
const STEPS_PER_SEEK_CHUNK: u64 = 2_000;

/// A clock in page milliseconds: `performance.now()` in the browser, a counter in tests.
pub type Clock<'a> = &'a dyn Fn() -> f64;

pub struct Session {
    preset: &'static str,
    /// The scenario as loaded, with its scheduled faults (a walkthrough runs without them).
    scenario: Scenario,
    /// The scenario is not the preset's own (a configuration, a topology edit, the editor): the
    /// link carries it.
    edited: bool,
    sim: Simulation,
    pub playing: bool,
    speed: usize,
    /// Fraction of a microsecond owed to the simulation from earlier frames.
    carry_us: f64,
    /// The last frame hit the work budget: the run plays slower than asked.
    behind: bool,
    /// Work per frame, smoothed.
    frame_work_ms: f64,
    positions: Vec<Point>,
    flights: Flights,
    /// Messages along their RabbitMQ routes.
    rabbit_flow: RouteFlow,
    groups: Groups,
    meters: Meters,
    log: EventLog,
    walk: Option<Walk>,
    /// The run so far, to seek back and forth in.
    timeline: Timeline,
    selected: Option<NodeId>,
    /// Nodes highlighted because their log line was clicked.
    picked: Vec<NodeId>,
}

/// Chart bucket width: a 25th of the scenario's usual run (at least 100 µs), so a bucket holds a
/// few messages even in the slow teaching presets and the lines show rates, not single arrivals.
fn bucket_width(s: &Scenario) -> Time {
    Time((s.until.0 / 25).max(100))
}

impl Session {
    /// A fresh run of `scenario` with `seed`, playing at the speed that shows it in about 90 s.
    pub fn new(preset: &'static str, scenario: Scenario, seed: u64) -> Result<Session, String> {
        let sim = Simulation::new(&scenario, seed)?;
        Ok(Session::around(preset, scenario, sim))
    }

    /// A session showing `sim`, a run of `scenario` at any instant.
    fn around(preset: &'static str, scenario: Scenario, sim: Simulation) -> Session {
        let meters = Meters::new(bucket_width(&scenario), CHART_BUCKETS);
        let groups = Groups::new(sim.world());
        let start = Snapshot { sim: sim.clone(), groups: groups.clone(), meters: meters.clone() };
        let edited = presets::load(preset).is_none_or(|p| p != scenario);
        let mut s = Session {
            preset,
            edited,
            speed: speed::for_duration(scenario.until),
            timeline: Timeline::new(start),
            meters,
            positions: layout(sim.world()),
            groups,
            scenario,
            sim,
            playing: true,
            carry_us: 0.0,
            behind: false,
            frame_work_ms: 0.0,
            flights: Flights::default(),
            rabbit_flow: RouteFlow::default(),
            log: EventLog::default(),
            walk: None,
            selected: None,
            picked: Vec::new(),
        };
        s.fold_events(0.0);
        // The first instant as folded (its start events drained): where the timeline begins.
        s.timeline = Timeline::new(s.snapshot());
        s
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot { sim: self.sim.clone(), groups: self.groups.clone(), meters: self.meters.clone() }
    }

    /// Opens a shared link: replays its actions (`log`, as in the URL), then runs to its instant
    /// `t` and pauses there. What cannot be done is said in `problems` and left out; the page
    /// still opens on the scenario.
    pub fn open_link(
        preset: &'static str,
        scenario: Scenario,
        seed: u64,
        log: Option<&str>,
        t: Option<Time>,
        problems: &mut Vec<String>,
    ) -> Result<Session, String> {
        let mut s = Session::new(preset, scenario, seed)?;
        let mut until = t.unwrap_or(Time::ZERO);
        if let Some(text) = log {
            // Checked before any of it runs: a log with a command this run refuses is left out whole.
            let checked = super::link::decode(text)
                .and_then(|log| log.iter().try_for_each(|e| s.sim.check(&e.command)).map(|()| log));
            match checked {
                Ok(log) => {
                    until = until.max(log.last().map_or(Time::ZERO, |e| e.at));
                    s.timeline.set_future(log);
                }
                Err(e) => {
                    problems.push(format!("the link's actions could not be replayed ({e}); starting without them"))
                }
            }
        }
        // Played through the session, so the timeline has its snapshots and markers.
        let mut left = LINK_MAX_STEPS;
        loop {
            let (done, reached) = s.sim.run_with_log(s.timeline.log(), until, left.min(STEPS_PER_SEEK_CHUNK));
            s.fold_events(0.0);
            left -= done;
            if reached {
                break;
            }
            if left == 0 {
                problems.push(format!(
                    "the link's instant {until} is too far to reach at once; stopped at {}",
                    s.sim.now()
                ));
                break;
            }
        }
        s.flights.clear();
        s.playing = t.is_none();
        Ok(s)
    }

    /// The session that replaces this one when `scenario` is loaded with `seed`: a new run, with
    /// the learner's preferences kept (the speed, unless the new scenario has another time scale;
    /// the log's network toggle).
    pub fn next(&self, preset: &'static str, scenario: Scenario, seed: u64) -> Result<Session, String> {
        let same_scale = scenario.until == self.scenario.until;
        let mut s = Session::new(preset, scenario, seed)?;
        if same_scale {
            s.speed = self.speed;
        }
        s.log.show_network = self.log.show_network;
        Ok(s)
    }

    /// The same scenario and seed from the start.
    pub fn reset(&self) -> Session {
        self.next(self.preset, self.scenario.clone(), self.sim.seed()).expect("a scenario that built once builds again")
    }

    pub fn preset(&self) -> &'static str {
        self.preset
    }
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    /// Whether the scenario is an edit of the preset (the link then carries it).
    pub fn edited(&self) -> bool {
        self.edited
    }
    pub fn sim(&self) -> &Simulation {
        &self.sim
    }
    pub fn world(&self) -> &World {
        self.sim.world()
    }
    pub fn seed(&self) -> u64 {
        self.sim.seed()
    }
    pub fn speed(&self) -> usize {
        self.speed
    }
    pub fn behind(&self) -> bool {
        self.behind
    }
    pub fn frame_work_ms(&self) -> f64 {
        self.frame_work_ms
    }
    pub fn positions(&self) -> &[Point] {
        &self.positions
    }
    pub fn flights(&self) -> &Flights {
        &self.flights
    }
    pub fn rabbit_flow(&self) -> &RouteFlow {
        &self.rabbit_flow
    }
    pub fn groups(&self) -> &Groups {
        &self.groups
    }
    pub fn meters(&self) -> &Meters {
        &self.meters
    }
    pub fn log(&self) -> &EventLog {
        &self.log
    }
    pub fn walk(&self) -> Option<&Walk> {
        self.walk.as_ref()
    }
    pub fn selected(&self) -> Option<NodeId> {
        self.selected
    }

    pub fn set_speed(&mut self, index: usize) {
        self.speed = index.min(speed::LADDER.len() - 1);
    }
    pub fn faster(&mut self) {
        self.speed = speed::faster(self.speed);
    }
    pub fn slower(&mut self) {
        self.speed = speed::slower(self.speed);
    }
    pub fn toggle_network_log(&mut self) {
        self.log.show_network = !self.log.show_network;
    }

    /// Selects `id` for the inspector, or clears the selection if it was selected.
    pub fn select(&mut self, id: NodeId) {
        self.selected = if self.selected == Some(id) { None } else { Some(id) };
    }
    pub fn deselect(&mut self) {
        self.selected = None;
    }
    /// A log line was clicked: highlight the nodes its event concerns (clicking it again clears).
    pub fn pick(&mut self, nodes: [Option<NodeId>; 2]) {
        let nodes: Vec<NodeId> = nodes.iter().flatten().copied().collect();
        self.picked = if self.picked == nodes { Vec::new() } else { nodes };
    }
    /// The nodes the stage highlights: the walkthrough's step's, else the picked log line's.
    pub fn highlighted(&self) -> &[NodeId] {
        self.walk.as_ref().and_then(|w| w.current()).map_or(self.picked.as_slice(), |s| s.nodes.as_slice())
    }

    /// The address's query for what is on screen: the preset, seed and speed, the actions taken
    /// (replayed when the link is opened) and, when paused, the instant shown.
    pub fn query(&self) -> String {
        // A walkthrough runs the scenario without its faults: a link from it could not replay it.
        let walking = self.walk.is_some();
        let log = if walking { String::new() } else { super::link::encode(self.sim.command_log()) };
        let t = (!self.playing && !walking).then(|| self.sim.now());
        let scenario = self.edited.then(|| super::link_scenario::encode(&self.scenario));
        super::params::to_query(self.preset, self.sim.seed(), self.speed, &log, t, scenario.as_deref())
    }

    /// Applies a learner's action now; an action the engine refuses comes back as its message.
    pub fn apply(&mut self, command: Command, page_ms: f64) -> Result<(), String> {
        // Acting in the past discards the future after this instant.
        self.timeline.fork(&self.sim);
        let result = self.sim.apply(command);
        self.timeline.acted(&self.sim);
        self.fold_events(page_ms);
        result
    }

    /// Cuts the link between `a` and `b`, or heals it if it is cut.
    pub fn toggle_link(&mut self, a: NodeId, b: NodeId, page_ms: f64) -> Result<(), String> {
        let cut = self.sim.world().network.is_cut(a, b);
        self.apply(if cut { Command::Heal { a, b } } else { Command::Cut { a, b } }, page_ms)
    }

    /// Processes one queue entry and pauses — or, in a walkthrough at a step, goes to the next.
    pub fn step(&mut self, page_ms: f64) -> Result<(), String> {
        if self.walk.as_ref().is_some_and(|w| w.waiting() || w.done()) {
            return self.walk_next(page_ms);
        }
        self.playing = false;
        let until = self.sim.next_due().unwrap_or(self.sim.now());
        self.sim.run_with_log(self.timeline.log(), until, 1);
        self.fold_events(page_ms);
        Ok(())
    }

    /// One animation frame of `wall_ms`: while playing, advances the simulation by `wall_ms` at
    /// the chosen speed, within the frame's work budget (`clock` tells the time spent); else only
    /// lets finished flights go.
    pub fn frame(&mut self, wall_ms: f64, clock: Clock) {
        if self.playing {
            self.advance(wall_ms, clock);
        } else {
            let now = clock();
            self.flights.expire(now);
            self.rabbit_flow.expire(now);
        }
    }

    /// Advances the simulation by `wall_ms` of page time at the chosen speed, within the budget.
    fn advance(&mut self, wall_ms: f64, clock: Clock) {
        let start = clock();
        let want = wall_ms * speed::sim_us_per_ms(self.speed) + self.carry_us;
        let whole = want.floor();
        self.carry_us = want - whole;
        let target = self.sim.now() + Time(whole as u64);
        self.behind = false;
        // A walkthrough looks at every step so it can stop exactly where the next one happens.
        let slice = if self.walk.as_ref().is_some_and(|w| !w.done()) { 1 } else { STEPS_PER_SLICE };
        loop {
            let (_, reached) = self.sim.run_with_log(self.timeline.log(), target, slice);
            if self.walk.is_some() {
                self.fold_events(clock());
                if self.walk.as_ref().is_some_and(|w| w.waiting()) {
                    self.playing = false;
                    self.carry_us = 0.0;
                    break;
                }
            }
            if reached {
                break;
            }
            if clock() - start > FRAME_BUDGET_MS {
                // Too much to simulate in one frame: fall behind the requested speed, stay smooth.
                self.behind = true;
                self.carry_us = 0.0;
                break;
            }
        }
        self.fold_events(clock());
        self.frame_work_ms = self.frame_work_ms * 0.9 + (clock() - start) * 0.1;
    }

    /// Folds the events emitted since the last call into flights, charts, groups, the walkthrough
    /// and the log.
    fn fold_events(&mut self, page_ms: f64) {
        let events: Vec<Event> = self.sim.drain_events().collect();
        let world = self.sim.world();
        for e in &events {
            self.flights.observe(e.at, &e.kind, page_ms);
            if let EventKind::Model(ModelEvents::Rabbit(r)) = &e.kind {
                self.rabbit_flow.observe(r, page_ms);
            }
            self.groups.observe(e);
            if let Some(w) = &mut self.walk {
                w.observe(e, world);
            }
            self.meters.observe(e);
        }
        self.log.add(&events, world);
        self.meters.sample(world);
        if self.timeline.observe(&self.sim, &events, world) {
            self.timeline.push(self.snapshot());
        }
        self.flights.expire(page_ms);
        self.rabbit_flow.expire(page_ms);
    }

    /// Starts a walkthrough on a fresh run of the scenario without its scheduled faults (so
    /// nothing happens that the walkthrough does not tell: a preset's own broker crash would cut
    /// into the record's story), plays without drawing until the cluster is ready (a consumer
    /// reads), then stops on that first step. The scenario itself keeps its faults: reset or
    /// apply brings them back.
    pub fn start_walk(&self, variant: Variant, page_ms: f64) -> Session {
        let mut quiet = self.scenario.clone();
        quiet.faults.clear();
        let mut s = self.next(self.preset, quiet, self.sim.seed()).expect("a scenario that built once builds again");
        s.scenario = self.scenario.clone();
        s.edited = self.edited;
        let mut walk = Walk::new(variant);
        walk.held_faults = self.scenario.faults.len();
        s.walk = Some(walk);
        let limit = s.sim.now() + WALK_FIRST_STEP_WITHIN;
        // One entry at a time, so the run stops where the first step happens (a light scenario
        // covers a second of simulated time in a few hundred entries).
        while s.walk.as_ref().is_some_and(|w| !w.waiting()) && s.sim.now() < limit {
            let before = s.sim.steps();
            s.sim.run_until_limited(limit, 1);
            s.fold_events(page_ms);
            if s.sim.steps() == before {
                break;
            }
        }
        s.flights.clear();
        // Not ready within two minutes of simulated time (no consumer reading?): keep playing,
        // the card says what it waits for.
        s.playing = !s.walk.as_ref().is_some_and(|w| w.waiting());
        s.speed = WALK_FAST;
        s
    }

    /// Moves past the walkthrough's current step: applies the fault it injects there, if any,
    /// and plays on at the pace the next step needs. Past the last step it closes.
    pub fn walk_next(&mut self, page_ms: f64) -> Result<(), String> {
        let Some(w) = &mut self.walk else { return Ok(()) };
        if w.done() {
            self.walk = None;
            return Ok(());
        }
        let mut result = Ok(());
        if let Some(c) = w.advance(self.sim.world()) {
            result = self.apply(c, page_ms);
        }
        if let Some(w) = &self.walk {
            if !w.waiting() {
                self.speed = match w.pace() {
                    Pace::Fast => WALK_FAST,
                    _ => speed::DEFAULT,
                };
                self.playing = true;
            }
        }
        result
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Whether the timeline can be used: not during a walkthrough, which must see every event.
    pub fn can_seek(&self) -> bool {
        self.walk.is_none()
    }

    /// Shows the run at instant `t` (within what has been played), paused: the same state, trace
    /// and view models as playing to `t` gave.
    pub fn seek(&mut self, t: Time) {
        if !self.can_seek() {
            return;
        }
        let t = t.clamp(self.timeline.start(), self.timeline.head());
        let from = self.timeline.before(t);
        // Going forward, the run on screen may be nearer than any snapshot.
        if t < self.sim.now() || from.sim.steps() > self.sim.steps() {
            self.restore(from.clone());
        }
        while !self.sim.run_with_log(self.timeline.log(), t, STEPS_PER_SEEK_CHUNK).1 {
            self.fold_events(0.0);
        }
        self.fold_events(0.0);
        self.flights.clear();
        self.playing = false;
    }

    /// Shows the run one queue entry earlier, paused.
    pub fn step_back(&mut self) {
        let Some(target) = self.sim.steps().checked_sub(1) else { return };
        if !self.can_seek() || target < self.timeline.before(Time::ZERO).sim.steps() {
            return;
        }
        let from = self.timeline.before_step(target).clone();
        let mut left = target - from.sim.steps();
        self.restore(from);
        while left > 0 {
            let head = self.timeline.head();
            let (done, _) = self.sim.run_with_log(self.timeline.log(), head, left.min(STEPS_PER_SEEK_CHUNK));
            self.fold_events(0.0);
            if done == 0 {
                break;
            }
            left -= done;
        }
        self.flights.clear();
        self.playing = false;
    }

    /// Seeks to the previous (`forward` false) or next marker.
    pub fn jump(&mut self, forward: bool) {
        let now = self.sim.now();
        let to = if forward { self.timeline.next_marker(now) } else { self.timeline.previous_marker(now) };
        if let Some(at) = to.map(|m| m.at) {
            self.seek(at);
        }
    }

    /// Puts a snapshot on screen: the run and the history-folded view models as they were; what
    /// only shows the moment (flights, log lines) starts afresh.
    fn restore(&mut self, from: Snapshot) {
        self.sim = from.sim;
        self.groups = from.groups;
        self.meters = from.meters;
        self.flights.clear();
        self.rabbit_flow.clear();
        self.log = EventLog::new(self.log.show_network);
        self.carry_us = 0.0;
    }

    pub fn close_walk(&mut self) {
        self.walk = None;
    }

    /// `?bench=frames`: skips the start of the run (traffic flowing) and forgets its events.
    pub fn skip_to(&mut self, t: Time) {
        self.sim.run_until(t);
        self.sim.drain_events().for_each(drop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::presets;
    use std::cell::Cell;

    fn session(preset: &'static str) -> Session {
        let s = presets::load(preset).unwrap();
        let seed = s.seed;
        Session::new(preset, s, seed).unwrap()
    }

    /// Opens the link `s` shows, as a learner following it would; it must open without problems.
    fn reopen(s: &Session) -> Session {
        let params = super::super::params::parse(&s.query());
        let scenario = presets::load(s.preset()).unwrap();
        let mut problems = Vec::new();
        let seed = params.seed.unwrap();
        let opened =
            Session::open_link(s.preset(), scenario, seed, params.log.as_deref(), params.t, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        opened
    }

    /// A clock that moves on `per_call` ms each time it is read.
    fn ticking(per_call: f64) -> (Cell<f64>, f64) {
        (Cell::new(0.0), per_call)
    }

    #[test]
    fn frames_advance_simulated_time_by_speed() {
        let mut s = session("relay-basic");
        s.set_speed(7); // ×1: a 16 ms frame is 16 ms of simulated time
        let before = s.sim().now();
        s.frame(16.0, &|| 0.0);
        assert_eq!(s.sim().now(), before + Time::ms(16));
        assert!(!s.behind());
        s.playing = false;
        s.frame(16.0, &|| 0.0);
        assert_eq!(s.sim().now(), before + Time::ms(16), "paused: no time passes");
    }

    #[test]
    fn a_frame_stops_at_the_work_budget_and_says_it_is_behind() {
        let mut s = session("kafka-bench");
        s.set_speed(speed::LADDER.len() - 1);
        // Every look at the clock costs 1 ms: the budget is spent after a few slices.
        let (t, per) = ticking(1.0);
        let clock = || {
            t.set(t.get() + per);
            t.get()
        };
        let steps = s.sim().steps();
        s.frame(1_000.0, &clock);
        assert!(s.behind(), "a second of ×1000 cannot be simulated in 6 ms");
        let done = s.sim().steps() - steps;
        assert!(done <= STEPS_PER_SLICE * (FRAME_BUDGET_MS as u64 + 2), "{done} steps in one frame");
    }

    #[test]
    fn a_new_run_keeps_nothing_of_the_old_but_preferences() {
        let mut s = session("kafka-basic");
        s.frame(200.0, &|| 0.0);
        s.select(NodeId(1));
        s.pick([Some(NodeId(2)), None]);
        s.toggle_network_log();
        s.set_speed(5);
        let r = s.reset();
        assert_eq!(r.selected(), None);
        assert!(r.highlighted().is_empty(), "a picked node does not survive a reset");
        assert!(r.log().show_network, "the log's network toggle is a preference: kept");
        assert_eq!(r.speed(), 5, "same time scale: the speed is kept");
        assert_eq!(r.sim().now(), Time::ZERO);
        let other = presets::load("relay-basic").unwrap();
        let n = r.next("relay-basic", other.clone(), other.seed).unwrap();
        assert_eq!(n.speed(), speed::for_duration(other.until), "another time scale: its own speed");
        assert_eq!(n.preset(), "relay-basic");
    }

    #[test]
    fn a_link_replays_the_actions_to_the_same_trace() {
        let mut s = session("kafka-basic");
        s.frame(2_000.0, &|| 0.0);
        s.apply(Command::Stop { node: NodeId(2) }, 0.0).unwrap();
        s.frame(2_000.0, &|| 0.0);
        s.playing = false;
        let opened = reopen(&s);
        assert!(!opened.playing, "a link with an instant opens paused");
        assert_eq!(opened.sim().now(), s.sim().now());
        assert_eq!(opened.sim().trace_hash(), s.sim().trace_hash());
    }

    #[test]
    fn a_link_from_an_edited_scenario_carries_it() {
        let s = session("kafka-basic");
        assert!(!s.edited() && !s.query().contains("scenario="), "the preset itself: its name is enough");
        let mut edited = s.scenario().clone();
        edited.kafka.as_mut().unwrap().brokers = 4;
        let mut e = s.next("kafka-basic", edited.clone(), 9).unwrap();
        assert!(e.edited());
        e.frame(3_000.0, &|| 0.0);
        e.apply(Command::Stop { node: NodeId(3) }, 0.0).unwrap();
        e.frame(3_000.0, &|| 0.0);
        e.playing = false;
        let params = super::super::params::parse(&e.query());
        let scenario = super::super::link_scenario::decode(params.scenario.as_deref().unwrap()).unwrap();
        assert_eq!(scenario, edited);
        let mut problems = Vec::new();
        let opened =
            Session::open_link("kafka-basic", scenario, 9, params.log.as_deref(), params.t, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(opened.sim().trace_hash(), e.sim().trace_hash());
        assert!(opened.edited());
        assert!(e.start_walk(Variant::Normal, 0.0).query().contains("scenario="), "a walkthrough keeps it too");
    }

    #[test]
    fn a_bad_link_log_is_said_and_left_out() {
        let scenario = presets::load("kafka-basic").unwrap();
        let mut problems = Vec::new();
        let s = Session::open_link("kafka-basic", scenario, 1, Some("nonsense"), None, &mut problems).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("could not be replayed"), "{problems:?}");
        assert!(s.playing);
        assert!(s.sim().command_log().is_empty());
    }

    #[test]
    fn a_link_log_naming_a_node_the_scenario_lacks_is_said_and_left_out() {
        let scenario = presets::load("kafka-basic").unwrap();
        let mut problems = Vec::new();
        let log = Some("3.100.stop.1~9.200.stop.99");
        let s = Session::open_link("kafka-basic", scenario, 1, log, None, &mut problems).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("no node with index 99"), "{problems:?}");
        assert!(s.sim().command_log().is_empty(), "not even the valid first action");
    }

    #[test]
    fn a_walkthrough_stops_at_each_step_and_plays_between() {
        let s = session("kafka-basic");
        let mut w = s.start_walk(Variant::Normal, 0.0);
        assert!(w.walk().unwrap().waiting(), "stopped on the first step");
        assert!(!w.playing);
        assert_eq!(w.scenario().faults.len(), s.scenario().faults.len(), "the scenario keeps its faults");
        assert!(!w.query().contains("log="), "no replay log while walking");
        let first = w.walk().unwrap().position().0;
        w.walk_next(0.0).unwrap();
        assert!(w.playing, "plays on to the next step");
        for _ in 0..10_000 {
            if !w.playing {
                break;
            }
            w.frame(16.0, &|| 0.0);
        }
        assert!(w.walk().unwrap().waiting() || w.walk().unwrap().done());
        assert!(w.walk().unwrap().position().0 > first);
        assert!(!w.highlighted().is_empty(), "the step's nodes are highlighted");
        w.close_walk();
        assert!(w.walk().is_none());
    }

    /// Plays `s` in frames of `frame_ms` at ×1 until `until`, noting each frame's instant.
    fn play(s: &mut Session, until: Time, frame_ms: f64) -> Vec<(Time, u64, brokerlab_engine::trace::TraceHash)> {
        s.set_speed(7);
        s.playing = true;
        let mut seen = Vec::new();
        while s.sim().now() < until {
            s.frame(frame_ms, &|| 0.0);
            seen.push((s.sim().now(), s.sim().steps(), s.sim().trace_hash()));
        }
        seen
    }

    #[test]
    fn seeking_reaches_the_trace_playing_reached() {
        let mut s = session("kafka-basic");
        s.frame(500.0, &|| 0.0);
        s.apply(Command::Stop { node: NodeId(3) }, 0.0).unwrap();
        let seen = play(&mut s, Time::secs(6), 250.0);
        assert!(s.timeline().markers().iter().any(|m| m.kind == "crash"));
        assert!(s.timeline().markers().iter().any(|m| m.kind == "election"));
        // Backwards, then forwards again, each instant as it was.
        for &(at, steps, hash) in seen.iter().rev().step_by(3).chain(seen.iter().step_by(5)) {
            s.seek(at);
            assert_eq!((s.sim().now(), s.sim().steps(), s.sim().trace_hash()), (at, steps, hash), "at {at}");
        }
        // Playing on from a past instant replays the same future, the learner's actions included.
        let (at, _, _) = seen[seen.len() / 3];
        s.seek(at);
        s.apply(Command::HealAll, 0.0).ok();
        assert!(s.timeline().markers().iter().any(|m| m.kind == "fork"), "acting in the past forks");
        assert_eq!(s.timeline().head(), at, "the future after the fork is gone");
    }

    #[test]
    fn playing_from_the_past_replays_the_recorded_future() {
        let mut s = session("kafka-basic");
        s.set_speed(7);
        s.frame(300.0, &|| 0.0);
        s.apply(Command::Stop { node: NodeId(2) }, 0.0).unwrap();
        let seen = play(&mut s, Time::secs(3), 100.0);
        let (last_at, last_steps, last_hash) = *seen.last().unwrap();
        s.seek(Time::ms(100));
        assert!(s.sim().command_log().is_empty(), "before the action");
        s.playing = true;
        while s.sim().now() < last_at {
            s.frame(100.0, &|| 0.0);
        }
        assert_eq!((s.sim().steps(), s.sim().trace_hash()), (last_steps, last_hash));
        assert_eq!(s.sim().command_log().len(), 1, "the stop was applied again at its step");
    }

    #[test]
    fn a_step_back_is_one_queue_entry() {
        let mut s = session("rabbit-basic");
        play(&mut s, Time::secs(2), 100.0);
        let steps = s.sim().steps();
        s.step_back();
        assert_eq!(s.sim().steps(), steps - 1);
        let mut fresh = Simulation::new(s.scenario(), s.seed()).unwrap();
        for _ in 0..steps - 1 {
            fresh.step();
        }
        assert_eq!(s.sim().trace_hash(), fresh.trace_hash());
        assert!(!s.playing);
        // And the next marker back, then forward.
        s.jump(false);
        let back = s.sim().now();
        s.jump(true);
        assert!(s.sim().now() > back || s.timeline().next_marker(back).is_none());
    }

    #[test]
    fn snapshots_stay_bounded_on_a_long_run() {
        let mut s = session("kafka-bench");
        play(&mut s, Time::secs(2), 50.0);
        assert!(s.timeline().snapshots() <= super::super::timeline::MAX_SNAPSHOTS);
        assert!(s.sim().steps() > 200_000, "{} steps", s.sim().steps());
        let mid = Time::secs(1);
        s.seek(mid);
        assert_eq!(s.sim().now(), mid);
    }

    #[test]
    fn an_opened_link_can_be_scrubbed_back_to_the_start() {
        let mut s = session("kafka-basic");
        s.frame(700.0, &|| 0.0);
        s.apply(Command::Stop { node: NodeId(2) }, 0.0).unwrap();
        play(&mut s, Time::secs(2), 100.0);
        s.playing = false;
        let mut opened = reopen(&s);
        assert!(opened.timeline().markers().iter().any(|m| m.kind == "crash"));
        opened.seek(Time::ZERO);
        assert_eq!(opened.sim().now(), Time::ZERO);
        opened.seek(s.sim().now());
        assert_eq!(opened.sim().trace_hash(), s.sim().trace_hash());
    }
}
