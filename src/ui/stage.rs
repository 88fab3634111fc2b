//! The stage: nodes and links as SVG (a few dozen elements, re-rendered by Yew), messages in flight
//! on a canvas on top (thousands of dots, redrawn every frame without touching the DOM).

use crate::engine::kernel::Process;
use crate::engine::rabbit::quorum::raft::Role;
use crate::engine::{NodeId, World};
use crate::view::flights::{Flights, LOSS_VISIBLE_MS};
use crate::view::i18n::{t, tf};
use crate::view::kafka::ZkPart;
use crate::view::kraft::QuorumPart;
use crate::view::layout::{Point, STAGE_H, STAGE_W};
use crate::view::plugin::links;
use web_sys::CanvasRenderingContext2d;
use yew::prelude::*;

/// Okabe–Ito: distinguishable with every common colour-vision deficiency.
pub const PALETTE: [&str; 7] = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"];
const LOSS_COLOUR: &str = "#D55E00";
/// Control-plane traffic (lanes ≥ 100: coordinator, controller) is drawn in greys so the data
/// (coloured by producer or partition) stands out.
pub fn lane_colour(lane: u32) -> &'static str {
    match lane {
        100 => "#8c99a6",
        101 => "#1b1f24",
        // KRaft: Raft between the controllers, and the brokers' metadata fetches and heartbeats.
        104 => "#5b6b7a",
        // A request or answer about several partitions (`MANY_PARTITIONS`): a follower's fetch
        // session, a producer's Produce, a consumer's Fetch.
        105 => "#7d93a8",
        l => PALETTE[l as usize % PALETTE.len()],
    }
}

/// Drawing more dots than this adds nothing a viewer can see; the rest are counted instead.
pub const MAX_DRAWN: usize = 4_000;

pub struct StageProps<'a> {
    pub world: &'a World,
    pub positions: &'a [Point],
    pub selected: Option<NodeId>,
    /// Nodes the walkthrough points at.
    pub highlight: &'a [NodeId],
    pub on_node: Callback<NodeId>,
    pub on_link: Callback<(NodeId, NodeId)>,
}

