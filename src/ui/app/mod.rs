//! The playground shell: renders a `view::session::Session` and turns clicks into calls on it.
//! One struct component owns the session (never inside `use_reducer`, which would clone it per
//! action); a `requestAnimationFrame` loop hands it the wall time that passed, draws the flights
//! every frame and the charts and DOM a few times a second. What is only the page's — what the
//! user is typing, the canvases, notices — stays here.

use super::{chart, dom, stage};
use crate::view::i18n::{t, tf};

mod lessons;
mod page;
use crate::engine::rabbit::config::RabbitSpec;
use crate::engine::{presets, Command, NodeId, Scenario, Time};
use crate::view::config::{Form, Problem};
use crate::view::layout::{STAGE_H, STAGE_W};
use crate::view::lesson::run::LessonRun;
use crate::view::params::Params;
use crate::view::series::FrameLog;
use crate::view::session::Session;
use crate::view::walk::Variant;
use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{request_animation_frame, AnimationFrame};
pub(super) use page::icon;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

/// DOM re-renders per second while playing (the canvas is redrawn every frame regardless).
const DOM_REFRESH_MS: f64 = 100.0;
const CHART_REFRESH_MS: f64 = 250.0;

/// `?bench=frames`: frames skipped, then frames measured (10 s at 60 Hz).
const BENCH_WARMUP: usize = 120;
const BENCH_FRAMES: usize = 600;
const BENCH_PRESET: &str = "bench";
const BENCH_LATENCY: Time = Time::ms(1);
/// Simulated before measuring, so traffic is flowing.
const BENCH_SKIP: Time = Time::ms(20);

#[derive(Properties, PartialEq, Clone)]
pub struct Props {
    pub params: Params,
}

pub enum Msg {
    Frame(f64),
    TogglePlay,
    Step,
    Reset,
    Faster,
    Slower,
    SetSpeed(usize),
    SeedInput(String),
    ApplySeed,
    /// A new random seed, from the browser's entropy.
    NewSeed,
    Preset(String),
    EditorInput(String),
    ApplyEditor,
    Select(NodeId),
    Deselect,
    ToggleLink(NodeId, NodeId),
    Apply(Command),
    /// Several commands at once (e.g. slowing every link of a node).
    ApplyAll(Vec<Command>),
    ToggleHelp,
    /// The partition-log panel shows partition N of `view::partition_log::partitions`.
    LogPartition(usize),
    LogFilter(String),
    /// A log line was clicked: highlight the nodes its event concerns (clicking it again clears).
    LogPick([Option<NodeId>; 2]),
    /// Show this message's journey (published at or before the instant) as a sequence diagram.
    Journey(crate::view::journey::Subject, Time),
    CloseJourney,
    ToggleNetwork,
    Key(KeyboardEvent),
    FormInput(String, String),
    SwitchProtocol(u8),
    ApplyForm,
    /// The topology editor's RabbitMQ section (validated): restart the run with it.
    ApplyRabbit(RabbitSpec),
    StartWalk(Variant),
    WalkNext,
    WalkClose,
    /// The timeline: show the run at this instant (µs), paused.
    Seek(u64),
    StepBack,
    /// To the next (true) or previous marker.
    Jump(bool),
    /// The learner's prediction in a lesson.
    Predict(usize),
    /// A lesson's "try this" variation (`None`: as written), asked afresh.
    LessonVariation(Option<usize>),
    /// Download the run on screen (`view::run_file`).
    SaveRun,
    /// A file picked or dropped: its name and text.
    OpenRun(String, String),
    /// A file that could not be read.
    OpenFailed(String),
    /// Download file `usize` of the scenario exported as this format.
    Export(crate::view::export::Format, usize),
}

