//! Virtual time: an integer count of microseconds since the simulation started.
//!
//! Integers, never floats, so that native and wasm runs agree to the last tick. A microsecond is fine
//! enough for a datacentre (one-way latency ≈ 250 µs) and a u64 of them lasts 584 000 years.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant or a span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

impl Time {
    pub const ZERO: Time = Time(0);
    pub const MAX: Time = Time(u64::MAX);

    /// For serde's `skip_serializing_if`.
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }

    pub const fn us(n: u64) -> Time {
        Time(n)
    }
    pub const fn ms(n: u64) -> Time {
        Time(n * 1_000)
    }
    pub const fn secs(n: u64) -> Time {
        Time(n * 1_000_000)
    }
    pub const fn as_us(self) -> u64 {
        self.0
    }
    pub fn saturating_sub(self, other: Time) -> Time {
        Time(self.0.saturating_sub(other.0))
    }

    /// Parses a human duration: an integer or decimal number followed by `ns`, `us`, `µs`, `ms`, `s`,
    /// `m` or `min`, e.g. `250us`, `1.5ms`, `2s`. Whitespace between number and unit is allowed.
    /// Anything finer than a microsecond is rejected rather than silently rounded.
    pub fn parse(text: &str) -> Result<Time, String> {
        let t = text.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("`{t}` has no unit: write e.g. `250us`, `5ms` or `2s`"))?;
        let (num, unit) = (&t[..split], t[split..].trim());
        if num.is_empty() {
            return Err(format!("`{t}` is not a duration: write e.g. `250us`, `5ms` or `2s`"));
        }
        let ns_per_unit: u128 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" | "min" => 60_000_000_000,
            _ => return Err(format!("`{t}`: unknown unit `{unit}` (use ns, us, ms, s or min)")),
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() && frac.is_empty() || frac.contains('.') || frac.len() > 12 {
            return Err(format!("`{t}` is not a number followed by a unit"));
        }
        let int: u128 =
            if int.is_empty() { 0 } else { int.parse().map_err(|_| format!("`{t}` is not a valid duration"))? };
        let frac_val: u128 =
            if frac.is_empty() { 0 } else { frac.parse().map_err(|_| format!("`{t}` is not a valid duration"))? };
        let scale = 10u128.pow(frac.len() as u32);
        let ns = int
            .checked_mul(ns_per_unit)
            .and_then(|v| v.checked_add(frac_val * ns_per_unit / scale))
            .ok_or_else(|| format!("`{t}` is too large"))?;
        if frac_val * ns_per_unit % scale != 0 || ns % 1_000 != 0 {
            return Err(format!("`{t}` is finer than the simulator's 1 µs resolution"));
        }
        u64::try_from(ns / 1_000).map(Time).map_err(|_| format!("`{t}` is too large"))
    }
}

impl Add for Time {
    type Output = Time;
    fn add(self, rhs: Time) -> Time {
        Time(self.0.saturating_add(rhs.0))
    }
}
impl AddAssign for Time {
    fn add_assign(&mut self, rhs: Time) {
        *self = *self + rhs;
    }
}
impl std::ops::Div<u64> for Time {
    type Output = Time;
    fn div(self, rhs: u64) -> Time {
        Time(self.0 / rhs.max(1))
    }
}

impl Sub for Time {
    type Output = Time;
    fn sub(self, rhs: Time) -> Time {
        Time(self.0.saturating_sub(rhs.0))
    }
}

/// Shortest exact form: `1.5ms`, `2s`, `250us`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        let (unit, per) = if us >= 1_000_000 {
            ("s", 1_000_000)
        } else if us >= 1_000 {
            ("ms", 1_000)
        } else {
            return write!(f, "{us}us");
        };
        let (whole, rest) = (us / per, us % per);
        if rest == 0 {
            return write!(f, "{whole}{unit}");
        }
        let digits = if per == 1_000_000 { 6 } else { 3 };
        let frac = format!("{rest:0digits$}");
        write!(f, "{whole}.{}{unit}", frac.trim_end_matches('0'))
    }
}

impl serde::Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parsed inside a visitor, so a bad duration is reported where the string is: serde_json then
/// knows its position, and the error names the field (`json_path`), not just its object.
impl<'de> serde::Deserialize<'de> for Time {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"250us\", \"5ms\" or \"2s\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Time, E> {
                Time::parse(text).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_decimals() {
        for (text, us) in [
            ("250us", 250),
            ("250µs", 250),
            ("5ms", 5_000),
            ("1.5ms", 1_500),
            ("0.25 s", 250_000),
            ("2s", 2_000_000),
            ("1min", 60_000_000),
            ("3000ns", 3),
            (".5ms", 500),
        ] {
            assert_eq!(Time::parse(text), Ok(Time(us)), "{text}");
        }
    }

    #[test]
    fn rejects_bad_durations_with_a_reason() {
        for text in ["", "5", "ms", "5 parsecs", "1.2.3ms", "1500ns", "0.0001ms", "-1ms", "99999999999999999999s"] {
            assert!(Time::parse(text).is_err(), "{text} should be rejected");
        }
        assert!(Time::parse("5").unwrap_err().contains("no unit"));
    }

    #[test]
    fn display_round_trips() {
        for us in [0, 1, 999, 1_000, 1_500, 1_234, 1_000_000, 2_500_000, 61_000_001] {
            let t = Time(us);
            assert_eq!(Time::parse(&t.to_string()), Ok(t), "{t}");
        }
        assert_eq!(Time(1_500).to_string(), "1.5ms");
        assert_eq!(Time(2_000_000).to_string(), "2s");
    }
}
