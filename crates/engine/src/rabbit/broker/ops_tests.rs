//! The AMQP operations beyond publish / consume / ack, one rule of RabbitMQ's per test:
//! basic.cancel, basic.get, several consumers per channel with basic.qos `global`, CC / BCC,
//! the `x-first-death-*` headers, unbind and delete during a run.

use super::tests::*;
use super::*;
use crate::rabbit::exchange::DEFAULT;
use crate::rabbit::msg::*;
use crate::rabbit::queue::QueueArgs;
use crate::rabbit::routing::{ExchangeType, Table, Value};

fn got(b: &mut Broker) -> Vec<(u64, u64, Option<u32>, Option<u16>)> {
    let out = b.out.sends.iter().filter_map(|(_, m)| match m {
        RabbitMsg::Deliver(d) => Some((d.tag, d.seq, d.message_count, d.ctag)),
        RabbitMsg::GetEmpty => Some((0, 0, None, None)),
        _ => None,
    });
    let out = out.collect();
    b.out.sends.clear();
    out
}

#[test]
fn cancel_keeps_the_unacked_messages_with_the_channel_until_acked_or_closed() {
    let mut b = broker(&[], &["q"]);
    declare(&mut b, 0, QueueArgs::default());
    consume(&mut b, C1, 0, 0);
    for seq in 0..3 {
        publish(&mut b, seq, DEFAULT, "q", Time::ZERO);
    }
    assert_eq!(deliveries(&mut b).len(), 3);
    b.cancel(C1, 0, Time::ZERO);
    assert!(events(&mut b).contains(&RabbitEvent::Cancelled { queue: 0, consumer: C1, unacked: 3 }));
    publish(&mut b, 3, DEFAULT, "q", Time::ZERO);
    assert!(deliveries(&mut b).is_empty(), "no consumer any more");
    assert_eq!(b.unacked(C1), 3, "still held by the channel");
    b.settle(C1, 1, false, SettleOp::Ack, Time::ZERO).unwrap();
    assert_eq!(b.unacked(C1), 2, "a cancelled consumer's delivery can still be acked");
    assert_eq!(b.queue(0).unwrap().ready(), 1);
    b.client_gone(C1, Time::ZERO);
    let order: Vec<u64> = b.queue(0).unwrap().entries().map(|e| e.msg.seq).collect();
    assert_eq!(order, [1, 2, 3], "back at their positions when the channel closed");
}

#[test]
fn basic_get_counts_what_is_left_and_needs_no_consumer() {
    let mut b = broker(&[], &["q"]);
    declare(&mut b, 0, QueueArgs::default());
    for seq in 0..2 {
        publish(&mut b, seq, DEFAULT, "q", Time::ZERO);
    }
    b.open(C1, false, Time::ZERO);
    b.get(C1, 0, false, Time::ZERO).unwrap();
    b.get(C1, 0, true, Time::ZERO).unwrap();
    b.get(C1, 0, false, Time::ZERO).unwrap();
    assert_eq!(got(&mut b), [(1, 0, Some(1), None), (2, 1, Some(0), None), (0, 0, None, None)]);
    assert_eq!(b.unacked(C1), 1, "no_ack took the second one for good");
    b.settle(C1, 1, false, SettleOp::Nack { requeue: true }, Time::ZERO).unwrap();
    b.get(C1, 0, false, Time::ZERO).unwrap();
    let redelivered = b.out.sends.iter().any(|(_, m)| matches!(m, RabbitMsg::Deliver(d) if d.redelivered));
    assert!(redelivered);
    assert_eq!(b.get(C1, 5, false, Time::ZERO).unwrap_err().0.code, NOT_FOUND);
}

