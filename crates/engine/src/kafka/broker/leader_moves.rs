//! The controller moving leaderships on purpose (`kafka/leader_balance.rs` decides which), and a
//! broker's side of a clean stop:
//! - the imbalance check, 5 s after this broker became controller and then every
//!   `leader.imbalance.check.interval.seconds`, moving leaderships back to preferred replicas;
//! - the controlled shutdown: a broker asked to stop cleanly (`leave`) sends ControlledShutdown to
//!   the controller and stops once it answers that the broker leads nothing more (or after
//!   `controlled.shutdown.max.retries` attempts, `controlled.shutdown.retry.backoff.ms` apart),
//!   as `KafkaServer.controlledShutdown` does. So a clean stop leaves no partition without a
//!   leader, where a crash leaves its partitions leaderless until its session expires.
//!
//! KRaft mode's controlled shutdown goes through the heartbeat instead (`lifecycle.rs`).

use super::controller::BrokersChanged;
use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::leader_balance::{
    controlled_shutdown, elect_preferred, imbalanced, SHUTDOWN_ATTEMPTS, SHUTDOWN_BACKOFF,
};
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::{BrokerId, Error};
use crate::kafka::{Ctx, KafkaTimer};
use crate::kernel::Leaving;
use crate::time::Time;
use crate::NodeId;

/// A broker's clean stop under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopping {
    /// Attempts made so far.
    pub attempt: u8,
    /// The controller let it go (or it gave up asking): it stops now.
    pub done: bool,
}

impl Broker {
    /// As controller: the next imbalance check, `after` from now.
    pub(super) fn arm_leader_rebalance(&mut self, ctx: &mut Ctx, after: Time) {
        if let (Some(_), Some(c)) = (self.cluster.leader_rebalance, &self.controller) {
            ctx.set_timer(after, KafkaTimer::LeaderRebalance { epoch: c.epoch });
        }
    }

    /// `processAutoPreferredReplicaLeaderElection`: the check, then the next one.
    pub(super) fn leader_rebalance_due(&mut self, ctx: &mut Ctx, epoch: u32) {
        let Some(settings) = self.cluster.leader_rebalance else { return };
        let Some(c) = self.controller.as_mut().filter(|c| c.epoch == epoch) else { return };
        let moves = imbalanced(&c.partitions, &c.eligible(), settings.percentage);
        let mut change = BrokersChanged::default();
        for tp in moves {
            let v = c.partitions.get_mut(&tp).expect("listed from the partitions");
            change.events.push(elect_preferred(v));
            change.changed.push(tp);
        }
        if !change.changed.is_empty() {
            self.publish(ctx, &change, false);
        }
        self.arm_leader_rebalance(ctx, settings.interval);
    }

    /// As controller: broker `broker` stops cleanly; its leaderships move first.
    pub(super) fn controller_controlled_shutdown(&mut self, ctx: &mut Ctx, from: NodeId, broker: BrokerId) {
        let result = self.shutdown_moves(ctx, broker);
        send(ctx, from, KafkaMsg::ControlledShutdownResponse { result });
    }

    fn shutdown_moves(&mut self, ctx: &mut Ctx, broker: BrokerId) -> Result<Vec<Tp>, Error> {
        let Some(c) = self.controller.as_mut() else { return Err(Error::NotController) };
        if !c.live.contains(&broker) {
            return Ok(vec![]);
        }
        if !c.shutting_down.contains(&broker) {
            c.shutting_down.push(broker);
        }
        let eligible = c.eligible();
        let moves = controlled_shutdown(&mut c.partitions, broker, &eligible);
        let change = BrokersChanged { events: moves.events, changed: moves.changed, ..BrokersChanged::default() };
        if !change.changed.is_empty() {
            self.publish(ctx, &change, true);
        }
        Ok(moves.remaining)
    }

    /// `leave`: a broker asks for a controlled shutdown before it stops.
    pub fn on_leave(&mut self, ctx: &mut Ctx) -> Leaving {
        if self.kraft.is_some() {
            return self.kraft_leave(ctx);
        }
        self.stopping = Some(Stopping { attempt: 0, done: false });
        self.ask_to_stop(ctx);
        Leaving::Later
    }

    /// Whether a clean stop is over (the kernel then stops the node).
    pub fn has_left(&self) -> bool {
        self.stopping.is_some_and(|s| s.done)
    }

    fn ask_to_stop(&mut self, ctx: &mut Ctx) {
        let Some(s) = self.stopping.as_mut() else { return };
        if s.attempt >= SHUTDOWN_ATTEMPTS {
            s.done = true; // retries exhausted: it stops anyway
            return;
        }
        s.attempt += 1;
        let attempt = s.attempt;
        if self.controller.is_some() {
            // The controller stopping itself acts on its own request.
            let result = self.shutdown_moves(ctx, self.id);
            self.shutdown_answered(result);
        } else if let Some(node) = self.controller_node {
            send(ctx, node, KafkaMsg::ControlledShutdown { broker: self.id });
        }
        // Unless let go: ask again after the backoff (no answer, no controller known, or
        // partitions it still leads).
        if !self.has_left() {
            ctx.set_timer(SHUTDOWN_BACKOFF, KafkaTimer::ControlledShutdown { attempt });
        }
    }

    /// The controller's answer: it may stop once it leads nothing more.
    pub(super) fn shutdown_answered(&mut self, result: Result<Vec<Tp>, Error>) {
        if let (Some(s), Ok(remaining)) = (self.stopping.as_mut(), result) {
            s.done |= remaining.is_empty();
        }
    }

    /// Attempt `attempt`'s backoff is over and the broker is still here: ask again.
    pub(super) fn shutdown_retry(&mut self, ctx: &mut Ctx, attempt: u8) {
        if let (Some(s), Some(_)) = (self.stopping.as_mut(), &self.kraft) {
            // KRaft: the wait for the controller's leave is over; it stops anyway.
            s.done = true;
            return;
        }
        if self.stopping.is_some_and(|s| !s.done && s.attempt == attempt) {
            self.ask_to_stop(ctx);
        }
    }
}
