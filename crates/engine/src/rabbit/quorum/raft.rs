//! One member of a quorum queue's Raft group, as RabbitMQ's Ra runs it (`ra_server.erl`, Ra's
//! `docs/internals/INTERNALS.md`), as a pure state machine: messages and notifications in, messages
//! to peers and newly committed entries out. No clock: the owner arms the election timer it asks
//! for (`wants_timer`) and calls `election_timeout` with its generation.
//!
//! What makes it Ra's and not KRaft's (KIP-595 is pull-based: followers fetch):
//! - **push**: the leader sends `AppendEntries` to each follower as soon as it has something new
//!   (pipelined: `next_index` moves on without waiting for the reply), and the new commit index in
//!   an empty `AppendEntries` when it has advanced; idle, it sends nothing — there are no periodic
//!   heartbeats (a `tick` resends only to followers that are behind);
//! - **failure detection outside Raft**: a follower learns that the leader's node is down from the
//!   node's failure detector (Erlang monitors, `aten`), then arms a short randomised election
//!   timer (`leader_down`);
//! - **pre-vote** (`call_for_election(pre_vote, …)`): a member first asks for pre-votes *in its
//!   current term* without voting terms up; a member grants one if the term is not behind and the
//!   candidate's log is at least as up to date. A majority of pre-votes starts the real election
//!   (term + 1, a vote for itself). A leader that sees a pre-vote of its own term reasserts itself
//!   by sending `AppendEntries` to all;
//! - a new leader appends a no-op of its term, so entries of earlier terms commit with it (Raft
//!   §5.4.2: only an entry of the leader's own term is committed by counting replicas);
//! - commit by majority: the highest index that a majority's `match_index` (the leader's own last
//!   index included) has reached, if its entry is of the current term.
//!
//! Persistent across a crash (Ra writes them to its WAL and meta store): the term, the vote and the
//! log. Volatile: the role, the known leader, the commit index (learnt again from the leader) and
//! the leader's per-peer progress. The owner rebuilds its state machine from the log as the commit
//! index is learnt again (no snapshots in the model).

/// A log entry: the term it was appended in, and its command (`None`: the leader's no-op).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry<C> {
    pub term: u64,
    pub cmd: Option<C>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Follower,
    PreVote,
    Candidate,
    Leader,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreVote => "pre_vote",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// What members of one group say to each other (Ra's RPC records).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftMsg<C> {
    AppendEntries {
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<LogEntry<C>>,
        commit: u64,
    },
    /// `next_index`: where the leader should go on from; `last_index`: the follower's match on success.
    AppendReply {
        term: u64,
        success: bool,
        next_index: u64,
        last_index: u64,
    },
    PreVote {
        term: u64,
        token: u64,
        last_index: u64,
        last_term: u64,
    },
    PreVoteResult {
        term: u64,
        token: u64,
        granted: bool,
    },
    RequestVote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    VoteResult {
        term: u64,
        granted: bool,
    },
}

/// How long an election timer the member asks for: `Short` after the leader's node was reported
/// down (Ra: 100 ms + up to 500 ms), `Long` on a boot with no known leader (Ra: longer than the
/// failure detector's poll, so a leader that is up is heard from first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerLength {
    Short,
    Long,
}

#[derive(Clone, Debug)]
pub struct Member<C> {
    pub id: usize,
    pub size: usize,
    pub role: Role,
    pub term: u64,
    pub voted_for: Option<usize>,
    /// Entry `i` (from 1) is `log[i - 1]`.
    pub log: Vec<LogEntry<C>>,
    pub commit: u64,
    /// Entries up to here were handed out by `take_committed`.
    pub applied: u64,
    pub leader: Option<usize>,
    next_index: Vec<u64>,
    pub match_index: Vec<u64>,
    /// The highest commit index sent to each peer.
    commit_sent: Vec<u64>,
    votes: usize,
    token: u64,
    /// Peers whose node the failure detector reports down: not sent to until they are up.
    down: Vec<bool>,
    /// The generation of the election timer wanted; stale timers are ignored by it.
    timer_gen: u64,
    /// Asked for since the owner last looked: (generation, length).
    pub wants_timer: Option<(u64, TimerLength)>,
    /// Messages for peers, drained by the owner: (peer, message).
    pub out: Vec<(usize, RaftMsg<C>)>,
}

