//! The consumer-group panel: per group its state machine (current state highlighted), generation,
//! coordinator, members and the partitions each owns, recent moves, and each rebalance's
//! stop-the-world gap. Everything comes from `view::groups` (folded events) and `view::kafka`.

use crate::engine::kafka::msg::parts_text;
use crate::engine::{Command, NodeId, World};
use crate::view::glossary as g;
use crate::view::groups::{bits, GroupView, Groups, Rebalance, STATES};
use crate::view::i18n::{t, tf};
use crate::view::kafka;
use yew::prelude::*;

/// `on_switch(group)`: rerun with the group's protocol switched (eager ↔ cooperative).
pub fn panel(world: &World, groups: &Groups, on_cmd: &Callback<Command>, on_switch: &Callback<u8>) -> Html {
    if groups.groups.is_empty() {
        return html! {};
    }
    html! {
        <div class="panel groups" id="groups">
            <h2 title={t(g::REBALANCE)}>{t("Consumer groups")}</h2>
            { for groups.groups.iter().map(|v| group(world, v, on_cmd, on_switch)) }
        </div>
    }
}

fn group(world: &World, v: &GroupView, on_cmd: &Callback<Command>, on_switch: &Callback<u8>) -> Html {
    let name = world.group_name(v.index).to_string();
    let protocol = if v.cooperative { ("cooperative", t(g::COOPERATIVE)) } else { ("eager", t(g::EAGER)) };
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
            html! { <span {class} title={tf("partition {0}", &[&p])}>{ if has { p.to_string() } else { "·".to_string() } }</span> }
        });
        html! {
            <tr data-member={world.node_name(n).to_string()}>
                <td>{world.node_name(n)}</td>
                <td class={classes!(if up { "up" } else { "down" })}>{ if up { t("running") } else { t("stopped") } }</td>
                <td class="chips" title={if orphan && owned != 0 { tf("still owns {0} until its session times out: nobody reads them", &[&parts_text(owned)]) } else { tf("owns {0}", &[&parts_text(owned)]) }}>{ for chips }</td>
            </tr>
        }
    });
    let moves = v.moves.iter().rev().take(6).map(|m| {
        html! { <li>{tf("p{0}: {1} → {2} (gen {3}, t={4})", &[&m.partition, &(m.from.map_or(t("new"), |f| world.node_name(f))), &world.node_name(m.to), &m.generation, &m.at])}</li> }
    });
    let rebalances = v.rebalances.iter().rev().filter(|r| r.costly()).take(4).map(|r| {
        let kept = bits(r.kept()).count();
        let stopped = bits(r.stopped).count();
        html! {
            <tr>
                <td>{tf("gen {0}", &[&r.generation])}</td>
                <td>{ if r.cooperative { "cooperative" } else { "eager" } }</td>
                <td class="gap" title={t(g::GAP)}>{ r.gap().map_or("…".to_string(), |t| t.to_string()) }</td>
                <td>{tf("{0} stopped, {1} kept consuming", &[&stopped, &kept])}</td>
                <td class="idle" title={t(g::PARTITION_SECONDS)}>{ partition_seconds(r) }</td>
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
                <span class="gen" title={t(g::GENERATION)}>{tf("generation {0}", &[&v.generation])}</span>
                <span class="coord" title={t(g::COORDINATOR)}>{ v.coordinator.map_or(t("no coordinator").to_string(), |b| tf("coordinator b{0}", &[&b])) }</span>
            </h3>
            <div class="state-machine" title={t(g::REBALANCE)} id={format!("group-state-{}", v.index)}>{ for states }</div>
            if let Some(r) = last {
                <p class="gap-line" title={t(g::GAP)}>
                    {t("last rebalance: ")}<b class="gap-value">{r.gap().map_or("…".to_string(), |t| t.to_string())}</b>
                    { if r.cooperative {
                        tf(" with {0} of {1} partitions paused; {2} kept being consumed", &[&bits(r.stopped).count(), &v.partitions, &bits(r.kept()).count()])
                    } else {
                        tf(" with all {0} partitions stopped (eager: everyone revokes first)", &[&bits(r.stopped).count()])
                    } }
                    {t("; cost: ")}<b class="idle-value" title={t(g::PARTITION_SECONDS)}>{ partition_seconds(r) }</b>{t(" not consumed")}
                </p>
            }
            <table class="kv members">{ for member_rows }</table>
            { super::ops::group_describe(world, v.index) }
            <div class="actions">
                if let Some(n) = add {
                    <button class="add-consumer" onclick={on_cmd.reform(move |_| Command::Start { node: n })}
                        title={t("Start a stopped consumer of this group: it joins and the group rebalances")}>{tf("Add consumer ({0})", &[&world.node_name(n)])}</button>
                }
                if let Some(n) = remove {
                    <button class="remove-consumer" onclick={on_cmd.reform(move |_| Command::Leave { node: n })}
                        title={t("Close a consumer cleanly: it commits, sends LeaveGroup and stops; the group rebalances at once")}>{tf("Remove consumer ({0})", &[&world.node_name(n)])}</button>
                }
                <button class="switch-protocol" onclick={on_switch.reform(move |_| index)}
                    title={t("Start the run again with the other rebalance protocol, to compare the gaps")}>
                    { if v.cooperative { t("Rerun eager (range)") } else { t("Rerun cooperative (cooperative-sticky)") } }
                </button>
                if let Some((b, node)) = coordinator {
                    <button class="stop-coordinator" onclick={on_cmd.reform(move |_| Command::Stop { node })}
                        title={t("Crash the group coordinator: the members find the new leader of the group's __consumer_offsets partition and rejoin")}>{tf("Stop coordinator b{0}", &[&b])}</button>
                }
            </div>
            if v.rebalances.iter().any(Rebalance::costly) {
                <table class="kv rebalances"><tr><th>{t("rebalance")}</th><th>{t("protocol")}</th><th title={t(g::GAP)}>{t("gap")}</th><th>{t("partitions")}</th><th title={t(g::PARTITION_SECONDS)}>{t("not consumed")}</th></tr>{ for rebalances }</table>
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
        tf("{0} partition-s", &[&format!("{s:.3}")])
    } else {
        tf("{0} partition-s", &[&format!("{s:.2}")])
    }
}
