//! Browser unit tests (wasm-bindgen-test in headless Chromium, run by `make test`): the engine gives
//! the same trace hashes in wasm as natively, bad input is an error in wasm too, and the app mounts.
#![cfg(target_arch = "wasm32")]

use brokerlab::engine::{bench, presets, Scenario, Simulation, Time};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod golden {
    include!("golden/hashes.rs");
}

mod golden_compare {
    include!("golden/compare.rs");
}

fn hash(slug: &str, seed: u64) -> String {
    let scenario = presets::load(slug).unwrap();
    let mut sim = Simulation::new(&scenario, seed).unwrap();
    sim.run_until(scenario.until);
    sim.trace_hash().to_string()
}

#[wasm_bindgen_test]
fn same_trace_hashes_as_native() {
    assert_eq!(hash("relay-basic", 1), golden::RELAY_BASIC);
    assert_eq!(hash("lossy-network", 7), golden::LOSSY_NETWORK);
    assert_eq!(hash("kafka-basic", 1), golden::KAFKA_BASIC);
    assert_eq!(hash("kafka-groups", 1), golden::KAFKA_GROUPS);
    assert_eq!(hash("kafka-kraft", 1), golden::KAFKA_KRAFT);
    assert_eq!(hash("rabbit-basic", 1), golden::RABBIT_BASIC);
    assert_eq!(hash("rabbit-by-hand", 1), golden::RABBIT_BY_HAND);
    assert_eq!(format!("{:016x}", bench::run("bench", Time::ms(20)).trace_hash), golden::BENCH_20MS);
}

#[wasm_bindgen_test]
fn bad_scenarios_are_errors_in_wasm_too() {
    let e = Scenario::from_json(r#"{"name":"x","nodes":[{"role":"producer","id":"p","to":"q","interval":"1ms"}]}"#);
    assert!(e.unwrap_err().contains("nodes[0].to: no node \"q\""));
    assert!(Scenario::from_json("not json").is_err());
}

#[wasm_bindgen_test]
async fn app_mounts_and_runs() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let params = brokerlab::view::params::parse("?preset=relay-basic&seed=3&speed=10&bogus=1");
    yew::Renderer::<brokerlab::ui::App>::with_root_and_props(root.clone(), brokerlab::ui::Props { params }).render();
    yew::platform::time::sleep(std::time::Duration::from_millis(600)).await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("trace"), "no status bar rendered: {text}");
    assert!(text.contains("unknown URL parameter \"bogus\" ignored"), "URL problem not shown");
    let seed = document.get_element_by_id("seed-shown").unwrap().text_content().unwrap();
    assert_eq!(seed, "3");
    let events: u64 = document.get_element_by_id("event-count").unwrap().text_content().unwrap().parse().unwrap();
    assert!(events > 0, "the simulation did not advance");
    assert_eq!(root.query_selector_all("[data-node]").unwrap().length(), 5, "five nodes drawn");
}

#[wasm_bindgen_test]
fn side_by_side_counts_as_native() {
    use brokerlab::engine::compare::{presets, Comparison};
    for (slug, want) in [
        ("competing-consumers", golden_compare::COMPETING_SEED_1),
        ("consumer-crash", golden_compare::CRASH_SEED_1),
        ("exactly-once-processing", golden_compare::EXACTLY_ONCE_SEED_1),
    ] {
        let c = Comparison::run(&(presets::by_slug(slug).unwrap().workload)(), 1).unwrap();
        let got = format!("{:016x} {:016x}\n{}", c.kafka.trace_hash(), c.rabbit.trace_hash(), c.summary());
        assert_eq!(got, want, "{slug}");
    }
}
