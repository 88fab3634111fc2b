//! The lesson card over the stage: the goal, the question asked before the run, the run's answer
//! with why, and the "try this" variations; and the learner's progress in local storage.

use crate::view::i18n::{t, tf};
use crate::view::lesson::progress;
use crate::view::lesson::run::LessonRun;
use yew::prelude::*;

const PROGRESS_KEY: &str = "brokerlab.lessons.done";

fn storage() -> Option<web_sys::Storage> {
    super::dom::window().local_storage().ok().flatten()
}

/// The lessons finished in this browser (none if storage is off or unreadable).
pub fn finished() -> Vec<&'static str> {
    let stored = storage().and_then(|s| s.get_item(PROGRESS_KEY).ok().flatten()).unwrap_or_default();
    progress::read(&stored)
}

/// Marks lesson `id` finished (a private window without storage just does not remember).
pub fn finish(id: &str) {
    if let Some(s) = storage() {
        let stored = s.get_item(PROGRESS_KEY).ok().flatten().unwrap_or_default();
        let _ = s.set_item(PROGRESS_KEY, &progress::mark(&stored, id));
    }
}

fn track_name(track: &str) -> &'static str {
    match track {
        "kafka" => "Kafka",
        "rabbitmq" => "RabbitMQ",
        "compare" => t("Kafka and RabbitMQ compared"),
        _ => t("Message brokers"),
    }
}

/// The card, for the playground and the comparison page alike: `predict` takes a choice, `vary`
/// a "try this" variation (`None`: as written).
pub fn card(run: &LessonRun, predict: Callback<usize>, vary: Callback<Option<usize>>) -> Html {
    let l = &run.lesson;
    let (i, n) = run.position();
    let answer = match &run.outcome {
        Some(Ok(o)) => o.answer,
        _ => None,
    };
    let choices = l.choices.iter().enumerate().map(|(k, c)| {
        let class = classes!(
            "choice",
            (run.choice == Some(k)).then_some("chosen"),
            (answer == Some(k)).then_some("answer"),
        );
        html! {
            <button id={format!("choice-{k}")} class={class} role="radio" aria-checked={(run.choice == Some(k)).to_string()}
                disabled={run.outcome.is_some()} onclick={predict.reform(move |_| k)}>
                { t(&c.text) }
                if answer == Some(k) { <span class="tag">{t(" ← the run's answer")}</span> }
            </button>
        }
    });
    let status = match (&run.outcome, run.choice) {
        (None, None) => {
            html! { <p class="lesson-status" id="lesson-status">{t("Pick an answer: the run starts when you do.")}</p> }
        }
        (None, Some(_)) => {
            let to = match run.scenario() {
                Some(_) => tf("Running to t = {0}…", &[&l.until]),
                None => t("Running until both lanes are over…").to_string(),
            };
            html! { <p class="lesson-status" id="lesson-status">{ tf("{0} Look: {1}", &[&to, &t(&l.look)]) }</p> }
        }
        (Some(Err(e)), _) => {
            html! { <p class="field-error" id="lesson-status">{ tf("This run could not be measured: {0}", &[e]) }</p> }
        }
        (Some(Ok(o)), _) => {
            let value = o.value.map_or(t("never").to_string(), |v| v.to_string());
            let verdict = match (run.right(), answer) {
                (Some(true), _) => t("✓ You predicted it.").to_string(),
                (_, Some(a)) => tf("✗ Not what you predicted: the run says “{0}”.", &[&t(&l.choices[a].text)]),
                _ => t("The run's value matches none of the answers.").to_string(),
            };
            let why = answer.map(|a| t(&l.choices[a].why).to_string()).unwrap_or_default();
            html! {
                <div class="lesson-answer" id="lesson-answer" role="status" aria-live="polite">
                    <p><b id="lesson-fact">{ tf("The run: {0} = {1}.", &[&t(&l.fact), &value]) }</b>{" "}<span id="lesson-verdict">{verdict}</span></p>
                    <p id="lesson-why">{why}</p>
                </div>
            }
        }
    };
    let tries = l.tries.iter().enumerate().map(|(k, v)| {
        let active = run.variation == Some(k);
        html! {
            <button id={format!("try-{k}")} class={classes!(active.then_some("chosen"))} disabled={active}
                onclick={vary.reform(move |_| Some(k))}>{ t(&v.label) }</button>
        }
    });
    html! {
        <div class="lesson" id="lesson">
            <div class="walk-head">
                <span class="walk-count" id="lesson-count">{ tf("lesson {0} of {1} · {2}", &[&i, &n, &track_name(&l.track)]) }</span>
                <b id="lesson-title">{ t(&l.title) }</b>
            </div>
            <p class="lesson-goal">{ t(&l.goal) }</p>
            if let Some(v) = run.variation.and_then(|v| l.tries.get(v)) {
                <p class="lesson-variation" id="lesson-variation"><b>{t("Changed: ")}</b>{ t(&v.label) }{" — "}{ t(&v.look) }</p>
            }
            <p class="lesson-q"><b>{t("Predict: ")}</b>{ t(&l.question) }</p>
            <div class="lesson-choices" role="radiogroup" aria-label={t("Your prediction")}>{ for choices }</div>
            { status }
            if run.outcome.is_some() {
                <div class="lesson-try">
                    <b>{t("Try this: ")}</b>
                    if run.variation.is_some() {
                        <button id="try-none" onclick={vary.reform(|_| None)}>{t("As written")}</button>
                    }
                    { for tries }
                    if let Some(next) = run.next_id() {
                        <a class="next" id="lesson-next" href={format!("?lesson={next}")}>{t("Next lesson →")}</a>
                    } else {
                        <a class="next" id="lesson-next" href="./">{t("All lessons →")}</a>
                    }
                </div>
            }
        </div>
    }
}
