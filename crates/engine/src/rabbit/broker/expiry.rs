//! Time at the broker: the per-queue timers for message TTL (the head may have expired) and
//! `x-expires` (the queue may have gone unused for that long).

use super::Broker;
use crate::rabbit::event::Gone;
use crate::rabbit::RabbitTimer;
use crate::time::Time;

impl Broker {
    pub fn timer(&mut self, timer: RabbitTimer, now: Time) {
        let (RabbitTimer::Ttl { queue } | RabbitTimer::Expires { queue }) = timer else { return };
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        if let RabbitTimer::Expires { .. } = timer {
            if q.expires_timer == Some(now) && q.consumers.is_empty() {
                self.delete_queue(queue, Gone::Expires);
            }
        } else if q.ttl_timer == Some(now) {
            q.ttl_timer = None;
            self.dispatch(queue, now);
        }
    }

    /// x-expires counts from the last use: armed while the queue has no consumer.
    pub(super) fn arm_expires(&mut self, queue: u16, now: Time) {
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        if let (Some(after), true) = (q.decl.args.expires, q.consumers.is_empty()) {
            q.expires_timer = Some(now + after);
            self.out.timers.push((now + after, RabbitTimer::Expires { queue }));
        }
    }
}
