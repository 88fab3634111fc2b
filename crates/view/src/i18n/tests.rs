use super::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every Korean catalogue file, parsed, merged; a key in two files is refused.
fn korean() -> HashMap<&'static str, &'static str> {
    let mut all = HashMap::new();
    for file in KO_FILES {
        let path = repo().join("i18n/ko").join(format!("{file}.txt"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (en, ko) in parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
            assert!(all.insert(en, ko).is_none(), "\"{en}\" is in two catalogue files");
        }
    }
    all
}

/// The catalogue directory holds exactly the files the page fetches.
#[test]
fn the_page_fetches_every_catalogue_file() {
    let mut on_disk: Vec<String> = std::fs::read_dir(repo().join("i18n/ko"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".txt").to_string())
        .collect();
    on_disk.sort();
    let mut fetched: Vec<String> = KO_FILES.iter().map(|s| s.to_string()).collect();
    fetched.sort();
    assert_eq!(on_disk, fetched);
}

/// The English texts the page looks up: every literal given to `t(…)` / `tf(…)` in the page's
/// and the view models' sources, and the texts that come from data (lessons, presets, glossary).
/// Each with where it comes from (a source file, or the data it is in).
fn keys() -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    for dir in ["src/ui", "crates/view/src"] {
        for file in rust_files(&repo().join(dir)) {
            let source = std::fs::read_to_string(&file).unwrap();
            let origin = file.strip_prefix(repo()).unwrap_or(&file).display().to_string();
            for key in literal_keys(&source) {
                keys.entry(key).or_insert_with(|| origin.clone());
            }
        }
    }
    for (origin, key) in data_keys() {
        keys.entry(key).or_insert(origin);
    }
    keys
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n/tests.rs") {
            out.push(path);
        }
    }
    out
}

/// A text as a catalogue line writes it.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The string literals right after `t(`, `tf(` or `en(` (not part of a longer name such as
/// `format(`), outside comments.
fn literal_keys(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    for call in ["t(", "tf(", "en("] {
        for (at, _) in source.match_indices(call) {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') || source[line_start..at].contains("//") {
                continue;
            }
            // rustfmt may put the text on the next line.
            let rest = source[at + call.len()..].trim_start();
            if let Some(literal) = rest.strip_prefix('"') {
                out.push(rust_literal(literal));
            }
        }
    }
    out
}

/// The value of the Rust string literal starting at `s` (just past its opening quote).
fn rust_literal(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => return out,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let code: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&code, 16).unwrap()).unwrap());
                }
                Some('\n') => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    panic!("unterminated string literal: {s:.60}")
}

/// Texts that come from data rather than code: each lesson's words, each comparison story's
/// title and explanation.
fn data_keys() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for lesson in crate::lesson::all() {
        out.extend(lesson.texts().into_iter().map(|s| (format!("lessons/{}.json", lesson.id), s.to_string())));
    }
    for story in brokerlab_engine::compare::presets::PRESETS {
        out.extend([story.title, story.why].map(|s| ("the comparison stories (engine)".to_string(), s.to_string())));
    }
    for story in brokerlab_engine::compare::perf::STORIES {
        let texts = [story.title, story.why, story.x_label];
        out.extend(texts.map(|s| ("the performance stories (engine)".to_string(), s.to_string())));
    }
    let deep = [brokerlab_engine::compare::deep::TITLE, brokerlab_engine::compare::deep::WHY];
    out.extend(deep.map(|s| ("the deep queues story (engine)".to_string(), s.to_string())));
    out.retain(|(_, s)| !s.is_empty());
    out
}

#[test]
fn every_text_the_page_shows_has_its_korean() {
    let ko = korean();
    let keys = keys();
    let missing: Vec<(&String, &String)> = keys.iter().filter(|(k, _)| !ko.contains_key(k.as_str())).collect();
    let mut by_origin: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (key, origin) in &missing {
        by_origin.entry(origin.as_str()).or_default().push(format!("en: {}", escape(key)));
    }
    let listing: Vec<String> = by_origin.iter().map(|(o, ks)| format!("# {o}\n{}", ks.join("\n"))).collect();
    assert!(
        missing.is_empty(),
        "{} texts have no Korean (add them to i18n/ko/*.txt):\n{}",
        missing.len(),
        listing.join("\n\n")
    );
}

