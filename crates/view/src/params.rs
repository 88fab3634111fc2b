//! The page's URL parameters (`?preset=relay-basic&seed=7&speed=1/1000&log=…&t=…`), validated: a
//! bad value is a message for the user and the default is used instead; the page never fails to
//! open. `speed` is the multiplier as the page shows it (`1/1000`, `1`, `1000`); `log` and `t` are
//! the actions taken and the instant shown (`link`).

use super::speed;
use crate::i18n::tf;
use brokerlab_engine::presets;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub preset: Option<&'static str>,
    pub seed: Option<u64>,
    pub speed: Option<usize>,
    /// The command log to replay (`link::decode` reads it once the scenario is known).
    pub log: Option<String>,
    /// An edited scenario (`link_scenario::decode` reads it: the page says what is wrong with it).
    pub scenario: Option<String>,
    /// The simulated instant to open at, paused.
    pub t: Option<brokerlab_engine::Time>,
    /// `?lesson=ID`: a lesson on the path (`lesson::LESSONS`), and `try=N` its variation N
    /// (counted from 1 in the URL, from 0 here).
    pub lesson: Option<&'static str>,
    pub variation: Option<usize>,
    pub bench: bool,
    /// `?bench=frames`: the playground measuring its own frame times.
    pub bench_frames: bool,
    /// `?lang=ko`: the language the page is shown in (`i18n`).
    pub lang: Option<crate::i18n::Lang>,
    /// One message per ignored parameter.
    pub problems: Vec<String>,
}

/// Parses a query string, with or without its leading `?`.
pub fn parse(query: &str) -> Params {
    let mut p = Params::default();
    for pair in query.trim_start_matches('?').split('&').filter(|s| !s.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "preset" => match presets::PRESETS.iter().find(|(slug, _)| *slug == value) {
                Some((slug, _)) => p.preset = Some(slug),
                None => p.problems.push(tf(
                    "preset \"{0}\" does not exist; showing the default (presets: {1})",
                    &[&shorten(value), &(presets::PRESETS.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(", "))],
                )),
            },
            "seed" => match value.parse::<u64>() {
                Ok(seed) => p.seed = Some(seed),
                Err(_) => p
                    .problems
                    .push(tf("seed \"{0}\" is not a whole number ≥ 0; using the preset's", &[&shorten(value)])),
            },
            "speed" => match speed::LADDER.iter().position(|(label, _)| label.trim_start_matches('×') == value) {
                Some(i) => p.speed = Some(i),
                None => p.problems.push(tf(
                    "speed \"{0}\" is not one of {1}; using the scenario's own",
                    &[
                        &shorten(value),
                        &(speed::LADDER.iter().map(|(l, _)| l.trim_start_matches('×')).collect::<Vec<_>>().join(", ")),
                    ],
                )),
            },
            "log" => p.log = Some(value.to_string()),
            "scenario" => p.scenario = Some(value.to_string()),
            "t" => match value.parse::<u64>() {
                Ok(us) => p.t = Some(brokerlab_engine::Time(us)),
                Err(_) => p.problems.push(tf(
                    "t \"{0}\" is not a simulated time in microseconds; opening at the start",
                    &[&shorten(value)],
                )),
            },
            "lesson" => match crate::lesson::LESSONS.iter().find(|(id, _)| *id == value) {
                Some((id, _)) => p.lesson = Some(id),
                None => {
                    p.problems.push(tf("lesson \"{0}\" does not exist; showing the first lesson", &[&shorten(value)]));
                    p.lesson = crate::lesson::LESSONS.first().map(|(id, _)| *id);
                }
            },
            "try" => match value.parse::<usize>() {
                Ok(n) if n >= 1 => p.variation = Some(n - 1),
                _ => p.problems.push(tf(
                    "try \"{0}\" is not a variation number (1, 2, …); showing the lesson as written",
                    &[&shorten(value)],
                )),
            },
            "lang" => match crate::i18n::Lang::from_code(value) {
                Some(lang) => p.lang = Some(lang),
                None => p.problems.push(tf(
                    "language \"{0}\" is not one of {1}; showing the page in the language chosen before",
                    &[&shorten(value), &(crate::i18n::Lang::ALL.map(|l| l.code()).join(", "))],
                )),
            },
            "bench" if value == "frames" => p.bench_frames = true,
            "bench" => p.bench = true,
            other => p.problems.push(tf("unknown URL parameter \"{0}\" ignored", &[&shorten(other)])),
        }
    }
    p
}

