//! The broker as a pure state machine: vhost `/` with its exchanges, bindings and classic queues,
//! and one channel per client connection. Methods take `now` and push what they want done into
//! `out` (events, messages to clients, timers at absolute times); `node.rs` carries that out.
//! Protocol errors are `Err(ChannelErr)` values: the node turns them into a channel error event
//! and a channel.close, as RabbitMQ closes the channel.
//!
//! The broker's work, a file each: `topology` (declare, bind, delete), `channels` (open, consume,
//! channel errors, a client gone), `publish` (routing a publish to its queues, length limits,
//! confirms and returns), `dispatch` (delivering with prefetch, and acks, nacks and rejects),
//! `dead_letter` (`x-death` and republishing to a dead-letter exchange), `expiry` (the TTL and
//! `x-expires` timers) and `restart` (what a crash keeps and loses). This file holds the state.

use super::event::RabbitEvent;
use super::exchange::{Exchange, ExchangeDecl, Hop, PREDECLARED};
use super::msg::{AmqpError, Dest, RabbitMsg};
use super::queue::{Entry, Queue};
use super::RabbitTimer;
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;
use std::collections::VecDeque;
use std::rc::Rc;

mod channels;
mod dead_letter;
mod dispatch;
mod expiry;
mod publish;
pub mod quorum;
mod restart;
mod stream;
mod topology;

use restart::Restarted;

/// A channel error: the reply code and text, and what it is about.
pub type ChannelErr = (AmqpError, Option<Dest>);

fn err(code: u16, text: &'static str, about: Option<Dest>) -> ChannelErr {
    (AmqpError { code, text }, about)
}

/// What the broker wants done, drained by its node after each call.
#[derive(Clone, Debug, Default)]
pub struct Out {
    pub events: Vec<RabbitEvent>,
    pub sends: Vec<(NodeId, RabbitMsg)>,
    /// `(when, timer id)`, absolute.
    pub timers: Vec<(Time, RabbitTimer)>,
    /// Messages for quorum queues on a cluster node, for their Raft groups.
    pub handoffs: Vec<quorum::Handoff>,
}

/// Exchange and queue names by id. Ids are stable: the world renders events with them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    pub exchanges: Vec<Rc<str>>,
    pub queues: Vec<Rc<str>>,
}

impl Names {
    pub fn exchange(&self, id: u16) -> String {
        match self.exchanges.get(id as usize) {
            Some(n) if n.is_empty() => "(default)".into(),
            Some(n) => n.to_string(),
            None => "?".into(),
        }
    }
    pub fn queue(&self, id: u16) -> String {
        self.queues.get(id as usize).map_or("?".into(), |n| n.to_string())
    }
    pub fn exchange_id(&self, name: &str) -> Option<u16> {
        self.exchanges.iter().position(|n| **n == *name).map(|i| i as u16)
    }
    pub fn queue_id(&self, name: &str) -> Option<u16> {
        self.queues.iter().position(|n| **n == *name).map(|i| i as u16)
    }
}

#[derive(Clone, Debug)]
struct Unacked {
    tag: u64,
    queue: u16,
    /// The consumer it went to (`None`: basic.get, which no prefetch counts).
    ctag: Option<u16>,
    entry: Entry,
}

#[derive(Clone, Debug, Default)]
struct Channel {
    confirm: bool,
    /// Publishes counted from 1 in confirm mode: the publisher's confirm sequence.
    publish_seq: u64,
    next_tag: u64,
    /// In delivery-tag order.
    unacked: VecDeque<Unacked>,
    /// The channel's consumers: `(consumer tag number, queue)`, in the order they started.
    consumers: Vec<(u16, u16)>,
    /// basic.qos global=false: the prefetch of consumers started after it (0 = unlimited).
    consumer_prefetch: u16,
    /// basic.qos global=true: one limit over all the channel's consumers (0 = none).
    channel_prefetch: u16,
}

impl Channel {
    /// May consumer `ctag`, with its own prefetch, take one more delivery? Both limits count
    /// unacknowledged consumer deliveries (a cancelled consumer's too), never basic.get's.
    fn has_room(&self, ctag: u16, prefetch: u16) -> bool {
        let count = |of: &dyn Fn(Option<u16>) -> bool| self.unacked.iter().filter(|u| of(u.ctag)).count();
        (prefetch == 0 || count(&|c| c == Some(ctag)) < prefetch as usize)
            && (self.channel_prefetch == 0 || count(&|c| c.is_some()) < self.channel_prefetch as usize)
    }
}

#[derive(Clone, Debug)]
pub struct Broker {
    pub me: NodeId,
    pub names: Names,
    exchanges: Vec<Option<Exchange>>,
    queues: Vec<Option<Queue>>,
    channels: VecMap<NodeId, Channel>,
    next_msg: u64,
    pub out: Out,
    hops: Vec<Hop>,
    restarted: Vec<Restarted>,
    /// One node of a cluster: quorum queues are replicated (`quorum.rs`).
    cluster: bool,
}

impl Broker {
    /// A fresh node: the predeclared exchanges exist (their names must be `names.exchanges[0..6]`).
    pub fn new(me: NodeId, names: Names) -> Broker {
        let mut exchanges: Vec<Option<Exchange>> = vec![None; names.exchanges.len()];
        for (i, (_, kind)) in PREDECLARED.iter().enumerate() {
            let decl = ExchangeDecl { kind: *kind, durable: true, auto_delete: false, alternate: None };
            exchanges[i] = Some(Exchange::new(decl));
        }
        let queues = vec![None; names.queues.len()];
        Broker {
            me,
            names,
            exchanges,
            queues,
            channels: VecMap::new(),
            next_msg: 0,
            out: Out::default(),
            hops: Vec::new(),
            restarted: Vec::new(),
            cluster: false,
        }
    }

    /// The names every broker starts with, then `exchanges` and `queues`.
    pub fn names_with(exchanges: impl IntoIterator<Item = Rc<str>>, queues: Vec<Rc<str>>) -> Names {
        let mut all: Vec<Rc<str>> = PREDECLARED.iter().map(|(n, _)| Rc::from(*n)).collect();
        all.extend(exchanges);
        Names { exchanges: all, queues }
    }

    pub fn queue(&self, id: u16) -> Option<&Queue> {
        self.queues.get(id as usize)?.as_ref()
    }

    pub fn exchange(&self, id: u16) -> Option<&Exchange> {
        self.exchanges.get(id as usize)?.as_ref()
    }

    pub fn has_channel(&self, client: NodeId) -> bool {
        self.channels.contains_key(&client)
    }

    /// Unacknowledged deliveries on `client`'s channel.
    pub fn unacked(&self, client: NodeId) -> usize {
        self.channels.get(&client).map_or(0, |c| c.unacked.len())
    }

    /// Unacknowledged deliveries on every channel.
    pub fn unacked_total(&self) -> usize {
        self.channels.values().map(|c| c.unacked.len()).sum()
    }

    /// Every unacknowledged delivery, per channel in delivery-tag order: `(client, tag, queue,
    /// entry)`. Read-only, for the page's inspectors.
    pub fn deliveries(&self) -> impl Iterator<Item = (NodeId, u64, u16, &Entry)> + '_ {
        self.channels.iter().flat_map(|(&n, c)| c.unacked.iter().map(move |u| (n, u.tag, u.queue, &u.entry)))
    }

    fn emit(&mut self, e: RabbitEvent) {
        self.out.events.push(e);
    }
}

#[cfg(test)]
mod ops_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;