pub fn svg(p: StageProps) -> Html {
    let net = &p.world.network;
    // A mixed KRaft quorum: controller nodes sit above the brokers, so a combined broker's log
    // goes beside its box instead of above it, where the controllers' labels are.
    let mixed = crate::view::kraft::voters(p.world).iter().any(|v| !v.combined);
    let link_views = links(p.world).into_iter().map(|(a, b)| {
        let (pa, pb) = (p.positions[a.index()], p.positions[b.index()]);
        let cut = net.is_cut(a, b);
        let slow = net.extra_delay(a, b);
        let class = classes!("link", cut.then_some("cut"), (slow.0 > 0).then_some("slow"));
        let mut state = if cut { t("cut (a network partition)").to_string() } else if slow.0 > 0 { tf("slowed by +{0}", &[&slow]) } else { t("up").to_string() };
        if let Some(loss) = crate::view::glossary::lossy_link(net.link_config(a, b).loss_ppm).filter(|_| !cut) {
            state = format!("{state}; {loss}");
        }
        let title = tf("Link {0} ↔ {1}: {2}. Click to {3} it.", &[&p.world.node_name(a), &p.world.node_name(b), &state, &if cut { t("heal") } else { t("cut") }]);
        let onclick = p.on_link.reform(move |_: MouseEvent| (a, b));
        let mid = pa.lerp(pb, 0.5);
        html! {
            <g class={class} {onclick} data-link={format!("{}-{}", a.0, b.0)}>
                <title>{title}</title>
                <line class="hit" x1={pa.x.to_string()} y1={pa.y.to_string()} x2={pb.x.to_string()} y2={pb.y.to_string()} />
                <line class="wire" x1={pa.x.to_string()} y1={pa.y.to_string()} x2={pb.x.to_string()} y2={pb.y.to_string()} />
                if cut { <text class="link-mark" x={mid.x.to_string()} y={(mid.y - 6.0).to_string()}>{t("✂ cut")}</text> }
                if slow.0 > 0 && !cut { <text class="link-mark" x={mid.x.to_string()} y={(mid.y - 6.0).to_string()}>{format!("+{slow}")}</text> }
            </g>
        }
    });
    let node_views = p.world.nodes.iter().enumerate().map(|(i, slot)| {
        let id = NodeId(i as u32);
        let pos = p.positions[i];
        let up = net.is_up(id);
        let isolated = net.is_isolated(id);
        let role = slot.node.role();
        // A broker cut off from ZooKeeper may still think it is the controller: marked stale.
        let controller = crate::view::kafka::controller_claim(p.world, id);
        // An ensemble's servers say who leads, with how big its quorum is, and who is looking.
        let zk = crate::view::kafka::zk_part(p.world, id);
        // KRaft: a controller's part in the quorum and its metadata log; a broker's fencing.
        let quorum = crate::view::kraft::quorum_part(p.world, id);
        let fenced = role == "broker" && up && crate::view::kraft::broker_fenced(p.world, id);
        // With resources: a publisher the memory alarm blocked.
        let blocked = up && crate::view::resources::blocked(p.world, id);
        let meta_log = crate::view::kraft::controller(p.world, id).filter(|_| up).map(crate::view::kraft::log_label);
        // A RabbitMQ cluster node: its part in its (first) quorum queue's Raft group, and that log.
        let raft = crate::view::rabbit::cluster::stage_label(p.world, id);
        let meta_log = meta_log.or_else(|| crate::view::rabbit::cluster::log_label(p.world, id));
        let combined = meta_log.is_some() && role == "broker" && !mixed;
        let beside = meta_log.is_some() && role == "broker" && mixed;
        let class = classes!(
            "node",
            role,
            (!up).then_some("down"),
            isolated.then_some("isolated"),
            (controller == Some(true)).then_some("controller"),
            (controller == Some(false)).then_some("stale-controller"),
            matches!(zk, Some(ZkPart::Leader { .. })).then_some("zk-leader"),
            matches!(zk, Some(ZkPart::Looking | ZkPart::Establishing | ZkPart::Syncing { .. })).then_some("zk-not-serving"),
            matches!(quorum, Some(QuorumPart::Active { .. })).then_some("zk-leader"),
            matches!(quorum, Some(QuorumPart::Candidate { .. } | QuorumPart::Unattached { .. })).then_some("zk-not-serving"),
            matches!(raft, Some((_, Role::Leader))).then_some("zk-leader"),
            matches!(raft, Some((_, Role::PreVote | Role::Candidate))).then_some("zk-not-serving"),
            fenced.then_some("fenced"),
            blocked.then_some("blocked"),
            (p.selected == Some(id)).then_some("selected"),
            p.highlight.contains(&id).then_some("highlight")
        );
        // A group member shows the partitions it owns under its name.
        let owns = crate::view::kafka::consumer(p.world, id)
            .and_then(|c| c.member.as_ref())
            .filter(|_| up)
            .map(|m| tf("owns {0}", &[&crate::engine::kafka::msg::parts_text(m.owned)]));
        let state = if !up {
            t("stopped").to_string()
        } else if isolated {
            t("isolated").to_string()
        } else if controller == Some(true) {
            t("controller").to_string()
        } else if controller == Some(false) {
            t("stale controller").to_string()
        } else if let Some(z) = zk {
            z.short()
        } else if let Some(q) = quorum.filter(|_| role == "broker") {
            // Combined mode: one process, both roles.
            format!("{} · {}", if fenced { t("fenced") } else { t("broker") }, q.short())
        } else if let Some(q) = quorum {
            q.short().to_string()
        } else if fenced {
            t("fenced").to_string()
        } else if let Some((label, _)) = &raft {
            label.clone()
        } else if blocked {
            crate::view::resources::blocked_label().to_string()
        } else {
            role_name(role).to_string()
        };
        let onclick = p.on_node.reform(move |_: MouseEvent| id);
        let title = match zk.filter(|_| up) {
            Some(z) => tf("{0} (ZooKeeper server): {1}. Click to inspect and inject faults.", &[&slot.name, &z.label(p.world)]),
            None if quorum.is_some() => crate::view::kraft::controller_title(p.world, id, &slot.name),
            None => tf("{0} ({1}): {2}. Click to inspect and inject faults.", &[&slot.name, &role_name(role), &state]),
        };
        html! {
            <g class={class} transform={format!("translate({:.1},{:.1})", pos.x, pos.y)} {onclick} data-node={slot.name.clone()}>
                <title>{title}</title>
                if matches!(role, "relay" | "broker" | "zookeeper" | "kraft-controller") {
                    <rect x="-46" y="-30" width="92" height="60" rx="10" />
                } else if let Some(w) = client_width(&slot.name) {
                    // A client whose name does not fit a circle gets a pill as wide as its name.
                    <rect x={format!("{:.1}", -w / 2.0)} y="-28" width={format!("{w:.1}")} height="56" rx="28" />
                } else {
                    <circle r="28" />
                }
                <text class={classes!("name", (slot.name.len() > 6).then_some("long"))} y="6">{&slot.name}</text>
                <text class="role" y={if matches!(role, "relay" | "broker" | "zookeeper" | "kraft-controller") { "50" } else { "48" }}>{state}</text>
                if let Some(owns) = owns { <text class="owns" y="66">{owns}</text> }
                // (Above a combined node's box: its partitions' chips sit below it.)
                if let Some(log) = meta_log {
                    if beside {
                        <text class="owns beside" x="50" y="4">{log}</text>
                    } else {
                        <text class="owns" y={if role == "broker" { "-38" } else { "66" }}>{log}</text>
                    }
                }
                // A broker's rack above its name, higher still when a combined node's log is there.
                if let Some(rack) = crate::view::rack::stage_label(p.world, id) {
                    <text class="owns rack" y={match (role, combined) { ("broker", true) => "-52", ("broker", false) => "-36", _ => "-34" }}>{rack}</text>
                }
                if up { { gauges(p.world, id) } }
            </g>
        }
    });
    html! {
        <svg class="stage-svg" viewBox={format!("0 0 {STAGE_W} {STAGE_H}")} role="img" aria-label={t("Topology: nodes and links")}>
            { for link_views }
            { for node_views }
            { partition_chips(p.world, p.positions) }
        </svg>
    }
}

