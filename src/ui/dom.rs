//! Thin wrappers over the browser calls the UI makes, each failing soft: a missing API never
//! panics the page.

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

/// The URL's query string, e.g. `?preset=relay-basic&seed=3`.
pub fn query() -> String {
    window().location().search().unwrap_or_default()
}

/// Rewrites the query string without reloading, so the address bar always reopens this state.
pub fn replace_query(query: &str) {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query));
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
