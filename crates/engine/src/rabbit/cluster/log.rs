//! A cluster node's side of its quorum queues' Raft groups: what a member asks for carried out
//! (messages to the other nodes, election timers), committed commands applied (an Enqueue applied
//! by the serving leader's broker, then confirmed to the node it came through), a member that
//! becomes leader rebuilding the queue, one that stops leading closing its consumers' channels.

use super::*;
/// Enqueues not yet applied go (again) to the leader: a new one, or on Ra's tick.
pub(super) fn resend(node: &mut BrokerNode, ctx: &mut Ctx, gi: usize) {
    let c = cl(node);
    let g = &mut c.groups[gi];
    let (queue, me, epoch) = (g.queue, c.me as u8, c.epoch);
    match g.raft.leader {
        Some(l) if l == c.me => {
            for (token, msg) in g.unsent.clone() {
                g.raft.propose(Cmd::Enqueue { origin: me, epoch, token, msg });
            }
        }
        Some(l) => {
            for (token, msg) in g.unsent.clone() {
                send(ctx, c.nodes[l], ClusterMsg::Enqueue { queue, epoch, token, msg });
            }
        }
        None => {}
    }
}

/// An enqueue of this node's was applied: the publish it belongs to may be confirmed.
pub(super) fn applied(node: &mut BrokerNode, ctx: &mut Ctx, queue: u16, token: u64, ok: bool) {
    let c = node.cluster.as_mut().expect("a cluster node");
    if let Some(gi) = c.group(queue) {
        c.groups[gi].unsent.retain(|u| u.0 != token);
    }
    for p in &mut c.pending {
        if let Some(i) = p.tokens.iter().position(|t| *t == (queue, token)) {
            p.tokens.remove(i);
            p.ok &= ok;
        }
    }
    // Confirms go out in publish order per channel.
    let mut i = 0;
    while i < c.pending.len() {
        let p = &c.pending[i];
        if p.tokens.is_empty() && !c.pending[..i].iter().any(|q| q.client == p.client) {
            let p = c.pending.remove(i);
            ctx.send(p.client, RabbitMsg::Confirm { seq: p.seq, ack: p.ok });
            i = 0;
        } else {
            i += 1;
        }
    }
}

/// Carries out what group `gi`'s member asked for, applies what it committed, and follows its
/// changes of role and leader.
pub(super) fn pump(node: &mut BrokerNode, ctx: &mut Ctx, gi: usize) {
    loop {
        let c = node.cluster.as_mut().expect("a cluster node");
        let g = &mut c.groups[gi];
        let queue = g.queue;
        for (peer, msg) in std::mem::take(&mut g.raft.out) {
            send(ctx, c.nodes[peer], ClusterMsg::Raft { queue, msg });
        }
        if let Some((gen, length)) = g.raft.wants_timer.take() {
            let after = match length {
                TimerLength::Short => Time::ms(100) + Time::ms(ctx.rng.between(1, 500)),
                TimerLength::Long => Time::ms(1000) + Time::ms(ctx.rng.between(1, 1000)),
            };
            ctx.set_timer(after, RabbitTimer::Election { queue, gen });
        }
        let committed = g.raft.take_committed();
        let leading = g.raft.role == Role::Leader;
        for (_, entry) in committed {
            let Some(cmd) = entry.cmd else { continue };
            let c = node.cluster.as_mut().expect("a cluster node");
            let g = &mut c.groups[gi];
            let Cmd::Enqueue { origin, epoch, token, msg } = &cmd else {
                g.replica.apply(&cmd);
                continue;
            };
            let (origin, serving) = (*origin as usize, g.serving);
            let (replies, dup) = match g.replica.enqueue(origin as u8, *epoch, *token, msg) {
                Applied::Fresh(fresh) => (fresh, false),
                Applied::Duplicate => (vec![(*token, msg.clone())], true),
                Applied::Early => (Vec::new(), false),
            };
            if !leading {
                continue;
            }
            for (token, msg) in replies {
                // A duplicate's first application answered for the queue: it is only confirmed.
                let ok = if serving && !dup { node.core.apply_enqueue(queue, msg, ctx.now) } else { true };
                let c = node.cluster.as_mut().expect("a cluster node");
                if origin == c.me {
                    applied(node, ctx, queue, token, ok);
                } else {
                    send(ctx, c.nodes[origin], ClusterMsg::Applied { queue, token, ok });
                }
            }
        }
        let c = node.cluster.as_mut().expect("a cluster node");
        let g = &mut c.groups[gi];
        let ready = g.raft.role == Role::Leader && g.raft.term_started();
        if ready && !g.serving {
            g.serving = true;
            let items = g.replica.messages.clone();
            let term = g.raft.term;
            node.core.quorum_restore(queue, &items, ctx.now);
            let live = node.core.quorum_live(queue);
            let c = node.cluster.as_mut().expect("a cluster node");
            c.groups[gi].seen = live;
            ctx.emit(crate::rabbit::event::RabbitEvent::Quorum(QuorumEvent::Leader { queue, node: ctx.me, term }));
            unpark(node, ctx);
        } else if !ready && g.serving && g.raft.role != Role::Leader {
            g.serving = false;
            for client in node.core.quorum_step_down(queue, ctx.now) {
                detach(node, ctx, client, queue);
            }
        }
        let c = node.cluster.as_mut().expect("a cluster node");
        let leader = c.groups[gi].raft.leader;
        if leader != c.groups[gi].known_leader {
            c.groups[gi].known_leader = leader;
            if leader.is_some() {
                resend(node, ctx, gi);
                unpark(node, ctx);
            }
        }
        let c = node.cluster.as_mut().expect("a cluster node");
        let g = &c.groups[gi];
        if g.raft.out.is_empty() && g.raft.wants_timer.is_none() && g.raft.applied == g.raft.commit {
            return;
        }
    }
}

/// A consumer's channel was on a leader that is gone: its channel closes, and it reopens (RabbitMQ
/// re-attaches the consumer to the new leader without closing the channel; the messages it held
/// come back either way).
pub(super) fn detach(node: &mut BrokerNode, ctx: &mut Ctx, client: NodeId, queue: u16) {
    const LEADER_GONE: AmqpError =
        AmqpError { code: 320, text: "quorum queue leader gone: consumer reopens on the new one" };
    ctx.emit(crate::rabbit::event::RabbitEvent::Quorum(QuorumEvent::Detached { client, queue }));
    deliver(node, ctx, client, RabbitMsg::ChannelClose(LEADER_GONE));
    let c = node.cluster.as_mut().expect("a cluster node");
    c.remote.retain(|r| r.0 != client);
    c.proxied.retain(|p| p.0 != client);
}
