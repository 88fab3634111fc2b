//! A ZooKeeper server's request processing time: requests are served one after another (a FIFO
//! server, `resources::Server`), each costing a fixed time per request plus a time per znode it
//! reads or writes. ZooKeeper runs every client request through one pipeline of request processors
//! (`PrepRequestProcessor` → `SyncRequestProcessor`, which appends writes to the transaction log →
//! `FinalRequestProcessor`) in order, so a burst of requests — a new Kafka controller reading back
//! every partition's state, or writing the state of every partition whose leader moved — queues,
//! and the time it takes grows with the number of partitions.
//!
//! The costs (see the README, "The Kafka model", for their sources): `REQUEST_NS` per request (a
//! call of a batch; a `multi` is one request), `READ_NS` per znode read, `WRITE_NS` per znode
//! written (a `multi`'s version checks count as reads). Pings and session set-up cost nothing.
//! Simplified: one server's time, also in an ensemble (where a write is also proposed to and
//! logged by a quorum, which the ensemble's messages model without a cost); no separate read and
//! write pipelines.

use super::msg::{KafkaMsg, ZkCall};
use crate::coordinator::Op;
use crate::resources::Server;
use crate::time::Time;
use crate::NodeId;
use std::collections::VecDeque;

/// Per request (a call of a batch, a whole `multi`): the request pipeline's fixed cost.
pub const REQUEST_NS: u64 = 20_000;
/// Per znode read (getData, exists, getChildren, a `multi`'s check).
pub const READ_NS: u64 = 10_000;
/// Per znode written (create, setData, delete): the change and its transaction-log append.
pub const WRITE_NS: u64 = 40_000;

/// The requests waiting for the server, and the server's time.
#[derive(Clone, Debug, Default)]
pub struct ZkService {
    server: Server,
    /// Admitted requests not yet handled, in arrival order (one `Serve` timer each).
    pending: VecDeque<(NodeId, KafkaMsg)>,
}

/// The server time a batch of calls takes (ns).
pub fn cost(calls: &[ZkCall]) -> u64 {
    calls
        .iter()
        .map(|c| {
            REQUEST_NS
                + match c {
                    ZkCall::GetData { .. } | ZkCall::Exists { .. } | ZkCall::GetChildren { .. } => READ_NS,
                    ZkCall::Create { .. } | ZkCall::SetData { .. } => WRITE_NS,
                    ZkCall::Multi(ops) => {
                        ops.iter().map(|op| if matches!(op, Op::Check { .. }) { READ_NS } else { WRITE_NS }).sum()
                    }
                }
        })
        .sum()
}

impl ZkService {
    /// A request arrives now: it waits for the requests before it and takes its own time. Returns
    /// how long until it is handled (rounded up to the clock's µs).
    pub fn admit(&mut self, now: Time, from: NodeId, msg: KafkaMsg, work: u64) -> Time {
        let done = self.server.serve(now.0 * 1000, work);
        self.pending.push_back((from, msg));
        Time(done.div_ceil(1000)).saturating_sub(now)
    }

    /// The oldest waiting request, its time served.
    pub fn served(&mut self) -> Option<(NodeId, KafkaMsg)> {
        self.pending.pop_front()
    }

    /// Requests waiting (or being served).
    pub fn queued(&self) -> usize {
        self.pending.len()
    }

    /// A crash loses what was waiting (the connections it came on are reset).
    pub fn clear(&mut self) {
        *self = ZkService::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(calls: Vec<ZkCall>) -> KafkaMsg {
        KafkaMsg::ZkCall { session: 1, id: 0, calls }
    }

    #[test]
    fn costs_count_requests_and_znodes() {
        let read = ZkCall::GetData { path: "/a".into(), watch: false };
        assert_eq!(cost(&[read.clone(), read]), 2 * (REQUEST_NS + READ_NS));
        let set = Op::SetData { path: "/a".into(), data: String::new(), version: None };
        let multi = ZkCall::Multi(vec![Op::Check { path: "/c".into(), version: 1 }, set.clone(), set]);
        assert_eq!(cost(&[multi]), REQUEST_NS + READ_NS + 2 * WRITE_NS);
    }

    #[test]
    fn requests_queue_in_arrival_order() {
        let mut s = ZkService::default();
        let n = NodeId(3);
        // 1 000 reads take 30 ms; a request right behind them waits for all of them.
        let reads = vec![ZkCall::GetData { path: "/a".into(), watch: false }; 1000];
        assert_eq!(
            s.admit(Time::ZERO, n, call(reads), cost(&[ZkCall::Exists { path: "/a".into(), watch: false }]) * 1000),
            Time::ms(30)
        );
        let ping = vec![ZkCall::Exists { path: "/b".into(), watch: false }];
        let w = cost(&ping);
        assert_eq!(s.admit(Time::ms(10), n, call(ping), w), Time::ms(20) + Time(30));
        assert_eq!(s.queued(), 2);
        assert!(matches!(s.served(), Some((_, KafkaMsg::ZkCall { calls, .. })) if calls.len() == 1000));
        // Idle again later: no wait beyond its own time.
        assert_eq!(s.admit(Time::secs(1), n, call(vec![]), 0), Time::ZERO);
    }
}
