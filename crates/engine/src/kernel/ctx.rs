//! What a node sees while it handles something: the time, its own id and random stream, and an
//! outbox. Handlers never touch the network, the clock or the queue; they say what they want done
//! (`send`, `set_timer`, `emit`) and the simulation does it (the stateright / quinn-proto shape).

use super::rng::Rng;
use super::time::Time;
use super::{Model, NodeId};

/// What a handler asked for, carried out by the simulation in order once the handler returns.
#[derive(Clone, Debug)]
pub enum Effect<M: Model> {
    Send { to: NodeId, msg: M::Msg },
    Timer { after: Time, timer: M::Timer },
    Emit(M::Event),
}

/// Where a part model's handler's requests go: a larger system's effects, seen through the part's
/// types. One method per kind of effect, so a part's request is built once, in the whole's types.
trait Outbox<M: Model> {
    fn send(&mut self, to: NodeId, msg: M::Msg);
    fn timer(&mut self, after: Time, timer: M::Timer);
    fn emit(&mut self, event: M::Event);
}

/// A whole system's effect list as a part model sees it: what the part sends, sets and emits is
/// widened into the whole's types on the way in.
struct Narrow<'a, W: Model>(&'a mut Vec<Effect<W>>);

impl<P: Model, W: Model> Outbox<P> for Narrow<'_, W>
where
    W::Msg: From<P::Msg>,
    W::Timer: From<P::Timer>,
    W::Event: From<P::Event>,
{
    fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.0.push(Effect::Send { to, msg: msg.into() });
    }
    fn timer(&mut self, after: Time, timer: P::Timer) {
        self.0.push(Effect::Timer { after, timer: timer.into() });
    }
    fn emit(&mut self, event: P::Event) {
        self.0.push(Effect::Emit(event.into()));
    }
}

/// The same through another outbox (a part of a part).
struct NarrowVia<'a, W: Model>(&'a mut dyn Outbox<W>);

impl<P: Model, W: Model> Outbox<P> for NarrowVia<'_, W>
where
    W::Msg: From<P::Msg>,
    W::Timer: From<P::Timer>,
    W::Event: From<P::Event>,
{
    fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.0.send(to, msg.into());
    }
    fn timer(&mut self, after: Time, timer: P::Timer) {
        self.0.timer(after, timer.into());
    }
    fn emit(&mut self, event: P::Event) {
        self.0.emit(event.into());
    }
}

/// Where a context's effects go: the simulation's list itself (no indirection on the hot path),
/// or an outbox that widens them into a larger system's types.
enum Out<'a, M: Model> {
    List(&'a mut Vec<Effect<M>>),
    Via(&'a mut dyn Outbox<M>),
}

pub struct Ctx<'a, M: Model> {
    pub now: Time,
    pub me: NodeId,
    pub rng: &'a mut Rng,
    out: Out<'a, M>,
}

impl<'a, M: Model> Ctx<'a, M> {
    pub fn new(now: Time, me: NodeId, rng: &'a mut Rng, effects: &'a mut Vec<Effect<M>>) -> Self {
        Ctx { now, me, rng, out: Out::List(effects) }
    }

    pub fn send(&mut self, to: NodeId, msg: impl Into<M::Msg>) {
        match &mut self.out {
            Out::List(list) => list.push(Effect::Send { to, msg: msg.into() }),
            Out::Via(out) => out.send(to, msg.into()),
        }
    }
    /// Calls `on_timer(timer)` after `after`, unless the node crashes first.
    pub fn set_timer(&mut self, after: Time, timer: impl Into<M::Timer>) {
        match &mut self.out {
            Out::List(list) => list.push(Effect::Timer { after, timer: timer.into() }),
            Out::Via(out) => out.timer(after, timer.into()),
        }
    }
    pub fn emit(&mut self, event: impl Into<M::Event>) {
        match &mut self.out {
            Out::List(list) => list.push(Effect::Emit(event.into())),
            Out::Via(out) => out.emit(event.into()),
        }
    }

    /// This context as part model `P` sees it (the same node, time and random stream), for a
    /// system that hands a message or timer to one of its models.
    pub fn narrow<P: Model, R>(&mut self, f: impl FnOnce(&mut Ctx<'_, P>) -> R) -> R
    where
        M::Msg: From<P::Msg>,
        M::Timer: From<P::Timer>,
        M::Event: From<P::Event>,
    {
        let (now, me) = (self.now, self.me);
        match &mut self.out {
            Out::List(list) => {
                let mut out = Narrow(&mut **list);
                f(&mut Ctx { now, me, rng: &mut *self.rng, out: Out::Via(&mut out) })
            }
            Out::Via(via) => {
                let mut out = NarrowVia(&mut **via);
                f(&mut Ctx { now, me, rng: &mut *self.rng, out: Out::Via(&mut out) })
            }
        }
    }
}
