use super::*;
use std::collections::BTreeMap;

const LAG: Time = Time::secs(30);

/// Three replicas of one partition on brokers 1, 2, 3, wired by direct calls. The "controller"
/// here is the test: it elects from the ISR the leaders report, as Kafka's controller does.
struct Trio {
    r: BTreeMap<BrokerId, Replica>,
    isr: Vec<BrokerId>,
    epoch: u32,
    leader: BrokerId,
    now: Time,
    acked: Vec<(u64, u64)>,
    next_id: u64,
}

impl Trio {
    fn new(min_isr: u32) -> Trio {
        let config = Config { min_insync_replicas: min_isr, replica_lag_time_max: LAG, ..Config::default() };
        let mut r: BTreeMap<BrokerId, Replica> = (1..=3).map(|b| (b, Replica::new(b, vec![1, 2, 3], config))).collect();
        r.get_mut(&1).unwrap().become_leader(0, vec![1, 2, 3], 0, Time::ZERO);
        for b in [2, 3] {
            r.get_mut(&b).unwrap().become_follower(0, 1);
        }
        Trio { r, isr: vec![1, 2, 3], epoch: 0, leader: 1, now: Time::ZERO, acked: vec![], next_id: 0 }
    }

    fn leader(&mut self) -> &mut Replica {
        self.r.get_mut(&self.leader).unwrap()
    }

    fn leader_state(&self) -> &LeaderState {
        let Role::Leader(l) = &self.r[&self.leader].role else { panic!("broker {} leads", self.leader) };
        l
    }

    /// The controller accepts every ISR change at once (AlterPartition answered).
    fn note(&mut self, change: Option<IsrChange>) {
        if let Some(c) = change {
            self.isr = c.isr.clone();
            let next = self.leader_state().partition_epoch + 1;
            self.leader().commit_isr(c.isr, next);
        }
    }

    fn collect_acks(&mut self) {
        let done = self.leader().take_completed();
        for (id, result) in done {
            if let Ok(base) = result {
                self.acked.push((base, id));
            }
        }
    }

    /// Produce one record whose value is its request id.
    fn produce(&mut self, acks: Acks) -> ProduceOutcome {
        let id = self.next_id;
        self.next_id += 1;
        let now = self.now;
        let out = self.leader().produce(id, acks, &[(None, id)], now);
        if let ProduceOutcome::Done(Ok(base)) = out {
            if acks == Acks::All {
                self.acked.push((base, id));
            }
        }
        out
    }

    fn fetch(&mut self, follower: BrokerId) {
        let (offset, last) = self.r[&follower].fetch_request();
        let epoch = self.r[&follower].epoch;
        let now = self.now;
        let leader = self.leader;
        let (resp, change) = self.r.get_mut(&leader).unwrap().handle_fetch(follower, epoch, offset, last, now);
        self.note(change);
        self.collect_acks();
        self.r.get_mut(&follower).unwrap().handle_fetch_response(&resp);
    }

    fn round(&mut self) {
        for b in [1, 2, 3] {
            if b != self.leader && matches!(self.r[&b].role, Role::Follower { .. }) {
                self.fetch(b);
            }
        }
    }

    fn tick(&mut self, by: Time) {
        self.now += by;
        let now = self.now;
        let change = self.leader().check_isr(now);
        self.note(change);
        self.collect_acks();
    }

    /// The leader's broker dies; the controller elects the first live ISR member in assignment order.
    fn fail_leader(&mut self) -> Option<BrokerId> {
        let dead = self.leader;
        self.r.get_mut(&dead).unwrap().go_offline();
        let next = self.isr.iter().copied().find(|&b| b != dead)?;
        self.epoch += 1;
        self.isr.retain(|&b| b != dead);
        self.leader = next;
        let (epoch, isr, now) = (self.epoch, self.isr.clone(), self.now);
        self.r.get_mut(&next).unwrap().become_leader(epoch, isr, 0, now);
        for b in [1, 2, 3] {
            if b != next && b != dead {
                self.r.get_mut(&b).unwrap().become_follower(epoch, next);
            }
        }
        Some(dead)
    }

    fn restart(&mut self, b: BrokerId) {
        let (epoch, leader) = (self.epoch, self.leader);
        self.r.get_mut(&b).unwrap().become_follower(epoch, leader);
    }

    fn values(&self, b: BrokerId) -> Vec<u64> {
        self.r[&b].log.records().map(|r| r.value).collect()
    }
}

#[test]
fn acks_all_waits_for_the_isr_and_the_hw_follows_one_fetch_behind() {
    let mut t = Trio::new(2);
    assert!(matches!(t.produce(Acks::All), ProduceOutcome::Waiting { base_offset: 0 }));
    t.round(); // followers fetch offset 0 and receive the record
    assert_eq!(t.r[&1].log.hw(), 0, "the leader learns follower LEOs on their next fetch");
    assert!(t.acked.is_empty());
    t.round(); // fetch offset 1: the leader sees both have it
    assert_eq!(t.r[&1].log.hw(), 1);
    assert_eq!(t.acked, vec![(0, 0)]);
    // 2 fetched before 3 had reported, so only 3's response carried HW 1; 2 learns it next time.
    assert_eq!((t.r[&2].log.hw(), t.r[&3].log.hw()), (0, 1));
    t.round();
    assert_eq!(t.r[&2].log.hw(), 1, "the HW reaches followers in fetch responses");
}

