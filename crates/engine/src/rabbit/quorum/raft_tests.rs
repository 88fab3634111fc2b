//! Unit tests of the Ra-style member, then a swarm: groups of 3 and 5 members under random node
//! crashes, restarts and partitions, checked after every step for Raft's safety properties.

use super::*;
use crate::rng::Rng;
use std::collections::BTreeMap;

type M = Member<u64>;

/// Delivers every pending message among `ms` (in order, to a fixed point), dropping those from or
/// to a member in `down`.
fn settle(ms: &mut [M], down: &[usize]) {
    loop {
        let mut moved = false;
        for i in 0..ms.len() {
            for (to, msg) in std::mem::take(&mut ms[i].out) {
                moved = true;
                if !down.contains(&i) && !down.contains(&to) {
                    ms[to].handle(i, msg);
                }
            }
        }
        if !moved {
            return;
        }
    }
}

fn group(n: usize) -> Vec<M> {
    (0..n).map(|i| Member::founded(i, n, 0)).collect()
}

#[test]
fn a_command_commits_once_a_majority_has_it_and_not_before() {
    let mut ms = group(3);
    let index = ms[0].propose(7).expect("the leader accepts");
    assert_eq!(ms[0].commit, 1, "alone the leader is no majority");
    // Only follower 1 receives the append; follower 2 is cut off.
    let sends = std::mem::take(&mut ms[0].out);
    assert_eq!(sends.len(), 2, "pushed to both followers at once (no fetch)");
    for (to, msg) in sends.into_iter().filter(|(to, _)| *to == 1) {
        ms[to].handle(0, msg);
    }
    settle(&mut ms, &[2]);
    assert_eq!(ms[0].commit, index, "leader + one follower are a majority of three");
    let applied: Vec<_> = ms[0].take_committed().into_iter().filter_map(|(_, e)| e.cmd).collect();
    assert_eq!(applied, vec![7]);
    assert!(ms[2].log.len() < index as usize, "the cut-off follower has not got it");
}

#[test]
fn an_idle_leader_sends_nothing_and_a_tick_resends_only_to_a_follower_behind() {
    let mut ms = group(3);
    ms[0].tick();
    assert!(ms[0].out.is_empty(), "no heartbeats: Ra's leaders are silent when idle");
    ms[0].propose(1);
    let to_two: Vec<_> = ms[0].out.drain(..).filter(|(to, _)| *to == 1).collect();
    for (to, m) in to_two {
        ms[to].handle(0, m);
    }
    settle(&mut ms, &[2]);
    ms[0].tick();
    let targets: Vec<usize> = ms[0].out.iter().map(|(to, _)| *to).collect();
    assert_eq!(targets, vec![2], "only the follower that missed the entry");
    settle(&mut ms, &[]);
    assert_eq!(ms[2].last_index(), ms[0].last_index());
    assert_eq!(ms[2].commit, ms[0].commit, "the commit index travels in the next append");
}

#[test]
fn the_leaders_node_down_leads_to_a_pre_vote_then_an_election_in_the_next_term() {
    let mut ms = group(3);
    ms[0].propose(5);
    settle(&mut ms, &[]);
    for m in &mut ms[1..] {
        m.node_down(0);
    }
    let (gen, length) = ms[1].wants_timer.expect("a follower of the lost leader arms a timer");
    assert_eq!(length, TimerLength::Short);
    ms[1].election_timeout(gen);
    assert_eq!(ms[1].role, Role::PreVote);
    assert_eq!(ms[1].term, 1, "a pre-vote does not raise the term");
    settle(&mut ms, &[0]);
    assert_eq!(ms[1].role, Role::Leader);
    assert_eq!(ms[1].term, 2);
    assert_eq!(ms[2].leader, Some(1));
    assert_eq!(ms[1].commit, ms[1].last_index(), "the new term's no-op committed");
    assert_eq!(ms[1].log.iter().filter(|e| e.cmd == Some(5)).count(), 1, "the committed command survived");
}

#[test]
fn a_member_with_a_shorter_log_gets_no_pre_vote_and_raises_no_term() {
    let mut ms = group(3);
    ms[0].propose(1);
    settle(&mut ms, &[2]);
    // Member 2 missed the entry, then believes the leader down (a false positive of its detector).
    ms[2].node_down(0);
    let (gen, _) = ms[2].wants_timer.unwrap();
    ms[2].election_timeout(gen);
    settle(&mut ms, &[0]);
    assert_eq!(ms[2].role, Role::PreVote, "member 1's log is longer: no pre-vote granted");
    assert_eq!((ms[0].term, ms[1].term, ms[2].term), (1, 1, 1), "nobody's term moved");
    assert_eq!(ms[0].role, Role::Leader, "the leader was not disrupted");
}

