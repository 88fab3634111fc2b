//! The log cleaner: every replica, leader or follower, applies its topic's `cleanup.policy` to its
//! own log, as in Kafka. Two passes on their own timers: retention (`delete`: whole old segments,
//! or those beyond `retention.bytes`) every `log.retention.check.interval.ms`, and compaction
//! (`compact`: the latest record of each key) every `log.cleaner.backoff.ms`. What a pass does to
//! one log is `clean`, a pure function; the segment arithmetic is the log's (`log::Log`).

use super::Broker;
use crate::kafka::clients::emit;
use crate::kafka::cluster::Topic;
use crate::kafka::log::Log;
use crate::kafka::msg::{KafkaEvent, Tp};
use crate::kafka::partition::BrokerId;
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;

/// One of the cleaner's two passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pass {
    /// Delete retention, for topics with the `delete` policy.
    Retention,
    /// Compaction, for topics with the `compact` policy.
    Compaction,
}

/// Applies `pass` to `log`, a replica of `tp` (of `topic`) on `broker`, at `now`: what it removed,
/// as the event to report, if anything.
fn clean(log: &mut Log, topic: &Topic, pass: Pass, now: Time, tp: Tp, broker: BrokerId) -> Option<KafkaEvent> {
    match pass {
        Pass::Compaction if topic.compact => {
            let removed = log.compact();
            (removed > 0).then(|| KafkaEvent::Compacted { tp, broker, removed: removed.min(u32::MAX as u64) as u32 })
        }
        Pass::Retention if topic.delete => log
            .apply_retention(now, topic.retention, topic.retention_bytes)
            .then(|| KafkaEvent::SegmentsDeleted { tp, broker, log_start: log.log_start() }),
        _ => None,
    }
}

impl Broker {
    /// Runs `pass` over every replica's log, then sets its timer again.
    pub(super) fn clean_logs(&mut self, ctx: &mut Ctx, pass: Pass) {
        let (now, me) = (ctx.now, self.id);
        for (&tp, r) in self.replicas.iter_mut() {
            let topic = &self.cluster.topics[tp.topic as usize];
            if let Some(e) = clean(&mut r.log, topic, pass, now, tp, me) {
                emit(ctx, e);
            }
        }
        let (every, timer) = match pass {
            Pass::Retention => (self.cluster.retention_check_interval, KafkaTimer::Retention),
            Pass::Compaction => (self.cluster.cleaner_backoff, KafkaTimer::Cleaner),
        };
        ctx.set_timer(every, timer);
    }
}
