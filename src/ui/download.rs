//! Saving text as a file: a Blob behind a temporary object URL, clicked through an `<a download>`
//! that is never attached to the page. Nothing leaves the browser.

use super::dom;
use crate::view::i18n::t;
use wasm_bindgen::JsCast;

/// Offers `body` as a download named `name` of type `mime`; an error says what the browser refused.
pub fn text(name: &str, mime: &str, body: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&body.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| t("this browser cannot make a file to download").to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| t("this browser cannot offer a download").to_string())?;
    let a = dom::document()
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or(t("this browser cannot offer a download"))?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
