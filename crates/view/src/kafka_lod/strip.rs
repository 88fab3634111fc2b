//! Every partition of the user topics in one strip, topic by topic, coloured by its state; the
//! partitions whose leader was just elected are marked. Drawn as runs of equal state (a healthy
//! topic is one rectangle per row, so the page's SVG stays small at 1 000 partitions), with the
//! geometry and the hit test here so that a click lands on the partition drawn under it.

use super::{state_of, Lead, PartState, Rates};
use brokerlab_engine::kafka::msg::Tp;
use brokerlab_engine::kafka::partition::BrokerId;
use brokerlab_engine::{Time, World};

/// The strip's drawing width (its SVG viewBox).
pub const WIDTH: f64 = 1000.0;
/// A topic's name row above its cells.
pub const LABEL_H: f64 = 18.0;
/// Space below a topic's cells.
pub const GAP: f64 = 8.0;
/// A partition is marked "leader just moved" this long after its election (simulated time).
pub const MOVED_FOR: Time = Time::secs(3);

/// A topic's place in the strip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripTopic {
    pub topic: u16,
    pub name: String,
    /// Its first partition's strip index.
    pub first: usize,
    pub partitions: usize,
    pub min_isr: u32,
}

/// A run of cells of one state on one row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub state: PartState,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Strip {
    pub topics: Vec<StripTopic>,
    /// By strip index (topic order, then partition).
    pub states: Vec<PartState>,
    /// The leader of each partition (none: offline).
    pub leaders: Vec<Option<BrokerId>>,
    /// Strip indices whose leader was elected within `MOVED_FOR` (not the first election).
    pub moved: Vec<usize>,
    /// Partitions per state, in `PartState::ALL` order.
    pub counts: [usize; 4],
    /// Cells per row and their size.
    pub cols: usize,
    pub cell_w: f64,
    pub cell_h: f64,
    /// Each topic's first strip index and partition count (`None`: `__consumer_offsets`).
    base: Vec<Option<(usize, usize)>>,
}

impl Strip {
    /// The strip's shape for `world`'s user topics, every partition offline until `fill`.
    pub fn new(world: &World) -> Strip {
        let mut topics = Vec::new();
        let mut base = Vec::new();
        let mut n = 0;
        if let Some(c) = &world.shared.kafka {
            for (i, topic) in c.topics.iter().enumerate() {
                if Some(i as u16) == c.offsets_topic {
                    base.push(None);
                    continue;
                }
                base.push(Some((n, topic.partitions as usize)));
                topics.push(StripTopic {
                    topic: i as u16,
                    name: topic.name.clone(),
                    first: n,
                    partitions: topic.partitions as usize,
                    min_isr: topic.min_insync_replicas,
                });
                n += topic.partitions as usize;
            }
        }
        // Cells as large as the count allows: 25 a row for a few partitions, 100 for hundreds.
        let cols = match n {
            0..=50 => 25,
            51..=200 => 50,
            _ => 100,
        };
        let cell_w = WIDTH / cols as f64;
        Strip {
            topics,
            states: vec![PartState::Offline; n],
            leaders: vec![None; n],
            moved: Vec::new(),
            counts: [0, 0, 0, n],
            cols,
            cell_w,
            cell_h: cell_w.min(14.0),
            base,
        }
    }

    /// Sets each partition's state from its leader's `(broker, epoch, ISR, assignment size)`, and
    /// marks the leaders `rates` saw elected lately.
    pub(super) fn fill(&mut self, world: &World, leaders: &[Option<Lead>], rates: Option<&Rates>) {
        self.counts = [0; 4];
        for t in &self.topics {
            let range = t.first..t.first + t.partitions;
            for (k, lead) in range.clone().zip(&leaders[range]) {
                let s = state_of(lead.map(|l| (l.isr.len(), l.assigned)), t.min_isr);
                self.states[k] = s;
                self.leaders[k] = lead.map(|l| l.broker);
                self.counts[s as usize] += 1;
            }
        }
        self.moved = rates.map_or(vec![], |r| r.moved_since(world.now.0.saturating_sub(MOVED_FOR.0)));
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The strip index of a user partition (`None`: `__consumer_offsets`, or no such partition).
    pub fn index(&self, tp: Tp) -> Option<usize> {
        let (first, partitions) = (*self.base.get(tp.topic as usize)?)?;
        ((tp.partition as usize) < partitions).then_some(first + tp.partition as usize)
    }

    /// The partition at strip index `k`.
    pub fn tp(&self, k: usize) -> Option<Tp> {
        let t = self.topics.iter().rev().find(|t| t.first <= k)?;
        (k < t.first + t.partitions).then_some(Tp { topic: t.topic, partition: (k - t.first) as u16 })
    }

    fn rows(partitions: usize, cols: usize) -> usize {
        partitions.div_ceil(cols)
    }

    /// Where topic `i`'s label row starts.
    pub fn topic_y(&self, i: usize) -> f64 {
        self.topics[..i].iter().map(|t| LABEL_H + Self::rows(t.partitions, self.cols) as f64 * self.cell_h + GAP).sum()
    }

    /// The strip's drawing height.
    pub fn height(&self) -> f64 {
        self.topic_y(self.topics.len())
    }

    /// Cell `k`'s top-left corner.
    pub fn cell(&self, k: usize) -> Option<(f64, f64)> {
        let i = self.topics.iter().rposition(|t| t.first <= k)?;
        let t = &self.topics[i];
        let p = k.checked_sub(t.first).filter(|&p| p < t.partitions)?;
        Some(((p % self.cols) as f64 * self.cell_w, self.topic_y(i) + LABEL_H + (p / self.cols) as f64 * self.cell_h))
    }

    /// The partition drawn at `(x, y)` (drawing units), if any.
    pub fn hit(&self, x: f64, y: f64) -> Option<usize> {
        if !(0.0..WIDTH).contains(&x) || y < 0.0 {
            return None;
        }
        let mut top = 0.0;
        for t in &self.topics {
            let rows = Self::rows(t.partitions, self.cols);
            let cells = top + LABEL_H;
            let bottom = cells + rows as f64 * self.cell_h;
            if y < bottom {
                if y < cells {
                    return None;
                }
                let p = ((y - cells) / self.cell_h) as usize * self.cols + (x / self.cell_w) as usize;
                return (p < t.partitions).then_some(t.first + p);
            }
            top = bottom + GAP;
        }
        None
    }

    /// The cells as runs of one state on one row, topic by topic.
    pub fn runs(&self) -> Vec<Run> {
        let mut out = Vec::new();
        for (i, t) in self.topics.iter().enumerate() {
            let y0 = self.topic_y(i) + LABEL_H;
            for row in 0..Self::rows(t.partitions, self.cols) {
                let from = row * self.cols;
                let to = (from + self.cols).min(t.partitions);
                let mut start = from;
                for p in from..=to {
                    if p == to || self.states[t.first + p] != self.states[t.first + start] {
                        out.push(Run {
                            x: (start - from) as f64 * self.cell_w,
                            y: y0 + row as f64 * self.cell_h,
                            w: (p - start) as f64 * self.cell_w,
                            h: self.cell_h,
                            state: self.states[t.first + start],
                        });
                        start = p;
                    }
                }
            }
        }
        out
    }
}
