//! What RabbitMQ's clients and broker say to each other (`RabbitMsg`, a few AMQP 0-9-1 methods,
//! batched where a real client pipelines them), and the message as the broker keeps it.

use super::routing::Table;
use crate::kernel::event::MsgInfo;
use crate::kernel::Wire;
use crate::time::Time;
use crate::NodeId;
use std::rc::Rc;

/// Where a binding leads: a queue or (exchange-to-exchange) another exchange, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dest {
    Queue(u16),
    Exchange(u16),
}

impl Dest {
    /// One word for the trace hash: the kind in bit 16.
    pub fn code(self) -> u32 {
        match self {
            Dest::Queue(q) => q as u32,
            Dest::Exchange(x) => (1 << 16) | x as u32,
        }
    }
}

/// Why a message left a queue without being acknowledged: the `x-death` reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Rejected,
    Expired,
    Maxlen,
    /// A quorum queue's `x-delivery-limit`.
    DeliveryLimit,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Rejected => "rejected",
            Reason::Expired => "expired",
            Reason::Maxlen => "maxlen",
            Reason::DeliveryLimit => "delivery_limit",
        }
    }
}

/// One entry of the `x-death` header (`mc:record_death`): one per (queue, reason), most recent first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Death {
    pub queue: u16,
    pub reason: Reason,
    pub count: u32,
    /// The exchange and routing key the message had when it died there.
    pub exchange: u16,
    pub routing_key: Rc<str>,
    /// The keys of its `CC` and `BCC` headers, which x-death's `routing-keys` lists after it.
    pub cc: Option<Rc<[Rc<str>]>>,
    /// When it first died there (RabbitMQ's `time`).
    pub time: Time,
    /// Its per-message TTL, removed when it was dead-lettered (`original-expiration`).
    pub original_expiration: Option<Time>,
}

/// The properties the broker looks at.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Props {
    /// delivery_mode 2.
    pub persistent: bool,
    pub priority: u8,
    /// The per-message TTL (`expiration`).
    pub expiration: Option<Time>,
    pub headers: Option<Rc<Table>>,
    /// Body size in bytes (for `x-max-length-bytes`).
    pub size: u32,
}

/// basic.publish with its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// The publisher's own numbering; what consumers and traces show.
    pub seq: u64,
    pub exchange: u16,
    pub routing_key: Rc<str>,
    pub props: Props,
    pub mandatory: bool,
    pub published_at: Time,
}

/// A message as a queue holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The broker's number for it, kept through dead-lettering: one id per journey in the trace.
    pub id: u64,
    pub publisher: NodeId,
    pub seq: u64,
    pub published_at: Time,
    pub exchange: u16,
    pub routing_key: Rc<str>,
    pub props: Props,
    /// The keys of its `CC` and `BCC` headers, taken at publish (RabbitMQ's `routing_keys` after the
    /// first): it is routed by them too, and so is its dead-lettering without a dead-letter key.
    pub cc: Option<Rc<[Rc<str>]>>,
    pub deaths: Option<Rc<Vec<Death>>>,
}

impl Message {
    /// A message of `size` bytes from node 0 with id and seq `id`, for unit tests.
    #[cfg(test)]
    pub fn sample(id: u64, size: u32) -> Message {
        Message {
            id,
            publisher: NodeId(0),
            seq: id,
            published_at: Time::ZERO,
            exchange: 0,
            routing_key: "s".into(),
            props: Props { size, ..Props::default() },
            cc: None,
            deaths: None,
        }
    }
}

/// basic.deliver (or basic.get-ok) as a consumer receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub tag: u64,
    pub redelivered: bool,
    pub queue: u16,
    pub publisher: NodeId,
    pub seq: u64,
    pub published_at: Time,
    pub deaths: Option<Rc<Vec<Death>>>,
    /// The consumer it was delivered to (the channel's number for its consumer tag); `None` for
    /// basic.get.
    pub ctag: Option<u16>,
    /// basic.get-ok's `message_count`: how many messages stayed ready in the queue.
    pub message_count: Option<u32>,
    pub exchange: u16,
    pub routing_key: Rc<str>,
    /// Its headers as delivered (`BCC` removed; `x-first-death-*` added by dead-lettering).
    pub headers: Option<Rc<Table>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettleOp {
    Ack,
    Nack { requeue: bool },
    Reject { requeue: bool },
}

/// An AMQP reply code and text, for channel errors and returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmqpError {
    pub code: u16,
    pub text: &'static str,
}

pub const NO_ROUTE: u16 = 312;
pub const ACCESS_REFUSED: u16 = 403;
pub const NOT_FOUND: u16 = 404;
pub const RESOURCE_LOCKED: u16 = 405;
pub const PRECONDITION_FAILED: u16 = 406;
pub const NOT_ALLOWED: u16 = 530;
/// A connection error in RabbitMQ (connection.close): what streams refuse (basic.get, nack, …).
pub const NOT_IMPLEMENTED: u16 = 540;

