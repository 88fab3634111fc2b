//! The run file: round trips, replays to the same hash, a message in words for every kind of bad
//! file, and mutated files giving a message and never a panic.

use super::*;
use brokerlab_engine::{Command, NodeId};

/// A kafka-basic session where the learner stopped a broker and cut a link, paused at 6 s.
fn played() -> Session {
    let scenario = presets::load("kafka-basic").unwrap();
    let mut s = Session::new("kafka-basic", scenario, 4).unwrap();
    s.seek_ahead(Time::ms(1_500));
    s.apply(Command::Stop { node: NodeId(2) }, 0.0).unwrap();
    s.seek_ahead(Time::ms(4_000));
    s.apply(Command::Cut { a: NodeId(1), b: NodeId(0) }, 0.0).unwrap();
    s.apply(Command::Slow { a: NodeId(1), b: NodeId(3), extra: Time::ms(5) }, 0.0).unwrap();
    s.seek_ahead(Time::ms(6_000));
    s
}

impl Session {
    /// Plays on to `t` as frames would (test helper).
    fn seek_ahead(&mut self, t: Time) {
        self.play_to(t).ok().unwrap();
    }
}

#[test]
fn a_saved_run_reads_back_and_opens_at_the_same_hash() {
    let s = played();
    let file = RunFile::of(&s);
    assert_eq!(file.commands.len(), 3);
    let text = file.to_json();
    assert!(text.contains(r#"{ "step": "#) && text.contains(r#""action": "stop", "node": 2 }"#), "{text}");
    assert!(text.contains(r#""action": "slow", "a": 1, "b": 3, "extra_us": 5000 }"#), "{text}");
    assert!(read(&text).is_some() && read(presets::by_slug("kafka-basic").unwrap()).is_none());
    let back = RunFile::from_json(&text).unwrap();
    assert_eq!(back, file);
    let opened = back.open("relay-basic").unwrap();
    assert_eq!(opened.sim().trace_hash(), s.sim().trace_hash());
    assert_eq!((opened.sim().now(), opened.preset(), opened.playing), (Time::ms(6_000), "kafka-basic", false));
    assert_eq!(opened.sim().command_log(), s.sim().command_log());
    assert_eq!(file.file_name(), "brokerlab-kafka-basic-seed4-6s.json");
}

#[test]
fn the_page_opens_a_run_file_or_a_scenario_and_says_what_it_did() {
    let s = played();
    let (opened, note) = open_text(&RunFile::of(&s).to_json(), "relay-basic").ok().unwrap();
    assert_eq!(opened.sim().trace_hash(), s.sim().trace_hash());
    let hash = s.sim().trace_hash();
    assert_eq!(note, format!("Opened a saved run: 3 actions replayed, paused at 6s, trace hash {hash}, as saved."));
    let (scenario, note) = open_text(presets::by_slug("rabbit-basic").unwrap(), "kafka-basic").ok().unwrap();
    assert!(note.starts_with("Opened the scenario \"RabbitMQ:") && scenario.playing, "{note}");
    let e = open_text("{\"name\": 3}", "relay-basic").err().unwrap();
    assert!(e.starts_with("it is neither a saved run nor a scenario (as a scenario: name:"), "{e}");
}

#[test]
fn every_preset_saves_and_reads_back() {
    for (slug, _) in presets::PRESETS {
        let scenario = presets::load(slug).unwrap();
        let s = Session::new(slug, scenario, 9).unwrap();
        let file = RunFile::of(&s);
        assert_eq!(RunFile::from_json(&file.to_json()).unwrap(), file, "{slug}");
    }
}

#[test]
fn a_settle_and_a_walkthrough_run_save_too() {
    // A settle's four values, and a walkthrough's run (its scenario without faults is what ran).
    let scenario = presets::load("rabbit-by-hand").unwrap();
    let s = Session::new("rabbit-by-hand", scenario, 1).unwrap();
    let mut w = s.start_walk(crate::walk::Variant::RabbitKillConsumer, 0.0);
    w.walk_next(0.0).unwrap();
    w.close_walk();
    w.seek_ahead(w.sim().now() + Time::ms(50));
    let file = RunFile::of(&w);
    let mut text = file.to_json();
    let settle =
        r#"{ "step": 0, "at_us": 0, "action": "settle", "node": 1, "tag": 7, "multiple": true, "op": "nack-requeue" }"#;
    text = if text.contains(r#""commands": [],"#) {
        text.replacen(r#""commands": [],"#, &format!("\"commands\": [ {settle} ],"), 1)
    } else {
        text.replacen(r#""commands": ["#, &format!("\"commands\": [\n    {settle},"), 1)
    };
    let back = RunFile::from_json(&text).unwrap();
    assert_eq!(
        back.commands[0].command,
        Command::settle(NodeId(1), 7, true, brokerlab_engine::rabbit::msg::SettleOp::Nack { requeue: true })
    );
    let opened = RunFile::from_json(&file.to_json()).unwrap().open("relay-basic").unwrap();
    assert_eq!(opened.sim().trace_hash(), w.sim().trace_hash());
}

/// Edits `key`'s value in the saved text: `"key": old` → `"key": new` (the first one).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from} not in the file");
    text.replacen(from, to, 1)
}

#[test]
fn bad_files_are_told_in_words() {
    let text = RunFile::of(&played()).to_json();
    let err = |t: String| RunFile::from_json(&t).unwrap_err();
    let cases: Vec<(String, &str)> = vec![
        (edit(&text, "\"brokerlab_run\": 1", "\"brokerlab_run\": 2"), "format version 2, saved by a newer brokerlab"),
        (edit(&text, "\"brokerlab_run\": 1", "\"brokerlab_run\": \"one\""), "\"brokerlab_run\" is the format version"),
        (text[..text.len() / 2].to_string(), "it is not JSON, or it was cut short"),
        (edit(&text, "{", "["), "it is not JSON"),
        ("[1, 2]".into(), "it is not a brokerlab run file"),
        (edit(&text, "\"brokerlab_run\": 1", "\"version\": 1"), "it is not a brokerlab run file"),
        (edit(&text, "\"seed\": 4", "\"seed\": -4"), "\"seed\" (the seed) is a whole number from 0 to"),
        (edit(&text, "\"seed\": 4", "\"sead\": 4"), "unknown field \"sead\""),
        (
            edit(&text, "\"preset\": \"kafka-basic\"", "\"preset\": \"kafka-pro\""),
            "\"preset\": \"kafka-pro\" is not one",
        ),
        (
            edit(&text, "\"node\": 2 }", "\"node\": 9 }"),
            "command 1 of 3: stop's \"node\" is node 9, and the scenario has 6 nodes (0 to 5)",
        ),
        (edit(&text, "\"node\": 2 }", "\"node\": \"b3\" }"), "stop's \"node\" (node) cannot be \"b3\""),
        (
            edit(&text, "\"action\": \"stop\"", "\"action\": \"explode\""),
            "\"explode\" is not an action (actions: stop,",
        ),
        (
            edit(&text, "\"node\": 2 }", "\"node\": 2, \"colour\": 1 }"),
            "stop has no field \"colour\" (it has step, at_us, node)",
        ),
        (edit(&text, "\"a\": 1, \"b\": 0", "\"a\": 1, \"b\": 1"), "cut joins two different nodes"),
        (edit(&text, "\"trace_hash\": \"", "\"trace_hash\": \"zz"), "is not a trace hash"),
        (
            edit(&text, "\"at_us\": 6000000", "\"at_us\": 3000000"),
            "command 2 is at 4s, after the instant the run was saved at (3s)",
        ),
        (edit(&text, "\"name\":", "\"nome\":"), "scenario: "),
    ];
    for (t, want) in cases {
        let e = err(t);
        assert!(e.contains(want), "wanted {want:?} in: {e}");
        assert!(!e.contains("u64") && !e.contains("::"), "no Rust in: {e}");
    }
    // Out of order: the second command's step made smaller than the first's.
    let first = RunFile::of(&played()).commands[0].step;
    let moved = text.replacen(&format!("\"step\": {first},"), "\"step\": 999999999,", 1);
    let e = err(moved);
    assert!(e.contains("comes before command 1"), "{e}");
    // A step beyond the run reads, but does not fit when replayed: the open fails in words.
    let beyond = RunFile::from_json(&text.replacen(&format!("\"step\": {first},"), "\"step\": 10,", 1)).unwrap();
    let e = beyond.open("relay-basic").err().unwrap();
    assert!(e.starts_with("action 1 does not fit this run: it was taken after step 10 at 1.5s"), "{e}");
    assert!(e.ends_with("(was the file edited, or saved by another version of brokerlab?)"), "{e}");
    // The last two commands' step far beyond what the run reaches by their instant: no hang.
    let last = RunFile::of(&played()).commands[2].step;
    let far = RunFile::from_json(&text.replace(&format!("\"step\": {last},"), "\"step\": 99999999999,")).unwrap();
    let e = far.open("relay-basic").err().unwrap();
    assert!(e.starts_with("action 2 does not fit this run: it was taken after step 99999999999 at 4s"), "{e}");
}

/// Mutated files — bytes flipped, cut, doubled, numbers grown — each gives a run or a message,
/// never a panic or a hang, and no message shows Rust's names for things.
#[test]
fn mutated_files_give_a_message_not_a_panic() {
    let scenario = presets::load("relay-basic").unwrap();
    let mut s = Session::new("relay-basic", scenario, 3).unwrap();
    s.seek_ahead(Time::ms(9));
    s.apply(Command::Stop { node: NodeId(2) }, 0.0).unwrap();
    s.apply(Command::Cut { a: NodeId(3), b: NodeId(4) }, 0.0).unwrap();
    s.seek_ahead(Time::ms(25));
    s.apply(Command::Start { node: NodeId(2) }, 0.0).unwrap();
    s.seek_ahead(Time::ms(40));
    let text = RunFile::of(&s).to_json();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let (mut opened, mut refused) = (0, 0);
    for round in 0..1_500 {
        let mut t = text.clone().into_bytes();
        for _ in 0..1 + next(3) {
            let i = next(t.len());
            match next(6) {
                0 => t[i] = b"0123456789{}[],:\"-ae "[next(21)],
                1 => drop(t.remove(i)),
                2 => t.insert(i, t[i]),
                3 => t.truncate(i),
                4 if t[i].is_ascii_digit() => t.insert(i, b'0' + next(10) as u8),
                _ => t[i] ^= 1 << next(7),
            }
            if t.is_empty() {
                t.push(b'{');
            }
        }
        let Ok(t) = String::from_utf8(t) else { continue };
        let result = RunFile::from_json(&t).and_then(|f| {
            // A grown instant is a long run, not a problem: keep the fuzz quick.
            if f.at > Time::secs(2) {
                return Err(format!("far: {}", f.at));
            }
            f.open("relay-basic")
        });
        match result {
            Ok(_) => opened += 1,
            Err(e) => {
                refused += 1;
                assert!(!e.is_empty() && e.len() < 600, "round {round}: {e}");
                for rust in ["u64", "u32", "usize", "Option", "String", "::", "Value"] {
                    assert!(!e.contains(rust), "round {round}: {rust} in {e}");
                }
            }
        }
    }
    assert!(opened > 20 && refused > 500, "opened {opened}, refused {refused}");
}