pub struct App {
    /// The run on screen and everything derived from it.
    session: Session,
    /// `?lesson=`: the lesson this run belongs to.
    lesson: Option<LessonRun>,
    seed_text: String,
    seed_error: Option<String>,
    editor_text: String,
    editor_error: Option<String>,
    editor_note: Option<String>,
    /// The configuration form (what the user typed) and its current problem, if any.
    form: Form,
    form_problem: Option<Problem>,
    /// The scenario's RabbitMQ section and the nodes its faults name, for the topology editor.
    rabbit_spec: Option<(Rc<RabbitSpec>, Rc<Vec<String>>)>,
    /// Runs loaded so far: a new run starts the topology editor afresh.
    loads: u64,
    notices: Vec<String>,
    last_frame: Option<f64>,
    last_dom: f64,
    last_chart: f64,
    /// `?bench=frames`: frame times being recorded.
    frame_log: Option<FrameLog>,
    log_filter: String,
    show_help: bool,
    /// The journey on show, if any (scanned when asked, dropped when closed).
    journey: Option<Vec<(String, crate::view::journey::Diagram)>>,
    /// On a phone the inspector sits below the whole stage: after a tap, scroll it into view.
    reveal_inspector: bool,
    /// The partition the partition-log panel shows (`None`: the first).
    log_tp: Option<crate::engine::kafka::msg::Tp>,
    canvas: NodeRef,
    /// The canvas over the RabbitMQ drawing that messages move on.
    rabbit_canvas: NodeRef,
    /// The RabbitMQ panel's model as last rendered: the flow canvas, redrawn every frame, places
    /// its dots on it instead of building it again (the DOM refreshes ten times a second).
    rabbit_model: RefCell<Option<Rc<crate::view::rabbit::Model>>>,
    /// Throughput, latency, group lag, replication.
    chart_canvases: [NodeRef; 4],
    frame: Option<AnimationFrame>,
    _keys: Option<EventListener>,
    /// Dropping a run file on the page opens it.
    _drop: [EventListener; 2],
}

/// The scenario's RabbitMQ section, and the node names its faults name.
fn rabbit_spec(s: &Scenario) -> Option<(Rc<RabbitSpec>, Rc<Vec<String>>)> {
    let pinned = s.faults.iter().flat_map(|f| f.command.nodes()).cloned().collect();
    Some((Rc::new(s.rabbit.clone()?), Rc::new(pinned)))
}

impl App {
    /// Replaces the session with a new run of `scenario` (nothing of the old run survives).
    fn load(&mut self, preset: &'static str, scenario: Scenario, seed: u64) {
        match self.session.next(preset, scenario, seed) {
            Ok(session) => self.show(session),
            // A validated scenario always builds; if one did not, say so and keep what is running.
            Err(e) => self.editor_error = Some(e),
        }
        self.update_url();
    }

    /// A configuration or topology applied from a panel: the editor shows the scenario it made,
    /// and the run restarts with it, same preset and seed.
    fn apply_scenario(&mut self, s: Scenario, note: &str) {
        self.editor_text = s.to_json();
        self.editor_error = None;
        self.editor_note = Some(note.into());
        self.load(self.session.preset(), s, self.session.seed());
        self.draw_chart();
    }

    /// Puts `session` on screen and the page's own state about its scenario afresh.
    fn show(&mut self, session: Session) {
        self.form = Form::from_scenario(session.scenario());
        self.form_problem = None;
        self.rabbit_spec = rabbit_spec(session.scenario());
        self.seed_text = session.seed().to_string();
        self.loads += 1;
        self.session = session;
        self.arm_lesson();
    }

    fn rabbit_editing(&self, ctx: &Context<Self>) -> Option<super::rabbit::Editing> {
        let (spec, pinned) = self.rabbit_spec.clone()?;
        Some(super::rabbit::Editing {
            spec,
            pinned,
            loads: self.loads,
            on_apply: ctx.link().callback(Msg::ApplyRabbit),
        })
    }

    /// Keeps the address a link to what is on screen.
    fn update_url(&self) {
        match &self.lesson {
            Some(l) => dom::replace_query(&l.query()),
            None => dom::replace_query(&self.session.query()),
        }
    }

    fn notice(&mut self, result: Result<(), String>) {
        if let Err(e) = result {
            self.notices.push(e);
        }
    }

    fn draw_canvas(&self) {
        let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() else { return };
        let ratio = dom::window().device_pixel_ratio().max(1.0);
        let (w, h) = ((STAGE_W * ratio) as u32, (STAGE_H * ratio) as u32);
        if canvas.width() != w || canvas.height() != h {
            canvas.set_width(w);
            canvas.set_height(h);
        }
        let Some(ctx) =
            canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        let s = &self.session;
        stage::draw(&ctx, ratio, s.world(), s.positions(), s.flights(), dom::now_ms());
        super::rabbit::draw_flow(
            &self.rabbit_canvas,
            self.rabbit_model.borrow().as_deref(),
            s.rabbit_flow(),
            dom::now_ms(),
        );
    }

    fn draw_chart(&mut self) {
        if let Err(e) = chart::draw_all(self.session.meters(), self.session.world(), &self.chart_canvases) {
            self.notices.push(format!("chart: {e}"));
        }
        self.last_chart = dom::now_ms();
    }