/// The query string that reopens this state: `log` is `link::encode`'s text (empty: no actions),
/// `t` the instant shown when paused, `scenario` the edited scenario (`link_scenario::encode`).
pub fn to_query(
    preset: &str,
    seed: u64,
    speed: usize,
    log: &str,
    t: Option<brokerlab_engine::Time>,
    scenario: Option<&str>,
) -> String {
    let mut q = format!("?preset={preset}&seed={seed}&speed={}", speed::label(speed).trim_start_matches('×'));
    if let Some(s) = scenario {
        q.push_str("&scenario=");
        q.push_str(s);
    }
    if !log.is_empty() {
        q.push_str("&log=");
        q.push_str(log);
    }
    if let Some(t) = t {
        q.push_str(&format!("&t={}", t.0));
    }
    q
}

/// Echoing user input back: keep it short.
fn shorten(s: &str) -> String {
    shorten_to(s, 40)
}

/// At most `n` characters of `s`, with `…` when cut.
pub fn shorten_to(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_parameters_parse_and_round_trip() {
        let p = parse(&to_query("lossy-network", 42, 3, "", None, None));
        assert_eq!(p.preset, Some("lossy-network"));
        assert_eq!((p.seed, p.speed), (Some(42), Some(3)));
        assert!(p.problems.is_empty());
        // The speed reads as the page shows it.
        assert!(to_query("lossy-network", 42, 3, "", None, None).ends_with("&speed=1/1000"));
        assert_eq!(parse("?lang=ko").lang, Some(crate::i18n::Lang::Ko));
        assert_eq!(parse("?lang=ko-KR").lang, Some(crate::i18n::Lang::Ko));
        assert_eq!(parse("?speed=1000").speed, Some(speed::LADDER.len() - 1));
        assert_eq!(parse("?speed=1").speed.map(speed::label), Some("×1"));
        let q = to_query("kafka-basic", 1, 7, "3.100.stop.2", Some(brokerlab_engine::Time(250)), None);
        assert!(q.ends_with("&speed=1&log=3.100.stop.2&t=250"), "{q}");
        let p = parse(&q);
        assert_eq!((p.log.as_deref(), p.t), (Some("3.100.stop.2"), Some(brokerlab_engine::Time(250))));
        assert!(parse("?bench").bench);
        assert!(parse("?bench=frames").bench_frames && !parse("?bench=frames").bench);
        assert_eq!(parse(""), Params::default());
    }

    #[test]
    fn bad_parameters_become_messages() {
        let p = parse("?preset=nope&seed=-3&speed=99&x=1&seed=18446744073709551616&t=soon");
        assert_eq!((p.preset, p.seed, p.speed, p.t), (None, None, None, None));
        assert_eq!(p.problems.len(), 6, "{:?}", p.problems);
        assert!(p.problems[0].contains("preset \"nope\" does not exist"));
        assert!(
            p.problems[2].contains("speed \"99\" is not one of 1/10000,")
                && p.problems[2].ends_with("using the scenario's own")
        );
        assert!(p.problems[5].contains("t \"soon\""));
        assert!(p.problems[3].contains("unknown URL parameter \"x\""));
        let first = crate::lesson::LESSONS[0].0;
        let p = parse("?lesson=nope&try=0");
        assert_eq!((p.lesson, p.variation), (Some(first), None), "an unknown lesson opens the first");
        assert!(p.problems[0].contains("lesson \"nope\" does not exist") && p.problems[1].contains("try \"0\""));
        let p = parse(&format!("?lesson={first}&try=2"));
        assert_eq!((p.lesson, p.variation, p.problems.len()), (Some(first), Some(1), 0));
        let long = parse(&format!("?preset={}", "a".repeat(500)));
        assert!(!long.problems[0].contains(&"a".repeat(41)), "the echo is shortened");
        let p = parse("?lang=fr");
        assert_eq!(p.lang, None);
        assert_eq!(
            p.problems,
            ["language \"fr\" is not one of en, ko; showing the page in the language chosen before"]
        );
    }
}
