//! Where the KRaft voters run: each Kafka server chooses its `process.roles` — `controller` (a
//! controller node of its own, `ctl1`…), `broker`, or `broker,controller` ("combined") — so a
//! quorum may be all controller nodes, all combined brokers, or a mix. Kafka checks each server
//! on its own (`KafkaConfig.validateValues`: a server with the controller role must be one of
//! `controller.quorum.voters`, a broker-only server must not), so any mix is a valid cluster.
//!
//! The scenario says it with `kafka.combined` beside `kafka.controllers` (how many voters):
//! `true` runs every voter in a broker (`b1`…`bN`), a list names the brokers that run one
//! (`["b1"]` with 3 controllers: `ctl1`, `ctl2` and `b1`), and the rest of the voters are
//! controller nodes. Voter ids follow node order: the controller nodes first, then the combined
//! brokers in broker order (`KraftCluster::controllers[id - 1]`).

use crate::kafka::config::KafkaSpec;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// `kafka.combined` as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Combined {
    /// `false` or absent: every voter is a controller node (`process.roles=controller`).
    #[default]
    Off,
    /// `true`: every voter runs in a broker, controller `i` in broker `bi`.
    All,
    /// The brokers that also run a controller (`process.roles=broker,controller`), by name.
    Brokers(Vec<String>),
}

impl Combined {
    pub fn is_off(&self) -> bool {
        *self == Combined::Off
    }
}

impl Serialize for Combined {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Combined::Off => s.serialize_bool(false),
            Combined::All => s.serialize_bool(true),
            Combined::Brokers(names) => names.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Combined {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Combined;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false, or a list of the brokers that also run a controller, like [\"b1\"]")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Combined, E> {
                Ok(if v { Combined::All } else { Combined::Off })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Combined, A::Error> {
                let mut names = vec![];
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(Combined::Brokers(names))
            }
        }
        d.deserialize_any(V)
    }
}

impl KafkaSpec {
    /// The brokers that run a voter too, in broker order (none outside KRaft mode).
    pub fn combined_brokers(&self) -> Vec<u32> {
        if !self.kraft() {
            return vec![];
        }
        match &self.combined {
            Combined::Off => vec![],
            Combined::All => (1..=self.kraft_settings().controllers.min(self.brokers)).collect(),
            Combined::Brokers(names) => {
                let mut ids: Vec<u32> = names.iter().filter_map(|n| broker_id(n, self.brokers)).collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            }
        }
    }

    /// `kafka.combined` names brokers of this cluster, each once, no more than the voters.
    pub(crate) fn validate_combined(&self) -> Result<(), String> {
        let controllers = self.kraft_settings().controllers;
        match &self.combined {
            Combined::Off => Ok(()),
            Combined::All if self.brokers < controllers => Err(format!(
                "kafka.combined: the {controllers} controllers run in brokers b1…b{controllers} (process.roles=broker,controller), \
                 but the cluster has {} broker{}: set kafka.brokers to at least {controllers}, kafka.controllers to fewer, \
                 or list the brokers that run a controller (\"combined\": [\"b1\"]) to have controller nodes for the rest",
                self.brokers,
                if self.brokers == 1 { "" } else { "s" },
            )),
            Combined::All => Ok(()),
            Combined::Brokers(names) => {
                if names.is_empty() {
                    return Err("kafka.combined: an empty list; name the brokers that also run a controller \
                                (\"combined\": [\"b1\"]), or leave the field out for controller nodes only"
                        .into());
                }
                if let Some(bad) = names.iter().find(|n| broker_id(n, self.brokers).is_none()) {
                    return Err(format!(
                        "kafka.combined: \"{bad}\" is not a broker of this cluster (b1…b{})",
                        self.brokers
                    ));
                }
                if let Some((_, twice)) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)) {
                    return Err(format!("kafka.combined: \"{twice}\" is listed twice"));
                }
                if names.len() as u32 > controllers {
                    return Err(format!(
                        "kafka.combined: {} brokers listed, but the quorum has {controllers} voter{} (kafka.controllers): \
                         list at most {controllers}",
                        names.len(),
                        if controllers == 1 { "" } else { "s" },
                    ));
                }
                Ok(())
            }
        }
    }
}

