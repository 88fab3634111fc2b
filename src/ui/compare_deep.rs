//! The comparison page's "deep queues" story (`engine::compare::deep`): both systems run side by
//! side, a slice of simulated time each per animation frame, and four charts over time show what
//! each broker took in, what its consumers got, what waited, and what held it back (RabbitMQ's
//! blocked publishers, Kafka's fetches from disk). All the logic is in the engine; this only runs
//! and draws.

use super::chart::{self, Line, BLUE, VERMILLION};
use crate::engine::compare::deep::{self, DeepRun, Sample, Summary};
use crate::engine::compare::System;
use crate::engine::Time;
use crate::view::i18n::{en, t, tf};
use gloo::render::{request_animation_frame, AnimationFrame};
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Simulated time per frame, per system.
const PER_FRAME: Time = Time::ms(20);
/// The seed both runs use.
const SEED: u64 = 1;

pub struct DeepQueues {
    runs: Vec<DeepRun>,
    error: Option<String>,
    frame: Option<AnimationFrame>,
    charts: [NodeRef; 4],
}

pub enum Msg {
    Start,
    Frame,
}

fn colour(s: System) -> plotters::style::RGBColor {
    if s == System::Kafka {
        BLUE
    } else {
        VERMILLION
    }
}

impl DeepQueues {
    fn draw(&self) -> Result<(), String> {
        if self.runs.is_empty() {
            return Ok(());
        }
        let series = |run: &DeepRun, value: &dyn Fn(&Sample) -> f64| -> Vec<(f64, f64)> {
            run.samples.iter().map(|s| (s.at.0 as f64 / 1000.0, value(s))).collect()
        };
        let lines = |value: &dyn Fn(&Sample) -> f64| -> Vec<Line> {
            self.runs.iter().map(|r| Line::new(r.system.name(), colour(r.system), series(r, value))).collect()
        };
        let mut held: Vec<Line> = Vec::new();
        for r in &self.runs {
            match r.system {
                System::Rabbit => held.push(Line::new(
                    t("RabbitMQ: publishers blocked"),
                    VERMILLION,
                    series(r, &|s| s.blocked as f64 / 10.0),
                )),
                System::Kafka => held.push(Line {
                    dashed: true,
                    ..Line::new(t("Kafka: fetches from disk"), BLUE, series(r, &|s| s.from_disk as f64 / 10.0))
                }),
            }
        }
        let x = (0.0, deep::END.0 as f64 / 1000.0);
        let charts: [(&str, Vec<Line>); 4] = [
            (en("published (messages/s)"), lines(&|s| s.published as f64)),
            (en("consumed (messages/s)"), lines(&|s| s.consumed as f64)),
            (en("waiting (messages)"), lines(&|s| s.waiting as f64)),
            (en("% of each 100 ms"), held),
        ];
        for (node, (y, lines)) in self.charts.iter().zip(charts) {
            if let Some(c) = node.cast::<HtmlCanvasElement>() {
                chart::draw(c, x, t(y), &lines)?;
            }
        }
        Ok(())
    }

    fn summary(run: &DeepRun) -> Html {
        let s: Summary = run.summary();
        let caught_up = s.caught_up.map_or_else(|| t("not by the end").to_string(), |c| c.to_string());
        let text = match run.system {
            System::Rabbit => tf(
                "RabbitMQ: the queue held up to {0} messages ({1} of them paged to disk); publishers were blocked for {2} ms, from {3}; caught up at {4}.",
                &[
                    &s.peak_waiting,
                    &s.peak_paged,
                    &s.blocked_ms,
                    &s.first_blocked.map_or_else(|| "-".to_string(), |b| b.to_string()),
                    &caught_up,
                ],
            ),
            System::Kafka => tf(
                "Kafka: the lag reached {0} records; the producer published at least {1} a second throughout; the consumers read up to {2} a second and caught up at {3}.",
                &[&s.peak_waiting, &s.least_published, &s.drain_rate, &caught_up],
            ),
        };
        html! { <li class={run.system.name().to_lowercase()}>{text}</li> }
    }
}

impl Component for DeepQueues {
    type Message = Msg;
    type Properties = ();

    fn create(_: &Context<Self>) -> Self {
        DeepQueues { runs: Vec::new(), error: None, frame: None, charts: Default::default() }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Start => {
                self.error = None;
                match [System::Kafka, System::Rabbit].into_iter().map(|s| DeepRun::new(s, SEED)).collect() {
                    Ok(runs) => self.runs = runs,
                    Err(e) => {
                        self.runs.clear();
                        self.error = Some(e);
                        return true;
                    }
                }
            }
            Msg::Frame => {
                for r in &mut self.runs {
                    r.advance(PER_FRAME);
                }
            }
        }
        let link = ctx.link().clone();
        let more = self.runs.iter().any(|r| !r.done());
        self.frame = more.then(|| request_animation_frame(move |_| link.send_message(Msg::Frame)));
        true
    }

    fn rendered(&mut self, _: &Context<Self>, _: bool) {
        self.draw().unwrap_or_else(|e| web_sys::console::warn_1(&e.into()));
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let running = !self.runs.is_empty();
        let done = running && self.runs.iter().all(|r| r.done());
        let progress = self.runs.first().map_or(0, |r| (r.progress() * 100.0) as u32);
        html! {
            <section class="perf deep" id="deep">
                <div class="perf-buttons">
                    <button id="perf-deep" class={classes!(running.then_some("chosen"))}
                        onclick={ctx.link().callback(|_| Msg::Start)}>{t(deep::TITLE)}</button>
                </div>
                if running {
                    <p id="deep-why" class="why"><b>{format!("{} ", t(deep::TITLE))}</b>{t(deep::WHY)}</p>
                    if done { <p id="deep-done" class="done">{t("done")}</p> }
                    else { <p class="progress">{tf("running both: {0}%", &[&progress])}</p> }
                    <div class="perf-charts">
                        { for self.charts.iter().enumerate().map(|(i, c)| html! {
                            <canvas ref={c.clone()} id={format!("deep-chart-{i}")} width="560" height="240"></canvas>
                        }) }
                    </div>
                    if done {
                        <ul id="deep-summary" class="why">{ for self.runs.iter().rev().map(Self::summary) }</ul>
                    }
                }
                if let Some(e) = &self.error { <p class="error" role="alert">{e}</p> }
            </section>
        }
    }
}

pub const STYLE: &str = r#"
.perf.deep { border-top: none; margin-top: 4px; padding-top: 0; }
.perf.deep ul { padding-left: 18px; }
.perf.deep li.kafka { color: #0b5394; } .perf.deep li.rabbitmq { color: #b45f06; }
"#;
