//! The RabbitMQ walkthrough's script: which event is which step of a message's journey, what
//! to say about it, and what its kill variant does.

use super::*;
use crate::i18n::{t, tf};
use brokerlab_engine::kafka::partition::Acks;
use brokerlab_engine::models::Node;
use brokerlab_engine::rabbit::event::RabbitEvent;
use brokerlab_engine::rabbit::exchange::Hop;
use brokerlab_engine::rabbit::msg::Dest;
use brokerlab_engine::rabbit::node::RabbitNode;
use brokerlab_engine::{Command, NodeId, World};
use brokerlab_engine::{Event, EventKind, ModelEvents};

/// A RabbitMQ client node's publisher or consumer, for the narration.
fn rabbit_publisher(world: &World, node: NodeId) -> Option<&brokerlab_engine::rabbit::clients::Publisher> {
    match &world.nodes.get(node.index())?.node {
        Node::Rabbit(RabbitNode::Publisher(p)) => Some(p),
        _ => None,
    }
}

fn rabbit_consumer(world: &World, node: NodeId) -> Option<&brokerlab_engine::rabbit::clients::Consumer> {
    match &world.nodes.get(node.index())?.node {
        Node::Rabbit(RabbitNode::Consumer(c)) => Some(c),
        _ => None,
    }
}

/// The running consumers of `queue` (with manual acks first), other than `except`.
fn queue_consumers(world: &World, queue: u16, except: Option<NodeId>) -> Vec<NodeId> {
    let mut found: Vec<(bool, NodeId)> = (0..world.nodes.len() as u32)
        .map(NodeId)
        .filter(|&n| Some(n) != except && world.network.is_up(n))
        .filter_map(|n| rabbit_consumer(world, n).filter(|c| c.queue == queue).map(|c| (c.auto_ack, n)))
        .collect();
    brokerlab_engine::sort::sort_by_key(&mut found, |f| f.0);
    found.into_iter().map(|f| f.1).collect()
}

impl Walk {
    /// Moving past a RabbitMQ step. The kill variant crashes the consumer after the delivery, and
    /// restarts it after the requeue if no other consumer of the queue runs. The events that came
    /// while the user read are looked at: the next step may be among them (the page runs the
    /// engine in chunks, so they can be many).
    pub(super) fn pace_rabbit(&self) -> Pace {
        match self.expecting() {
            Some(Kind::Ready) => Pace::Skip,
            // Waiting for the next publish, or for the broker to notice the dead connection.
            Some(Kind::Published) => Pace::Fast,
            _ => Pace::Slow,
        }
    }

    pub(super) fn advance_rabbit(&mut self, world: &World) -> Option<Command> {
        let mut command = None;
        if !self.waiting() {
            let (queue, consumer) = self.message.as_ref().map_or((None, None), |m| (m.queue, m.consumer));
            match (self.expecting(), queue, consumer) {
                (Some(Kind::ConsumerKilled), _, Some(node)) => command = Some(Command::Stop { node }),
                (Some(Kind::Redelivered), Some(q), Some(node)) if queue_consumers(world, q, Some(node)).is_empty() => {
                    command = Some(Command::Start { node })
                }
                _ => {}
            }
        }
        // (They happened before the command takes effect, so they come first.)
        for e in std::mem::take(&mut self.held) {
            if self.waiting() {
                self.held.push(e);
            } else {
                self.recognise_rabbit(&e, world);
            }
        }
        command
    }

    /// While a step waits for the user, events of the same instant are held for later (the broker
    /// routes, enqueues and delivers in one step), and so is the publisher's confirm of the
    /// message; later ones are let go, as the Kafka walkthrough does: the page pauses on a step,
    /// so they only come when the engine ran ahead in a chunk, and then the message to follow is a
    /// later one (a consumer can only be killed "before it acks" at the instant it got the message).
    pub(super) fn observe_rabbit(&mut self, e: &Event, world: &World) {
        if self.waiting() {
            let same_instant = self.steps.last().is_some_and(|s| s.at == e.at);
            let confirm = matches!(e.kind, EventKind::Model(ModelEvents::Rabbit(RabbitEvent::Confirmed { publisher, seq, .. })) if self.ours(publisher, seq));
            if (same_instant || confirm) && self.held.len() < 10_000 {
                self.held.push(*e);
            }
            return;
        }
        self.recognise_rabbit(e, world);
    }

    fn ours(&self, publisher: NodeId, seq: u64) -> bool {
        self.message.as_ref().is_some_and(|m| m.publisher == Some(publisher) && m.seq == seq)
    }

