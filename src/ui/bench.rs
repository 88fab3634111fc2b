//! `?bench`: the engine benchmarks in the page. The same `engine::bench::Bench` as the native CLI,
//! run one animation frame at a time (≈ 8 ms of work per frame, as the playground would), timing
//! only the work, not the idle time between frames. The result is JSON in `#bench-result`, read by
//! `scripts/bench.sh`. Each measured run is bracketed by `performance.mark`s (`bench-start:PRESET`,
//! `bench-end:PRESET`), where a trace finds the CPU time of its frames (`scripts/ratio.mjs`).

use super::dom;
use crate::engine::bench::{default_simulated, Bench, PRESETS};
use crate::engine::{presets, Time};
use crate::view::i18n::t;
use crate::view::session::Session;
use gloo::render::{request_animation_frame, AnimationFrame};
use wasm_bindgen::JsCast;
use yew::prelude::*;

const WORK_PER_FRAME_MS: f64 = 8.0;

pub struct BenchPage {
    /// Which of `PRESETS` is running.
    which: usize,
    bench: Option<Bench>,
    warmed: bool,
    work_ms: f64,
    frames: u32,
    results: Vec<String>,
    frame: Option<AnimationFrame>,
}

pub enum Msg {
    Frame,
}

impl BenchPage {
    fn schedule(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self.frame = Some(request_animation_frame(move |_| link.send_message(Msg::Frame)));
    }
}

impl Component for BenchPage {
    type Message = Msg;
    type Properties = ();

    fn create(_: &Context<Self>) -> Self {
        // A short warm-up run first, so the measured run sees V8's optimised tier (as the native
        // bench warms up too).
        BenchPage {
            which: 0,
            bench: Some(Bench::new(PRESETS[0], default_simulated(PRESETS[0]) / 10)),
            warmed: false,
            work_ms: 0.0,
            frames: 0,
            results: vec![],
            frame: None,
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first: bool) {
        if first {
            // First, while the wasm memory is still the page's own: what it grows by is the
            // session's and its timeline's.
            self.results.push(timeline());
            self.schedule(ctx);
        }
    }

    fn update(&mut self, ctx: &Context<Self>, _: Msg) -> bool {
        let Some(bench) = self.bench.as_mut() else { return false };
        let start = dom::now_ms();
        let mut more = true;
        while more && dom::now_ms() - start < WORK_PER_FRAME_MS {
            more = bench.chunk();
        }
        if self.warmed {
            self.work_ms += dom::now_ms() - start;
            self.frames += 1;
        }
        if !more {
            if !self.warmed {
                self.warmed = true;
                self.bench = Some(Bench::new(PRESETS[self.which], default_simulated(PRESETS[self.which])));
                dom::mark(&format!("bench-start:{}", PRESETS[self.which]));
            } else {
                dom::mark(&format!("bench-end:{}", PRESETS[self.which]));
                let r = bench.result();
                let secs = self.work_ms / 1_000.0;
                self.results.push(format!(
                    "{{\"platform\":\"wasm\",\"scenario\":\"{}\",\"steps\":{},\"events\":{},\"simulated_us\":{},\"wall_ms\":{:.1},\"frames\":{},\
                     \"steps_per_sec\":{:.0},\"events_per_sec\":{:.0},\"messages\":{},\"records\":{},\"trace_hash\":\"{:016x}\"}}",
                    PRESETS[self.which],
                    r.steps,
                    r.events,
                    r.simulated.0,
                    self.work_ms,
                    self.frames,
                    r.steps as f64 / secs,
                    r.events as f64 / secs,
                    r.messages,
                    r.records,
                    r.trace_hash
                ));
                self.which += 1;
                self.work_ms = 0.0;
                self.frames = 0;
                self.warmed = false;
                self.bench = PRESETS.get(self.which).map(|slug| Bench::new(slug, default_simulated(slug) / 10));
                if self.bench.is_none() {
                    return true;
                }
            }
        }
        self.schedule(ctx);
        self.frames % 30 == 0
    }

    fn view(&self, _: &Context<Self>) -> Html {
        html! {
            <div class="shell bench">
                <h1>{t("brokerlab engine benchmark")}</h1>
                <p>{t("The timeline after 10 simulated minutes of kafka-groups (seek times, wasm memory), then the benchmark presets (scenarios/bench.json, kafka-bench.json, rabbit-bench.json: 2 s of simulated time each; kafka-large.json and kafka-large-kraft.json: 20 s each), run in per-frame chunks.")}</p>
                if self.bench.is_none() {
                    <pre id="bench-result">{self.results.join("\n")}</pre>
                } else {
                    <p id="bench-progress">{format!("running… {} frames", self.frames)}</p>
                }
            </div>
        }
    }
}

/// The wasm linear memory's size in bytes (it only grows: a high-water mark).
fn wasm_memory() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// The timeline in the page: `kafka-groups` played 10 minutes of simulated time through a session
/// (snapshots as the playground takes them), then the time to seek from its start to its end and
/// back (best of 5), and how much the wasm memory grew meanwhile. Native figures, with the
/// snapshots' exact heap bytes: `cargo run --profile native --example timeline_bench`.
fn timeline() -> String {
    const PRESET: &str = "kafka-groups";
    let memory_before = wasm_memory();
    let scenario = presets::load(PRESET).expect("a preset");
    let seed = scenario.seed;
    let mut s = Session::new(PRESET, scenario, seed).expect("presets are valid");
    let start = dom::now_ms();
    s.play_until(Time::secs(600));
    let play_ms = dom::now_ms() - start;
    let (end, hash, steps) = (s.sim().now(), s.sim().trace_hash(), s.sim().steps());
    let (mut to_end, mut to_start) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        s.seek(Time::ZERO);
        let t = dom::now_ms();
        s.seek(end);
        to_end = to_end.min(dom::now_ms() - t);
        let t = dom::now_ms();
        s.seek(Time::ZERO);
        to_start = to_start.min(dom::now_ms() - t);
    }
    format!(
        "{{\"platform\":\"wasm\",\"timeline\":\"{PRESET}\",\"simulated_us\":{},\"steps\":{},\"snapshots\":{},\"play_ms\":{play_ms:.1},\
         \"seek_end_ms\":{to_end:.2},\"seek_start_ms\":{to_start:.2},\"wasm_memory_before\":{memory_before},\"wasm_memory_after\":{},\
         \"trace_hash\":\"{hash}\"}}",
        end.0,
        steps,
        s.timeline().snapshots(),
        wasm_memory(),
    )
}
