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
                // Aborted transactions wholly below the new log start leave the index.
                r.txns.prune(r.log.log_start());
            }
        }
        let (every, timer) = match pass {
            Pass::Retention => (self.cluster.retention_check_interval, KafkaTimer::Retention),
            Pass::Compaction => (self.cluster.cleaner_backoff, KafkaTimer::Cleaner),
        };
        ctx.set_timer(every, timer);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, Harness, TP};
    use super::*;
    use crate::kafka::log::LogConfig;
    use std::collections::BTreeMap;

    /// A topic with `policy`, retention 1 s, and segments of 10 records of 100 bytes.
    fn topic(delete: bool, compact: bool) -> Topic {
        let log = LogConfig { segment_bytes: 1000, ..LogConfig::default() };
        Topic {
            name: "t".into(),
            partitions: 1,
            replication_factor: 1,
            min_insync_replicas: 1,
            delete,
            compact,
            retention: Some(Time::secs(1)),
            retention_bytes: None,
            log,
        }
    }

    /// 25 records, keys cycling over 5, one per 10 ms from 0, all below the HW.
    fn log(topic: &Topic) -> Log {
        let mut log = Log::new(topic.log);
        for i in 0..25u64 {
            log.append_batch(0, &[(Some(i as u32 % 5), i)], None, 100, Time::ms(10 * i));
        }
        log.set_hw(25);
        log
    }

    const LATE: Time = Time::secs(10);

    #[test]
    fn retention_deletes_old_segments_of_delete_topics_only() {
        let delete = topic(true, false);
        let mut l = log(&delete);
        assert_eq!(clean(&mut l, &delete, Pass::Retention, Time::ms(500), TP, 1), None, "nothing old yet");
        assert_eq!(clean(&mut l, &delete, Pass::Compaction, LATE, TP, 1), None, "not a compacted topic");
        assert_eq!(l.records().count(), 25);
        l.set_hw(22);
        let deleted = clean(&mut l, &delete, Pass::Retention, LATE, TP, 1);
        assert_eq!(deleted, Some(KafkaEvent::SegmentsDeleted { tp: TP, broker: 1, log_start: 20 }));
        assert_eq!(l.records().count(), 5, "the active segment stays while the HW is inside it");
        l.set_hw(25);
        let deleted = clean(&mut l, &delete, Pass::Retention, LATE, TP, 1);
        assert_eq!(deleted, Some(KafkaEvent::SegmentsDeleted { tp: TP, broker: 1, log_start: 25 }));
        assert_eq!(l.records().count(), 0, "then it expires too");

        let compact = topic(false, true);
        let mut l = log(&compact);
        assert_eq!(clean(&mut l, &compact, Pass::Retention, LATE, TP, 1), None, "no delete policy");
        assert_eq!(l.log_start(), 0);
    }

    #[test]
    fn compaction_keeps_the_latest_value_of_each_key() {
        let compact = topic(false, true);
        let mut l = log(&compact);
        let removed = clean(&mut l, &compact, Pass::Compaction, LATE, TP, 2);
        // Offsets 0-19 are cleanable (below the active segment): keys 0-4 last appear at 15-19.
        assert_eq!(removed, Some(KafkaEvent::Compacted { tp: TP, broker: 2, removed: 15 }));
        let mut latest = BTreeMap::new();
        for r in l.records() {
            latest.insert(r.key, r.value);
        }
        let want: BTreeMap<_, _> = (0..5u32).map(|k| (Some(k), 20 + k as u64)).collect();
        assert_eq!(latest, want);
        assert_eq!(clean(&mut l, &compact, Pass::Compaction, LATE, TP, 2), None, "nothing dirty left");

        let both = topic(true, true);
        let mut l = log(&both);
        assert!(clean(&mut l, &both, Pass::Compaction, LATE, TP, 2).is_some());
        assert!(clean(&mut l, &both, Pass::Retention, LATE, TP, 2).is_some(), "compact,delete does both");
    }

    #[test]
    fn each_pass_runs_again_on_its_own_interval() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.timer(&mut b, KafkaTimer::Retention);
        h.timer(&mut b, KafkaTimer::Cleaner);
        let (retention, cleaner) = (b.cluster.retention_check_interval, b.cluster.cleaner_backoff);
        assert_ne!(retention, cleaner);
        assert_eq!(h.take().timers, vec![(retention, KafkaTimer::Retention), (cleaner, KafkaTimer::Cleaner)]);
    }
}
