//! The stage of a large Kafka cluster (`view::kafka_lod`): the brokers as a grid of tiles with
//! their counts and heat strip, traffic as rates between the clients and the grid, every partition
//! in one strip by state. Clicking a tile selects the broker (the inspector lists its partitions
//! with LEO and HW) and zooms the grid to its replicas; "all brokers" goes back. Clicking the strip
//! picks a partition: its leader, ISR and replicas here, its log in the partition-log panel.

use crate::engine::kafka::msg::Tp;
use crate::engine::kernel::Process;
use crate::engine::{NodeId, World};
use crate::view::i18n::{t, tf};
use crate::view::kafka_lod::rates::{Class, HEAT_LEVELS};
use crate::view::kafka_lod::strip::{self, LABEL_H};
use crate::view::kafka_lod::{self as lod, ChipRole, PartState, Picture, Rates, Tile};
use crate::view::kraft::{QuorumPart, Voter};
use wasm_bindgen::JsCast;
use yew::prelude::*;

pub struct Props<'a> {
    pub world: &'a World,
    pub rates: Option<&'a Rates>,
    pub selected: Option<NodeId>,
    pub highlight: &'a [NodeId],
    /// The partition the page has picked (the partition-log panel's).
    pub picked: Option<Tp>,
    pub on_node: Callback<NodeId>,
    pub on_back: Callback<()>,
    /// Picks entry N of `view::partition_log::partitions`.
    pub on_partition: Callback<usize>,
}

/// The heat strip's colours, level 0 (nothing appended) to `HEAT_LEVELS`.
const HEAT: [&str; HEAT_LEVELS as usize + 1] = ["#e3e7eb", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];

fn rate(r: Option<u64>) -> String {
    r.map_or("–".to_string(), |v| v.to_string())
}

pub fn stage(p: Props) -> Html {
    let world = p.world;
    let now = world.now;
    let picture = lod::picture(world, p.rates);
    let zoomed = p.selected.filter(|n| picture.tiles.iter().any(|t| t.node == *n));
    // KRaft: every voter, a controller node or a broker running one; ZooKeeper: its servers.
    let voters = crate::view::kraft::voters(world);
    let metadata =
        if crate::view::kraft::is_kraft(world) { quorum(&p, &voters) } else { nodes(&p, |role| role == "zookeeper") };
    let producers = nodes(&p, |role| role == "producer");
    let consumers = nodes(&p, |role| role == "consumer");
    let msgs = |c: Class| rate(p.rates.and_then(|r| r.messages(c, now)));
    let produced = rate(p.rates.and_then(|r| r.produced(now)));
    let read = rate(p.rates.and_then(|r| r.read(now)));
    let centre = match zoomed {
        Some(node) => zoom(&p, &picture, node),
        None => grid(&p, &picture, &voters),
    };
    let meta_with = if crate::view::kraft::is_kraft(world) { t("with the controllers") } else { t("with ZooKeeper") };
    html! {
        <div class="lod" id="lod-stage" data-brokers={picture.tiles.len().to_string()} data-partitions={picture.strip.len().to_string()}>
            <p class="lod-why">{tf("{0} brokers and {1} partitions: too many to draw one by one (more than 9 brokers or 64 partitions). Each broker is a tile, each partition a cell of the strip below, and traffic is counted per simulated second instead of drawn message by message. Click a broker to zoom in.", &[&picture.tiles.len(), &picture.strip.len()])}</p>
            <div class="lod-meta">
                { metadata }
                <span class="lod-rate" id="rate-metadata" title={t("Messages per simulated second between the brokers and the metadata nodes (sessions, heartbeats, watches, metadata fetches), over the last second")}>
                    {"⇅ "}<b>{msgs(Class::Metadata)}</b>{" "}{tf("messages/s {0}", &[&meta_with])}
                </span>
            </div>
            <div class="lod-row">
                <div class="lod-side">{ producers }</div>
                <div class="lod-arrow" id="rate-produce" title={t("Records the producers sent per simulated second (retries included), and the messages between producers and brokers, over the last second")}>
                    <b>{produced}</b><span>{t("records/s")}</span><i class="flow"></i><small>{tf("{0} messages/s", &[&msgs(Class::Produce)])}</small>
                </div>
                <div class="lod-centre">{ centre }</div>
                <div class="lod-arrow" id="rate-consume" title={t("Records the consumers read per simulated second, and the messages between consumers and brokers (fetches, the group protocol, commits), over the last second")}>
                    <b>{read}</b><span>{t("records/s read")}</span><i class="flow"></i><small>{tf("{0} messages/s", &[&msgs(Class::Consume)])}</small>
                </div>
                <div class="lod-side">{ consumers }</div>
            </div>
            <p class="lod-rate lod-between" id="rate-brokers" title={t("Messages per simulated second from broker to broker over the last second: followers' replica fetches and the leaders' answers, and the controller's requests")}>
                {"⇄ "}<b>{msgs(Class::Brokers)}</b>{" "}{t("messages/s between brokers (replication, the controller's requests)")}
            </p>
            { strip_view(&p, &picture) }
        </div>
    }
}

