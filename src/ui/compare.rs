//! `?compare`: Kafka and RabbitMQ side by side on one workload and seed. Both lanes advance
//! together, a slice of simulated time per animation frame; the page shows, per customer and per
//! consumer, the order messages were processed in (chips), the detector's counts and the first
//! violation, and the two topologies drawn alike. All the logic is in `engine::compare` and
//! `view::compare`; this only draws.

use crate::engine::compare::detect::Chip;
use crate::engine::compare::{customer_name, presets::PRESETS, Comparison, Lane, System, Workload};
use crate::engine::Time;
use crate::view::compare::{self as vc, BOX_H, BOX_W, TOPO_W};
use crate::view::compare_link;
use crate::view::i18n::{t, tf};
use crate::view::journey::{self, Diagram};
use crate::view::lesson::run::LessonRun;
use gloo::render::{request_animation_frame, AnimationFrame};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::html::Scope;
use yew::prelude::*;

/// Simulated time per frame: about 1.5 simulated seconds per wall second.
const PER_FRAME: Time = Time::ms(25);

pub struct ComparePage {
    preset: usize,
    /// What the address said that could not be used (each value fell back alone).
    problems: Vec<String>,
    seed_text: String,
    text: String,
    error: Option<String>,
    workload: Workload,
    seed: u64,
    run: Option<Comparison>,
    frame: Option<AnimationFrame>,
    /// A comparison lesson (`?lesson=compare-…`): the lanes wait for a prediction, and its answer
    /// is measured once both are over.
    lesson: Option<LessonRun>,
    /// The journeys on show (one message, or a violation's two), scanned when asked.
    journey: Option<Vec<(String, Diagram)>>,
}

pub enum Msg {
    Frame,
    Predict(usize),
    LessonVariation(Option<usize>),
    Preset(usize),
    SeedInput(String),
    TextInput(String),
    Apply,
    Finish,
    /// The journey of a lane's message: customer, number.
    Journey(System, u32, u32),
    /// The lane's first violation: both messages side by side.
    ViolationJourney(System),
    CloseJourney,
}

impl ComparePage {
    fn schedule(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self.frame = Some(request_animation_frame(move |_| link.send_message(Msg::Frame)));
    }

