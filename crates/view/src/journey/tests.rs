use super::*;
use brokerlab_engine::kafka::msg::KafkaEvent;
use brokerlab_engine::rabbit::event::RabbitEvent;
use brokerlab_engine::{presets, ModelEvents};

/// A preset run to `until` from its start, with its events.
fn run(preset: &str, until: Time) -> (Simulation, Simulation, Vec<Event>) {
    let s = presets::load(preset).unwrap();
    let start = Simulation::new(&s, s.seed).unwrap();
    let mut sim = start.clone();
    sim.run_until(until);
    let events = sim.drain_events().collect();
    (start, sim, events)
}

fn journey(start: &Simulation, until: Time, subject: Subject, since: Time) -> Diagram {
    trace(&Run { starts: vec![start], log: &[], until }, subject, since)
}

/// Index of the first step whose label starts with `prefix` (a note's or arrow's words).
fn first(d: &Diagram, prefix: &str) -> Option<usize> {
    d.steps.iter().position(|s| s.label.starts_with(prefix))
}

#[test]
fn every_acked_record_on_kafka_basic_is_produced_appended_then_acked() {
    let until = Time::secs(2);
    let (start, sim, events) = run("kafka-basic", until);
    let acked: Vec<(NodeId, u64, Time)> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::ProduceAcked { producer, seq, .. })) => {
                Some((producer, seq, e.at))
            }
            _ => None,
        })
        .collect();
    assert!(acked.len() >= 10, "only {} records acked", acked.len());
    for (producer, seq, at) in acked {
        let d = journey(&start, until, Subject::Kafka { producer: Some(producer), seq }, at);
        let (p, a, k) = (first(&d, "Produce record"), first(&d, "appends it"), first(&d, "ack: offset"));
        assert!(p.is_some() && a.is_some() && k.is_some(), "record {seq}: {:?}", d.labels());
        assert!(p < a && a < k, "record {seq} out of order: {:?}", d.labels());
        // Produce goes from the producer to the broker that appends; the ack comes back from it.
        let (produce, append, ack) = (&d.steps[p.unwrap()], &d.steps[a.unwrap()], &d.steps[k.unwrap()]);
        assert_eq!(d.lifeline(produce.from).node, producer);
        assert_eq!(produce.to, append.from);
        assert_eq!((ack.from, ack.to), (append.from, produce.from));
        assert!(d.steps.iter().all(|s| s.sent <= s.at && s.at <= until));
        assert!(d.steps.windows(2).all(|w| w[0].sent <= w[1].sent), "steps in time order");
        // acks=all: the HW passes it before the ack.
        let hw = first(&d, "HW →").expect("HW step");
        assert!(hw < k.unwrap(), "{:?}", d.labels());
        let _ = &sim;
    }
}

#[test]
fn a_read_record_on_kafka_groups_is_fetched_and_committed() {
    let until = Time::secs(12);
    let (start, _, events) = run("kafka-groups", until);
    let consumed = events
        .iter()
        .find_map(|e| match e.kind {
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::Consumed { tp, offset, .. })) if e.at > Time::secs(7) => {
                Some((tp, offset, e.at))
            }
            _ => None,
        })
        .expect("a read");
    // By its partition and offset, as the partition log names it.
    let s = presets::load("kafka-groups").unwrap();
    let mut sim = Simulation::new(&s, s.seed).unwrap();
    sim.run_until(consumed.2);
    let (_, replica) = crate::kafka::leader(sim.world(), consumed.0).unwrap();
    let rec = *replica.log.get(consumed.1).unwrap();
    let d = journey(
        &start,
        until,
        Subject::KafkaAt { tp: consumed.0, offset: consumed.1, epoch: rec.epoch },
        rec.timestamp,
    );
    let labels = d.labels();
    let order = ["Produce record", "appends it", "Fetch response:", "OffsetCommit"].map(|p| first(&d, p));
    assert!(order.iter().all(Option::is_some), "{labels:?}");
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{labels:?}");
    let roles: Vec<&str> = d.lifelines.iter().map(|l| l.role).collect();
    assert!(roles.contains(&"producer") && roles.contains(&"broker") && roles.contains(&"consumer"), "{roles:?}");
}

