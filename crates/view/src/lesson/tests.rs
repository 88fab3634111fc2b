use super::*;

/// Every lesson file reads, and every run of it — as written and with each variation, over three
/// seeds (the page offers a new seed) — is answered by exactly one choice: a lesson never asks what
/// its run does not settle.
#[test]
fn every_lesson_and_variation_is_settled_by_exactly_one_choice() {
    for (id, text) in LESSONS {
        let lesson = Lesson::parse(id, text).unwrap_or_else(|e| panic!("{e}"));
        for try_ in std::iter::once(None).chain((0..lesson.tries.len()).map(Some)) {
            let setup = lesson.setup(try_).unwrap();
            let mut answers = Vec::new();
            for seed in 1..=3 {
                let outcome = lesson.run(&setup, seed).unwrap();
                let holding: Vec<&str> =
                    lesson.choices.iter().filter(|c| c.when.holds(outcome.value)).map(|c| c.text.as_str()).collect();
                println!("{id} {try_:?} seed {seed}: {} = {:?} -> {holding:?}", lesson.fact, outcome.value);
                assert_eq!(
                    holding.len(),
                    1,
                    "{id} {try_:?} seed {seed}: {:?} is answered by {holding:?}",
                    outcome.value
                );
                answers.push(outcome.answer);
            }
            answers.dedup();
            assert_eq!(answers.len(), 1, "{id} {try_:?}: the answer depends on the seed ({answers:?})");
        }
    }
}

/// A variation exists to change the answer or show why it holds; at least one variation of
/// every lesson changes the answer, so "try this" is never a rerun of the same thing.
#[test]
fn some_variation_of_every_lesson_changes_the_answer() {
    for lesson in all() {
        let answer = |t| {
            let setup = lesson.setup(t).unwrap();
            let seed = match &setup {
                Setup::Stage(s) => s.seed,
                Setup::Compare(_) => 1,
            };
            lesson.run(&setup, seed).unwrap().answer
        };
        let base = answer(None);
        assert!(
            (0..lesson.tries.len()).any(|i| answer(Some(i)) != base),
            "{}: no variation changes the answer",
            lesson.id
        );
    }
}

#[test]
fn bad_lessons_are_errors_that_name_the_field() {
    let good = LESSONS[0].1;
    let mut v: Value = serde_json::from_str(good).unwrap();
    v["choices"][1]["when"] = Value::from("lots");
    assert!(Lesson::parse("x", &v.to_string()).unwrap_err().contains("choices[1].when"));
    let mut v: Value = serde_json::from_str(good).unwrap();
    v["try"][0]["set"] = serde_json::json!({"rabbit.queues.9.name": "q"});
    assert!(Lesson::parse("x", &v.to_string()).unwrap_err().contains("not 10"));
    let mut v: Value = serde_json::from_str(good).unwrap();
    v["scenario"] = Value::from("no-such-preset");
    assert!(Lesson::parse("x", &v.to_string()).unwrap_err().contains("no preset"));
    assert!(Lesson::parse("x", "[1]").unwrap_err().contains("JSON object"));
    v["scenario"] = Value::from("rabbit-basic");
    v["compare"] = Value::from("consumer-crash");
    assert!(Lesson::parse("x", &v.to_string()).unwrap_err().contains("not both"));
    v.as_object_mut().unwrap().remove("scenario");
    assert!(Lesson::parse("x", &v.to_string()).unwrap_err().contains("measured by \"which\" or \"lane\""));
    v["measure"] = serde_json::json!({"which": "duplicates"});
    v["compare"] = Value::from("no-such-story");
    assert!(Lesson::parse("x", &v.to_string()).unwrap_err().contains("no comparison story"));
}

#[test]
fn paths_set_fields_and_refuse_what_is_not_there() {
    let mut v = serde_json::json!({"a": [{"b": 1}]});
    set_path(&mut v, "a.0.b", Value::from(2)).unwrap();
    set_path(&mut v, "a.0.c.d", Value::from(3)).unwrap();
    assert_eq!(v, serde_json::json!({"a": [{"b": 2, "c": {"d": 3}}]}));
    assert!(set_path(&mut v, "a.x", Value::Null).unwrap_err().contains("not a position"));
    assert!(set_path(&mut v, "a.0.b.z", Value::Null).unwrap_err().contains("no fields"));
}
