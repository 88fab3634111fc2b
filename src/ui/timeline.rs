//! The timeline under the stage: a scrubber over the simulated time played so far, with a tick
//! per marker (crash, cut, election, ISR change, rebalance, dead letter, fork), and buttons to step
//! back one event and jump between markers. Seeking pauses; playing goes on from the instant shown.

use super::app::{icon, App, Msg};
use crate::engine::Time;
use crate::view::i18n::{t, tf};
use crate::view::session::Session;
use web_sys::HtmlInputElement;
use yew::prelude::*;

pub fn bar(session: &Session, link: &yew::html::Scope<App>) -> Html {
    let tl = session.timeline();
    let (start, head, now) = (tl.start().0, tl.head().0, session.sim().now().0);
    let disabled = !session.can_seek();
    let span = (head - start).max(1) as f64;
    let pos = |t: Time| format!("left: {:.2}%", (t.0.saturating_sub(start)) as f64 * 100.0 / span);
    let ticks = tl.markers().iter().map(|m| {
        let at = m.at.0;
        html! {
            <i class={classes!("tick", m.kind)} style={pos(m.at)} title={m.text.clone()}
                onclick={link.callback(move |_| Msg::Seek(at))}></i>
        }
    });
    let title = if disabled {
        t("The timeline is paused while a walkthrough runs (it must see every event)").to_string()
    } else {
        tf(
            "Played so far: {0} to {1}. Drag to go back or forward; acting in the past forks the run",
            &[&tl.start(), &tl.head()],
        )
    };
    html! {
        <div class="timeline" id="timeline" title={title}>
            <button id="tl-prev" disabled={disabled} onclick={link.callback(|_| Msg::Jump(false))} title={t("Previous marker")}>{ icon("M6 5h2v14H6zM20 5v14L9 12z") }</button>
            <button id="tl-back" disabled={disabled} onclick={link.callback(|_| Msg::StepBack)} title={t("Step back one event (←)")}>{ icon("M19 4l-10 8 10 8zM5 4h3v16H5z") }</button>
            <div class="tl-track">
                <input type="range" id="scrub" aria-label={t("Simulated time")} disabled={disabled}
                    min={start.to_string()} max={head.max(start + 1).to_string()} step="1" value={now.to_string()}
                    oninput={link.callback(|e: InputEvent| {
                        Msg::Seek(e.target_unchecked_into::<HtmlInputElement>().value().parse().unwrap_or(0))
                    })} />
                <div class="tl-ticks">{ for ticks }</div>
            </div>
            <button id="tl-next" disabled={disabled} onclick={link.callback(|_| Msg::Jump(true))} title={t("Next marker")}>{ icon("M16 5h2v14h-2zM4 5v14l11-7z") }</button>
            <span class="tl-time" id="tl-time" title={t("Simulated time shown / played so far; queue entries processed")}>
                {tf("{0} / {1} · entry ", &[&Time(now), &Time(head)])}<b id="tl-steps">{session.sim().steps()}</b>
            </span>
        </div>
    }
}