/// The clients or metadata nodes whose role passes `keep`, as pills that select them.
fn nodes(p: &Props, keep: impl Fn(&str) -> bool) -> Html {
    let world = p.world;
    let pills = world.nodes.iter().enumerate().filter(|(_, s)| keep(s.node.role())).map(|(i, slot)| {
        let id = NodeId(i as u32);
        let up = world.network.is_up(id);
        let state = if !up {
            t("stopped").to_string()
        } else if let Some(z) = crate::view::kafka::zk_part(world, id) {
            z.short()
        } else if let Some(m) = crate::view::kafka::consumer(world, id).and_then(|c| c.member.as_ref()) {
            tf("owns {0}", &[&crate::engine::kafka::msg::parts_text(m.owned)])
        } else {
            super::stage::role_name(slot.node.role()).to_string()
        };
        let class = classes!(
            "pill",
            slot.node.role(),
            (!up).then_some("down"),
            (p.selected == Some(id)).then_some("selected"),
            p.highlight.contains(&id).then_some("highlight")
        );
        let onclick = p.on_node.reform(move |_: MouseEvent| id);
        let title = tf("{0} ({1}): {2}. Click to inspect and inject faults.", &[&slot.name, &super::stage::role_name(slot.node.role()), &state]);
        html! { <button {class} {onclick} {title} data-node={slot.name.clone()}><b>{&slot.name}</b><small>{state}</small></button> }
    });
    html! { <>{ for pills }</> }
}

/// KRaft: the quorum's voters as pills, controller nodes and combined brokers (◆) alike, each
/// with its part (the active controller ringed green) and its metadata log's end and HW.
fn quorum(p: &Props, voters: &[Voter]) -> Html {
    let pills = voters.iter().map(|v| {
        let id = v.node;
        let part = v.part.map_or(t("stopped"), |q| q.short());
        let class = classes!(
            "pill",
            "kraft-controller",
            v.part.map_or("down", |q| q.class()),
            v.combined.then_some("combined"),
            (p.selected == Some(id)).then_some("selected"),
            p.highlight.contains(&id).then_some("highlight")
        );
        let role = if v.combined {
            t("a broker that is also a KRaft controller, combined mode")
        } else {
            t("KRaft controller")
        };
        let title = tf(
            "{0} ({1}): {2}; __cluster_metadata {3}. Click to inspect and inject faults.",
            &[&v.name, &role, &part, &v.log_label()],
        );
        let onclick = p.on_node.reform(move |_: MouseEvent| id);
        html! {
            <button {class} {onclick} {title} data-node={v.name.clone()} data-part={v.part.map_or("down", |q| q.class())}>
                <b>if v.combined { <span class="voter-mark">{"◆"}</span> }{&v.name}</b><small>{part}</small><small class="qlog">{v.log_label()}</small>
            </button>
        }
    });
    html! { <>{ for pills }</> }
}

/// What a tile's title says of the controller a combined broker runs.
fn voter_title(v: &Voter) -> String {
    match v.part {
        None => t("Its KRaft controller (combined mode) is down with it.").to_string(),
        Some(QuorumPart::Active { .. }) => tf(
            "Also a KRaft controller (combined mode): the active controller; __cluster_metadata {0}.",
            &[&v.log_label()],
        ),
        Some(q) => {
            tf("Also a KRaft controller (combined mode): {0}; __cluster_metadata {1}.", &[&q.short(), &v.log_label()])
        }
    }
}

