//! The native CLI as a user meets it: summaries, traces, and clear errors with a non-zero exit.

use std::process::Command;

fn brokerlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_brokerlab")).args(args).output().expect("runs");
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

#[allow(dead_code)] // this test uses only some of the shared hashes
mod golden {
    include!("golden/hashes.rs");
}

#[test]
fn run_prints_a_summary_with_the_golden_hash() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/relay-basic.json");
    let (code, out, err) = brokerlab(&["run", path]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("trace hash  {}", golden::RELAY_BASIC)), "{out}");
    assert!(out.contains("simulated   100ms"), "{out}");
}

#[test]
fn run_writes_a_trace_and_honours_seed_and_until() {
    let trace = std::env::temp_dir().join(format!("brokerlab-cli-test-{}.trace", std::process::id()));
    let (code, out, err) =
        brokerlab(&["run", "lossy-network", "--seed", "7", "--until", "20ms", "--trace", trace.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("seed        7") && out.contains("simulated   20ms"), "{out}");
    let lines = std::fs::read_to_string(&trace).unwrap();
    let _ = std::fs::remove_file(&trace);
    let events: usize = out.lines().find_map(|l| l.strip_prefix("events")).unwrap().trim().parse().unwrap();
    assert_eq!(lines.lines().count(), events, "one trace line per event");
}

/// `make bench` (scripts/ratio.mjs) reads one JSON line per run, with its CPU time on Linux.
#[test]
fn bench_prints_a_json_line_with_its_cpu_time() {
    let (code, out, err) = brokerlab(&["bench", "--simulated", "10ms", "--runs", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(r#"{"platform":"native","scenario":"bench","steps":"#), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    if cfg!(target_os = "linux") {
        let cpu: f64 = out.split(r#""cpu_ms":"#).nth(1).and_then(|s| s.split(',').next()).unwrap().parse().unwrap();
        assert!(cpu > 0.0, "{out}");
    }
}

#[test]
fn bad_input_is_a_message_and_exit_code_2() {
    let dir = std::env::temp_dir().join(format!("brokerlab-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"name":"x","nodes":[{"role":"relay","id":"b1","speed":3}]}"#).unwrap();
    for (args, want) in [
        (vec!["run", bad.to_str().unwrap()], "nodes[0].speed: unknown field `speed`"),
        (vec!["run", "no-such-file.json"], "cannot read no-such-file.json"),
        (vec!["run", "relay-basic", "--seed", "abc"], "--seed: `abc` is not a whole number"),
        (vec!["run", "relay-basic", "--until", "10"], "--until: `10` has no unit"),
        (vec!["run", "relay-basic", "--colour", "red"], "unknown option `--colour`"),
        (vec!["bench", "--runs", "0"], "--runs: `0` is not a number of runs (1 or more)"),
        (vec!["frobnicate"], "unknown command `frobnicate`"),
        (vec![], "no command given"),
    ] {
        let (code, _, err) = brokerlab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn partition_prints_kafkas_partition_per_key() {
    let (code, out, err) = brokerlab(&["partition", "--partitions", "6", "21", "foobar"]);
    assert_eq!(code, 0, "{err}");
    // murmur2 values from Kafka's UtilsTest.testMurmur2; partition = (h & 0x7fffffff) % 6.
    assert_eq!(
        out,
        "{\"key\":\"21\",\"murmur2\":-973932308,\"partition\":0}\n{\"key\":\"foobar\",\"murmur2\":-790332482,\"partition\":0}\n"
    );
    let (code, out, _) = brokerlab(&["partition", "--hex", "--partitions", "3", "616263"]);
    assert_eq!(code, 0);
    assert_eq!(out, format!("{{\"key\":\"616263\",\"murmur2\":479470107,\"partition\":{}}}\n", 479470107 % 3));
    for (args, want) in [
        (vec!["partition", "k"], "needs --partitions"),
        (vec!["partition", "--partitions", "0", "k"], "partitions must be from 1"),
        (vec!["partition", "--partitions", "x", "k"], "`x` is not a whole number"),
        (vec!["partition", "--partitions", "3"], "at least one KEY"),
        (vec!["partition", "--hex", "--partitions", "3", "abc"], "odd number of hex digits"),
    ] {
        let (code, _, err) = brokerlab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
    }
}

#[test]
fn assign_answers_each_line() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .arg("assign")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = concat!(
        r#"{"assignor":"range","topics":{"t1":3},"members":[{"id":"c2","topics":["t1"]},{"id":"c1","topics":["t1"]}]}"#,
        "\n\n",
        r#"{"assignor":"range","topics":{"t1":3}}"#,
        "\n"
    );
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], r#"{"assignment":{"c1":["t1-0","t1-1"],"c2":["t1-2"]}}"#);
    assert!(lines[1].contains("missing field `members`"), "{}", lines[1]);
    assert_eq!(lines.len(), 2, "blank lines are skipped");
}

#[test]
fn route_answers_each_line() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .arg("route")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = concat!(
        r#"{"type":"topic","binding_key":"a.*.c","routing_key":"a.b.c"}"#,
        "\n",
        r#"{"type":"headers","binding_args":{"x-match":"any","foo":"bar"},"headers":{"foo":"baz","n":1}}"#,
        "\n\n",
        r##"{"type":"topic","binding_key":"#.#.#","routing_key":"a"}"##,
        "\n"
    );
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..2], [r#"{"matched":true}"#, r#"{"matched":false}"#]);
    assert!(lines[2].starts_with(r#"{"error":"topic binding key '#.#.#' uses 3"#), "{}", lines[2]);
    assert_eq!(lines.len(), 3, "blank lines are skipped");
}

#[test]
fn compare_prints_both_lanes_counts() {
    let (code, out, err) = brokerlab(&["compare", "competing-consumers", "--seed", "1"]);
    assert_eq!(code, 0, "{err}");
    let kafka = out.lines().find(|l| l.starts_with("Kafka")).unwrap_or_default();
    let rabbit = out.lines().find(|l| l.starts_with("RabbitMQ")).unwrap_or_default();
    assert!(kafka.contains("out_of_order=0 "), "{out}");
    assert!(rabbit.contains("processed=80") && !rabbit.contains("out_of_order=0 "), "{out}");
    let (code, _, err) = brokerlab(&["compare", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read nope") && err.contains("not a comparison preset"), "{err}");
    let bad = std::env::temp_dir().join(format!("brokerlab-cmp-{}.json", std::process::id()));
    std::fs::write(&bad, r#"{"customers":0,"messages":1,"interval":"1ms","consumers":1,"processing":"1ms"}"#).unwrap();
    let (code, _, err) = brokerlab(&["compare", bad.to_str().unwrap()]);
    let _ = std::fs::remove_file(&bad);
    assert_eq!(code, 2);
    assert!(err.contains("customers: from 1 to 26"), "{err}");
}

/// The page's "Save run" file, replayed by the CLI: the same trace hash at the same instant.
#[test]
fn run_replays_a_run_file_saved_from_the_page_to_the_same_hash() {
    use brokerlab::engine::{presets, Command, NodeId};
    use brokerlab::view::run_file::RunFile;
    use brokerlab::view::session::Session;
    let scenario = presets::load("kafka-groups").unwrap();
    let mut s = Session::new("kafka-groups", scenario, 11).unwrap();
    s.set_speed(7); // ×1: a 100 ms frame is 100 ms of simulated time
    let play = |s: &mut Session, frames: usize| (0..frames).for_each(|_| s.frame(100.0, &|| 0.0));
    play(&mut s, 25);
    s.apply(Command::Stop { node: NodeId(2) }, 0.0).unwrap(); // a broker, as a click would
    play(&mut s, 12);
    s.apply(Command::Cut { a: NodeId(1), b: NodeId(3) }, 0.0).unwrap();
    play(&mut s, 8);
    s.playing = false;
    let dir = std::env::temp_dir().join(format!("brokerlab-cli-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.json");
    let text = RunFile::of(&s).to_json();
    std::fs::write(&path, &text).unwrap();
    let (code, out, err) = brokerlab(&["run", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("trace hash  {}", s.sim().trace_hash())), "{out}");
    assert!(out.contains(&format!("simulated   {}", s.sim().now())), "{out}");
    assert!(out.contains("run file    2 of 2 actions replayed; the trace hash is the one the page showed"), "{out}");
    // A bad file is a message and exit code 2, and a run file keeps its own seed.
    std::fs::write(&path, text.replacen("\"brokerlab_run\": 1", "\"brokerlab_run\": 7", 1)).unwrap();
    let (code, _, err) = brokerlab(&["run", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("run.json: it is a run file of format version 7, saved by a newer brokerlab"), "{err}");
    std::fs::write(&path, &text).unwrap();
    let (code, _, err) = brokerlab(&["run", path.to_str().unwrap(), "--seed", "3"]);
    assert_eq!(code, 2);
    assert!(err.contains("--seed: a run file replays its own seed"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_prints_or_writes_the_files_for_a_real_broker() {
    let (code, out, err) = brokerlab(&["export", "--format", "definitions", "rabbit-basic"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("definitions.json is JSON");
    assert_eq!(doc["exchanges"][0]["name"], "orders");
    assert_eq!(doc["exchanges"][0]["arguments"]["alternate-exchange"], "unrouted");

    let (code, out, err) = brokerlab(&["export", "--format", "compose-kraft", "kafka-basic"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("image: apache/kafka:4.0.0") && out.contains("KAFKA_PROCESS_ROLES: 'broker'"), "{out}");

    // Several files: each under its name on standard output, or written into --out.
    let (code, out, _) = brokerlab(&["export", "--format", "client-properties", "kafka-groups"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("# ==> producer-order-service.properties <==")
            && out.contains("# ==> consumer-notification-service.properties <=="),
        "{out}"
    );
    let dir = std::env::temp_dir().join(format!("brokerlab-cli-export-{}", std::process::id()));
    let (code, _, err) = brokerlab(&["export", "--format", "topics", "kafka-groups", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let script = std::fs::read_to_string(dir.join("create-topics.sh")).unwrap();
    assert!(script.contains("--create --topic orders"), "{script}");
    let _ = std::fs::remove_dir_all(&dir);

    for (args, want) in [
        (vec!["export", "rabbit-basic"], "`export` needs --format"),
        (vec!["export", "--format", "yaml", "rabbit-basic"], "--format: `yaml` is not a format"),
        (vec!["export", "--format", "topics", "rabbit-basic"], "topics exports a Kafka scenario"),
        (vec!["export", "--format", "definitions", "no-such"], "cannot read no-such"),
    ] {
        let (code, _, err) = brokerlab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
    }
}

#[test]
fn import_definitions_reads_a_file_into_a_scenario() {
    let dir = std::env::temp_dir().join(format!("brokerlab-cli-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_, defs, _) = brokerlab(&["export", "--format", "definitions", "rabbit-by-hand"]);
    let file = dir.join("definitions.json");
    std::fs::write(&file, defs.replacen("\"internal\": false", "\"internal\": true", 1)).unwrap();
    let (code, out, err) = brokerlab(&["import-definitions", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["rabbit"]["queues"][1]["arguments"]["x-message-ttl"], 300);
    assert!(err.contains("note: exchange \"tasks\" is internal"), "{err}");
    std::fs::write(&file, "[1, 2]").unwrap();
    let (code, _, err) = brokerlab(&["import-definitions", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("this is not a definitions file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
