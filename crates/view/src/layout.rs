//! Node positions on a fixed stage (`STAGE_W` × `STAGE_H`, scaled by CSS): one column per role,
//! producers on the left, brokers in the middle, consumers on the right, so messages flow left to
//! right and acknowledgements back. A coordinator sits at the top of the middle column; Kafka
//! brokers zigzag down it so that the replication links between them do not overlap.
//! Also: which links to draw (`links`).

use brokerlab_engine::kernel::Process;
use brokerlab_engine::World;

pub const STAGE_W: f64 = 1000.0;
pub const STAGE_H: f64 = 520.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    /// The point a fraction `t` (0..=1) of the way from `self` to `other`.
    pub fn lerp(self, other: Point, t: f64) -> Point {
        let t = t.clamp(0.0, 1.0);
        Point { x: self.x + (other.x - self.x) * t, y: self.y + (other.y - self.y) * t }
    }
}

fn column(role: &str) -> usize {
    match role {
        "producer" | "publisher" | "script" => 0,
        "consumer" => 2,
        _ => 1,
    }
}

/// One position per node, in node order.
pub fn layout(world: &World) -> Vec<Point> {
    let roles: Vec<usize> = world.nodes.iter().map(|s| column(s.node.role())).collect();
    let xs = [STAGE_W * 0.14, STAGE_W * 0.5, STAGE_W * 0.86];
    let mut counts = [0usize; 3];
    roles.iter().for_each(|&c| counts[c] += 1);
    let mut seen = [0usize; 3];
    let brokers = world.nodes.iter().filter(|s| s.node.role() == "broker").count();
    let mut broker_index = 0;
    // A ZooKeeper ensemble's servers (or KRaft's controllers) share the top row of the middle
    // column, side by side.
    let metadata = |role: &str| role == "zookeeper" || role == "kraft-controller";
    let zks = world.nodes.iter().filter(|s| metadata(s.node.role())).count();
    counts[1] -= zks.saturating_sub(1);
    let mut zk_index = 0;
    roles
        .iter()
        .zip(&world.nodes)
        .map(|(&c, slot)| {
            let ensemble = zks > 1 && metadata(slot.node.role());
            if !ensemble || zk_index == 0 {
                seen[c] += 1;
            }
            let i = seen[c] - 1;
            // Spread evenly with equal margins above, between and below.
            let y = STAGE_H * (i as f64 + 1.0) / (counts[c] as f64 + 1.0);
            let mut x = xs[c];
            if ensemble {
                // KRaft's controllers carry two lines of labels (part, log): a little wider apart.
                let gap = if slot.node.role() == "kraft-controller" { 0.13 } else { 0.11 };
                x += (zk_index as f64 - (zks - 1) as f64 / 2.0) * gap * STAGE_W;
                zk_index += 1;
            }
            if slot.node.role() == "broker" && brokers > 2 {
                x += if broker_index % 2 == 0 { -0.07 } else { 0.07 } * STAGE_W;
                broker_index += 1;
            }
            Point { x, y }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::links;
    use brokerlab_engine::{presets, Simulation};

    #[test]
    fn roles_get_columns_and_nodes_do_not_overlap() {
        let s = presets::load("lossy-network").unwrap();
        let sim = Simulation::new(&s, 1).unwrap();
        let pos = layout(sim.world());
        assert_eq!(pos.len(), s.nodes.len());
        for (i, a) in pos.iter().enumerate() {
            assert!(a.x > 0.0 && a.x < STAGE_W && a.y > 0.0 && a.y < STAGE_H);
            for b in &pos[i + 1..] {
                assert!((a.x - b.x).abs() + (a.y - b.y).abs() > 40.0, "{a:?} overlaps {b:?}");
            }
        }
        let world = sim.world();
        let p1 = world.node_by_name("p1").unwrap().index();
        let b1 = world.node_by_name("b1").unwrap().index();
        let c1 = world.node_by_name("c1").unwrap().index();
        assert!(pos[p1].x < pos[b1].x && pos[b1].x < pos[c1].x);
    }

    #[test]
    fn kafka_links_and_zigzag() {
        let s = presets::load("kafka-basic").unwrap();
        let sim = Simulation::new(&s, 1).unwrap();
        let world = sim.world();
        // 3 producer/consumer links each to 3 brokers... 1 producer + 1 consumer: 6; brokers: 3 pairs
        // + 3 coordinator sessions.
        assert_eq!(links(world).len(), 12);
        let pos = layout(world);
        let b = |n: &str| pos[world.node_by_name(n).unwrap().index()];
        assert!(b("b1").x < b("b2").x && b("b3").x < b("b2").x, "brokers zigzag");
        assert!(b("zk").y < b("b1").y, "the coordinator is on top");
    }

    #[test]
    fn an_ensemble_sits_in_a_row_on_top_and_its_servers_are_linked() {
        let s = presets::load("kafka-zk-ensemble").unwrap();
        let sim = Simulation::new(&s, 1).unwrap();
        let world = sim.world();
        let pos = layout(world);
        let at = |n: &str| pos[world.node_by_name(n).unwrap().index()];
        assert!(at("zk1").y == at("zk3").y && at("zk1").x < at("zk2").x && at("zk2").x < at("zk3").x);
        assert!(at("zk2").y < at("b1").y && (at("zk1").x - at("zk3").x).abs() > 80.0);
        let zk = |n: &str| world.node_by_name(n).unwrap();
        assert!(links(world).contains(&(zk("zk1"), zk("zk3"))));
    }

    #[test]
    fn lerp_clamps() {
        let (a, b) = (Point { x: 0.0, y: 0.0 }, Point { x: 10.0, y: 20.0 });
        assert_eq!(a.lerp(b, 0.5), Point { x: 5.0, y: 10.0 });
        assert_eq!(a.lerp(b, 2.0), b);
        assert_eq!(a.lerp(b, -1.0), a);
    }
}
