//! The exchange types' matching rules against RabbitMQ's own test suites (rabbitmq-server,
//! `deps/rabbit/test/`). Every case goes through the same JSON entry point as `brokerlab route`;
//! each table names the suite and test case it comes from.

use brokerlab::engine::rabbit::routing::answer_json;
use serde_json::{json, Value};

fn ask(request: Value) -> Value {
    serde_json::from_str(&answer_json(&request.to_string())).expect("answers are JSON")
}

fn matched(request: Value) -> bool {
    let a = ask(request.clone());
    a["matched"].as_bool().unwrap_or_else(|| panic!("{request} gave {a}"))
}

fn error(request: Value) -> String {
    let a = ask(request.clone());
    a["error"].as_str().unwrap_or_else(|| panic!("{request} should be an error, gave {a}")).to_string()
}

fn topic(binding_key: &str, routing_key: &str) -> bool {
    matched(json!({"type": "topic", "binding_key": binding_key, "routing_key": routing_key}))
}

/// A table as RabbitMQ's topic tests write them: bindings `(key, queue)` and, per routing key, the
/// set of queues it must reach (duplicates collapse, as the broker deduplicates destinations).
fn check_topic_table(test: &str, bindings: &[(&str, &str)], expect: &[(&str, &[&str])]) {
    for (rk, want) in expect {
        let mut got: Vec<&str> = bindings.iter().filter(|(bk, _)| topic(bk, rk)).map(|(_, q)| *q).collect();
        got.sort();
        got.dedup();
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(got, want, "{test}: routing key {rk:?}");
    }
}

/// routing_SUITE:topic1 — the classic 27-binding table, before and after removing bindings 1, 5,
/// 11, 19, 21 and 27 (the binding arguments of t27 do not matter to a topic exchange).
#[test]
fn routing_suite_topic1() {
    let all: [(&str, &str); 27] = [
        ("a.b.c", "t1"),
        ("a.*.c", "t2"),
        ("a.#.b", "t3"),
        ("a.b.b.c", "t4"),
        ("#", "t5"),
        ("#.#", "t6"),
        ("#.b", "t7"),
        ("*.*", "t8"),
        ("a.*", "t9"),
        ("*.b.c", "t10"),
        ("a.#", "t11"),
        ("a.#.#", "t12"),
        ("b.b.c", "t13"),
        ("a.b.b", "t14"),
        ("a.b", "t15"),
        ("b.c", "t16"),
        ("", "t17"),
        ("*.*.*", "t18"),
        ("vodka.martini", "t19"),
        ("a.b.c", "t20"),
        ("*.#", "t21"),
        ("#.*.#", "t22"),
        ("*.#.#", "t23"),
        ("*", "t25"),
        ("#.b.#", "t26"),
        ("args-test", "t27"),
        ("args-test", "t27"),
    ];
    check_topic_table(
        "routing_SUITE:topic1",
        &all,
        &[
            ("a.b.c", &["t1", "t2", "t5", "t6", "t10", "t11", "t12", "t18", "t20", "t21", "t22", "t23", "t26"]),
            ("a.b", &["t3", "t5", "t6", "t7", "t8", "t9", "t11", "t12", "t15", "t21", "t22", "t23", "t26"]),
            ("a.b.b", &["t3", "t5", "t6", "t7", "t11", "t12", "t14", "t18", "t21", "t22", "t23", "t26"]),
            ("", &["t5", "t6", "t17"]),
            ("b.c.c", &["t5", "t6", "t18", "t21", "t22", "t23", "t26"]),
            ("a.a.a.a.a", &["t5", "t6", "t11", "t12", "t21", "t22", "t23"]),
            ("vodka.gin", &["t5", "t6", "t8", "t21", "t22", "t23"]),
            ("vodka.martini", &["t5", "t6", "t8", "t19", "t21", "t22", "t23"]),
            ("b.b.c", &["t5", "t6", "t10", "t13", "t18", "t21", "t22", "t23", "t26"]),
            ("nothing.here.at.all", &["t5", "t6", "t21", "t22", "t23"]),
            ("oneword", &["t5", "t6", "t21", "t22", "t23", "t25"]),
            ("args-test", &["t5", "t6", "t21", "t22", "t23", "t25", "t27"]),
        ],
    );
    // Removing the 1st, 5th, 11th, 19th, 21st and 27th binding (27 and its alias share the queue:
    // removing one args-variant leaves the other).
    let removed = [1, 5, 11, 19, 21, 27];
    let rest: Vec<(&str, &str)> =
        all.iter().enumerate().filter(|(i, _)| !removed.contains(&(i + 1))).map(|(_, b)| *b).collect();
    check_topic_table(
        "routing_SUITE:topic1 (after removals)",
        &rest,
        &[
            ("a.b.c", &["t2", "t6", "t10", "t12", "t18", "t20", "t22", "t23", "t26"]),
            ("a.b", &["t3", "t6", "t7", "t8", "t9", "t12", "t15", "t22", "t23", "t26"]),
            ("a.b.b", &["t3", "t6", "t7", "t12", "t14", "t18", "t22", "t23", "t26"]),
            ("", &["t6", "t17"]),
            ("b.c.c", &["t6", "t18", "t22", "t23", "t26"]),
            ("a.a.a.a.a", &["t6", "t12", "t22", "t23"]),
            ("vodka.gin", &["t6", "t8", "t22", "t23"]),
            ("vodka.martini", &["t6", "t8", "t22", "t23"]),
            ("b.b.c", &["t6", "t10", "t13", "t18", "t22", "t23", "t26"]),
            ("nothing.here.at.all", &["t6", "t22", "t23"]),
            ("oneword", &["t6", "t22", "t23", "t25"]),
            ("args-test", &["t6", "t22", "t23", "t25", "t27"]),
        ],
    );
}

