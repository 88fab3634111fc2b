//! The RabbitMQ panel's tests: the drawing from real runs, the inspector's rows, the calculator.

use super::*;
use brokerlab_engine::rabbit::exchange::DEFAULT;
use brokerlab_engine::rabbit::routing::{ExchangeType, Table};
use brokerlab_engine::{presets, Simulation, Time};

fn basic(until: Time) -> Simulation {
    let mut sim = Simulation::new(&presets::load("rabbit-basic").unwrap(), 1).unwrap();
    sim.run_until(until);
    sim
}

fn qid(m: &Model, name: &str) -> u16 {
    m.names.queue_id(name).unwrap()
}

#[test]
fn the_topology_has_every_column_and_edge() {
    let sim = basic(Time::ms(100));
    let m = model(sim.world()).unwrap();
    let xs: Vec<&str> = m.xs.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(xs, ["orders", "unrouted", "dlx"], "predeclared exchanges nobody uses are left out");
    assert_eq!(m.qs.len(), 5);
    assert_eq!(m.pubs.len(), 1);
    assert_eq!(m.cs.len(), 3);
    let count = |k: EdgeKind| m.edges.iter().filter(|e| e.kind == k).count();
    assert_eq!(count(EdgeKind::Publish), 1);
    assert_eq!(count(EdgeKind::Binding), 5);
    assert_eq!(count(EdgeKind::Alternate), 1);
    assert_eq!(count(EdgeKind::DeadLetter), 1);
    assert_eq!(count(EdgeKind::Consume), 3);
    let labels: Vec<&str> = m.edges.iter().filter(|e| e.kind == EdgeKind::Binding).map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["order.#", "order.*.paid", "*.eu.*", "(all)", "(all)"]);
    // Binding labels end before their queue, each on its own line.
    let mut ats: Vec<(i64, i64)> = m
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Binding)
        .inspect(|e| assert!(e.anchor == "end" && e.label_at.0 < COL_X[2] - Q_BOX.0 / 2.0))
        .map(|e| (e.label_at.0 as i64, e.label_at.1 as i64))
        .collect();
    ats.dedup();
    assert_eq!(ats.len(), 5, "{ats:?}");
    assert_eq!(m.pubs[0].first_key.as_ref(), "order.eu.created");
    // Every box inside the drawing, the columns apart.
    for y in m.xs.iter().map(|x| x.y).chain(m.qs.iter().map(|q| q.y)).chain(m.cs.iter().map(|c| c.y)) {
        assert!(y > 0.0 && y < m.height, "{y} in {}", m.height);
    }
    assert!(m.edges.iter().all(|e| e.d.starts_with('M') && e.d.contains('C')));
}

#[test]
fn counts_move_and_dead_letters_arrive() {
    let sim = basic(Time::ms(250));
    let m = model(sim.world()).unwrap();
    let dead = &m.qs[qid(&m, "dead-letters") as usize];
    assert!(dead.ready > 0, "the biller rejects every 10th: {dead:?}");
    let row = dead.messages.first().unwrap();
    let text = deaths_text(row.deaths.as_deref().unwrap(), &m.names);
    assert_eq!(text, "rejected ×1 in billing");
    let biller = m.cs.iter().find(|c| c.name == "biller").unwrap();
    assert!(biller.unacked <= biller.prefetch as u32);
    assert!((0.0..=1.0).contains(&window_fill(biller.unacked, biller.prefetch)));
    // Unacknowledged messages show with their delivery tag, the rest without.
    let billing = &m.qs[qid(&m, "billing") as usize];
    assert_eq!(billing.messages.iter().filter(|r| r.delivery.is_some()).count() as u32, billing.unacked.min(STACK_CAP));
    assert!(billing.messages.len() <= STACK_CAP as usize);
    assert!(billing.messages.windows(2).all(|w| w[0].pos < w[1].pos));
    let lost = &m.qs[qid(&m, "lost-and-found") as usize];
    assert!(lost.ready > 0, "refund.eu goes to the alternate exchange");
}