fn tile_title(tile: &Tile, world: &World) -> String {
    let mut s = tf(
        "{0}: leads {1} partitions ({2} of them under-replicated), follows {3} in sync and {4} out of the ISR; {5} replicas offline.",
        &[&tile.name, &tile.leaders, &tile.under_replicated, &tile.followers, &tile.lagging, &tile.offline],
    );
    if !tile.up {
        s.push(' ');
        s.push_str(t("Stopped."));
    } else if crate::view::kafka::controller_claim(world, tile.node) == Some(true) {
        s.push(' ');
        s.push_str(t("The controller."));
    }
    s.push(' ');
    s.push_str(t("Click to zoom in to its replicas."));
    s
}

/// The brokers as tiles: name, records appended as leader per second, the four counts, the heat;
/// a broker that runs a KRaft voter (combined mode) marked ◆, green while it is the active one.
fn grid(p: &Props, picture: &Picture, voters: &[Voter]) -> Html {
    let world = p.world;
    let heat = p.rates.map(|r| r.heat(world.now));
    let tiles = picture.tiles.iter().enumerate().map(|(slot, tile)| {
        let node = tile.node;
        let controller = tile.up && crate::view::kafka::controller_claim(world, node) == Some(true);
        let fenced = tile.up && crate::view::kraft::broker_fenced(world, node);
        let voter = voters.iter().find(|v| v.node == node && v.combined);
        let part = voter.map(|v| v.part.map_or("down", |q| q.class()));
        let class = classes!(
            "tile",
            (!tile.up).then_some("down"),
            controller.then_some("controller"),
            voter.is_some().then_some("voter"),
            (part == Some("active")).then_some("voter-active"),
            fenced.then_some("fenced"),
            (tile.under_replicated > 0).then_some("hurt"),
            p.highlight.contains(&node).then_some("highlight")
        );
        let written = rate(p.rates.and_then(|r| r.written(slot, world.now)));
        // The rate, unless the broker is stopped or fenced (said instead).
        let status = if !tile.up {
            t("stopped").to_string()
        } else if fenced {
            t("fenced").to_string()
        } else {
            tf("{0}/s", &[&written])
        };
        let gradient = heat.as_ref().and_then(|h| h.get(slot)).map(|levels| {
            let n = levels.len() as f64;
            let stops: Vec<String> = levels
                .iter()
                .enumerate()
                .map(|(i, &l)| format!("{} {:.1}% {:.1}%", HEAT[l as usize], i as f64 * 100.0 / n, (i + 1) as f64 * 100.0 / n))
                .collect();
            format!("background: linear-gradient(to right, {})", stops.join(", "))
        });
        let onclick = p.on_node.reform(move |_: MouseEvent| node);
        let mut title = tile_title(tile, world);
        if let Some(v) = voter {
            title.push(' ');
            title.push_str(&voter_title(v));
        }
        html! {
            <button {class} {onclick} {title} data-broker={tile.name.clone()} data-voter={part}
                data-leaders={tile.leaders.to_string()} data-under={tile.under_replicated.to_string()} data-offline={tile.offline.to_string()}>
                <b class="tile-name">{&tile.name}if controller { <span class="star">{" ★"}</span> }if let Some(part) = part { <span class={classes!("voter-mark", part)}>{" ◆"}</span> }</b>
                <span class="tile-counts">
                    <i class="c-l">{"L"}{tile.leaders}</i><i class="c-f">{"F"}{tile.followers}</i>
                    <i class={classes!("c-u", (tile.under_replicated > 0).then_some("on"))}>{"U"}{tile.under_replicated}</i>
                    <i class={classes!("c-o", (tile.offline > 0).then_some("on"))}>{"O"}{tile.offline}</i>
                </span>
                <span class="tile-rate"><small>{status}</small><span class="tile-heat" style={gradient}></span></span>
            </button>
        }
    });
    html! {
        <>
            <div class="lod-grid" id="lod-grid">{ for tiles }</div>
            <p class="lod-key">
                if crate::view::kraft::is_kraft(world) {
                    {t("L leads · F follows in sync · U under-replicated partitions it leads · O offline replicas · strip: records it appended as leader, last 4 s (darker: more)")}
                    if voters.iter().any(|v| v.combined) { {" · "}<span class="voter-mark">{"◆"}</span>{" "}{t("also a KRaft controller (combined mode), green and ringed while it is the active controller")} }
                } else {
                    {t("★ the controller · L leads · F follows in sync · U under-replicated partitions it leads · O offline replicas · strip: records it appended as leader, last 4 s (darker: more)")}
                }
            </p>
        </>
    }
}

