use super::super::testkit::{broker, cluster, view, Harness, TP};
use super::*;

const TP1: Tp = Tp { topic: 0, partition: 1 };

/// A controller that knows `partitions` and sees `live`.
fn controlling(partitions: Vec<PartitionView>, live: &[BrokerId]) -> Controller {
    let mut c = Controller::new(1);
    c.live = live.to_vec();
    for v in partitions {
        c.partitions.insert(v.tp, v);
    }
    c
}

/// `c` sees `live` now; no topics to create.
fn change(c: &mut Controller, live: &[BrokerId], unclean: bool) -> BrokersChanged {
    c.brokers_changed(live.to_vec(), false, (&[], &Racks::default()), unclean, &mut Rng::new(1))
}

/// `v` in partition epoch `pe`.
fn at(v: PartitionView, pe: u32) -> PartitionView {
    PartitionView { partition_epoch: pe, ..v }
}

fn elected(tp: Tp, leader: BrokerId, epoch: u32, isr: &[BrokerId], unclean: bool) -> KafkaEvent {
    KafkaEvent::LeaderElected { tp, leader, epoch, isr: BrokerSet::of(isr), unclean }
}

#[test]
fn a_lost_leader_is_replaced_from_the_isr_in_the_next_epoch() {
    // TP1's ISR lacks broker 2: its new leader is 3, though 2 comes first in the assignment.
    let mut c = controlling(vec![view(TP, Some(1), 4, vec![1, 2, 3]), view(TP1, Some(1), 2, vec![1, 3])], &[1, 2, 3]);
    let ch = change(&mut c, &[2, 3], false);
    assert_eq!(c.partitions[&TP], at(view(TP, Some(2), 5, vec![2, 3]), 1));
    assert_eq!(c.partitions[&TP1], at(view(TP1, Some(3), 3, vec![3]), 1));
    let want =
        vec![KafkaEvent::BrokerLost { broker: 1 }, elected(TP, 2, 5, &[2, 3], false), elected(TP1, 3, 3, &[3], false)];
    assert_eq!(ch, BrokersChanged { events: want, joined: vec![], created: vec![], changed: vec![TP, TP1] });
    assert_eq!(c.live, vec![2, 3]);
}

#[test]
fn a_leader_outside_the_isr_is_elected_only_when_unclean_election_is_enabled() {
    let last_in_sync = || controlling(vec![view(TP, Some(1), 4, vec![1])], &[1, 2, 3]);
    let mut clean = last_in_sync();
    let ch = change(&mut clean, &[2, 3], false);
    assert_eq!(ch.events[1..], [KafkaEvent::PartitionOffline { tp: TP }]);
    assert_eq!(ch.changed, vec![TP]);
    assert_eq!(clean.partitions[&TP], at(view(TP, None, 4, vec![1]), 1), "offline, its epoch and ISR kept");
    // Still offline when another broker goes: nothing more to say or write.
    let again = change(&mut clean, &[2], false);
    assert_eq!((again.events.len(), again.changed.len()), (1, 0));

    let mut unclean = last_in_sync();
    let ch = change(&mut unclean, &[2, 3], true);
    assert_eq!(ch.events[1..], [elected(TP, 2, 5, &[2], true)]);
    assert_eq!(unclean.partitions[&TP], at(view(TP, Some(2), 5, vec![2]), 1));
}

#[test]
fn a_lost_follower_leaves_the_isr_and_the_epoch_goes_up() {
    let mut c = controlling(vec![view(TP, Some(1), 4, vec![1, 2, 3]), view(TP1, Some(2), 0, vec![2])], &[1, 2, 3]);
    let ch = change(&mut c, &[1, 2], false);
    assert_eq!(c.partitions[&TP], at(view(TP, Some(1), 5, vec![1, 2]), 1));
    assert_eq!(c.partitions[&TP1], view(TP1, Some(2), 0, vec![2]), "3 was not in its ISR: unchanged");
    let shrunk = KafkaEvent::OfflineReplicasRemoved { tp: TP, isr: BrokerSet::of(&[1, 2]) };
    assert_eq!(ch.events, vec![KafkaEvent::BrokerLost { broker: 3 }, shrunk], "no election");
    assert_eq!(ch.changed, vec![TP]);
    // A broker coming back joins no ISR by itself (its leader adds it once caught up), but it is
    // told about every partition it holds.
    let back = change(&mut c, &[1, 2, 3], false);
    assert_eq!(back.joined, vec![3]);
    assert!(back.changed.is_empty() && back.events.is_empty());
    assert_eq!(c.leader_and_isr(&back), vec![(3, c.partitions.values().cloned().collect())]);
}