#[test]
fn qos_global_false_is_per_consumer_and_true_is_per_channel() {
    let mut b = broker(&[], &["a", "b"]);
    declare(&mut b, 0, QueueArgs::default());
    declare(&mut b, 1, QueueArgs::default());
    b.open(C1, false, Time::ZERO);
    b.qos(C1, 1, false, Time::ZERO);
    b.consume(C1, 0, 0, None, false, Time::ZERO).unwrap();
    b.consume(C1, 1, 1, None, false, Time::ZERO).unwrap();
    for seq in 0..4 {
        publish(&mut b, seq, DEFAULT, if seq % 2 == 0 { "a" } else { "b" }, Time::ZERO);
    }
    let ctags: Vec<_> = got(&mut b).into_iter().map(|d| d.3).collect();
    assert_eq!(ctags, [Some(0), Some(1)], "one each: the limit is per consumer");
    // A channel-wide limit of 3 lets one more through, to whichever consumer is next with room.
    b.qos(C1, 3, true, Time::ZERO);
    assert_eq!(got(&mut b).len(), 0, "each consumer is still at its own limit of 1");
    b.settle(C1, 1, false, SettleOp::Ack, Time::ZERO).unwrap();
    assert_eq!(got(&mut b).len(), 1);
    b.qos(C1, 0, false, Time::ZERO);
    b.consume(C1, 0, 2, None, false, Time::ZERO).unwrap();
    assert_eq!(b.unacked(C1), 2);
    publish(&mut b, 9, DEFAULT, "a", Time::ZERO);
    assert_eq!(got(&mut b)[0].3, Some(2), "an unlimited consumer, until the channel's 3");
    publish(&mut b, 10, DEFAULT, "a", Time::ZERO);
    assert!(got(&mut b).is_empty(), "the channel holds 3: its global limit");
    assert_eq!(b.consume(C1, 0, 2, None, false, Time::ZERO).unwrap_err().0.code, NOT_ALLOWED);
}

fn strings(ks: &[&str]) -> Value {
    Value::Array(ks.iter().map(|k| Value::Str((*k).into())).collect())
}

#[test]
fn cc_and_bcc_route_and_bcc_is_removed_before_delivery() {
    let mut b = broker(&[("x", ExchangeType::Direct)], &["a", "b", "c"]);
    let none = Rc::new(Table::default());
    for (q, k) in [(0, "a"), (1, "b"), (2, "c")] {
        declare(&mut b, q, QueueArgs::default());
        b.bind(P, 6, Dest::Queue(q), k, &none).unwrap();
    }
    let headers = Table::new(vec![("CC".into(), strings(&["b"])), ("BCC".into(), strings(&["c"]))]);
    let props = Props { headers: Some(Rc::new(headers)), ..Props::default() };
    let p = Publish { seq: 0, exchange: 6, routing_key: "a".into(), props, mandatory: false, published_at: Time::ZERO };
    b.publish(P, &p, Time::ZERO).unwrap();
    for q in 0..3 {
        let e = b.queue(q).unwrap().entries().next().expect("routed by key, CC and BCC");
        let h = e.msg.props.headers.as_deref().unwrap();
        assert!(h.get("CC").is_some() && h.get("BCC").is_none(), "CC stays, BCC is gone");
    }
    let bad = Table::new(vec![("CC".into(), Value::Str("b".into()))]);
    let p = Publish { props: Props { headers: Some(Rc::new(bad)), ..Props::default() }, ..p };
    assert_eq!(b.publish(P, &p, Time::ZERO).unwrap_err().0.code, PRECONDITION_FAILED, "CC must be an array");
}

