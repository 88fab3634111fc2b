//! The side-by-side page's view models, pure and native-tested: chip labels and classes, the
//! violation sentence, and the two topologies laid out in one visual language (producer → router
//! → stores → consumers: exchange and queues for RabbitMQ, topic and partitions for Kafka).

use crate::i18n::{en, t, tf};
use brokerlab_engine::compare::detect::{Chip, Mark, Violation};
use brokerlab_engine::compare::{customer_name, Lane, System, Workload};

/// "A3": customer A's third message.
pub fn chip_label(c: &Chip) -> String {
    format!("{}{}", customer_name(c.customer), c.number)
}

pub fn chip_class(c: &Chip) -> &'static str {
    match (c.mark, c.redelivered) {
        (Mark::InOrder, false) => "chip",
        (Mark::InOrder, true) => "chip redelivered",
        (Mark::OutOfOrder, false) => "chip ooo",
        (Mark::OutOfOrder, true) => "chip ooo redelivered",
        (Mark::Duplicate, _) => "chip dup",
    }
}

/// The chip's tooltip: who processed it when.
pub fn chip_title(c: &Chip) -> String {
    let what = match c.mark {
        Mark::InOrder => "",
        Mark::OutOfOrder => t(", OUT OF ORDER"),
        Mark::Duplicate => t(", DUPLICATE"),
    };
    let again = if c.redelivered { t(", redelivered") } else { "" };
    tf("{0} processed by c{1} at {2}{3}{4}", &[&chip_label(c), &(c.consumer + 1), &c.at, &what, &again])
}

/// With a stage a chip is an output record the reader read, under the instance that wrote it;
/// the texts say so (the plain ones say who processed it).
pub fn stage_chip_title(c: &Chip) -> String {
    let what = match c.mark {
        Mark::InOrder => "",
        Mark::OutOfOrder => t(", OUT OF ORDER"),
        Mark::Duplicate => t(", DUPLICATE"),
    };
    tf("{0} written by c{1}, read by the reader at {2}{3}", &[&chip_label(c), &(c.consumer + 1), &c.at, &what])
}

pub fn stage_out_of_order_text(v: &Violation) -> String {
    let k = customer_name(v.customer);
    tf(
        "first out of order in the output: the reader read {0}{1} (written by c{2}) at {3}, after {0}{4}",
        &[&k, &v.number, &(v.consumer + 1), &v.at, &v.after],
    )
}

pub fn stage_duplicate_text(v: &Violation) -> String {
    let k = customer_name(v.customer);
    tf(
        "first duplicate in the output: the reader read {0}{1} again at {2}, written again by c{3}",
        &[&k, &v.number, &v.at, &(v.consumer + 1)],
    )
}

/// Whether `c` is the violation to highlight.
pub fn is_violation(c: &Chip, v: Option<&Violation>) -> bool {
    v.is_some_and(|v| v.at == c.at && v.consumer == c.consumer && v.customer == c.customer && v.number == c.number)
}

pub fn out_of_order_text(v: &Violation) -> String {
    let k = customer_name(v.customer);
    tf(
        "first out of order: c{0} processed {1}{2} at {3}, after {1}{4} was already processed",
        &[&(v.consumer + 1), &k, &v.number, &v.at, &v.after],
    )
}

pub fn duplicate_text(v: &Violation) -> String {
    let k = customer_name(v.customer);
    tf("first duplicate: c{0} processed {1}{2} again at {3}", &[&(v.consumer + 1), &k, &v.number, &v.at])
}

/// One row of a lane's counts: its name (translated at display), the key of its element id
/// (`cmp-kafka-dup`), the value, and whether it shows something gone wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub name: &'static str,
    pub key: &'static str,
    pub value: String,
    pub bad: bool,
}

fn stat(name: &'static str, key: &'static str, value: String, bad: bool) -> Stat {
    Stat { name, key, value, bad }
}

