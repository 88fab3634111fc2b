//! The page's language: chosen from the URL (`lang=ko`), else the one chosen before in this
//! browser, else the browser's own; Korean's catalogue fetched before the page mounts; the switch
//! in every page's header. Switching reopens the page's own address in the other language (the
//! address holds the run, so nothing is lost).

use crate::view::i18n::{self, Lang};
use std::cell::RefCell;
use yew::prelude::*;

const KEY: &str = "brokerlab.lang";

thread_local! {
    /// Why the chosen language could not be shown, for the switch to say.
    static PROBLEM: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn storage() -> Option<web_sys::Storage> {
    super::dom::window().local_storage().ok().flatten()
}

/// The language to show: the URL's, else this browser's earlier choice, else its own language.
pub fn chosen(from_url: Option<Lang>) -> Lang {
    if let Some(lang) = from_url {
        remember(lang);
        return lang;
    }
    let stored = storage().and_then(|s| s.get_item(KEY).ok().flatten());
    let browser = super::dom::window().navigator().language();
    stored.or(browser).and_then(|code| Lang::from_code(&code)).unwrap_or_default()
}

fn remember(lang: Lang) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, lang.code());
    }
}

/// Sets the page's language, fetching its catalogue first, then calls `mount`. If the catalogue
/// cannot be had, the page opens in English and the switch says why.
pub fn start(lang: Lang, mount: impl FnOnce() + 'static) {
    if lang == Lang::En {
        return mount();
    }
    wasm_bindgen_futures::spawn_local(async move {
        match fetch_catalogue(lang).await {
            Ok(catalogue) => {
                i18n::set(lang, catalogue);
                if let Some(html) = super::dom::document().document_element() {
                    let _ = html.set_attribute("lang", lang.code());
                }
            }
            // In English: the catalogue that would translate it is what did not load.
            Err(e) => PROBLEM.with(|p| {
                *p.borrow_mut() = Some(format!("{} could not be loaded ({e}); showing English", lang.name()))
            }),
        }
        mount();
    });
}

async fn fetch_catalogue(lang: Lang) -> Result<std::collections::HashMap<&'static str, &'static str>, String> {
    // Every request is sent before the first answer is awaited: the files come in parallel.
    let requests: Vec<(String, js_sys::Promise)> = i18n::KO_FILES
        .iter()
        .map(|file| i18n::catalogue_url(lang, file))
        .map(|url| {
            let request = super::dom::window().fetch_with_str(&url);
            (url, request)
        })
        .collect();
    let mut all = std::collections::HashMap::new();
    for (url, request) in requests {
        let text = text_of(request).await.map_err(|e| format!("{url}: {e}"))?;
        all.extend(i18n::parse(&text).map_err(|e| format!("{url}: {e}"))?);
    }
    Ok(all)
}

/// The body of a fetch's answer as text. In English: a catalogue that did not load cannot
/// translate why.
async fn text_of(request: js_sys::Promise) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let response = JsFuture::from(request).await.map_err(|_| "no connection".to_string())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "no response".to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = response.text().map_err(|_| "unreadable".to_string())?;
    JsFuture::from(text).await.ok().and_then(|t| t.as_string()).ok_or_else(|| "unreadable".to_string())
}

/// The language switch: the other languages as links that reopen this page in them.
pub fn switch() -> Html {
    let current = i18n::lang();
    let links = Lang::ALL.into_iter().filter(|l| *l != current).map(|lang| {
        let onclick = Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            remember(lang);
            let _ = super::dom::window().location().assign(&i18n::with_lang(&super::dom::query(), lang));
        });
        html! { <a class="lang" id={format!("lang-{}", lang.code())} hreflang={lang.code()} href={i18n::with_lang(&super::dom::query(), lang)} {onclick}>{ lang.name() }</a> }
    });
    let problem = PROBLEM.with(|p| p.borrow().clone());
    html! {
        <span class="lang-switch">
            { for links }
            if let Some(p) = problem { <span class="field-error" id="lang-problem">{p}</span> }
        </span>
    }
}
