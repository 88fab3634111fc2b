//! What a node sees while it handles something: the time, its own id and random stream, and an
//! outbox. Handlers never touch the network, the clock or the queue; they say what they want done
//! (`send`, `set_timer`, `emit`) and the simulation does it (the stateright / quinn-proto shape).

use super::rng::Rng;
use super::time::Time;
use super::{Model, NodeId};

/// What a handler asked for, carried out by the simulation in order once the handler returns.
/// `Close`: the node closes its connection to `peer` (a client that gave up on a request): what it
/// sends next goes on a new connection, which does not wait behind the old one's retransmissions;
/// what is already in flight on the old one still arrives.
#[derive(Clone, Debug)]
pub enum Effect<M: Model> {
    Send { to: NodeId, msg: M::Msg },
    Timer { after: Time, timer: M::Timer },
    Emit(M::Event),
    Close { peer: NodeId },
}

/// A part model's effect in the whole system's types.
/// Where a handler's effects wait until it returns. A model's own outbox is a plain list
/// (`Vec<Effect<M>>`); a system of several models keeps one list per model and hands each model
/// its own (`Ctx::narrow`), then gives its effects to the simulation already in the system's types
/// (`drain_each`), so no effect is copied into a second list on its way.
pub trait Outbox<M: Model>: Default + Clone + std::fmt::Debug {
    fn push(&mut self, effect: Effect<M>);
    /// Hands each effect to `f` in the order it was pushed, and leaves the outbox empty.
    fn drain_each(&mut self, f: impl FnMut(Effect<M>));
}

impl<M: Model> Outbox<M> for Vec<Effect<M>> {
    #[inline]
    fn push(&mut self, effect: Effect<M>) {
        Vec::push(self, effect);
    }
    #[inline]
    fn drain_each(&mut self, f: impl FnMut(Effect<M>)) {
        self.drain(..).for_each(f);
    }
}

pub struct Ctx<'a, M: Model> {
    pub now: Time,
    pub me: NodeId,
    pub rng: &'a mut Rng,
    effects: &'a mut M::Outbox,
}

impl<'a, M: Model> Ctx<'a, M> {
    pub fn new(now: Time, me: NodeId, rng: &'a mut Rng, effects: &'a mut M::Outbox) -> Self {
        Ctx { now, me, rng, effects }
    }

    pub fn send(&mut self, to: NodeId, msg: impl Into<M::Msg>) {
        self.effects.push(Effect::Send { to, msg: msg.into() });
    }
    /// Calls `on_timer(timer)` after `after`, unless the node crashes first.
    pub fn set_timer(&mut self, after: Time, timer: impl Into<M::Timer>) {
        self.effects.push(Effect::Timer { after, timer: timer.into() });
    }
    pub fn emit(&mut self, event: impl Into<M::Event>) {
        self.effects.push(Effect::Emit(event.into()));
    }
    /// Closes this node's connection to `peer` (`Effect::Close`).
    pub fn close_connection(&mut self, peer: NodeId) {
        self.effects.push(Effect::Close { peer });
    }

    /// This context as part model `P` sees it (the same node, time and random stream), for a
    /// system that hands a message or timer to one of its models: `f` runs with the part's own
    /// outbox inside this one (`part`), so every push is a plain push onto a list of a known type
    /// and nothing is copied on the way (a call through a pointer per effect cost the relay
    /// benchmark a fifth of its time; widening into a second list, 8% of its instructions).
    #[inline]
    pub fn narrow<P: Model, R>(
        &mut self,
        part: impl FnOnce(&mut M::Outbox) -> &mut P::Outbox,
        f: impl FnOnce(&mut Ctx<'_, P>) -> R,
    ) -> R {
        f(&mut Ctx { now: self.now, me: self.me, rng: &mut *self.rng, effects: part(&mut *self.effects) })
    }
}
