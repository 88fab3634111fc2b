//! A leader naming a preferred read replica for a consumer's fetch (KIP-392,
//! `ReplicaManager.findPreferredReadReplica`): with `RackAwareReplicaSelector`, a follower in the
//! consumer's rack that is in the ISR and has the fetch offset; the consumer then fetches there,
//! and the follower serves it up to its own high watermark (`fetch_serving::serve_fetch`).

use super::Broker;
use crate::kafka::msg::Tp;
use crate::kafka::partition::{BrokerId, Role};
use crate::kafka::rack::{self, RackId, ReplicaView};
use crate::time::Time;

impl Broker {
    /// The replica that should serve a consumer's fetch of `tp` at `offset` instead of this
    /// leader, if the replica selector names one. Followers out of the ISR or behind the fetch
    /// offset are never offered (Kafka: "the follower may lag behind"); the leader is never sent.
    pub(super) fn preferred_read_replica(
        &self,
        tp: Tp,
        client: Option<RackId>,
        offset: u64,
        now: Time,
    ) -> Option<BrokerId> {
        let racks = &self.cluster.racks;
        if !racks.selector || client.is_none() {
            return None;
        }
        let r = self.replicas.get(&tp)?;
        let Role::Leader(l) = &r.role else { return None };
        let leader = ReplicaView { broker: self.id, leo: r.log.leo(), since_caught_up: Time::ZERO };
        let followers: Vec<ReplicaView> = l
            .followers
            .iter()
            .filter(|(b, f)| l.isr.contains(b) && f.leo >= offset)
            .map(|(&broker, f)| ReplicaView {
                broker,
                leo: f.leo,
                since_caught_up: now.saturating_sub(f.last_caught_up),
            })
            .collect();
        rack::select(racks, client, leader, &followers)
    }
}