#[test]
fn the_calculator_routes_with_the_engines_rules() {
    let sim = basic(Time::ms(50));
    let m = model(sim.world()).unwrap();
    let orders = m.names.exchange_id("orders").unwrap();
    let r = route_calc(&m, orders, "order.eu.paid", "").unwrap();
    let names: Vec<String> = r.queues.iter().map(|&q| m.names.queue(q)).collect();
    assert_eq!(names, ["billing", "shipping", "audit"]);
    let r = route_calc(&m, orders, "refund.us", "").unwrap();
    assert_eq!(r.queues, [qid(&m, "lost-and-found")], "no binding: the alternate exchange");
    assert!(hop_text(&m, &r.hops[0]).contains("alternate exchange"), "{:?}", r.hops);
    assert_eq!(hop_text(&m, &r.hops[1]), "unrouted → queue lost-and-found (binding (all))");
    let r = route_calc(&m, DEFAULT, "billing", "").unwrap();
    assert_eq!(r.queues, [qid(&m, "billing")]);
    assert_eq!(hop_text(&m, &r.hops[0]), "(default) → queue billing (by queue name)");
    assert!(route_calc(&m, DEFAULT, "nope", "").unwrap().queues.is_empty());
    // Bad input: sentences, never a panic.
    assert!(route_calc(&m, orders, &"k".repeat(256), "").unwrap_err().contains("255"));
    assert!(route_calc(&m, orders, "a", "{not json").unwrap_err().starts_with("headers:"));
    assert!(route_calc(&m, orders, "a", "[1]").is_err());
    assert!(route_calc(&m, 999, "a", "").unwrap_err().contains("404"));
    assert_eq!(parse_headers(r#"{"b":1,"a":null}"#).unwrap().to_json(), r#"{"a":null,"b":1}"#);
}

#[test]
fn a_big_topology_fits_its_drawing() {
    let mut sim = Simulation::new(&presets::load("rabbit-bench").unwrap(), 1).unwrap();
    sim.run_until(Time::ms(20));
    let m = model(sim.world()).unwrap();
    assert_eq!((m.qs.len(), m.cs.len()), (8, 16));
    let boxes = m.qs.iter().map(|q| (q.y, Q_BOX.1)).chain(m.cs.iter().map(|c| (c.y, C_BOX.1)));
    for (y, h) in boxes {
        assert!(y - h / 2.0 > 20.0 && y + h / 2.0 < m.height, "{y} ± {h} in {}", m.height);
    }
    for w in m.cs.windows(2) {
        assert!(w[1].y - w[0].y >= C_BOX.1 + 4.0, "consumers do not overlap");
    }
}

#[test]
fn one_binding_tested_by_type() {
    assert_eq!(binding_test("topic", "order.*.paid", "order.eu.paid", ""), Ok(true));
    assert_eq!(binding_test("topic", "order.*.paid", "order.paid", ""), Ok(false));
    // A topic binding ignores the headers: a broken headers field does not block its answer.
    assert_eq!(binding_test("topic", "order.*.paid", "order.eu.paid", "{not json"), Ok(true));
    assert!(binding_test("headers", r#"{"x-match":"any","a":1}"#, "", "{not json").is_err());
    assert_eq!(binding_test("direct", "a", "a", ""), Ok(true));
    assert_eq!(binding_test("fanout", "", "anything", ""), Ok(true));
    let any = r#"{"x-match":"any","format":"pdf","type":"report"}"#;
    assert_eq!(binding_test("headers", any, "", r#"{"format":"pdf"}"#), Ok(true));
    assert_eq!(binding_test("headers", any, "", r#"{"format":"zip"}"#), Ok(false));
    assert!(binding_test("topic", "#.#.#", "a", "").unwrap_err().contains("at most 2"));
    assert!(binding_test("headers", r#"{"x-match":"some"}"#, "", "").unwrap_err().contains("x-match"));
    assert!(binding_test("headers", "{", "", "").unwrap_err().starts_with("binding arguments:"));
    assert!(binding_test("nope", "", "", "").unwrap_err().contains("unknown exchange type"));
}

#[test]
fn labels_and_stacks() {
    assert_eq!(short("abc"), "abc");
    assert_eq!(fit("lost-and-found", 14), "lost-and-found");
    assert_eq!(fit("lost-and-found-2", 14), "lost-and-found…");
    assert_eq!(short(&"é".repeat(30)).chars().count(), LABEL_MAX + 1);
    let t = parse_headers(r#"{"x-match":"any","a":1}"#).unwrap();
    assert_eq!(binding_label(ExchangeType::Headers, "", &t), r#"{"a":1,"x-match":"any"}"#);
    assert_eq!(binding_label(ExchangeType::Direct, "", &Table::default()), "\"\"");
    assert_eq!(stack(100, 0.0, 0.0).count(), STACK_CAP as usize);
    assert_eq!(stack(3, 10.0, 5.0).last(), Some((24.0, 5.0)));
    assert_eq!(window_fill(0, 0), 0.0);
    assert_eq!(window_fill(3, 0), 1.0);
    assert_eq!(window_fill(9, 5), 1.0);
    assert_eq!(window_fill(1, 4), 0.25);
    assert!(model(Simulation::new(&presets::load("kafka-basic").unwrap(), 1).unwrap().world()).is_none());
}
