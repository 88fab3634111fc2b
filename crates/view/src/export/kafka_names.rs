//! Test support: the Kafka configuration names an exported file uses, read back out of it, and
//! the list of real names (`kafka_config_names.txt`) they must be in.

use std::collections::BTreeSet;

/// `(scope, name)` pairs of the list.
pub fn known() -> BTreeSet<(String, String)> {
    include_str!("kafka_config_names.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (scope, name) = l.split_once(' ').expect("`scope name` lines");
            (scope.to_string(), name.to_string())
        })
        .collect()
}

/// A `KAFKA_…` variable back to its setting: `___` → `-`, `__` → `_`, `_` → `.`.
fn setting_of_env(var: &str) -> String {
    var.to_ascii_lowercase().replace("___", "-").replace("__", "\u{0}").replace('_', ".").replace('\u{0}', "_")
}

/// `ZOOKEEPER_TICK_TIME` → `tickTime`, as cp-zookeeper writes zoo.cfg.
fn zookeeper_of_env(var: &str) -> String {
    let mut out = String::new();
    for (i, word) in var.to_ascii_lowercase().split('_').enumerate() {
        let mut c = word.chars();
        match (i, c.next()) {
            (0, _) => out += word,
            (_, Some(first)) => {
                out.push(first.to_ascii_uppercase());
                out.extend(c);
            }
            _ => {}
        }
    }
    out
}

/// The `(scope, name)` each environment variable of a compose file stands for.
pub fn in_compose(yaml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in yaml.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let Some((key, _)) = line.trim().split_once(": '") else { continue };
        let pair = if let Some(rest) = key.strip_prefix("KAFKA_") {
            let name = setting_of_env(rest);
            let scope = if name.starts_with("zookeeper.") { "broker-zk" } else { "broker" };
            (scope, name)
        } else if ["CLUSTER_ID", "ZOOKEEPER_SERVER_ID", "ZOOKEEPER_SERVERS"].contains(&key) {
            ("image", key.to_string())
        } else if let Some(rest) = key.strip_prefix("ZOOKEEPER_") {
            ("zookeeper", zookeeper_of_env(rest))
        } else {
            panic!("an environment variable of no known kind: {key}")
        };
        out.push((pair.0.to_string(), pair.1));
    }
    out
}

/// The topic settings of `kafka-topics.sh … --config name=value`.
pub fn in_topics(script: &str) -> Vec<(String, String)> {
    script.split("--config ").skip(1).map(|c| ("topic".to_string(), c.split('=').next().unwrap().to_string())).collect()
}

/// The settings of a client `.properties` file (`scope` producer or consumer).
pub fn in_properties(scope: &str, text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| (scope.to_string(), l.split('=').next().unwrap().to_string()))
        .collect()
}

#[test]
fn env_names_read_back() {
    assert_eq!(setting_of_env("OFFSETS_TOPIC_REPLICATION_FACTOR"), "offsets.topic.replication.factor");
    assert_eq!(setting_of_env("ABC___DEF__GH"), "abc-def_gh");
    assert_eq!(zookeeper_of_env("TICK_TIME"), "tickTime");
    assert_eq!(zookeeper_of_env("CLIENT_PORT"), "clientPort");
}

#[test]
fn the_list_holds_what_it_says() {
    let k = known();
    assert!(k.len() > 500, "{}", k.len());
    for (scope, name) in [
        ("producer", "enable.idempotence"),
        ("consumer", "partition.assignment.strategy"),
        ("topic", "min.insync.replicas"),
        ("broker", "controller.quorum.voters"),
        ("broker-zk", "zookeeper.connect"),
    ] {
        assert!(k.contains(&(scope.to_string(), name.to_string())), "{scope} {name}");
    }
}
