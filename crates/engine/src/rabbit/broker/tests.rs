//! The broker state machine, case by case: each test is one rule of RabbitMQ's, driven through
//! the same methods the node calls.

use super::dead_letter::is_death_cycle;
use super::*;
use crate::rabbit::event::Gone;
use crate::rabbit::exchange::DEFAULT;
use crate::rabbit::msg::*;
use crate::rabbit::queue::{Overflow, QueueArgs, QueueDecl};
use crate::rabbit::routing::{ExchangeType, Table};

pub(super) const P: NodeId = NodeId(10);
pub(super) const C1: NodeId = NodeId(11);
pub(super) const C2: NodeId = NodeId(12);

/// Exchanges get ids 6, 7, … after the predeclared ones; queues 0, 1, ….
pub(super) fn broker(exchanges: &[(&str, ExchangeType)], queues: &[&str]) -> Broker {
    let names =
        Broker::names_with(exchanges.iter().map(|(n, _)| Rc::from(*n)), queues.iter().map(|q| Rc::from(*q)).collect());
    let mut b = Broker::new(NodeId(0), names);
    for (i, (_, kind)) in exchanges.iter().enumerate() {
        let decl = ExchangeDecl { kind: *kind, durable: true, auto_delete: false, alternate: None };
        b.declare_exchange(6 + i as u16, decl).unwrap();
    }
    b.open(P, true, Time::ZERO);
    b
}

pub(super) fn durable(args: QueueArgs) -> QueueDecl {
    QueueDecl { durable: true, exclusive: false, auto_delete: false, args }
}

pub(super) fn declare(b: &mut Broker, q: u16, args: QueueArgs) {
    b.declare_queue(P, q, durable(args), Time::ZERO).unwrap();
}

pub(super) fn publish(b: &mut Broker, seq: u64, exchange: u16, key: &str, now: Time) {
    let props = Props { persistent: true, size: 10, ..Props::default() };
    let p = Publish { seq, exchange, routing_key: key.into(), props, mandatory: false, published_at: now };
    b.publish(P, &p, now).unwrap();
}

pub(super) fn consume(b: &mut Broker, c: NodeId, q: u16, prefetch: u16) {
    b.open(c, false, Time::ZERO);
    b.consume(c, q, 0, Some(prefetch), false, Time::ZERO).unwrap();
}

/// The deliveries sent since the last call: (consumer, tag, seq, redelivered).
pub(super) fn deliveries(b: &mut Broker) -> Vec<(NodeId, u64, u64, bool)> {
    let out: Vec<_> = b
        .out
        .sends
        .iter()
        .filter_map(|(to, m)| match m {
            RabbitMsg::Deliver(d) => Some((*to, d.tag, d.seq, d.redelivered)),
            _ => None,
        })
        .collect();
    b.out.sends.retain(|(_, m)| !matches!(m, RabbitMsg::Deliver(_)));
    out
}

pub(super) fn confirms(b: &mut Broker) -> Vec<(u64, bool)> {
    let c = b.out.sends.iter().filter_map(|(_, m)| match m {
        RabbitMsg::Confirm { seq, ack } => Some((*seq, *ack)),
        _ => None,
    });
    let c = c.collect();
    b.out.sends.clear();
    c
}

pub(super) fn events(b: &mut Broker) -> Vec<RabbitEvent> {
    std::mem::take(&mut b.out.events)
}

#[test]
fn the_default_exchange_routes_by_queue_name_and_refuses_changes() {
    let mut b = broker(&[], &["orders"]);
    declare(&mut b, 0, QueueArgs::default());
    consume(&mut b, C1, 0, 0);
    publish(&mut b, 1, DEFAULT, "orders", Time::ZERO);
    publish(&mut b, 2, DEFAULT, "nobody", Time::ZERO);
    assert_eq!(deliveries(&mut b), [(C1, 1, 1, false)]);
    let decl = ExchangeDecl { kind: ExchangeType::Direct, durable: true, auto_delete: false, alternate: None };
    assert_eq!(b.declare_exchange(DEFAULT, decl).unwrap_err().0.code, ACCESS_REFUSED);
    assert_eq!(b.delete_exchange(DEFAULT).unwrap_err().0.code, ACCESS_REFUSED);
    let none = Rc::new(Table::default());
    assert_eq!(b.bind(P, DEFAULT, Dest::Queue(0), "x", &none).unwrap_err().0.code, ACCESS_REFUSED);
    assert_eq!(b.delete_exchange(3).unwrap_err().0.code, ACCESS_REFUSED, "amq.topic is a system exchange");
}