/// rabbit_db_topic_exchange_SUITE: topic_match_basic, _wildcards, _hash_middle,
/// _empty_routing_key, _overlapping_filters, _empty_segments.
#[test]
fn rabbit_db_topic_exchange_suite() {
    check_topic_table(
        "topic_match_basic",
        &[("foo.bar", "q-foo"), ("foo.baz", "q-bar"), ("other.key", "q-baz")],
        &[("foo.bar", &["q-foo"]), ("foo.baz", &["q-bar"]), ("other.key", &["q-baz"]), ("no.match", &[])],
    );
    check_topic_table(
        "topic_match_wildcards",
        &[("foo.*", "q-star"), ("foo.#", "q-hash"), ("foo.bar", "q-exact"), ("foo.*.baz", "q-deep"), ("#", "q-all")],
        &[
            ("foo.bar", &["q-all", "q-exact", "q-hash", "q-star"]),
            ("foo.bar.baz", &["q-all", "q-deep", "q-hash"]),
            ("foo.bar.baz.qux", &["q-all", "q-hash"]),
            ("foo.qux", &["q-all", "q-hash", "q-star"]),
            ("bar.foo", &["q-all"]),
        ],
    );
    check_topic_table(
        "topic_match_hash_middle",
        &[("#.c", "q1"), ("#.b.c", "q2"), ("a.#.d", "q3"), ("#.*.#", "q4")],
        &[
            ("a.b.c", &["q1", "q2", "q4"]),
            ("c", &["q1", "q4"]),
            ("x.y.b.c", &["q1", "q2", "q4"]),
            ("a.d", &["q3", "q4"]),
            ("a.b.c.d", &["q3", "q4"]),
            ("x", &["q4"]),
            ("x.c", &["q1", "q4"]),
        ],
    );
    check_topic_table(
        "topic_match_empty_routing_key",
        &[("#", "q-hash"), ("foo.bar", "q-exact")],
        &[("", &["q-hash"]), ("foo.bar", &["q-exact", "q-hash"])],
    );
    check_topic_table(
        "topic_match_overlapping_filters",
        &[
            ("a.b", "q1"),
            ("a.b.#", "q2"),
            ("a.b.c", "q3"),
            ("a.b.*", "q4"),
            ("a.b.d", "q5"),
            ("a.*.*", "q6"),
            ("a.*.#", "q7"),
            ("*.b.c", "q8"),
        ],
        &[("a.b.c", &["q2", "q3", "q4", "q6", "q7", "q8"]), ("a.b", &["q1", "q2", "q7"])],
    );
    check_topic_table(
        "topic_match_empty_segments",
        &[(".#", "q-hash"), (".*", "q-star"), (".*.a.b.c", "q-deep")],
        &[(".0.a.b.c", &["q-hash", "q-deep"])],
    );
}