/// A new controller (`onControllerFailover`) reads the partition states and the live brokers; its
/// replica state machine's startup moves every replica on a dead broker to OfflineReplica, which
/// takes it out of the ISR (epoch + 1) even where the leader lives. Before, only partitions whose
/// leader was dead were handled, and acks=all waited for the leaders to shrink their ISRs.
#[test]
fn a_new_controller_takes_dead_brokers_out_of_the_isrs() {
    let mut c = Controller::new(2);
    c.partitions.insert(TP, view(TP, Some(1), 4, vec![1, 2, 3]));
    c.partitions.insert(TP1, view(TP1, Some(2), 0, vec![2]));
    let ch = c.brokers_changed(vec![1, 2], true, (&[], &Racks::default()), false, &mut Rng::new(1));
    assert_eq!(c.partitions[&TP], at(view(TP, Some(1), 5, vec![1, 2]), 1));
    assert_eq!(c.partitions[&TP1], view(TP1, Some(2), 0, vec![2]), "3 was not in its ISR: unchanged");
    assert_eq!(ch.changed, vec![TP]);
    let shrunk = KafkaEvent::OfflineReplicasRemoved { tp: TP, isr: BrokerSet::of(&[1, 2]) };
    assert_eq!(ch.events, vec![shrunk], "no broker lost while this controller watched, one ISR shrunk");
}

#[test]
fn topics_are_created_once_replication_factor_brokers_are_live() {
    let topics = &cluster().topics;
    let mut c = Controller::new(1);
    let mut rng = Rng::new(1);
    let ch = c.brokers_changed(vec![1, 2], true, (topics, &Racks::default()), false, &mut rng);
    assert_eq!(ch, BrokersChanged { joined: vec![1, 2], ..BrokersChanged::default() }, "RF 3 needs 3 brokers");
    assert_eq!(rng, Rng::new(1), "no placement drawn");
    let ch = c.brokers_changed(vec![1, 2, 3], false, (topics, &Racks::default()), false, &mut rng);
    let all = vec![TP, TP1, Tp { topic: 1, partition: 0 }, Tp { topic: 2, partition: 0 }];
    assert_eq!((ch.created, ch.joined), (all.clone(), vec![3]));
    for (tp, e) in all.iter().zip(&ch.events) {
        let v = &c.partitions[tp];
        assert_eq!((v.leader_epoch, v.isr.len(), v.leader), (0, 3, v.replicas.first().copied()));
        assert_eq!(*e, elected(*tp, v.replicas[0], 0, &v.replicas, false));
    }
}

#[test]
fn writes_are_checked_against_the_epoch_and_name_what_changed() {
    let cluster = cluster();
    let mut c = controlling(vec![view(TP, Some(1), 4, vec![1, 2, 3])], &[1, 2, 3]);
    c.epoch_version = 9;
    let ch = BrokersChanged { created: vec![TP1], changed: vec![TP], ..BrokersChanged::default() };
    c.partitions.insert(TP1, view(TP1, Some(2), 0, vec![2, 3]));
    let paths: Vec<String> = c
        .writes(&ch, &cluster)
        .into_iter()
        .map(|op| match op {
            Op::Check { path, version } => format!("check {path} {version}"),
            Op::Create { path, .. } => format!("create {path}"),
            Op::SetData { path, data, .. } => format!("set {path} {data}"),
            Op::Delete { path, .. } => format!("delete {path}"),
        })
        .collect();
    assert_eq!(
        paths,
        [
            "check /controller_epoch 9",
            "create /brokers/topics/t/partitions/1",
            "create /brokers/topics/t/partitions/1/state",
            "set /brokers/topics/t/partitions/0/state leader=1;epoch=4;version=0;isr=1,2,3;replicas=1,2,3",
        ]
    );
}

#[test]
fn only_the_current_leader_of_the_current_epoch_may_change_the_isr() {
    let mut c = controlling(vec![at(view(TP, Some(2), 3, vec![1, 2, 3]), 5)], &[1, 2, 3]);
    let refused = IsrRequest::Refused;
    assert_eq!(c.isr_request(1, TP, (3, 5), vec![1, 2]), refused(Error::FencedLeaderEpoch), "a follower");
    assert_eq!(c.isr_request(2, TP, (2, 5), vec![1, 2]), refused(Error::FencedLeaderEpoch), "an older epoch");
    assert_eq!(c.isr_request(2, TP, (4, 5), vec![2]), refused(Error::NotController), "a newer epoch");
    assert_eq!(c.isr_request(2, TP, (3, 6), vec![2]), refused(Error::NotController), "a newer state");
    assert_eq!(c.isr_request(2, TP1, (0, 0), vec![2]), refused(Error::UnknownTopicOrPartition));
    assert_eq!(c.isr_request(2, TP, (3, 5), vec![1, 2, 3, 7]), IsrRequest::Unchanged(vec![1, 2, 3], 5));
    // A retry of what already holds is answered with it, even from an older partition epoch...
    assert_eq!(c.isr_request(2, TP, (3, 4), vec![1, 2, 3]), IsrRequest::Unchanged(vec![1, 2, 3], 5));
    // ...but a change proposed from an older state is refused: the state moved since.
    assert_eq!(c.isr_request(2, TP, (3, 4), vec![2, 3]), refused(Error::InvalidUpdateVersion));
    assert_eq!(c.isr_request(2, TP, (3, 5), vec![2, 3]), IsrRequest::Write(at(view(TP, Some(2), 3, vec![2, 3]), 6)));
    c.live = vec![2, 3];
    assert_eq!(c.isr_request(2, TP, (3, 5), vec![1, 2]), refused(Error::IneligibleReplica), "1 is not alive");
    // A write that lands after a new election does not count.
    assert!(!c.isr_written(TP, 2, (&[2], 6)));
    assert!(c.isr_written(TP, 3, (&[2, 3], 6)));
    assert_eq!((c.partitions[&TP].isr.clone(), c.partitions[&TP].partition_epoch), (vec![2, 3], 6));
}

