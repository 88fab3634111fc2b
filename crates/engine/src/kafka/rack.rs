//! Rack awareness: each broker's `broker.rack`, each consumer's `client.rack`, and the broker
//! setting `replica.selector.class` that lets consumers fetch from a follower in their own rack
//! (KIP-392, Kafka 2.4+).
//!
//! With racks, new topics' replicas are spread over racks (`placement::place`, as `AdminUtils`
//! does). With `RackAwareReplicaSelector`, a partition's leader answers a consumer's fetch with a
//! preferred read replica in the consumer's rack instead of records
//! (`ReplicaManager.findPreferredReadReplica`); the consumer then fetches from that follower, which
//! serves records up to its own high watermark, until an error, a lost connection or
//! `metadata.max.age.ms` sends it back to the leader (`consumer::read_replica`,
//! `broker::read_replica`).

use super::config::KafkaSpec;
use super::partition::BrokerId;
use crate::time::Time;

/// `replica.selector.class` values Kafka ships.
pub const RACK_AWARE_SELECTOR: &str = "org.apache.kafka.common.replica.RackAwareReplicaSelector";
pub const LEADER_SELECTOR: &str = "org.apache.kafka.common.replica.LeaderSelector";

/// `metadata.max.age.ms` (default 5 min): how long a consumer keeps a preferred read replica
/// (`SubscriptionState.updatePreferredReadReplica` with `metadata.metadataExpireMs()`).
pub const METADATA_MAX_AGE: Time = Time::secs(300);

/// A rack, by its index in `Racks::names` (messages carry this, not the name).
pub type RackId = u16;

/// The scenario's racks, shared by every node of the cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Racks {
    /// Every rack named in the scenario: the brokers' first, then the clients' own.
    pub names: Vec<String>,
    /// `brokers[i]`: the rack of broker `i + 1`; empty when no broker has one.
    pub brokers: Vec<RackId>,
    /// `replica.selector.class` is `RackAwareReplicaSelector`: leaders send consumers to a
    /// replica in their rack.
    pub selector: bool,
}

impl Racks {
    pub fn new(spec: &KafkaSpec) -> Racks {
        let mut r =
            Racks { selector: spec.replica_selector_class.as_deref() == Some(RACK_AWARE_SELECTOR), ..Racks::default() };
        let brokers: Vec<&str> = spec.racks.iter().flatten().flatten().map(String::as_str).collect();
        if brokers.len() == spec.brokers as usize {
            r.brokers = brokers.iter().map(|name| r.intern(name)).collect();
        }
        for c in &spec.consumers {
            if let Some(name) = &c.client_rack {
                r.intern(name);
            }
        }
        r
    }

    fn intern(&mut self, name: &str) -> RackId {
        match self.id(name) {
            Some(id) => id,
            None => {
                self.names.push(name.to_string());
                (self.names.len() - 1) as RackId
            }
        }
    }

    pub fn id(&self, name: &str) -> Option<RackId> {
        self.names.iter().position(|n| n == name).map(|i| i as RackId)
    }

    pub fn name(&self, rack: RackId) -> &str {
        self.names.get(rack as usize).map_or("", String::as_str)
    }

    /// Broker `b`'s rack, if brokers have racks.
    pub fn of_broker(&self, b: BrokerId) -> Option<RackId> {
        self.brokers.get((b as usize).wrapping_sub(1)).copied()
    }

    /// The rack names of `brokers`, for `placement::place` (empty: no racks, rack-unaware).
    pub fn names_of(&self, brokers: &[BrokerId]) -> Vec<&str> {
        if self.brokers.is_empty() {
            return vec![];
        }
        brokers.iter().filter_map(|&b| self.of_broker(b)).map(|r| self.name(r)).collect()
    }
}

/// A replica as the selector sees it (`ReplicaView`): its broker, log end offset, and how long
/// since it was last caught up (0 for the leader).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    pub broker: BrokerId,
    pub leo: u64,
    pub since_caught_up: Time,
}

/// `RackAwareReplicaSelector.select`, then `findPreferredReadReplica`'s rule that the leader is
/// never sent as a preferred replica: with a client rack, the leader if it is in that rack, else
/// the most caught-up replica there (`ReplicaView.comparator`: highest log end, then most recently
/// caught up, then the higher broker id); `None` (read from the leader) when no
/// replica is in the client's rack. `followers` are those the leader may offer: in the ISR, their
/// log end at or past the fetch offset.
pub fn select(
    racks: &Racks,
    client: Option<RackId>,
    leader: ReplicaView,
    followers: &[ReplicaView],
) -> Option<BrokerId> {
    let client = client?;
    if racks.of_broker(leader.broker) == Some(client) {
        return None;
    }
    followers
        .iter()
        .filter(|f| racks.of_broker(f.broker) == Some(client))
        .max_by(|a, b| a.leo.cmp(&b.leo).then(b.since_caught_up.cmp(&a.since_caught_up)).then(a.broker.cmp(&b.broker)))
        .map(|f| f.broker)
}

