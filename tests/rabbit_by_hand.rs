//! The learner as a RabbitMQ consumer's application (`rabbit-by-hand`): deliveries held until
//! settled by `Command::settle` (the page's ack / nack / reject buttons, or a fault script), the
//! prefetch window stopping deliveries, TTL expiry into a dead-letter exchange, and the three
//! overflow modes of a queue at its length limit.

use brokerlab::engine::models::drain_rabbit as drain;
use brokerlab::engine::presets;
use brokerlab::engine::rabbit::event::RabbitEvent;
use brokerlab::engine::rabbit::msg::{Reason, SettleOp};
use brokerlab::engine::rabbit::node::names;
use brokerlab::engine::{Command, NodeId, Simulation, Time};

fn node(sim: &Simulation, name: &str) -> NodeId {
    let i = sim.world().nodes.iter().position(|n| n.name == name).expect(name);
    NodeId(i as u32)
}

fn queue(sim: &Simulation, name: &str) -> u16 {
    names(sim.world()).unwrap().queue_id(name).expect(name)
}

/// (tag, seq) of every delivery to `consumer`.
fn deliveries(events: &[RabbitEvent], consumer: NodeId) -> Vec<(u64, bool)> {
    events
        .iter()
        .filter_map(|e| match *e {
            RabbitEvent::Delivered { consumer: c, tag, redelivered, .. } if c == consumer => Some((tag, redelivered)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_holding_consumer_fills_its_prefetch_window_and_settles_only_by_hand() {
    let scenario = presets::load("rabbit-by-hand").unwrap();
    let mut sim = Simulation::new(&scenario, 1).unwrap();
    let you = node(&sim, "you");
    // `app` publishes every 250 ms: by 2 s, 8 messages; the window of 3 holds the first three.
    sim.run_until(Time::secs(2));
    let ev = drain(&mut sim);
    assert_eq!(deliveries(&ev, you), vec![(1, false), (2, false), (3, false)]);
    assert!(!ev.iter().any(|e| matches!(e, RabbitEvent::Processed { consumer, .. } if *consumer == you)));

    // ack 1, nack 2 with requeue, reject 3 without: two places free, message 2 comes back first.
    let settle = |tag, op| Command::settle(you, tag, false, op);
    sim.apply(settle(1, SettleOp::Ack)).unwrap();
    sim.apply(settle(2, SettleOp::Nack { requeue: true })).unwrap();
    sim.apply(settle(3, SettleOp::Reject { requeue: false })).unwrap();
    // A tag it no longer holds changes nothing (no channel error, no event).
    sim.apply(settle(1, SettleOp::Ack)).unwrap();
    sim.run_until(Time::ms(2_010));
    let ev = drain(&mut sim);
    let inbox = queue(&sim, "inbox");
    let processed =
        ev.iter().filter(|e| matches!(e, RabbitEvent::Processed { consumer, .. } if *consumer == you)).count();
    assert_eq!(processed, 3, "{ev:?}");
    assert!(ev.iter().any(|e| matches!(e, RabbitEvent::Acked { queue, tag: 1, .. } if *queue == inbox)));
    assert!(ev.iter().any(|e| matches!(e, RabbitEvent::Requeued { queue, .. } if *queue == inbox)));
    assert!(ev.iter().any(
        |e| matches!(e, RabbitEvent::DeadLettered { queue, reason: Reason::Rejected, count: 1, .. } if *queue == inbox)
    ));
    assert!(!ev.iter().any(|e| matches!(e, RabbitEvent::ChannelError { .. })), "{ev:?}");
    // The three settles reach the broker one by one: the ack frees a place, filled at once by the
    // next ready message (tag 4); then the nack puts message 2 back at the head of the queue, and
    // it is redelivered, flagged (tag 5); the reject frees the third place (tag 6).
    assert_eq!(deliveries(&ev, you), vec![(4, false), (5, true), (6, false)]);

    // ack with multiple settles every held delivery up to the tag in one basic.ack.
    sim.apply(Command::settle(you, 6, true, SettleOp::Ack)).unwrap();
    sim.run_until(Time::ms(2_020));
    let ev = drain(&mut sim);
    let acked: Vec<u64> = ev
        .iter()
        .filter_map(|e| match *e {
            RabbitEvent::Acked { tag, .. } => Some(tag),
            _ => None,
        })
        .collect();
    assert_eq!(acked, vec![4, 5, 6]);
}

#[test]
fn ttl_expires_into_the_dead_letter_exchange_and_each_overflow_mode_does_its_own_thing() {
    let scenario = presets::load("rabbit-by-hand").unwrap();
    let mut sim = Simulation::new(&scenario, 1).unwrap();
    sim.run_until(Time::secs(4));
    let ev = drain(&mut sim);
    let q = |name| queue(&sim, name);
    let dead = |queue: u16, reason: Reason| {
        ev.iter()
            .filter(
                |e| matches!(e, RabbitEvent::DeadLettered { queue: x, reason: r, .. } if *x == queue && *r == reason),
            )
            .count()
    };
    // Every message of `expiring` (6, nobody consumes it) expires after 300 ms into dlx.
    assert_eq!(dead(q("expiring"), Reason::Expired), 6);
    // 8 into a queue of at most 5: drop-head dead-letters the 3 oldest, reject-publish refuses
    // 3 (no dead letters: it has a DLX, but reject-publish does not use it), reject-publish-dlx
    // refuses 3 and dead-letters them.
    assert_eq!(dead(q("drop-head"), Reason::Maxlen), 3);
    let refused = |queue: u16| {
        ev.iter().filter(|e| matches!(e, RabbitEvent::PublishRejected { queue: x, .. } if *x == queue)).count()
    };
    assert_eq!(refused(q("reject-publish")), 3);
    assert_eq!(dead(q("reject-publish"), Reason::Maxlen), 0);
    assert_eq!(refused(q("reject-publish-dlx")), 3);
    assert_eq!(dead(q("reject-publish-dlx"), Reason::Maxlen), 3);
    // One confirm per publish, a nack when any queue refused it: the last 3 are nacked.
    let burst = node(&sim, "burst");
    let nacks = ev
        .iter()
        .filter(|e| matches!(e, RabbitEvent::Confirmed { publisher, ack: false, .. } if *publisher == burst))
        .count();
    assert_eq!(nacks, 3);
}

#[test]
fn a_settle_fault_must_name_a_rabbitmq_consumer() {
    let json = presets::by_slug("rabbit-by-hand").unwrap();
    let with = |fault: &str| json.replace(r#""faults": []"#, &format!(r#""faults": [{fault}]"#));
    let err = |fault: &str| brokerlab::engine::Scenario::from_json(&with(fault)).unwrap_err();
    assert!(err(r#"{"at":"1s","action":"ack","node":"app","tag":1}"#).contains("is not a RabbitMQ consumer"));
    assert!(err(r#"{"at":"1s","action":"ack","node":"you"}"#).contains("`ack` needs `tag`"));
    assert!(err(r#"{"at":"1s","action":"reject","node":"you","tag":1,"multiple":true}"#)
        .contains("`reject` has no `multiple`"));
    assert!(err(r#"{"at":"1s","action":"ack","node":"you","tag":1,"requeue":true}"#).contains("`ack` has no `requeue`"));
    // A scripted settle runs like a click, and round-trips through JSON.
    let s = brokerlab::engine::Scenario::from_json(&with(
        r#"{"at":"1s","action":"nack","node":"you","tag":1,"requeue":true}"#,
    ))
    .unwrap();
    assert_eq!(brokerlab::engine::Scenario::from_json(&s.to_json()).unwrap(), s);
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(Time::ms(1_100));
    let you = node(&sim, "you");
    let ev = drain(&mut sim);
    assert!(ev.iter().any(|e| matches!(e, RabbitEvent::Requeued { consumer, .. } if *consumer == you)));
    assert!(deliveries(&ev, you).iter().any(|&(_, redelivered)| redelivered));
}