#[test]
fn protocol_errors_are_values() {
    let mut b = broker(&[("x", ExchangeType::Topic)], &["q", "amq.q"]);
    declare(&mut b, 0, QueueArgs::default());
    let other = QueueArgs { max_length: Some(5), ..QueueArgs::default() };
    assert_eq!(b.declare_queue(P, 0, durable(other), Time::ZERO).unwrap_err().0.code, PRECONDITION_FAILED);
    assert_eq!(b.declare_queue(P, 1, durable(QueueArgs::default()), Time::ZERO).unwrap_err().0.code, ACCESS_REFUSED);
    let fanout = ExchangeDecl { kind: ExchangeType::Fanout, durable: true, auto_delete: false, alternate: None };
    assert_eq!(b.declare_exchange(6, fanout).unwrap_err().0.code, PRECONDITION_FAILED, "redeclared as another type");
    let none = Rc::new(Table::default());
    assert_eq!(b.bind(P, 6, Dest::Queue(1), "k", &none).unwrap_err().0.code, NOT_FOUND);
    assert_eq!(b.bind(P, 6, Dest::Queue(0), "#.#.#", &none).unwrap_err().0.code, PRECONDITION_FAILED);
    b.delete_exchange(6).unwrap();
    let p = Publish {
        seq: 0,
        exchange: 6,
        routing_key: "k".into(),
        props: Props::default(),
        mandatory: false,
        published_at: Time::ZERO,
    };
    assert_eq!(b.publish(P, &p, Time::ZERO).unwrap_err().0.code, NOT_FOUND);
    b.fail(P, err(NOT_FOUND, "no exchange", None), Time::ZERO);
    assert!(!b.has_channel(P), "a channel error closes the channel");
}

#[test]
fn round_robin_among_consumers_with_prefetch_room() {
    let mut b = broker(&[], &["q"]);
    declare(&mut b, 0, QueueArgs::default());
    consume(&mut b, C1, 0, 1);
    consume(&mut b, C2, 0, 2);
    for seq in 0..5 {
        publish(&mut b, seq, DEFAULT, "q", Time::ZERO);
    }
    let got: Vec<(NodeId, u64)> = deliveries(&mut b).iter().map(|d| (d.0, d.2)).collect();
    assert_eq!(got, [(C1, 0), (C2, 1), (C2, 2)], "C1 is full after one, C2 after two");
    assert_eq!(b.queue(0).unwrap().ready(), 2);
    b.settle(C2, 2, true, SettleOp::Ack, Time::ZERO).unwrap(); // acks tags 1 and 2 of C2
    let got: Vec<(NodeId, u64)> = deliveries(&mut b).iter().map(|d| (d.0, d.2)).collect();
    assert_eq!(got, [(C2, 3), (C2, 4)]);
    assert_eq!(b.settle(C2, 99, false, SettleOp::Ack, Time::ZERO).unwrap_err().0.code, PRECONDITION_FAILED);
}

#[test]
fn requeue_restores_the_original_position_marked_redelivered() {
    let mut b = broker(&[], &["q"]);
    declare(&mut b, 0, QueueArgs::default());
    consume(&mut b, C1, 0, 2);
    for seq in 0..4 {
        publish(&mut b, seq, DEFAULT, "q", Time::ZERO);
    }
    deliveries(&mut b);
    b.settle(C1, 2, false, SettleOp::Nack { requeue: true }, Time::ZERO).unwrap();
    b.settle(C1, 1, false, SettleOp::Reject { requeue: true }, Time::ZERO).unwrap();
    // seq 1 went back to the head and is redelivered at once (room for one), then seq 0.
    let got: Vec<(u64, bool)> = deliveries(&mut b).iter().map(|d| (d.2, d.3)).collect();
    assert_eq!(got, [(1, true), (0, true)]);
    b.client_gone(C1, Time::ZERO);
    consume(&mut b, C2, 0, 0);
    let got: Vec<(u64, bool)> = deliveries(&mut b).iter().map(|d| (d.2, d.3)).collect();
    assert_eq!(got, [(0, true), (1, true), (2, false), (3, false)], "a dead consumer's messages return in order");
}

