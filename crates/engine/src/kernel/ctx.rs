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

/// Where a handler's requests go: the simulation's list of effects, or a larger system's outbox
/// seen through a part model's types (`Narrow`).
pub trait Outbox<M: Model> {
    fn push(&mut self, effect: Effect<M>);
}

impl<M: Model> Outbox<M> for Vec<Effect<M>> {
    fn push(&mut self, effect: Effect<M>) {
        Vec::push(self, effect);
    }
}

/// A whole system's outbox as a part model sees it: what the part sends, sets and emits is
/// wrapped into the whole's types on the way in.
struct Narrow<'a, W: Model>(&'a mut dyn Outbox<W>);

impl<P: Model, W: Model> Outbox<P> for Narrow<'_, W>
where
    W::Msg: From<P::Msg>,
    W::Timer: From<P::Timer>,
    W::Event: From<P::Event>,
{
    fn push(&mut self, effect: Effect<P>) {
        self.0.push(match effect {
            Effect::Send { to, msg } => Effect::Send { to, msg: msg.into() },
            Effect::Timer { after, timer } => Effect::Timer { after, timer: timer.into() },
            Effect::Emit(e) => Effect::Emit(e.into()),
        });
    }
}

pub struct Ctx<'a, M: Model> {
    pub now: Time,
    pub me: NodeId,
    pub rng: &'a mut Rng,
    out: &'a mut dyn Outbox<M>,
}

impl<'a, M: Model> Ctx<'a, M> {
    pub fn new(now: Time, me: NodeId, rng: &'a mut Rng, out: &'a mut dyn Outbox<M>) -> Self {
        Ctx { now, me, rng, out }
    }

    pub fn send(&mut self, to: NodeId, msg: impl Into<M::Msg>) {
        self.out.push(Effect::Send { to, msg: msg.into() });
    }
    /// Calls `on_timer(timer)` after `after`, unless the node crashes first.
    pub fn set_timer(&mut self, after: Time, timer: impl Into<M::Timer>) {
        self.out.push(Effect::Timer { after, timer: timer.into() });
    }
    pub fn emit(&mut self, event: impl Into<M::Event>) {
        self.out.push(Effect::Emit(event.into()));
    }

    /// This context as part model `P` sees it (the same node, time and random stream), for a
    /// system that hands a message or timer to one of its models.
    pub fn narrow<P: Model, R>(&mut self, f: impl FnOnce(&mut Ctx<'_, P>) -> R) -> R
    where
        M::Msg: From<P::Msg>,
        M::Timer: From<P::Timer>,
        M::Event: From<P::Event>,
    {
        let mut out = Narrow(&mut *self.out);
        let mut ctx = Ctx { now: self.now, me: self.me, rng: &mut *self.rng, out: &mut out };
        f(&mut ctx)
    }
}
