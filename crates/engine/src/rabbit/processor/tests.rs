use super::*;
use crate::kernel::ctx::Effect;
use crate::kernel::rng::Rng;
use crate::rabbit::Rabbit;

const BROKER: NodeId = NodeId(0);

fn settings(ack_every: u32, processing: Time) -> Settings {
    Settings {
        input: 0,
        exchange: 0,
        routing_key: Some("out".into()),
        props: Props::default(),
        prefetch: 10,
        ack_every,
        processing,
        processing_jitter: Time::ZERO,
        reconnect: Time::secs(5),
        start: None,
    }
}

/// Runs `f` on the processor at `now`; what it sent to the broker, the timers it set, what it emitted.
fn step(p: &mut Processor, now: Time, f: impl FnOnce(&mut Processor, &mut Ctx)) -> Vec<Effect<Rabbit>> {
    let (mut rng, mut effects) = (Rng::new(1), Vec::<Effect<Rabbit>>::new());
    f(p, &mut Ctx::new(now, NodeId(1), &mut rng, &mut effects));
    effects
}

fn delivery(tag: u64, seq: u64, redelivered: bool) -> RabbitMsg {
    RabbitMsg::Deliver(Box::new(Delivery {
        tag,
        redelivered,
        queue: 0,
        publisher: NodeId(2),
        seq,
        published_at: Time::ZERO,
        deaths: None,
        ctag: Some(0),
        message_count: None,
        exchange: 0,
        routing_key: "in".into(),
        headers: None,
    }))
}

/// What the processor sent: publishes (seq, routing key) and settles (tag, multiple, op).
type Sent = (Vec<(u64, String)>, Vec<(u64, bool, SettleOp)>);

fn sent(effects: &[Effect<Rabbit>]) -> Sent {
    let (mut publishes, mut settles) = (vec![], vec![]);
    for e in effects {
        match e {
            Effect::Send { msg: RabbitMsg::Publish(p), .. } => publishes.push((p.seq, p.routing_key.to_string())),
            Effect::Send { msg: RabbitMsg::Settle { tag, multiple, op }, .. } => settles.push((*tag, *multiple, *op)),
            _ => {}
        }
    }
    (publishes, settles)
}

fn confirm(n: u64, ack: bool) -> RabbitMsg {
    RabbitMsg::Confirm { seq: n, ack }
}

#[test]
fn it_opens_a_confirm_channel_and_consumes_with_manual_acks() {
    let mut p = Processor::new(BROKER, settings(1, Time::ZERO));
    let effects = step(&mut p, Time::ZERO, |p, ctx| p.on_start(ctx));
    assert!(matches!(effects[0], Effect::Send { msg: RabbitMsg::Open { confirm: true }, .. }));
    assert!(matches!(
        effects[1],
        Effect::Send { msg: RabbitMsg::Consume { prefetch: Some(10), auto_ack: false, .. }, .. }
    ));
}

#[test]
fn an_input_is_acked_only_after_its_output_is_confirmed_in_batches() {
    let mut p = Processor::new(BROKER, settings(2, Time::ZERO));
    let mut published = vec![];
    for tag in 1..=3 {
        let e = step(&mut p, Time::ms(1), |p, ctx| p.on_message(ctx, delivery(tag, tag * 10, false)));
        let (pubs, settles) = sent(&e);
        assert!(settles.is_empty(), "nothing acked before a confirm");
        published.extend(pubs);
    }
    assert_eq!(published, vec![(10, "out".into()), (20, "out".into()), (30, "out".into())]);
    assert_eq!((p.unacked(), p.published_unacked()), (3, 3));
    // One confirm: the batch of two is not full and more is held.
    let (_, settles) = sent(&step(&mut p, Time::ms(2), |p, ctx| p.on_message(ctx, confirm(1, true))));
    assert!(settles.is_empty());
    // The second: tags 1 and 2 in one multiple ack.
    let (_, settles) = sent(&step(&mut p, Time::ms(2), |p, ctx| p.on_message(ctx, confirm(2, true))));
    assert_eq!(settles, vec![(2, true, SettleOp::Ack)]);
    // The third is all that is held: acked alone, without waiting for a full batch.
    let (_, settles) = sent(&step(&mut p, Time::ms(3), |p, ctx| p.on_message(ctx, confirm(3, true))));
    assert_eq!(settles, vec![(3, false, SettleOp::Ack)]);
    assert_eq!((p.unacked(), p.acked, p.processed), (0, 3, 3));
}