/// rabbit_db_topic_exchange_SUITE: topic_match_deep_hierarchy, _all_wildcards,
/// _alternating_wildcards, _unicode.
#[test]
fn rabbit_db_topic_exchange_suite_long_and_unicode_keys() {
    let t = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z";
    let prefix_hash = format!("{t}.#");
    let prefix_star = format!("{t}.*");
    let deep = [("#", "q-all"), (prefix_hash.as_str(), "q-prefix"), (prefix_star.as_str(), "q-prefix-star")];
    let t1 = format!("{t}.1");
    check_topic_table(
        "topic_match_deep_hierarchy",
        &deep,
        &[(t, &["q-all", "q-prefix"]), (t1.as_str(), &["q-all", "q-prefix", "q-prefix-star"])],
    );
    assert!(topic("*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.#", t), "topic_match_all_wildcards");
    assert!(topic("a.*.c.*.e.*.g.*.i.*.k.*.m.*.o.*.q.*.s.*.u.*.w.*.y.*.#", t), "topic_match_alternating_wildcards");
    check_topic_table(
        "topic_match_unicode",
        &[
            ("传感器.温度.摄氏", "q-cjk"),
            ("🏠.🌡️.📊", "q-emoji"),
            ("датчик.температура.цельсий", "q-cyrillic"),
            ("sensor.données.état", "q-mixed"),
            ("传感器.*.摄氏", "q-wild"),
            ("датчик.#", "q-hash"),
            ("#", "q-all"),
        ],
        &[
            ("传感器.温度.摄氏", &["q-cjk", "q-wild", "q-all"]),
            ("🏠.🌡️.📊", &["q-emoji", "q-all"]),
            ("датчик.температура.цельсий", &["q-cyrillic", "q-hash", "q-all"]),
            ("sensor.données.état", &["q-mixed", "q-all"]),
            ("传感器.压力.摄氏", &["q-wild", "q-all"]),
            ("датчик.давление", &["q-hash", "q-all"]),
        ],
    );
}

/// exchanges_SUITE:topic_exchange — `simply#carrots` is a literal word; `#.noclue` matches the
/// routing key `#.noclue` (a `#` in a routing key is just a character) but not `#.bla`.
#[test]
fn exchanges_suite_topic_exchange() {
    let bindings = [("this.*.rules", "q"), ("*.for.*", "q"), ("simply#carrots", "q")];
    let routed = |rk: &str| bindings.iter().any(|(bk, _)| topic(bk, rk));
    let got: Vec<bool> = ["this.queue.rules", "this.exchange.rules", "another.queue.rules", "carrots.for.power"]
        .iter()
        .map(|rk| routed(rk))
        .collect();
    assert_eq!(got, [true, true, false, true]);
    assert!(!routed("simplycarrots"));
    assert!(!routed("*.queue.rules"), "a `*` in a routing key is a literal word");
    assert!(!topic("#.noclue", "simplycarrots"));
    assert!(!topic("#.noclue", "#.bla"));
    assert!(topic("#.noclue", "#.noclue"));
    assert!(topic("#", "simplycarrots"));
}

/// bindings_SUITE:topic_exchange_zero_words — the empty binding key matches only the empty
/// routing key.
#[test]
fn bindings_suite_topic_exchange_zero_words() {
    assert!(topic("", ""));
    assert!(!topic("", "a"));
    assert!(!topic("", "."), "`.` is two empty words");
}

