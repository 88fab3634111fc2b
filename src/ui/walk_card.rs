//! The walkthrough card over the stage: the doors into the scenario's walkthroughs, or the step
//! on screen and how to go on.

use super::app::{App, Msg};
use crate::view::session::Session;
use crate::view::speed;
use crate::view::walk::Variant;
use yew::html::Scope;
use yew::prelude::*;

/// The walkthrough's narration: the step on screen, and how to go on.
pub fn card(session: &Session, link: &Scope<App>) -> Html {
    let Some(w) = session.walk() else {
        let world = session.world();
        let (title, start, kill) = if world.shared.kafka.is_some() {
            (
                "Step through Kafka's flow: ",
                (
                    "▶ follow a record",
                    "Follow one record from the producer to the consumer's commit, one step at a time",
                    Variant::Normal,
                ),
                (
                    "▶ …with the leader killed mid-flow",
                    "The same, with the partition leader killed right after it appends the record",
                    Variant::KillLeader,
                ),
            )
        } else if crate::view::rabbit::broker(world).is_some() {
            (
                "Step through RabbitMQ's flow: ",
                ("▶ follow a message", "Follow one message from the publisher through the exchange and its bindings to a queue, a consumer's ack and the publisher's confirm", Variant::Rabbit),
                ("▶ …with its consumer killed before it acks", "The same, with the consumer crashing while it holds the message unacknowledged: requeued, then redelivered", Variant::RabbitKillConsumer),
            )
        } else {
            return html! {};
        };
        return html! {
            <div class="walk-start">
                <b>{title}</b>
                <button id="walk-start" onclick={link.callback(move |_| Msg::StartWalk(start.2))} title={start.1}>{start.0}</button>
                <button id="walk-start-kill" onclick={link.callback(move |_| Msg::StartWalk(kill.2))} title={kill.1}>{kill.0}</button>
            </div>
        };
    };
    let (i, n) = w.position();
    let step = w.current();
    html! {
        <div class="walk" id="walk" role="status" aria-live="polite">
            <div class="walk-head">
                <span class="walk-count" id="walk-count">{ if w.done() { "done".to_string() } else { format!("step {i} of {n}") } }</span>
                <b id="walk-title">{ step.map_or("Waiting for a consumer to read (the walkthrough needs a producer and a consumer)…".to_string(), |s| s.title.clone()) }</b>
                if let Some(s) = step { <span class="walk-time">{format!("t = {}", s.at)}</span> }
            </div>
            <p id="walk-text">{ step.map_or(String::new(), |s| s.text.clone()) }</p>
            <div class="walk-actions">
                if w.done() {
                    <span class="field-ok" id="walk-done">{ if w.variant.is_rabbit() {
                        "That was the message's whole journey."
                    } else {
                        "The record made it: produced, replicated, acknowledged, consumed and committed."
                    } }</span>
                    <button id="walk-next" onclick={link.callback(|_| Msg::WalkClose)}>{"Close"}</button>
                } else if w.waiting() {
                    <button id="walk-next" class="primary" onclick={link.callback(|_| Msg::WalkNext)} title="Go on to the next step (→)">{"Next step →"}</button>
                } else {
                    <span class="walk-wait">{ format!("playing until the next step… ({})", speed::label(session.speed())) }</span>
                }
                <button id="walk-close" onclick={link.callback(|_| Msg::WalkClose)}>{"End walkthrough"}</button>
            </div>
        </div>
    }
}