#[test]
fn the_output_keeps_the_inputs_key_unless_one_is_set() {
    let mut p = Processor::new(BROKER, Settings { routing_key: None, ..settings(1, Time::ZERO) });
    let (pubs, _) = sent(&step(&mut p, Time::ms(1), |p, ctx| p.on_message(ctx, delivery(1, 7, false))));
    assert_eq!(pubs, vec![(7, "in".into())]);
}

#[test]
fn work_takes_its_time_one_input_after_another() {
    let mut p = Processor::new(BROKER, settings(1, Time::ms(5)));
    let e = step(&mut p, Time::ms(1), |p, ctx| {
        p.on_message(ctx, delivery(1, 0, false));
        p.on_message(ctx, delivery(2, 1, false));
    });
    assert!(sent(&e).0.is_empty(), "nothing published before the work is done");
    let timers = e.iter().filter(|e| matches!(e, Effect::Timer { after, .. } if *after == Time::ms(5))).count();
    assert_eq!(timers, 1, "one input at a time");
    let e = step(&mut p, Time::ms(6), |p, ctx| p.on_timer(ctx, RabbitTimer::Work { conn: 0 }));
    assert_eq!(sent(&e).0, vec![(0, "out".into())]);
    assert!(e.iter().any(|e| matches!(e, Effect::Emit(RabbitEvent::Processed { seq: 0, .. }))));
    assert!(e.iter().any(|e| matches!(e, Effect::Timer { .. })), "on to the next input");
    // A work timer of an earlier connection is ignored.
    p.on_crash();
    let e = step(&mut p, Time::ms(11), |p, ctx| p.on_timer(ctx, RabbitTimer::Work { conn: 0 }));
    assert!(e.is_empty());
}

#[test]
fn a_nacked_output_sends_its_input_back() {
    let mut p = Processor::new(BROKER, settings(5, Time::ZERO));
    step(&mut p, Time::ms(1), |p, ctx| {
        p.on_message(ctx, delivery(1, 0, false));
        p.on_message(ctx, delivery(2, 1, false));
    });
    let (_, settles) = sent(&step(&mut p, Time::ms(2), |p, ctx| p.on_message(ctx, confirm(1, false))));
    assert_eq!(settles, vec![(1, false, SettleOp::Nack { requeue: true })]);
    let (_, settles) = sent(&step(&mut p, Time::ms(2), |p, ctx| p.on_message(ctx, confirm(2, true))));
    assert_eq!(settles, vec![(2, false, SettleOp::Ack)]);
}

#[test]
fn a_crash_forgets_what_it_held_and_a_redelivery_is_published_again() {
    let mut p = Processor::new(BROKER, settings(3, Time::ZERO));
    step(&mut p, Time::ms(1), |p, ctx| {
        p.on_message(ctx, delivery(1, 0, false));
        p.on_message(ctx, confirm(1, true));
    });
    // Its batch of 3 is not full, but nothing else is held: acked at once.
    assert_eq!(p.unacked(), 0);
    step(&mut p, Time::ms(2), |p, ctx| {
        p.on_message(ctx, delivery(2, 1, false));
        p.on_message(ctx, delivery(3, 2, false));
        p.on_message(ctx, confirm(2, true));
    });
    assert_eq!((p.unacked(), p.published_unacked()), (2, 2), "output published, input not acked");
    p.on_crash();
    assert_eq!((p.unacked(), p.processed), (0, 0));
    // After the restart the broker delivers input seq 1 again, flagged: its output goes out again.
    let e = step(&mut p, Time::ms(9), |p, ctx| {
        p.on_start(ctx);
        p.on_message(ctx, RabbitMsg::OpenOk);
        p.on_message(ctx, delivery(1, 1, true));
    });
    assert_eq!(sent(&e).0, vec![(1, "out".into())]);
    assert!(e.iter().any(|e| matches!(e, Effect::Emit(RabbitEvent::Processed { seq: 1, redelivered: true, .. }))));
}
