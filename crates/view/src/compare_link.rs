//! The comparison page's state in its address: `?compare&story=consumer-crash&seed=7`, and, when
//! the workload was edited, `&workload=` (its compact JSON in base64url, as `link_scenario`
//! carries a scenario). Opening the link brings the story, the seed and the workload back; a
//! value that does not read is a sentence for the page and only that value falls back (the
//! story's own workload, seed 1, the default story), nothing else is lost.

use super::link_scenario::{base64url, from_base64url};
use super::params::shorten_to;
use crate::i18n::tf;
use brokerlab_engine::compare::presets::PRESETS;
use brokerlab_engine::compare::Workload;

/// The story opened without one: competing consumers, the comparison's point.
pub const DEFAULT_STORY: usize = 1;
pub const DEFAULT_SEED: u64 = 1;

/// What the comparison page shows, as read from its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareLink {
    /// Index into the stories (`compare::presets::PRESETS`).
    pub story: usize,
    pub seed: u64,
    /// The workload if it is not the story's own.
    pub workload: Option<Workload>,
    /// One sentence per value that did not read.
    pub problems: Vec<String>,
}

/// The address for story `story`, `seed` and the workload running (carried only if edited).
pub fn to_query(story: usize, seed: u64, workload: &Workload) -> String {
    let p = &PRESETS[story.min(PRESETS.len() - 1)];
    let mut q = format!("?compare&story={}&seed={seed}", p.slug);
    if *workload != (p.workload)() {
        let json = serde_json::to_string(workload).expect("a workload always serialises");
        q.push_str("&workload=");
        q.push_str(&base64url(json.as_bytes()));
    }
    q
}

/// Reads the comparison page's address (with or without its `?`). Other parameters are ignored:
/// they are the playground's.
pub fn parse(query: &str) -> CompareLink {
    let mut link = CompareLink { story: DEFAULT_STORY, seed: DEFAULT_SEED, workload: None, problems: Vec::new() };
    let mut workload = None;
    for pair in query.trim_start_matches('?').split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            // A story by its name, or its number as the page lists it (1 … 6, 5a, 5b).
            "story" => match PRESETS.iter().position(|p| p.slug == value || p.number == value) {
                Some(i) => link.story = i,
                None => link.problems.push(tf(
                    "story \"{0}\" does not exist; showing \"{1}\" (stories: {2})",
                    &[
                        &(shorten_to(value, 40)),
                        &PRESETS[DEFAULT_STORY].slug,
                        &(PRESETS.iter().map(|p| p.slug).collect::<Vec<_>>().join(", ")),
                    ],
                )),
            },
            "seed" => match value.parse::<u64>() {
                Ok(seed) => link.seed = seed,
                Err(_) => link.problems.push(tf(
                    "seed \"{0}\" is not a whole number ≥ 0; using seed {1}",
                    &[&(shorten_to(value, 40)), &DEFAULT_SEED],
                )),
            },
            "workload" => workload = Some(value),
            _ => {}
        }
    }
    // Read once the story is known: a bad workload falls back to the story's own.
    if let Some(text) = workload {
        match from_base64url(text).and_then(|json| Workload::from_json(&json)) {
            Ok(w) => link.workload = Some(w).filter(|w| *w != (PRESETS[link.story].workload)()),
            Err(e) => link.problems.push(tf(
                "the link's workload could not be read ({0}); using the story's own",
                &[&(shorten_to(&e, 160))],
            )),
        }
    }
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_story_seed_and_edited_workload_round_trips() {
        for (i, p) in PRESETS.iter().enumerate() {
            let own = (p.workload)();
            let q = to_query(i, 42 + i as u64, &own);
            assert_eq!(q, format!("?compare&story={}&seed={}", p.slug, 42 + i as u64), "the story's own: no workload");
            assert_eq!(parse(&q), CompareLink { story: i, seed: 42 + i as u64, workload: None, problems: vec![] });
            let mut edited = own.clone();
            edited.consumers += 1;
            edited.customers += 2;
            let q = to_query(i, 7, &edited);
            assert!(q.bytes().all(|c| c.is_ascii_alphanumeric() || b"?&=-_".contains(&c)), "URL-safe: {q}");
            assert_eq!(parse(&q), CompareLink { story: i, seed: 7, workload: Some(edited), problems: vec![] }, "{q}");
            assert_eq!(parse(&format!("?compare&story={}", p.number)).story, i, "by number");
        }
        assert_eq!(parse("?compare"), CompareLink { story: 1, seed: 1, workload: None, problems: vec![] });
    }

    #[test]
    fn a_bad_value_is_a_sentence_and_only_it_falls_back() {
        let good = to_query(2, 5, &{
            let mut w = (PRESETS[2].workload)();
            w.consumers = 4;
            w
        });
        let workload = good.split("&workload=").nth(1).unwrap();
        let l = parse(&format!("?compare&story=nope&seed=5&workload={workload}"));
        assert_eq!((l.story, l.seed, l.workload.as_ref().map(|w| w.consumers)), (1, 5, Some(4)));
        assert!(l.problems[0].starts_with("story \"nope\" does not exist; showing \"competing-consumers\""));
        let l = parse("?compare&story=consumer-crash&seed=-1");
        assert_eq!((l.story, l.seed), (2, 1));
        assert!(l.problems[0].contains("seed \"-1\" is not a whole number"), "{:?}", l.problems);
        let half = &workload[..workload.len() / 2];
        let l = parse(&format!("?compare&story=consumer-crash&seed=9&workload={half}"));
        assert_eq!((l.story, l.seed, l.workload), (2, 9, None));
        assert!(l.problems[0].starts_with("the link's workload could not be read ("), "{:?}", l.problems);
        assert!(parse("?compare&workload=%%%").problems[0].contains("character"));
        let invalid = base64url(br#"{"customers": 0, "messages": 3}"#);
        let e = &parse(&format!("?compare&workload={invalid}")).problems[0];
        assert!(e.contains("using the story's own") && !e.contains("::"), "{e}");
    }
}
