//! The playground's side panels: the counters, the event log, the scenario editor, and the
//! export of the scenario as files for a real broker.

use super::app::{App, Msg};
use crate::view::event_log;
use crate::view::export;
use crate::view::i18n::{t, tf};
use crate::view::plugin::Family;
use crate::view::session::Session;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::html::Scope;
use yew::prelude::*;

/// What has happened so far: records published, acked, consumed, packets dropped, latencies.
pub fn counters(session: &Session) -> Html {
    let m = &session.world().metrics;
    let pct = |h: &crate::engine::metrics::Histogram, p| h.percentile(p).map_or("–".to_string(), |t| t.to_string());
    html! {
        <div class="panel">
            <h2>{t("Counters")}</h2>
            <table class="kv">
                <tr><td>{t("published")}</td><td id="published">{m.published}</td></tr>
                <tr><td>{t("acked")}</td><td>{m.acked}</td></tr>
                <tr><td>{t("consumed")}</td><td id="consumed">{m.consumed}</td></tr>
                <tr><td title={t("Network messages the network did not deliver: a cut link, a stopped receiver, or a connection that loss broke (a lossy link only delays messages: TCP sends them again). Retries and requeues recover most of them; these are packets, not records lost.")}>{t("dropped packets")}</td><td id="dropped">{m.dropped}</td></tr>
                <tr><td title={t("From publish to consumer, simulated time")}>{t("end to end p50 / p99")}</td><td>{format!("{} / {}", pct(&m.e2e_latency, 500), pct(&m.e2e_latency, 990))}</td></tr>
                <tr><td title={t("From publish to the broker's acknowledgement")}>{t("ack p50 / p99")}</td><td>{format!("{} / {}", pct(&m.ack_latency, 500), pct(&m.ack_latency, 990))}</td></tr>
                <tr><td title={t("Time spent per frame simulating and folding events (smoothed)")}>{t("frame work")}</td><td>{format!("{:.2} ms", session.frame_work_ms())}</td></tr>
            </table>
        </div>
    }
}

/// The event log: the latest lines, filtered; a click on a line highlights its nodes.
pub fn event_log(session: &Session, filter: &str, link: &Scope<App>) -> Html {
    // Events never formatted (a burst beyond a frame's share) and kept lines beyond the shown.
    let (log_lines, not_shown) = session.log().matching(filter);
    html! {
        <div class="panel log-panel">
            <h2>{t("Event log")}
                <label class="net-toggle" title={t("Show every message sent and delivered (many at speed)")}>
                    <input type="checkbox" id="show-network" checked={session.log().show_network}
                        onchange={link.callback(|_| Msg::ToggleNetwork)} />{t(" messages")}
                </label>
                <input class="log-filter" placeholder={t("filter: node, type…")} value={filter.to_string()}
                    oninput={link.callback(|e: InputEvent| Msg::LogFilter(e.target_unchecked_into::<HtmlInputElement>().value()))} />
            </h2>
            // One block inside the bottom-anchored (column-reverse) box, so lines keep their order.
            <pre id="log" title={t("Click a line to highlight the nodes it concerns")}><div>
                if not_shown > 0 { <span class="skipped">{tf("… {0} earlier events not shown (the filter searches the last {1})\n", &[&not_shown, &event_log::KEPT])}</span> }
                { for log_lines.into_iter().map(|(l, nodes, journey)| {
                    let nodes = *nodes;
                    let journey = journey.map(|(s, t)| html! {
                        <button class="log-journey" title={crate::view::i18n::t("This message's journey as a sequence diagram")}
                            onclick={link.callback(move |e: MouseEvent| { e.stop_propagation(); Msg::Journey(s, t) })}>{"⇢"}</button>
                    });
                    html! { <span class="log-line" onclick={link.callback(move |_| Msg::LogPick(nodes))}>{l}{ for journey }{"\n"}</span> }
                }) }</div>
            </pre>
        </div>
    }
}

/// The scenario as JSON, to edit and apply, with what the model is and leaves out.
pub fn editor(session: &Session, text: &str, error: Option<&str>, note: Option<&str>, link: &Scope<App>) -> Html {
    html! {
        <section class="panel editor">
            <h2>{t("Scenario")}<span class="sub" title={session.scenario().name.clone()}>{format!(" — {}", crate::view::params::shorten_to(&session.scenario().name, 80))}</span></h2>
            <p class="desc">{&session.scenario().description}</p>
            <p class="model-note">{ Family::of(session.world()).model_note(session.world()) }</p>
            if let Some(k) = crate::view::kraft::model_note(session.world()) { <p class="model-note" id="kraft-note">{t(k)}</p> }
            <textarea id="scenario-json" spellcheck="false" value={text.to_string()}
                oninput={link.callback(|e: InputEvent| Msg::EditorInput(e.target_unchecked_into::<HtmlTextAreaElement>().value()))} />
            <div class="editor-actions">
                <button id="apply-scenario" onclick={link.callback(|_| Msg::ApplyEditor)}>{t("Apply scenario")}</button>
                if let Some(err) = error { <span class="field-error" id="scenario-error" role="alert">{err}</span> }
                if let Some(note) = note { <span class="field-ok">{note}</span> }
            </div>
        </section>
    }
}

/// "Run it on a real broker": one download button per file the scenario exports as (the files are
/// written only when a button is pressed).
pub fn export(session: &Session, link: &Scope<App>) -> Html {
    let scenario = session.scenario();
    let formats = export::formats_for(scenario);
    if formats.is_empty() {
        return html! {};
    }
    let buttons = formats.into_iter().map(|format| {
        let names = export::file_names(scenario, format);
        html! {
            <div class="export-format">
                <span class="export-label">{format.label()}</span>
                { for names.into_iter().enumerate().map(|(i, name)| html! {
                    <button class="export-file" data-format={format.slug()} title={tf("download {0}", &[&name])}
                        onclick={link.callback(move |_| Msg::Export(format, i))}>{name}</button>
                }) }
            </div>
        }
    });
    html! {
        <section class="panel export" id="export">
            <h2>{t("Run it on a real broker")}<span class="sub">{t(" — this scenario as the files you would run")}</span></h2>
            <p class="desc">{t("Each file says in comments what it cannot hold: the simulated network, the scheduled faults, your applications' pace. The same files come from ")}<code>{"brokerlab export"}</code>{"."}</p>
            { for buttons }
        </section>
    }
}
