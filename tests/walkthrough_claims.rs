//! Every walkthrough the page offers, on every preset it offers it on, over several seeds, run as
//! the page runs it (the scenario without its scheduled faults; the engine stepped one entry at a
//! time; the user moving on at each step), with what each step claims checked against the engine:
//! steps in time order, nothing stopped but what the walkthrough itself kills, the followed record
//! stored once in the final leader's log when its producer is idempotent, and the sentences that
//! describe what happened to the retry naming what the log shows.

use brokerlab::engine::kafka::msg::KafkaEvent;
use brokerlab::engine::{presets, Event, EventKind, ModelEvents, Scenario, Simulation, Time};
use brokerlab::view::kafka::leader;
use brokerlab::view::walk::{Kind, Variant, Walk};

const SEEDS: [u64; 3] = [1, 2, 3];

struct Run {
    walk: Walk,
    events: Vec<Event>,
    sim: Simulation,
}

fn walk(slug: &str, variant: Variant, seed: u64) -> Run {
    let mut scenario: Scenario = presets::load(slug).unwrap();
    let held = scenario.faults.len();
    scenario.faults.clear();
    let mut sim = Simulation::new(&scenario, seed).unwrap();
    let mut walk = Walk::new(variant);
    walk.held_faults = held;
    let mut events = vec![];
    let limit = Time::secs(600);
    while !walk.done() && sim.now() < limit {
        if walk.waiting() {
            if let Some(cmd) = walk.advance(sim.world()) {
                sim.apply(cmd).unwrap();
            }
        } else if !sim.step() {
            break;
        }
        let new: Vec<Event> = sim.drain_events().collect();
        for e in &new {
            walk.observe(e, sim.world());
        }
        events.extend(new);
    }
    assert!(walk.done(), "{slug} {variant:?} SEED={seed}: stuck expecting {:?} at {}", walk.expecting(), sim.now());
    Run { walk, events, sim }
}

fn kinds(w: &Walk) -> Vec<Kind> {
    w.steps.iter().map(|s| s.kind).collect()
}

#[test]
fn kafka_walkthroughs_tell_what_the_trace_shows() {
    // KRaft mode offers only the plain walkthrough: with the leader killed, a retry fails again
    // while the controller waits to fence the dead broker, which the narration does not tell yet.
    let both = &[Variant::Normal, Variant::KillLeader][..];
    for (slug, variants) in [
        ("kafka-basic", both),
        ("kafka-groups", both),
        ("kafka-zk-ensemble", both),
        ("kafka-kraft", &[Variant::Normal][..]),
    ] {
        for &variant in variants {
            for seed in SEEDS {
                let Run { walk, events, sim } = walk(slug, variant, seed);
                let at = format!("{slug} {variant:?} SEED={seed}");
                let k = kinds(&walk);
                assert_eq!(k.first(), Some(&Kind::Ready), "{at}: {k:?}");
                // A group member commits; a consumer outside any group has nothing to commit.
                let grouped = !walk.steps.iter().any(|s| s.kind == Kind::Consumed && s.text.contains("(no group)"));
                if grouped {
                    assert_eq!(k.last(), Some(&Kind::Committed), "{at}: {k:?}");
                } else {
                    assert!(k.contains(&Kind::Consumed) && k.contains(&Kind::Acked), "{at}: {k:?}");
                }
                assert!(walk.steps.windows(2).all(|w| w[0].at <= w[1].at), "{at}: steps out of time order");
                let held = presets::load(slug).unwrap().faults.len();
                if held > 0 {
                    assert!(
                        walk.steps[0].text.contains("held back"),
                        "{at}: the first step says the faults are held back"
                    );
                }
                // Nothing stops but the leader the walkthrough kills.
                let stops = events.iter().filter(|e| matches!(e.kind, EventKind::NodeStopped { .. })).count();
                assert_eq!(stops, usize::from(variant == Variant::KillLeader), "{at}: stops");
                // The followed record: which one, from the Produced step's title and the Acked step.
                let produced = walk.steps.iter().find(|s| s.kind == Kind::Produced).unwrap();
                let acked = walk.steps.iter().find(|s| s.kind == Kind::Acked).unwrap();
                let (producer, seq, tp) = events
                    .iter()
                    .find_map(|e| match e.kind {
                        EventKind::Model(ModelEvents::Kafka(KafkaEvent::Produced {
                            producer,
                            seq,
                            tp,
                            retry: false,
                        })) if e.at == produced.at => Some((producer, seq, tp)),
                        _ => None,
                    })
                    .unwrap();
                let (_, replica) = leader(sim.world(), tp).unwrap();
                let copies = replica.log.records().filter(|r| r.value == seq && r.producer == producer.0 + 1).count();
                assert_eq!(copies, 1, "{at}: the idempotent producer's record is stored once");
                if variant == Variant::KillLeader {
                    // The retry's fate, as the Acked step tells it, is what the log shows.
                    let first =
                        events.iter().find_map(|e| match e.kind {
                            EventKind::Model(ModelEvents::Kafka(KafkaEvent::Appended {
                                tp: t, offset, epoch, ..
                            })) if t == tp && e.at >= produced.at => Some((offset, epoch)),
                            _ => None,
                        });
                    let rec = replica.log.records().find(|r| r.value == seq && r.producer == producer.0 + 1).unwrap();
                    let kept = Some((rec.offset, rec.epoch)) == first;
                    let says_kept = acked.text.contains("not stored again");
                    let says_appended = acked.text.contains("the retry is appended now");
                    assert!(
                        says_kept != says_appended,
                        "{at}: the ack step tells the retry's fate once: {}",
                        acked.text
                    );
                    assert_eq!(says_kept, kept, "{at}: {}", acked.text);
                    // No retry of the record failed after the Retried step without being told.
                    let retried = walk.steps.iter().find(|s| s.kind == Kind::Retried).unwrap().at;
                    let failed = events.iter().any(|e| {
                        e.at >= retried
                            && e.at < acked.at
                            && matches!(e.kind, EventKind::Model(ModelEvents::Kafka(KafkaEvent::ProduceFailed { producer: p, seq: s, .. })) if p == producer && s == seq)
                    });
                    assert_eq!(
                        failed,
                        acked.text.contains("retry failed") || acked.text.contains("retries failed"),
                        "{at}: a retry failed between the Retried and Acked steps iff the ack step tells it: {}",
                        acked.text
                    );
                }
            }
        }
    }
}

#[test]
fn rabbit_walkthroughs_reach_their_end_on_every_seed() {
    for slug in ["rabbit-basic"] {
        for variant in [Variant::Rabbit, Variant::RabbitKillConsumer] {
            for seed in SEEDS {
                let Run { walk, events, .. } = walk(slug, variant, seed);
                let at = format!("{slug} {variant:?} SEED={seed}");
                assert!(walk.steps.windows(2).all(|w| w[0].at <= w[1].at), "{at}: steps out of time order");
                let stops = events.iter().filter(|e| matches!(e.kind, EventKind::NodeStopped { .. })).count();
                assert_eq!(stops, usize::from(variant == Variant::RabbitKillConsumer), "{at}: stops");
            }
        }
    }
}