pub(super) fn dlx_setup(args: QueueArgs) -> Broker {
    let mut b = broker(&[("work", ExchangeType::Direct), ("dlx", ExchangeType::Fanout)], &["q", "dead"]);
    let args = QueueArgs { dlx: Some(7), ..args };
    declare(&mut b, 0, args);
    declare(&mut b, 1, QueueArgs::default());
    let none = Rc::new(Table::default());
    b.bind(P, 6, Dest::Queue(0), "k", &none).unwrap();
    b.bind(P, 7, Dest::Queue(1), "", &none).unwrap();
    b
}

pub(super) fn dead(b: &Broker) -> Vec<Entry> {
    let mut q = b.queue(1).unwrap().clone();
    std::iter::from_fn(|| q.pop()).collect()
}

#[test]
fn rejected_messages_are_dead_lettered_with_an_x_death() {
    let mut b = dlx_setup(QueueArgs::default());
    consume(&mut b, C1, 0, 0);
    publish(&mut b, 7, 6, "k", Time::ms(1));
    b.settle(C1, 1, false, SettleOp::Reject { requeue: false }, Time::ms(2)).unwrap();
    let d = dead(&b);
    assert_eq!(d.len(), 1);
    let deaths = d[0].msg.deaths.as_ref().unwrap();
    let want = Death {
        queue: 0,
        reason: Reason::Rejected,
        count: 1,
        exchange: 6,
        routing_key: "k".into(),
        cc: None,
        time: Time::ms(2),
        original_expiration: None,
    };
    assert_eq!(**deaths, [want]);
    assert_eq!(d[0].msg.exchange, 7, "now published to the DLX");
}

#[test]
fn expiry_at_the_head_dead_letters_and_drops_the_per_message_ttl() {
    let mut b = dlx_setup(QueueArgs { message_ttl: Some(Time::ms(10)), ..QueueArgs::default() });
    publish(&mut b, 0, 6, "k", Time::ZERO);
    assert_eq!(b.out.timers, [(Time::ms(10), RabbitTimer::Ttl { queue: 0 })]);
    b.timer(RabbitTimer::Ttl { queue: 0 }, Time::ms(9)); // a stale or early timer changes nothing
    assert_eq!(b.queue(0).unwrap().ready(), 1);
    b.timer(RabbitTimer::Ttl { queue: 0 }, Time::ms(10));
    let d = dead(&b);
    assert_eq!(d[0].msg.deaths.as_ref().unwrap()[0].reason, Reason::Expired);
    assert!(events(&mut b).iter().any(|e| matches!(e, RabbitEvent::DeadLettered { reason: Reason::Expired, .. })));
}

#[test]
fn max_length_drop_head_and_reject_publish() {
    let mut b = dlx_setup(QueueArgs { max_length: Some(2), ..QueueArgs::default() });
    for seq in 0..3 {
        publish(&mut b, seq, 6, "k", Time::ZERO);
    }
    assert_eq!(dead(&b)[0].msg.seq, 0, "drop-head dead-letters the oldest");
    assert_eq!(dead(&b)[0].msg.deaths.as_ref().unwrap()[0].reason, Reason::Maxlen);
    assert!(confirms(&mut b).iter().all(|c| c.1), "drop-head confirms every publish");

    let mut b = dlx_setup(QueueArgs { max_length: Some(1), overflow: Overflow::RejectPublish, ..QueueArgs::default() });
    publish(&mut b, 0, 6, "k", Time::ZERO);
    publish(&mut b, 1, 6, "k", Time::ZERO);
    assert_eq!(confirms(&mut b), [(1, true), (2, false)], "the publish that does not fit is nacked");
    assert!(dead(&b).is_empty());

    let mut b =
        dlx_setup(QueueArgs { max_length: Some(1), overflow: Overflow::RejectPublishDlx, ..QueueArgs::default() });
    publish(&mut b, 0, 6, "k", Time::ZERO);
    publish(&mut b, 1, 6, "k", Time::ZERO);
    assert_eq!(confirms(&mut b), [(1, true), (2, false)]);
    assert_eq!(dead(&b)[0].msg.seq, 1, "reject-publish-dlx dead-letters the refused message");
}

