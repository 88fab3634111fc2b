//! The built-in scenarios: the JSON files under `scenarios/`, compiled in, in the same format a user
//! loads. A test parses every one of them.

use super::scenario::Scenario;

/// `(slug, JSON)` in the order the UI lists them.
pub const PRESETS: &[(&str, &str)] = &[
    ("relay-basic", include_str!("../../../scenarios/relay-basic.json")),
    ("lossy-network", include_str!("../../../scenarios/lossy-network.json")),
    ("kafka-basic", include_str!("../../../scenarios/kafka-basic.json")),
    ("kafka-groups", include_str!("../../../scenarios/kafka-groups.json")),
    ("kafka-static", include_str!("../../../scenarios/kafka-static.json")),
    ("kafka-racks", include_str!("../../../scenarios/kafka-racks.json")),
    ("kafka-transactions", include_str!("../../../scenarios/kafka-transactions.json")),
    ("kafka-exactly-once", include_str!("../../../scenarios/kafka-exactly-once.json")),
    ("kafka-zk-ensemble", include_str!("../../../scenarios/kafka-zk-ensemble.json")),
    ("kafka-kraft", include_str!("../../../scenarios/kafka-kraft.json")),
    ("kafka-kraft-combined", include_str!("../../../scenarios/kafka-kraft-combined.json")),
    ("kafka-kraft-mixed", include_str!("../../../scenarios/kafka-kraft-mixed.json")),
    ("kafka-large", include_str!("../../../scenarios/kafka-large.json")),
    ("kafka-large-kraft", include_str!("../../../scenarios/kafka-large-kraft.json")),
    ("kafka-large-kraft-combined", include_str!("../../../scenarios/kafka-large-kraft-combined.json")),
    ("rabbit-basic", include_str!("../../../scenarios/rabbit-basic.json")),
    ("rabbit-by-hand", include_str!("../../../scenarios/rabbit-by-hand.json")),
    ("rabbit-quorum", include_str!("../../../scenarios/rabbit-quorum.json")),
    ("rabbit-stream", include_str!("../../../scenarios/rabbit-stream.json")),
    ("kafka-resources", include_str!("../../../scenarios/kafka-resources.json")),
    ("rabbit-resources", include_str!("../../../scenarios/rabbit-resources.json")),
    ("bench", include_str!("../../../scenarios/bench.json")),
    ("kafka-bench", include_str!("../../../scenarios/kafka-bench.json")),
    ("rabbit-bench", include_str!("../../../scenarios/rabbit-bench.json")),
];

pub fn by_slug(slug: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(s, _)| *s == slug).map(|(_, json)| *json)
}

/// A preset, parsed. Presets are part of the program, so a broken one is a bug: the test below
/// makes sure none is.
pub fn load(slug: &str) -> Option<Scenario> {
    by_slug(slug).map(|json| Scenario::from_json(json).unwrap_or_else(|e| panic!("preset {slug} is invalid: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_preset_parses() {
        for (slug, json) in super::PRESETS {
            if let Err(e) = super::Scenario::from_json(json) {
                panic!("preset {slug}: {e}");
            }
        }
    }
}
