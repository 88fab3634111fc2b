//! The page in English or Korean. The English text is the key: `t("Run")` is "Run" in English
//! and the catalogue's translation in Korean, so code reads as the English page does and a
//! missing translation falls back to English instead of a blank. Texts with values in them are
//! templates with numbered slots (`tf("{0} of {1} done", &[&a, &b])`), because Korean puts the
//! values in another order.
//!
//! The catalogues are plain text files (`i18n/ko/*.txt`, pairs of `en:` / `ko:` lines) that the
//! page fetches only when Korean is chosen, so an English page carries none of their bytes. The
//! engine stays language-free: its events are rendered here, and its event-log lines and
//! scenario validation errors stay English (see the README).
//!
//! The current language and catalogue are per thread (the page has one thread): set once when the
//! page starts, read everywhere it renders.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;

#[cfg(test)]
mod tests;

/// The languages the page speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The code in URLs and local storage (`lang=ko`), also the `<html lang>` value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ko => "한국어",
        }
    }

    /// `en`, `ko`, or a browser's tag such as `ko-KR`; case does not matter.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }
}

/// The catalogue files of each non-English language, fetched in this order (a later file's
/// entry wins, which nothing relies on: the tests refuse a key given twice).
pub const KO_FILES: &[&str] = &["page", "lessons", "walk", "glossary", "errors", "rabbit"];

/// Where the page fetches catalogue `file` of `lang` from (Trunk copies `i18n/` into the site).
pub fn catalogue_url(lang: Lang, file: &str) -> String {
    format!("i18n/{}/{file}.txt", lang.code())
}

struct State {
    lang: Lang,
    /// English text → its translation, for `lang`.
    catalogue: HashMap<&'static str, &'static str>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State { lang: Lang::En, catalogue: HashMap::new() });
}

/// The language the page is shown in.
pub fn lang() -> Lang {
    STATE.with(|s| s.borrow().lang)
}

/// Shows the page in `lang` from now on, with `catalogue` (the texts of its files, parsed with
/// `parse`); English needs none. Called once as the page starts (and by tests).
pub fn set(lang: Lang, catalogue: HashMap<&'static str, &'static str>) {
    STATE.with(|s| *s.borrow_mut() = State { lang, catalogue });
}

/// Parses a catalogue file: `en:` lines each followed by its `ko:` line (blank lines and `#`
/// comments between entries); `\n` in either stands for a line break, `\\` for a backslash.
/// The text is leaked: a catalogue is read once per page and lives as long as the page.
pub fn parse(text: &str) -> Result<HashMap<&'static str, &'static str>, String> {
    let mut out = HashMap::new();
    let mut pending: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r'))) {
        if let Some(en) = line.strip_prefix("en: ") {
            if let Some((at, _)) = pending {
                return Err(format!("line {at}: an English text with no translation after it"));
            }
            pending = Some((n, unescape(en)));
        } else if let Some(tr) = line.strip_prefix("ko: ") {
            let Some((_, en)) = pending.take() else {
                return Err(format!("line {n}: a translation with no English text before it"));
            };
            let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
            if out.insert(leak(en.clone()), leak(unescape(tr))).is_some() {
                return Err(format!("line {n}: \"{en}\" is translated twice"));
            }
        } else if !(line.trim().is_empty() || line.starts_with('#')) {
            return Err(format!("line {n}: expected \"en: …\", \"ko: …\", a blank line or a # comment"));
        }
    }
    match pending {
        Some((at, _)) => Err(format!("line {at}: an English text with no translation after it")),
        None => Ok(out),
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// Marks a text in a constant for translation where it is shown later with `t` (a `const` cannot
/// look anything up): the catalogue tests find it by this mark, as gettext's `N_`.
pub const fn en(text: &'static str) -> &'static str {
    text
}

/// `en` in the page's language: its translation, or `en` itself in English or when the
/// catalogue has none (the page then shows English rather than nothing).
// Never inlined: the page calls it at hundreds of places, and each inlined copy of the lookup
// would cost the wasm its bytes again.
#[inline(never)]
pub fn t(en: &str) -> &str {
    STATE.with(|s| {
        let s = s.borrow();
        match s.lang {
            Lang::En => en,
            _ => s.catalogue.get(en).copied().unwrap_or(en),
        }
    })
}

/// `t(en)` with its slots `{0}`, `{1}`, … filled from `args` (a slot may appear in any order, or
/// more than once; a slot with no value is left as it is).
#[inline(never)]
pub fn tf(en: &str, args: &[&dyn Display]) -> String {
    fill(t(en), args)
}

fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let slot = after.find('}').and_then(|close| Some((after[..close].parse::<usize>().ok()?, close)));
        match slot.and_then(|(i, close)| Some((args.get(i)?, close))) {
            Some((arg, close)) => {
                out.push_str(&arg.to_string());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `query` (a page's address, with or without `?`) with its `lang` set to `lang`, dropped for
/// English (the default); `./` when nothing is left, the start page.
pub fn with_lang(query: &str, lang: Lang) -> String {
    let code = format!("lang={}", lang.code());
    let mut pairs: Vec<&str> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && *p != "lang" && !p.starts_with("lang="))
        .collect();
    if lang != Lang::En {
        pairs.push(&code);
    }
    match pairs.is_empty() {
        true => "./".to_string(),
        false => format!("?{}", pairs.join("&")),
    }
}

/// Whether `query` opens the start page: nothing in it but perhaps a language.
pub fn is_start_page(query: &str) -> bool {
    with_lang(query, Lang::En) == "./"
}

/// The slots a template uses, sorted and without repeats: a translation must use the same.
pub fn slots(template: &str) -> Vec<usize> {
    let mut found: Vec<usize> = template
        .match_indices('{')
        .filter_map(|(i, _)| {
            let after = &template[i + 1..];
            after[..after.find('}')?].parse().ok()
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}