#[test]
fn acks_1_answers_at_once_and_acks_0_too() {
    let mut t = Trio::new(2);
    assert_eq!(t.produce(Acks::Leader), ProduceOutcome::Done(Ok(0)));
    assert_eq!(t.produce(Acks::None), ProduceOutcome::Done(Ok(1)));
    assert_eq!(t.r[&1].log.hw(), 0, "not committed until the ISR has it");
}

#[test]
fn lagging_followers_leave_the_isr_after_replica_lag_time_max_and_rejoin() {
    let mut t = Trio::new(2);
    t.produce(Acks::Leader);
    t.round();
    t.round();
    // Broker 3 stops fetching; 2 keeps up.
    for _ in 0..31 {
        t.produce(Acks::Leader);
        t.fetch(2);
        t.fetch(2);
        t.tick(Time::secs(1));
    }
    assert_eq!(t.isr, vec![1, 2], "3 has not caught up for more than 30 s");
    // Back: it catches up and is added again.
    t.fetch(3);
    t.fetch(3);
    assert_eq!(t.isr, vec![1, 2, 3]);
}

#[test]
fn an_unconfirmed_shrink_does_not_let_the_hw_pass_the_dropped_follower() {
    // KIP-497: until the controller confirms the shrink, the dropped follower still counts for the
    // HW, so nothing it lacks is acknowledged.
    let mut t = Trio::new(2);
    t.produce(Acks::Leader);
    t.round();
    t.round();
    t.produce(Acks::Leader); // offset 1: nobody fetches it
    let now = t.now + Time::secs(31);
    t.now = now;
    let proposal = t.leader().check_isr(now).expect("both followers lag");
    assert_eq!(proposal.isr, vec![1]);
    assert_eq!(t.r[&1].isr(), Some(&[1, 2, 3][..]), "not committed yet");
    assert!(matches!(t.produce(Acks::All), ProduceOutcome::Waiting { .. }));
    assert_eq!(t.r[&1].log.hw(), 1, "the HW waits for the replicas still in the maximal ISR");
    t.leader().commit_isr(vec![1], 1);
    assert_eq!(t.r[&1].log.hw(), 1, "committed ISR [1] is below min.insync.replicas=2: no advance");
}

#[test]
fn not_enough_replicas_when_the_isr_is_below_min_insync() {
    let mut t = Trio::new(2);
    t.tick(Time::secs(1));
    t.produce(Acks::Leader);
    t.tick(Time::secs(31)); // nobody fetched: both followers drop out
    assert_eq!(t.isr, vec![1]);
    assert_eq!(t.produce(Acks::All), ProduceOutcome::Done(Err(Error::NotEnoughReplicas)));
    let leo = t.r[&1].log.leo();
    assert_eq!(leo, 1, "a refused acks=all produce appends nothing");
    assert_eq!(t.produce(Acks::Leader), ProduceOutcome::Done(Ok(1)));
    assert_eq!(t.r[&1].log.hw(), 0, "the HW does not advance while ISR < min.insync.replicas");
}

#[test]
fn single_replica_isr_commits_at_once_with_min_isr_1() {
    let mut t = Trio::new(1);
    t.tick(Time::secs(31));
    assert_eq!(t.isr, vec![1, 2, 3], "followers with the leader's LEO are in sync without fetching");
    t.produce(Acks::Leader);
    t.tick(Time::secs(31));
    assert_eq!(t.isr, vec![1]);
    assert_eq!(t.r[&1].log.hw(), 1, "a one-member ISR commits at once");
    assert_eq!(t.produce(Acks::All), ProduceOutcome::Done(Ok(1)));
    assert_eq!(t.r[&1].log.hw(), 2);
}

#[test]
fn kip_101_follower_truncates_by_leader_epoch_not_hw() {
    // Leader 1 has offset 1 that nobody replicated; it dies; 2 leads epoch 1 and writes a different
    // offset 1. When 1 returns it must drop its offset 1 and take 2's.
    let mut t = Trio::new(1);
    t.produce(Acks::All);
    t.round();
    t.round();
    t.produce(Acks::Leader); // value 1, only on broker 1
    assert_eq!(t.values(1), vec![0, 1]);
    t.fail_leader();
    assert_eq!(t.leader, 2);
    t.produce(Acks::Leader); // value 2 at offset 1, epoch 1
    t.restart(1);
    t.fetch(1); // diverging: leader's epoch 0 ends at 1
    assert_eq!(t.values(1), vec![0], "truncated to where epoch 0 ends on the new leader");
    t.fetch(1);
    assert_eq!(t.values(1), vec![0, 2]);
    assert_eq!(t.r[&1].log.epoch_cache(), t.r[&2].log.epoch_cache());
}