/// One broker's replicas as chips, topic by topic: filled where it leads, outlined where it
/// follows in sync, dashed out of the ISR, grey offline; bordered in the partition's state colour.
fn zoom(p: &Props, picture: &Picture, node: NodeId) -> Html {
    let world = p.world;
    let Some(tile) = picture.tiles.iter().find(|t| t.node == node) else { return html! {} };
    let chips = lod::zoom(world, node, &picture.strip);
    let topics = picture.strip.topics.iter().map(|topic| {
        let of: Vec<_> = chips.iter().filter(|c| (topic.first..topic.first + topic.partitions).contains(&c.index)).collect();
        if of.is_empty() {
            return html! {};
        }
        let chip_views = of.iter().map(|c| {
            let role = match c.role {
                ChipRole::Leader => "r-leader",
                ChipRole::InSync => "r-in-sync",
                ChipRole::Lagging => "r-lagging",
                ChipRole::Offline => "r-offline",
            };
            let role_text = match c.role {
                ChipRole::Leader => t("leader"),
                ChipRole::InSync => t("follower, in sync"),
                ChipRole::Lagging => t("follower, out of the ISR"),
                ChipRole::Offline => t("offline"),
            };
            let name = format!("{}-{}", topic.name, c.partition);
            let pick = picture.strip.tp(c.index).and_then(|tp| lod::log_index(world, tp));
            let onclick = emit_some(&p.on_partition, move |_| pick);
            html! {
                <button class={classes!("zchip", role, format!("s-{}", c.state.class()))} {onclick} data-partition={name.clone()}
                    title={tf("{0}: {1} (epoch {2}); the partition is {3}", &[&name, &role_text, &c.epoch, &c.state.label()])}>{c.partition}</button>
            }
        });
        html! { <div class="zoom-topic"><span class="zt-name">{&topic.name}</span>{ for chip_views }</div> }
    });
    let written = rate(p.rates.and_then(|r| {
        let slot = picture.tiles.iter().position(|t| t.node == node)?;
        r.written(slot, world.now)
    }));
    let on_back = p.on_back.reform(|_: MouseEvent| ());
    html! {
        <div class="lod-zoom" id="lod-zoom" data-zoom={tile.name.clone()}>
            <div class="zoom-head">
                <button id="lod-back" onclick={on_back}>{t("← all brokers")}</button>
                <b>{&tile.name}</b>
                <span>{tf("{0} replicas: leads {1}, follows {2} in sync, {3} out of the ISR, {4} offline; appends {5} records/s as leader", &[&tile.replicas(), &tile.leaders, &tile.followers, &tile.lagging, &tile.offline, &written])}</span>
            </div>
            { for topics }
            <p class="hint">{t("Filled: it leads · outlined: follows in sync · dashed: out of the ISR · grey: offline; the border is the partition's state. Each replica's LEO, HW and ISR are in the inspector; click a replica for its partition.")}</p>
        </div>
    }
}

