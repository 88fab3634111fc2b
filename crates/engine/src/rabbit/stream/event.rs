//! What the learner is shown of streams: where a consumer attached, and what retention removed.

use crate::rabbit::RabbitNames;
use crate::trace::TraceHash;
use crate::NodeId;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// `consumer` started reading stream `queue` at `offset` (sent nothing below `min`).
    Attached { queue: u16, consumer: NodeId, offset: u64, min: u64 },
    /// Retention deleted `segments` old segments (`messages` messages) of `queue` when a new
    /// segment was opened; its first offset is now `first`.
    Truncated { queue: u16, segments: u32, messages: u64, first: u64 },
}

impl StreamEvent {
    pub fn encode(&self, h: &mut TraceHash) {
        match *self {
            StreamEvent::Attached { queue, consumer, offset, min } => {
                h.byte(1);
                h.u64(((queue as u64) << 32) | consumer.0 as u64);
                h.u64(offset);
                h.u64(min);
            }
            StreamEvent::Truncated { queue, segments, messages, first } => {
                h.byte(2);
                h.u64(((queue as u64) << 32) | segments as u64);
                h.u64(messages);
                h.u64(first);
            }
        }
    }

    pub fn nodes(&self) -> [Option<NodeId>; 2] {
        match *self {
            StreamEvent::Attached { consumer, .. } => [Some(consumer), None],
            StreamEvent::Truncated { .. } => [None, None],
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            StreamEvent::Attached { .. } => "stream-attached",
            StreamEvent::Truncated { .. } => "stream-retention",
        }
    }

    pub fn describe(&self, s: &mut String, world: &dyn RabbitNames) -> std::fmt::Result {
        let q = |id: u16| crate::rabbit::node::names(world).map_or("?".to_string(), |n| n.queue(id));
        match *self {
            StreamEvent::Attached { queue, consumer, offset, min } => {
                write!(s, "{} reads stream {} from offset {offset}", world.node_name(consumer), q(queue))?;
                if min > offset {
                    write!(s, " (nothing below {min} is sent)")?;
                }
                Ok(())
            }
            StreamEvent::Truncated { queue, segments, messages, first } => write!(
                s,
                "stream {}: a new segment was opened, retention deleted {segments} old segment(s) \
                 ({messages} messages); the first offset is now {first}",
                q(queue)
            ),
        }
    }
}
