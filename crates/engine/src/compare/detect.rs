//! The detector: folds "message `seq` finished processing on consumer `i`" observations into the
//! order each customer's messages were processed in, per customer and per consumer, and counts
//! what went wrong. Message `seq` belongs to customer `seq % K` and is that customer's number
//! `seq / K + 1`, in both systems.
//!
//! - out of order: a message processed for the first time after a later one of the same customer;
//! - duplicate: a message processed again (at-least-once delivery doing its job);
//! - lost: published messages never processed (counted when the run ends).

use crate::time::Time;

/// What a processed message looked like to the detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    InOrder,
    OutOfOrder,
    Duplicate,
}

/// One processed message, as a numbered chip in the lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chip {
    pub at: Time,
    /// 0-based consumer index (`c1` is 0).
    pub consumer: u32,
    pub customer: u32,
    /// 1-based number within its customer.
    pub number: u32,
    /// RabbitMQ's redelivered flag (Kafka has none: a re-read looks like a first read).
    pub redelivered: bool,
    pub mark: Mark,
}

/// The first message of a kind of violation: where to point the learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    pub at: Time,
    pub consumer: u32,
    pub customer: u32,
    pub number: u32,
    /// For out of order: the highest number of that customer processed before it. For a
    /// duplicate: its own number.
    pub after: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub published: u64,
    /// Processing completions, duplicates included.
    pub processed: u64,
    /// Distinct messages processed.
    pub unique: u64,
    pub out_of_order: u64,
    pub duplicates: u64,
    pub redelivered: u64,
    /// Messages never processed; meaningful once the run is over.
    pub lost: u64,
}

#[derive(Clone, Debug)]
pub struct Detector {
    customers: u32,
    total: u64,
    pub by_customer: Vec<Vec<Chip>>,
    pub by_consumer: Vec<Vec<Chip>>,
    /// Per message: times processed.
    times: Vec<u16>,
    published_at: Vec<Option<Time>>,
    /// Per customer: the highest number processed so far (0: none yet).
    highest: Vec<u32>,
    pub counts: Counts,
    pub first_out_of_order: Option<Violation>,
    pub first_duplicate: Option<Violation>,
    pub first_publish: Option<Time>,
    pub first_processed: Option<Time>,
    pub last_processed: Option<Time>,
    latency_sum: u64,
    pub latency_max: Time,
}

impl Detector {
    pub fn new(customers: u32, per_customer: u32, consumers: u32) -> Detector {
        let total = customers as u64 * per_customer as u64;
        Detector {
            customers: customers.max(1),
            total,
            by_customer: vec![Vec::new(); customers as usize],
            by_consumer: vec![Vec::new(); consumers as usize],
            times: vec![0; total as usize],
            published_at: vec![None; total as usize],
            highest: vec![0; customers as usize],
            counts: Counts::default(),
            first_out_of_order: None,
            first_duplicate: None,
            first_publish: None,
            first_processed: None,
            last_processed: None,
            latency_sum: 0,
            latency_max: Time::ZERO,
        }
    }

    /// (customer, number) of message `seq`.
    pub fn split(&self, seq: u64) -> (u32, u32) {
        let k = self.customers as u64;
        ((seq % k) as u32, (seq / k + 1) as u32)
    }

    pub fn published(&mut self, at: Time, seq: u64) {
        let Some(slot) = self.published_at.get_mut(seq as usize) else { return };
        if slot.is_none() {
            *slot = Some(at);
            self.counts.published += 1;
            self.first_publish.get_or_insert(at);
        }
    }

    /// Message `seq` finished processing on `consumer`. Out-of-range values are ignored.
    pub fn processed(&mut self, at: Time, consumer: u32, seq: u64, redelivered: bool) {
        if seq >= self.total || consumer as usize >= self.by_consumer.len() {
            return;
        }
        let (customer, number) = self.split(seq);
        let highest = self.highest[customer as usize];
        let times = &mut self.times[seq as usize];
        *times = times.saturating_add(1);
        let mark = if *times > 1 {
            Mark::Duplicate
        } else if number < highest {
            Mark::OutOfOrder
        } else {
            Mark::InOrder
        };
        let violation = Violation { at, consumer, customer, number, after: highest.max(number) };
        match mark {
            Mark::Duplicate => {
                self.counts.duplicates += 1;
                self.first_duplicate.get_or_insert(Violation { after: number, ..violation });
            }
            Mark::OutOfOrder => {
                self.counts.out_of_order += 1;
                self.first_out_of_order.get_or_insert(violation);
            }
            Mark::InOrder => {}
        }
        if mark != Mark::Duplicate {
            self.counts.unique += 1;
            if let Some(p) = self.published_at[seq as usize] {
                let latency = at.saturating_sub(p);
                self.latency_sum += latency.0;
                self.latency_max = self.latency_max.max(latency);
            }
        }
        self.highest[customer as usize] = highest.max(number);
        self.counts.processed += 1;
        self.counts.redelivered += redelivered as u64;
        self.first_processed.get_or_insert(at);
        self.last_processed = Some(at);
        let chip = Chip { at, consumer, customer, number, redelivered, mark };
        self.by_customer[customer as usize].push(chip);
        self.by_consumer[consumer as usize].push(chip);
    }

    /// Everything published has been processed at least once.
    pub fn complete(&self) -> bool {
        self.counts.unique == self.total
    }

    /// Ends the run: what was never processed is lost.
    pub fn finish(&mut self) {
        self.counts.lost = self.total - self.counts.unique;
    }

    /// Mean time from publish to the end of processing, over distinct messages.
    pub fn latency_mean(&self) -> Time {
        Time(self.latency_sum / self.counts.unique.max(1))
    }

    /// Distinct messages processed per simulated second, from the first processing to the last
    /// (the consumers' pace, whatever the start-up; integers: the engine has no floating point).
    pub fn throughput(&self) -> u64 {
        match (self.first_processed, self.last_processed) {
            (Some(a), Some(b)) if b > a => self.counts.unique * 1_000_000 / (b - a).0,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_out_of_order_duplicates_and_losses() {
        // Two customers, three messages each: seq 0,2,4 are customer 0's 1,2,3.
        let mut d = Detector::new(2, 3, 2);
        for seq in 0..6 {
            d.published(Time::ms(seq), seq);
        }
        d.processed(Time::ms(10), 0, 0, false); // A1
        d.processed(Time::ms(11), 1, 4, false); // A3
        d.processed(Time::ms(12), 0, 2, true); // A2 after A3: out of order
        d.processed(Time::ms(13), 1, 4, false); // A3 again: duplicate
        d.processed(Time::ms(14), 1, 1, false); // B1
        d.processed(Time::ms(15), 1, 99, false); // ignored
        d.finish();
        let c = d.counts;
        assert_eq!((c.processed, c.unique, c.out_of_order, c.duplicates, c.lost), (5, 4, 1, 1, 2));
        assert_eq!(c.redelivered, 1);
        let v = d.first_out_of_order.unwrap();
        assert_eq!((v.customer, v.number, v.after, v.consumer), (0, 2, 3, 0));
        assert_eq!(d.first_duplicate.unwrap().number, 3);
        assert_eq!(d.by_customer[0].len(), 4);
        assert_eq!(d.by_consumer[1].len(), 3);
        assert!(!d.complete());
    }
}
