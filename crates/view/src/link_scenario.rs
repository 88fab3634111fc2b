//! An edited scenario in the page's address (`scenario=`), so a link from an applied configuration,
//! a topology edit or the scenario editor opens that scenario, not the preset it started from.
//!
//! The link carries the scenario's *changes to its preset* (`json_edit::diff`: `{"kafka.producers.0.acks":
//! "1"}`), as `.` and that JSON in base64url (RFC 4648 §5, no padding: every character is one a
//! URL carries as it is). An edit of a field or two is tens of characters instead of the 3–7 KB
//! of the whole scenario. A scenario whose changes cannot be written as edits (it is not an edit
//! of its preset's shape) goes whole, as base64url of its JSON without the `.`; links written
//! before edits were carried this way still open. Reading either back ends in the scenario
//! loader's own validation, so a tampered link is an error in words, never a crash, and nothing
//! in it runs or fetches anything: it is data the engine validates.

use crate::i18n::{t, tf};
use crate::json_edit;
use brokerlab_engine::{presets, Scenario};
use serde_json::Value;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// The longest `scenario=` read (characters): far beyond any real scenario, short of a page hang.
pub const MAX_LEN: usize = 200_000;
/// Marks a link's scenario as edits of its preset (never a base64url character).
const EDITS: char = '.';

/// `s` for the link of a page on a preset (`preset`, its scenario): its edits of the preset, or
/// the whole scenario.
pub fn encode(s: &Scenario, preset: Option<&Scenario>) -> String {
    let json = |s: &Scenario| serde_json::to_value(s).expect("a scenario always serialises");
    let whole = || base64url(serde_json::to_string(s).expect("a scenario always serialises").as_bytes());
    let Some(base) = preset else { return whole() };
    let edits = json_edit::diff(&json(base), &json(s));
    if edits.contains_key("") {
        return whole();
    }
    let text = serde_json::to_string(&edits).expect("JSON always serialises");
    format!("{EDITS}{}", base64url(text.as_bytes()))
}

pub(crate) fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The scenario a link on `preset` carries, or what is wrong with it in words.
pub fn decode(text: &str, preset: &str) -> Result<Scenario, String> {
    let Some(edits) = text.strip_prefix(EDITS) else { return Scenario::from_json(&from_base64url(text)?) };
    let edits: serde_json::Map<String, Value> = serde_json::from_str(&from_base64url(edits)?)
        .map_err(|_| t("its edits are not a JSON object of fields and values").to_string())?;
    let base =
        presets::load(preset).ok_or_else(|| tf("there is no preset \"{0}\" to apply its edits to", &[&preset]))?;
    let mut json = serde_json::to_value(base).expect("a scenario always serialises");
    for (path, value) in edits {
        json_edit::set_path(&mut json, &path, value)
            .map_err(|e| tf("its edit of {0} does not fit the preset: {1}", &[&path, &e]))?;
    }
    Scenario::from_json(&json.to_string())
}

