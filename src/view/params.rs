//! The page's URL parameters (`?preset=relay-basic&seed=7&speed=3`), validated: a bad value is a
//! message for the user and the default is used instead; the page never fails to open.

use super::speed;
use crate::engine::presets;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub preset: Option<&'static str>,
    pub seed: Option<u64>,
    pub speed: Option<usize>,
    pub bench: bool,
    /// `?bench=frames`: the playground measuring its own frame times.
    pub bench_frames: bool,
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
                None => p.problems.push(format!(
                    "preset \"{}\" does not exist; showing the default (presets: {})",
                    shorten(value),
                    presets::PRESETS.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(", ")
                )),
            },
            "seed" => match value.parse::<u64>() {
                Ok(seed) => p.seed = Some(seed),
                Err(_) => p
                    .problems
                    .push(format!("seed \"{}\" is not a whole number ≥ 0; using the preset's", shorten(value))),
            },
            "speed" => match value.parse::<usize>() {
                Ok(i) if i < speed::LADDER.len() => p.speed = Some(i),
                _ => p.problems.push(format!(
                    "speed \"{}\" is not a step 0–{} of the speed ladder; using {}",
                    shorten(value),
                    speed::LADDER.len() - 1,
                    speed::label(speed::DEFAULT)
                )),
            },
            "bench" if value == "frames" => p.bench_frames = true,
            "bench" => p.bench = true,
            other => p.problems.push(format!("unknown URL parameter \"{}\" ignored", shorten(other))),
        }
    }
    p
}

/// The query string that reopens this state.
pub fn to_query(preset: &str, seed: u64, speed: usize) -> String {
    format!("?preset={preset}&seed={seed}&speed={speed}")
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
        let p = parse(&to_query("lossy-network", 42, 3));
        assert_eq!(p.preset, Some("lossy-network"));
        assert_eq!((p.seed, p.speed), (Some(42), Some(3)));
        assert!(p.problems.is_empty());
        assert!(parse("?bench").bench);
        assert!(parse("?bench=frames").bench_frames && !parse("?bench=frames").bench);
        assert_eq!(parse(""), Params::default());
    }

    #[test]
    fn bad_parameters_become_messages() {
        let p = parse("?preset=nope&seed=-3&speed=99&x=1&seed=18446744073709551616");
        assert_eq!((p.preset, p.seed, p.speed), (None, None, None));
        assert_eq!(p.problems.len(), 5, "{:?}", p.problems);
        assert!(p.problems[0].contains("preset \"nope\" does not exist"));
        assert!(p.problems[3].contains("unknown URL parameter \"x\""));
        let long = parse(&format!("?preset={}", "a".repeat(500)));
        assert!(!long.problems[0].contains(&"a".repeat(41)), "the echo is shortened");
    }
}