#[test]
fn a_leader_seeing_a_pre_vote_of_its_term_reasserts_itself() {
    let mut ms = group(3);
    ms[1].node_down(0);
    let (gen, _) = ms[1].wants_timer.unwrap();
    ms[1].election_timeout(gen);
    let to_leader: Vec<_> = ms[1].out.drain(..).filter(|(to, _)| *to == 0).collect();
    for (_, m) in to_leader {
        ms[0].handle(1, m);
    }
    assert!(ms[0].out.iter().all(|(_, m)| matches!(m, RaftMsg::AppendEntries { .. })));
    settle(&mut ms, &[2]);
    assert_eq!((ms[1].role, ms[1].leader), (Role::Follower, Some(0)));
    assert_eq!(ms[0].role, Role::Leader);
}

#[test]
fn a_follower_truncates_entries_the_new_leader_does_not_have() {
    let mut ms = group(3);
    // The old leader appends two entries nobody else receives, then loses its node.
    ms[0].propose(10);
    ms[0].propose(11);
    ms[0].out.clear();
    for m in &mut ms[1..] {
        m.node_down(0);
    }
    let (gen, _) = ms[1].wants_timer.unwrap();
    ms[1].election_timeout(gen);
    settle(&mut ms, &[0]);
    assert_eq!(ms[1].role, Role::Leader);
    ms[1].propose(20);
    settle(&mut ms, &[0]);
    ms[0].restart();
    ms[1].node_up(0);
    settle(&mut ms, &[]);
    let cmds: Vec<_> = ms[0].log.iter().filter_map(|e| e.cmd).collect();
    assert_eq!(cmds, vec![20], "the uncommitted 10 and 11 are gone, replaced by the leader's log");
    assert_eq!(ms[0].commit, ms[1].commit);
}

// --- the swarm -------------------------------------------------------------------------------

const STEP_MS: u64 = 10;

struct Swarm {
    ms: Vec<M>,
    up: Vec<bool>,
    /// `cut[a][b]`: a and b cannot talk.
    cut: Vec<Vec<bool>>,
    /// In flight: (deliver at, from, to, message).
    flight: Vec<(u64, usize, usize, RaftMsg<u64>)>,
    timers: Vec<(u64, usize, u64)>,
    /// What each member's failure detector believes of each other member (true = down).
    suspected: Vec<Vec<bool>>,
    /// Since when a member has been unreachable from another.
    unreachable_since: Vec<Vec<Option<u64>>>,
    rng: Rng,
    now: u64,
    leaders: BTreeMap<u64, usize>,
    /// Committed entries as first seen: index -> (term, command).
    committed: BTreeMap<u64, (u64, Option<u64>)>,
    /// Commands a leader saw committed (what a publisher would have been confirmed).
    confirmed: Vec<u64>,
    next_cmd: u64,
    /// False once the test heals everything: no more crashes or cuts.
    faults: bool,
}

impl Swarm {
    fn new(n: usize, seed: u64) -> Swarm {
        Swarm {
            ms: group(n),
            up: vec![true; n],
            cut: vec![vec![false; n]; n],
            flight: Vec::new(),
            timers: Vec::new(),
            suspected: vec![vec![false; n]; n],
            unreachable_since: vec![vec![None; n]; n],
            rng: Rng::new(seed),
            now: 0,
            leaders: BTreeMap::new(),
            committed: BTreeMap::new(),
            confirmed: Vec::new(),
            next_cmd: 1,
            faults: true,
        }
    }

    fn reachable(&self, a: usize, b: usize) -> bool {
        self.up[a] && self.up[b] && !self.cut[a][b]
    }

    fn collect(&mut self, i: usize) {
        for (to, msg) in std::mem::take(&mut self.ms[i].out) {
            let at = self.now + self.rng.between(1, 5);
            self.flight.push((at, i, to, msg));
        }
        if let Some((gen, length)) = self.ms[i].wants_timer.take() {
            let after = match length {
                TimerLength::Short => 100 + self.rng.between(1, 500),
                TimerLength::Long => 1000 + self.rng.between(1, 1000),
            };
            self.timers.push((self.now + after, i, gen));
        }
    }