/// The text `base64url` wrote, or what is wrong with `text` in words (too long, a character
/// base64url never has, not text).
pub(crate) fn from_base64url(text: &str) -> Result<String, String> {
    if text.len() > MAX_LEN {
        return Err(tf("it is {0} characters long, more than the {1} a link may carry", &[&text.len(), &MAX_LEN]));
    }
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut n, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).ok_or(t("it holds a character a link never has"))?;
        n = n << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((n >> bits) as u8);
            n &= (1 << bits) - 1;
        }
    }
    String::from_utf8(bytes).map_err(|_| t("it is not text").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::presets;

    #[test]
    fn every_preset_goes_through_a_link_unchanged() {
        for (slug, _) in presets::PRESETS {
            let s = presets::load(slug).unwrap();
            // Whole (a link written before edits, or a scenario that is no edit of the preset).
            let text = base64url(serde_json::to_string(&s).unwrap().as_bytes());
            assert!(text.bytes().all(|c| ALPHABET.contains(&c)), "{slug}");
            assert!(text.len() < 12_000, "{slug}: {} characters", text.len());
            assert_eq!(decode(&text, slug).unwrap(), s, "{slug}");
            // As edits of itself: none.
            assert_eq!(encode(&s, Some(&s)), ".e30", "{slug}: {{}}");
            assert_eq!(decode(&encode(&s, Some(&s)), slug).unwrap(), s, "{slug}");
        }
    }

    /// Every field of every preset changed in turn (a number plus one, a text with a letter more,
    /// a flag flipped): each scenario the loader accepts goes through a link as one edit, no
    /// longer than its path and value, and comes back equal.
    #[test]
    fn edits_are_short_and_round_trip() {
        fn leaves(v: &Value, path: &str, out: &mut Vec<(String, Value)>) {
            let at = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
            match v {
                Value::Object(o) => o.iter().for_each(|(k, v)| leaves(v, &at(k), out)),
                Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| leaves(v, &at(&i.to_string()), out)),
                Value::Number(n) => out.push((path.to_string(), Value::from(n.as_u64().map_or(1, |n| n + 1)))),
                Value::String(s) => out.push((path.to_string(), Value::from(format!("{s}x")))),
                Value::Bool(b) => out.push((path.to_string(), Value::from(!b))),
                Value::Null => {}
            }
        }
        let mut checked = 0;
        for (slug, _) in presets::PRESETS {
            let preset = presets::load(slug).unwrap();
            let base = serde_json::to_value(&preset).unwrap();
            let mut edits = Vec::new();
            leaves(&base, "", &mut edits);
            for (path, value) in edits {
                let mut json = base.clone();
                // An edit carries its path and new value (or, for a field the scenario then leaves
                // out, its parent object whole).
                let mut room = 200 + (path.len() + value.to_string().len()) * 4 / 3;
                json_edit::set_path(&mut json, &path, value).unwrap();
                let Ok(edited) = Scenario::from_json(&json.to_string()) else { continue };
                let pointer = |p: &str| format!("/{}", p.replace('.', "/"));
                if serde_json::to_value(&edited).unwrap().pointer(&pointer(&path)).is_none() {
                    let parent = pointer(path.rsplit_once('.').map_or("", |(p, _)| p));
                    room = room.max(200 + json.pointer(&parent).map_or(0, |v| v.to_string().len()) * 4 / 3);
                }
                let text = encode(&edited, Some(&preset));
                assert!(text.starts_with('.') && text.len() < room, "{slug} {path}: {text}");
                assert_eq!(decode(&text, slug).unwrap(), edited, "{slug} {path}");
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked} edits");
        // An edit that drops a list entry (a fault) and renames the scenario.
        let preset = presets::load("kafka-basic").unwrap();
        let mut s = preset.clone();
        s.faults.clear();
        s.name = "mine".into();
        let text = encode(&s, Some(&preset));
        assert!(text.len() < 100, "{text}");
        assert_eq!(decode(&text, "kafka-basic").unwrap(), s);
    }

    #[test]
    fn tampered_links_are_errors_in_words() {
        let whole = base64url(serde_json::to_string(&presets::load("kafka-basic").unwrap()).unwrap().as_bytes());
        assert!(decode(&whole[..whole.len() / 2], "kafka-basic").is_err(), "cut short");
        assert!(decode("not+base64", "kafka-basic").unwrap_err().contains("character"));
        assert!(decode(&"A".repeat(MAX_LEN + 1), "kafka-basic").unwrap_err().contains("more than"));
        let edits = |json: &str| format!(".{}", base64url(json.as_bytes()));
        assert!(decode(&edits("[1]"), "kafka-basic").unwrap_err().contains("not a JSON object"));
        assert!(decode(&edits(r#"{"kafka.topics.9.name":"x"}"#), "kafka-basic").unwrap_err().contains("does not fit"));
        assert!(decode(&edits(r#"{"seed":"seven"}"#), "kafka-basic").is_err());
        assert!(decode(&edits("{}"), "no-such-preset").unwrap_err().contains("no preset"));
        // Well-formed base64 of a scenario the loader refuses: the loader's own message.
        let e = decode(&base64url(br#"{"name":"x","seed":"seven"}"#), "kafka-basic").unwrap_err();
        assert!(e.contains("seed"), "{e}");
        assert!(decode(&base64url(&[0xff, 0xfe]), "kafka-basic").unwrap_err().contains("not text"));
    }
}