/// The scenario's rack settings, with messages that name the field.
pub fn validate(spec: &KafkaSpec) -> Result<(), String> {
    let name_ok = |s: &str| !s.trim().is_empty() && s.len() <= 40;
    if let Some(racks) = &spec.racks {
        if racks.len() != spec.brokers as usize {
            return Err(format!(
                "kafka.racks: one rack per broker, b1 to b{}: {} given for {} brokers",
                spec.brokers,
                racks.len(),
                spec.brokers
            ));
        }
        for (i, r) in racks.iter().enumerate() {
            if r.as_deref().is_some_and(|s| !name_ok(s)) {
                return Err(format!("kafka.racks[{i}]: a rack name of 1 to 40 characters (or null for none)"));
            }
        }
        let with = racks.iter().position(Option::is_some);
        let without = racks.iter().position(Option::is_none);
        if let (Some(with), Some(without)) = (with, without) {
            return Err(format!(
                "kafka.racks[{without}]: b{} has no rack while b{} has one; Kafka's rack-aware assignment needs a rack on every broker or on none (\"Not all brokers have rack information\")",
                without + 1,
                with + 1
            ));
        }
    }
    if let Some(class) = &spec.replica_selector_class {
        if class != RACK_AWARE_SELECTOR && class != LEADER_SELECTOR {
            return Err(format!(
                "kafka.replica_selector_class: \"{RACK_AWARE_SELECTOR}\" or \"{LEADER_SELECTOR}\" (Kafka's own selectors)"
            ));
        }
    }
    for (i, c) in spec.consumers.iter().enumerate() {
        if c.client_rack.as_deref().is_some_and(|s| !name_ok(s)) {
            return Err(format!("kafka.consumers[{i}].client_rack: a rack name of 1 to 40 characters"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;

    fn racks(names: &[&str], selector: bool) -> Racks {
        let mut r = Racks { selector, ..Racks::default() };
        r.brokers = names.iter().map(|n| r.intern(n)).collect();
        r
    }

    fn view(broker: BrokerId, leo: u64, since_ms: u64) -> ReplicaView {
        ReplicaView { broker, leo, since_caught_up: Time::ms(since_ms) }
    }

    #[test]
    fn the_selector_prefers_the_leader_then_the_most_caught_up_replica_of_the_clients_rack() {
        // Brokers 1..6 on az-a, az-b, az-c, az-a, az-b, az-c.
        let r = racks(&["az-a", "az-b", "az-c", "az-a", "az-b", "az-c"], true);
        let (a, b, c) = (r.id("az-a"), r.id("az-b"), r.id("az-c"));
        let leader = view(1, 10, 0);
        let followers = [view(2, 10, 0), view(5, 9, 0), view(6, 10, 0)];
        // The leader's own rack → the leader (no preferred replica sent).
        assert_eq!(select(&r, a, leader, &followers), None);
        // Two in az-b: the one with the higher log end.
        assert_eq!(select(&r, b, leader, &followers), Some(2));
        assert_eq!(select(&r, c, leader, &followers), Some(6));
        // Equal log ends: the one caught up most recently.
        assert_eq!(select(&r, b, leader, &[view(2, 10, 300), view(5, 10, 20)]), Some(5));
        // Equal in both: the higher id, as `ReplicaView.comparator` ends.
        assert_eq!(select(&r, b, leader, &[view(2, 10, 20), view(5, 10, 20)]), Some(5));
        // A rack with no offered replica, or no client rack: the leader.
        assert_eq!(select(&r, b, leader, &[view(3, 10, 0)]), None);
        assert_eq!(select(&r, None, leader, &followers), None);
    }

    #[test]
    fn kafkas_replica_selector_test() {
        // ReplicaSelectorTest.testSameRackSelector (ids + 1: brokers 1-4 here are Kafka's 0-3).
        let r = racks(&["rack-a", "rack-a", "rack-b", "rack-b"], true);
        let leader = view(1, 4, 0);
        let followers = [view(2, 2, 5), view(3, 3, 3), view(4, 4, 2)];
        assert_eq!(select(&r, r.id("rack-b"), leader, &followers), Some(4), "more caught up");
        assert_eq!(select(&r, None, leader, &followers), None, "not-a-rack: the leader");
        assert_eq!(select(&r, r.id("rack-a"), leader, &followers), None, "the leader is in rack-a");
    }

    fn err(kafka: &str) -> String {
        Scenario::from_json(&format!(r#"{{"name":"k","kafka":{kafka}}}"#)).expect_err("should be rejected")
    }

    const TOPIC: &str = r#""topics":[{"name":"t","partitions":1,"replication_factor":1}]"#;

    #[test]
    fn bad_rack_settings_name_the_field() {
        assert!(err(&format!(r#"{{"brokers":3,"racks":["a","b"],{TOPIC}}}"#))
            .contains("kafka.racks: one rack per broker, b1 to b3: 2 given for 3 brokers"));
        assert!(err(&format!(r#"{{"brokers":3,"racks":["a",null,"c"],{TOPIC}}}"#))
            .contains("kafka.racks[1]: b2 has no rack while b1 has one"));
        assert!(err(&format!(r#"{{"brokers":2,"racks":["a",""],{TOPIC}}}"#)).contains("kafka.racks[1]: a rack name"));
        assert!(err(&format!(r#"{{"brokers":1,"replica_selector_class":"RackAware",{TOPIC}}}"#))
            .contains("kafka.replica_selector_class"));
        assert!(err(&format!(r#"{{"brokers":1,{TOPIC},"consumers":[{{"id":"c","topic":"t","client_rack":" "}}]}}"#))
            .contains("kafka.consumers[0].client_rack"));
        let ok = Scenario::from_json(&format!(
            r#"{{"name":"k","kafka":{{"brokers":2,"racks":[null,null],"replica_selector_class":"{RACK_AWARE_SELECTOR}",{TOPIC},"consumers":[{{"id":"c","topic":"t","client_rack":"z"}}]}}}}"#
        ));
        let spec = ok.expect("all null is no racks").kafka.unwrap();
        let r = Racks::new(&spec);
        assert!(r.brokers.is_empty() && r.selector);
        assert_eq!(r.names, vec!["z".to_string()]);
    }
}
