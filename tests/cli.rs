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
        (vec!["frobnicate"], "unknown command `frobnicate`"),
        (vec![], "no command given"),
    ] {
        let (code, _, err) = brokerlab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