/// With resources: a broker's CPU, disk and memory as three small bars beside its box, each
/// filled to its share and red when full (a saturated CPU or disk, the memory alarm).
fn gauges(world: &World, id: NodeId) -> Html {
    let Some(gauges) = crate::view::resources::gauges(world, id, world.now) else { return html! {} };
    let bars = gauges.iter().enumerate().map(|(i, g)| {
        let x = 52.0 + i as f64 * 11.0;
        let h = 52.0 * g.fill.min(1000) as f64 / 1000.0;
        html! {
            <g class={classes!("gauge", g.alarm.then_some("full"))} data-gauge={g.label}>
                <title>{format!("{}: {}", t(g.label), g.title)}</title>
                <rect class="gauge-bg" x={format!("{x:.1}")} y="-30" width="8" height="52" rx="2" />
                <rect class="gauge-fill" x={format!("{x:.1}")} y={format!("{:.1}", 22.0 - h)} width="8" height={format!("{h:.1}")} rx="2" />
                <text class="gauge-label" x={format!("{:.1}", x + 4.0)} y="34">{t(g.label).chars().next().unwrap_or(' ').to_string()}</text>
            </g>
        }
    });
    html! { <g class="gauges">{ for bars }</g> }
}

/// The width of a client's pill when its name (drawn at 12 px, about 7 px a character) does not
/// fit the 56 px circle; `None` when it does.
fn client_width(name: &str) -> Option<f64> {
    let n = name.chars().count();
    (n > 7).then(|| (n as f64 * 7.2 + 18.0).min(180.0))
}

