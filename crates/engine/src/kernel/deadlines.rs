//! Request timeouts checked by one timer, as a real client checks them (Kafka's `NetworkClient`
//! looks for expired in-flight requests on each poll): a node keeps the deadlines of what it is
//! waiting for, and only the earliest is in the simulation's queue.
//!
//! One queue entry per request that outlives its request (answered in a millisecond, its 30 s
//! timer still queued) makes the queue as long as rate × timeout and spends a step on each when it
//! fires: at thousands of requests a second that was most of the queue and a fifth of the steps.
//! Here a deadline leaves with its answer, and the timer set for the earliest is re-aimed at the
//! next one when it fires, so the queue holds about one entry per `Deadlines`.

use super::ctx::Ctx;
use super::time::Time;
use super::Model;

#[derive(Clone, Debug)]
pub struct Deadlines<K> {
    /// Waiting keys by deadline, earliest first (equal deadlines in the order they were set).
    waiting: Vec<(Time, K)>,
    /// When the timer in the queue fires, if one is set.
    armed: Option<Time>,
}

impl<K> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines { waiting: Vec::new(), armed: None }
    }
}

impl<K: PartialEq + Copy> Deadlines<K> {
    /// Waits for `key` until `after` from now (replacing an earlier deadline of the same key);
    /// `timer` is the word `on_timer` will receive when a deadline may have passed.
    pub fn set<M: Model>(&mut self, ctx: &mut Ctx<M>, key: K, after: Time, timer: M::Timer) {
        self.remove(key);
        let at = ctx.now + after;
        let i = self.waiting.partition_point(|(t, _)| *t <= at);
        self.waiting.insert(i, (at, key));
        if self.armed.is_none_or(|armed| at < armed) {
            self.armed = Some(at);
            ctx.set_timer(after, timer);
        }
    }

    /// `key` was answered (or given up): its deadline is gone.
    pub fn remove(&mut self, key: K) {
        if let Some(i) = self.waiting.iter().position(|(_, k)| *k == key) {
            self.waiting.remove(i);
        }
    }

    /// The timer `timer` fired: the keys whose deadline has passed, earliest first. A timer that
    /// was re-aimed earlier since it was set finds nothing.
    pub fn expired<M: Model>(&mut self, ctx: &mut Ctx<M>, timer: M::Timer) -> Vec<K> {
        if self.armed != Some(ctx.now) {
            return Vec::new();
        }
        self.armed = None;
        let due = self.waiting.partition_point(|(t, _)| *t <= ctx.now);
        let expired = self.waiting.drain(..due).map(|(_, k)| k).collect();
        if let Some(&(next, _)) = self.waiting.first() {
            self.armed = Some(next);
            ctx.set_timer(next - ctx.now, timer);
        }
        expired
    }

    /// The process died: its timers died with it.
    pub fn clear(&mut self) {
        self.waiting.clear();
        self.armed = None;
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ctx::Effect;
    use crate::kernel::rng::Rng;
    use crate::kernel::NodeId;
    // The kernel's own test model.
    use crate::relay::{Relay, RelayTimer};

    const TIMER: RelayTimer = RelayTimer::Publish;

    /// Calls `f` with a context at `now`; returns the delays of the timers it set.
    fn at<R>(now: u64, f: impl FnOnce(&mut Ctx<Relay>) -> R) -> (R, Vec<u64>) {
        let mut rng = Rng::new(1);
        let mut effects: Vec<Effect<Relay>> = Vec::new();
        let mut ctx = Ctx::new(Time::ms(now), NodeId(0), &mut rng, &mut effects);
        let r = f(&mut ctx);
        let timers = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Timer { after, timer: TIMER } => Some(after.0 / 1000),
                _ => None,
            })
            .collect();
        (r, timers)
    }

    #[test]
    fn one_timer_serves_many_deadlines_and_answered_ones_never_fire() {
        let mut d = Deadlines::default();
        assert_eq!(at(0, |c| d.set(c, 'a', Time::ms(30), TIMER)).1, vec![30]);
        // Later deadlines wait behind the armed one: no new queue entry.
        assert_eq!(at(1, |c| d.set(c, 'b', Time::ms(30), TIMER)).1, Vec::<u64>::new());
        assert_eq!(at(2, |c| d.set(c, 'c', Time::ms(30), TIMER)).1, Vec::<u64>::new());
        d.remove('a');
        // At 30 ms nothing is due (a was answered): the timer is re-aimed at b's deadline.
        assert_eq!(at(30, |c| d.expired(c, TIMER)), (vec![], vec![1]));
        assert_eq!(at(31, |c| d.expired(c, TIMER)), (vec!['b'], vec![1]));
        assert_eq!(at(32, |c| d.expired(c, TIMER)), (vec!['c'], vec![]));
        assert!(d.is_empty());
    }

    #[test]
    fn an_earlier_deadline_re_aims_the_timer_and_the_old_one_finds_nothing() {
        let mut d = Deadlines::default();
        at(0, |c| d.set(c, 1, Time::ms(100), TIMER));
        assert_eq!(at(10, |c| d.set(c, 2, Time::ms(5), TIMER)).1, vec![5]);
        assert_eq!(at(15, |c| d.expired(c, TIMER)), (vec![2], vec![85]));
        // Setting a key again replaces its deadline.
        at(20, |c| d.set(c, 1, Time::ms(200), TIMER));
        assert_eq!(d.len(), 1);
        assert_eq!(at(100, |c| d.expired(c, TIMER)).0, Vec::<i32>::new());
    }
}
