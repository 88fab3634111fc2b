//! The broker's topology: declaring exchanges and queues (with RabbitMQ's equivalence and
//! reserved-name checks), bindings, and deleting exchanges and queues with their bindings.

use super::{err, Broker, ChannelErr};
use crate::rabbit::event::{Gone, RabbitEvent};
use crate::rabbit::exchange::{Exchange, ExchangeDecl, DEFAULT};
use crate::rabbit::msg::*;
use crate::rabbit::queue::{Queue, QueueDecl};
use crate::rabbit::routing::Table;
use crate::time::Time;
use crate::NodeId;
use std::rc::Rc;

impl Broker {
    pub fn declare_exchange(&mut self, id: u16, decl: ExchangeDecl) -> Result<(), ChannelErr> {
        let about = Some(Dest::Exchange(id));
        if id == DEFAULT {
            return Err(err(ACCESS_REFUSED, "operation not permitted on the default exchange", about));
        }
        match self.exchange(id) {
            Some(x) if x.decl != decl => Err(err(PRECONDITION_FAILED, "inequivalent arg for exchange", about)),
            Some(_) => Ok(()),
            None if self.names.exchange(id).starts_with("amq.") => {
                Err(err(ACCESS_REFUSED, "exchange name contains reserved prefix 'amq.*'", about))
            }
            None => {
                let durable = decl.durable;
                *self.exchanges.get_mut(id as usize).ok_or(err(NOT_FOUND, "no exchange", about))? =
                    Some(Exchange::new(decl));
                self.emit(RabbitEvent::Declared { dest: Dest::Exchange(id), durable });
                Ok(())
            }
        }
    }

    pub fn delete_exchange(&mut self, id: u16) -> Result<(), ChannelErr> {
        let about = Some(Dest::Exchange(id));
        if id == DEFAULT {
            return Err(err(ACCESS_REFUSED, "operation not permitted on the default exchange", about));
        }
        if self.names.exchange(id).starts_with("amq.") {
            return Err(err(ACCESS_REFUSED, "deletion of system exchange not allowed", about));
        }
        if let Some(slot) = self.exchanges.get_mut(id as usize).filter(|s| s.is_some()) {
            *slot = None;
            self.unbind_all(Dest::Exchange(id));
            self.emit(RabbitEvent::ExchangeDeleted { exchange: id });
        }
        Ok(())
    }

    /// queue.unbind / exchange.unbind: 404 if the source or destination does not exist; removing a
    /// binding that is not there is not an error.
    pub fn unbind(&mut self, source: u16, dest: Dest, key: &str, args: &Table) -> Result<(), ChannelErr> {
        if source == DEFAULT || dest == Dest::Exchange(DEFAULT) {
            return Err(err(ACCESS_REFUSED, "operation not permitted on the default exchange", Some(dest)));
        }
        let missing = match dest {
            Dest::Queue(q) => self.queue(q).is_none(),
            Dest::Exchange(x) => self.exchange(x).is_none(),
        };
        if missing {
            return Err(err(
                NOT_FOUND,
                if matches!(dest, Dest::Queue(_)) { "no queue" } else { "no exchange" },
                Some(dest),
            ));
        }
        let x = self.exchanges.get_mut(source as usize).and_then(Option::as_mut);
        if x.ok_or(err(NOT_FOUND, "no exchange", Some(Dest::Exchange(source))))?.unbind(dest, key, args) {
            self.emit(RabbitEvent::Unbound { source, dest });
        }
        Ok(())
    }

    fn unbind_all(&mut self, dest: Dest) {
        for x in self.exchanges.iter_mut().flatten() {
            x.bindings.retain(|b| b.dest != dest);
        }
    }

    pub fn declare_queue(&mut self, client: NodeId, id: u16, decl: QueueDecl, now: Time) -> Result<(), ChannelErr> {
        let about = Some(Dest::Queue(id));
        if let Some(q) = self.queue(id) {
            if q.owner.is_some_and(|o| o != client) {
                return Err(err(RESOURCE_LOCKED, "cannot obtain exclusive access to locked queue", about));
            }
            if q.decl != decl {
                return Err(err(PRECONDITION_FAILED, "inequivalent arg for queue", about));
            }
            // A redeclaration is a use: x-expires starts again.
            self.arm_expires(id, now);
            return Ok(());
        }
        if self.names.queue(id).starts_with("amq.") {
            return Err(err(ACCESS_REFUSED, "queue name contains reserved prefix 'amq.*'", about));
        }
        if decl.args.dl_routing_key.is_some() && decl.args.dlx.is_none() {
            return Err(err(PRECONDITION_FAILED, "x-dead-letter-routing-key requires x-dead-letter-exchange", about));
        }
        let owner = decl.exclusive.then_some(client);
        let durable = decl.durable;
        *self.queues.get_mut(id as usize).ok_or(err(NOT_FOUND, "no queue", about))? = Some(Queue::new(decl, owner));
        self.emit(RabbitEvent::Declared { dest: Dest::Queue(id), durable });
        self.arm_expires(id, now);
        Ok(())
    }

    /// queue.bind / exchange.bind.
    pub fn bind(
        &mut self,
        client: NodeId,
        source: u16,
        dest: Dest,
        key: &str,
        args: &Rc<Table>,
    ) -> Result<(), ChannelErr> {
        if source == DEFAULT || dest == Dest::Exchange(DEFAULT) {
            return Err(err(ACCESS_REFUSED, "operation not permitted on the default exchange", Some(dest)));
        }
        match dest {
            Dest::Queue(q) => match self.queue(q) {
                None => return Err(err(NOT_FOUND, "no queue", Some(dest))),
                Some(q) if q.owner.is_some_and(|o| o != client) => {
                    return Err(err(RESOURCE_LOCKED, "cannot obtain exclusive access to locked queue", Some(dest)))
                }
                _ => {}
            },
            Dest::Exchange(x) if self.exchange(x).is_none() => return Err(err(NOT_FOUND, "no exchange", Some(dest))),
            Dest::Exchange(_) => {}
        }
        let about = Some(Dest::Exchange(source));
        let x = self.exchanges.get_mut(source as usize).and_then(Option::as_mut);
        let x = x.ok_or(err(NOT_FOUND, "no exchange", about))?;
        match x.bind(dest, key, args) {
            Ok(true) => self.emit(RabbitEvent::Bound { source, dest }),
            Ok(false) => {}
            Err(_) => return Err(err(PRECONDITION_FAILED, "binding_invalid: bad binding key or arguments", about)),
        }
        Ok(())
    }

    pub fn delete_queue(&mut self, id: u16, why: Gone) {
        let Some(mut q) = self.queues.get_mut(id as usize).and_then(Option::take) else { return };
        let messages = q.clear();
        self.unbind_all(Dest::Queue(id));
        for ch in self.channels.values_mut() {
            ch.consumers.retain(|&(_, q)| q != id);
        }
        self.emit(RabbitEvent::QueueDeleted { queue: id, messages, why });
    }
}