#[test]
fn stale_epochs_are_fenced() {
    let mut t = Trio::new(1);
    let (offset, last) = t.r[&2].fetch_request();
    t.fail_leader();
    let now = t.now;
    let leader = t.leader;
    let (resp, _) = t.r.get_mut(&leader).unwrap().handle_fetch(3, 0, offset, last, now);
    assert_eq!(resp, FetchResponse::Error(Error::FencedLeaderEpoch));
    assert_eq!(
        t.r.get_mut(&1).unwrap().produce(99, Acks::Leader, &[(None, 1)], now),
        ProduceOutcome::Done(Err(Error::NotLeaderOrFollower)),
        "the old leader no longer accepts writes"
    );
}

#[test]
fn pending_acks_fail_when_leadership_moves() {
    let mut t = Trio::new(2);
    assert!(matches!(t.produce(Acks::All), ProduceOutcome::Waiting { .. }));
    t.r.get_mut(&1).unwrap().become_follower(1, 2);
    assert_eq!(t.r.get_mut(&1).unwrap().take_completed(), vec![(0, Err(Error::NotLeaderOrFollower))]);
}

/// Swarm: random produces, fetches, time, and leader failures (one broker down at a time, clean
/// election from the ISR). With acks=all and min.insync.replicas=2, no acknowledged record is lost,
/// and every replica agrees with the leader below its own HW.
#[test]
fn no_acknowledged_record_is_lost_with_acks_all_and_min_isr_2() {
    use crate::rng::Rng;
    for seed in 0..300u64 {
        let mut rng = Rng::new(seed);
        let mut t = Trio::new(2);
        let mut down: Option<BrokerId> = None;
        for _ in 0..400 {
            match rng.below(10) {
                0..=2 => {
                    t.produce(Acks::All);
                }
                3..=6 => {
                    let b = rng.between(1, 3) as BrokerId;
                    if b != t.leader && Some(b) != down {
                        t.fetch(b);
                    }
                }
                7 => t.tick(Time::secs(rng.between(1, 20))),
                8 if down.is_none() && t.isr.len() >= 2 => down = t.fail_leader(),
                9 => {
                    if let Some(b) = down.take() {
                        t.restart(b);
                    }
                }
                _ => {}
            }
            let leader_log = &t.r[&t.leader].log;
            for &(offset, value) in &t.acked {
                assert_eq!(
                    leader_log.get(offset).map(|r| r.value),
                    Some(value),
                    "SEED={seed}: acknowledged offset {offset} lost on leader {}",
                    t.leader
                );
            }
            for (b, r) in &t.r {
                if Some(*b) == down {
                    continue;
                }
                for o in r.log.log_start()..r.log.hw() {
                    assert_eq!(
                        r.log.get(o).map(|x| (x.value, x.epoch)),
                        leader_log.get(o).map(|x| (x.value, x.epoch)),
                        "SEED={seed}: broker {b} disagrees with the leader below its HW at {o}"
                    );
                }
            }
        }
    }
}

/// The other side: with acks=1 a leader failure does lose acknowledged records, and the test finds
/// a seed that shows it.
#[test]
fn acks_1_can_lose_acknowledged_records() {
    let mut t = Trio::new(1);
    assert_eq!(t.produce(Acks::Leader), ProduceOutcome::Done(Ok(0)));
    t.fail_leader(); // before any follower fetched
    t.restart(1);
    t.produce(Acks::Leader);
    t.fetch(1);
    t.fetch(1);
    assert_ne!(t.values(1).first(), Some(&0), "the record acked by the old leader is gone everywhere");
}

/// A follower whose log ends below the leader's log start (retention ran while it was away) is
/// answered OFFSET_OUT_OF_RANGE, empties its log and starts again at the leader's log start
/// (`AbstractFetcherThread.fetchOffsetAndTruncate`), then catches up. Before, the leader sent
/// records from its log start, the follower ignored them as not continuing its log, and the two
/// looped for ever.
#[test]
fn a_follower_behind_the_leaders_log_start_starts_again_there() {
    let mut t = Trio::new(1);
    for b in [1, 2, 3] {
        t.r.get_mut(&b).unwrap().log.config.segment_bytes = 1000;
    }
    t.r.get_mut(&3).unwrap().go_offline();
    for _ in 0..25 {
        t.produce(Acks::Leader);
        t.fetch(2);
    }
    t.fetch(2);
    t.tick(LAG + Time::ms(1));
    assert_eq!(t.isr, vec![1, 2], "3 left the ISR");
    t.fetch(2);
    assert_eq!(t.r[&1].log.hw(), 25);
    t.now += Time::secs(1);
    let now = t.now;
    for b in [1, 2] {
        t.r.get_mut(&b).unwrap().log.apply_retention(now, Some(Time::ms(1)), None);
    }
    let start = t.r[&1].log.log_start();
    assert!(start >= 20, "retention deleted the old segments: log start {start}");
    t.restart(3);
    for _ in 0..3 {
        t.fetch(3);
    }
    assert_eq!(t.r[&3].log.log_start(), start);
    assert_eq!(t.r[&3].log.leo(), 25);
    assert_eq!(t.values(3), t.values(1));
}
