//! The speed ladder: how much simulated time passes per second of wall time. Messages inside a
//! datacentre take ~250 µs, so learning starts in deep slow motion; benchmarks run at ×1000.

/// `(label, simulated microseconds per wall-clock second)`.
pub const LADDER: &[(&str, f64)] = &[
    ("×1/10000", 100.0),
    ("×1/5000", 200.0),
    ("×1/2000", 500.0),
    ("×1/1000", 1_000.0),
    ("×1/500", 2_000.0),
    ("×1/100", 10_000.0),
    ("×1/10", 100_000.0),
    ("×1", 1_000_000.0),
    ("×10", 10_000_000.0),
    ("×100", 100_000_000.0),
    ("×1000", 1_000_000_000.0),
];

/// ×1/1000: a 250 µs hop takes a quarter of a second to watch, a 2 ms publish interval two seconds.
pub const DEFAULT: usize = 3;

pub fn label(index: usize) -> &'static str {
    LADDER.get(index).map_or("?", |(l, _)| l)
}

/// Simulated microseconds per wall-clock millisecond at ladder step `index`.
pub fn sim_us_per_ms(index: usize) -> f64 {
    LADDER.get(index).map_or(LADDER[DEFAULT].1, |(_, v)| *v) / 1_000.0
}

/// The step that plays a scenario of length `until` in about a minute and a half: the fastest step
/// not faster than that, and never faster than ×1/1000 for the millisecond-scale scenarios.
pub fn for_duration(until: brokerlab_engine::Time) -> usize {
    let wanted = until.0 as f64 / 90.0;
    LADDER.iter().rposition(|&(_, v)| v <= wanted).unwrap_or(0).max(DEFAULT)
}

/// The slowest step that plays `until` within `secs` seconds of wall time (a lesson's run: slow
/// enough to watch, short enough to wait for), never slower than ×1/1000.
pub fn in_seconds(until: brokerlab_engine::Time, secs: f64) -> usize {
    let wanted = until.0 as f64 / secs;
    LADDER.iter().position(|&(_, v)| v >= wanted).unwrap_or(LADDER.len() - 1).max(DEFAULT)
}

pub fn faster(index: usize) -> usize {
    (index + 1).min(LADDER.len() - 1)
}

pub fn slower(index: usize) -> usize {
    index.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_is_increasing_and_clamped() {
        assert!(LADDER.windows(2).all(|w| w[0].1 < w[1].1));
        assert_eq!(faster(LADDER.len() - 1), LADDER.len() - 1);
        assert_eq!(slower(0), 0);
        assert_eq!(sim_us_per_ms(7), 1_000.0, "×1 is real time");
        assert_eq!(label(DEFAULT), "×1/1000");
        use brokerlab_engine::Time;
        assert_eq!(label(for_duration(Time::ms(100))), "×1/1000");
        assert_eq!(label(for_duration(Time::secs(12))), "×1/10");
        assert_eq!(label(for_duration(Time::secs(1))), "×1/100");
        assert_eq!(label(in_seconds(Time::secs(1), 20.0)), "×1/10");
        assert_eq!(label(in_seconds(Time::secs(15), 20.0)), "×1");
        assert_eq!(label(in_seconds(Time::ms(1), 20.0)), "×1/1000");
    }
}