pub fn code_name(code: u16) -> &'static str {
    match code {
        NO_ROUTE => "NO_ROUTE",
        ACCESS_REFUSED => "ACCESS_REFUSED",
        NOT_FOUND => "NOT_FOUND",
        RESOURCE_LOCKED => "RESOURCE_LOCKED",
        PRECONDITION_FAILED => "PRECONDITION_FAILED",
        NOT_ALLOWED => "NOT_ALLOWED",
        NOT_IMPLEMENTED => "NOT_IMPLEMENTED",
        _ => "ERROR",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RabbitMsg {
    /// connection.open + channel.open (+ confirm.select).
    Open {
        confirm: bool,
    },
    OpenOk,
    /// queue.declare with the scenario's arguments for `queue`, then queue.bind for its bindings.
    Declare {
        queue: u16,
    },
    /// basic.qos (global false: for the channel's consumers created after it; global true: one
    /// limit for all the channel's consumers together), as RabbitMQ reinterprets AMQP's flag.
    Qos {
        prefetch: u16,
        global: bool,
    },
    /// basic.consume with the channel's consumer tag number `tag` (with `prefetch`, a basic.qos
    /// global=false sent just before it).
    Consume {
        queue: u16,
        tag: u16,
        prefetch: Option<u16>,
        auto_ack: bool,
        /// `x-stream-offset` (consumer argument); None: not given.
        offset: Option<super::stream::OffsetSpec>,
    },
    /// basic.cancel: the consumer stops; what it holds stays unacknowledged on the channel.
    Cancel {
        tag: u16,
    },
    /// basic.get: one message (a Deliver with `message_count`), or GetEmpty.
    Get {
        queue: u16,
        no_ack: bool,
    },
    GetEmpty,
    /// A declaration, binding or deletion sent during the run.
    Topo(Box<TopoOp>),
    Publish(Box<Publish>),
    Deliver(Box<Delivery>),
    /// basic.ack / basic.nack / basic.reject.
    Settle {
        tag: u64,
        multiple: bool,
        op: SettleOp,
    },
    /// basic.ack / basic.nack to a publisher in confirm mode (`seq` counts the channel's publishes from 1).
    Confirm {
        seq: u64,
        ack: bool,
    },
    /// basic.return of an unroutable mandatory message (the publisher's own `seq`).
    Return {
        seq: u64,
    },
    /// channel.close from the broker after a channel error.
    ChannelClose(AmqpError),
    /// Between the nodes of a cluster (`cluster.rs`).
    Cluster(Box<super::cluster::ClusterMsg>),
    /// Not an AMQP method: TCP's own flow control, which the resource model stands for. The broker
    /// is not reading this connection and its socket buffers are full (`open: false`: the client's
    /// socket write blocks, so its next publish waits), or it read them and there is room again.
    Window {
        open: bool,
    },
}

/// A change of topology during the run: exchange.declare, queue.declare (with the scenario's
/// declaration of that name), queue.bind / exchange.bind, their unbind, and the deletes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopoOp {
    DeclareExchange(u16),
    DeclareQueue(u16),
    Bind { source: u16, dest: Dest, key: Rc<str>, args: Rc<Table> },
    Unbind { source: u16, dest: Dest, key: Rc<str>, args: Rc<Table> },
    DeleteExchange(u16),
    DeleteQueue(u16),
}

/// Colour lane of control traffic (not tied to one publisher).
const CONTROL_LANE: u32 = 200;

impl Wire for RabbitMsg {
    fn info(&self) -> MsgInfo {
        let (kind, lane) = match self {
            RabbitMsg::Open { .. } => ("open", CONTROL_LANE),
            RabbitMsg::OpenOk => ("open-ok", CONTROL_LANE),
            RabbitMsg::Declare { .. } => ("declare", CONTROL_LANE),
            RabbitMsg::Qos { .. } => ("qos", CONTROL_LANE),
            RabbitMsg::Consume { .. } => ("consume", CONTROL_LANE),
            RabbitMsg::Cancel { .. } => ("cancel", CONTROL_LANE),
            RabbitMsg::Get { .. } => ("get", CONTROL_LANE),
            RabbitMsg::GetEmpty => ("get-empty", CONTROL_LANE),
            RabbitMsg::Topo(_) => ("topology", CONTROL_LANE),
            RabbitMsg::Publish(p) => ("publish", p.exchange as u32),
            RabbitMsg::Deliver(d) => ("deliver", d.queue as u32),
            RabbitMsg::Settle { op: SettleOp::Ack, .. } => ("ack", CONTROL_LANE),
            RabbitMsg::Settle { .. } => ("nack", CONTROL_LANE),
            RabbitMsg::Confirm { .. } => ("confirm", CONTROL_LANE),
            RabbitMsg::Return { .. } => ("return", CONTROL_LANE),
            RabbitMsg::ChannelClose(_) => ("channel-close", CONTROL_LANE),
            RabbitMsg::Cluster(c) => (c.kind(), CONTROL_LANE),
            RabbitMsg::Window { .. } => ("tcp-window", CONTROL_LANE),
        };
        MsgInfo { kind, lane }
    }
}
