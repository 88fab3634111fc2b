//! The controller's requests to brokers, as ZooKeeper-era Kafka's `ControllerChannelManager`
//! sends them: each broker's LeaderAndIsr requests wait for its answer; one unanswered after
//! `controller.socket.timeout.ms` (30 s) — lost to a cut link, say — is sent again (the request
//! thread reconnects and retries the same request), for as long as the broker is alive in the
//! controller's eyes. A broker that dies takes its queue with it (`removeBroker`); when it
//! registers again it is sent its whole state anew.
//!
//! Simplified: requests go out at once rather than one at a time per broker (the broker ignores
//! a state older than the leader epoch it holds, so a late retry changes nothing), and
//! UpdateMetadata is not retried (every later change broadcasts the whole state again).

use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::msg::{KafkaMsg, PartitionView};
use crate::kafka::partition::BrokerId;
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::NodeId;

/// `controller.socket.timeout.ms`.
pub const SOCKET_TIMEOUT: Time = Time::secs(30);

/// The LeaderAndIsr requests waiting for an answer, by request number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Channel {
    next: u64,
    unanswered: Vec<(u64, BrokerId, Vec<PartitionView>)>,
}

impl Channel {
    /// Drops what was queued for brokers that are gone.
    pub fn forget(&mut self, lost: &[BrokerId]) {
        self.unanswered.retain(|(_, b, _)| !lost.contains(b));
    }
}

impl Broker {
    /// As controller of `epoch`: LeaderAndIsr with `states` to broker `b`, kept until answered.
    pub(super) fn send_leader_and_isr_to(
        &mut self,
        ctx: &mut Ctx,
        epoch: u32,
        b: BrokerId,
        states: Vec<PartitionView>,
    ) {
        let Some(node) = self.cluster.broker_node(b) else { return };
        let Some(c) = self.controller.as_mut() else { return };
        c.channel.next += 1;
        let request = c.channel.next;
        c.channel.unanswered.push((request, b, states.clone()));
        send(ctx, node, KafkaMsg::LeaderAndIsr { controller_epoch: epoch, request, states });
        ctx.set_timer(SOCKET_TIMEOUT, KafkaTimer::LeaderAndIsrTimeout { epoch, request });
    }

    pub(super) fn leader_and_isr_answered(&mut self, from: NodeId, request: u64) {
        let Some(b) = self.cluster.broker_of(from) else { return };
        if let Some(c) = self.controller.as_mut() {
            c.channel.unanswered.retain(|(r, to, _)| !(*r == request && *to == b));
        }
    }

    /// Still unanswered: send the same request again, and wait again.
    pub(super) fn leader_and_isr_timed_out(&mut self, ctx: &mut Ctx, epoch: u32, request: u64) {
        let Some(c) = self.controller.as_ref().filter(|c| c.epoch == epoch) else { return };
        let Some((_, b, states)) = c.channel.unanswered.iter().find(|(r, _, _)| *r == request).cloned() else {
            return;
        };
        let Some(node) = self.cluster.broker_node(b) else { return };
        send(ctx, node, KafkaMsg::LeaderAndIsr { controller_epoch: epoch, request, states });
        ctx.set_timer(SOCKET_TIMEOUT, KafkaTimer::LeaderAndIsrTimeout { epoch, request });
    }
}