#[test]
fn no_translation_is_left_over_from_a_text_the_page_no_longer_shows() {
    let keys = keys();
    let stale: Vec<String> = korean().into_keys().filter(|k| !keys.contains_key(*k)).map(escape).collect();
    assert!(stale.is_empty(), "translations of texts no longer shown (remove them):\n{}", stale.join("\n"));
}

#[test]
fn translations_fill_the_same_slots() {
    for (en, ko) in korean() {
        assert_eq!(slots(en), slots(ko), "\"{en}\" → \"{ko}\" fills other slots");
    }
}

#[test]
fn english_needs_no_catalogue_and_korean_falls_back_to_english() {
    set(Lang::En, HashMap::new());
    assert_eq!(t("Run"), "Run");
    set(Lang::Ko, parse("en: Run\nko: 실행\n").unwrap());
    assert_eq!(t("Run"), "실행");
    assert_eq!(t("Pause"), "Pause", "a missing translation shows the English");
    set(Lang::En, HashMap::new());
}

#[test]
fn templates_fill_slots_in_the_translation_s_order() {
    set(Lang::Ko, parse("en: {0} of {1} done\nko: {1}개 중 {0}개 완료\n").unwrap());
    assert_eq!(tf("{0} of {1} done", &[&3, &16]), "16개 중 3개 완료");
    assert_eq!(tf("{0} and {0}, {2}", &[&"a"]), "a and a, {2}", "an unfilled slot stays");
    assert_eq!(tf("braces {like this} stay", &[]), "braces {like this} stay");
    set(Lang::En, HashMap::new());
    assert_eq!(slots("{1} x {0} y {1}"), vec![0, 1]);
}

#[test]
fn a_malformed_catalogue_says_which_line() {
    assert_eq!(parse("en: a\nen: b\nko: c\n").unwrap_err(), "line 1: an English text with no translation after it");
    assert_eq!(parse("ko: a\n").unwrap_err(), "line 1: a translation with no English text before it");
    assert_eq!(parse("# fine\n\nen: a\nko: b\nxx\n").unwrap_err().split(':').next(), Some("line 5"));
    assert_eq!(parse("en: a\nko: b\nen: a\nko: c\n").unwrap_err(), "line 4: \"a\" is translated twice");
    assert_eq!(parse("en: line\\none\nko: 줄\\n하나\n").unwrap()["line\none"], "줄\n하나");
}

#[test]
fn language_codes_from_urls_and_browsers() {
    assert_eq!(Lang::from_code("ko"), Some(Lang::Ko));
    assert_eq!(Lang::from_code("ko-KR"), Some(Lang::Ko));
    assert_eq!(Lang::from_code("EN-us"), Some(Lang::En));
    assert_eq!(Lang::from_code("fr"), None);
    assert_eq!(Lang::from_code(""), None);
}

#[test]
fn the_source_scanner_reads_rust_literals() {
    let src = "x(t(\"a \\\"b\\\"\")); format(\"no\"); tf(\"{0} \\\n        next\", &[&1]); it(\"no\"); en(\"c\"); tf(\n   \"d\")\n// t(\"no\")";
    assert_eq!(
        literal_keys(src),
        vec!["a \"b\"".to_string(), "{0} next".to_string(), "d".to_string(), "c".to_string()]
    );
}

#[test]
fn the_language_rides_along_in_the_address() {
    assert_eq!(with_lang("?preset=kafka-basic&seed=3", Lang::Ko), "?preset=kafka-basic&seed=3&lang=ko");
    assert_eq!(with_lang("?lang=ko&preset=kafka-basic", Lang::En), "?preset=kafka-basic");
    assert_eq!(with_lang("?lang=ko", Lang::Ko), "?lang=ko");
    assert_eq!(with_lang("", Lang::En), "./");
    assert!(is_start_page("") && is_start_page("?") && is_start_page("?lang=ko") && is_start_page("?lang=fr"));
    assert!(!is_start_page("?compare&lang=ko") && !is_start_page("?language=ko"));
}
