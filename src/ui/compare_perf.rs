//! The comparison page's performance stories (`engine::compare::perf`): pick one, and its points
//! run one after another, a slice of simulated time per animation frame; each finished point is
//! added to the table and the two charts (throughput and latency against the story's setting).
//! All the logic is in the engine; this only runs and draws.

use super::chart::{self, Line, BLUE, VERMILLION};
use crate::engine::compare::perf::{Point, PointRun, STORIES};
use crate::engine::compare::System;
use crate::engine::Time;
use crate::view::i18n::{t, tf};
use gloo::render::{request_animation_frame, AnimationFrame};
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Simulated time per frame.
const PER_FRAME: Time = Time::ms(10);
/// The seed every point runs with.
const SEED: u64 = 1;

pub struct PerfStories {
    story: Option<usize>,
    points: Vec<(System, Point)>,
    /// The point running: its system and setting, and the run.
    running: Option<(System, usize, PointRun)>,
    error: Option<String>,
    frame: Option<AnimationFrame>,
    throughput: NodeRef,
    latency: NodeRef,
}

pub enum Msg {
    Story(usize),
    Frame,
}

impl PerfStories {
    /// The next point to run after `(system, x index)`: both systems at each setting, in order.
    fn next(&self, after: Option<(System, usize)>) -> Option<(System, usize)> {
        let story = &STORIES[self.story?];
        let order: Vec<(System, usize)> =
            (0..story.xs.len()).flat_map(|i| story.systems.iter().map(move |s| (*s, i))).collect();
        match after {
            None => order.first().copied(),
            Some(a) => order.iter().position(|o| *o == a).and_then(|i| order.get(i + 1)).copied(),
        }
    }