/// Chip size and pitch, and how far below a broker's centre its row sits.
const CHIP: (f64, f64, f64, f64) = (18.0, 14.0, 21.0, 58.0);

/// Under each live Kafka broker, its replicas of the user topics (`view::kafka::partition_chips`):
/// filled in the partition's colour where it leads, outlined where it follows in sync, dashed
/// where it fell out of the ISR. A ring marks each partition's leader; it is keyed by partition
/// and positioned with a CSS transform, so when leadership moves the ring slides to the new
/// leader's chip.
fn partition_chips(world: &World, positions: &[Point]) -> Html {
    let (chips, more) = crate::view::kafka::partition_chips(world);
    if chips.is_empty() {
        return html! {};
    }
    let (w, h, pitch, below) = CHIP;
    // Chips per broker, counted once (chips come broker by broker).
    let mut rows: Vec<(NodeId, usize)> = Vec::new();
    for c in &chips {
        match rows.last_mut() {
            Some((b, n)) if *b == c.broker => *n += 1,
            _ => rows.push((c.broker, 1)),
        }
    }
    let at = |c: &crate::view::kafka::Chip| {
        let row = rows.iter().find(|r| r.0 == c.broker).map_or(1, |r| r.1) as f64;
        let pos = positions[c.broker.index()];
        (pos.x - (row * pitch - (pitch - w)) / 2.0 + c.slot as f64 * pitch, pos.y + below)
    };
    let replicas = chips.iter().map(|c| {
        let (x, y) = at(c);
        let colour = lane_colour(c.partition as u32);
        let state = if c.leader {
            t("leader")
        } else if c.in_sync {
            t("follower, in sync")
        } else {
            t("follower, out of the ISR")
        };
        // Dark figures on the light colours of the palette, white on the dark ones.
        let ink = if matches!(colour, "#E69F00" | "#56B4E9" | "#F0E442") { "#1b1f24" } else { "#ffffff" };
        let style = if c.leader { format!("fill:{colour};stroke:{colour}") } else { format!("stroke:{colour}") };
        let text_style = if c.leader { format!("fill:{ink}") } else { String::new() };
        html! {
            <g key={format!("{}@{}", c.name, c.broker.0)} class={classes!("chip-r", c.leader.then_some("leader"), (!c.in_sync).then_some("out"))}
                transform={format!("translate({x:.1},{y:.1})")} data-partition={c.name.clone()}>
                <title>{tf("{0}: {1} (epoch {2})", &[&c.name, &state, &c.epoch])}</title>
                <rect width={w.to_string()} height={h.to_string()} rx="3" {style} />
                <text x={(w / 2.0).to_string()} y="11" style={text_style}>{c.partition}</text>
            </g>
        }
    });
    let rings = chips.iter().filter(|c| c.leader).map(|c| {
        let (x, y) = at(c);
        html! { <rect key={c.name.clone()} class="lead-ring" data-leads={c.name.clone()} x="-3" y="-3" width={(w + 6.0).to_string()} height={(h + 6.0).to_string()} rx="5"
            style={format!("transform: translate({x:.1}px, {y:.1}px)")} /> }
    });
    let more = more.iter().map(|&(node, n)| {
        let pos = positions[node.index()];
        html! { <text class="chip-more" x={format!("{:.1}", pos.x)} y={format!("{:.1}", pos.y + below + h + 12.0)}>{format!("+{n} more")}</text> }
    });
    html! {
        <g class="chips">
            <g class="replicas">{ for replicas }</g>
            <g class="rings">{ for rings }</g>
            { for more }
        </g>
    }
}

