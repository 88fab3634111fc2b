//! Messages in the air. A message is drawn at `(now - sent_at) / (deliver_at - sent_at)` along its
//! link: the engine knows nothing of frames, and motion is smooth at any speed. Losses stay visible
//! for a moment where they happened so the eye catches them.

use brokerlab_engine::kernel::event::{MsgId, MsgInfo};
use brokerlab_engine::{EventKind, NodeId, Time};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flight {
    pub from: NodeId,
    pub to: NodeId,
    pub sent_at: Time,
    pub deliver_at: Time,
    pub info: MsgInfo,
}

impl Flight {
    /// How far along its link the message is at `now`, 0..=1.
    pub fn progress(&self, now: Time) -> f64 {
        let span = self.deliver_at.0.saturating_sub(self.sent_at.0);
        if span == 0 {
            return 1.0;
        }
        (now.0.saturating_sub(self.sent_at.0) as f64 / span as f64).clamp(0.0, 1.0)
    }
}

/// A recent loss: where (`progress` along `from → to`) and when (page time in ms, for fading).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loss {
    pub from: NodeId,
    pub to: NodeId,
    pub progress: f64,
    pub shown_at_ms: f64,
}

/// How long a loss marker stays on screen.
pub const LOSS_VISIBLE_MS: f64 = 1_200.0;
/// Flights kept at most; beyond this the oldest are dropped from the picture (never from the engine).
pub const MAX_FLIGHTS: usize = 20_000;

#[derive(Clone, Debug, Default)]
pub struct Flights {
    in_air: BTreeMap<MsgId, Flight>,
    losses: Vec<Loss>,
}

impl Flights {
    pub fn clear(&mut self) {
        self.in_air.clear();
        self.losses.clear();
    }

    /// Folds one event in; `page_ms` is the page clock, used only for fading loss markers.
    pub fn observe(&mut self, at: Time, kind: &EventKind, page_ms: f64) {
        match *kind {
            EventKind::Sent { from, to, msg, info, deliver_at } => {
                if self.in_air.len() >= MAX_FLIGHTS {
                    self.in_air.pop_first();
                }
                self.in_air.insert(msg, Flight { from, to, sent_at: at, deliver_at, info });
            }
            EventKind::Delivered { msg, .. } => {
                self.in_air.remove(&msg);
            }
            EventKind::Dropped { from, to, msg, .. } => {
                // Lost on arrival: at the receiver's end; lost at send time: at the sender's.
                let progress = self.in_air.remove(&msg).map_or(0.05, |f| f.progress(at).min(0.95));
                self.losses.push(Loss { from, to, progress, shown_at_ms: page_ms });
            }
            _ => {}
        }
    }

    /// Forgets loss markers that have faded.
    pub fn expire(&mut self, page_ms: f64) {
        self.losses.retain(|l| page_ms - l.shown_at_ms < LOSS_VISIBLE_MS);
    }

    pub fn in_air(&self) -> impl Iterator<Item = &Flight> {
        self.in_air.values()
    }

    pub fn len(&self) -> usize {
        self.in_air.len()
    }

    pub fn is_empty(&self) -> bool {
        self.in_air.is_empty()
    }

    pub fn losses(&self) -> &[Loss] {
        &self.losses
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::net::DropReason;

    const INFO: MsgInfo = MsgInfo { kind: "publish", lane: 0 };

    fn sent(msg: u64, at: u64, deliver: u64) -> (Time, EventKind) {
        let kind =
            EventKind::Sent { from: NodeId(0), to: NodeId(1), msg: MsgId(msg), info: INFO, deliver_at: Time(deliver) };
        (Time(at), kind)
    }

    #[test]
    fn flights_start_move_and_land() {
        let mut f = Flights::default();
        let (at, k) = sent(1, 100, 300);
        f.observe(at, &k, 0.0);
        let flight = *f.in_air().next().unwrap();
        assert_eq!(flight.progress(Time(100)), 0.0);
        assert_eq!(flight.progress(Time(200)), 0.5);
        assert_eq!(flight.progress(Time(999)), 1.0);
        let landed =
            EventKind::Delivered { from: NodeId(0), to: NodeId(1), msg: MsgId(1), info: INFO, sent_at: Time(100) };
        f.observe(Time(300), &landed, 0.0);
        assert!(f.is_empty());
    }

    #[test]
    fn losses_are_marked_where_they_happen_then_fade() {
        let mut f = Flights::default();
        let (at, k) = sent(1, 0, 100);
        f.observe(at, &k, 0.0);
        let lost = EventKind::Dropped {
            from: NodeId(0),
            to: NodeId(1),
            msg: MsgId(1),
            info: INFO,
            reason: DropReason::ReceiverDown,
        };
        f.observe(Time(100), &lost, 10.0);
        assert!(f.is_empty());
        assert_eq!(f.losses().len(), 1);
        assert_eq!(f.losses()[0].progress, 0.95);
        f.expire(10.0 + LOSS_VISIBLE_MS - 1.0);
        assert_eq!(f.losses().len(), 1);
        f.expire(10.0 + LOSS_VISIBLE_MS);
        assert!(f.losses().is_empty());
    }
}