#[test]
fn the_first_death_is_kept_in_headers_a_headers_exchange_can_route_on() {
    let mut b = broker(&[("work", ExchangeType::Direct), ("dlx", ExchangeType::Headers)], &["q", "rejected", "again"]);
    let none = Rc::new(Table::default());
    declare(&mut b, 0, QueueArgs { dlx: Some(7), ..QueueArgs::default() });
    declare(&mut b, 1, QueueArgs { dlx: Some(7), ..QueueArgs::default() });
    declare(&mut b, 2, QueueArgs::default());
    b.bind(P, 6, Dest::Queue(0), "k", &none).unwrap();
    let on = |v: &str| {
        Rc::new(Table::new(vec![
            ("x-match".into(), Value::Str("all-with-x".into())),
            ("x-first-death-queue".into(), Value::Str(v.into())),
        ]))
    };
    b.bind(P, 7, Dest::Queue(1), "", &on("q")).unwrap();
    b.bind(P, 7, Dest::Queue(2), "", &on("rejected")).unwrap();
    consume(&mut b, C1, 0, 0);
    publish(&mut b, 0, 6, "k", Time::ZERO);
    b.settle(C1, 1, false, SettleOp::Reject { requeue: false }, Time::ms(1)).unwrap();
    let e = b.queue(1).unwrap().entries().next().expect("routed on x-first-death-queue = q").clone();
    let h = e.msg.props.headers.as_deref().unwrap();
    let s = |k: &str| h.get(k).cloned();
    assert_eq!(s("x-first-death-reason"), Some(Value::Str("rejected".into())));
    assert_eq!(s("x-first-death-exchange"), Some(Value::Str("work".into())));
    // Dead-lettered again from "rejected": the first death stays q's, so it goes to "rejected" again,
    // never to "again".
    b.open(C2, false, Time::ZERO);
    b.get(C2, 1, false, Time::ms(2)).unwrap();
    b.settle(C2, 1, false, SettleOp::Reject { requeue: false }, Time::ms(3)).unwrap();
    assert_eq!(b.queue(2).unwrap().ready(), 0);
    let e = b.queue(1).unwrap().entries().next().expect("back in rejected").clone();
    assert_eq!(e.msg.deaths.as_ref().unwrap().len(), 2);
    assert_eq!(e.msg.props.headers.as_deref().unwrap().get("x-first-death-queue"), Some(&Value::Str("q".into())));
}

#[test]
fn unbind_and_delete_change_routing_during_a_run() {
    let mut b = broker(&[("x", ExchangeType::Fanout)], &["q"]);
    declare(&mut b, 0, QueueArgs::default());
    let none = Rc::new(Table::default());
    b.bind(P, 6, Dest::Queue(0), "", &none).unwrap();
    publish(&mut b, 0, 6, "", Time::ZERO);
    b.unbind(6, Dest::Queue(0), "", &none).unwrap();
    b.unbind(6, Dest::Queue(0), "", &none).unwrap();
    assert_eq!(events(&mut b).iter().filter(|e| matches!(e, RabbitEvent::Unbound { .. })).count(), 1, "once");
    publish(&mut b, 1, 6, "", Time::ZERO);
    assert_eq!(b.queue(0).unwrap().ready(), 1, "the second publish found no binding");
    b.delete_queue(0, crate::rabbit::event::Gone::Deleted);
    assert_eq!(b.unbind(6, Dest::Queue(0), "", &none).unwrap_err().0.code, NOT_FOUND);
    b.delete_exchange(6).unwrap();
    assert!(events(&mut b).contains(&RabbitEvent::ExchangeDeleted { exchange: 6 }));
}

#[test]
fn a_multiple_nack_requeues_per_consumer_and_dispatches_between() {
    // RabbitMQ 3.10 observed (tests/data/amqp/two-consumers-round-robin.json): c1 holds 0 and 2,
    // c2 holds 1 and 3; nack all: c1's part goes back and is delivered (0 to c1, 2 to c2) before
    // c2's part (1 to c1, 3 to c2).
    let mut b = broker(&[], &["q"]);
    declare(&mut b, 0, QueueArgs::default());
    b.open(C1, false, Time::ZERO);
    b.consume(C1, 0, 0, None, false, Time::ZERO).unwrap();
    b.consume(C1, 0, 1, None, false, Time::ZERO).unwrap();
    for seq in 0..4 {
        publish(&mut b, seq, DEFAULT, "q", Time::ZERO);
    }
    assert_eq!(
        got(&mut b).iter().map(|d| (d.1, d.3)).collect::<Vec<_>>(),
        [(0, Some(0)), (1, Some(1)), (2, Some(0)), (3, Some(1))]
    );
    b.settle(C1, 0, true, SettleOp::Nack { requeue: true }, Time::ZERO).unwrap();
    assert_eq!(
        got(&mut b).iter().map(|d| (d.1, d.3)).collect::<Vec<_>>(),
        [(0, Some(0)), (2, Some(1)), (1, Some(0)), (3, Some(1))]
    );
}