/// Redraws every message in flight and every recent loss. Called once per animation frame.
pub fn draw(
    ctx: &CanvasRenderingContext2d,
    scale: f64,
    world: &World,
    positions: &[Point],
    flights: &Flights,
    page_ms: f64,
) {
    ctx.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0).ok();
    ctx.clear_rect(0.0, 0.0, STAGE_W, STAGE_H);
    let now = world.now;
    let stride = flights.len().div_ceil(MAX_DRAWN).max(1);
    // One path per (shape, colour): a few dozen canvas calls per bucket instead of six per dot,
    // which is what keeps 2 000 dots inside a frame.
    let mut buckets: Vec<(u8, &'static str, Vec<Point>)> = Vec::new();
    for f in flights.in_air().step_by(stride) {
        let (Some(&a), Some(&b)) = (positions.get(f.from.index()), positions.get(f.to.index())) else { continue };
        let kind = f.info.kind;
        // Acknowledgements travel back as small rings; records as squares; requests as dots.
        let shape = if kind == "ack" || kind.ends_with("-ack") {
            0
        } else if kind == "deliver" || kind.ends_with("records") {
            1
        } else {
            2
        };
        let colour = lane_colour(f.info.lane);
        let at = a.lerp(b, f.progress(now));
        match buckets.iter_mut().find(|(s, c, _)| *s == shape && *c == colour) {
            Some((_, _, points)) => points.push(at),
            None => buckets.push((shape, colour, vec![at])),
        }
    }
    for (shape, colour, points) in &buckets {
        ctx.begin_path();
        for at in points {
            match shape {
                0 => {
                    ctx.move_to(at.x + 6.0, at.y);
                    ctx.arc(at.x, at.y, 6.0, 0.0, std::f64::consts::TAU).ok();
                }
                1 => ctx.rect(at.x - 7.0, at.y - 7.0, 14.0, 14.0),
                _ => {
                    ctx.move_to(at.x + 8.0, at.y);
                    ctx.arc(at.x, at.y, 8.0, 0.0, std::f64::consts::TAU).ok();
                }
            }
        }
        if *shape == 0 {
            ctx.set_stroke_style_str(colour);
            ctx.set_line_width(3.0);
        } else {
            ctx.set_fill_style_str(colour);
            ctx.fill();
            ctx.set_stroke_style_str("#1b1f24");
            ctx.set_line_width(1.0);
        }
        ctx.stroke();
    }
    for loss in flights.losses() {
        let (Some(&a), Some(&b)) = (positions.get(loss.from.index()), positions.get(loss.to.index())) else { continue };
        let at = a.lerp(b, loss.progress);
        let fade = 1.0 - ((page_ms - loss.shown_at_ms) / LOSS_VISIBLE_MS).clamp(0.0, 1.0);
        ctx.set_global_alpha(fade);
        ctx.set_stroke_style_str(LOSS_COLOUR);
        ctx.set_line_width(4.0);
        ctx.begin_path();
        ctx.move_to(at.x - 9.0, at.y - 9.0);
        ctx.line_to(at.x + 9.0, at.y + 9.0);
        ctx.move_to(at.x + 9.0, at.y - 9.0);
        ctx.line_to(at.x - 9.0, at.y + 9.0);
        ctx.stroke();
        ctx.set_global_alpha(1.0);
    }
}

/// A node's role in the page's language (the role itself stays the CSS class).
pub(super) fn role_name(role: &str) -> &str {
    match role {
        "broker" => t("broker"),
        "producer" => t("producer"),
        "consumer" => t("consumer"),
        "zookeeper" => "ZooKeeper",
        "relay" => t("relay"),
        "kraft-controller" => t("KRaft controller"),
        "publisher" => t("publisher"),
        other => other,
    }
}