/// unit_topic_binding_validation_SUITE: accepts_up_to_two_hashes, rejects_more_than_two_hashes,
/// rejects_key_at_maximum_length (RabbitMQ 4.3.5+).
#[test]
fn unit_topic_binding_validation_suite() {
    for key in ["", "a.b.c", "*.*.*", "#", "a.#", "#.#", "#.a.#", "a#b", "##.##.##"] {
        let a = ask(json!({"type": "topic", "binding_key": key, "routing_key": "x"}));
        assert!(a["matched"].is_boolean(), "{key} is accepted: {a}");
    }
    for key in ["#.#.#", "#.*.#.*.#", "a.#.b.#.c.#", "#.#.#.#"] {
        let e = error(json!({"type": "topic", "binding_key": key, "routing_key": "a"}));
        assert!(e.contains("at most 2 are allowed"), "{key}: {e}");
    }
    let max = vec!["#"; 128].join(".");
    assert_eq!(max.len(), 255);
    assert!(error(json!({"type": "topic", "binding_key": max, "routing_key": ""})).contains("'#' wildcards"));
    let long = "a".repeat(256);
    assert!(error(json!({"type": "topic", "binding_key": long, "routing_key": ""})).contains("255"));
    assert!(error(json!({"type": "direct", "binding_key": "k", "routing_key": long})).contains("255"));
}

/// exchanges_SUITE:direct_exchange and fanout_exchange.
#[test]
fn exchanges_suite_direct_and_fanout() {
    let direct = |bk: &str, rk: &str| matched(json!({"type": "direct", "binding_key": bk, "routing_key": rk}));
    assert!(direct("q", "q"));
    assert!(!direct("q", "anyotherkey"));
    assert!(!direct("a.*", "a.b"), "no wildcards in direct exchanges");
    assert!(direct("", ""));
    let fanout = |bk: &str, rk: &str| matched(json!({"type": "fanout", "binding_key": bk, "routing_key": rk}));
    assert!(fanout("q", "q") && fanout("q", "anyotherkey"));
    assert!(matched(json!({"type": "fanout"})), "a fanout needs no keys");
}

fn headers(args: Value, headers: Value) -> bool {
    matched(json!({"type": "headers", "binding_args": args, "headers": headers}))
}

/// exchanges_SUITE:headers_exchange — all vs any over foo=bar, fuu=ber.
#[test]
fn exchanges_suite_headers_exchange() {
    let all = json!({"x-match": "all", "foo": "bar", "fuu": "ber"});
    let any = json!({"x-match": "any", "foo": "bar", "fuu": "ber"});
    let msgs = [json!({"foo": "bar", "fuu": "ber"}), json!({"foo": "bar"}), json!({})];
    let got_all: Vec<bool> = msgs.iter().map(|m| headers(all.clone(), m.clone())).collect();
    let got_any: Vec<bool> = msgs.iter().map(|m| headers(any.clone(), m.clone())).collect();
    assert_eq!(got_all, [true, false, false]);
    assert_eq!(got_any, [true, true, false]);
}

/// exchanges_SUITE:headers_exchange_key_presence_only — void (null) binding values match on
/// presence; with the -with-x modes `x-` keys count.
#[test]
fn exchanges_suite_headers_exchange_key_presence_only() {
    let all = json!({"x-match": "all-with-x", "foo": null, "x-foo": null});
    let any = json!({"x-match": "any-with-x", "foo": null, "x-foo": null});
    let msgs = [
        json!({"foo": "anything", "x-foo": 42}),
        json!({"foo": "whatever"}),
        json!({"x-foo": "something"}),
        json!({"other": "value"}),
        json!({}),
    ];
    let got_all: Vec<bool> = msgs.iter().map(|m| headers(all.clone(), m.clone())).collect();
    let got_any: Vec<bool> = msgs.iter().map(|m| headers(any.clone(), m.clone())).collect();
    assert_eq!(got_all, [true, false, false, false, false]);
    assert_eq!(got_any, [true, true, true, false, false]);
}

/// dead_lettering_SUITE:dead_letter_headers_first_death_route — routing dead letters on the
/// `x-first-death-*` headers with all-with-x / any-with-x; plain `all`/`any` ignore those keys.
#[test]
fn dead_lettering_suite_headers_first_death_route() {
    let expired_q1 = json!({"x-match": "all-with-x", "x-first-death-reason": "expired", "x-first-death-queue": "q1"});
    let rejected = json!({"x-match": "any-with-x", "x-first-death-reason": "rejected"});
    let death = |reason: &str, queue: &str| json!({"x-first-death-reason": reason, "x-first-death-queue": queue});
    assert!(headers(expired_q1.clone(), death("expired", "q1")));
    assert!(!headers(expired_q1, death("expired", "q2")), "msg2 expired in the other queue");
    assert!(headers(rejected.clone(), death("rejected", "q2")));
    assert!(!headers(rejected, death("expired", "q1")));
    // Without -with-x the x- arguments are skipped: `all` over nothing matches, `any` over nothing does not.
    assert!(headers(json!({"x-match": "all", "x-first-death-reason": "expired"}), death("rejected", "q")));
    assert!(!headers(json!({"x-match": "any", "x-first-death-reason": "rejected"}), death("rejected", "q")));
}

