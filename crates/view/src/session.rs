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
use super::journey::{self, Diagram, Run, Subject};
use super::layout::{layout, Point};
use super::rabbit_flow::RouteFlow;
use super::series::Meters;
use super::speed;
use super::timeline::{Snapshot, Timeline};
use super::walk::{Pace, Variant, Walk};
use crate::i18n::tf;
use brokerlab_engine::{
    presets, Command, Event, EventKind, LoggedCommand, ModelEvents, NodeId, Scenario, Simulation, Time, World,
};

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

/// Why a run opened from a link or a file did not reach its instant.
pub(crate) enum Unreached {
    /// An action that does not fit the run (its words).
    Misfit(String),
    /// More than `LINK_MAX_STEPS` away.
    TooFar,
}

pub struct Session {
    preset: &'static str,
    /// The scenario as loaded, with its scheduled faults (a walkthrough runs without them).
    scenario: Scenario,
    /// The scenario as the link carries it (`link_scenario::encode`) when it is not the preset's
    /// own (a configuration, a topology edit, the editor); made once, since the scenario never
    /// changes within a session while the address is rewritten after every action.
    edited: Option<String>,
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
    /// A large Kafka cluster's traffic as rates (`kafka_lod`); `None` when drawn broker by broker.
    lod: Option<super::kafka_lod::Rates>,
    groups: Groups,
    meters: Meters,
    log: EventLog,
    walk: Option<Walk>,
    /// The run so far, to seek back and forth in.
    timeline: Timeline,
    selected: Option<NodeId>,
    /// Nodes highlighted because their log line was clicked.
    picked: Vec<NodeId>,
    /// Playing pauses here (a lesson's run ends at the instant it is measured to).
    stop_at: Option<Time>,
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
        let base = presets::load(preset);
        let edited = (base.as_ref() != Some(&scenario)).then(|| super::link_scenario::encode(&scenario, base.as_ref()));
        let mut s = Session {
            preset,
            edited,
            speed: speed::for_duration(scenario.until),
            timeline: Timeline::new(start),
            meters,
            lod: super::kafka_lod::Rates::for_stage(sim.world()),
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
            stop_at: None,
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
                    problems.push(tf("the link's actions could not be replayed ({0}); starting without them", &[&e]))
                }
            }
        }
        match s.play_to(until) {
            Ok(()) => {}
            Err(Unreached::Misfit(e)) => problems
                .push(tf("the link's actions could not all be replayed ({0}); going on without the rest", &[&e])),
            Err(Unreached::TooFar) => problems.push(tf(
                "the link's instant {0} is too far to reach at once; stopped at {1}",
                &[&until, &s.sim.now()],
            )),
        }
        s.playing = t.is_none();
        Ok(s)
    }

    /// Opens a saved run (`run_file`): replays `log` and runs to `at`, paused there. Strict, unlike
    /// a link: anything that does not fit is an error, so the page keeps what it showed.
    pub fn open_run(
        preset: &'static str,
        scenario: Scenario,
        seed: u64,
        log: Vec<LoggedCommand>,
        at: Time,
    ) -> Result<Session, String> {
        let mut s = Session::new(preset, scenario, seed)?;
        s.timeline.set_future(log);
        match s.play_to(at) {
            Ok(()) => {}
            Err(Unreached::Misfit(e)) => {
                return Err(tf("{0} (was the file edited, or saved by another version of brokerlab?)", &[&e]))
            }
            Err(Unreached::TooFar) => {
                return Err(tf("its instant {0} is more than {1} engine steps away", &[&at, &LINK_MAX_STEPS]))
            }
        }
        s.playing = false;
        Ok(s)
    }

    /// Plays to `until` through the session (so the timeline has its snapshots and markers),
    /// applying the timeline's future actions, within `LINK_MAX_STEPS`. An action that does not
    /// fit the run is dropped with every action after it, so playing on cannot meet it again.
    pub(crate) fn play_to(&mut self, until: Time) -> Result<(), Unreached> {
        let mut left = LINK_MAX_STEPS;
        let result = loop {
            let chunk = self.sim.follow_log(self.timeline.log(), until, left.min(STEPS_PER_SEEK_CHUNK));
            self.fold_events(0.0);
            match chunk {
                Err(e) => {
                    self.timeline.acted(&self.sim);
                    break Err(Unreached::Misfit(e));
                }
                Ok((_, true)) => break Ok(()),
                Ok((done, false)) => {
                    left -= done;
                    if left == 0 {
                        break Err(Unreached::TooFar);
                    }
                }
            }
        };
        self.flights.clear();
        result
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
        self.edited.is_some()
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
    /// A large Kafka cluster's rates (`kafka_lod`).
    pub fn lod_rates(&self) -> Option<&super::kafka_lod::Rates> {
        self.lod.as_ref()
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
        super::params::to_query(self.preset, self.sim.seed(), self.speed, &log, t, self.edited.as_deref())
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
        let mut target = self.sim.now() + Time(whole as u64);
        if let Some(stop) = self.stop_at.filter(|s| *s < target) {
            target = stop.max(self.sim.now());
        }
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
        if self.stop_at.is_some_and(|s| self.sim.now() >= s) {
            self.playing = false;
            self.carry_us = 0.0;
        }
    }

    /// Playing pauses at `t` (none: plays on).
    pub fn stop_at(&mut self, t: Option<Time>) {
        self.stop_at = t;
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
            if let Some(l) = &mut self.lod {
                l.observe(e.at, &e.kind);
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
        s.edited = self.edited.clone();
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

    /// The journey of `subject` (published at or before `since`) up to the instant shown, as a
    /// sequence diagram: replayed from the timeline's last snapshot before it, nothing kept.
    pub fn journey(&self, subject: Subject, since: Time) -> Diagram {
        let starts = self.timeline.kept().iter().map(|s| &s.sim).collect();
        let run = Run { starts, log: self.timeline.log(), until: self.sim.now() };
        journey::trace(&run, subject, since)
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
        self.lod = super::kafka_lod::Rates::for_stage(self.sim.world());
        self.log = EventLog::new(self.log.show_network);
        self.carry_us = 0.0;
    }

    pub fn close_walk(&mut self) {
        self.walk = None;
    }

    /// Plays on to `t` at once, as frames would (events folded, snapshots and markers taken),
    /// with no work budget; paused there. For `make bench`'s timeline figures.
    pub fn play_until(&mut self, t: Time) {
        let _ = self.play_to(t);
        self.playing = false;
    }

    /// `?bench=frames`: skips the start of the run (traffic flowing) and forgets its events.
    pub fn skip_to(&mut self, t: Time) {
        self.sim.run_until(t);
        self.sim.drain_events().for_each(drop);
    }
}

#[cfg(test)]
mod tests;
