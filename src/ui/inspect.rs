//! The inspector: one node's state (its model state in a few lines or a table) and the faults to
//! inject into it.

use super::app::{App, Msg};
use crate::engine::kernel::Process;
use crate::engine::{Command, NodeId, Time};
use crate::view::i18n::t;
use crate::view::plugin::{self, Block, Cell};
use crate::view::session::Session;
use yew::html::Scope;
use yew::prelude::*;

/// Renders what the model's view says of a node (`view::plugin::inspect`).
fn blocks(blocks: Vec<Block>) -> Html {
    let cell = |c: &Cell, head: bool| {
        let Cell { text, hint, class } = c.clone();
        if head {
            html! { <th title={hint} class={classes!(class)}>{text}</th> }
        } else {
            html! { <td title={hint} class={classes!(class)}>{text}</td> }
        }
    };
    let block = |b: Block| match b {
        Block::Text { id, text } => html! { <p class="detail" id={id}>{text}</p> },
        Block::Table { id, head, rows } => html! {
            <table class="kv partitions" id={id}>
                <tr>{ for head.iter().map(|c| cell(c, true)) }</tr>
                { for rows.iter().map(|r| html! { <tr class={classes!(r.class)}>{ for r.cells.iter().map(|c| cell(c, false)) }</tr> }) }
            </table>
        },
        Block::Pre { id, class, text, summary: None } => html! { <pre class={classes!(class)} id={id}>{text}</pre> },
        Block::Pre { id, class, text, summary: Some(summary) } => html! {
            <details class="partition-logs">
                <summary>{summary}</summary>
                <pre class={classes!(class)} id={id}>{text}</pre>
            </details>
        },
    };
    html! { <>{ for blocks.into_iter().map(block) }</> }
}

/// The inspector: the selected node, its state, and the faults to inject into it.
pub fn panel(session: &Session, link: &Scope<App>) -> Html {
    let world = session.world();
    let Some(id) = session.selected() else {
        return html! {
            <div class="panel inspector"><h2>{t("Inspector")}</h2>
            <p class="hint">{t("Click a node to see it and to stop, restart or isolate it. Click a link to cut or heal it.")}</p></div>
        };
    };
    let slot = &world.nodes[id.index()];
    let net = &world.network;
    let up = net.is_up(id);
    let isolated = net.is_isolated(id);
    let stop_start = if up { Command::Stop { node: id } } else { Command::Start { node: id } };
    let iso = if isolated { Command::Rejoin { node: id } } else { Command::Isolate { node: id } };
    let role = slot.node.role();
    let cmd = link.callback(Msg::Apply);
    // A slow network: every link of the node gets SLOW_BY of extra one-way delay, or back to none.
    const SLOW_BY: Time = Time::ms(50);
    let others = (0..world.nodes.len() as u32).map(NodeId).filter(|&o| o != id);
    let slowed = others.clone().any(|o| net.extra_delay(id, o) > Time::ZERO);
    let extra = if slowed { Time::ZERO } else { SLOW_BY };
    let slow: Vec<Command> = others.map(|b| Command::Slow { a: id, b, extra }).collect();
    let cmds = link.callback(Msg::ApplyAll);
    html! {
        <div class="panel inspector" id="inspector">
            <h2>{format!("{} · {}", slot.name, role)}</h2>
            <table class="kv">
                <tr><td>{t("state")}</td><td id="node-state">{ if !up { t("stopped") } else if isolated { t("isolated") } else { t("running") } }</td></tr>
                <tr><td>{t("incarnation")}</td><td title={t("Restarts so far")}>{slot.incarnation}</td></tr>
            </table>
            { blocks(plugin::inspect(world, id)) }
            <div class="actions">
                <button id="node-stop-start" onclick={cmd.reform(move |_| stop_start.clone())}>
                    { if up { t("Stop (crash)") } else if role == "consumer" { t("Start") } else { t("Restart") } }
                </button>
                // The model's own faults (a member leaving its group, a session expiring, …).
                { for plugin::actions(world, id).into_iter().map(|a| {
                    let commands = a.commands;
                    html! { <button id={a.id} title={t(a.hint)} onclick={cmds.reform(move |_| commands.clone())}>{t(a.label)}</button> }
                }) }
                <button id="node-isolate" onclick={cmd.reform(move |_| iso.clone())}>
                    { if isolated { t("Rejoin network") } else { t("Isolate") } }
                </button>
                <button id="node-slow" title={t("Add 50 ms of one-way delay to every link of this node (timeouts, lagging replicas, slow acks)")}
                    onclick={cmds.reform(move |_| slow.clone())}>
                    { if slowed { t("Normal network") } else { t("Slow network (+50 ms)") } }
                </button>
                <button onclick={cmd.reform(|_| Command::HealAll)}>{t("Heal all links")}</button>
            </div>
        </div>
    }
}
