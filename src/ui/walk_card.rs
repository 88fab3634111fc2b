//! The walkthrough card over the stage: the doors into the scenario's walkthroughs, or the step
//! on screen and how to go on.

use super::app::{App, Msg};
use crate::view::i18n::{t, tf};
use crate::view::plugin::{self, Family, WalkDoor};
use crate::view::session::Session;
use crate::view::speed;
use yew::html::Scope;
use yew::prelude::*;

/// The walkthrough's narration: the step on screen, and how to go on.
pub fn card(session: &Session, link: &Scope<App>) -> Html {
    let Some(w) = session.walk() else {
        let Some((title, doors)) = Family::of(session.world()).walks() else { return html! {} };
        let door = |id: &'static str, d: WalkDoor| {
            html! { <button id={id} onclick={link.callback(move |_| Msg::StartWalk(d.variant))} title={t(d.hint)}>{t(d.label)}</button> }
        };
        return html! {
            <div class="walk-start">
                <b>{t(title)}</b>
                { door("walk-start", doors[0]) }
                // KRaft: with the leader killed, a retry can fail again while the controller waits to
                // fence the dead broker, which the narration does not tell yet: not offered.
                if !crate::view::kraft::is_kraft(session.world()) { { door("walk-start-kill", doors[1]) } }
            </div>
        };
    };
    let (i, n) = w.position();
    let step = w.current();
    html! {
        <div class="walk" id="walk" role="status" aria-live="polite">
            <div class="walk-head">
                <span class="walk-count" id="walk-count">{ if w.done() { t("done").to_string() } else { tf("step {0} of {1}", &[&i, &n]) } }</span>
                <b id="walk-title">{ step.map_or(t("Waiting for a consumer to read (the walkthrough needs a producer and a consumer)…").to_string(), |s| s.title.clone()) }</b>
                if let Some(s) = step { <span class="walk-time">{format!("t = {}", s.at)}</span> }
            </div>
            <p id="walk-text">{ step.map_or(String::new(), |s| s.text.clone()) }</p>
            <div class="walk-actions">
                if w.done() {
                    <span class="field-ok" id="walk-done">{ t(plugin::walk_done(w.variant)) }</span>
                    <button id="walk-next" onclick={link.callback(|_| Msg::WalkClose)}>{t("Close")}</button>
                } else if w.waiting() {
                    <button id="walk-next" class="primary" onclick={link.callback(|_| Msg::WalkNext)} title={t("Go on to the next step (→)")}>{t("Next step →")}</button>
                } else {
                    <span class="walk-wait">{ tf("playing until the next step… ({0})", &[&speed::label(session.speed())]) }</span>
                }
                if let Some((subject, since)) = w.subject() {
                    <button id="walk-journey" onclick={link.callback(move |_| Msg::Journey(subject, since))}
                        title={t("The steps so far as a sequence diagram")}>{t("Sequence diagram")}</button>
                }
                <button id="walk-close" onclick={link.callback(|_| Msg::WalkClose)}>{t("End walkthrough")}</button>
            </div>
        </div>
    }
}
