//! Commands: what a user (or a scenario's fault schedule) asks the simulation to do.
//!
//! One type serves both: generic over how a node is named — by its scenario id (`String`) in a
//! scenario, by its index (`NodeId`) once resolved against a topology. (Its JSON form is the flat
//! fault record of `scenario/fault.rs`.)

use super::time::Time;

/// `A` is the running system's per-node action (`System::Act`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<N, A> {
    /// Crash a node: it stops handling messages and timers, and loses its volatile state.
    Stop { node: N },
    /// Restart a stopped node.
    Start { node: N },
    /// Shut a node down cleanly: it says goodbye first (a group consumer commits and sends
    /// LeaveGroup, as `KafkaConsumer.close()` does), then it stops.
    Leave { node: N },
    /// Cut every link of a node (it keeps running, alone).
    Isolate { node: N },
    /// Undo `isolate`.
    Rejoin { node: N },
    /// Cut the link between two nodes, both directions (a network partition).
    Cut { a: N, b: N },
    /// Restore the link between two nodes.
    Heal { a: N, b: N },
    /// Add one-way delay to the link between two nodes (`extra: "0us"` restores it).
    Slow { a: N, b: N, extra: Time },
    /// Restore every link and isolated node (stopped nodes stay stopped).
    HealAll,
    /// An action of the model's own on one node, handed to it (`Process::on_act`) if it is up.
    Act { node: N, act: A },
}

impl<N, A> Command<N, A> {
    /// The same command with its node names translated by `f` (which may fail, e.g. unknown id).
    pub fn try_map<M, E>(self, mut f: impl FnMut(N) -> Result<M, E>) -> Result<Command<M, A>, E> {
        Ok(match self {
            Command::Stop { node } => Command::Stop { node: f(node)? },
            Command::Start { node } => Command::Start { node: f(node)? },
            Command::Leave { node } => Command::Leave { node: f(node)? },
            Command::Isolate { node } => Command::Isolate { node: f(node)? },
            Command::Rejoin { node } => Command::Rejoin { node: f(node)? },
            Command::Cut { a, b } => Command::Cut { a: f(a)?, b: f(b)? },
            Command::Heal { a, b } => Command::Heal { a: f(a)?, b: f(b)? },
            Command::Slow { a, b, extra } => Command::Slow { a: f(a)?, b: f(b)?, extra },
            Command::HealAll => Command::HealAll,
            Command::Act { node, act } => Command::Act { node: f(node)?, act },
        })
    }

    /// The same command with its action (if it is one) turned into `B` by `f`.
    pub fn map_act<B>(self, f: impl FnOnce(A) -> B) -> Command<N, B> {
        match self {
            Command::Stop { node } => Command::Stop { node },
            Command::Start { node } => Command::Start { node },
            Command::Leave { node } => Command::Leave { node },
            Command::Isolate { node } => Command::Isolate { node },
            Command::Rejoin { node } => Command::Rejoin { node },
            Command::Cut { a, b } => Command::Cut { a, b },
            Command::Heal { a, b } => Command::Heal { a, b },
            Command::Slow { a, b, extra } => Command::Slow { a, b, extra },
            Command::HealAll => Command::HealAll,
            Command::Act { node, act } => Command::Act { node, act: f(act) },
        }
    }

    /// The nodes this command concerns, in order.
    pub fn nodes(&self) -> Vec<&N> {
        match self {
            Command::Stop { node }
            | Command::Start { node }
            | Command::Leave { node }
            | Command::Isolate { node }
            | Command::Rejoin { node }
            | Command::Act { node, .. } => {
                vec![node]
            }
            Command::Cut { a, b } | Command::Heal { a, b } | Command::Slow { a, b, .. } => vec![a, b],
            Command::HealAll => vec![],
        }
    }
}
