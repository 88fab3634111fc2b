//! Streams in the broker, one rule of RabbitMQ 3.10's `rabbit_stream_queue` per test.

use super::tests::*;
use super::*;
use crate::rabbit::exchange::DEFAULT;
use crate::rabbit::msg::*;
use crate::rabbit::queue::QueueArgs;
use crate::rabbit::routing::Value;
use crate::rabbit::stream::event::StreamEvent;
use crate::rabbit::stream::{OffsetSpec, StreamArgs};

fn stream_broker(args: StreamArgs) -> Broker {
    let mut b = broker(&[], &["s"]);
    declare(&mut b, 0, QueueArgs { stream: Some(args), ..QueueArgs::default() });
    b
}

fn read(b: &mut Broker, c: NodeId, tag: u16, prefetch: u16, offset: Option<OffsetSpec>) -> Result<(), ChannelErr> {
    if !b.has_channel(c) {
        b.open(c, false, Time::ZERO);
    }
    b.consume_with(c, 0, tag, (Some(prefetch), false, offset), Time::ZERO)
}

/// The deliveries sent since the last call: (consumer, tag, x-stream-offset).
fn offsets(b: &mut Broker) -> Vec<(NodeId, u64, i64)> {
    let out = b.out.sends.iter().filter_map(|(to, m)| match m {
        RabbitMsg::Deliver(d) => {
            assert!(!d.redelivered, "a stream never marks a delivery redelivered");
            match d.headers.as_deref().and_then(|h| h.get("x-stream-offset")) {
                Some(Value::Int(o)) => Some((*to, d.tag, *o)),
                h => panic!("every delivery from a stream carries x-stream-offset, got {h:?}"),
            }
        }
        _ => None,
    });
    let out = out.collect();
    b.out.sends.clear();
    out
}

#[test]
fn consumers_read_every_message_from_their_offset_without_removing_it() {
    let mut b = stream_broker(StreamArgs::default());
    for seq in 0..3 {
        publish(&mut b, seq, DEFAULT, "s", Time::ZERO);
    }
    read(&mut b, C1, 0, 10, Some(OffsetSpec::First)).unwrap();
    read(&mut b, C2, 0, 10, None).unwrap();
    assert_eq!(
        offsets(&mut b),
        [(C1, 1, 0), (C1, 2, 1), (C1, 3, 2)],
        "first reads all; next (the default) nothing yet"
    );
    publish(&mut b, 3, DEFAULT, "s", Time::ZERO);
    assert_eq!(offsets(&mut b), [(C1, 4, 3), (C2, 1, 3)], "both read the new message");
    b.settle(C1, 4, true, SettleOp::Ack, Time::ZERO).unwrap();
    assert_eq!(b.queue(0).unwrap().stream.as_ref().unwrap().len(), 4, "acks remove nothing");
    let attached =
        events(&mut b).into_iter().filter(|e| matches!(e, RabbitEvent::Stream(StreamEvent::Attached { .. })));
    assert_eq!(attached.count(), 2);
}

#[test]
fn prefetch_is_credit_and_an_ack_gives_it_back() {
    let mut b = stream_broker(StreamArgs::default());
    for seq in 0..5 {
        publish(&mut b, seq, DEFAULT, "s", Time::ZERO);
    }
    read(&mut b, C1, 0, 2, Some(OffsetSpec::At(1))).unwrap();
    assert_eq!(offsets(&mut b), [(C1, 1, 1), (C1, 2, 2)]);
    b.settle(C1, 2, true, SettleOp::Ack, Time::ZERO).unwrap();
    assert_eq!(offsets(&mut b), [(C1, 3, 3), (C1, 4, 4)]);
    assert!(b.settle(C1, 3, false, SettleOp::Ack, Time::ZERO).is_ok());
    assert!(offsets(&mut b).is_empty(), "read to the end");
}

