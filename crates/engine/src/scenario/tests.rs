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
        (
            BASIC.replace("\"name\": \"t\",", "\"name\": \"t\", \"seed\": -1,"),
            "seed: got the number -1, expected a whole number ≥ 0",
        ),
        ("{".to_string(), "EOF while parsing"),
        ("{\"name\": \"x\", \"nodes\": []".to_string(), "EOF while parsing an object at line 1"),
        ("[]".to_string(), "a scenario is a JSON object"),
    ];
    for (json, want) in cases {
        let got = err(&json);
        assert!(got.contains(want), "wanted {want:?} in {got:?}");
    }
}

/// An operator unbinds, binds again and deletes during the run: fault-schedule topology actions.
const TOPOLOGY_FAULTS: &str = r#"{
    "name": "t", "until": "300ms",
    "rabbit": {
        "exchanges": [{"name": "x", "type": "fanout"}],
        "queues": [{"name": "q"}],
        "bindings": [{"source": "x", "destination": "q"}],
        "scripts": [{"id": "app", "confirms": true, "steps": [
            {"at": "10ms", "do": "publish", "exchange": "x", "mandatory": true},
            {"at": "60ms", "do": "publish", "exchange": "x", "mandatory": true},
            {"at": "110ms", "do": "publish", "exchange": "x", "mandatory": true},
            {"at": "160ms", "do": "get", "queue": "q"},
            {"at": "170ms", "do": "get", "queue": "q"},
            {"at": "220ms", "do": "publish", "exchange": "x", "mandatory": true}
        ]}]
    },
    "faults": [
        {"at": "40ms", "action": "unbind", "node": "rabbit", "binding": 0},
        {"at": "90ms", "action": "bind", "node": "rabbit", "binding": 0},
        {"at": "200ms", "action": "delete_queue", "node": "rabbit", "queue": "q"}
    ]
}"#;

#[test]
fn topology_faults_change_routing_during_the_run() {
    let s = Scenario::from_json(TOPOLOGY_FAULTS).unwrap();
    let again = Scenario::from_json(&s.to_json()).unwrap();
    assert_eq!(s, again, "topology faults round-trip through JSON");
    let mut sim = crate::Simulation::new(&s, 1).unwrap();
    sim.run_until(s.until);
    let seen = crate::models::script_observations(sim.world());
    let evs: Vec<String> = seen["app"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{} {}", o["ev"].as_str().unwrap(), o["msg"].as_str().unwrap_or("")))
        .collect();
    let want = [
        "confirm app#0",
        "return app#1", // unbound at 40 ms
        "confirm app#1",
        "confirm app#2", // bound again at 90 ms
        "get app#0",
        "get app#2",
        "return app#3", // the queue deleted at 200 ms
        "confirm app#3",
    ];
    assert_eq!(evs, want);
}

#[test]
fn topology_faults_name_what_the_scenario_has() {
    let with = |fault: &str| {
        TOPOLOGY_FAULTS.replace(r#"{"at": "40ms", "action": "unbind", "node": "rabbit", "binding": 0}"#, fault)
    };
    let cases = [
        (
            r#"{"at": "1ms", "action": "unbind", "node": "rabbit", "binding": 3}"#,
            "faults[0].binding: 3 is not an index of rabbit.bindings (it has 1)",
        ),
        (
            r#"{"at": "1ms", "action": "delete_queue", "node": "rabbit", "queue": "nope"}"#,
            "faults[0].queue: no queue \"nope\" in rabbit.queues",
        ),
        (
            r#"{"at": "1ms", "action": "delete_queue", "node": "app", "queue": "q"}"#,
            "faults[0].node: \"app\" is not the RabbitMQ broker",
        ),
        (r#"{"at": "1ms", "action": "bind", "node": "rabbit"}"#, "`bind` needs `binding`"),
        (
            r#"{"at": "1ms", "action": "delete_exchange", "node": "rabbit", "queue": "q"}"#,
            "`delete_exchange` has no `queue`",
        ),
    ];
    for (fault, want) in cases {
        let got = err(&with(fault));
        assert!(got.contains(want), "wanted {want:?} in {got:?}");
    }
}
