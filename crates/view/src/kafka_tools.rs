//! What Kafka's own command-line tools would print for the simulated cluster, so a learner sees
//! here what they will see at work: `kafka-topics.sh --describe` and
//! `kafka-consumer-groups.sh --describe --group G`. Pure: built from the world, tested below;
//! the page only puts the text in a `<pre>`.
//!
//! The format is Kafka 3.9's — the last release with ZooKeeper, the era the model follows (and the
//! `cp-kafka` 7.9.0 the export writes) — as `TopicCommand` and `ConsumerGroupCommand` print it:
//! - `kafka-topics.sh --describe` asks the bootstrap broker for metadata: Leader, Replicas and Isr
//!   come from that broker's metadata cache (what the controller last sent it in UpdateMetadata),
//!   so a broker that missed an update shows the stale picture, as a real one does. `TopicId:` is
//!   printed only for a non-zero id and the model gives topics none, so it is left out, as the
//!   tool leaves out a zero id. `Configs:` lists the topic's settings that differ from Kafka's
//!   defaults (the tool prints the non-default entries of describeConfigs). A 3.9 tool against a
//!   ZooKeeper cluster has no eligible leader replicas (KIP-966 is KRaft-only) and prints
//!   `Elr: N/A` and `LastKnownElr: N/A` (tab-separated) on each partition line.
//! - `kafka-consumer-groups.sh --describe` prints, for a Stable group, one row per partition a
//!   member owns (members with the most partitions first, partitions in order), then the group's
//!   committed partitions nobody owns with `-` for the member columns. LOG-END-OFFSET is what
//!   ListOffsets(latest) answers a client: the leader's high watermark; LAG = LOG-END-OFFSET −
//!   CURRENT-OFFSET (the committed offset), `-` without a commit. The classic coordinator hands out
//!   members' assignments only while Stable, so during a rebalance the tool warns and shows only
//!   committed rows; an Empty group gets "has no active members.". CONSUMER-ID is the member id
//!   the coordinator gave (the model's `client-n`, where Kafka appends a UUID), CLIENT-ID the
//!   consumer's name; HOST is `/` and the consumer's node name, as the model has no IP addresses.

use crate::kafka::{coordinator, leader_hw};
use brokerlab_engine::kafka::cluster::Topic;
use brokerlab_engine::kafka::event::GroupState;
use brokerlab_engine::kafka::msg::Tp;
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::models::Node;
use brokerlab_engine::{NodeId, World};

/// The port every simulated broker listens on, for the command lines.
const PORT: u16 = 9092;

/// `Configs:`: the topic settings that differ from Kafka's defaults, by name.
pub fn non_default_configs(t: &Topic) -> String {
    const WEEK_MS: u64 = 7 * 24 * 3600 * 1000;
    let ms = |t: brokerlab_engine::Time| t.0.div_ceil(1000);
    let policy = match (t.delete, t.compact) {
        (true, true) => Some("compact,delete"),
        (false, true) => Some("compact"),
        _ => None,
    };
    let mut c: Vec<String> = Vec::new();
    if let Some(p) = policy {
        c.push(format!("cleanup.policy={p}"));
    }
    if t.log.min_dirty_percent != 50 {
        c.push(format!("min.cleanable.dirty.ratio={}", t.log.min_dirty_percent as f64 / 100.0));
    }
    if t.min_insync_replicas != 1 {
        c.push(format!("min.insync.replicas={}", t.min_insync_replicas));
    }
    if let Some(b) = t.retention_bytes {
        c.push(format!("retention.bytes={b}"));
    }
    match t.retention.map(ms) {
        Some(WEEK_MS) => {}
        Some(r) => c.push(format!("retention.ms={r}")),
        None => c.push("retention.ms=-1".into()),
    }
    if t.log.segment_bytes != 1 << 30 {
        c.push(format!("segment.bytes={}", t.log.segment_bytes.min(i32::MAX as u64)));
    }
    if ms(t.log.segment_ms) != WEEK_MS {
        c.push(format!("segment.ms={}", ms(t.log.segment_ms)));
    }
    c.join(",")
}