#[test]
fn refusals_as_rabbitmq_words_them() {
    let mut b = stream_broker(StreamArgs::default());
    publish(&mut b, 0, DEFAULT, "s", Time::ZERO);
    b.open(C1, false, Time::ZERO);
    let e = b.consume_with(C1, 0, 0, (None, false, None), Time::ZERO).unwrap_err();
    assert_eq!((e.0.code, e.0.text), (PRECONDITION_FAILED, "consumer prefetch count is not set"));
    assert_eq!(b.consume_with(C1, 0, 0, (Some(5), true, None), Time::ZERO).unwrap_err().0.code, NOT_IMPLEMENTED);
    assert_eq!(b.get(C1, 0, false, Time::ZERO).unwrap_err().0.code, NOT_IMPLEMENTED);
    b.qos(C1, 5, true, Time::ZERO);
    assert_eq!(b.consume_with(C1, 0, 0, (Some(5), false, None), Time::ZERO).unwrap_err().0.code, NOT_IMPLEMENTED);
    b.qos(C1, 0, true, Time::ZERO);
    read(&mut b, C1, 0, 5, Some(OffsetSpec::First)).unwrap();
    offsets(&mut b);
    let e = b.settle(C1, 1, false, SettleOp::Nack { requeue: true }, Time::ZERO).unwrap_err();
    assert_eq!(e.0.code, NOT_IMPLEMENTED);
    assert_eq!(b.unacked(C1), 1, "refused before anything was settled");
    let mut b2 = broker(&[], &["c"]);
    declare(&mut b2, 0, QueueArgs::default());
    b2.open(C1, false, Time::ZERO);
    let e = b2.consume_with(C1, 0, 0, (Some(5), false, Some(OffsetSpec::First)), Time::ZERO).unwrap_err();
    assert_eq!(e.0.code, PRECONDITION_FAILED, "x-stream-offset on a classic queue");
}

#[test]
fn a_connection_error_closes_the_channel_and_nothing_goes_back() {
    let mut b = stream_broker(StreamArgs::default());
    publish(&mut b, 0, DEFAULT, "s", Time::ZERO);
    read(&mut b, C1, 0, 5, Some(OffsetSpec::First)).unwrap();
    offsets(&mut b);
    let e = b.get(C1, 0, false, Time::ZERO).unwrap_err();
    b.fail(C1, e, Time::ZERO);
    assert!(!b.has_channel(C1));
    let q = b.queue(0).unwrap();
    assert!(q.consumers.is_empty() && q.stream.as_ref().unwrap().readers.is_empty());
    assert_eq!(q.stream.as_ref().unwrap().len(), 1, "the log keeps the message");
    assert!(!events(&mut b).iter().any(|e| matches!(e, RabbitEvent::Requeued { .. })));
}

#[test]
fn the_log_survives_a_restart_and_readers_start_again() {
    let mut b = stream_broker(StreamArgs::default());
    for seq in 0..3 {
        publish(&mut b, seq, DEFAULT, "s", Time::ZERO);
    }
    read(&mut b, C1, 0, 1, Some(OffsetSpec::First)).unwrap();
    b.crash();
    b.recover(Time::ms(5));
    assert!(events(&mut b).contains(&RabbitEvent::Recovered { queue: 0, messages: 3, lost: 0 }));
    b.out.sends.clear();
    read(&mut b, C1, 0, 10, Some(OffsetSpec::Last)).unwrap();
    assert_eq!(offsets(&mut b), [(C1, 1, 2)]);
}

#[test]
fn retention_runs_when_a_publish_opens_a_segment() {
    // 10-byte messages, 20-byte segments, keep 20 bytes.
    let mut b = stream_broker(StreamArgs { max_bytes: Some(20), segment_bytes: 20, ..StreamArgs::default() });
    for seq in 0..2 {
        publish(&mut b, seq, DEFAULT, "s", Time::ZERO);
    }
    assert_eq!(b.queue(0).unwrap().stream.as_ref().unwrap().first_offset(), 0);
    events(&mut b);
    publish(&mut b, 2, DEFAULT, "s", Time::ZERO);
    let t = StreamEvent::Truncated { queue: 0, segments: 1, messages: 2, first: 2 };
    assert!(events(&mut b).contains(&RabbitEvent::Stream(t)), "the new segment (10 bytes) leaves no room for 0-1 (20)");
    read(&mut b, C1, 0, 10, Some(OffsetSpec::At(1))).unwrap();
    assert_eq!(offsets(&mut b), [(C1, 1, 2)], "an offset before the start reads from the first held");
}