    fn start(&mut self, ctx: &Context<Self>, point: Option<(System, usize)>) {
        self.running = None;
        let Some((system, i)) = point else { return };
        let story = &STORIES[self.story.expect("a story is chosen")];
        match PointRun::new(story, system, story.xs[i], SEED) {
            Ok(run) => {
                self.running = Some((system, i, run));
                let link = ctx.link().clone();
                self.frame = Some(request_animation_frame(move |_| link.send_message(Msg::Frame)));
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn draw(&self) -> Result<(), String> {
        let Some(story) = self.story.map(|i| &STORIES[i]) else { return Ok(()) };
        let series = |system: System, value: &dyn Fn(&Point) -> f64| -> Vec<(f64, f64)> {
            self.points.iter().filter(|(s, _)| *s == system).map(|(_, p)| (p.x as f64, value(p))).collect()
        };
        let colour = |s: System| if s == System::Kafka { BLUE } else { VERMILLION };
        let mut throughput: Vec<Line> = story
            .systems
            .iter()
            .map(|&s| Line::new(s.name(), colour(s), series(s, &|p| p.throughput as f64)))
            .collect();
        if story.slug == "load" {
            let offered = story.xs.iter().map(|&x| (x as f64, x as f64)).collect();
            throughput.push(Line { dashed: true, ..Line::new(t("offered"), chart::GREEN, offered) });
        }
        let latency: Vec<Line> = story
            .systems
            .iter()
            .map(|&s| Line::new(s.name(), colour(s), series(s, &|p| p.latency_mean.0 as f64 / 1000.0)))
            .collect();
        let xs = (0.0, story.xs.iter().copied().max().unwrap_or(1) as f64);
        if let Some(c) = self.throughput.cast::<HtmlCanvasElement>() {
            chart::draw_xy(c, xs, t(story.x_label), t("consumed (messages/s)"), &throughput, false)?;
        }
        if let Some(c) = self.latency.cast::<HtmlCanvasElement>() {
            let y = t("mean latency (ms, log)");
            chart::draw_xy(c, xs, t(story.x_label), y, &latency, true)?;
        }
        Ok(())
    }

    fn table(&self) -> Html {
        let Some(story) = self.story.map(|i| &STORIES[i]) else { return html! {} };
        let cell = |system: System, x: u32| match self.points.iter().find(|(s, p)| *s == system && p.x == x) {
            Some((_, p)) => html! {
                <>
                    <td>{format!("{}/s", p.throughput)}</td>
                    <td>{p.latency_mean.to_string()}</td>
                    <td>{p.latency_p99.to_string()}</td>
                    <td>{format!("{}%", p.cpu / 10)}</td>
                    <td>{format!("{}%", p.disk / 10)}</td>
                </>
            },
            None => html! { <td colspan="5" class="pending">{"…"}</td> },
        };
        html! {
            <table class="perf-table" id="perf-table">
                <thead>
                    <tr><th></th>{ for story.systems.iter().map(|s| html! { <th colspan="5" class={s.name().to_lowercase()}>{s.name()}</th> }) }</tr>
                    <tr><th>{t(story.x_label)}</th>{ for story.systems.iter().map(|_| html! {
                        <><th>{t("consumed")}</th><th>{t("mean latency")}</th><th>{"p99"}</th><th>{t("CPU")}</th><th>{t("disk")}</th></>
                    }) }</tr>
                </thead>
                <tbody>
                    { for story.xs.iter().map(|&x| html! {
                        <tr data-x={x.to_string()}><th>{x}</th>{ for story.systems.iter().map(|&s| cell(s, x)) }</tr>
                    }) }
                </tbody>
            </table>
        }
    }
}

impl Component for PerfStories {
    type Message = Msg;
    type Properties = ();

    fn create(_: &Context<Self>) -> Self {
        PerfStories {
            story: None,
            points: Vec::new(),
            running: None,
            error: None,
            frame: None,
            throughput: NodeRef::default(),
            latency: NodeRef::default(),
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Story(i) => {
                self.story = Some(i.min(STORIES.len() - 1));
                self.points.clear();
                self.error = None;
                let first = self.next(None);
                self.start(ctx, first);
            }
            Msg::Frame => {
                let Some((system, i, run)) = self.running.as_mut() else { return false };
                let done = (*system, *i);
                match run.advance(PER_FRAME) {
                    Some(p) => {
                        self.points.push((done.0, p));
                        let next = self.next(Some(done));
                        self.start(ctx, next);
                    }
                    None => {
                        let link = ctx.link().clone();
                        self.frame = Some(request_animation_frame(move |_| link.send_message(Msg::Frame)));
                    }
                }
            }
        }
        true
    }

    fn rendered(&mut self, _: &Context<Self>, _: bool) {
        if let Err(e) = self.draw() {
            web_sys::console::warn_1(&e.into());
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let story = self.story.map(|i| &STORIES[i]);
        let progress = self.running.as_ref().map(|(s, i, run)| {
            let x = story.map_or(0, |st| st.xs[*i]);
            tf("running {0} at {1}: {2}%", &[&s.name(), &x, &((run.progress() * 100.0) as u32)])
        });
        html! {
            <section class="perf" id="perf">
                <h2>{t("Performance: where throughput comes from")}</h2>
                <p class="why">{t("The stories above have brokers that spend nothing. These give each broker a CPU, a disk and memory (the resource model, with its defaults) and run the same small setup at several settings, one point after another (seed 1).")}</p>
                <div class="perf-buttons">
                    { for STORIES.iter().enumerate().map(|(i, s)| html! {
                        <button id={format!("perf-{}", s.slug)} class={classes!((self.story == Some(i)).then_some("chosen"))}
                            onclick={link.callback(move |_| Msg::Story(i))}>{t(s.title)}</button>
                    }) }
                </div>
                if let Some(s) = story {
                    <p id="perf-why" class="why"><b>{format!("{} ", t(s.title))}</b>{t(s.why)}</p>
                    if let Some(p) = progress { <p id="perf-progress" class="progress">{p}</p> }
                    else { <p id="perf-done" class="done">{t("done")}</p> }
                    if let Some(e) = &self.error { <p class="error" role="alert">{e}</p> }
                    <div class="perf-charts">
                        <canvas ref={self.throughput.clone()} id="perf-throughput" width="560" height="260"></canvas>
                        <canvas ref={self.latency.clone()} id="perf-latency" width="560" height="260"></canvas>
                    </div>
                    { self.table() }
                }
            </section>
        }
    }
}

pub const STYLE: &str = r#"
.perf { border-top: 1px solid #ccd; margin-top: 16px; padding-top: 8px; }
.perf h2 { font-size: 1.15rem; margin: 4px 0; }
.perf .why { max-width: 1100px; line-height: 1.4; }
.perf-buttons { display: flex; flex-wrap: wrap; gap: 8px; }
.perf-buttons button.chosen { font-weight: 700; outline: 2px solid #0072B2; }
.perf .progress { color: #555; } .perf .done { color: #2e7d32; font-weight: 600; }
.perf-charts { display: flex; flex-wrap: wrap; gap: 12px; }
.perf-charts canvas { max-width: 100%; height: auto; border: 1px solid #e3e7ec; }
.perf-table { border-collapse: collapse; font-size: 0.85rem; margin-top: 8px; font-variant-numeric: tabular-nums; }
.perf-table th, .perf-table td { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eef0f3; }
.perf-table th.kafka { color: #0b5394; } .perf-table th.rabbitmq { color: #b45f06; }
.perf-table td.pending { color: #999; text-align: center; }
@media (max-width: 760px) { .perf-table { display: block; overflow-x: auto; } }
"#;
