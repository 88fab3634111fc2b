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

/// A part model's effect in the whole system's types.
fn widen<P: Model, W: Model>(effect: Effect<P>) -> Effect<W>
where
    W::Msg: From<P::Msg>,
    W::Timer: From<P::Timer>,
    W::Event: From<P::Event>,
{
    match effect {
        Effect::Send { to, msg } => Effect::Send { to, msg: msg.into() },
        Effect::Timer { after, timer } => Effect::Timer { after, timer: timer.into() },
        Effect::Emit(e) => Effect::Emit(e.into()),
    }
}

pub struct Ctx<'a, M: Model> {
    pub now: Time,
    pub me: NodeId,
    pub rng: &'a mut Rng,
    effects: &'a mut Vec<Effect<M>>,
}

impl<'a, M: Model> Ctx<'a, M> {
    pub fn new(now: Time, me: NodeId, rng: &'a mut Rng, effects: &'a mut Vec<Effect<M>>) -> Self {
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

    /// This context as part model `P` sees it (the same node, time and random stream), for a
    /// system that hands a message or timer to one of its models: `f` runs with a context whose
    /// effects go to `scratch` (the system's reusable, empty list for that model), and then each is
    /// widened into this context's types, in order. Every push is a plain push onto a list of a
    /// known type: a call through a pointer per effect cost the relay benchmark a fifth of its time.
    pub fn narrow<P: Model, R>(&mut self, scratch: &mut Vec<Effect<P>>, f: impl FnOnce(&mut Ctx<'_, P>) -> R) -> R
    where
        M::Msg: From<P::Msg>,
        M::Timer: From<P::Timer>,
        M::Event: From<P::Event>,
    {
        debug_assert!(scratch.is_empty());
        let r = f(&mut Ctx { now: self.now, me: self.me, rng: &mut *self.rng, effects: &mut *scratch });
        self.effects.extend(scratch.drain(..).map(widen));
        r
    }
}
