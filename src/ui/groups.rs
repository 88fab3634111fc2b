//! The consumer-group panel: per group its state machine (current state highlighted), generation,
//! coordinator, members and the partitions each owns, recent moves, and each rebalance's
//! stop-the-world gap. Everything comes from `view::groups` (folded events) and `view::kafka`.

use crate::engine::kafka::msg::parts_text;
use crate::engine::{Command, NodeId, World};
use crate::view::glossary as g;
use crate::view::groups::{bits, GroupView, Groups, Rebalance, STATES};
use crate::view::kafka;
use yew::prelude::*;

/// `on_switch(group)`: rerun with the group's protocol switched (eager ↔ cooperative).
pub fn panel(world: &World, groups: &Groups, on_cmd: &Callback<Command>, on_switch: &Callback<u8>) -> Html {
    if groups.groups.is_empty() {
        return html! {};
    }
    html! {
        <div class="panel groups" id="groups">
            <h2 title={g::REBALANCE}>{"Consumer groups"}</h2>
            { for groups.groups.iter().map(|v| group(world, v, on_cmd, on_switch)) }
        </div>
    }
}

fn group(world: &World, v: &GroupView, on_cmd: &Callback<Command>, on_switch: &Callback<u8>) -> Html {
    let name = world.group_name(v.index).to_string();
    let protocol = if v.cooperative { ("cooperative", g::COOPERATIVE) } else { ("eager", g::EAGER) };
    let states = STATES.iter().map(|s| {
        let current = v.state == Some(*s);
        html! { <span class={classes!("gstate", current.then_some("current"))} data-state={s.name()}>{s.name().replace("Rebalance", " Rebalance")}</span> }
    });
    // Members of the group by configuration: consumers whose membership names it.
    let consumers: Vec<NodeId> = (0..world.nodes.len() as u32)
        .map(NodeId)
        .filter(|&n| kafka::consumer(world, n).and_then(|c| c.member.as_ref()).is_some_and(|m| m.group == v.index))
        .collect();
    let stopped: Vec<NodeId> = consumers.iter().copied().filter(|&n| !world.network.is_up(n)).collect();
    let running: Vec<NodeId> = consumers.iter().copied().filter(|&n| world.network.is_up(n)).collect();
    let recent_gen = v.generation;
    let member_rows = consumers.iter().map(|&n| {
        let owner = v.owners.iter().find(|o| o.node == n);
        let owned = owner.map_or(0, |o| o.partitions);
        // A stopped member still owns its partitions until its session times out: nobody reads them.
        let orphan = owner.is_some_and(|o| !o.alive) || !world.network.is_up(n);
        let up = world.network.is_up(n);
        let moved_in: u64 = v.moves.iter().filter(|m| m.to == n && m.generation == recent_gen).fold(0, |a, m| a | 1 << m.partition);
        let chips = (0..v.partitions).map(|p| {
            let has = owned & (1 << p) != 0;
            let class = classes!("chip", format!("p{}", p % 7), (!has).then_some("empty"),
                (has && orphan).then_some("orphan"), (moved_in & (1 << p) != 0).then_some("moved"));
            html! { <span {class} title={format!("partition {p}")}>{ if has { p.to_string() } else { "·".to_string() } }</span> }
        });
        html! {
            <tr data-member={world.node_name(n).to_string()}>
                <td>{world.node_name(n)}</td>
                <td class={classes!(if up { "up" } else { "down" })}>{ if up { "running" } else { "stopped" } }</td>
                <td class="chips" title={if orphan && owned != 0 { format!("still owns {} until its session times out: nobody reads them", parts_text(owned)) } else { format!("owns {}", parts_text(owned)) }}>{ for chips }</td>
            </tr>
        }
    });
    let moves = v.moves.iter().rev().take(6).map(|m| {
        html! { <li>{format!("p{}: {} → {} (gen {}, t={})", m.partition, m.from.map_or("new", |f| world.node_name(f)), world.node_name(m.to), m.generation, m.at)}</li> }
    });
    let rebalances = v.rebalances.iter().rev().filter(|r| r.costly()).take(4).map(|r| {
        let kept = bits(r.kept()).count();
        let stopped = bits(r.stopped).count();
        html! {
            <tr>
                <td>{format!("gen {}", r.generation)}</td>
                <td>{ if r.cooperative { "cooperative" } else { "eager" } }</td>
                <td class="gap" title={g::GAP}>{ r.gap().map_or("…".to_string(), |t| t.to_string()) }</td>
                <td>{format!("{stopped} stopped, {kept} kept consuming")}</td>
                <td class="idle" title={g::PARTITION_SECONDS}>{ partition_seconds(r) }</td>
            </tr>
        }
    });
    let coordinator = kafka::coordinator(world, v.index);
    let add = stopped.first().copied();
    let remove = running.last().copied();
    let last = v.last_costly();
    let index = v.index;
    html! {
        <div class="group" data-group={name.clone()}>
            <h3>
                {name}
                <span class="protocol" title={protocol.1}>{protocol.0}</span>
                <span class="gen" title={g::GENERATION}>{format!("generation {}", v.generation)}</span>
                <span class="coord" title={g::COORDINATOR}>{ v.coordinator.map_or("no coordinator".to_string(), |b| format!("coordinator b{b}")) }</span>
            </h3>
            <div class="state-machine" title={g::REBALANCE} id={format!("group-state-{}", v.index)}>{ for states }</div>
            if let Some(r) = last {
                <p class="gap-line" title={g::GAP}>
                    {"last rebalance: "}<b class="gap-value">{r.gap().map_or("…".to_string(), |t| t.to_string())}</b>
                    { if r.cooperative {
                        format!(" with {} of {} partitions paused; {} kept being consumed", bits(r.stopped).count(), v.partitions, bits(r.kept()).count())
                    } else {
                        format!(" with all {} partitions stopped (eager: everyone revokes first)", bits(r.stopped).count())
                    } }
                    {"; cost: "}<b class="idle-value" title={g::PARTITION_SECONDS}>{ partition_seconds(r) }</b>{" not consumed"}
                </p>
            }
            <table class="kv members">{ for member_rows }</table>
            <div class="actions">
                if let Some(n) = add {
                    <button class="add-consumer" onclick={on_cmd.reform(move |_| Command::Start { node: n })}
                        title="Start a stopped consumer of this group: it joins and the group rebalances">{format!("Add consumer ({})", world.node_name(n))}</button>
                }
                if let Some(n) = remove {
                    <button class="remove-consumer" onclick={on_cmd.reform(move |_| Command::Leave { node: n })}
                        title="Close a consumer cleanly: it commits, sends LeaveGroup and stops; the group rebalances at once">{format!("Remove consumer ({})", world.node_name(n))}</button>
                }
                <button class="switch-protocol" onclick={on_switch.reform(move |_| index)}
                    title="Start the run again with the other rebalance protocol, to compare the gaps">
                    { if v.cooperative { "Rerun eager (range)" } else { "Rerun cooperative (cooperative-sticky)" } }
                </button>
                if let Some((b, node)) = coordinator {
                    <button class="stop-coordinator" onclick={on_cmd.reform(move |_| Command::Stop { node })}
                        title="Crash the group coordinator: the members find the new leader of the group's __consumer_offsets partition and rejoin">{format!("Stop coordinator b{b}")}</button>
                }
            </div>
            if v.rebalances.iter().any(Rebalance::costly) {
                <table class="kv rebalances"><tr><th>{"rebalance"}</th><th>{"protocol"}</th><th title={g::GAP}>{"gap"}</th><th>{"partitions"}</th><th title={g::PARTITION_SECONDS}>{"not consumed"}</th></tr>{ for rebalances }</table>
            }
            if !v.moves.is_empty() { <ul class="moves">{ for moves }</ul> }
        </div>
    }
}

/// "4.02 partition-s" (three decimals under one, where a quick eager rebalance lands); "…" until
/// the rebalance is over (paused partitions are still adding to it).
fn partition_seconds(r: &Rebalance) -> String {
    let s = r.partition_seconds();
    if !r.done {
        "…".to_string()
    } else if s < 1.0 {
        format!("{s:.3} partition-s")
    } else {
        format!("{s:.2} partition-s")
    }
}
