//! The event log panel's lines: the newest events as text, each with the nodes it concerns (a click
//! highlights them), bounded, and searchable by a filter.

use super::journey::{subject_of, Subject};
use brokerlab_engine::{Event, EventKind, NodeId, Time, World};
use std::collections::VecDeque;

/// Log lines shown at most (the newest that match the filter).
pub const SHOWN: usize = 300;
/// Lines kept for the filter to search: a filter typed after a burst of records still finds the
/// rebalance or election before it.
pub const KEPT: usize = 3_000;

/// A line, the nodes its event concerns, and the message whose journey it is a step of, if any.
pub type Line = (String, [Option<NodeId>; 2], Option<(Subject, Time)>);

#[derive(Clone, Debug, Default)]
pub struct EventLog {
    lines: VecDeque<Line>,
    /// Events never formatted: beyond the newest `SHOWN` of one batch, nobody could read them.
    skipped: u64,
    /// Whether sends and deliveries are logged (at speed they would bury everything else).
    pub show_network: bool,
}

impl EventLog {
    pub fn new(show_network: bool) -> EventLog {
        EventLog { show_network, ..EventLog::default() }
    }

    /// Adds a batch of events, formatting only the newest `SHOWN` that are logged at all.
    pub fn add(&mut self, events: &[Event], world: &World) {
        let show_network = self.show_network;
        let loggable: Vec<&Event> = events
            .iter()
            .filter(|e| show_network || !matches!(e.kind, EventKind::Sent { .. } | EventKind::Delivered { .. }))
            .collect();
        let start = loggable.len().saturating_sub(SHOWN);
        self.skipped += start as u64;
        for e in &loggable[start..] {
            if self.lines.len() == KEPT {
                self.lines.pop_front();
            }
            self.lines.push_back((e.line(world), e.nodes(), subject_of(e, world)));
        }
    }

    /// The newest `SHOWN` lines containing `filter` (ASCII case folded: lines are ASCII, names are
    /// validated to be), oldest first, and how many earlier events are not shown.
    pub fn matching(&self, filter: &str) -> (Vec<&Line>, u64) {
        let filter = filter.to_ascii_lowercase();
        let matching: Vec<&Line> =
            self.lines.iter().filter(|l| filter.is_empty() || l.0.to_ascii_lowercase().contains(&filter)).collect();
        let hidden = matching.len().saturating_sub(SHOWN);
        (matching[hidden..].to_vec(), self.skipped + hidden as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{presets, Simulation};

    fn run(show_network: bool) -> EventLog {
        let s = presets::load("kafka-basic").unwrap();
        let mut sim = Simulation::new(&s, s.seed).unwrap();
        let mut log = EventLog { show_network, ..EventLog::default() };
        for i in 1..=20 {
            sim.run_until(Time::ms(100 * i));
            let events: Vec<Event> = sim.drain_events().collect();
            log.add(&events, sim.world());
        }
        log
    }

    #[test]
    fn network_messages_only_when_asked() {
        let quiet = run(false);
        assert!(quiet.lines.iter().all(|l| !l.0.contains("(arrives ") && !l.0.contains("(sent ")));
        let loud = run(true);
        assert!(loud.lines.len() + loud.skipped as usize > quiet.lines.len() + quiet.skipped as usize);
    }

    #[test]
    fn bounded_and_filtered() {
        let log = run(true);
        assert!(log.lines.len() <= KEPT);
        let (all, _) = log.matching("");
        assert!(all.len() <= SHOWN);
        let (produced, not_shown) = log.matching("PRODUCE");
        assert!(!produced.is_empty());
        assert!(produced.iter().all(|l| l.0.to_ascii_lowercase().contains("produce")));
        assert!(not_shown >= log.skipped);
    }
}
