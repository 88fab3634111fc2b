//! The comparison page's "why KRaft" story (`engine::compare::failover`): the same cluster and the
//! same failure in ZooKeeper mode and KRaft mode, for several partition counts. The runs go one
//! after another, a few milliseconds of work per animation frame; each finished run is added to
//! the table and the two charts. All the measuring is in the engine; this only runs and draws.

use super::chart::{self, Line, BLUE, ORANGE, SKY, VERMILLION};
use super::dom::now_ms;
use crate::engine::compare::failover::{FailoverRun, Failure, Mode, Recovery, PARTITIONS};
use crate::engine::Time;
use crate::view::i18n::{t, tf};
use gloo::render::{request_animation_frame, AnimationFrame};
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Wall-clock work per frame (ms), and the simulated time of one slice of it.
const FRAME_BUDGET_MS: f64 = 12.0;
const SLICE: Time = Time::ms(100);
const SEED: u64 = 1;
const FAILURES: [Failure; 2] = [Failure::ControllerDies, Failure::BrokerCutOff];
const MODES: [Mode; 2] = [Mode::ZooKeeper, Mode::Kraft];

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::ZooKeeper => t("ZooKeeper mode"),
        Mode::Kraft => t("KRaft mode"),
    }
}

fn failure_name(f: Failure) -> &'static str {
    match f {
        Failure::ControllerDies => t("the active controller dies"),
        Failure::BrokerCutOff => t("a broker is cut off"),
    }
}

/// The runs in order: each partition count, each failure, each mode.
fn order() -> Vec<(usize, Failure, Mode)> {
    (0..PARTITIONS.len())
        .flat_map(|i| FAILURES.iter().flat_map(move |&f| MODES.iter().map(move |&m| (i, f, m))))
        .collect()
}

/// Until the cluster is whole again: a new controller active and every lost leader replaced.
fn recovered(r: &Recovery) -> Time {
    [r.controller_active, r.leaders_back].into_iter().flatten().max().unwrap_or_default()
}

fn secs(t: Time) -> f64 {
    t.0 as f64 / 1e6
}

pub struct WhyKraft {
    results: Vec<(Failure, Mode, Recovery)>,
    /// The run going on: its place in `order()`, and the run.
    running: Option<(usize, FailoverRun)>,
    started_at: f64,
    took_ms: Option<f64>,
    error: Option<String>,
    frame: Option<AnimationFrame>,
    total: NodeRef,
    after: NodeRef,
}

pub enum Msg {
    Run,
    Frame,
}