#[test]
fn a_consumer_waiting_takes_a_message_with_zero_ttl() {
    let mut b = dlx_setup(QueueArgs { message_ttl: Some(Time::ZERO), ..QueueArgs::default() });
    publish(&mut b, 0, 6, "k", Time::ZERO); // nobody consumes: expires at once
    assert_eq!(dead(&b).len(), 1);
    consume(&mut b, C1, 0, 0);
    publish(&mut b, 1, 6, "k", Time::ZERO);
    assert_eq!(deliveries(&mut b).len(), 1, "delivered before it could expire");
}

#[test]
fn dead_letter_cycles_are_dropped_unless_a_rejection_breaks_them() {
    // q dead-letters into the default exchange with its own name as key: a cycle.
    let mut b = broker(&[], &["q"]);
    let args = QueueArgs { dlx: Some(DEFAULT), dl_routing_key: Some("q".into()), ..QueueArgs::default() };
    let args = QueueArgs { message_ttl: Some(Time::ms(1)), ..args };
    declare(&mut b, 0, args);
    publish(&mut b, 0, DEFAULT, "q", Time::ZERO);
    b.timer(RabbitTimer::Ttl { queue: 0 }, Time::ms(1));
    assert!(events(&mut b).iter().any(|e| matches!(e, RabbitEvent::Discarded { cycle: true, .. })));
    assert_eq!(b.queue(0).unwrap().ready(), 0);
    let rejected = Death {
        queue: 0,
        reason: Reason::Rejected,
        count: 1,
        exchange: 0,
        routing_key: "q".into(),
        cc: None,
        time: Time::ZERO,
        original_expiration: None,
    };
    let expired = Death { reason: Reason::Expired, ..rejected.clone() };
    assert!(is_death_cycle(0, std::slice::from_ref(&expired)));
    assert!(!is_death_cycle(0, std::slice::from_ref(&rejected)));
    assert!(!is_death_cycle(0, &[Death { queue: 1, ..rejected }, expired.clone()]), "a rejection since breaks it");
    assert!(!is_death_cycle(2, &[expired]));
}

#[test]
fn mandatory_returns_and_alternate_exchanges() {
    let mut b = broker(&[("x", ExchangeType::Direct), ("ae", ExchangeType::Fanout)], &["unrouted"]);
    declare(&mut b, 0, QueueArgs::default());
    let none = Rc::new(Table::default());
    b.bind(P, 7, Dest::Queue(0), "", &none).unwrap();
    let p = |seq| Publish {
        seq,
        exchange: 6,
        routing_key: "nobody".into(),
        props: Props::default(),
        mandatory: true,
        published_at: Time::ZERO,
    };
    b.publish(P, &p(0), Time::ZERO).unwrap();
    assert_eq!(b.out.sends, [(P, RabbitMsg::Return { seq: 0 }), (P, RabbitMsg::Confirm { seq: 1, ack: true })]);
    b.out.sends.clear();
    let with_ae = ExchangeDecl { kind: ExchangeType::Direct, durable: true, auto_delete: false, alternate: Some(7) };
    b.delete_exchange(6).unwrap();
    b.declare_exchange(6, with_ae).unwrap();
    b.publish(P, &p(1), Time::ZERO).unwrap();
    assert_eq!(b.out.sends, [(P, RabbitMsg::Confirm { seq: 2, ack: true })], "the AE routed it: no return");
    assert_eq!(b.queue(0).unwrap().ready(), 1);
}

#[test]
fn single_active_consumer_hands_over_in_registration_order() {
    let mut b = broker(&[], &["q"]);
    declare(&mut b, 0, QueueArgs { single_active_consumer: true, ..QueueArgs::default() });
    consume(&mut b, C1, 0, 1);
    consume(&mut b, C2, 0, 1);
    publish(&mut b, 0, DEFAULT, "q", Time::ZERO);
    publish(&mut b, 1, DEFAULT, "q", Time::ZERO);
    assert_eq!(deliveries(&mut b), [(C1, 1, 0, false)], "only the active consumer receives");
    b.client_gone(C1, Time::ZERO);
    let got = deliveries(&mut b);
    assert_eq!(got, [(C2, 1, 0, true)], "C2 takes over, starting with C1's unacked message");
    assert!(events(&mut b).iter().any(|e| matches!(e, RabbitEvent::ConsumerActive { consumer: C2, .. })));
}

