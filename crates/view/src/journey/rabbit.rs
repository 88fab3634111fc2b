//! A RabbitMQ message's journey: basic.publish → each exchange hop → enqueue → basic.deliver →
//! ack / nack / reject → dead-letter → … → the publisher's confirm, with redeliveries, returns and
//! refusals as they happened.
//!
//! The publisher's events name the message by publisher and number; the broker's by its own id
//! `m`, which `Received` links to the number and which stays the message's through dead-lettering.

use super::{detail, Expect, Followed, Recorder, Tone, Tracer};
use crate::i18n::{t, tf};
use brokerlab_engine::kernel::Process;
use brokerlab_engine::rabbit::event::RabbitEvent;
use brokerlab_engine::{Event, EventKind, ModelEvents, NodeId, Time, World};

#[derive(Debug, Default)]
pub(super) struct RabbitTrace {
    rec: Recorder,
    who: Followed,
    started: bool,
    /// The broker's ids for it (one per publish that reached the broker).
    ms: Vec<u64>,
    /// The queues holding a copy now.
    queues: Vec<u16>,
    /// This instant's deliveries, to count which send is ours: (at, consumer).
    deliveries: Vec<(Time, NodeId)>,
    confirmed: bool,
    last: Time,
    title: String,
}

impl RabbitTrace {
    pub(super) fn new(who: Followed) -> RabbitTrace {
        RabbitTrace { who, ..RabbitTrace::default() }
    }

    /// A broker event's words without the message's id.
    fn words(e: &Event, world: &World, m: u64) -> String {
        let d = detail(e, world);
        d.strip_prefix(&format!("m{m} ")).map_or(d.clone(), str::to_string)
    }

    fn left(&mut self, queue: u16) {
        if let Some(i) = self.queues.iter().position(|&q| q == queue) {
            self.queues.swap_remove(i);
        }
    }
}

/// The broker: the node the message's publish went to.
fn broker(world: &World) -> Option<NodeId> {
    world.nodes.iter().position(|s| s.node.role() == "broker").map(|i| NodeId(i as u32))
}