    fn step(&mut self) {
        self.now += STEP_MS;
        let n = self.ms.len();
        // Faults, now and then.
        let roll = self.rng.below(100);
        match roll {
            0..=4 if !self.faults => {}
            0..=1 => {
                let i = self.rng.below(n as u64) as usize;
                if self.up[i] {
                    self.up[i] = false;
                    self.ms[i].out.clear();
                } else {
                    self.up[i] = true;
                    self.ms[i].restart();
                    self.collect(i);
                }
            }
            2..=3 => {
                let (a, b) = (self.rng.below(n as u64) as usize, self.rng.below(n as u64) as usize);
                if a != b {
                    let c = !self.cut[a][b];
                    self.cut[a][b] = c;
                    self.cut[b][a] = c;
                }
            }
            4 => self.cut = vec![vec![false; n]; n],
            5..=30 => {
                if let Some(l) = (0..n).find(|&i| self.up[i] && self.ms[i].role == Role::Leader) {
                    let cmd = self.next_cmd;
                    self.next_cmd += 1;
                    self.ms[l].propose(cmd);
                    self.collect(l);
                }
            }
            _ => {}
        }
        // Messages due: delivered if both ends are up and not cut (a cut drops what is in flight).
        let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.flight).into_iter().partition(|f| f.0 <= self.now);
        self.flight = rest;
        for (_, from, to, msg) in due {
            if self.reachable(from, to) {
                self.ms[to].handle(from, msg);
                self.collect(to);
            }
        }
        let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.timers).into_iter().partition(|t| t.0 <= self.now);
        self.timers = rest;
        for (_, i, gen) in due {
            if self.up[i] {
                self.ms[i].election_timeout(gen);
                self.collect(i);
            }
        }
        // The failure detector (aten): suspects a node unreachable for 1 s, clears it once reachable.
        for a in 0..n {
            for b in (0..n).filter(|&b| b != a) {
                if !self.up[a] {
                    continue;
                }
                if self.reachable(a, b) {
                    self.unreachable_since[a][b] = None;
                    if self.suspected[a][b] {
                        self.suspected[a][b] = false;
                        self.ms[a].node_up(b);
                        self.collect(a);
                    }
                } else {
                    let since = *self.unreachable_since[a][b].get_or_insert(self.now);
                    if !self.suspected[a][b] && self.now - since >= 1000 {
                        self.suspected[a][b] = true;
                        self.ms[a].node_down(b);
                        self.collect(a);
                    }
                }
            }
        }
        if self.now % 1000 == 0 {
            for i in 0..n {
                if !self.up[i] {
                    continue;
                }
                self.ms[i].tick();
                self.collect(i);
            }
        }
        self.check();
    }

    fn check(&mut self) {
        for (i, m) in self.ms.iter_mut().enumerate() {
            if m.role == Role::Leader {
                let first = *self.leaders.entry(m.term).or_insert(i);
                assert_eq!(first, i, "two leaders in term {}", m.term);
            }
            for (index, e) in m.take_committed() {
                let seen = self.committed.entry(index).or_insert((e.term, e.cmd));
                assert_eq!(*seen, (e.term, e.cmd), "member {i} committed another entry at {index}");
                if m.role == Role::Leader {
                    self.confirmed.extend(e.cmd);
                }
            }
        }
    }
}

#[test]
fn swarm_no_committed_entry_is_lost_and_one_leader_per_term() {
    let mut elections = 0;
    for seed in 0..60u64 {
        let n = if seed % 3 == 0 { 5 } else { 3 };
        let mut s = Swarm::new(n, seed);
        for _ in 0..3000 {
            s.step();
        }
        // Heal everything and let the group settle: every confirmed command is in the log of a
        // leader, exactly once.
        s.cut = vec![vec![false; n]; n];
        s.faults = false;
        for i in 0..n {
            if !s.up[i] {
                s.up[i] = true;
                s.ms[i].restart();
                s.collect(i);
            }
        }
        for _ in 0..2000 {
            s.step();
        }
        let leader = (0..n).filter(|&i| s.ms[i].role == Role::Leader).max_by_key(|&i| s.ms[i].term);
        let leader = leader.unwrap_or_else(|| panic!("SEED={seed}: no leader after healing"));
        let log: Vec<u64> = s.ms[leader].log.iter().filter_map(|e| e.cmd).collect();
        for c in &s.confirmed {
            assert_eq!(log.iter().filter(|x| *x == c).count(), 1, "SEED={seed}: confirmed {c} lost or doubled");
        }
        assert!(s.confirmed.len() > 10, "SEED={seed}: too little was committed to test anything");
        elections += s.leaders.len();
    }
    assert!(elections > 120, "the faults must cause elections (saw {elections} leaders over all seeds)");
}