fn ids(v: &[u32]) -> String {
    v.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",")
}

/// The first live broker: where a tool without a chosen broker connects.
pub fn any_live_broker(world: &World) -> Option<NodeId> {
    world.shared.kafka.as_ref()?.brokers.iter().copied().find(|&n| world.network.is_up(n))
}

/// `kafka-topics.sh --bootstrap-server B:9092 --describe` for the user topics (`--topic T` for
/// one), answered from broker `bootstrap`'s metadata cache: the command line, then the output.
pub fn topics_describe(world: &World, bootstrap: NodeId, topic: Option<u16>) -> Option<String> {
    let cluster = world.shared.kafka.as_ref()?;
    let Node::Kafka(KafkaNode::Broker(b)) = &world.nodes.get(bootstrap.index())?.node else { return None };
    let which = topic.map_or(" --exclude-internal".to_string(), |t| format!(" --topic {}", world.topic_name(t)));
    let mut out =
        format!("$ kafka-topics.sh --bootstrap-server {}:{PORT} --describe{which}\n", world.node_name(bootstrap));
    if !world.network.is_up(bootstrap) {
        // The admin client never reaches the broker: its first call (listTopics) gives up after
        // default.api.timeout.ms.
        out += "Error while executing topic command : Timed out waiting for a node assignment. Call: listTopics\n";
        return Some(out);
    }
    let topics: Vec<u16> = match topic {
        Some(t) => vec![t],
        None => (0..cluster.topics.len() as u16).filter(|&t| !cluster.is_internal(t)).collect(),
    };
    for t in topics {
        let spec = &cluster.topics[t as usize];
        let parts: Vec<_> =
            (0..spec.partitions).filter_map(|p| b.metadata.get(&Tp { topic: t, partition: p }).map(|v| &**v)).collect();
        if parts.is_empty() {
            if topic.is_some() {
                out += &format!(
                    "Error while executing topic command : Topic '{}' does not exist as expected\n",
                    spec.name
                );
            }
            continue;
        }
        out += &format!(
            "Topic: {}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}\n",
            spec.name,
            parts.len(),
            parts[0].replicas.len(),
            non_default_configs(spec)
        );
        for v in parts {
            out += &format!(
                "\tTopic: {}\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}\tElr: N/A\tLastKnownElr: N/A\n",
                spec.name,
                v.tp.partition,
                v.leader.map_or("none".to_string(), |l| l.to_string()),
                ids(&v.replicas),
                ids(&v.isr)
            );
        }
    }
    Some(out)
}