#[test]
fn a_dead_lettered_message_on_rabbit_basic_shows_the_dead_letter_hop() {
    let until = Time::secs(2);
    let (start, _, events) = run("rabbit-basic", until);
    let mut ids = Vec::new();
    let mut dead = None;
    for e in &events {
        match e.kind {
            EventKind::Model(ModelEvents::Rabbit(RabbitEvent::Received { m, publisher, seq, .. })) => {
                ids.push((m, publisher, seq, e.at))
            }
            EventKind::Model(ModelEvents::Rabbit(RabbitEvent::DeadLettered { m, .. })) if dead.is_none() => {
                dead = ids.iter().find(|i| i.0 == m).copied()
            }
            _ => {}
        }
    }
    let (_, publisher, seq, at) = dead.expect("a dead-lettered message");
    let d = journey(&start, until, Subject::Rabbit { publisher: Some(publisher), seq }, at);
    let labels = d.labels();
    let order = ["basic.publish", "received as", "basic.deliver", "rejected"].map(|p| first(&d, p));
    assert!(order.iter().all(Option::is_some), "{labels:?}");
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{labels:?}");
    let dl = labels.iter().position(|l| l.contains("dead-letter exchange")).expect("the dead-letter hop");
    assert!(dl > order[3].unwrap());
    assert_eq!(d.steps[dl].tone, Tone::Fail);
    // Routed on into the dead-letter queue after it.
    assert!(labels[dl..].iter().any(|l| l.starts_with("in queue dead-letters")), "{labels:?}");
    assert!(first(&d, "confirm: basic.ack").is_some(), "{labels:?}");
}

#[test]
fn a_failed_produce_is_drawn_as_it_happened_then_retried() {
    // The comparison's producer-retries story: 6 % loss on the producer's link, a 100 ms request
    // timeout, no idempotence.
    let w = (brokerlab_engine::compare::presets::by_slug("producer-retries").unwrap().workload)();
    let seed = 1;
    let until = Time::secs(3);
    let mut sim = Simulation::new(&w.kafka_scenario(seed).unwrap(), seed).unwrap();
    sim.run_until(until);
    let retried: Vec<u64> = sim
        .drain_events()
        .filter_map(|e| match e.kind {
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::Produced { seq, retry: true, .. })) => Some(seq),
            _ => None,
        })
        .collect();
    assert!(!retried.is_empty(), "a retry in the story");
    for seq in retried.into_iter().take(5) {
        let d = compare_lane(&w, System::Kafka, seed, until, seq);
        let labels = d.labels();
        let first_try = first(&d, "Produce record").unwrap();
        let retry = labels.iter().position(|l| l.contains("(retry)")).expect("the retry");
        assert!(first_try < retry, "{labels:?}");
        // Something went wrong between the two: a dropped packet, an error answer or a timeout.
        assert!(d.steps[first_try..retry].iter().any(|s| matches!(s.tone, Tone::Lost | Tone::Fail)), "{labels:?}");
    }
}

#[test]
fn a_stage_story_s_journey_is_the_input_record_s_from_the_producer() {
    let w = (brokerlab_engine::compare::presets::by_slug("exactly-once-processing").unwrap().workload)();
    for system in [System::Kafka, System::Rabbit] {
        let d = compare_lane(&w, system, 1, Time::secs(3), 5);
        let labels = d.labels();
        // One send, the producer's: the stage's own records (Kafka numbers them itself, RabbitMQ's
        // carry the input's number) are not mixed in.
        let first_sends =
            labels.iter().filter(|l| l.starts_with("Produce record") || l.starts_with("basic.publish")).count();
        assert_eq!(first_sends, 1, "{system:?}: {labels:?}");
        assert!(labels.contains(&"stopped (crash)"), "{system:?}: {labels:?}");
        assert!(d.steps.iter().all(|s| s.at <= Time::secs(3)), "{system:?}");
    }
}

#[test]
fn a_violation_s_two_messages_on_competing_consumers() {
    let w = (brokerlab_engine::compare::presets::by_slug("competing-consumers").unwrap().workload)();
    let c = brokerlab_engine::compare::Comparison::run(&w, 1).unwrap();
    let v = c.rabbit.detector.first_out_of_order.expect("RabbitMQ processes out of order");
    let late = compare_lane(&w, System::Rabbit, 1, c.rabbit.now(), compare_seq(&w, v.customer, v.number));
    let early = compare_lane(&w, System::Rabbit, 1, c.rabbit.now(), compare_seq(&w, v.customer, v.after));
    let processed = |d: &Diagram| d.steps.iter().find(|s| s.label == "processed").map(|s| s.at);
    let (late_at, early_at) = (processed(&late).unwrap(), processed(&early).unwrap());
    // The later message (by number) was processed first; the violation's own at the detector's instant.
    assert!(early_at < late_at);
    assert_eq!(late_at, v.at);
    let published = |d: &Diagram| d.steps[first(d, "basic.publish").unwrap()].sent;
    assert!(published(&late) < published(&early), "published in order");
}

#[test]
fn an_event_of_no_message_has_no_journey_and_a_scan_is_bounded() {
    let until = Time::secs(1);
    let (start, _, _) = run("kafka-basic", until);
    let d = journey(&start, until, Subject::Kafka { producer: None, seq: 1_000_000 }, until);
    assert!(d.steps.is_empty());
    assert!(!d.remarks.is_empty());
}
