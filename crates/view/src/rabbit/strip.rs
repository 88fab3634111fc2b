//! One classic queue as its sequence of messages, for the queue strip (as `partition_log` shows
//! a Kafka partition): on the left the messages delivered and not yet settled — out of the queue,
//! held by a consumer under a delivery tag, in the order they were enqueued — then the head (the
//! next message the queue hands out) and the ready messages behind it in the order the queue will
//! deliver them (a priority queue's highest level first). Each message carries its redelivered
//! flag and its dead-letter count. What a learner should see live: the head moving on as
//! deliveries leave, a consumer's prefetch window as its held cells, a requeued message going back
//! to its old place in front of the later ones, flagged redelivered.

use super::broker;
use brokerlab_engine::rabbit::queue::Entry;
use brokerlab_engine::{NodeId, World};
use std::rc::Rc;

/// Cells drawn at most on each side of the head; the rest are counted.
pub const STRIP_CAP: usize = 24;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripCell {
    /// Its place in the queue (enqueue order; a requeue puts it back there).
    pub pos: u64,
    pub publisher: NodeId,
    pub seq: u64,
    pub routing_key: Rc<str>,
    pub redelivered: bool,
    /// How many times it was dead-lettered before reaching this queue (its x-death counts).
    pub deaths: u32,
    /// The consumer holding it and the delivery tag, while unacknowledged.
    pub held: Option<(NodeId, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueStrip {
    pub queue: u16,
    pub name: String,
    /// Whether the queue is declared now (a transient queue is gone after a restart).
    pub exists: bool,
    /// Delivered, unacknowledged: the oldest first (by queue position).
    pub unacked: Vec<StripCell>,
    /// Ready, from the head, in delivery order.
    pub ready: Vec<StripCell>,
    pub unacked_total: u32,
    pub ready_total: u32,
}

fn cell(e: &Entry, held: Option<(NodeId, u64)>) -> StripCell {
    StripCell {
        pos: e.pos,
        publisher: e.msg.publisher,
        seq: e.msg.seq,
        routing_key: e.msg.routing_key.clone(),
        redelivered: e.redelivered,
        deaths: e.msg.deaths.as_deref().map_or(0, |d| d.iter().map(|d| d.count).sum()),
        held,
    }
}

pub fn queue_strip(world: &World, queue: u16) -> Option<QueueStrip> {
    let (_, b) = broker(world)?;
    let name = b.names.queues.get(queue as usize)?.to_string();
    let q = b.queue(queue);
    let mut unacked: Vec<StripCell> =
        b.deliveries().filter(|d| d.2 == queue).map(|(node, tag, _, e)| cell(e, Some((node, tag)))).collect();
    let unacked_total = unacked.len() as u32;
    brokerlab_engine::sort::sort_by_key(&mut unacked, |c| c.pos);
    // The newest deliveries are nearest the head.
    let cut = unacked.len().saturating_sub(STRIP_CAP);
    unacked.drain(..cut);
    let ready = q.map_or(vec![], |q| q.entries().take(STRIP_CAP).map(|e| cell(e, None)).collect());
    Some(QueueStrip {
        queue,
        name,
        exists: q.is_some(),
        unacked,
        ready,
        unacked_total,
        ready_total: q.map_or(0, |q| q.ready()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{Simulation, Time};

    /// rabbit-basic with a slow biller (100 ms a message, so its prefetch window of 5 stays
    /// full and billing grows) and without the preset's broker restart at 300 ms.
    fn slow_biller() -> brokerlab_engine::Scenario {
        let json = include_str!("../../../../scenarios/rabbit-basic.json")
            .replace("\"prefetch\": 5, \"processing\": \"2ms\"", "\"prefetch\": 5, \"processing\": \"100ms\"");
        let mut s = brokerlab_engine::Scenario::from_json(&json).unwrap();
        assert!(json.contains("100ms"), "the preset still has the biller's settings");
        s.faults.clear();
        s
    }

    fn at(until: Time) -> Simulation {
        let mut sim = Simulation::new(&slow_biller(), 1).unwrap();
        sim.run_until(until);
        sim
    }

    /// The strip is the queue: its counts are the broker's, the ready cells are the queue's
    /// entries from the head, and every held cell is a delivery of this queue on its consumer's
    /// channel.
    #[test]
    fn the_strip_is_the_queues_ready_sequence_and_its_consumers_unacked_deliveries() {
        let sim = at(Time::ms(250));
        let w = sim.world();
        let (_, b) = broker(w).unwrap();
        for q in 0..b.names.queues.len() as u16 {
            let s = queue_strip(w, q).unwrap();
            let queue = b.queue(q).unwrap();
            assert_eq!(s.ready_total, queue.ready());
            let held = b.deliveries().filter(|d| d.2 == q).count() as u32;
            assert_eq!(s.unacked_total, held);
            let head: Vec<u64> = queue.entries().take(STRIP_CAP).map(|e| e.pos).collect();
            assert_eq!(s.ready.iter().map(|c| c.pos).collect::<Vec<_>>(), head);
            assert!(s.ready.iter().all(|c| c.held.is_none()));
            for c in &s.unacked {
                let (node, tag) = c.held.unwrap();
                assert!(b.deliveries().any(|d| d.0 == node && d.1 == tag && d.2 == q));
            }
            assert!(s.unacked.windows(2).all(|p| p[0].pos < p[1].pos));
        }
        // billing's consumer has a prefetch of 5 and is busy: its window is full of held cells.
        let billing = queue_strip(w, b.names.queue_id("billing").unwrap()).unwrap();
        let biller = w.node_by_name("biller").unwrap();
        assert!(billing.unacked.iter().all(|c| c.held.unwrap().0 == biller));
        assert_eq!(billing.unacked_total, 5, "{billing:?}");
        assert!(billing.ready_total > 5, "{billing:?}");
    }

    /// A consumer killed while it holds deliveries: they go back into the queue at their old
    /// places, flagged redelivered, and the strip's head is the oldest of them.
    #[test]
    fn a_killed_consumers_messages_return_to_the_head_redelivered() {
        // Nobody else consumes billing: stop the biller and its messages stay ready.
        let mut sim = Simulation::new(&slow_biller(), 1).unwrap();
        sim.run_until(Time::ms(250));
        let q = broker(sim.world()).unwrap().1.names.queue_id("billing").unwrap();
        let before = queue_strip(sim.world(), q).unwrap();
        assert!(!before.unacked.is_empty());
        let held: Vec<u64> = before.unacked.iter().map(|c| c.pos).collect();
        let biller = sim.world().node_by_name("biller").unwrap();
        sim.apply(brokerlab_engine::Command::Stop { node: biller }).unwrap();
        sim.run_until(Time::ms(260));
        let after = queue_strip(sim.world(), q).unwrap();
        assert_eq!(after.unacked_total, 0);
        let head: Vec<u64> = after.ready.iter().take(held.len()).map(|c| c.pos).collect();
        assert_eq!(head, held, "requeued at their original places, in front of the later ones");
        assert!(after.ready.iter().take(held.len()).all(|c| c.redelivered));
        assert!(!after.ready[held.len()].redelivered);
    }
}
