//! An edited scenario in the page's address (`scenario=`), so a link from an applied configuration,
//! a topology edit or the scenario editor opens that scenario, not the preset it started from.
//!
//! The scenario is its compact JSON in base64url (RFC 4648 §5, no padding): every character is one
//! a URL carries as it is. Not compressed: a preset-sized scenario is 2–5 KB of JSON, 3–7 KB in
//! the address, which browsers carry (Chromium takes 2 MB). Reading it back is the scenario
//! loader's own validation, so a tampered link is an error in words, never a crash, and nothing in
//! it runs or fetches anything: it is data the engine validates.

use crate::i18n::{t, tf};
use brokerlab_engine::Scenario;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// The longest `scenario=` read (characters): far beyond any real scenario, short of a page hang.
pub const MAX_LEN: usize = 200_000;

pub fn encode(s: &Scenario) -> String {
    base64url(serde_json::to_string(s).expect("a scenario always serialises").as_bytes())
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

pub fn decode(text: &str) -> Result<Scenario, String> {
    Scenario::from_json(&from_base64url(text)?)
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
            let text = encode(&s);
            assert!(text.bytes().all(|c| ALPHABET.contains(&c)), "{slug}");
            assert!(text.len() < 12_000, "{slug}: {} characters", text.len());
            assert_eq!(decode(&text).unwrap(), s, "{slug}");
        }
    }

    #[test]
    fn tampered_links_are_errors_in_words() {
        let text = encode(&presets::load("kafka-basic").unwrap());
        assert!(decode(&text[..text.len() / 2]).is_err(), "cut short");
        assert!(decode("not+base64").unwrap_err().contains("character"));
        assert!(decode(&"A".repeat(MAX_LEN + 1)).unwrap_err().contains("more than"));
        // Well-formed base64 of a scenario the loader refuses: the loader's own message.
        let e = decode(&base64url(br#"{"name":"x","seed":"seven"}"#)).unwrap_err();
        assert!(e.contains("seed"), "{e}");
        assert!(decode(&base64url(&[0xff, 0xfe])).unwrap_err().contains("not text"));
    }
}
