//! A RabbitMQ cluster as the page shows it: each node's part in its quorum queues' Raft groups
//! (leader, follower, pre-vote, candidate) with the term, the log's last index and the commit
//! index, for the stage and the inspectors; and which node's broker the RabbitMQ panel shows (the
//! one serving the quorum queues).

use crate::i18n::{t, tf};
use crate::plugin::{Block, Cell, Row};
use brokerlab_engine::models::Node;
use brokerlab_engine::rabbit::cluster::{ClusterNode, Group};
use brokerlab_engine::rabbit::node::{names, BrokerNode, RabbitNode};
use brokerlab_engine::rabbit::quorum::raft::Role;
use brokerlab_engine::{NodeId, World};

/// A live cluster node, if `id` is one.
pub fn node(world: &World, id: NodeId) -> Option<&ClusterNode> {
    match &world.nodes.get(id.index())?.node {
        Node::Rabbit(RabbitNode::Broker(b)) if world.network.is_up(id) => b.cluster.as_deref(),
        _ => None,
    }
}

/// The broker the RabbitMQ panel shows: a single broker; in a cluster, the live node serving the
/// most quorum queues (their leader), else the first live node, else the first.
pub fn panel_broker(world: &World) -> Option<(NodeId, &BrokerNode)> {
    let brokers = || {
        world.nodes.iter().enumerate().filter_map(|(i, s)| match &s.node {
            Node::Rabbit(RabbitNode::Broker(b)) => Some((NodeId(i as u32), &**b)),
            _ => None,
        })
    };
    let serving = |b: &BrokerNode| b.cluster.as_ref().map_or(0, |c| c.groups.iter().filter(|g| g.serving).count());
    let live = brokers().filter(|(id, _)| world.network.is_up(*id));
    let best = live.fold(None, |best: Option<(NodeId, &BrokerNode)>, (id, b)| match best {
        Some((_, bb)) if serving(bb) >= serving(b) => best,
        _ => Some((id, b)),
    });
    best.or_else(|| brokers().next())
}

/// A node's part in its first quorum queue's group, as the stage labels it: "orders: leader".
pub fn stage_label(world: &World, id: NodeId) -> Option<(String, Role)> {
    let c = node(world, id)?;
    let g = c.groups.first()?;
    let q = names(world).map_or("?".to_string(), |n| n.queue(g.queue));
    Some((format!("{q}: {}", role_text(g.raft.role)), g.raft.role))
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::Leader => t("leader"),
        Role::Follower => t("follower"),
        Role::PreVote => t("pre-vote"),
        Role::Candidate => t("candidate"),
    }
}

/// The first quorum queue's log under a node on the stage: "term 2 · log 512 · commit 510".
pub fn log_label(world: &World, id: NodeId) -> Option<String> {
    let g = node(world, id)?.groups.first()?;
    Some(tf("term {0} · log {1} · commit {2}", &[&g.raft.term, &g.raft.last_index(), &g.raft.commit]))
}

/// A quorum queue's Raft group for its inspector: the leader and its term, each member's part, and
/// the leader's log and commit index. Empty outside a cluster.
pub fn queue_rows(world: &World, queue: u16) -> Vec<(&'static str, String)> {
    let members: Vec<(NodeId, Option<&Group>)> = world
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match &s.node {
            Node::Rabbit(RabbitNode::Broker(b)) => {
                let g = b.cluster.as_ref()?.groups.iter().find(|g| g.queue == queue);
                Some((NodeId(i as u32), g.filter(|_| world.network.is_up(NodeId(i as u32)))))
            }
            _ => None,
        })
        .collect();
    if members.iter().all(|m| m.1.is_none()) {
        return vec![];
    }
    let parts: Vec<String> = members
        .iter()
        .map(|(n, g)| {
            let part = g.map_or(t("down"), |g| role_text(g.raft.role));
            format!("{} {part}", world.node_name(*n))
        })
        .collect();
    let leader = members
        .iter()
        .filter_map(|(n, g)| g.filter(|g| g.raft.role == Role::Leader).map(|g| (*n, g)))
        .max_by_key(|(_, g)| g.raft.term);
    let mut rows = vec![(t("members"), parts.join(" · "))];
    match leader {
        Some((n, g)) => {
            rows.push((t("leader"), tf("{0}, term {1}", &[&world.node_name(n), &g.raft.term])));
            rows.push((
                t("commit index"),
                tf("{0} of {1} in the leader's log", &[&g.raft.commit, &g.raft.last_index()]),
            ));
        }
        None => rows.push((t("leader"), t("none: an election is on").to_string())),
    }
    rows
}

