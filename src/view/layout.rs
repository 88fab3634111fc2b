//! Node positions on a fixed stage (`STAGE_W` × `STAGE_H`, scaled by CSS): one column per role,
//! producers on the left, brokers in the middle, consumers on the right, so messages flow left to
//! right and acknowledgements back.

use crate::engine::World;

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
        "producer" => 0,
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
    roles
        .iter()
        .map(|&c| {
            let i = seen[c];
            seen[c] += 1;
            // Spread evenly with equal margins above, between and below.
            let y = STAGE_H * (i as f64 + 1.0) / (counts[c] as f64 + 1.0);
            Point { x: xs[c], y }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{presets, Simulation};

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
    fn lerp_clamps() {
        let (a, b) = (Point { x: 0.0, y: 0.0 }, Point { x: 10.0, y: 20.0 });
        assert_eq!(a.lerp(b, 0.5), Point { x: 5.0, y: 10.0 });
        assert_eq!(a.lerp(b, 2.0), b);
        assert_eq!(a.lerp(b, -1.0), a);
    }
}