#[test]
fn priorities_deliver_the_highest_first() {
    let mut b = broker(&[], &["q"]);
    declare(&mut b, 0, QueueArgs { max_priority: Some(5), ..QueueArgs::default() });
    for (seq, priority) in [(0, 1), (1, 5), (2, 3)] {
        let props = Props { priority, ..Props::default() };
        let p = Publish {
            seq,
            exchange: DEFAULT,
            routing_key: "q".into(),
            props,
            mandatory: false,
            published_at: Time::ZERO,
        };
        b.publish(P, &p, Time::ZERO).unwrap();
    }
    consume(&mut b, C1, 0, 0);
    let got: Vec<u64> = deliveries(&mut b).iter().map(|d| d.2).collect();
    assert_eq!(got, [1, 2, 0]);
}

#[test]
fn a_restart_keeps_durable_queues_and_persistent_messages_only() {
    let mut b = broker(&[("tx", ExchangeType::Fanout)], &["durable", "transient"]);
    let ex = ExchangeDecl { kind: ExchangeType::Fanout, durable: false, auto_delete: false, alternate: None };
    b.delete_exchange(6).unwrap();
    b.declare_exchange(6, ex).unwrap();
    declare(&mut b, 0, QueueArgs::default());
    b.declare_queue(P, 1, QueueDecl::default(), Time::ZERO).unwrap();
    consume(&mut b, C1, 0, 1);
    publish(&mut b, 0, DEFAULT, "durable", Time::ZERO); // delivered, unacked
    publish(&mut b, 1, DEFAULT, "durable", Time::ZERO);
    let transient = Publish {
        seq: 2,
        exchange: DEFAULT,
        routing_key: "durable".into(),
        props: Props::default(),
        mandatory: false,
        published_at: Time::ZERO,
    };
    b.publish(P, &transient, Time::ZERO).unwrap();
    publish(&mut b, 3, DEFAULT, "transient", Time::ZERO);
    b.crash();
    b.recover(Time::ms(5));
    assert!(b.exchange(6).is_none(), "a transient exchange is gone");
    assert!(b.queue(1).is_none(), "a transient queue is gone");
    let ev = events(&mut b);
    assert!(ev.contains(&RabbitEvent::Recovered { queue: 0, messages: 2, lost: 1 }), "{ev:?}");
    assert!(ev.contains(&RabbitEvent::QueueDeleted { queue: 1, messages: 1, why: Gone::Restart }));
    b.out.sends.clear();
    consume(&mut b, C1, 0, 0);
    let got: Vec<(u64, bool)> = deliveries(&mut b).iter().map(|d| (d.2, d.3)).collect();
    assert_eq!(got, [(0, true), (1, false)], "the unacked persistent message comes back redelivered");
}

#[test]
fn exclusive_auto_delete_and_expiring_queues_go() {
    let mut b = broker(&[], &["excl", "auto", "idle"]);
    let excl = QueueDecl { exclusive: true, ..QueueDecl::default() };
    b.open(C1, false, Time::ZERO);
    b.declare_queue(C1, 0, excl.clone(), Time::ZERO).unwrap();
    assert_eq!(b.declare_queue(C2, 0, excl, Time::ZERO).unwrap_err().0.code, RESOURCE_LOCKED);
    b.declare_queue(P, 1, QueueDecl { auto_delete: true, ..QueueDecl::default() }, Time::ZERO).unwrap();
    consume(&mut b, C2, 1, 0);
    let idle =
        QueueDecl { args: QueueArgs { expires: Some(Time::secs(1)), ..QueueArgs::default() }, ..QueueDecl::default() };
    b.declare_queue(P, 2, idle, Time::ZERO).unwrap();
    b.client_gone(C1, Time::ZERO);
    assert!(b.queue(0).is_none(), "exclusive: gone with its connection");
    assert!(b.queue(1).is_some(), "auto-delete: still has a consumer");
    b.client_gone(C2, Time::ZERO);
    assert!(b.queue(1).is_none(), "auto-delete: its last consumer left");
    b.timer(RabbitTimer::Expires { queue: 2 }, Time::secs(1));
    assert!(b.queue(2).is_none(), "x-expires: unused for a second");
}
