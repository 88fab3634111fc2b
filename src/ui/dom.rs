//! Thin wrappers over the browser calls the UI makes, each failing soft: a missing API never
//! panics the page.

use crate::view::i18n::{t, tf};

pub fn window() -> web_sys::Window {
    web_sys::window().expect("running in a browser window")
}

pub fn document() -> web_sys::Document {
    window().document().expect("a window has a document")
}

/// Milliseconds since the page started loading (`performance.now()`).
pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// A `performance.mark` named `name`: an instant a trace of the page can find (the benchmark's
/// runs are bracketed by them, so `scripts/ratio.mjs` can sum their frames' CPU time).
pub fn mark(name: &str) {
    if let Some(p) = window().performance() {
        let _ = p.mark(name);
    }
}

/// The URL's query string, e.g. `?preset=relay-basic&seed=3`.
pub fn query() -> String {
    window().location().search().unwrap_or_default()
}

/// Rewrites the query string without reloading, so the address bar always reopens this state (in
/// the language it is shown in).
pub fn replace_query(query: &str) {
    let query = crate::view::i18n::with_lang(query, crate::view::i18n::lang());
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
    }
}

/// Records when the page first rendered (`data-first-render-ms` on `<html>`, in ms since
/// navigation start), for `make bench`.
pub fn mark_first_render() {
    if let Some(e) = document().document_element() {
        let _ = e.set_attribute("data-first-render-ms", &format!("{:.0}", now_ms()));
    }
}

/// A seed from the browser's entropy (`crypto.getRandomValues`, through `getrandom`); `None` if
/// the browser has none to give. Only seeds come from here: the engine's own streams stay seeded.
pub fn random_seed() -> Option<u64> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// Offers `content` to the user as a downloaded file `name`: a Blob behind a temporary
/// `<a download>`, clicked. The object URL is revoked a minute later (at once could cut the
/// download short in some browsers).
pub fn download(name: &str, mime: &str, content: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let failed = |what: &str| tf("the browser would not {0} for the download of {1}", &[&what, &name]);
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(content));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| failed(t("make a file")))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed(t("make a link")))?;
    let a: web_sys::HtmlAnchorElement =
        document().create_element("a").ok().and_then(|e| e.dyn_into().ok()).ok_or_else(|| failed(t("make a link")))?;
    a.set_href(&url);
    a.set_download(name);
    let body = document().body().ok_or_else(|| failed(t("find the page")))?;
    let _ = body.append_child(&a);
    a.click();
    let _ = body.remove_child(&a);
    gloo::timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// Reads the file chosen in a file input as text and hands `(name, size in bytes, text)` to
/// `done`, or `Err` with words for the user if the browser could not read it. A file larger than
/// `max_bytes` is not read at all: `done` gets its name and size with no text, to refuse it.
pub fn read_chosen_file(
    input: &web_sys::HtmlInputElement,
    max_bytes: f64,
    done: impl FnOnce(Result<(String, f64, String), String>) + 'static,
) {
    let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
    let (name, size) = (file.name(), file.size());
    if size > max_bytes {
        return done(Ok((name, size, String::new())));
    }
    wasm_bindgen_futures::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        done(match text.ok().and_then(|t| t.as_string()) {
            Some(text) => Ok((name, size, text)),
            None => Err(tf("{0} could not be read as text", &[&name])),
        });
    });
}