/// The one coordinator request in `sent`: its id and calls.
fn request(sent: &[(NodeId, KafkaMsg)]) -> (u64, Vec<ZkCall>) {
    let mut calls = sent.iter().filter_map(|(_, m)| match m {
        KafkaMsg::ZkCall { id, calls, .. } => Some((*id, calls.clone())),
        _ => None,
    });
    let one = calls.next().expect("a coordinator request");
    assert!(calls.next().is_none(), "only one coordinator request");
    one
}

#[test]
fn an_isr_change_is_answered_only_once_written() {
    let mut h = Harness::default();
    let mut b = broker(1);
    b.controller = Some(controlling(vec![view(TP, Some(2), 3, vec![1, 2, 3])], &[1, 2, 3]));
    let ask = KafkaMsg::AlterPartition { tp: TP, leader_epoch: 3, partition_epoch: 0, isr: vec![2, 3] };
    h.message(&mut b, NodeId(2), ask);
    let asked = h.take();
    let (id, calls) = request(&asked.sent);
    assert_eq!(asked.sent.len(), 1, "no answer before the write");
    assert!(matches!(&calls[..], [ZkCall::Multi(ops)] if matches!(ops[0], Op::Check { .. }) && ops.len() == 2));
    assert_eq!(b.controller.as_ref().unwrap().partitions[&TP].isr, vec![1, 2, 3], "not before the write");
    h.message(&mut b, NodeId(0), KafkaMsg::ZkReply { id, results: vec![ZkResult::Done, ZkResult::Done] });
    let written = h.take();
    let answer = KafkaMsg::AlterPartitionResponse { tp: TP, leader_epoch: 3, result: Ok((vec![2, 3], 1)) };
    assert_eq!(written.sent[0], (NodeId(2), answer));
    let metadata = written.sent[1..].iter().filter(|(_, m)| matches!(m, KafkaMsg::UpdateMetadata { .. }));
    assert_eq!(metadata.count(), 3, "every live broker hears the new ISR");
}

#[test]
fn a_controller_whose_write_is_refused_resigns_and_watches_the_next() {
    let mut h = Harness::default();
    let mut b = broker(1);
    b.controller = Some(Controller::new(2));
    // Every broker registered: the controller creates every topic.
    h.on(&mut b, |b, ctx| b.controller_brokers_changed(ctx, vec![1, 2, 3], true));
    let e = h.take();
    assert_eq!(e.events.len(), 4, "a leader for each of the four partitions");
    let (id, calls) = request(&e.sent);
    let [ZkCall::Multi(ops)] = &calls[..] else { panic!("one multi: {calls:?}") };
    assert_eq!(ops[0], Op::Check { path: "/controller_epoch".into(), version: 2 });
    // The brokers hear of the new states only once they are written (`ZkPartitionStateMachine`).
    assert_eq!(e.sent.len(), 1, "only the write: {:?}", e.sent);
    // Another controller has bumped the epoch since: the write fails, this one steps down, and
    // no broker hears of what it had decided.
    let results = vec![ZkResult::Err(ZkError::BadVersion)];
    h.message(&mut b, NodeId(0), KafkaMsg::ZkReply { id, results });
    assert!(b.controller.is_none());
    let sent = h.take().sent;
    assert!(!sent.iter().any(|(_, m)| matches!(m, KafkaMsg::LeaderAndIsr { .. } | KafkaMsg::UpdateMetadata { .. })));
    let (_, calls) = request(&sent);
    assert_eq!(calls, vec![ZkCall::Exists { path: "/controller".into(), watch: true }]);
}

#[test]
fn leader_and_isr_goes_out_once_the_states_are_written() {
    let mut h = Harness::default();
    let mut b = broker(1);
    b.controller = Some(Controller::new(2));
    h.on(&mut b, |b, ctx| b.controller_brokers_changed(ctx, vec![1, 2, 3], true));
    let (id, _) = request(&h.take().sent);
    let n = |i: usize| vec![ZkResult::Done; i];
    h.message(&mut b, NodeId(0), KafkaMsg::ZkReply { id, results: n(1) });
    let sent = h.take().sent;
    let told = |kind: fn(&KafkaMsg) -> bool| sent.iter().filter(|(_, m)| kind(m)).count();
    assert_eq!(told(|m| matches!(m, KafkaMsg::LeaderAndIsr { controller_epoch: 2, .. })), 3);
    assert_eq!(told(|m| matches!(m, KafkaMsg::UpdateMetadata { controller_epoch: 2, .. })), 3);
}