    /// Starts both lanes on the workload and seed typed in; a bad one is shown, the text kept.
    fn apply(&mut self, ctx: &Context<Self>) {
        let seed = match self.seed_text.trim().parse::<u64>() {
            Ok(s) => s,
            Err(_) => {
                self.error = Some(tf("seed: \"{0}\" is not a whole number ≥ 0", &[&self.seed_text.trim()]));
                return;
            }
        };
        match Workload::from_json(&self.text).and_then(|w| Comparison::new(&w, seed).map(|c| (w, c))) {
            Ok((w, c)) => {
                (self.workload, self.seed, self.run, self.error) = (w, seed, Some(c), None);
                // Another workload is the learner's own experiment: the lesson's texts are not about it.
                if self.lesson.as_ref().is_some_and(|l| !l.runs_workload(&self.workload)) {
                    self.lesson = None;
                }
                // The address reopens what runs: the lesson, or the story, the seed and the
                // workload if edited.
                let query = match &self.lesson {
                    Some(l) => format!("{}&seed={}", l.query(), self.seed),
                    None => compare_link::to_query(self.preset, self.seed, &self.workload),
                };
                super::dom::replace_query(&query);
                match &mut self.lesson {
                    Some(l) => {
                        l.outcome = None;
                        if l.may_play() {
                            self.schedule(ctx);
                        }
                    }
                    None => self.schedule(ctx),
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn load_preset(&mut self, ctx: &Context<Self>, i: usize) {
        self.preset = i.min(PRESETS.len() - 1);
        self.text = (PRESETS[self.preset].workload)().to_json();
        self.apply(ctx);
    }
}

impl Component for ComparePage {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        // A copied link brings its story, seed and workload back; a lesson brings its own.
        let query = super::dom::query();
        let mut link = compare_link::parse(&query);
        let lesson = lesson_of(&query, &mut link.problems);
        let workload = match lesson.as_ref().and_then(LessonRun::workload) {
            Some(w) => {
                link.story = PRESETS.iter().position(|p| (p.workload)() == *w).unwrap_or(link.story);
                w.clone()
            }
            None => link.workload.unwrap_or_else(|| (PRESETS[link.story].workload)()),
        };
        let mut page = ComparePage {
            preset: link.story,
            problems: link.problems,
            seed_text: link.seed.to_string(),
            text: workload.to_json(),
            error: None,
            workload,
            seed: link.seed,
            run: None,
            frame: None,
            lesson,
            journey: None,
        };
        page.apply(ctx);
        page
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Frame => {
                let Some(run) = self.run.as_mut() else { return false };
                let to = run.kafka.now().max(run.rabbit.now()) + PER_FRAME;
                run.advance(to);
                if !run.done() {
                    self.schedule(ctx);
                }
                self.settle_lesson();
            }
            Msg::Predict(k) => {
                if let Some(l) = &mut self.lesson {
                    l.predict(k);
                    if l.may_play() {
                        self.schedule(ctx);
                    }
                }
            }
            Msg::LessonVariation(v) => match self.lesson.as_ref().map(|l| l.with_variation(v)) {
                Some(Ok(run)) => {
                    self.text = run.workload().map(Workload::to_json).unwrap_or_default();
                    self.lesson = Some(run);
                    self.apply(ctx);
                }
                Some(Err(e)) => self.error = Some(e),
                None => {}
            },
            Msg::Preset(i) => self.load_preset(ctx, i),
            Msg::SeedInput(s) => self.seed_text = s,
            Msg::TextInput(t) => self.text = t,
            Msg::Apply => self.apply(ctx),
            Msg::Finish => {
                if let Some(run) = self.run.as_mut() {
                    run.kafka.run();
                    run.rabbit.run();
                }
                self.settle_lesson();
            }
            Msg::Journey(system, customer, number) => {
                let d = self.lane_journey(system, customer, number);
                self.journey = d.map(|d| vec![(String::new(), d)]);
            }
            Msg::ViolationJourney(system) => self.journey = self.violation_journeys(system),
            Msg::CloseJourney => self.journey = None,
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let p = &PRESETS[self.preset];
        let on_preset = link.callback(|e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            Msg::Preset(v.parse().unwrap_or(0))
        });
        let on_seed =
            link.callback(|e: InputEvent| Msg::SeedInput(e.target_unchecked_into::<HtmlInputElement>().value()));
        let on_text =
            link.callback(|e: InputEvent| Msg::TextInput(e.target_unchecked_into::<HtmlTextAreaElement>().value()));
        let done = self.run.as_ref().is_some_and(Comparison::done);
        // Until the learner has answered, the story's explanation would give the answer away,
        // and running to the end would skip the question.
        let asking = self.lesson.as_ref().is_some_and(|l| l.outcome.is_none());
        let waiting = self.lesson.as_ref().is_some_and(|l| l.choice.is_none());
        html! {
            <div class="shell compare">
                <style>{STYLE}</style>
                <header>
                    <h1>{t("brokerlab — Kafka and RabbitMQ side by side")}</h1>
                    <a href="?">{t("← the playground")}</a>
                    { super::lang::switch() }
                </header>
                if let Some(l) = &self.lesson {
                    { super::lesson::card(l, link.callback(Msg::Predict), link.callback(Msg::LessonVariation)) }
                }
                <section class="cmp-controls">
                    <label>{t("story ")}
                        <select id="cmp-preset" onchange={on_preset}>
                            { for PRESETS.iter().enumerate().map(|(i, q)| html! {
                                <option value={i.to_string()} selected={i == self.preset}>{format!("{}. {}", q.number, t(q.title))}</option>
                            }) }
                        </select>
                    </label>
                    <label>{t(" seed ")}<input id="cmp-seed" size="8" value={self.seed_text.clone()} oninput={on_seed} /></label>
                    <button id="cmp-apply" onclick={link.callback(|_| Msg::Apply)}>{t("run again")}</button>
                    <button id="cmp-finish" onclick={link.callback(|_| Msg::Finish)} disabled={done || waiting}>{t("run to the end")}</button>
                    if done { <span id="cmp-done" class="done">{t("done")}</span> }
                    if !asking {
                        <p id="cmp-why" class="why"><b>{format!("{}. {} ", p.number, t(p.title))}</b>{t(p.why)}</p>
                    }
                    <details>
                        <summary>{t("workload (edit, then “run again”)")}</summary>
                        <textarea id="cmp-workload" rows="14" cols="70" value={self.text.clone()} oninput={on_text} />
                    </details>
                    if let Some(e) = &self.error { <p id="cmp-error" class="error" role="alert">{e}</p> }
                    { for self.problems.iter().map(|p| html! { <p class="error cmp-notice" role="status">{p}</p> }) }
                    <p class="legend">
                        {t("Messages are numbered per customer: A1, A2, … are customer A's in publish order. ")}
                        <span class="chip">{"A1"}</span>{t(" in order · ")}
                        <span class="chip ooo">{"A2"}</span>{t(" processed after a later one · ")}
                        <span class="chip dup">{"A3"}</span>{t(" processed again · ")}
                        <span class="chip redelivered">{"A4"}</span>{t(" redelivered (RabbitMQ's flag) · ")}
                        <span class="chip ooo violation">{"A5"}</span>{t(" the first violation")}
                    </p>
                    <details id="cmp-terms">
                        <summary>{t("Terms")}</summary>
                        { super::help::terms(crate::view::glossary::COMPARE_TERMS) }
                    </details>
                </section>
                if let Some(run) = &self.run {
                    <div class="lanes">
                        { self.lane(&run.kafka, link) }
                        { self.lane(&run.rabbit, link) }
                    </div>
                }
                <style>{super::compare_perf::STYLE}</style>
                <super::compare_perf::PerfStories />
                <style>{super::compare_deep::STYLE}</style>
                <super::compare_deep::DeepQueues />
                <super::compare_kraft::WhyKraft />
                if let Some(j) = &self.journey { { super::journey::overlay(j, link.callback(|()| Msg::CloseJourney)) } }
            </div>
        }
    }
}

/// The lesson the address opens, if it is a comparison lesson (`ui::start` sends only those here).
fn lesson_of(query: &str, problems: &mut Vec<String>) -> Option<LessonRun> {
    let p = crate::view::params::parse(query);
    let id = p.lesson?;
    let run = LessonRun::open(id, p.variation).or_else(|e| {
        problems.push(tf("{0}; showing the lesson as written", &[&e]));
        LessonRun::open(id, None)
    });
    run.ok().filter(|r| r.workload().is_some())
}

impl ComparePage {
    /// Once both lanes are over: the lesson's answer, and the lesson marked finished.
    fn settle_lesson(&mut self) {
        if let (Some(l), Some(run)) = (&mut self.lesson, &self.run) {
            if l.settle_comparison_if_due(run) {
                super::lesson::finish(l.lesson.id);
            }
        }
    }

    /// Message `number` of `customer` in a lane, as the lane ran it up to now.
    fn lane_journey(&self, system: System, customer: u32, number: u32) -> Option<Diagram> {
        let run = self.run.as_ref()?;
        let lane = if system == System::Kafka { &run.kafka } else { &run.rabbit };
        let seq = journey::compare_seq(&self.workload, customer, number);
        Some(journey::compare_lane(&self.workload, system, self.seed, lane.now(), seq))
    }

    /// The lane's first violation: for an out-of-order one, the message processed late and the
    /// later one processed before it, side by side; a duplicate's own journey shows both reads.
    fn violation_journeys(&self, system: System) -> Option<Vec<(String, Diagram)>> {
        let run = self.run.as_ref()?;
        let lane = if system == System::Kafka { &run.kafka } else { &run.rabbit };
        let d = &lane.detector;
        let v = d.first_out_of_order.or(d.first_duplicate)?;
        let name = |n: u32| format!("{}{n}", customer_name(v.customer));
        let own = self.lane_journey(system, v.customer, v.number)?;
        if v.after == v.number {
            return Some(vec![(tf("{0} (processed twice)", &[&name(v.number)]), own)]);
        }
        let late = tf("{0} (processed after {1})", &[&name(v.number), &name(v.after)]);
        let first = tf("{0} (processed before {1})", &[&name(v.after), &name(v.number)]);
        Some(vec![(late, own), (first, self.lane_journey(system, v.customer, v.after)?)])
    }

    fn lane(&self, lane: &Lane, link: &Scope<Self>) -> Html {
        let id = match lane.system {
            System::Kafka => "kafka",
            System::Rabbit => "rabbit",
        };
        let d = &lane.detector;
        let stat = |s: vc::Stat| {
            html! { <tr class={if s.bad { "bad" } else { "" }}><th>{t(s.name).to_string()}</th><td id={format!("cmp-{id}-{}", s.key)}>{s.value}</td></tr> }
        };
        let viol = d.first_out_of_order.or(d.first_duplicate);
        let staged = self.workload.stage.is_some();
        let chip_title = if staged { vc::stage_chip_title } else { vc::chip_title };
        let row = |label: String, chips: &[Chip]| {
            html! {
                <div class="row"><span class="row-label">{label}</span>
                    { for chips.iter().map(|ch| {
                        let class = if vc::is_violation(ch, viol.as_ref()) {
                            format!("{} violation", vc::chip_class(ch))
                        } else {
                            vc::chip_class(ch).to_string()
                        };
                        let (system, customer, number) = (lane.system, ch.customer, ch.number);
                        let open = link.callback(move |_| Msg::Journey(system, customer, number));
                        html! { <span class={classes!(class, "clickable")} title={chip_title(ch)} onclick={open}>{vc::chip_label(ch)}</span> }
                    }) }
                </div>
            }
        };
        let texts: Vec<String> = [
            d.first_out_of_order.as_ref().map(if staged { vc::stage_out_of_order_text } else { vc::out_of_order_text }),
            d.first_duplicate.as_ref().map(if staged { vc::stage_duplicate_text } else { vc::duplicate_text }),
        ]
        .into_iter()
        .flatten()
        .collect();
        let (by_customer, by_consumer) = vc::chip_headings(&self.workload);
        html! {
            <section class={format!("lane {id}")} id={format!("cmp-lane-{id}")}>
                <h2>{lane.system.name()}<small>{format!("  t = {}", lane.now())}</small></h2>
                { self.topology(lane) }
                <table class="stats">
                    { for vc::stats(&self.workload, lane).into_iter().map(stat) }
                </table>
                <p class={classes!("violation-text", texts.is_empty().then_some("none"))} id={format!("cmp-{id}-violation")}>
                    { if texts.is_empty() { t("no violation").to_string() } else { texts.join("; ") } }
                    if viol.is_some() {
                        {" "}<button class="violation-journey" id={format!("cmp-{id}-journey")}
                            onclick={link.callback({ let s = lane.system; move |_| Msg::ViolationJourney(s) })}>{t("its journey")}</button>
                    }
                </p>
                <h3>{by_customer}</h3>
                { for d.by_customer.iter().enumerate().map(|(k, chips)| row(customer_name(k as u32).to_string(), chips)) }
                <h3>{by_consumer}</h3>
                { for d.by_consumer.iter().enumerate().map(|(i, chips)| {
                    let down = if lane.down.get(i).copied().unwrap_or(false) { t(" (down)") } else { "" };
                    row(format!("c{}{down}", i + 1), chips)
                }) }
            </section>
        }
    }

    /// The lane's topology in the shared visual language.
    fn topology(&self, lane: &Lane) -> Html {
        let t = vc::topology(&self.workload, lane.system, &lane.owners);
        let mid = |i: usize, right: bool| {
            let b = &t.boxes[i];
            (if right { b.x + BOX_W } else { b.x }, b.y + BOX_H / 2)
        };
        html! {
            <svg class="topo" viewBox={format!("0 0 {TOPO_W} {}", t.height)} width={TOPO_W.to_string()} height={t.height.to_string()}>
                { for t.edges.iter().map(|(a, b, label)| {
                    let ((x1, y1), (x2, y2)) = (mid(*a, true), mid(*b, false));
                    html! { <g>
                        <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} class="edge" />
                        if !label.is_empty() {
                            <text x={((x1 + x2) / 2).to_string()} y={((y1 + y2) / 2 - 3).to_string()} class="edge-label">{label.clone()}</text>
                        }
                    </g> }
                }) }
                { for t.boxes.iter().enumerate().map(|(i, b)| {
                    // Consumers are the last boxes, in order.
                    let first_consumer = t.boxes.len().saturating_sub(lane.down.len());
                    let down = b.kind == vc::BoxKind::Consumer
                        && i.checked_sub(first_consumer).and_then(|c| lane.down.get(c)).copied().unwrap_or(false);
                    html! { <g class={format!("box {}{}", b.kind.class(), if down { " down" } else { "" })}>
                        <rect x={b.x.to_string()} y={b.y.to_string()} width={BOX_W.to_string()} height={BOX_H.to_string()} rx="4" />
                        <text x={(b.x + BOX_W / 2).to_string()} y={(b.y + 16).to_string()}>{b.label.clone()}</text>
                    </g> }
                }) }
            </svg>
        }
    }
}

const STYLE: &str = r#"
.compare { max-width: 1400px; margin: 0 auto; padding: 8px 16px; font-family: system-ui, sans-serif; }
.compare header { display: flex; gap: 16px; align-items: baseline; }
.compare h1 { font-size: 1.3rem; margin: 4px 0; }
.cmp-controls { margin-bottom: 8px; }
.cmp-controls .why { max-width: 1100px; line-height: 1.4; }
.cmp-controls .error { color: #b00020; font-weight: 600; }
.cmp-controls textarea { font-family: ui-monospace, monospace; font-size: 12px; max-width: 100%; box-sizing: border-box; }
.cmp-controls .done { margin-left: 8px; color: #2e7d32; font-weight: 600; }
.legend { font-size: 0.85rem; color: #444; }
.lanes { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.lane { border: 1px solid #ccd; border-radius: 6px; padding: 8px; min-width: 0; }
.lane h2 { margin: 0 0 4px; font-size: 1.1rem; } .lane h2 small { font-weight: normal; color: #666; }
.lane h3 { font-size: 0.9rem; margin: 8px 0 2px; color: #333; }
.lane.kafka h2 { color: #0b5394; } .lane.rabbit h2 { color: #b45f06; }
.stats { border-collapse: collapse; font-size: 0.9rem; }
.stats th { text-align: left; font-weight: normal; padding: 1px 12px 1px 0; color: #444; }
.stats td { font-variant-numeric: tabular-nums; font-weight: 600; }
.stats tr.bad td { color: #b00020; }
.violation-text { font-size: 0.85rem; color: #b00020; min-height: 1.2em; }
.violation-text.none { color: #2e7d32; }
.row { display: flex; flex-wrap: wrap; gap: 2px; align-items: center; margin: 2px 0; }
.row-label { width: 64px; font-weight: 600; font-size: 0.85rem; }
.chip { display: inline-block; min-width: 26px; padding: 0 3px; border-radius: 3px; font-size: 11px; text-align: center;
        background: #e6eef7; border: 1px solid #a9c1de; font-variant-numeric: tabular-nums; }
.chip.ooo { background: #fde0dc; border-color: #d9534f; color: #8a1f11; font-weight: 700; }
.chip.dup { background: #fff3c4; border-color: #d4a300; color: #6b5200; font-weight: 700; }
.chip.redelivered { border-style: dashed; border-width: 2px; }
.chip.violation { outline: 3px solid #b00020; outline-offset: 1px; }
.topo { display: block; max-width: 100%; height: auto; }
@media (max-width: 760px) {
  .lanes { grid-template-columns: 1fr; }
  .compare header { flex-wrap: wrap; gap: 4px 16px; }
  .cmp-controls select { max-width: 100%; }
}
.topo .edge { stroke: #999; stroke-width: 1.2; }
.topo .edge-label { font-size: 10px; fill: #555; text-anchor: middle; }
.topo .box rect { stroke: #555; stroke-width: 1; fill: #fff; }
.topo .box text { font-size: 11px; text-anchor: middle; }
.topo .producer rect { fill: #e8f5e9; } .topo .router rect { fill: #fff8e1; }
.topo .store rect { fill: #e3f2fd; } .topo .consumer rect { fill: #f3e5f5; }
.topo .down rect { fill: #eee; stroke-dasharray: 3 2; } .topo .down text { fill: #999; }
"#;