/// A lane's counts as the page lists them. With a stage (the exactly-once story) they are the
/// reader's view of the output and what the stage did: input records, output records read,
/// duplicates in the output, records lost; what the stage processed again; RabbitMQ's
/// redeliveries to it, Kafka's transactions.
pub fn stats(w: &Workload, lane: &Lane) -> Vec<Stat> {
    let d = &lane.detector;
    let c = d.counts;
    let missing = w.total() - c.unique;
    let lost = match lane.done() {
        true => stat(en("lost"), "lost", missing.to_string(), c.lost > 0),
        false => stat(en("not yet processed"), "lost", missing.to_string(), false),
    };
    let mut rows = match &lane.stage {
        None => vec![
            stat(en("processed"), "processed", tf("{0} of {1}", &[&c.unique, &w.total()]), false),
            stat(en("out of order"), "ooo", c.out_of_order.to_string(), c.out_of_order > 0),
            stat(en("duplicates"), "dup", c.duplicates.to_string(), c.duplicates > 0),
            stat(en("redelivered"), "redelivered", c.redelivered.to_string(), false),
            lost,
        ],
        Some(stage) => {
            let s = stage.counts;
            let mut rows = vec![
                stat(en("input records"), "input", c.published.to_string(), false),
                stat(en("output records read"), "output", c.processed.to_string(), false),
                stat(en("duplicates in the output"), "dup", c.duplicates.to_string(), c.duplicates > 0),
                lost,
                stat(en("processed again by the stage"), "reprocessed", s.reprocessed.to_string(), false),
            ];
            rows.push(match lane.system {
                System::Kafka => stat(
                    en("transactions committed / aborted"),
                    "txns",
                    format!("{} / {}", s.committed, s.aborted),
                    false,
                ),
                System::Rabbit => stat(en("redelivered to the stage"), "redelivered", s.redelivered.to_string(), false),
            });
            rows.push(stat(en("out of order"), "ooo", c.out_of_order.to_string(), c.out_of_order > 0));
            rows
        }
    };
    rows.push(stat(en("throughput (model)"), "throughput", format!("{}/s", d.throughput()), false));
    let latency = format!("{} / {}", d.latency_mean(), d.latency_max);
    rows.push(stat(en("mean / max latency"), "latency", latency, false));
    rows.push(stat(en("trace hash"), "hash", format!("{:016x}", lane.trace_hash()), false));
    rows
}

