//! The playground's markup: controls, status, the stage with its cards and panels, the inspector,
//! charts, log, configuration, editor and export. Rendering only: every click is a `Msg`.

use super::{App, Msg};
use crate::engine::presets;
use crate::ui::{chart, stage};
use crate::view::i18n::t;
use crate::view::plugin::Family;
use crate::view::speed;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

impl App {
    /// The whole playground, rendered from the session and what the page keeps of its own.
    pub(super) fn page(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let session = &self.session;
        let world = session.world();
        let rabbit_model = crate::view::rabbit::model(world).map(Rc::new);
        self.rabbit_model.replace(rabbit_model.clone());
        let rabbit_overview = crate::view::rabbit::overview::overview(world, &session.meters().queues).map(Rc::new);
        let speed_options = speed::LADDER.iter().enumerate().map(|(i, (label, _))| {
            html! { <option value={i.to_string()} selected={i == session.speed()}>{*label}</option> }
        });
        // The benchmarks are not lessons: listed only while one is open (they stay reachable by
        // URL and from the command line).
        let preset_options = presets::PRESETS
            .iter()
            .filter(|(slug, _)| !slug.ends_with("bench") || *slug == session.preset())
            .map(|(slug, _)| {
                let selected = self.lesson.is_none() && *slug == session.preset();
                html! { <option value={*slug} selected={selected}>{*slug}</option> }
            });
        // A lesson runs its own scenario: the menu says so rather than naming a preset.
        let lesson_option = self
            .lesson
            .as_ref()
            .map(|_| html! { <option selected=true disabled=true>{t("(the lesson's own)")}</option> });

        html! {
            <div class="shell">
                <header>
                    <h1><a href="./" title={t("Start page: learn Kafka, learn RabbitMQ, compare them")}>{"brokerlab"}</a></h1>
                    <span class="tagline">{t("watch message brokers work — a deterministic simulation")}</span>
                    <a id="to-compare" href="?compare">{t("Kafka vs RabbitMQ side by side →")}</a>
                    { crate::ui::lang::switch() }
                    <button class="help-btn" onclick={link.callback(|_| Msg::ToggleHelp)} title={t("Keyboard shortcuts (?)")}>{"?"}</button>
                </header>
                { for self.notices.iter().map(|n| html! { <div class="notice" role="status">{n}</div> }) }
                <section class="controls" aria-label={t("Time controls")}>
                    <button id="play" onclick={link.callback(|_| Msg::TogglePlay)} title={t("Play / pause (space)")}>
                        { if session.playing { icon("M6 4h4v16H6zM14 4h4v16h-4z") } else { icon("M7 4l13 8-13 8z") } }
                        { if session.playing { t("Pause") } else { t("Play") } }
                    </button>
                    <button id="step" onclick={link.callback(|_| Msg::Step)} title={t("Process one event (→)")}>{ icon("M5 4l10 8-10 8zM16 4h3v16h-3z") }{t("Step")}</button>
                    <button id="reset" onclick={link.callback(|_| Msg::Reset)} title={t("Start again with the same seed (r)")}>{ icon("M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z") }{t("Reset")}</button>
                    <label>{t("Speed ")}
                        <select id="speed" onchange={link.callback(|e: Event| {
                            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
                            Msg::SetSpeed(v.parse().unwrap_or(speed::DEFAULT))
                        })}>{ for speed_options }</select>
                    </label>
                    <label title={t("The seed fixes every random choice: the same seed replays the same run.")}>{t("Seed ")}
                        <input id="seed" class={classes!(self.seed_error.is_some().then_some("invalid"))} value={self.seed_text.clone()} size="10"
                            oninput={link.callback(|e: InputEvent| Msg::SeedInput(e.target_unchecked_into::<HtmlInputElement>().value()))}
                            onkeydown={link.batch_callback(|e: KeyboardEvent| (e.key() == "Enter").then_some(Msg::ApplySeed))} />
                    </label>
                    <button id="apply-seed" onclick={link.callback(|_| Msg::ApplySeed)} disabled={self.seed_error.is_some()}>{t("Use seed")}</button>
                    <button id="new-seed" onclick={link.callback(|_| Msg::NewSeed)} title={t("Run again with a new random seed (from the browser's entropy); the seed is shown and kept in the link")}>{ icon("M10.6 9.2 5.4 4 4 5.4l5.2 5.2zM14.5 4l2 2L4 18.6 5.4 20 18 7.5l2 2V4zm.3 9.4-1.4 1.4 3.1 3.1-2 2.1H20v-5.5l-2 2z") }{t("New seed")}</button>
                    <label>{t("Scenario ")}
                        <select id="preset" onchange={link.callback(|e: Event| Msg::Preset(e.target_unchecked_into::<HtmlSelectElement>().value()))}>
                            { for lesson_option }
                            { for preset_options }
                        </select>
                    </label>
                    { crate::ui::run_file::buttons(link) }
                    if let Some(err) = &self.seed_error { <span class="field-error" id="seed-error">{err}</span> }
                </section>
                <section class="status" aria-label={t("Simulation status")}>
                    <span title={t("Simulated time")}>{"t = "}<b id="sim-time">{world.now.to_string()}</b></span>
                    <span>{t("seed ")}<b id="seed-shown">{session.seed()}</b></span>
                    <span title={t("Fingerprint of every event so far: equal hashes mean identical runs")}>{t("trace ")}<b id="trace-hash">{session.sim().trace_hash().to_string()}</b></span>
                    <span>{t("events ")}<b id="event-count">{world.metrics.events}</b></span>
                    <span>{t("in flight ")}<b>{session.flights().len()}</b></span>
                    <span class={classes!("speed", session.behind().then_some("behind"))} title={t("Simulation speed relative to real time")}>
                        { speed::label(session.speed()) }
                        if session.behind() { {t(" — at the frame budget, running slower than asked")} }
                    </span>
                </section>
                <main>
                    <div class="stage" aria-label={t("The cluster")}>
                        if let Some(l) = &self.lesson { { crate::ui::lesson::card(l, link.callback(Msg::Predict), link.callback(Msg::LessonVariation)) } } else { { crate::ui::walk_card::card(session, link) } }
                        // RabbitMQ's story is exchange → binding → queue, which its panel draws and
                        // the node drawing cannot: the panel comes first, beside the narration, and
                        // the node drawing (clicks for faults, packets in flight) follows, smaller.
                        { crate::ui::rabbit::panel(rabbit_model, rabbit_overview, link.callback(Msg::Apply), self.rabbit_editing(ctx), self.rabbit_canvas.clone()) }
                        // A large Kafka cluster: tiles, a strip of partitions and rates instead
                        // of a box per broker and a dot per message (`view::kafka_lod`).
                        if let Some(rates) = session.lod_rates() {
                            { crate::ui::stage_lod::stage(crate::ui::stage_lod::Props {
                                world,
                                rates: Some(rates),
                                selected: session.selected(),
                                highlight: session.highlighted(),
                                picked: self.log_tp,
                                on_node: link.callback(Msg::Select),
                                on_back: link.callback(|()| Msg::Deselect),
                                on_partition: link.callback(Msg::LogPartition),
                            }) }
                        } else {
                            <div class="stage-scroll">
                            <div class={classes!("stage-area", (Family::of(world) == Family::Rabbit).then_some("compact"))}>
                            { stage::svg(stage::StageProps {
                                world,
                                positions: session.positions(),
                                selected: session.selected(),
                                highlight: session.highlighted(),
                                on_node: link.callback(Msg::Select),
                                on_link: link.callback(|(a, b)| Msg::ToggleLink(a, b)),
                            }) }
                            <canvas ref={self.canvas.clone()} class="flights" aria-hidden="true"></canvas>
                            </div>
                            </div>
                        }
                        { crate::ui::timeline::bar(session, link) }
                        <div class={classes!("legend", session.lod_rates().is_some().then_some("lod"))}>
                            <span><i class="dot"></i>{t("request / publish")}</span>
                            <span><i class="sq"></i>{t("records / delivery")}</span>
                            <span><i class="ring"></i>{t("acknowledgement")}</span>
                            <span><i class="x">{"✕"}</i>{t("dropped")}</span>
                            <span class="hint">{ Family::of(world).stage_hint(world) }</span>
                            if let Some(k) = crate::view::kraft::stage_hint(world) { <span class="hint">{k}</span> }
                        </div>
                        { crate::ui::groups::panel(world, session.groups(), &link.callback(Msg::Apply), &link.callback(Msg::SwitchProtocol)) }
                        { crate::ui::partition_log::panel(world, self.log_tp, link.callback(Msg::LogPartition), link.callback(|(s, t)| Msg::Journey(s, t))) }
                    </div>
                    <aside>
                        { crate::ui::inspect::panel(session, link) }
                        { crate::ui::panels::counters(session) }
                        // Kafka's partitioner is no help with a RabbitMQ broker.
                        if Family::of(world).partition_calculator() { <crate::ui::calc::PartitionCalc /> }
                    </aside>
                </main>
                <section class="lower">
                    <div class="charts">
                        { for chart::panels(world, &self.chart_canvases) }
                    </div>
                    { crate::ui::panels::event_log(session, &self.log_filter, link) }
                </section>
                { crate::ui::config::panel(&self.form, self.form_problem.as_ref(), link.callback(|(k, v)| Msg::FormInput(k, v)), link.callback(|_| Msg::ApplyForm)) }
                { crate::ui::panels::editor(session, &self.editor_text, self.editor_error.as_deref(), self.editor_note.as_deref(), link) }
                { crate::ui::panels::export(session, link) }
                if self.show_help { { crate::ui::help::overlay(link, Family::of(world).glossary(world)) } }
                if let Some(j) = &self.journey { { crate::ui::journey::overlay(j, link.callback(|()| Msg::CloseJourney)) } }
            </div>
        }
    }
}

/// A 24×24 icon from one SVG path (no icon font: the page must work offline and everywhere).
pub(crate) fn icon(path: &'static str) -> Html {
    html! { <svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d={path} /></svg> }
}
