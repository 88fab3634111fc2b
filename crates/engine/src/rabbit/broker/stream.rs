//! A stream's part of the broker (`stream/`), as `rabbit_stream_queue` (RabbitMQ 3.10) serves
//! AMQP 0-9-1 clients: a publish appends; basic.consume attaches a reader at its `x-stream-offset`
//! (`next` by default) and refuses a consumer without a prefetch (406), with no_ack or under a
//! global qos (540, which closes the connection); each consumer is sent everything from its offset,
//! with an `x-stream-offset` header, never marked redelivered, while it has credit (its prefetch
//! less what it holds); basic.ack only gives credit back; basic.get, basic.nack and basic.reject
//! are 540 NOT_IMPLEMENTED.

use super::{err, Broker, ChannelErr, Unacked};
use crate::rabbit::event::RabbitEvent;
use crate::rabbit::msg::*;
use crate::rabbit::queue::{Entry, QConsumer};
use crate::rabbit::routing::Value;
use crate::rabbit::stream::event::StreamEvent;
use crate::rabbit::stream::{OffsetSpec, Reader};
use crate::time::Time;
use crate::NodeId;
use std::rc::Rc;

/// What basic.consume asks for: its prefetch (a basic.qos global=false just before), no_ack, and
/// `x-stream-offset`.
pub type ConsumeOpts = (Option<u16>, bool, Option<OffsetSpec>);

impl Broker {
    /// The checks of basic.consume on a stream, in RabbitMQ's order (`x-stream-offset` on another
    /// queue type first: `rabbit_amqqueue:check_consume_arguments`). `prefetch`: the consumer's.
    pub(super) fn check_stream_consume(
        &self,
        client: NodeId,
        queue: u16,
        prefetch: u16,
        opts: ConsumeOpts,
    ) -> Result<(), ChannelErr> {
        let about = Some(Dest::Queue(queue));
        let Some(q) = self.queue(queue) else { return Ok(()) };
        if !q.is_stream() {
            return match opts.2 {
                Some(_) => Err(err(PRECONDITION_FAILED, "invalid arg 'x-stream-offset' for this queue type", about)),
                None => Ok(()),
            };
        }
        if prefetch == 0 {
            return Err(err(PRECONDITION_FAILED, "consumer prefetch count is not set", about));
        }
        if opts.1 {
            return Err(err(NOT_IMPLEMENTED, "automatic acknowledgement not supported by stream queues", about));
        }
        if self.channels.get(&client).is_some_and(|ch| ch.channel_prefetch > 0) {
            return Err(err(NOT_IMPLEMENTED, "stream queues do not support global qos", about));
        }
        Ok(())
    }

    /// A stream consumer joins: its reader attaches where `x-stream-offset` says.
    pub(super) fn stream_attach(
        &mut self,
        client: NodeId,
        c: QConsumer,
        queue: u16,
        spec: Option<OffsetSpec>,
        now: Time,
    ) {
        let Some(log) = self.queues[queue as usize].as_mut().and_then(|q| q.stream.as_mut()) else { return };
        let (next, min) = log.attach(spec.unwrap_or_default(), now);
        log.readers.push(Reader { node: client, tag: c.tag, next, min });
        self.emit(RabbitEvent::Stream(StreamEvent::Attached { queue, consumer: client, offset: next, min }));
    }

    /// A publish to a stream: one chunk appended (and retention, if it opened a segment).
    pub(super) fn stream_append(&mut self, queue: u16, msg: Message, now: Time) {
        let Some(log) = self.queues[queue as usize].as_mut().and_then(|q| q.stream.as_mut()) else { return };
        let m = msg.id;
        let (_, truncated) = log.append(msg, now);
        let depth = log.len() as u32;
        self.emit(RabbitEvent::Enqueued { m, queue, depth });
        if let Some(t) = truncated {
            let (segments, messages, first) = (t.segments, t.messages, t.first);
            self.emit(RabbitEvent::Stream(StreamEvent::Truncated { queue, segments, messages, first }));
        }
        self.stream_dispatch(queue);
    }

    /// Sends each reader what it has credit for. A channel serves its readers of a stream in
    /// descending consumer-tag order (`handle_event({osiris_offset, …})` folds over its map of
    /// readers, ascending, and prepends each one's deliveries).
    pub(super) fn stream_dispatch(&mut self, queue: u16) {
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        let Some(log) = q.stream.as_mut() else { return };
        let mut readers = q.consumers.clone();
        crate::sort::sort_by(&mut readers, |a, b| a.node.cmp(&b.node).then(b.tag.cmp(&a.tag)));
        for c in readers {
            while let Some(ch) = self.channels.get_mut(&c.node).filter(|ch| ch.has_room(c.tag, c.prefetch)) {
                let Some(r) = log.read(c.node, c.tag) else { break };
                let tag = ch.next_tag;
                ch.next_tag += 1;
                let mut with = r.msg.props.headers.as_deref().cloned().unwrap_or_default();
                with = with.with("x-stream-offset", Value::Int(r.offset as i64));
                let entry =
                    Entry { pos: r.offset, expires_at: None, redelivered: false, msg: r.msg, delivery_count: 0 };
                let mut delivery = Delivery { ctag: Some(c.tag), ..super::dispatch::delivery(tag, queue, &entry) };
                delivery.headers = Some(Rc::new(with));
                let m = entry.msg.id;
                ch.unacked.push_back(Unacked { tag, queue, ctag: Some(c.tag), entry });
                self.out.sends.push((c.node, RabbitMsg::Deliver(Box::new(delivery))));
                self.out.events.push(RabbitEvent::Delivered { m, queue, consumer: c.node, tag, redelivered: false });
            }
        }
    }
}