/// The headings of the chip rows: with a stage, the chips are the output as the reader read it,
/// each under the stage instance that wrote it.
pub fn chip_headings(w: &Workload) -> (&'static str, &'static str) {
    match w.stage {
        None => (t("per customer, in processing order"), t("per consumer, in processing order")),
        Some(_) => (
            t("per customer, the output as the reader read it"),
            t("per stage instance, the output it wrote, as the reader read it"),
        ),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoxKind {
    Producer,
    Router,
    Store,
    Consumer,
}

impl BoxKind {
    pub fn class(self) -> &'static str {
        match self {
            BoxKind::Producer => "producer",
            BoxKind::Router => "router",
            BoxKind::Store => "store",
            BoxKind::Consumer => "consumer",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopoBox {
    pub kind: BoxKind,
    pub label: String,
    pub x: u32,
    pub y: u32,
}

/// A laid-out topology: boxes in four columns and the edges between them (indices into `boxes`),
/// each edge with an optional label (binding keys, partition keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topo {
    pub boxes: Vec<TopoBox>,
    pub edges: Vec<(usize, usize, String)>,
    pub height: u32,
}

pub const TOPO_W: u32 = 520;
pub const BOX_W: u32 = 92;
pub const BOX_H: u32 = 24;
const ROW: u32 = 30;
const COLS: [u32; 4] = [6, 136, 286, 422];

/// Lays out one lane. `owners[i]`: the Kafka partitions consumer i owns (a bit each); RabbitMQ's
/// queue → consumer edges follow from the workload.
pub fn topology(w: &Workload, system: System, owners: &[u64]) -> Topo {
    let stores: Vec<String> = match system {
        System::Kafka => (0..w.kafka.partitions).map(|p| format!("orders-{p}")).collect(),
        System::Rabbit if w.rabbit.queue_per_consumer => {
            (1..=w.consumers).map(|i| tf("queue orders-{0}", &[&i])).collect()
        }
        System::Rabbit if w.rabbit.single_active_consumer => vec![t("queue orders (SAC)").into()],
        System::Rabbit => vec![t("queue orders").into()],
    };
    let rows = (stores.len() as u32).max(w.consumers).max(1);
    let height = rows * ROW + 8;
    let centre = |n: u32, i: u32| (height - n * ROW) / 2 + i * ROW + 4;
    let mut boxes = vec![TopoBox { kind: BoxKind::Producer, label: t("producer").into(), x: COLS[0], y: centre(1, 0) }];
    let router = match system {
        System::Kafka => t("topic orders"),
        System::Rabbit => t("exchange orders"),
    };
    boxes.push(TopoBox { kind: BoxKind::Router, label: router.into(), x: COLS[1], y: centre(1, 0) });
    let n = stores.len() as u32;
    for (i, s) in stores.into_iter().enumerate() {
        boxes.push(TopoBox { kind: BoxKind::Store, label: s, x: COLS[2], y: centre(n, i as u32) });
    }
    let first_consumer = boxes.len();
    for i in 0..w.consumers {
        boxes.push(TopoBox {
            kind: BoxKind::Consumer,
            label: format!("c{}", i + 1),
            x: COLS[3],
            y: centre(w.consumers, i),
        });
    }
    let mut edges = vec![(0, 1, String::new())];
    let customers_of = |store: u32, stores: u32| -> String {
        (0..w.customers).filter(|k| k % stores == store).map(customer_name).collect()
    };
    for s in 0..n {
        // Which customers reach this store: RabbitMQ's binding keys (k mod C per queue); for
        // Kafka the murmur2 partition, which the page does not recompute here: left unlabelled.
        let label = match system {
            System::Rabbit if n > 1 => customers_of(s, n),
            System::Rabbit => t("all keys").into(),
            System::Kafka => String::new(),
        };
        edges.push((1, 2 + s as usize, label));
        for c in 0..w.consumers {
            let reads = match system {
                System::Kafka => owners.get(c as usize).is_some_and(|o| o & (1 << s) != 0),
                System::Rabbit if n > 1 => c == s,
                System::Rabbit => true,
            };
            if reads {
                edges.push((2 + s as usize, first_consumer + c as usize, String::new()));
            }
        }
    }
    Topo { boxes, edges, height }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::compare::presets;
    use brokerlab_engine::time::Time;

    fn chip(mark: Mark, redelivered: bool) -> Chip {
        Chip { at: Time::ms(5), consumer: 1, customer: 2, number: 7, redelivered, mark }
    }

    #[test]
    fn chips_say_what_happened() {
        assert_eq!(chip_label(&chip(Mark::InOrder, false)), "C7");
        assert_eq!(chip_class(&chip(Mark::OutOfOrder, true)), "chip ooo redelivered");
        assert_eq!(chip_title(&chip(Mark::Duplicate, false)), "C7 processed by c2 at 5ms, DUPLICATE");
        let v = Violation { at: Time::ms(5), consumer: 1, customer: 2, number: 7, after: 9 };
        assert!(is_violation(&chip(Mark::OutOfOrder, false), Some(&v)));
        assert!(!is_violation(&chip(Mark::OutOfOrder, false), None));
        assert_eq!(out_of_order_text(&v), "first out of order: c2 processed C7 at 5ms, after C9 was already processed");
        assert_eq!(
            stage_chip_title(&chip(Mark::Duplicate, false)),
            "C7 written by c2, read by the reader at 5ms, DUPLICATE"
        );
        let dup = Violation { after: 7, ..v };
        assert_eq!(
            stage_duplicate_text(&dup),
            "first duplicate in the output: the reader read C7 again at 5ms, written again by c2"
        );
        assert!(stage_out_of_order_text(&v).ends_with("at 5ms, after C9"));
    }

    #[test]
    fn a_stage_story_counts_input_output_duplicates_and_losses() {
        use brokerlab_engine::compare::Comparison;
        let w = (presets::by_slug("exactly-once-processing").unwrap().workload)();
        let c = Comparison::run(&w, 1).unwrap();
        let rows = |lane| -> Vec<(&str, String)> { stats(&w, lane).into_iter().map(|s| (s.key, s.value)).collect() };
        let (k, r) = (rows(&c.kafka), rows(&c.rabbit));
        let value = |rows: &[(&str, String)], key: &str| rows.iter().find(|(k, _)| *k == key).unwrap().1.clone();
        assert_eq!(
            (value(&k, "input"), value(&k, "output"), value(&k, "dup"), value(&k, "lost")),
            ("100".into(), "100".into(), "0".into(), "0".into())
        );
        assert_eq!(value(&r, "input"), "100");
        assert_ne!(value(&r, "dup"), "0");
        assert!(value(&k, "txns").ends_with(" / 1"), "{k:?}");
        assert!(r.iter().all(|(key, _)| *key != "txns") && k.iter().all(|(key, _)| *key != "redelivered"));
        let plain = (presets::by_slug("competing-consumers").unwrap().workload)();
        let c = Comparison::run(&plain, 1).unwrap();
        let keys: Vec<&str> = stats(&plain, &c.kafka).into_iter().map(|s| s.key).collect();
        assert_eq!(keys, ["processed", "ooo", "dup", "redelivered", "lost", "throughput", "latency", "hash"]);
    }

    #[test]
    fn topologies_share_one_layout() {
        let w = (presets::by_slug("queue-per-customer").unwrap().workload)();
        let r = topology(&w, System::Rabbit, &[]);
        assert_eq!(r.boxes.iter().filter(|b| b.kind == BoxKind::Store).count(), 3);
        // One queue per consumer: each queue feeds exactly one consumer; customers A and D share queue 1.
        assert_eq!(r.edges.iter().filter(|e| r.boxes[e.1].kind == BoxKind::Consumer).count(), 3);
        assert!(r.edges.iter().any(|e| e.2 == "AD"));
        let k = topology(&w, System::Kafka, &[0b0011, 0b0100, 0b1000]);
        assert_eq!(k.boxes.iter().filter(|b| b.kind == BoxKind::Store).count(), 4);
        assert_eq!(k.edges.iter().filter(|e| k.boxes[e.1].kind == BoxKind::Consumer).count(), 4);
        assert!(k.boxes.iter().all(|b| b.x + BOX_W <= TOPO_W && b.y + BOX_H <= k.height));
    }
}