/// rabbit_exchange_type_headers: the default mode is all; values compare as `=:=` (RabbitMQ 3.13+):
/// integers by value, never equal to floats or strings; floats by value.
#[test]
fn headers_values_compare_as_rabbitmq_does() {
    assert!(headers(json!({"a": 1, "b": "x"}), json!({"a": 1, "b": "x", "c": true})), "default x-match is all");
    assert!(!headers(json!({"a": 1, "b": "x"}), json!({"a": 1})));
    assert!(!headers(json!({"a": 1}), json!({"a": 1.0})), "an integer never equals a float");
    assert!(!headers(json!({"a": 1.0}), json!({"a": 1})));
    assert!(headers(json!({"a": 1.5}), json!({"a": 1.50})), "floats compare by value");
    assert!(headers(json!({"a": 1e2}), json!({"a": 100.0})));
    assert!(!headers(json!({"a": "1"}), json!({"a": 1})), "a string never equals a number");
    assert!(!headers(json!({"a": true}), json!({"a": "true"})));
    assert!(headers(json!({"a": true}), json!({"a": true})));
    assert!(headers(json!({"a": null}), json!({"a": null})), "a void header is present");
    assert!(!headers(json!({"a": "x"}), json!({"a": null})), "a void header equals no value");
    assert!(headers(json!({"x-match": "all"}), json!({})), "all over no arguments matches everything");
    assert!(!headers(json!({"x-match": "any"}), json!({"a": 1})), "any over no arguments matches nothing");
    assert!(!headers(json!({"x-match": "any", "a": 1, "x-b": 2}), json!({"x-b": 2})), "x- keys skipped");
}

/// rabbit_exchange_type_headers:validate_binding — x-match must be a string naming a mode.
#[test]
fn headers_binding_validation() {
    let e = error(json!({"type": "headers", "binding_args": {"x-match": "some"}, "headers": {}}));
    assert!(e.contains("Invalid x-match field value"), "{e}");
    let e = error(json!({"type": "headers", "binding_args": {"x-match": 1}, "headers": {}}));
    assert!(e.contains("Invalid x-match field type"), "{e}");
}

/// Bad requests are errors naming what is wrong, never panics.
#[test]
fn bad_requests_are_errors() {
    assert!(error(json!({"type": "x-consistent-hash", "binding_key": "", "routing_key": ""}))
        .contains("unknown exchange type"));
    assert!(error(json!({"type": "topic", "routing_key": "a"})).contains("binding_key"));
    assert!(
        error(json!({"type": "topic", "binding_key": "a", "routing_key": "a", "colour": 1})).contains("unknown field")
    );
    assert!(error(json!({"type": "headers", "binding_key": "a"})).contains("binding_args and headers"));
    assert!(error(json!({"type": "topic", "binding_key": "a", "headers": {}})).contains("binding_key and routing_key"));
    assert!(error(json!({"type": "headers", "binding_args": {"a": 18446744073709551615u64}, "headers": {}}))
        .contains("64-bit"));
    assert!(
        error(json!({"type": "headers", "binding_args": {}, "headers": {"a": {"b": 1}}})).contains("a string, number")
    );
    // Arrays are AMQP field values (CC / BCC hold them): compared whole, as RabbitMQ's `=:=` does.
    let arrays = json!({"type": "headers", "binding_args": {"a": [1, "x"]}, "headers": {"a": [1, "x"]}});
    assert_eq!(ask(arrays)["matched"], true);
    assert_eq!(
        ask(json!({"type": "headers", "binding_args": {"a": [1]}, "headers": {"a": [1, "x"]}}))["matched"],
        false
    );
    assert!(answer_json("not json").contains("\"error\""));
    assert!(answer_json("[]").contains("\"error\""));
}