impl WhyKraft {
    fn start(&mut self, ctx: &Context<Self>, k: usize) {
        self.running = None;
        let Some(&(i, failure, mode)) = order().get(k) else {
            self.took_ms = Some(now_ms() - self.started_at);
            return;
        };
        match FailoverRun::new(mode, failure, PARTITIONS[i], SEED) {
            Ok(run) => {
                // A producer stuck on a cut-off leader waits request.timeout.ms (30 s) first:
                // those runs end once the leaders are back.
                let run = match failure {
                    Failure::BrokerCutOff => run.without_waiting_for_the_producer(),
                    Failure::ControllerDies => run,
                };
                self.running = Some((k, run));
                self.next_frame(ctx);
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn next_frame(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self.frame = Some(request_animation_frame(move |_| link.send_message(Msg::Frame)));
    }

    fn series(&self, failure: Failure, mode: Mode, value: &dyn Fn(&Recovery) -> f64) -> Vec<(f64, f64)> {
        let points = self.results.iter().filter(|(f, m, _)| *f == failure && *m == mode);
        points.map(|(_, _, r)| (r.partitions as f64, value(r))).collect()
    }

    fn lines(&self, value: &dyn Fn(&Recovery) -> f64) -> Vec<Line> {
        let mut lines = vec![];
        for f in FAILURES {
            for m in MODES {
                let colour = match (m, f) {
                    (Mode::ZooKeeper, Failure::ControllerDies) => VERMILLION,
                    (Mode::ZooKeeper, Failure::BrokerCutOff) => ORANGE,
                    (Mode::Kraft, Failure::ControllerDies) => BLUE,
                    (Mode::Kraft, Failure::BrokerCutOff) => SKY,
                };
                let label = format!("{}: {}", mode_name(m), failure_name(f));
                lines.push(Line::new(label, colour, self.series(f, m, value)));
            }
        }
        lines
    }

    fn draw(&self) -> Result<(), String> {
        let xs = (0.0, PARTITIONS.iter().copied().max().unwrap_or(1) as f64);
        if let Some(c) = self.total.cast::<HtmlCanvasElement>() {
            let lines = self.lines(&|r| secs(recovered(r)));
            chart::draw_xy(c, xs, t("partitions"), t("recovered after the failure (s)"), &lines, false)?;
        }
        if let Some(c) = self.after.cast::<HtmlCanvasElement>() {
            let lines = self.lines(&|r| recovered(r).saturating_sub(r.detected.unwrap_or_default()).0 as f64 / 1000.0);
            chart::draw_xy(c, xs, t("partitions"), t("after the failure was noticed (ms, log)"), &lines, true)?;
        }
        Ok(())
    }

    fn find(&self, f: Failure, m: Mode, partitions: u32) -> Option<&Recovery> {
        self.results.iter().find(|(a, b, r)| *a == f && *b == m && r.partitions == partitions).map(|(_, _, r)| r)
    }

    fn table(&self) -> Html {
        let row = |f: Failure, m: Mode, p: u32| match self.find(f, m, p) {
            Some(r) => html! {
                <tr data-mode={format!("{m:?}")} data-failure={format!("{f:?}")} data-partitions={p.to_string()}>
                    <th>{failure_name(f)}</th><th>{mode_name(m)}</th><td>{p}</td><td>{r.affected}</td>
                    <td>{show(r.detected)}</td><td>{show(r.controller_active)}</td><td>{show(r.leaders_back)}</td>
                    <td>{show(r.producers_back)}</td>
                </tr>
            },
            None => html! {},
        };
        html! {
            <table class="perf-table" id="kraft-table">
                <thead><tr>
                    <th>{t("failure")}</th><th>{t("mode")}</th><th>{t("partitions")}</th><th>{t("leaderless")}</th>
                    <th>{t("noticed")}</th><th>{t("new controller active")}</th><th>{t("every leader back")}</th>
                    <th>{t("producer writes again")}</th>
                </tr></thead>
                <tbody>
                    { for FAILURES.iter().flat_map(|&f| MODES.iter().flat_map(move |&m| PARTITIONS.iter().map(move |&p| (f, m, p))))
                        .map(|(f, m, p)| row(f, m, p)) }
                </tbody>
            </table>
        }
    }

    /// What the finished runs show, in numbers taken from them.
    fn findings(&self) -> Html {
        let (lo, hi) = (PARTITIONS[0], *PARTITIONS.last().expect("partition counts"));
        let get = |f, m, p| self.find(f, m, p);
        let after =
            |r: &Recovery, t: Option<Time>| ms(t.unwrap_or_default().saturating_sub(r.detected.unwrap_or_default()));
        use Failure::{BrokerCutOff as Cut, ControllerDies as Dies};
        use Mode::{Kraft, ZooKeeper as Zk};
        let runs = [
            (Dies, Zk, lo),
            (Dies, Zk, hi),
            (Dies, Kraft, hi),
            (Cut, Zk, lo),
            (Cut, Zk, hi),
            (Cut, Kraft, lo),
            (Cut, Kraft, hi),
        ];
        let found: Option<Vec<&Recovery>> = runs.iter().map(|&(f, m, p)| get(f, m, p)).collect();
        let Some([zl, zh, kh, cz_lo, cz_hi, ck_lo, ck_hi]) = found.and_then(|v| <[&Recovery; 7]>::try_from(v).ok())
        else {
            return html! {};
        };
        let first = tf(
            "The active controller dies. In ZooKeeper mode the cluster noticed after {0} (the dead broker's ZooKeeper session expired); the new controller then read every partition's state back, active {1} later with {2} partitions and {3} later with {4}, and every lost leader was back {5} and {6} after it was noticed. In KRaft mode a standby controller was active {7} after the failure with {4} partitions, and no partition lost its leader: the controllers are not brokers.",
            &[
                &show(zh.detected),
                &after(zl, zl.controller_active),
                &lo,
                &after(zh, zh.controller_active),
                &hi,
                &after(zl, zl.leaders_back),
                &after(zh, zh.leaders_back),
                &show(kh.controller_active),
            ],
        );
        let second = tf(
            "A broker is cut off. ZooKeeper mode noticed after {0} and had new leaders {1} later with {2} partitions, {3} with {4} (each changed state is written to ZooKeeper before the brokers hear of it); KRaft fenced the broker after {5} and had new leaders {6} and {7} later (the brokers read them from the metadata log).",
            &[
                &show(cz_hi.detected),
                &after(cz_lo, cz_lo.leaders_back),
                &lo,
                &after(cz_hi, cz_hi.leaders_back),
                &hi,
                &show(ck_hi.detected),
                &after(ck_lo, ck_lo.leaders_back),
                &after(ck_hi, ck_hi.leaders_back),
            ],
        );
        html! {
            <>
                <p id="kraft-findings-1" class="why">{first}</p>
                <p id="kraft-findings-2" class="why">{second}</p>
            </>
        }
    }
}

/// A time to the millisecond (the runs look at the cluster every millisecond).
fn ms(t: Time) -> Time {
    Time((t.0 + 500) / 1000 * 1000)
}

fn show(t: Option<Time>) -> String {
    t.map_or("—".to_string(), |t| ms(t).to_string())
}

impl Component for WhyKraft {
    type Message = Msg;
    type Properties = ();

    fn create(_: &Context<Self>) -> Self {
        WhyKraft {
            results: vec![],
            running: None,
            started_at: 0.0,
            took_ms: None,
            error: None,
            frame: None,
            total: NodeRef::default(),
            after: NodeRef::default(),
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Run => {
                self.results.clear();
                self.error = None;
                self.took_ms = None;
                self.started_at = now_ms();
                self.start(ctx, 0);
            }
            Msg::Frame => {
                let Some((k, run)) = self.running.as_mut() else { return false };
                let k = *k;
                let begun = now_ms();
                let mut finished = None;
                while finished.is_none() && now_ms() - begun < FRAME_BUDGET_MS {
                    match run.advance(SLICE) {
                        Ok(Some(r)) => finished = Some(r),
                        Ok(None) => {}
                        Err(e) => {
                            self.error = Some(e);
                            self.running = None;
                            return true;
                        }
                    }
                }
                match finished {
                    Some(r) => {
                        let (_, failure, mode) = order()[k];
                        self.results.push((failure, mode, r));
                        self.start(ctx, k + 1);
                    }
                    None => self.next_frame(ctx),
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
        let runs = order().len();
        let progress = self.running.as_ref().map(|(k, run)| {
            let (i, f, m) = order()[*k];
            let pct = (run.progress() * 100.0) as u32;
            tf(
                "run {0} of {1}: {2}, {3}, {4} partitions ({5}% of its longest)",
                &[&(k + 1), &runs, &mode_name(m), &failure_name(f), &PARTITIONS[i], &pct],
            )
        });
        html! {
            <section class="perf" id="why-kraft">
                <h2>{t("Why KRaft: the same failure in ZooKeeper mode and KRaft mode")}</h2>
                <p class="why">{t("Three brokers, one topic (replication factor 3) and a producer with acks=all, run in ZooKeeper mode (one ZooKeeper server) and in KRaft mode (three controllers), with Kafka's default timeouts. At 5 s either the active controller dies or a broker that is not the controller is cut off from ZooKeeper or the controllers. Each time below is measured from the failure in the run (seed 1), for several partition counts. In ZooKeeper mode each ZooKeeper request takes the server's time (20 µs, plus 10 µs a znode read and 40 µs a znode written; see the README): a new controller reads every partition's state back, and every changed state is written before the brokers hear of it. A KRaft standby controller already holds the metadata log.")}</p>
                <button id="kraft-run" onclick={ctx.link().callback(|_| Msg::Run)} disabled={self.running.is_some()}>{t("Run the comparison")}</button>
                if let Some(p) = progress { <p id="kraft-progress" class="progress">{p}</p> }
                if let Some(ms) = self.took_ms {
                    <p id="kraft-done" class="done">{tf("done: {0} runs in {1} s", &[&runs, &format!("{:.1}", ms / 1000.0)])}</p>
                }
                if let Some(e) = &self.error { <p class="error" role="alert">{e}</p> }
                if !self.results.is_empty() || self.running.is_some() {
                    <div class="perf-charts">
                        <canvas ref={self.total.clone()} id="kraft-total" width="560" height="280"></canvas>
                        <canvas ref={self.after.clone()} id="kraft-after" width="560" height="280"></canvas>
                    </div>
                    <p class="why">{t("The first chart: from the failure until a new controller is active and every partition the failed broker led has a new leader. The second: the same, less the time until the failure was noticed (log scale).")}</p>
                    { self.findings() }
                    { self.table() }
                    <p class="why">{t("The producer's column: with the controller's death its requests to the dead broker fail at once and it finds the new leaders; a producer writing to a cut-off broker (a zombie that still takes requests) waits at least request.timeout.ms (30 s) first, in both modes, so those runs stop before it writes again.")}</p>
                    <p class="why">{t("Kafka's own figures are at a far larger scale: at 1 000 partitions the model's ZooKeeper work is tens of milliseconds, while Kafka measured seconds to minutes at hundreds of thousands to millions of partitions (KIP-500; Confluent's 2 million partition test). The model's costs grow linearly: 30 µs a partition read back is 30 s for a million partitions. Detection dominates at this size: ZooKeeper's 18 s session timeout against KRaft's controller election and 9 s broker session.")}</p>
                }
            </section>
        }
    }
}