    fn ours_m(&self, m: u64) -> bool {
        self.message.as_ref().is_some_and(|x| x.m == Some(m))
    }

    /// Our message, in the queue followed (each queue it was routed to holds its own copy).
    fn ours_in(&self, m: u64, queue: u16) -> bool {
        self.message.as_ref().is_some_and(|x| x.m == Some(m) && x.queue == Some(queue))
    }

    /// Ends the walkthrough after the step just recognised (the message goes no further).
    fn finish(&mut self) {
        self.next += 1;
        self.plan.truncate(self.next);
    }

    fn recognise_rabbit(&mut self, e: &Event, world: &World) {
        let name = |n: NodeId| world.node_name(n).to_string();
        let names = brokerlab_engine::rabbit::node::names(world);
        let queue = |q: u16| names.map_or(q.to_string(), |n| n.queue(q));
        let exchange = |x: u16| names.map_or(x.to_string(), |n| n.exchange(x));
        let broker = crate::rabbit::broker(world).map(|(b, _)| b);
        let with_broker = |n: NodeId| std::iter::once(n).chain(broker).collect::<Vec<_>>();
        let expected = self.expecting();
        let r = match e.kind {
            EventKind::Model(ModelEvents::Rabbit(r)) => r,
            EventKind::NodeStopped { node } if expected == Some(Kind::ConsumerKilled) => {
                let Some(msg) = self.message.clone().filter(|m| m.consumer == Some(node)) else { return };
                self.push(
                    Kind::ConsumerKilled,
                    e.at,
                    tf("{0} crashes before it acks", &[&name(node)]),
                    tf("{0} holds delivery tag {1} unacknowledged. Its process dies; its TCP connection to the broker closes.", &[&name(node), &msg.tag]),
                    vec![node],
                );
                self.next += 1;
                return;
            }
            _ => return,
        };
        // The publisher's confirm comes one hop after the message is enqueued: before or after
        // the delivery, so it is recognised whenever it comes.
        if let RabbitEvent::Confirmed { publisher, seq, ack, latency } = r {
            let routed = self.message.as_ref().is_some_and(|m| m.m.is_some());
            if let Some(i) = self
                .plan
                .get(self.next..)
                .unwrap_or_default()
                .iter()
                .position(|k| *k == Kind::Confirmed)
                .filter(|_| routed && self.ours(publisher, seq))
            {
                self.plan.remove(self.next + i);
                self.plan.insert(self.next, Kind::Confirmed);
                self.next += 1;
                self.push(
                    Kind::Confirmed,
                    e.at,
                    tf("{0} gets its confirm", &[&name(publisher)]),
                    tf("The broker {0} message {1}, {2} after it was published (publisher confirms: basic.{3} with the channel's sequence number). {4}", &[&if ack { t("acknowledges") } else { t("refuses") }, &seq, &latency, &if ack { "ack" } else { "nack" }, &if ack { t("It is in every queue it was routed to (here: as soon as it is enqueued; a real broker waits for persistent messages to reach the disk), so the publisher may forget it.") } else { t("The publisher must decide whether to publish it again.") }]),
                    with_broker(publisher),
                );
            }
            return;
        }
        match (expected, r) {
            (Some(Kind::Ready), RabbitEvent::ConsumerAdded { .. }) => {
                self.push(
                    Kind::Ready,
                    e.at,
                    t("The broker is ready").into(),
                    t("The broker declared the exchanges, queues and bindings, and the consumers opened their channels and registered (basic.consume). Next: follow one message.").into(),
                    vec![],
                );
                self.next += 1;
            }
            (Some(Kind::Published), RabbitEvent::Published { publisher, seq, exchange: x }) => {
                let p = rabbit_publisher(world, publisher);
                let key = p
                    .filter(|p| !p.keys.is_empty())
                    .map_or(String::new(), |p| p.keys[(seq % p.keys.len() as u64) as usize].to_string());
                let confirms = p.is_some_and(|p| p.confirms);
                self.message = Some(Message { publisher: Some(publisher), seq, ..Message::default() });
                let rest = self.plan_for(Acks::All);
                self.plan.truncate(self.next + 1);
                self.plan.extend(rest);
                if confirms {
                    self.plan.push(Kind::Confirmed);
                }
                self.push(
                    Kind::Published,
                    e.at,
                    tf("{0} publishes message {1} to exchange {2}", &[&name(publisher), &seq, &exchange(x)]),
                    tf("basic.publish to exchange {0} with routing key \"{1}\"{2}. A publisher never names a queue: the exchange decides.", &[&exchange(x), &key, &if confirms { t(", on a channel in confirm mode") } else { "" }]),
                    with_broker(publisher),
                );
                self.next += 1;
            }
            (Some(Kind::Routed), RabbitEvent::Received { m, publisher, seq, .. }) if self.ours(publisher, seq) => {
                if let Some(msg) = &mut self.message {
                    msg.m = Some(m);
                }
            }
            (Some(Kind::Routed), RabbitEvent::Routed { m, from, to, binding }) if self.ours_m(m) => {
                if let Some(msg) = &mut self.message {
                    msg.hops.push(Hop { from, to, binding });
                }
            }
            (Some(Kind::Routed), RabbitEvent::Unroutable { m, exchange: x, returned }) if self.ours_m(m) => {
                self.push(
                    Kind::Routed,
                    e.at,
                    tf("No binding of {0} matches", &[&exchange(x)]),
                    tf("No queue takes the message: it is {0}.", &[&if returned {
                            t("returned to the publisher (basic.return), as it was published mandatory")
                        } else {
                            t("dropped (publish with mandatory, or give the exchange an alternate exchange, to keep it)")
                        }]),
                    broker.into_iter().collect(),
                );
                self.finish();
            }
            (Some(Kind::Routed), RabbitEvent::Enqueued { m, .. }) if self.ours_m(m) => {
                let Some(msg) = self.message.as_mut() else { return };
                let queues: Vec<u16> = msg
                    .hops
                    .iter()
                    .filter_map(|h| match h.to {
                        Dest::Queue(q) => Some(q),
                        _ => None,
                    })
                    .collect();
                // Follow a queue someone consumes from, one with manual acks if there is one.
                let mut candidates: Vec<(usize, u16)> = queues
                    .iter()
                    .map(|&q| {
                        let cs = queue_consumers(world, q, None);
                        let manual = cs.first().and_then(|&c| rabbit_consumer(world, c)).is_some_and(|c| !c.auto_ack);
                        (
                            if manual {
                                0
                            } else if cs.is_empty() {
                                2
                            } else {
                                1
                            },
                            q,
                        )
                    })
                    .collect();
                brokerlab_engine::sort::sort_by_key(&mut candidates, |c| c.0);
                let followed = candidates.first().filter(|c| c.0 < 2).map(|c| c.1);
                msg.queue = followed;
                // In the words of the routing calculator (one text for a hop, wherever shown).
                let hops: Vec<String> = match crate::rabbit::model(world) {
                    Some(m) => msg.hops.iter().map(|h| crate::rabbit::hop_text(&m, h)).collect(),
                    None => vec![],
                };
                let reached: Vec<String> = queues.iter().map(|&q| queue(q)).collect();
                let follow = match followed {
                    Some(q) => tf(" Each queue holds its own copy; we follow the one in {0}.", &[&queue(q)]),
                    None => t(" No consumer reads these queues: the message waits there.").into(),
                };
                self.push(
                    Kind::Routed,
                    e.at,
                    tf("Routed to {0}", &[&(reached.join(", "))]),
                    tf("The broker routes it: {0}.{1}", &[&(hops.join("; ")), &follow]),
                    broker.into_iter().collect(),
                );
                if followed.is_none() {
                    self.finish();
                } else {
                    self.next += 1;
                }
            }
            (
                Some(Kind::Delivered | Kind::Redelivered),
                RabbitEvent::Delivered { m, queue: q, consumer, tag, redelivered },
            ) if self.ours_in(m, q) => {
                if let Some(msg) = &mut self.message {
                    msg.consumer = Some(consumer);
                    msg.tag = tag;
                }
                let c = rabbit_consumer(world, consumer);
                let auto = c.is_some_and(|c| c.auto_ack);
                let window = c.map_or(String::new(), |c| match (auto, c.prefetch) {
                    (true, _) => t(" It consumes with automatic acks: the broker forgets the message as it sends it.").into(),
                    (false, 0) => t(" Its prefetch is unlimited.").into(),
                    (false, p) => tf(" It may hold at most {0} unacknowledged deliveries (prefetch); this one counts until it is acked.", &[&p]),
                });
                let (kind, title) = if redelivered {
                    (Kind::Redelivered, tf("Delivered again to {0}, flagged redelivered", &[&name(consumer)]))
                } else {
                    (Kind::Delivered, tf("{0} delivers it to {1}", &[&queue(q), &name(consumer)]))
                };
                self.push(
                    kind,
                    e.at,
                    title,
                    tf("basic.deliver with delivery tag {0} on {1}'s channel{2}.{3}", &[&tag, &name(consumer), &if redelivered { t(", redelivered = true: the application may have seen it before (at-least-once), so it should be idempotent") } else { "" }, &window]),
                    with_broker(consumer),
                );
                if auto && self.variant == Variant::RabbitKillConsumer && kind == Kind::Delivered {
                    // Nothing to requeue with automatic acks: what is left is its processing.
                    self.plan.truncate(self.next + 1);
                    self.plan.push(Kind::Settled);
                }
                self.next += 1;
            }
            (Some(Kind::Requeued), RabbitEvent::Requeued { m, queue: q, consumer }) if self.ours_in(m, q) => {
                let others = queue_consumers(world, q, Some(consumer));
                self.push(
                    Kind::Requeued,
                    e.at,
                    tf("The broker requeues it in {0}", &[&queue(q)]),
                    tf("The broker saw {0}'s connection close with delivery tag {1} unacknowledged: {2} {3}", &[&name(consumer), &(self.message.as_ref().map_or(0, |m| m.tag)), &match queue_kind(world, q) {
                        "quorum" => tf("the message returns to {0} and is served before the messages waiting there (a quorum queue's returns come first), with x-delivery-count counted up and marked redelivered.", &[&queue(q)]),
                        _ => tf("the message goes back to its original place in {0}, marked redelivered.", &[&queue(q)]),
                    }, &if others.is_empty() { tf("No other consumer reads {0}: next, {1} restarts and consumes again.", &[&queue(q), &name(consumer)]) } else { t("Another consumer of the queue will get it.").into() }]),
                    broker.into_iter().collect(),
                );
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::Acked { m, queue: q, consumer, tag }) if self.ours_in(m, q) => {
                self.push(
                    Kind::Settled,
                    e.at,
                    tf("{0} acks it", &[&name(consumer)]),
                    if queue_kind(world, q) == "stream" {
                        tf("{0} processed the message and sent basic.ack for tag {1}: {2} is a stream, so the message stays in its log for every other reader; the ack only gives the consumer's prefetch credit back.", &[&name(consumer), &tag, &queue(q)])
                    } else {
                        tf("{0} processed the message and sent basic.ack for tag {1}: the broker deletes it from {2} and the prefetch window has room again.", &[&name(consumer), &tag, &queue(q)])
                    },
                    with_broker(consumer),
                );
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::DeadLettered { m, queue: q, dlx, reason, .. }) if self.ours_in(m, q) => {
                self.push(
                    Kind::Settled,
                    e.at,
                    tf("Rejected: dead-lettered to {0}", &[&exchange(dlx)]),
                    tf("The consumer rejected it without requeue ({0}): {1} hands it to its dead-letter exchange {2} with an x-death header recording why.", &[&reason.name(), &queue(q), &exchange(dlx)]),
                    broker.into_iter().collect(),
                );
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::Discarded { m, queue: q, .. }) if self.ours_in(m, q) => {
                self.push(Kind::Settled, e.at, t("Rejected: dropped").into(), tf("The consumer rejected it without requeue and {0} has no dead-letter exchange: the message is gone.", &[&queue(q)]), broker.into_iter().collect());
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::Requeued { m, queue: q, consumer }) if self.ours_in(m, q) => {
                self.push(
                    Kind::Settled,
                    e.at,
                    tf("{0} rejects it with requeue", &[&name(consumer)]),
                    if queue_kind(world, q) == "quorum" {
                        tf("Back into {0}: a quorum queue puts a message requeued this way at its back when it has no delivery limit (before the waiting messages when it has one), and it will be delivered again with x-delivery-count counted up.", &[&queue(q)])
                    } else {
                        tf("Back to its place in {0}: it will be delivered again, flagged redelivered.", &[&queue(q)])
                    },
                    with_broker(consumer),
                );
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::Processed { consumer, publisher, seq, .. })
                if self.ours(publisher, seq)
                    && self.message.as_ref().is_some_and(|m| m.consumer == Some(consumer))
                    && rabbit_consumer(world, consumer).is_some_and(|c| c.auto_ack) =>
            {
                self.push(Kind::Settled, e.at, tf("{0} processes it", &[&name(consumer)]), t("With automatic acks there is nothing to acknowledge: had the consumer crashed before processing it, the message would be lost.").into(), vec![consumer]);
                self.next += 1;
            }
            _ => {}
        }
    }
}

/// The type of queue `q` on the broker the page shows: classic, quorum or stream (what its
/// requeues and acks do differs).
fn queue_kind(world: &World, q: u16) -> &'static str {
    crate::rabbit::broker(world)
        .and_then(|(_, b)| b.queue(q))
        .map_or("classic", |queue| crate::rabbit::overview::kind(&queue.decl))
}
