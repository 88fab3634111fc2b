//! "Why KRaft": the same failure in ZooKeeper mode and KRaft mode, recovery against partitions
//! (`engine::compare::failover`). The shape, over seeds: in ZooKeeper mode the work after the
//! failure is noticed grows with the partitions (the new controller reads every partition's state
//! back, and every changed state is written before the brokers hear of it); in KRaft mode it stays
//! nearly flat (the new active controller already holds the metadata log).

use brokerlab_engine::compare::failover::{FailoverRun, Failure, Mode, Recovery};
use brokerlab_engine::Time;

fn run(mode: Mode, failure: Failure, partitions: u32, seed: u64) -> Recovery {
    let r = FailoverRun::run(mode, failure, partitions, seed)
        .unwrap_or_else(|e| panic!("SEED={seed} {mode:?} {failure:?} {partitions}: {e}"));
    eprintln!("SEED={seed} {mode:?} {failure:?} {partitions}: {r:?}");
    r
}

fn after(r: &Recovery, t: Option<Time>) -> Time {
    t.expect("measured").saturating_sub(r.detected.expect("noticed"))
}

const SEEDS: [u64; 3] = [1, 2, 3];

#[test]
fn zookeeper_controller_failover_grows_with_partitions_kraft_does_not() {
    for seed in SEEDS {
        let (zk_small, zk_big) = (
            run(Mode::ZooKeeper, Failure::ControllerDies, 100, seed),
            run(Mode::ZooKeeper, Failure::ControllerDies, 1000, seed),
        );
        // The new controller reads 1 000 states back: tens of milliseconds more than for 100.
        let (load_small, load_big) =
            (after(&zk_small, zk_small.controller_active), after(&zk_big, zk_big.controller_active));
        assert!(load_big >= load_small + Time::ms(20), "SEED={seed} load {load_small} → {load_big}");
        let (lead_small, lead_big) = (after(&zk_small, zk_small.leaders_back), after(&zk_big, zk_big.leaders_back));
        assert!(lead_big >= lead_small + Time::ms(40), "SEED={seed} leaders {lead_small} → {lead_big}");
        assert!(zk_big.affected > 300 && zk_small.affected > 20, "SEED={seed}: the controller broker led a third");
        // The producer writes again once its partitions have new leaders.
        assert!(zk_big.producers_back.expect("measured") >= zk_big.leaders_back.expect("measured"));

        let (kr_small, kr_big) = (
            run(Mode::Kraft, Failure::ControllerDies, 100, seed),
            run(Mode::Kraft, Failure::ControllerDies, 1000, seed),
        );
        // A KRaft controller is no broker: no partition loses its leader, and the election
        // takes as long whatever the partitions.
        assert_eq!((kr_small.affected, kr_big.affected), (0, 0));
        let (a, b) = (kr_small.controller_active.expect("elected"), kr_big.controller_active.expect("elected"));
        assert!(b.0.abs_diff(a.0) <= Time::ms(5).0, "SEED={seed} KRaft election {a} vs {b}");
        // And it is noticed and over well before ZooKeeper's session timeout runs out.
        assert!(b < zk_big.detected.expect("noticed"), "SEED={seed}");
    }
}

#[test]
fn a_cut_off_broker_loses_its_leaderships_zookeeper_writes_grow_kraft_does_not() {
    for seed in SEEDS {
        let zk = [100, 1000].map(|p| run(Mode::ZooKeeper, Failure::BrokerCutOff, p, seed));
        let kr = [100, 1000].map(|p| run(Mode::Kraft, Failure::BrokerCutOff, p, seed));
        let zk_lead = zk.each_ref().map(|r| after(r, r.leaders_back));
        let kr_lead = kr.each_ref().map(|r| after(r, r.leaders_back));
        assert!(zk_lead[1] >= zk_lead[0] + Time::ms(20), "SEED={seed} ZooKeeper {zk_lead:?}");
        // KRaft: the brokers learn the new leaders from the metadata log, within about one
        // metadata fetch wait (500 ms) whatever the partitions.
        assert!(kr_lead.iter().all(|t| *t <= Time::ms(700)), "SEED={seed} KRaft {kr_lead:?}");
        // Noticed after the session timeouts: ZooKeeper's 18 s, KRaft's 9 s (from the last
        // heartbeat or ping, which came before the cut).
        for r in &zk {
            let d = r.detected.expect("noticed");
            assert!(d > Time::secs(12) && d <= Time::secs(18), "SEED={seed} {d}");
        }
        for r in &kr {
            let d = r.detected.expect("noticed");
            assert!(d > Time::secs(6) && d <= Time::secs(9), "SEED={seed} {d}");
        }
        for r in zk.iter().chain(&kr) {
            assert!(r.affected > 20 && r.controller_active.is_none(), "SEED={seed} {r:?}");
        }
    }
}
