//! Scenario parsing: defaults, a JSON round trip, and errors that name the field.

use super::*;

const BASIC: &str = r#"{
        "name": "t",
        "nodes": [
            {"role": "relay", "id": "b1"},
            {"role": "producer", "id": "p1", "to": "b1", "interval": "1ms"},
            {"role": "consumer", "id": "c1", "from": "b1"}
        ],
        "faults": [{"at": "5ms", "action": "stop", "node": "b1"}]
    }"#;

fn err(json: &str) -> String {
    Scenario::from_json(json).expect_err("should be rejected")
}

#[test]
fn parses_with_defaults() {
    let s = Scenario::from_json(BASIC).unwrap();
    assert_eq!(s.seed, 1);
    assert_eq!(s.network.latency, Time(250));
    assert_eq!(s.faults[0].at, Time::ms(5));
    assert_eq!(s.faults[0].command, Command::Stop { node: "b1".to_string() });
}

#[test]
fn round_trips_through_json() {
    let s = Scenario::from_json(BASIC).unwrap();
    assert_eq!(Scenario::from_json(&s.to_json()).unwrap(), s);
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (BASIC.replace("\"name\": \"t\",", "\"name\": \"t\", \"colour\": 1,"), "unknown field `colour`"),
        (BASIC.replace("\"1ms\"", "\"1\""), "nodes[1].interval: `1` has no unit"),
        (BASIC.replace("\"1ms\"", "\"0us\""), "nodes[1].interval: must be at least 1us"),
        (BASIC.replace("\"to\": \"b1\"", "\"to\": \"b9\""), "nodes[1].to: no node \"b9\""),
        (BASIC.replace("\"to\": \"b1\"", "\"to\": \"c1\""), "nodes[1].to: \"c1\" is a consumer, not a relay"),
        (BASIC.replace("\"id\": \"c1\"", "\"id\": \"p1\""), "nodes[2].id: \"p1\" is used by another node"),
        (BASIC.replace("\"id\": \"c1\"", "\"id\": \"c 1\""), "nodes[2].id: \"c 1\" may only use"),
        (BASIC.replace("\"role\": \"relay\"", "\"role\": \"router\""), "nodes[0].role: unknown variant `router`"),
        (BASIC.replace("\"id\": \"c1\", \"from\": \"b1\"", "\"id\": \"c1\""), "nodes[2].from: a consumer needs `from`"),
        (
            BASIC.replace("\"id\": \"b1\"}", "\"id\": \"b1\", \"interval\": \"1ms\"}"),
            "nodes[0].interval: a relay has no `interval`",
        ),
        (
            BASIC.replace("\"interval\": \"1ms\"", "\"interval\": \"1ms\", \"count\": 0"),
            "nodes[1].count: must be at least 1",
        ),
        (BASIC.replace("\"node\": \"b1\"", "\"node\": \"zz\""), "faults[0]: no node \"zz\""),
        (
            BASIC.replace("\"action\": \"stop\"", "\"action\": \"explode\""),
            "faults[0].action: unknown variant `explode`",
        ),
        (BASIC.replace("\"at\": \"5ms\", ", ""), "faults[0]: missing field `at`"),
        (BASIC.replace("\"at\": \"5ms\"", "\"at\": \"soon\""), "faults[0].at: `soon` is not a duration"),
        (BASIC.replace("\"node\": \"b1\"}", "\"a\": \"b1\"}"), "faults[0]: `stop` has no `a`"),
        (BASIC.replace("\"action\": \"stop\"", "\"action\": \"slow\""), "faults[0]: `slow` has no `node`"),
        (
            BASIC.replace("\"action\": \"stop\", \"node\": \"b1\"", "\"action\": \"cut\", \"a\": \"b1\""),
            "faults[0]: `cut` needs `b`",
        ),
        (
            BASIC.replace("\"name\": \"t\",", "\"name\": \"t\", \"network\": {\"loss_ppm\": 2000000},"),
            "network.loss_ppm",
        ),
        (BASIC.replace("\"name\": \"t\",", "\"name\": \"t\", \"seed\": -1,"), "seed: invalid value"),
        ("{".to_string(), "EOF while parsing"),
        ("{\"name\": \"x\", \"nodes\": []".to_string(), "EOF while parsing an object at line 1"),
        ("[]".to_string(), "a scenario is a JSON object"),
    ];
    for (json, want) in cases {
        let got = err(&json);
        assert!(got.contains(want), "wanted {want:?} in {got:?}");
    }
}