/// A cluster node's inspector: a row per quorum queue (its part, term, leader, log and commit
/// index), then which nodes it believes down.
pub fn inspect(world: &World, b: &BrokerNode) -> Vec<Block> {
    let Some(c) = &b.cluster else { return vec![] };
    let q = |queue: u16| names(world).map_or("?".to_string(), |n| n.queue(queue));
    let rows = c
        .groups
        .iter()
        .map(|g| {
            let leader =
                g.raft.leader.map_or_else(|| t("none known").to_string(), |l| world.node_name(c.nodes[l]).to_string());
            Row {
                class: (g.raft.role == Role::Leader).then_some("leader"),
                cells: vec![
                    Cell::new(q(g.queue)),
                    Cell::new(role_text(g.raft.role)),
                    Cell::new(g.raft.term.to_string()),
                    Cell::new(leader),
                    Cell::new(g.raft.last_index().to_string()),
                    Cell::new(g.raft.commit.to_string()),
                ],
            }
        })
        .collect();
    let head = [t("quorum queue"), t("part"), t("term"), t("leader"), t("log"), t("commit")];
    let mut blocks =
        vec![Block::Table { id: "quorum-members", head: head.iter().map(|h| Cell::new(*h)).collect(), rows }];
    let down: Vec<&str> =
        c.nodes.iter().zip(&c.suspected).filter(|(_, s)| **s).map(|(n, _)| world.node_name(*n)).collect();
    let text = match down.is_empty() {
        true => t("Its failure detector sees every other node up.").to_string(),
        false => tf("Its failure detector sees down: {0}.", &[&down.join(", ")]),
    };
    blocks.push(Block::Text { id: Some("cluster-view"), text });
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{presets, Simulation, Time};

    #[test]
    fn the_leader_moves_off_the_killed_node_and_the_panel_follows_it() {
        let s = presets::load("rabbit-quorum").unwrap();
        let mut sim = Simulation::new(&s, s.seed).unwrap();
        sim.run_until(Time::secs(2));
        let w = sim.world();
        let n1 = w.node_by_name("rabbit-1").unwrap();
        assert_eq!(stage_label(w, n1).map(|l| l.1), Some(Role::Leader));
        assert_eq!(panel_broker(w).map(|b| b.0), Some(n1));
        assert!(log_label(w, n1).unwrap().starts_with("term 1 · log "));
        sim.run_until(Time::secs(5));
        let w = sim.world();
        assert!(stage_label(w, n1).is_none(), "rabbit-1 is stopped");
        let (leader, _) = panel_broker(w).unwrap();
        assert_ne!(leader, n1);
        assert_eq!(stage_label(w, leader).map(|l| l.1), Some(Role::Leader));
        let Node::Rabbit(RabbitNode::Broker(b)) = &w.nodes[leader.index()].node else { panic!() };
        let rows = queue_rows(w, 0);
        assert!(rows[0].1.contains("rabbit-1 down"), "{rows:?}");
        assert!(rows[1].1.ends_with(", term 2"), "{rows:?}");
        let blocks = inspect(w, b);
        let Block::Table { rows, .. } = &blocks[0] else { panic!() };
        assert_eq!(rows[0].cells[2].text, "2", "term 2");
        assert!(matches!(&blocks[1], Block::Text { text, .. } if text.contains("rabbit-1")));
    }
}
