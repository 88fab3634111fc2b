//! The help overlay: keyboard shortcuts and the terms the page uses.

use super::app::{App, Msg};
use crate::view::i18n::t;
use yew::html::Scope;
use yew::prelude::*;

/// A glossary as a definition list (the same sentences are the tooltips).
pub fn terms(terms: crate::view::glossary::Terms) -> Html {
    html! {
        <dl class="glossary">
            { for terms.iter().map(|(term, text)| html! { <><dt>{t(term)}</dt><dd>{t(text)}</dd></> }) }
        </dl>
    }
}

/// `terms`: the running system's glossary.
pub fn overlay(link: &Scope<App>, glossary: crate::view::glossary::Terms) -> Html {
    html! {
        <div class="overlay" onclick={link.callback(|_| Msg::ToggleHelp)}>
            <div class="panel help" id="help">
                <h2>{t("Keyboard shortcuts")}</h2>
                <table class="kv">
                    <tr><td><kbd>{t("space")}</kbd></td><td>{t("play / pause")}</td></tr>
                    <tr><td><kbd>{"→"}</kbd></td><td>{t("step: process one event — in a walkthrough, the next step")}</td></tr>
                    <tr><td><kbd>{"←"}</kbd></td><td>{t("step back one event (the timeline)")}</td></tr>
                    <tr><td><kbd>{"r"}</kbd></td><td>{t("reset with the same seed")}</td></tr>
                    <tr><td><kbd>{"+"}</kbd>{" / "}<kbd>{"-"}</kbd></td><td>{t("faster / slower")}</td></tr>
                    <tr><td><kbd>{"?"}</kbd></td><td>{t("this help")}</td></tr>
                    <tr><td><kbd>{"Esc"}</kbd></td><td>{t("close / deselect")}</td></tr>
                </table>
                if !glossary.is_empty() {
                    <h2>{t("Terms")}</h2>
                    { terms(glossary) }
                }
                <p>{t("The same scenario, seed and actions always give the same run: the trace hash proves it. The address bar keeps the preset, seed, speed, the actions you took and (paused) the instant shown, so a link replays what you did. An applied configuration, a topology edit or an edited scenario goes in the link too.")}</p>
            </div>
        </div>
    }
}