/// The strip: each topic's partitions in rows, coloured by state, the partitions re-elected in the
/// last seconds dotted, the picked one outlined; under it, the picked partition's detail.
fn strip_view(p: &Props, picture: &Picture) -> Html {
    let world = p.world;
    let s = &picture.strip;
    let runs = s.runs().into_iter().map(|r| {
        html! { <rect class={classes!("run", r.state.class())} x={format!("{:.1}", r.x)} y={format!("{:.1}", r.y)} width={format!("{:.1}", r.w)} height={format!("{:.1}", r.h)} /> }
    });
    let labels = s.topics.iter().enumerate().map(|(i, topic)| {
        let y = s.topic_y(i);
        let rows = topic.partitions.div_ceil(s.cols) as f64;
        html! {
            <>
                <text class="st-name" x="0" y={format!("{:.1}", y + LABEL_H - 5.0)}>{tf("{0} · {1} partitions · min.insync.replicas {2}", &[&topic.name, &topic.partitions, &topic.min_isr])}</text>
                <rect class="st-cells" x="0" y={format!("{:.1}", y + LABEL_H)} width={format!("{:.1}", strip::WIDTH)} height={format!("{:.1}", rows * s.cell_h)} />
            </>
        }
    });
    let moved = s.moved.iter().filter_map(|&k| s.cell(k)).map(|(x, y)| {
        html! { <circle class="moved" cx={format!("{:.1}", x + s.cell_w / 2.0)} cy={format!("{:.1}", y + s.cell_h / 2.0)} r={format!("{:.1}", s.cell_h.min(s.cell_w) / 4.0)} /> }
    });
    let picked_k = p.picked.and_then(|tp| s.index(tp));
    let picked = picked_k.and_then(|k| s.cell(k)).map(|(x, y)| {
        html! { <rect class="picked" x={format!("{:.1}", x - 1.0)} y={format!("{:.1}", y - 1.0)} width={format!("{:.1}", s.cell_w + 2.0)} height={format!("{:.1}", s.cell_h + 2.0)} /> }
    });
    // A click lands on the cell under it: the drawing's coordinates from the element's box.
    let hit = {
        let strip = s.clone();
        let height = s.height();
        let index: Vec<Option<usize>> =
            (0..s.len()).map(|k| s.tp(k).and_then(|tp| lod::log_index(world, tp))).collect();
        emit_some(&p.on_partition, move |e| {
            // Yew delegates events: the strip is the target's enclosing SVG, not the current target.
            let el = e.target()?.dyn_into::<web_sys::Element>().ok()?.closest("svg.lod-strip").ok()??;
            let b = el.get_bounding_client_rect();
            let x = (e.client_x() as f64 - b.left()) * strip::WIDTH / b.width().max(1.0);
            let y = (e.client_y() as f64 - b.top()) * height / b.height().max(1.0);
            index[strip.hit(x, y)?]
        })
    };
    let cw = s.cell_w;
    let ch = s.cell_h;
    let legend = PartState::ALL.iter().map(|&st| {
        html! { <span class="lod-legend-item" data-state={st.class()}><i class={classes!("sw", st.class())}></i>{st.label()}{": "}<b id={format!("count-{}", st.class())}>{s.counts[st as usize]}</b></span> }
    });
    html! {
        <div class="lod-strip-box">
            <div class="lod-legend">
                { for legend }
                <span class="lod-legend-item"><i class="sw moved-sw"></i>{tf("leader elected in the last {0}", &[&strip::MOVED_FOR])}</span>
            </div>
            <div class="lod-strip-scroll">
            <svg class="lod-strip" id="lod-strip" viewBox={format!("0 0 {} {:.1}", strip::WIDTH, s.height())} onclick={hit}
                role="img" aria-label={t("Every partition, coloured by its state; click one for its leader, ISR and replicas")}>
                <defs>
                    <pattern id="lod-cell" width={format!("{cw:.2}")} height={format!("{ch:.2}")} patternUnits="userSpaceOnUse">
                        <path d={format!("M {cw:.2} 0 V {ch:.2} M 0 {ch:.2} H {cw:.2}")} />
                    </pattern>
                </defs>
                { for runs }
                { for labels }
                { for moved }
                { for picked }
            </svg>
            </div>
            { detail(world, p.picked) }
        </div>
    }
}

/// A click handler that sends what `f` finds, if anything.
fn emit_some(to: &Callback<usize>, f: impl Fn(MouseEvent) -> Option<usize> + 'static) -> Callback<MouseEvent> {
    let to = to.clone();
    Callback::from(move |e| {
        if let Some(i) = f(e) {
            to.emit(i)
        }
    })
}

/// The picked partition's leader, ISR and replicas.
fn detail(world: &World, picked: Option<Tp>) -> Html {
    let Some(d) = picked.and_then(|tp| lod::detail(world, tp)) else {
        return html! { <p class="lod-detail hint" id="lod-part">{t("Click a partition in the strip for its leader, ISR and replicas.")}</p> };
    };
    let list = |v: &[u32]| v.iter().map(|b| format!("b{b}")).collect::<Vec<_>>().join(", ");
    let leader = match (d.leader, d.epoch) {
        (Some(l), Some(e)) => tf("leader b{0} (epoch {1})", &[&l, &e]),
        _ => t("no leader").to_string(),
    };
    html! {
        <p class={classes!("lod-detail", d.state.class())} id="lod-part" data-state={d.state.class()}>
            <b>{&d.name}</b>{": "}{leader}{" · "}{tf("ISR [{0}]", &[&list(&d.isr)])}{" · "}{tf("replicas [{0}]", &[&list(&d.replicas)])}
            {" · "}{d.state.label()}{" · "}{tf("min.insync.replicas {0}", &[&d.min_isr])}
        </p>
    }
}
