//! A stream (`x-queue-type: stream`) as its log, for the selected queue's panel and inspector (as
//! `partition_log` shows a Kafka partition): the newest `WINDOW` offsets, each message a cell in
//! its segment, the first offset retention left and the next one a publish gets, and each
//! consumer's reader on the same axis — the next offset it is sent and the offsets it holds
//! unacknowledged. What a learner should see live: the log only growing, readers moving along it at
//! their own pace, the first offset jumping a whole segment at a time when retention runs.

use super::broker;
use super::strip::StripCell;
use crate::partition_log::WINDOW;
use brokerlab_engine::rabbit::stream::StreamArgs;
use brokerlab_engine::{NodeId, World};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamCell {
    pub offset: u64,
    /// Its segment, counted from the log's first (for alternating shades).
    pub segment: usize,
    /// The message; `held` while a consumer has it unacknowledged.
    pub msg: StripCell,
}

/// A consumer reading the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamReader {
    pub node: NodeId,
    pub name: String,
    /// The next offset it will be sent.
    pub next: u64,
    /// Offsets it holds unacknowledged, oldest first.
    pub held: Vec<u64>,
    /// Its prefetch: how many it may hold (its credit).
    pub prefetch: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamLogView {
    pub queue: u16,
    pub name: String,
    pub first: u64,
    pub last: Option<u64>,
    pub next: u64,
    pub messages: u64,
    /// Each segment held: `(first offset, bytes)`, oldest first.
    pub segments: Vec<(u64, u64)>,
    pub args: StreamArgs,
    /// The window: offsets `from..to`.
    pub from: u64,
    pub to: u64,
    pub cells: Vec<StreamCell>,
    pub readers: Vec<StreamReader>,
}

/// Stream `queue` of the world's broker as a log; None if it is not a stream (or not declared).
pub fn stream_log(world: &World, queue: u16) -> Option<StreamLogView> {
    let (_, b) = broker(world)?;
    let q = b.queue(queue)?;
    let log = q.stream.as_ref()?;
    let segments: Vec<(u64, u64)> = log.segments().map(|s| (s.first, s.bytes)).collect();
    let held: Vec<(NodeId, u64, u64)> =
        b.deliveries().filter(|d| d.2 == queue).map(|(node, tag, _, e)| (node, tag, e.pos)).collect();
    let to = log.next_offset();
    let from = to.saturating_sub(WINDOW).max(log.first_offset());
    let cells = (from..to)
        .filter_map(|offset| {
            let r = log.get(offset)?;
            let holder = held.iter().find(|h| h.2 == offset).map(|h| (h.0, h.1));
            let msg = StripCell {
                pos: offset,
                publisher: r.msg.publisher,
                seq: r.msg.seq,
                routing_key: r.msg.routing_key.clone(),
                redelivered: false,
                deaths: 0,
                held: holder,
            };
            Some(StreamCell { offset, segment: segments.iter().rposition(|s| s.0 <= offset).unwrap_or(0), msg })
        })
        .collect();
    let mut readers: Vec<StreamReader> = log
        .readers
        .iter()
        .map(|r| {
            let prefetch = q.consumers.iter().find(|c| c.node == r.node && c.tag == r.tag).map_or(0, |c| c.prefetch);
            StreamReader {
                node: r.node,
                name: world.node_name(r.node).to_string(),
                next: r.next.max(log.first_offset()),
                held: held.iter().filter(|h| h.0 == r.node).map(|h| h.2).collect(),
                prefetch,
            }
        })
        .collect();
    // In the order of the scenario's consumers, whoever attached first.
    brokerlab_engine::sort::sort_by_key(&mut readers, |r| r.node);
    Some(StreamLogView {
        queue,
        name: b.names.queue(queue),
        first: log.first_offset(),
        last: log.last_offset(),
        next: log.next_offset(),
        messages: log.len() as u64,
        segments,
        args: log.args,
        from,
        to,
        cells,
        readers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{presets, Simulation, Time};

    /// The view is the broker's log: its offsets, each reader's position and what it holds.
    #[test]
    fn the_view_is_the_log_with_each_readers_position() {
        let mut sim = Simulation::new(&presets::load("rabbit-stream").unwrap(), 1).unwrap();
        sim.run_until(Time::secs(2));
        let w = sim.world();
        let (_, b) = broker(w).unwrap();
        let q = b.names.queue_id("events").unwrap();
        let v = stream_log(w, q).unwrap();
        let log = b.queue(q).unwrap().stream.as_ref().unwrap();
        assert_eq!((v.first, v.last, v.next), (log.first_offset(), log.last_offset(), log.next_offset()));
        assert!(v.first > 0, "retention has run by 2 s");
        assert_eq!(v.to - v.from, WINDOW.min(v.next - v.first));
        assert!(v.cells.iter().all(|c| c.msg.seq == c.offset), "one publisher: offset = publish number");
        assert!(v.cells.windows(2).all(|p| p[1].segment >= p[0].segment));
        let names: Vec<&str> = v.readers.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["replay", "live", "audit"]);
        for r in &v.readers {
            assert!(r.held.len() <= r.prefetch as usize && r.next <= v.next, "{r:?}");
            assert!(r.held.iter().all(|o| *o < r.next));
        }
        let held = v.cells.iter().filter(|c| c.msg.held.is_some()).count();
        let in_window = v.readers.iter().flat_map(|r| &r.held).filter(|o| **o >= v.from).count();
        assert_eq!(held, in_window);
        assert!(stream_log(w, 99).is_none());
    }
}