impl Tracer for RabbitTrace {
    fn observe(&mut self, e: &Event, world: &World) {
        self.rec.network(e);
        self.rec.node_events(e);
        let EventKind::Model(ModelEvents::Rabbit(r)) = e.kind else { return };
        if self.deliveries.first().is_some_and(|d| d.0 != e.at) {
            self.deliveries.clear();
        }
        let Some(b) = broker(world) else { return };
        let is_m = |m: u64| self.ms.contains(&m);
        match r {
            RabbitEvent::Published { publisher, seq, .. } if self.who.is(publisher, seq) => {
                self.started = true;
                self.who.sender = Some(publisher);
                if self.title.is_empty() {
                    self.title = tf("{0}'s message {1}", &[&world.node_name(publisher), &seq]);
                }
                let label = tf("basic.publish {0}", &[&(detail(e, world).split_once("-> ").map_or("", |x| x.1))]);
                let label = label.trim_end().to_string();
                let x = Expect {
                    at: e.at,
                    from: publisher,
                    kind: "publish",
                    lane: None,
                    to: None,
                    skip: 0,
                    label,
                    tone: Tone::Ok,
                };
                self.rec.expect(x);
            }
            RabbitEvent::PublishFailed { publisher, seq, why } if self.who.is(publisher, seq) => {
                self.rec.note(publisher, e.at, tf("publish failed: {0}", &[&why]), Tone::Fail);
            }
            RabbitEvent::Received { m, publisher, seq, .. } if self.who.is(publisher, seq) && self.started => {
                if !self.ms.contains(&m) {
                    self.ms.push(m);
                }
                self.rec.note(b, e.at, tf("received as m{0}", &[&m]), Tone::Note);
            }
            RabbitEvent::Routed { m, .. } if is_m(m) => self.rec.note(b, e.at, Self::words(e, world, m), Tone::Note),
            RabbitEvent::Enqueued { m, queue, .. } if is_m(m) => {
                self.queues.push(queue);
                self.rec.note(b, e.at, Self::words(e, world, m), Tone::Note);
            }
            RabbitEvent::Unroutable { m, .. } | RabbitEvent::PublishRejected { m, .. } if is_m(m) => {
                self.rec.note(b, e.at, Self::words(e, world, m), Tone::Fail);
            }
            RabbitEvent::Delivered { m, consumer, tag, redelivered, .. } if is_m(m) => {
                let earlier = self.deliveries.iter().filter(|d| d.1 == consumer).count();
                let again = if redelivered { t(", redelivered") } else { "" };
                let label = tf("basic.deliver tag {0}{1}", &[&tag, &again]);
                let tone = if redelivered { Tone::Fail } else { Tone::Ok };
                let x = Expect {
                    at: e.at,
                    from: b,
                    kind: "deliver",
                    lane: None,
                    to: Some(consumer),
                    skip: earlier,
                    label,
                    tone,
                };
                self.rec.expect(x);
            }
            RabbitEvent::Got { m, client, tag, .. } if is_m(m) => {
                let earlier = self.deliveries.iter().filter(|d| d.1 == client).count();
                let label = tf("basic.get-ok tag {0}", &[&tag]);
                let x = Expect {
                    at: e.at,
                    from: b,
                    kind: "deliver",
                    lane: None,
                    to: Some(client),
                    skip: earlier,
                    label,
                    tone: Tone::Ok,
                };
                self.rec.expect(x);
            }
            RabbitEvent::Processed { consumer, publisher, seq, .. } if self.who.is(publisher, seq) && self.started => {
                self.rec.note(consumer, e.at, "processed".into(), Tone::Note);
            }
            RabbitEvent::Acked { m, queue, consumer, tag } if is_m(m) => {
                self.left(queue);
                match self.rec.reply(e.at, b, &["ack"]) {
                    Some((c, sent)) if c == consumer => {
                        self.rec.arrow(c, b, sent, e.at, tf("basic.ack tag {0}", &[&tag]), Tone::Ok)
                    }
                    _ => self.rec.note(b, e.at, Self::words(e, world, m), Tone::Ok),
                }
            }
            RabbitEvent::Requeued { m, consumer, .. } | RabbitEvent::Rejected { m, consumer, .. } if is_m(m) => {
                if let RabbitEvent::Rejected { queue, .. } = r {
                    self.left(queue);
                }
                match self.rec.reply(e.at, b, &["nack"]) {
                    Some((c, sent)) if c == consumer => {
                        self.rec.arrow(c, b, sent, e.at, Self::words(e, world, m), Tone::Fail)
                    }
                    _ => self.rec.note(b, e.at, Self::words(e, world, m), Tone::Fail),
                }
            }
            RabbitEvent::DeadLettered { m, queue, .. } | RabbitEvent::Discarded { m, queue, .. } if is_m(m) => {
                self.left(queue);
                self.rec.note(b, e.at, Self::words(e, world, m), Tone::Fail);
            }
            RabbitEvent::Confirmed { publisher, seq, ack, .. } if self.who.is(publisher, seq) && self.started => {
                self.confirmed = true;
                let label = if ack { t("confirm: basic.ack") } else { t("confirm: basic.nack") };
                let tone = if ack { Tone::Ok } else { Tone::Fail };
                match self.rec.reply(e.at, publisher, &["confirm"]) {
                    Some((from, sent)) => self.rec.arrow(from, publisher, sent, e.at, label.into(), tone),
                    None => self.rec.note(publisher, e.at, label.into(), tone),
                }
            }
            RabbitEvent::Returned { publisher, seq } if self.who.is(publisher, seq) && self.started => {
                match self.rec.reply(e.at, publisher, &["return"]) {
                    Some((from, sent)) => {
                        self.rec.arrow(from, publisher, sent, e.at, "basic.return".into(), Tone::Fail)
                    }
                    None => self.rec.note(publisher, e.at, "basic.return".into(), Tone::Fail),
                }
            }
            _ => {}
        }
        if let RabbitEvent::Delivered { consumer, .. } | RabbitEvent::Got { client: consumer, .. } = r {
            self.deliveries.push((e.at, consumer));
        }
        if self.started {
            self.last = self.rec.last;
        }
    }

    fn started(&self) -> bool {
        self.started
    }

    fn settled(&self) -> Option<Time> {
        (!self.ms.is_empty() && self.queues.is_empty()).then_some(self.last)
    }

    fn finish(self: Box<Self>, world: &World, remarks: Vec<String>) -> super::Diagram {
        let title = if self.title.is_empty() { tf("Message {0}", &[&self.who.seq]) } else { self.title.clone() };
        self.rec.finish(world, title, remarks)
    }
}