impl<C: Clone> Member<C> {
    pub fn new(id: usize, size: usize) -> Member<C> {
        Member {
            id,
            size,
            role: Role::Follower,
            term: 0,
            voted_for: None,
            log: Vec::new(),
            commit: 0,
            applied: 0,
            leader: None,
            next_index: vec![1; size],
            match_index: vec![0; size],
            commit_sent: vec![0; size],
            votes: 0,
            token: 0,
            down: vec![false; size],
            timer_gen: 0,
            wants_timer: None,
            out: Vec::new(),
        }
    }

    /// A group whose first leader is `leader` at term 1, as `ra:start_cluster` leaves it once the
    /// first election is over (the declaring node's member is the one triggered to elect itself).
    pub fn founded(id: usize, size: usize, leader: usize) -> Member<C> {
        let mut m = Member::new(id, size);
        m.term = 1;
        m.voted_for = Some(leader);
        m.leader = Some(leader);
        m.log.push(LogEntry { term: 1, cmd: None });
        if id == leader {
            m.role = Role::Leader;
            m.next_index = vec![2; size];
            m.match_index = vec![1; size];
            m.commit_sent = vec![1; size];
        }
        m.commit = 1;
        m
    }

    /// A leader that has committed an entry of its own term (its no-op): every entry before is
    /// committed and applied, so it may serve (Ra's leader applies its log before it serves).
    pub fn term_started(&self) -> bool {
        self.role == Role::Leader && self.commit > 0 && self.term_at(self.commit) == self.term
    }

    pub fn quorum(&self) -> usize {
        self.size / 2 + 1
    }

    pub fn last_index(&self) -> u64 {
        self.log.len() as u64
    }

    fn term_at(&self, index: u64) -> u64 {
        if index == 0 {
            0
        } else {
            self.log.get(index as usize - 1).map_or(0, |e| e.term)
        }
    }

    fn last_term(&self) -> u64 {
        self.term_at(self.last_index())
    }

