use super::kafka_names::{in_compose, in_properties, in_topics, known};
use super::*;
use crate::rabbit_edit::Draft;
use brokerlab_engine::presets;

fn preset(slug: &str) -> Scenario {
    presets::load(slug).unwrap()
}

fn one(scenario: &Scenario, format: Format) -> String {
    let mut files = export(scenario, format).unwrap();
    assert_eq!(files.len(), 1, "{format:?}");
    files.remove(0).content
}

fn kafka_presets() -> impl Iterator<Item = Scenario> {
    presets::PRESETS.iter().map(|(slug, _)| preset(slug)).filter(|s| s.kafka.is_some())
}

fn rabbit_presets() -> impl Iterator<Item = Scenario> {
    presets::PRESETS.iter().map(|(slug, _)| preset(slug)).filter(|s| s.rabbit.is_some())
}

/// The compose file as PyYAML reads it, as JSON (PyYAML: `python3-yaml`, which `scripts/setup.sh`
/// installs). A YAML parser in Rust would be a dev-dependency compiled for this one check.
fn yaml_as_json(yaml: &str) -> serde_json::Value {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect(
            "python3 runs (the YAML check needs python3 with python3-yaml: scripts/setup.sh --browser installs it)",
        );
    child.stdin.take().unwrap().write_all(yaml.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the compose file is not YAML PyYAML reads: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_kafka_name_exported_is_a_real_one() {
    let known = known();
    for s in kafka_presets() {
        let mut names = Vec::new();
        let kraft = in_compose(&one(&s, Format::ComposeKraft));
        assert!(
            kraft.iter().all(|(scope, n)| scope != "broker-zk" && n != "broker.id"),
            "{}: KRaft has no ZooKeeper names",
            s.name
        );
        names.extend(kraft);
        names.extend(in_compose(&one(&s, Format::ComposeZookeeper)));
        names.extend(in_topics(&one(&s, Format::Topics)));
        for f in export(&s, Format::ClientProperties).unwrap() {
            let scope = if f.name.starts_with("producer-") { "producer" } else { "consumer" };
            names.extend(in_properties(scope, &f.content));
        }
        assert!(names.len() > 30, "{}: {} names", s.name, names.len());
        for n in names {
            assert!(known.contains(&n), "{}: `{} {}` is not in kafka_config_names.txt", s.name, n.0, n.1);
        }
    }
}

#[test]
fn compose_files_are_yaml_with_one_service_per_node() {
    for s in kafka_presets() {
        let k = s.kafka.as_ref().unwrap();
        for (format, servers) in [(Format::ComposeKraft, "controller-"), (Format::ComposeZookeeper, "zk")] {
            let doc = yaml_as_json(&one(&s, format));
            let services = doc["services"].as_object().unwrap_or_else(|| panic!("{}: no services", s.name));
            assert_eq!(services.len() as u32, k.brokers + k.metadata_nodes(), "{} {format:?}", s.name);
            assert_eq!(services.keys().filter(|n| n.starts_with(servers)).count() as u32, k.metadata_nodes());
            for (name, svc) in services {
                assert!(svc["image"].as_str().unwrap().contains(':'), "{name}: a pinned image");
                for (var, value) in svc["environment"].as_object().unwrap() {
                    assert!(value.is_string(), "{} {name}: {var} must be a string, not {value}", s.name);
                }
                for dep in svc["depends_on"].as_array().into_iter().flatten() {
                    assert!(services.contains_key(dep.as_str().unwrap()), "{name} depends on {dep}");
                }
            }
            assert_eq!(services["b1"]["ports"][0], "9092:9092");
        }
    }
}

#[test]
fn kafka_exports_carry_the_scenarios_settings() {
    let s = preset("kafka-groups");
    let topics = one(&s, Format::Topics);
    for want in [
        "--create --topic orders",
        "--partitions 6 --replication-factor 3",
        "--config min.insync.replicas=2",
        "--config retention.ms=600000",
        "--config segment.ms=60000",
        "--config cleanup.policy=delete",
    ] {
        assert!(topics.contains(want), "{want} in\n{topics}");
    }
    let status = std::process::Command::new("sh").args(["-n", "-c", &topics]).status().unwrap();
    assert!(status.success(), "create-topics.sh is valid sh");
    let files = export(&s, Format::ClientProperties).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["producer-order-service.properties", "consumer-notification-service.properties"]);
    let (producer, group) = (&files[0].content, &files[1].content);
    for want in [
        "acks=all",
        "enable.idempotence=true",
        "linger.ms=5",
        "max.in.flight.requests.per.connection=5",
        "retries=2147483647",
        "one record every 100ms",
    ] {
        assert!(producer.contains(want), "{want} in\n{producer}");
    }
    for want in [
        "group.id=notification-service",
        "partition.assignment.strategy=org.apache.kafka.clients.consumer.RangeAssignor",
        "session.timeout.ms=10000",
        "heartbeat.interval.ms=3000",
        "auto.offset.reset=earliest",
        "enable.auto.commit=true",
        "group.protocol=classic",
        "bootstrap.servers=localhost:9092,localhost:9093,localhost:9094",
    ] {
        assert!(group.contains(want), "{want} in\n{group}");
    }
    // The faults the scenario schedules are named in every file, not dropped.
    for f in [one(&s, Format::ComposeKraft), one(&s, Format::ComposeZookeeper), topics, producer.clone()] {
        assert!(f.contains("\"action\":\"stop\",\"node\":\"n2\""), "{f}");
        assert!(f.contains("The simulated network has no equivalent here"));
    }
    let zk = one(&preset("kafka-zk-ensemble"), Format::ComposeZookeeper);
    assert!(zk.contains("ZOOKEEPER_SERVERS: 'zk1:2888:3888;zk2:2888:3888;zk3:2888:3888'"), "{zk}");
    assert!(zk.contains("KAFKA_ZOOKEEPER_CONNECT: 'zk1:2181,zk2:2181,zk3:2181'"), "{zk}");
    let kraft = one(&preset("kafka-zk-ensemble"), Format::ComposeKraft);
    assert!(
        kraft.contains(
            "KAFKA_CONTROLLER_QUORUM_VOTERS: '101@controller-1:9093,102@controller-2:9093,103@controller-3:9093'"
        ),
        "{kraft}"
    );
}

#[test]
fn the_internal_topics_settings_follow_the_scenario() {
    // kafka-exactly-once: transactions only through its processors, 3 brokers.
    let mut s = preset("kafka-exactly-once");
    let k = s.kafka.as_mut().unwrap();
    k.transaction_state_segment_bytes = Some(1 << 20);
    k.offsets_topic_segment_bytes = 2 << 20;
    for f in [one(&s, Format::ComposeKraft), one(&s, Format::ComposeZookeeper)] {
        for want in [
            "KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '3'",
            "KAFKA_TRANSACTION_STATE_LOG_SEGMENT_BYTES: '1048576'",
            "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '3'",
            "KAFKA_OFFSETS_TOPIC_SEGMENT_BYTES: '2097152'",
        ] {
            assert!(f.contains(want), "{want} in\n{f}");
        }
    }
    // With two brokers the replication factor comes down, and the note says the processors'
    // transactions need it.
    let k = s.kafka.as_mut().unwrap();
    k.brokers = 2;
    k.transaction_state_segment_bytes = None;
    for t in &mut k.topics {
        t.replication_factor = 2;
        t.min_insync_replicas = 1;
    }
    let f = one(&s, Format::ComposeKraft);
    for want in [
        "KAFKA_TRANSACTION_STATE_LOG_SEGMENT_BYTES: '104857600'",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '2'",
        "this lets the scenario's transactional producers run here",
    ] {
        assert!(f.contains(want), "{want} in\n{f}");
    }
}

#[test]
fn assignors_and_idempotence_follow_the_scenario() {
    let mut s = preset("kafka-groups");
    let k = s.kafka.as_mut().unwrap();
    k.groups[0].assignor = "cooperative-sticky".into();
    k.producers[0].acks = brokerlab_engine::kafka::config::AcksSpec::One;
    k.consumers.push(brokerlab_engine::kafka::config::ConsumerSpec {
        id: "reader".into(),
        topic: "orders".into(),
        group: None,
        group_instance_id: None,
        stopped: false,
        processing: Time::ZERO,
        processing_jitter: Time::ZERO,
        isolation_level: None,
        client_rack: None,
    });
    let files = export(&s, Format::ClientProperties).unwrap();
    assert!(files[0].content.contains("acks=1") && files[0].content.contains("enable.idempotence=false"));
    assert!(files[1]
        .content
        .contains("partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor"));
    assert_eq!(files[2].name, "consumer-no-group.properties");
    assert!(files[2].content.contains("auto.offset.reset=earliest") && !files[2].content.contains("\ngroup.id="));
}

#[test]
fn static_members_are_told_their_group_instance_id() {
    let files = export(&preset("kafka-static"), Format::ClientProperties).unwrap();
    let group =
        |id: &str| files.iter().find(|f| f.name == format!("consumer-{id}.properties")).unwrap().content.clone();
    assert!(group("static-service").contains("s2: group.instance.id=s2"), "{}", group("static-service"));
    assert!(!group("dynamic-service").contains("group.instance.id"));
}

#[test]
fn formats_follow_the_model_and_the_wrong_one_says_why() {
    assert_eq!(formats_for(&preset("relay-basic")), vec![]);
    assert_eq!(formats_for(&preset("rabbit-basic")), vec![Format::Definitions]);
    assert_eq!(formats_for(&preset("kafka-basic")).len(), 4);
    let e = export(&preset("rabbit-basic"), Format::Topics).unwrap_err();
    assert!(e.contains("topics exports a Kafka scenario"), "{e}");
    assert_eq!(Format::parse("definitions"), Ok(Format::Definitions));
    assert!(Format::parse("yaml").unwrap_err().contains("compose-kraft, compose-zookeeper"));
}

#[test]
fn definitions_are_json_and_round_trip_through_the_editor() {
    for s in rabbit_presets() {
        let r = s.rabbit.as_ref().unwrap();
        let text = one(&s, Format::Definitions);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["queues"].as_array().unwrap().len(), r.queues.len(), "{}", s.name);
        assert_eq!(doc["vhosts"][0]["name"], "/");
        // Import: the draft's topology becomes the file's, which is the scenario's.
        let mut draft = Draft::from_spec(r);
        draft.exchanges.clear();
        draft.queues.clear();
        draft.bindings.clear();
        let notes = draft.import_definitions(&text).unwrap();
        assert_eq!(notes, Vec::<String>::new(), "{}", s.name);
        let built = draft.build(r).unwrap();
        assert_eq!(&built, r, "{}: import gives back the scenario's topology", s.name);
        // And export again: the same file.
        let mut again = s.clone();
        again.rabbit = Some(built);
        assert_eq!(one(&again, Format::Definitions), text, "{}", s.name);
    }
}

