//! Saving and opening a run (`view::run_file`): "Save run" downloads the run on screen as a JSON
//! file; "Open run…" picks one, and a file dropped anywhere on the page opens too (a scenario file
//! as well). The file's text is read here and handed to the app; what it means is the view's.

use super::app::{App, Msg};
use crate::view::i18n::{t, tf};
use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement};
use yew::html::Scope;
use yew::prelude::*;

/// The two buttons, for the controls bar. The file input is a real, labelled `<input type=file>`
/// (keyboard and phone users reach it; the label is what shows).
pub fn buttons(link: &Scope<App>) -> Html {
    let open = {
        let link = link.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                read(file, &link);
            }
            // The same file picked again must fire `change` again.
            input.set_value("");
        })
    };
    html! {
        <span class="run-file">
            <button id="save-run" onclick={link.callback(|_| Msg::SaveRun)}
                title={t("Download this run — scenario, seed, your actions and the instant shown — as a JSON file; `brokerlab run FILE` replays it")}>
                { super::app::icon("M5 20h14v-2H5zM19 9h-4V3H9v6H5l7 7z") }{t("Save run")}
            </button>
            <label class="button" for="open-run" title={t("Open a saved run (or a scenario file); you can also drop one on the page")}>
                { super::app::icon("M5 20h14v-2H5zM9 16h6v-6h4l-7-7-7 7h4z") }{t("Open run…")}
            </label>
            <input id="open-run" class="visually-hidden" type="file" accept=".json,application/json" onchange={open} />
        </span>
    }
}

/// Dropping a file anywhere on the page opens it (the page must accept the drag first).
pub fn drop_listeners(link: &Scope<App>) -> [EventListener; 2] {
    let options = EventListenerOptions::enable_prevent_default();
    let over = EventListener::new_with_options(&super::dom::document(), "dragover", options, |e| e.prevent_default());
    let link = link.clone();
    let drop = EventListener::new_with_options(&super::dom::document(), "drop", options, move |e| {
        e.prevent_default();
        let file =
            e.dyn_ref::<DragEvent>().and_then(|d| d.data_transfer()).and_then(|t| t.files()).and_then(|f| f.get(0));
        if let Some(file) = file {
            read(file, &link);
        }
    });
    [over, drop]
}

/// Reads `file` as text and sends it to the app (or says why it could not be read).
fn read(file: File, link: &Scope<App>) {
    let name = file.name();
    if file.size() > crate::view::run_file::MAX_BYTES as f64 {
        let mb = file.size() / 1_048_576.0;
        link.send_message(Msg::OpenFailed(format!("“{name}” is {mb:.0} MB: too large for a saved run")));
        return;
    }
    let link = link.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()) {
            Some(text) => link.send_message(Msg::OpenRun(name, text)),
            None => link.send_message(Msg::OpenFailed(tf("“{0}” could not be read as text", &[&name]))),
        }
    });
}
