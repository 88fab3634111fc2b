//! A quorum queue's returns (`quorum/fifo.rs`): where the message goes, and the dead-lettering
//! of one returned more often than its `x-delivery-limit`.

use super::{Broker, Unacked};
use crate::rabbit::event::RabbitEvent;
use crate::rabbit::msg::Reason;
use crate::rabbit::quorum::event::QuorumEvent;
use crate::rabbit::quorum::fifo::Returned;
use crate::time::Time;
use crate::NodeId;

impl Broker {
    pub(super) fn quorum_return(&mut self, consumer: NodeId, u: Unacked, explicit: bool, now: Time) {
        let (m, queue, count) = (u.entry.msg.id, u.queue, u.entry.delivery_count + 1);
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        let (to, dead) = match q.quorum_return(u.entry, explicit) {
            Ok(to) => (to, None),
            Err(e) => (Returned::OverLimit, Some(e.msg)),
        };
        self.emit(RabbitEvent::Quorum(QuorumEvent::Returned { m, queue, consumer, count, to }));
        if let Some(msg) = dead {
            self.leave(queue, msg, Reason::DeliveryLimit, now);
        }
    }
}
