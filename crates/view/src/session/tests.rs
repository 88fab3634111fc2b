//! The session's tests: the frame budget with a fake clock, a new run keeping only preferences,
//! links replaying to the same trace, walkthroughs, seeking.

use super::*;
use brokerlab_engine::kernel::Process;
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
    let scenario =
        super::super::link_scenario::decode(params.scenario.as_deref().unwrap(), params.preset.unwrap()).unwrap();
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

/// An edited link whose second action's step lies far beyond what the run reaches by its time:
/// once this looped forever; now the first action is replayed, the rest said and dropped, and
/// playing on cannot meet it again.
#[test]
fn a_link_action_that_does_not_fit_the_run_is_said_and_the_rest_dropped() {
    let scenario = presets::load("kafka-basic").unwrap();
    let mut s = Session::new("kafka-basic", scenario.clone(), 1).unwrap();
    s.play_until(Time::ms(1_000));
    s.apply(Command::Stop { node: NodeId(2) }, 0.0).unwrap();
    let good = super::super::link::encode(s.sim().command_log());
    let log = format!("{good}~999999999.2000000.start.2");
    let mut problems = Vec::new();
    let mut opened = Session::open_link("kafka-basic", scenario, 1, Some(&log), None, &mut problems).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("action 2 does not fit this run"), "{problems:?}");
    assert_eq!(opened.sim().command_log().len(), 1, "the first action was replayed");
    assert_eq!(opened.timeline().log().len(), 1, "the misfit is gone from the future");
    opened.frame(100.0, &|| 0.0);
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
    play(&mut s, Time::secs(3), 50.0);
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

#[test]
fn a_scenario_with_rabbitmq_scripts_runs_in_the_page() {
    // Scripts (several consumers on a channel, basic.get, cancel, a 404) are nodes of their own:
    // the page lays them out with the clients and folds their events like any other.
    for json in [
        include_str!("../../../../tests/data/amqp/qos-global.json"),
        include_str!("../../../../tests/data/amqp/unknown-exchange-confirms.json"),
        include_str!("../../../../tests/data/amqp/cancel-keeps-unacked.json"),
    ] {
        let scenario = Scenario::from_json(json).unwrap();
        let until = scenario.until;
        let mut s = Session::new("", scenario, 1).unwrap();
        s.set_speed(speed::LADDER.len() - 1);
        while s.sim().now() < until {
            s.frame(100.0, &|| 0.0);
        }
        let w = s.sim().world();
        let script = w.nodes.iter().position(|n| n.node.role() == "script").expect("a script node");
        let layout = crate::layout::layout(w);
        assert!(layout[script].x < layout[0].x, "scripts stand with the clients, left of the broker");
    }
}

/// A scenario with a RabbitMQ processor (`rabbit.processors`) runs in the page: its node is
/// inspected in words, and the broker's overview lists its channel (confirms on, a prefetch).
#[test]
fn a_scenario_with_a_rabbitmq_processor_runs_in_the_page() {
    let json = r#"{"name": "stage", "until": "2s",
        "rabbit": {"queues": [{"name": "in"}, {"name": "out"}],
                   "publishers": [{"id": "p", "routing_keys": ["in"], "interval": "10ms", "count": 50}],
                   "processors": [{"id": "stage", "input": "in", "routing_key": "out", "ack_every": 5, "processing": "3ms"}],
                   "consumers": [{"id": "reader", "queue": "out"}]},
        "faults": [{"at": "300ms", "action": "stop", "node": "stage"}, {"at": "600ms", "action": "start", "node": "stage"}]}"#;
    let scenario = Scenario::from_json(json).unwrap();
    let mut s = Session::new("", scenario, 1).unwrap();
    s.set_speed(speed::LADDER.len() - 1);
    while s.sim().now() < Time::ms(450) {
        s.frame(100.0, &|| 0.0);
    }
    let w = s.sim().world();
    let stage = NodeId(w.nodes.iter().position(|n| n.name == "stage").unwrap() as u32);
    let text = format!("{:?}", crate::plugin::inspect(w, stage));
    assert!(text.contains("consumes from in with prefetch 10"), "{text}");
    while s.sim().now() < Time::secs(2) {
        s.frame(100.0, &|| 0.0);
    }
    let w = s.sim().world();
    let o = crate::rabbit::overview::overview(w, &Default::default()).unwrap();
    let row = o.channels.iter().find(|c| c.client == stage).expect("the processor's channel");
    assert_eq!((row.mode, row.prefetch, row.unconfirmed, row.unacked), ("C", Some(10), 0, 0));
}

/// A journey at the end of a 10-minute kafka-groups run: scanned from the timeline's last
/// snapshot before the record, not from the start, in a bounded number of steps.
#[test]
fn a_journey_late_in_a_long_run_scans_from_a_snapshot() {
    let mut s = session("kafka-groups");
    s.play_until(Time::secs(600));
    let line = s.log().matching("consumed").0.first().map(|l| l.2).expect("a read near the end");
    let (subject, since) = line.expect("a read has a journey");
    let started = std::time::Instant::now();
    let d = s.journey(subject, since);
    let took = started.elapsed();
    let labels = d.labels();
    let has = |p: &str| labels.iter().any(|l| l.starts_with(p));
    assert!(has("Produce record") && has("appends it") && has("ack: offset") && has("Fetch response:"), "{labels:?}");
    let from = s.timeline().before(since).sim.now();
    // Snapshots come every 20 000 steps, further apart in simulated time since followers fetch
    // once per leader broker (fewer messages per second).
    assert!(from > Time::secs(450), "scanned from {from}");
    eprintln!("journey at 10 min of kafka-groups: {} steps, scanned from {from}, {took:?}", d.steps.len());
}

/// The walkthrough's record, drawn on the journey diagram: the steps it told are there, in order.
#[test]
fn a_walkthrough_s_record_as_a_sequence_diagram() {
    for (preset, variant, told) in [
        ("kafka-basic", Variant::Normal, ["Produce record", "appends it", "ack: offset"]),
        ("rabbit-basic", Variant::Rabbit, ["basic.publish", "basic.deliver", "confirm: basic.ack"]),
    ] {
        let mut w = session(preset).start_walk(variant, 0.0);
        // Through its steps to the acknowledgement (RabbitMQ's last step waits on the consumer).
        for _ in 0..20_000 {
            let walk = w.walk().unwrap();
            if walk.done() || walk.steps.len() >= 6 {
                break;
            }
            if walk.waiting() {
                w.walk_next(0.0).unwrap();
            }
            w.frame(16.0, &|| 0.0);
        }
        let titles: Vec<&str> = w.walk().unwrap().steps.iter().map(|s| s.title.as_str()).collect();
        let (subject, since) =
            w.walk().unwrap().subject().unwrap_or_else(|| panic!("{preset}: no record after {titles:?}"));
        let d = w.journey(subject, since);
        let at: Vec<Option<usize>> = told.iter().map(|p| d.steps.iter().position(|s| s.label.starts_with(p))).collect();
        assert!(at.iter().all(Option::is_some) && at.windows(2).all(|p| p[0] < p[1]), "{preset}: {:?}", d.labels());
    }
}
