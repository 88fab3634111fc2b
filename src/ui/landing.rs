//! The bare URL: what brokerlab is, and where to start — learn Kafka, learn RabbitMQ, compare
//! them — plus the sandbox for those who know their way. Every door is a plain link, so it can be
//! bookmarked and shared.

use crate::view::i18n::{en, t, tf};
use crate::view::lesson;
use yew::prelude::*;

/// `(id, title, what you do there, link, further steps as (label, link))`.
type Door = (&'static str, &'static str, &'static str, &'static str, &'static [(&'static str, &'static str)]);

const DOORS: &[Door] = &[
    (
        "door-kafka",
        en("Learn Kafka"),
        en("Three brokers, ZooKeeper and a consumer group. Follow one record from its key to a partition leader, its followers and the high watermark, to the consumer's commit; then kill the leader mid-flight and watch the failover."),
        "?preset=kafka-basic",
        &[
            (en("Consumer groups rebalancing"), "?preset=kafka-groups"),
            (en("Static members restarting without a rebalance"), "?preset=kafka-static"),
            (en("Transactions: read_committed and a fenced zombie"), "?preset=kafka-transactions"),
            (en("Exactly-once: consume, transform, produce"), "?preset=kafka-exactly-once"),
            (en("ZooKeeper's quorum failing"), "?preset=kafka-zk-ensemble"),
        ],
    ),
    (
        "door-rabbit",
        en("Learn RabbitMQ"),
        en("A topic exchange, bindings, queues, acks, an alternate exchange and dead letters. Follow one message through the bindings into its queues and out to a consumer; then kill the consumer before it acks."),
        "?preset=rabbit-basic",
        &[(en("Be the consumer: ack, nack and reject by hand"), "?preset=rabbit-by-hand")],
    ),
    (
        "to-compare",
        en("Compare them"),
        en("One workload on both, side by side: which one keeps each customer's messages in order, what a consumer crash costs, and why competing consumers are fast."),
        "?compare",
        &[],
    ),
];

#[function_component(Landing)]
pub fn landing() -> Html {
    use_effect_with((), |_| super::dom::mark_first_render());
    let doors = DOORS.iter().map(|(id, title, what, href, more)| {
        html! {
            <section class="door">
                <h2><a id={*id} href={*href}>{t(title)}{" →"}</a></h2>
                <p>{t(what)}</p>
                if !more.is_empty() {
                    <p class="more">{t("Then: ")}
                        { for more.iter().enumerate().map(|(i, (label, link))| html! {
                            <>{ if i > 0 { " · " } else { "" } }<a href={*link}>{t(label)}</a></>
                        }) }
                    </p>
                }
            </section>
        }
    });
    html! {
        <div class="shell landing">
            <header><h1>{"brokerlab"}</h1>{ super::lang::switch() }</header>
            <p class="lead">
                {t("Watch Kafka and RabbitMQ work, message by message, in a simulation that follows the real systems' rules. ")}
                {t("Crash a broker, cut a link or kill a consumer and see what happens to every message; the same seed replays the same run.")}
            </p>
            <div class="doors">{ for doors }</div>
            { lessons() }
            <p class="sandbox">
                <a id="door-sandbox" href="?preset=relay-basic">{t("Sandbox")}</a>
                {t(": every scenario, the scenario editor and fault injection, for those who know their way.")}
            </p>
        </div>
    }
}

/// The lesson path, by track, each lesson marked once finished in this browser.
fn lessons() -> Html {
    let done = super::lesson::finished();
    let all = lesson::all();
    let track = |track: &str, title: &str| {
        let items = all.iter().filter(|l| l.track == track).map(|l| {
            let finished = done.contains(&l.id);
            html! {
                <li class={classes!(finished.then_some("done"))}>
                    <a href={format!("?lesson={}", l.id)}>{ t(&l.title) }</a>
                    if finished { <span class="tick" title={t("finished in this browser")}>{" ✓"}</span> }
                </li>
            }
        });
        html! { <div class="track"><h3>{t(title).to_string()}</h3><ol>{ for items }</ol></div> }
    };
    html! {
        <section class="lessons" id="lessons" aria-label={t("Lessons")}>
            <h2>{t("Lessons: predict, then watch")}</h2>
            <p>{ tf("Each lesson asks a question before it runs; the simulation then answers it. {0} of {1} done in this browser.", &[&done.len(), &all.len()]) }</p>
            <div class="tracks">
                { track("rabbitmq", "RabbitMQ") }
                { track("kafka", "Kafka") }
                { track("compare", en("Compare them")) }
            </div>
        </section>
    }
}