    /// One animation frame: advance, draw the flights, sometimes the charts; true to re-render.
    fn frame(&mut self, ctx: &Context<Self>, ts: f64) -> bool {
        let dt = self.last_frame.map_or(0.0, |last| (ts - last).clamp(0.0, 100.0));
        self.last_frame = Some(ts);
        let was_playing = self.session.playing;
        self.session.frame(dt, &dom::now_ms);
        self.draw_canvas();
        self.schedule_frame(ctx);
        // The walkthrough paused on a step: show it now.
        if was_playing && !self.session.playing {
            self.draw_chart();
            self.update_url();
            return true;
        }
        let now = dom::now_ms();
        if self.session.playing && now - self.last_chart > CHART_REFRESH_MS {
            self.draw_chart();
        }
        if was_playing && now - self.last_dom > DOM_REFRESH_MS {
            self.last_dom = now;
            return true;
        }
        false
    }

    fn schedule_frame(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self.frame = Some(request_animation_frame(move |ts| link.send_message(Msg::Frame(ts))));
    }

    fn apply(&mut self, command: Command) {
        let result = self.session.apply(command, dom::now_ms());
        self.notice(result);
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let p = &ctx.props().params;
        let preset = if p.bench_frames { BENCH_PRESET } else { p.preset.unwrap_or(presets::PRESETS[0].0) };
        let mut scenario = presets::load(preset).expect("a listed preset");
        if p.bench_frames {
            // The standard benchmark scenario with a 1 ms link latency: about 2 000 messages in the
            // air at any instant (the Kafka models' producers window their requests, so they
            // never have that many).
            scenario.network.latency = BENCH_LATENCY;
        }
        let mut problems = p.problems.clone();
        let lesson = p.lesson.and_then(|id| {
            let run = LessonRun::open(id, p.variation).or_else(|e| {
                problems.push(tf("{0}; showing the lesson as written", &[&e]));
                LessonRun::open(id, None)
            });
            // A comparison lesson belongs to the comparison page (`ui::start` sends it there).
            run.ok().and_then(|run| {
                scenario = run.scenario()?.clone();
                Some(run)
            })
        });
        // A link from an edited scenario carries it; one that does not read opens the preset.
        if let Some(text) = &p.scenario {
            match crate::view::link_scenario::decode(text, preset) {
                Ok(edited) => scenario = edited,
                Err(e) => {
                    problems.push(tf("the link's scenario could not be read ({0}); opening the preset instead", &[&e]))
                }
            }
        }
        let seed = p.seed.unwrap_or(scenario.seed);
        // A shared link: replay its actions, then run to the instant it shows (paused there).
        let mut session = match Session::open_link(preset, scenario.clone(), seed, p.log.as_deref(), p.t, &mut problems)
        {
            Ok(session) => session,
            Err(e) => {
                problems.push(tf("the link's scenario does not run ({0}); opening the preset instead", &[&e]));
                let scenario = presets::load(preset).expect("a listed preset");
                Session::new(preset, scenario, seed).expect("presets are valid")
            }
        };
        if let Some(speed) = p.speed {
            session.set_speed(speed);
        }
        if p.bench_frames {
            session.skip_to(BENCH_SKIP);
        }
        let link_for_drop = ctx.link();
        let link = ctx.link().clone();
        // Not passive: a handled shortcut calls preventDefault (space must not scroll the page).
        let options = EventListenerOptions::enable_prevent_default();
        let keys = EventListener::new_with_options(&dom::document(), "keydown", options, move |e| {
            if let Some(e) = e.dyn_ref::<KeyboardEvent>() {
                link.send_message(Msg::Key(e.clone()));
            }
        });
        let mut app = App {
            lesson,
            editor_text: if session.edited() {
                session.scenario().to_json()
            } else {
                presets::by_slug(preset).unwrap_or_default().to_string()
            },
            editor_error: None,
            editor_note: None,
            form: Form::from_scenario(session.scenario()),
            form_problem: None,
            rabbit_spec: rabbit_spec(session.scenario()),
            loads: 0,
            seed_text: seed.to_string(),
            seed_error: None,
            notices: problems,
            session,
            last_frame: None,
            last_dom: 0.0,
            last_chart: 0.0,
            frame_log: p.bench_frames.then(|| FrameLog::new(BENCH_WARMUP, BENCH_FRAMES)),
            log_filter: String::new(),
            show_help: false,
            journey: None,
            log_tp: None,
            reveal_inspector: false,
            canvas: NodeRef::default(),
            rabbit_canvas: NodeRef::default(),
            rabbit_model: RefCell::new(None),
            chart_canvases: Default::default(),
            frame: None,
            _keys: Some(keys),
            _drop: super::run_file::drop_listeners(link_for_drop),
        };
        app.arm_lesson();
        app.update_url();
        app
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if std::mem::take(&mut self.reveal_inspector) {
            if let Some(el) = dom::document().get_element_by_id("inspector") {
                el.scroll_into_view();
            }
        }
        if first_render {
            dom::mark_first_render();
            self.draw_canvas();
            self.draw_chart();
            self.schedule_frame(ctx);
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Frame(ts) => {
                let start = dom::now_ms();
                let interval = self.last_frame.map_or(0.0, |last| ts - last);
                let mut render = self.frame(ctx, ts);
                render |= self.settle_lesson();
                if let Some(log) = &mut self.frame_log {
                    if !log.done() && log.record(interval, dom::now_ms() - start, self.session.flights().len()) {
                        dom::document()
                            .document_element()
                            .map(|e| e.set_attribute("data-bench-frames", &log.summary()));
                    }
                }
                return render;
            }
            Msg::TogglePlay => self.session.playing = !self.session.playing,
            Msg::Predict(choice) => self.predict(choice),
            Msg::LessonVariation(variation) => self.lesson_variation(variation),
            Msg::FormInput(key, value) => {
                self.form.set(&key, value);
                self.form_problem = self.form.build(self.session.scenario()).err();
            }
            Msg::SwitchProtocol(group) => {
                let key = format!("kafka.groups[{group}].assignor");
                let cooperative = self.form.value(&key) == Some("cooperative-sticky");
                self.form.set(&key, if cooperative { "range" } else { "cooperative-sticky" }.into());
                ctx.link().send_message(Msg::ApplyForm);
            }
            Msg::ApplyForm => match self.form.build(self.session.scenario()) {
                Ok(s) => self.apply_scenario(s, t("Configuration applied.")),
                Err(p) => self.form_problem = Some(p),
            },
            Msg::ApplyRabbit(spec) => {
                let mut s = self.session.scenario().clone();
                s.rabbit = Some(spec);
                match s.validate() {
                    Ok(()) => self.apply_scenario(s, t("Topology applied.")),
                    Err(e) => self.notices.push(e),
                }
            }
            Msg::StartWalk(variant) => {
                self.session = self.session.start_walk(variant, dom::now_ms());
                self.draw_chart();
            }
            Msg::WalkNext => {
                let result = self.session.walk_next(dom::now_ms());
                self.notice(result);
            }
            Msg::WalkClose => self.session.close_walk(),
            Msg::Seek(us) => {
                self.session.seek(Time(us));
                self.draw_chart();
            }
            Msg::StepBack => {
                self.session.step_back();
                self.draw_chart();
            }
            Msg::Export(format, i) => {
                // Written from the scenario running now (an applied topology or configuration
                // included), only when asked.
                let result = crate::view::export::export(self.session.scenario(), format).and_then(|files| {
                    let f = files.get(i).ok_or(t("that file is no longer part of the export"))?;
                    dom::download(&f.name, f.mime, &f.content)
                });
                let failed = result.is_err();
                self.notice(result);
                return failed;
            }
            Msg::Jump(forward) => {
                self.session.jump(forward);
                self.draw_chart();
            }
            Msg::SaveRun => {
                let file = crate::view::run_file::RunFile::of(&self.session);
                let result = super::download::text(&file.file_name(), "application/json", &file.to_json());
                self.notice(result);
            }
            Msg::OpenRun(name, text) => match crate::view::run_file::open_text(&text, self.session.preset()) {
                Ok((session, note)) => {
                    self.editor_text = session.scenario().to_json();
                    self.show(session);
                    self.notices = vec![format!("“{name}”: {note}")];
                    self.draw_chart();
                }
                Err(e) => {
                    self.notices.push(tf("“{0}” was not opened: {1}. The run on screen is unchanged.", &[&name, &e]))
                }
            },
            Msg::OpenFailed(e) => self.notices.push(e),
            Msg::Step => {
                let result = self.session.step(dom::now_ms());
                self.notice(result);
                self.draw_chart();
            }
            Msg::Reset => {
                let session = self.session.reset();
                self.show(session);
                self.draw_chart();
            }
            Msg::Faster => self.session.faster(),
            Msg::Slower => self.session.slower(),
            Msg::SetSpeed(i) => self.session.set_speed(i),
            Msg::SeedInput(text) => {
                self.seed_error = match text.trim().parse::<u64>() {
                    Ok(_) => None,
                    Err(_) => {
                        let shown = crate::view::params::shorten_to(text.trim(), 40);
                        Some(tf("\"{0}\" is not a seed: use a whole number from 0 to {1}", &[&shown, &u64::MAX]))
                    }
                };
                self.seed_text = text;
            }
            Msg::ApplySeed => {
                if let Ok(seed) = self.seed_text.trim().parse::<u64>() {
                    self.load(self.session.preset(), self.session.scenario().clone(), seed);
                    self.draw_chart();
                }
            }
            Msg::NewSeed => match dom::random_seed() {
                Some(seed) => {
                    self.seed_error = None;
                    self.load(self.session.preset(), self.session.scenario().clone(), seed);
                    self.draw_chart();
                }
                None => self.notices.push(t("this browser gave no random numbers: type a seed instead").into()),
            },
            Msg::Preset(slug) => {
                if let Some((slug, json)) = presets::PRESETS.iter().find(|(s, _)| *s == slug) {
                    self.editor_text = json.to_string();
                    self.editor_error = None;
                    self.editor_note = None;
                    let scenario = presets::load(slug).expect("a listed preset");
                    let seed = scenario.seed;
                    self.load(slug, scenario, seed);
                    self.draw_chart();
                }
            }
            Msg::EditorInput(text) => self.editor_text = text,
            Msg::ApplyEditor => match Scenario::from_json(&self.editor_text) {
                Ok(s) => {
                    self.editor_error = None;
                    self.editor_note = Some(tf("Loaded \"{0}\" with {1} nodes.", &[&s.name, &s.node_names().len()]));
                    let seed = s.seed;
                    self.load(self.session.preset(), s, seed);
                    self.draw_chart();
                }
                // The text stays as the user wrote it; only the message changes.
                Err(e) => {
                    self.editor_error = Some(e);
                    self.editor_note = None;
                }
            },
            Msg::Select(id) => {
                self.session.select(id);
                // One column (≤ 1100 px, as the stylesheet lays it out): the inspector is below the stage.
                let narrow = dom::window().inner_width().ok().and_then(|w| w.as_f64()).is_some_and(|w| w <= 1100.0);
                self.reveal_inspector = narrow && self.session.selected().is_some();
            }
            Msg::Deselect => self.session.deselect(),
            Msg::ToggleLink(a, b) => {
                let result = self.session.toggle_link(a, b, dom::now_ms());
                self.notice(result);
            }
            Msg::Apply(command) => self.apply(command),
            Msg::ApplyAll(commands) => {
                for c in commands {
                    self.apply(c);
                }
            }
            Msg::ToggleHelp => self.show_help = !self.show_help,
            Msg::LogPartition(i) => {
                self.log_tp = crate::view::partition_log::partitions(self.session.world()).get(i).map(|(tp, _)| *tp)
            }
            Msg::LogFilter(text) => self.log_filter = text,
            Msg::LogPick(nodes) => self.session.pick(nodes),
            Msg::Journey(subject, since) => {
                // What it shows is the run up to the instant shown: keep that instant.
                self.session.playing = false;
                self.journey = Some(vec![(String::new(), self.session.journey(subject, since))]);
            }
            Msg::CloseJourney => self.journey = None,
            Msg::ToggleNetwork => self.session.toggle_network_log(),
            Msg::Key(e) => {
                // Typing in a field is not a shortcut.
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
                if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return false;
                }
                let msg = match e.key().as_str() {
                    " " => Msg::TogglePlay,
                    "ArrowRight" | "." => Msg::Step,
                    "ArrowLeft" | "," => Msg::StepBack,
                    "r" => Msg::Reset,
                    "+" | "=" | "]" => Msg::Faster,
                    "-" | "[" => Msg::Slower,
                    "?" | "h" => Msg::ToggleHelp,
                    "Escape" if self.show_help => Msg::ToggleHelp,
                    "Escape" if self.journey.is_some() => Msg::CloseJourney,
                    "Escape" => Msg::Deselect,
                    _ => return false,
                };
                e.prevent_default();
                ctx.link().send_message(msg);
                return false;
            }
        }
        self.update_url();
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        self.page(ctx)
    }
}