#[test]
fn what_definitions_cannot_hold_is_left_out_with_a_note() {
    let mut s = preset("rabbit-basic");
    let r = s.rabbit.as_mut().unwrap();
    r.queues[2].exclusive = true; // audit, declared by its consumer
    let headers =
        r#"{"source":"orders","destination":"billing","routing_key":"","arguments":{"x-match":"any","vip":null}}"#;
    r.exchanges.push(serde_json::from_str(r#"{"name":"h","type":"headers"}"#).unwrap());
    r.bindings.push(serde_json::from_str(&headers.replace("\"orders\"", "\"h\"")).unwrap());
    r.bindings.push(
        serde_json::from_str(
            r#"{"source":"orders","destination":"h","destination_type":"exchange","routing_key":"vip.#"}"#,
        )
        .unwrap(),
    );
    s.validate().unwrap();
    let text = one(&s, Format::Definitions);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let queues: Vec<&str> = doc["queues"].as_array().unwrap().iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert!(!queues.contains(&"audit"), "{queues:?}");
    let bindings = doc["bindings"].as_array().unwrap();
    assert!(!bindings.iter().any(|b| b["destination"] == "audit" || b["source"] == "h"));
    assert!(bindings.iter().any(|b| b["destination_type"] == "exchange" && b["destination"] == "h"));
    let notes = doc["brokerlab"]["notes"].to_string();
    assert!(notes.contains("exclusive queue audit"), "{notes}");
    assert!(notes.contains("the binding h → queue billing"), "{notes}");
    assert!(notes.contains("consumer biller: basic.consume on queue billing, basic.qos prefetch 5"), "{notes}");
    assert!(
        notes.contains("{\\\"at\\\":\\\"300ms\\\",\\\"action\\\":\\\"stop\\\",\\\"node\\\":\\\"rabbit\\\"}"),
        "{notes}"
    );
}

#[test]
fn bad_definitions_are_refused_in_the_files_terms_and_the_draft_stays() {
    let spec = preset("rabbit-basic").rabbit.unwrap();
    let q = |args: &str| {
        format!(r#"{{"queues":[{{"name":"jobs","vhost":"/","durable":true,"auto_delete":false,"arguments":{args}}}]}}"#)
    };
    for (text, want) in [
        ("not json".to_string(), "this is not a definitions file"),
        ("{\"queues\": [".to_string(), "EOF while parsing"),
        (r#"{"queues": {"name": "q"}}"#.to_string(), "queues: got an object, expected a list"),
        (r#"{"queues": [{"durable": true}]}"#.to_string(), "queues[0]: missing field `name`"),
        (q(r#"{"x-overflow":"drop-tail"}"#), "queue \"jobs\": arguments.x-overflow: \"drop-tail\" is not"),
        (q(r#"{"x-queue-type":"mqtt"}"#), "queue \"jobs\": arguments.x-queue-type: \"mqtt\""),
        (q(r#"{"x-max-length":[1]}"#), "queue \"jobs\": arguments.x-max-length: must be a whole number"),
        (q(r#"{"x-max-length":{"n":1}}"#), "got an object, expected a string, number, boolean, null or an array"),
        (r#"{"queues":[{"name":"s","type":"mqtt"}]}"#.to_string(), "queue \"s\": a mqtt queue"),
        (r#"{"queues":[{"name":"s","type":"stream"}]}"#.to_string(), "queue \"s\": durable: PRECONDITION_FAILED"),
        (
            r#"{"exchanges":[{"name":"d","type":"x-delayed-message"}]}"#.to_string(),
            "exchange \"d\": type: unknown exchange type",
        ),
        (
            r#"{"bindings":[{"source":"nope","destination":"q","destination_type":"queue"}]}"#.to_string(),
            "binding nope → queue q: source: no exchange \"nope\"",
        ),
    ] {
        let mut draft = Draft::from_spec(&spec);
        let before = draft.clone();
        let e = draft.import_definitions(&text).unwrap_err();
        assert!(e.contains(want), "wanted {want:?} in {e:?}");
        assert!(!e.contains("Definitions") && !e.contains("QueueDef"), "no Rust type names: {e}");
        assert_eq!(draft, before, "a refused file changes nothing");
    }
}

#[test]
fn import_notes_what_it_leaves_out_and_what_clients_now_miss() {
    let spec = preset("rabbit-basic").rabbit.unwrap();
    let text = r##"{
      "rabbit_version": "3.10.8", "users": [{"name": "guest"}], "policies": [{"name": "ha"}],
      "exchanges": [
        {"name": "events", "vhost": "/", "type": "topic", "durable": true, "auto_delete": false, "internal": true, "arguments": {"x-colour": "red"}},
        {"name": "amq.topic", "vhost": "/", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}},
        {"name": "elsewhere", "vhost": "other", "type": "fanout", "durable": true, "auto_delete": false, "internal": false, "arguments": {}}
      ],
      "queues": [{"name": "billing", "vhost": "/", "durable": true, "auto_delete": false, "arguments": {"x-max-length": 5}, "type": "classic"}],
      "bindings": [
        {"source": "events", "vhost": "/", "destination": "billing", "destination_type": "queue", "routing_key": "#", "arguments": {}},
        {"source": "", "vhost": "/", "destination": "billing", "destination_type": "queue", "routing_key": "billing", "arguments": {}}
      ]
    }"##;
    let mut draft = Draft::from_spec(&spec);
    let notes = draft.import_definitions(text).unwrap().join("\n");
    for want in [
        "exchange \"events\" is internal",
        "argument x-colour is not modelled",
        "1 exchanges, queues or bindings of other virtual hosts",
        "policies left out (1)",
        "users and permissions left out",
        "publisher shop publishes to exchange orders, which the file does not declare",
        "consumer shipper consumes from queue shipping, which the file does not declare",
    ] {
        assert!(notes.contains(want), "wanted {want:?} in\n{notes}");
    }
    assert_eq!(draft.exchanges.len(), 1);
    assert_eq!(draft.bindings.len(), 1, "the default exchange's implicit binding is not a binding to declare");
    assert_eq!(draft.queues[0].args, "{\"x-max-length\":5}");
    // The editor now shows the publisher's problem at its row until it is fixed.
    assert!(draft.build(&spec).is_err());
}

#[test]
fn the_page_knows_the_file_names_and_reports_an_import_in_words() {
    for s in kafka_presets().chain(rabbit_presets()) {
        for f in formats_for(&s) {
            let names: Vec<String> = export(&s, f).unwrap().into_iter().map(|f| f.name).collect();
            assert_eq!(file_names(&s, f), names, "{} {f:?}", s.name);
        }
    }
    let s = preset("rabbit-basic");
    let spec = s.rabbit.as_ref().unwrap();
    let mut draft = Draft::from_spec(spec);
    let report = draft.import_file("defs.json", 10.0, "{\"queues\": 3}");
    assert!(!report.ok);
    assert_eq!(
        report.summary,
        "defs.json was not imported: queues: got the number 3, expected a list. The topology below is unchanged."
    );
    assert_eq!(draft, Draft::from_spec(spec));
    let report = draft.import_file("big.json", 5e7, "");
    assert!(report.summary.contains("it is 50.0 MB"), "{}", report.summary);
    let report = draft.import_file("definitions.json", 100.0, &one(&s, Format::Definitions));
    assert!(report.ok && report.notes.is_empty(), "{report:?}");
    assert!(
        report.summary.starts_with("Imported definitions.json: 3 exchanges, 5 queues, 5 bindings."),
        "{}",
        report.summary
    );
}