/// One row of `kafka-consumer-groups.sh --describe`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRow {
    pub partition: u16,
    /// The group's committed offset (CURRENT-OFFSET).
    pub current: Option<u64>,
    /// The leader's high watermark (LOG-END-OFFSET), `None` without a leader.
    pub log_end: Option<u64>,
    pub lag: Option<u64>,
    /// The owning member: consumer id, host, client id (`None`: `-` in each).
    pub member: Option<(String, String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDescribe {
    pub group: String,
    pub topic: String,
    /// The coordinator's group state (`None`: no coordinator is available).
    pub state: Option<GroupState>,
    pub rows: Vec<GroupRow>,
    /// The command line and what the tool prints (its stderr messages included, in place).
    pub text: String,
}

/// `kafka-consumer-groups.sh --describe --group G`, from the group's coordinator.
pub fn group_describe(world: &World, group: u8) -> Option<GroupDescribe> {
    let cluster = world.shared.kafka.as_ref()?;
    let settings = cluster.groups.get(group as usize)?;
    let topic = world.topic_name(settings.topic).to_string();
    let name = settings.name.clone();
    let bootstrap = any_live_broker(world);
    let mut text = format!(
        "$ kafka-consumer-groups.sh --bootstrap-server {}:{PORT} --describe --group {name}\n",
        bootstrap.map_or("b1", |b| world.node_name(b))
    );
    let describe =
        |state, rows, text| Some(GroupDescribe { group: name.clone(), topic: topic.clone(), state, rows, text });
    let held = coordinator(world, group).and_then(|(_, node)| match &world.nodes[node.index()].node {
        Node::Kafka(KafkaNode::Broker(b)) => b.groups.get(&group),
        _ => None,
    });
    if bootstrap.is_none() {
        // No broker answers: the admin client's metadata call times out (the real message has
        // the call's deadline and attempts where this has `…`).
        text += "\nError: Executing consumer group command failed due to org.apache.kafka.common.errors.TimeoutException: Call(callName=metadata, deadlineMs=…) timed out at … after … attempt(s)\n";
        return describe(None, vec![], text);
    }
    let Some(g) = held else {
        text += "\nError: Executing consumer group command failed due to org.apache.kafka.common.errors.CoordinatorNotAvailableException: The coordinator is not available.\n";
        return describe(None, vec![], text);
    };
    let never_used = g.state == GroupState::Empty && g.generation == 0 && g.offsets.is_empty();
    if g.state == GroupState::Dead || never_used {
        text += &format!("\nError: Consumer group '{name}' does not exist.\n");
        return describe(Some(GroupState::Dead), vec![], text);
    }
    let row = |p: u16, member: Option<(String, String, String)>| {
        let current = g.offsets.get(&p).copied();
        let log_end = leader_hw(world, Tp { topic: settings.topic, partition: p });
        let lag = current.zip(log_end).map(|(c, e)| e.saturating_sub(c));
        GroupRow { partition: p, current, log_end, lag, member }
    };
    let mut rows = Vec::new();
    let mut assigned = 0u64;
    if g.state == GroupState::Stable {
        let mut members: Vec<_> = g.members.iter().filter(|m| m.assignment != 0).collect();
        // Most partitions first; a stable sort keeps the join order among equals.
        members.sort_by_key(|m| std::cmp::Reverse(m.assignment.count_ones()));
        for m in members {
            assigned |= m.assignment;
            let client = world.node_name(m.node).to_string();
            for p in crate::groups::bits(m.assignment) {
                rows.push(row(p, Some((m.id.clone(), format!("/{client}"), client.clone()))));
            }
        }
    }
    rows.extend(g.offsets.keys().filter(|&&p| assigned & (1 << p) == 0).map(|&p| row(p, None)));
    match g.state {
        GroupState::Empty => text += &format!("\nConsumer group '{name}' has no active members.\n"),
        GroupState::PreparingRebalance | GroupState::CompletingRebalance => {
            text += &format!("\nWarning: Consumer group '{name}' is rebalancing.\n")
        }
        _ => {}
    }
    if !rows.is_empty() {
        text += &group_table(&name, &topic, &rows);
    }
    describe(Some(g.state), rows, text)
}

/// The table as `ConsumerGroupCommand.printOffsets` formats it: each line starts with a newline,
/// columns `%-Ns` separated by one space, GROUP, TOPIC, CONSUMER-ID and HOST at least 15 wide.
fn group_table(group: &str, topic: &str, rows: &[GroupRow]) -> String {
    let dash = || "-".to_string();
    let opt = |v: Option<u64>| v.map_or_else(dash, |v| v.to_string());
    let member = |r: &GroupRow, i: usize| r.member.as_ref().map_or_else(dash, |m| [&m.0, &m.1, &m.2][i].clone());
    let g_w = group.len().max(15);
    let t_w = topic.len().max(15);
    let c_w = rows.iter().map(|r| member(r, 0).len()).max().unwrap_or(0).max(15);
    let h_w = rows.iter().map(|r| member(r, 1).len()).max().unwrap_or(0).max(15);
    let line = |cells: [String; 9]| {
        format!(
            "\n{:<g_w$} {:<t_w$} {:<10} {:<15} {:<15} {:<15} {:<c_w$} {:<h_w$} {}",
            cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7], cells[8]
        )
    };
    let head =
        ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"];
    let mut out = line(head.map(String::from));
    for r in rows {
        out += &line([
            group.to_string(),
            topic.to_string(),
            r.partition.to_string(),
            opt(r.current),
            opt(r.log_end),
            opt(r.lag),
            member(r, 0),
            member(r, 1),
            member(r, 2),
        ]);
    }
    out + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::leader;
    use brokerlab_engine::kafka::partition::Role;
    use brokerlab_engine::{presets, Simulation, Time};

    fn run(preset: &str, until: Time) -> Simulation {
        let mut sim = Simulation::new(&presets::load(preset).unwrap(), 1).unwrap();
        sim.run_until(until);
        sim
    }

    /// The real tool's lines, and Leader / Replicas / Isr as the partition's leader has them.
    #[test]
    fn topics_describe_prints_each_partition_as_its_leader_has_it() {
        let sim = run("kafka-basic", Time::secs(2));
        let w = sim.world();
        let b1 = w.node_by_name("b1").unwrap();
        let text = topics_describe(w, b1, None).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("$ kafka-topics.sh --bootstrap-server b1:9092 --describe --exclude-internal"));
        let c = w.shared.kafka.as_ref().unwrap();
        let t = &c.topics[0];
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "Topic: {}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}",
                t.name,
                t.partitions,
                t.replication_factor,
                non_default_configs(t)
            )
        );
        for p in 0..t.partitions {
            let tp = Tp { topic: 0, partition: p };
            let (id, r) = leader(w, tp).unwrap();
            let Role::Leader(l) = &r.role else { unreachable!() };
            assert_eq!(
                lines.next().unwrap(),
                format!(
                    "\tTopic: {}\tPartition: {p}\tLeader: {id}\tReplicas: {}\tIsr: {}\tElr: N/A\tLastKnownElr: N/A",
                    t.name,
                    ids(&r.assignment),
                    ids(&l.isr)
                )
            );
        }
        assert!(!text.contains("__consumer_offsets"), "--exclude-internal");
    }

    /// kafka-basic stops b1 at 3 s: the others' metadata shows new leaders and b1 out of every
    /// ISR; asked of b1 itself, the tool times out.
    #[test]
    fn a_stopped_broker_leaves_the_isr_and_cannot_be_asked() {
        let sim = run("kafka-basic", Time::secs(8));
        let w = sim.world();
        let b2 = w.node_by_name("b2").unwrap();
        let text = topics_describe(w, b2, Some(0)).unwrap();
        let parts: Vec<&str> = text.lines().filter(|l| l.starts_with("\tTopic:")).collect();
        assert!(!parts.is_empty());
        for l in parts {
            let isr = l.split('\t').find_map(|f| f.strip_prefix("Isr: ")).unwrap();
            assert!(!isr.split(',').any(|b| b == "1"), "b1 is out of the ISR: {l}");
            assert!(!l.contains("Leader: 1\t"), "{l}");
        }
        let b1 = w.node_by_name("b1").unwrap();
        assert!(topics_describe(w, b1, None)
            .unwrap()
            .contains("Timed out waiting for a node assignment. Call: listTopics"));
    }

    #[test]
    fn configs_are_the_non_default_ones_by_name() {
        let sim = run("kafka-groups", Time::ZERO);
        let t = &sim.world().shared.kafka.as_ref().unwrap().topics[0];
        // min.insync.replicas 2, retention 10min, segment.ms 1min in the preset.
        assert_eq!(non_default_configs(t), "min.insync.replicas=2,retention.ms=600000,segment.ms=60000");
    }

    /// A stable group: one row per partition, each owned by a member; LAG = LOG-END-OFFSET (the
    /// leader's HW) − CURRENT-OFFSET (the committed offset).
    #[test]
    fn a_stable_groups_rows_have_lag_from_the_leaders_hw_and_the_commit() {
        let sim = run("kafka-groups", Time::secs(10));
        let w = sim.world();
        let d = group_describe(w, 0).unwrap();
        assert_eq!(d.state, Some(GroupState::Stable), "{}", d.text);
        let parts = w.shared.kafka.as_ref().unwrap().topics[0].partitions;
        assert_eq!(d.rows.len(), parts as usize);
        for r in &d.rows {
            let hw = leader(w, Tp { topic: 0, partition: r.partition }).unwrap().1.log.hw();
            assert_eq!(r.log_end, Some(hw));
            assert_eq!(r.lag, r.current.map(|c| hw - c));
            assert!(r.member.is_some(), "{r:?}");
        }
        let lines: Vec<&str> = d.text.lines().collect();
        assert_eq!(lines[1], "", "the tool starts its table with a newline");
        assert_eq!(
            lines[2],
            "GROUP                TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID"
        );
        assert!(lines[3].starts_with("notification-service orders          "), "{}", lines[3]);
        assert!(!d.text.contains("no active members"));
    }

    /// Every member stopped or gone: the coordinator's group is Empty, and the tool says so above
    /// the committed rows, with `-` for the member columns.
    #[test]
    fn an_empty_group_has_no_active_members() {
        let mut s = presets::load("kafka-groups").unwrap();
        s.faults.clear();
        let mut sim = Simulation::new(&s, 1).unwrap();
        sim.run_until(Time::secs(10));
        for n in ["n1", "n2", "n3"] {
            let node = sim.world().node_by_name(n).unwrap();
            sim.apply(brokerlab_engine::Command::Leave { node }).unwrap();
        }
        sim.run_until(Time::secs(13));
        let d = group_describe(sim.world(), 0).unwrap();
        assert_eq!(d.state, Some(GroupState::Empty), "{}", d.text);
        assert!(
            d.text.contains("\nConsumer group 'notification-service' has no active members.\n\nGROUP"),
            "{}",
            d.text
        );
        assert!(!d.rows.is_empty() && d.rows.iter().all(|r| r.member.is_none() && r.current.is_some()));
        let row = d.text.lines().last().unwrap();
        assert!(row.ends_with(" -               -               -"), "{row:?}");
    }

    /// While the group rebalances the classic coordinator hands out no assignments: the tool
    /// warns and shows only the committed rows, with `-` for the member columns.
    #[test]
    fn a_rebalancing_group_shows_only_its_commits() {
        let mut sim = Simulation::new(&presets::load("kafka-groups").unwrap(), 1).unwrap();
        // n2 stops at 12 s; its session (10 s) runs out about 22 s in and the group rebalances.
        sim.run_until(Time::secs(20));
        let d = loop {
            assert!(sim.step() && sim.now() < Time::secs(30), "no rebalance after n2's session ran out");
            let d = group_describe(sim.world(), 0).unwrap();
            if matches!(d.state, Some(GroupState::PreparingRebalance | GroupState::CompletingRebalance)) {
                break d;
            }
        };
        assert!(
            d.text.contains("\nWarning: Consumer group 'notification-service' is rebalancing.\n\nGROUP"),
            "{}",
            d.text
        );
        assert!(!d.rows.is_empty() && d.rows.iter().all(|r| r.member.is_none() && r.current.is_some()), "{d:?}");
    }

    /// Every broker stopped: the tool's first call times out.
    #[test]
    fn no_broker_no_description() {
        let mut sim = run("kafka-groups", Time::secs(10));
        for b in ["b1", "b2", "b3"] {
            let node = sim.world().node_by_name(b).unwrap();
            sim.apply(brokerlab_engine::Command::Stop { node }).unwrap();
        }
        sim.run_until(Time::secs(11));
        let d = group_describe(sim.world(), 0).unwrap();
        assert_eq!(d.state, None);
        assert!(
            d.text.contains("failed due to org.apache.kafka.common.errors.TimeoutException: Call(callName=metadata"),
            "{}",
            d.text
        );
    }
}