    fn up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }

    fn peers(&self) -> impl Iterator<Item = usize> {
        let (me, n) = (self.id, self.size);
        (0..n).filter(move |&p| p != me)
    }

    fn arm(&mut self, length: TimerLength) {
        self.timer_gen += 1;
        self.wants_timer = Some((self.timer_gen, length));
    }

    fn disarm(&mut self) {
        self.timer_gen += 1;
        self.wants_timer = None;
    }

    /// A higher term seen: a follower of no one yet, with no vote in it, waiting for a leader to
    /// be heard from before its election timer fires.
    fn update_term(&mut self, term: u64) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            self.role = Role::Follower;
            self.leader = None;
            self.arm(TimerLength::Short);
        }
    }

    /// The leader appends a command and pushes it to its followers; None if not the leader.
    pub fn propose(&mut self, cmd: C) -> Option<u64> {
        if self.role != Role::Leader {
            return None;
        }
        self.log.push(LogEntry { term: self.term, cmd: Some(cmd) });
        self.match_index[self.id] = self.last_index();
        self.advance_commit();
        for p in self.peers().collect::<Vec<_>>() {
            self.send_append(p);
        }
        Some(self.last_index())
    }

    /// Sends peer `p` what it lacks from its `next_index` (pipelined: assumed received), or only the
    /// commit index when it lacks nothing but that.
    fn send_append(&mut self, p: usize) {
        let next = self.next_index[p].clamp(1, self.last_index() + 1);
        if self.down[p] || (next > self.last_index() && self.commit_sent[p] >= self.commit) {
            return;
        }
        let prev_index = next - 1;
        let entries = self.log[prev_index as usize..].to_vec();
        self.next_index[p] = self.last_index() + 1;
        self.commit_sent[p] = self.commit;
        let msg = RaftMsg::AppendEntries {
            term: self.term,
            prev_index,
            prev_term: self.term_at(prev_index),
            entries,
            commit: self.commit,
        };
        self.out.push((p, msg));
    }

    /// Ra's tick (every `tick_timeout`, 1 s in RabbitMQ): a leader resends to followers that have
    /// not confirmed everything (a lost message, a healed partition, a restarted node).
    pub fn tick(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        for p in self.peers().collect::<Vec<_>>() {
            if self.match_index[p] < self.last_index() || self.commit_sent[p] < self.commit {
                self.next_index[p] = self.match_index[p] + 1;
                self.commit_sent[p] = self.commit_sent[p].min(self.match_index[p]);
                self.send_append(p);
            }
        }
    }

    /// The failure detector reports member `p`'s node down. A follower of it arms a short election
    /// timer; a leader stops pushing to it (Ra stops pipelining to an unresponsive peer).
    pub fn node_down(&mut self, p: usize) {
        self.down[p] = true;
        if self.role == Role::Follower && self.leader == Some(p) {
            self.leader = None;
            self.arm(TimerLength::Short);
        }
    }

    /// The failure detector reports member `p`'s node up again: a leader brings it up to date.
    pub fn node_up(&mut self, p: usize) {
        self.down[p] = false;
        if self.role == Role::Leader && p != self.id {
            self.next_index[p] = self.match_index[p] + 1;
            self.commit_sent[p] = 0;
            self.send_append(p);
        }
    }

    /// The election timer of generation `gen` fired.
    pub fn election_timeout(&mut self, gen: u64) {
        if gen != self.timer_gen || self.role == Role::Leader || (self.role == Role::Follower && self.leader.is_some())
        {
            return;
        }
        if self.role == Role::Candidate {
            self.call_election();
        } else {
            self.call_pre_vote();
        }
    }

    fn call_pre_vote(&mut self) {
        self.token += 1;
        let (term, token, last_index, last_term) = (self.term, self.token, self.last_index(), self.last_term());
        self.canvass(Role::PreVote, RaftMsg::PreVote { term, token, last_index, last_term });
    }

    fn call_election(&mut self) {
        self.term += 1;
        let (term, last_index, last_term) = (self.term, self.last_index(), self.last_term());
        self.canvass(Role::Candidate, RaftMsg::RequestVote { term, last_index, last_term });
    }

    /// Asks every peer for a pre-vote or a vote as `role`, with its own counted.
    fn canvass(&mut self, role: Role, ask: RaftMsg<C>) {
        self.role = role;
        self.leader = None;
        self.votes = 1;
        self.voted_for = Some(self.id);
        for p in self.peers().collect::<Vec<_>>() {
            self.out.push((p, ask.clone()));
        }
        self.arm(TimerLength::Short);
        self.tally();
    }

    /// A majority of pre-votes starts the election; a majority of votes makes the leader.
    fn tally(&mut self) {
        if self.votes >= self.quorum() {
            match self.role {
                Role::PreVote => self.call_election(),
                Role::Candidate => self.become_leader(),
                _ => {}
            }
        }
    }

    fn become_leader(&mut self) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.disarm();
        self.next_index = vec![self.last_index() + 1; self.size];
        self.match_index = vec![0; self.size];
        self.commit_sent = vec![0; self.size];
        // The no-op of the new term: once it commits, so does everything before it.
        self.log.push(LogEntry { term: self.term, cmd: None });
        self.match_index[self.id] = self.last_index();
        for p in self.peers().collect::<Vec<_>>() {
            self.next_index[p] = self.last_index();
            self.send_append(p);
        }
        self.advance_commit();
    }

    /// The highest index a majority has, if it is of the current term (`agreed_commit`).
    fn advance_commit(&mut self) {
        let mut matched = self.match_index.clone();
        matched[self.id] = self.last_index();
        crate::sort::sort_by(&mut matched, |a, b| b.cmp(a));
        let agreed = matched[self.quorum() - 1];
        if agreed > self.commit && self.term_at(agreed) == self.term {
            self.commit = agreed;
        }
    }

    /// Committed entries not handed out yet, in order: `(index, entry)`.
    pub fn take_committed(&mut self) -> Vec<(u64, LogEntry<C>)> {
        let from = self.applied;
        self.applied = self.commit.max(self.applied);
        (from + 1..=self.applied).map(|i| (i, self.log[i as usize - 1].clone())).collect()
    }

    pub fn handle(&mut self, from: usize, msg: RaftMsg<C>) {
        match msg {
            RaftMsg::AppendEntries { term, prev_index, prev_term, entries, commit } => {
                self.on_append(from, term, prev_index, prev_term, entries, commit)
            }
            RaftMsg::AppendReply { term, success, next_index, last_index } => {
                self.on_append_reply(from, term, success, next_index, last_index)
            }
            RaftMsg::PreVote { term, token, last_index, last_term } => {
                self.on_pre_vote(from, term, token, last_index, last_term)
            }
            RaftMsg::PreVoteResult { term, token, granted } => {
                if term > self.term {
                    self.update_term(term);
                } else if self.role == Role::PreVote && granted && token == self.token && term == self.term {
                    self.votes += 1;
                    self.tally();
                }
            }
            RaftMsg::RequestVote { term, last_index, last_term } => {
                self.on_request_vote(from, term, last_index, last_term)
            }
            RaftMsg::VoteResult { term, granted } => {
                if term > self.term {
                    self.update_term(term);
                } else if self.role == Role::Candidate && granted && term == self.term {
                    self.votes += 1;
                    self.tally();
                }
            }
        }
    }

    fn on_append(
        &mut self,
        from: usize,
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<LogEntry<C>>,
        commit: u64,
    ) {
        if term < self.term {
            let reply = RaftMsg::AppendReply { term: self.term, success: false, next_index: 0, last_index: 0 };
            self.out.push((from, reply));
            return;
        }
        self.update_term(term);
        self.role = Role::Follower;
        self.leader = Some(from);
        self.disarm();
        if prev_index > self.last_index() || self.term_at(prev_index) != prev_term {
            let next_index = prev_index.min(self.last_index() + 1).max(1);
            self.out.push((from, RaftMsg::AppendReply { term, success: false, next_index, last_index: 0 }));
            return;
        }
        let last = prev_index + entries.len() as u64;
        for (k, e) in entries.into_iter().enumerate() {
            let i = prev_index + 1 + k as u64;
            if i <= self.last_index() {
                if self.term_at(i) == e.term {
                    continue;
                }
                assert!(i > self.commit, "Raft: a committed entry ({i}) would be overwritten");
                self.log.truncate(i as usize - 1);
            }
            self.log.push(e);
        }
        self.commit = self.commit.max(commit.min(last));
        let reply = RaftMsg::AppendReply { term, success: true, next_index: last + 1, last_index: last };
        self.out.push((from, reply));
    }

    fn on_append_reply(&mut self, from: usize, term: u64, success: bool, next_index: u64, last_index: u64) {
        if term > self.term {
            self.update_term(term);
            return;
        }
        if self.role != Role::Leader || term < self.term {
            return;
        }
        if success {
            self.match_index[from] = self.match_index[from].max(last_index);
            self.next_index[from] = self.next_index[from].max(last_index + 1);
            let before = self.commit;
            self.advance_commit();
            if self.commit > before {
                for p in self.peers().collect::<Vec<_>>() {
                    self.send_append(p);
                }
            } else {
                self.send_append(from);
            }
        } else {
            self.next_index[from] = next_index.max(self.match_index[from] + 1);
            self.commit_sent[from] = self.commit_sent[from].min(self.match_index[from]);
            self.send_append(from);
        }
    }

    fn on_pre_vote(&mut self, from: usize, term: u64, token: u64, last_index: u64, last_term: u64) {
        if term < self.term {
            self.out.push((from, RaftMsg::PreVoteResult { term: self.term, token, granted: false }));
            return;
        }
        if self.role == Role::Leader && term == self.term {
            // "enforce leadership": everyone hears from the leader again.
            for p in self.peers().collect::<Vec<_>>() {
                self.next_index[p] = self.match_index[p] + 1;
                self.commit_sent[p] = 0;
                self.send_append(p);
            }
            return;
        }
        // Pre-votes never set `voted_for`, but a higher term is adopted (a leader abdicates).
        self.update_term(term);
        let granted = self.up_to_date(last_index, last_term);
        self.out.push((from, RaftMsg::PreVoteResult { term, token, granted }));
    }

    fn on_request_vote(&mut self, from: usize, term: u64, last_index: u64, last_term: u64) {
        self.update_term(term);
        let granted = term == self.term
            && self.role == Role::Follower
            && self.voted_for.is_none_or(|v| v == from)
            && self.up_to_date(last_index, last_term);
        if granted {
            self.voted_for = Some(from);
            self.arm(TimerLength::Short);
        }
        self.out.push((from, RaftMsg::VoteResult { term: self.term, granted }));
    }

    /// The node crashed and restarts: what was written to disk stays; it is a follower of no one
    /// and will call a pre-vote unless a leader is heard from first.
    pub fn restart(&mut self) {
        self.role = Role::Follower;
        self.leader = None;
        self.commit = 0;
        self.applied = 0;
        self.votes = 0;
        self.next_index = vec![1; self.size];
        self.match_index = vec![0; self.size];
        self.commit_sent = vec![0; self.size];
        self.down = vec![false; self.size];
        self.out.clear();
        self.arm(TimerLength::Long);
    }
}

#[cfg(test)]
#[path = "raft_tests.rs"]
mod tests;