/// `bK` for a broker `1 ≤ K ≤ brokers`.
fn broker_id(name: &str, brokers: u32) -> Option<u32> {
    let id: u32 = name.strip_prefix('b')?.parse().ok()?;
    (name == format!("b{id}") && (1..=brokers).contains(&id)).then_some(id)
}

#[cfg(test)]
mod tests {
    use crate::Scenario;

    fn scenario(kafka: &str) -> Result<Scenario, String> {
        Scenario::from_json(&format!(
            r#"{{"name":"k","kafka":{{"brokers":3,"metadata":"kraft",{kafka}"topics":[{{"name":"t","partitions":1,"replication_factor":3}}]}}}}"#
        ))
    }

    #[test]
    fn a_mixed_quorum_places_controller_nodes_first_then_the_combined_brokers() {
        let s = scenario(r#""controllers":3,"combined":["b2"],"#).unwrap();
        assert_eq!(s.node_names(), ["ctl1", "ctl2", "b1", "b2", "b3"]);
        let k = s.kafka.as_ref().unwrap();
        assert_eq!(k.combined_brokers(), [2]);
        assert_eq!((k.metadata_nodes(), k.separate_metadata_nodes()), (3, 2));
        let s = scenario(r#""controllers":5,"combined":["b3","b1"],"#).unwrap();
        assert_eq!(s.node_names(), ["ctl1", "ctl2", "ctl3", "b1", "b2", "b3"]);
        assert_eq!(s.kafka.as_ref().unwrap().combined_brokers(), [1, 3], "in broker order");
        // Every voter listed: combined mode on the brokers chosen.
        let s = scenario(r#""controllers":3,"combined":["b1","b2","b3"],"#).unwrap();
        assert_eq!(s.node_names(), ["b1", "b2", "b3"]);
        // `true` and `false` read as before, and write back the same.
        let written = |k: &str| {
            let v: serde_json::Value = serde_json::from_str(&scenario(k).unwrap().to_json()).unwrap();
            v["kafka"].get("combined").cloned()
        };
        assert_eq!(written(r#""combined":true,"#), Some(serde_json::json!(true)));
        assert_eq!(written(r#""combined":["b1"],"#), Some(serde_json::json!(["b1"])));
        assert_eq!(written(r#""combined":false,"#), None);
    }

    #[test]
    fn a_bad_list_is_refused_naming_the_field() {
        let err = |k: &str| scenario(k).expect_err("should be rejected");
        let e = err(r#""combined":["b4"],"#);
        assert!(e.starts_with("kafka.combined: \"b4\" is not a broker of this cluster (b1…b3)"), "{e}");
        let e = err(r#""combined":["ctl1"],"#);
        assert!(e.starts_with("kafka.combined: \"ctl1\" is not a broker"), "{e}");
        let e = err(r#""combined":["b01"],"#);
        assert!(e.starts_with("kafka.combined: \"b01\" is not a broker"), "{e}");
        let e = err(r#""combined":["b1","b1"],"#);
        assert!(e.starts_with("kafka.combined: \"b1\" is listed twice"), "{e}");
        let e = err(r#""controllers":1,"combined":["b1","b2"],"#);
        assert!(e.starts_with("kafka.combined: 2 brokers listed, but the quorum has 1 voter"), "{e}");
        let e = err(r#""combined":[],"#);
        assert!(e.starts_with("kafka.combined: an empty list"), "{e}");
        let e = err(r#""combined":"b1","#);
        assert!(e.starts_with("kafka.combined:"), "{e}");
        assert!(e.contains("a list of the brokers that also run a controller"), "{e}");
        let e = err(r#""combined":[1],"#);
        assert!(e.starts_with("kafka.combined"), "{e}");
    }
}
