//! The scenario's `resources` blocks: `kafka.resources` (each broker) and `rabbit.resources` (the
//! broker). Every field has a default (below, with where it comes from; the README's "Resources"
//! section lists them); an empty block `{}` turns the model on with all of them.

use crate::time::Time;
use serde::{Deserialize, Serialize};

/// A Kafka broker's CPU, disk and page cache. Defaults: per-request and per-record costs chosen so
/// that one broker takes ~50 000 single-record requests/s but ~1.6 M records/s in 16 KiB batches of
/// 100-byte records (LinkedIn's 2014 benchmark: 821 557 records/s from one producer thread with
/// batching); a disk of 200 MB/s sequential (the order of one SSD's or a RAID of disks' sequential
/// write), 100 µs per random read (an SSD); a page cache of 1 GiB.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaResources {
    /// CPU per produce or fetch request (parsing, the request's path through the broker).
    pub cpu_per_request_us: u32,
    /// CPU per record in a request (checksums, copying into the log or the response).
    pub cpu_per_record_ns: u32,
    /// Sequential disk bandwidth: appends, and reads of data no longer in the page cache.
    pub disk_mb_s: u32,
    /// A random read: a fetch of old data starts with one.
    pub disk_seek_us: u32,
    /// Memory the OS gives the page cache: the newest data of each replica (its share) is read
    /// from memory, older data from disk.
    pub page_cache_mb: u32,
}

impl Default for KafkaResources {
    fn default() -> Self {
        KafkaResources {
            cpu_per_request_us: 20,
            cpu_per_record_ns: 500,
            disk_mb_s: 200,
            disk_seek_us: 100,
            page_cache_mb: 1024,
        }
    }
}

/// A RabbitMQ broker's CPU, disk and memory. Defaults: ~23 µs of CPU per message published,
/// delivered and acknowledged, so one broker moves about 40 000 messages/s (the order of the
/// OpenMessaging benchmark's 38 MB/s of 1 KB messages, Confluent 2020); the same disk as Kafka's;
/// `vm_memory_high_watermark` 0.4 and `vm_memory_high_watermark_paging_ratio` 0.5 (RabbitMQ 3.x
/// defaults), checked every second (`vm_memory_monitor`'s interval); 1 GiB of memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RabbitResources {
    /// CPU per message published: routing it and enqueueing it.
    pub cpu_per_message_us: u32,
    /// CPU per delivery to a consumer (or basic.get).
    pub cpu_per_delivery_us: u32,
    /// CPU per acknowledgement: a consumer's ack, nack or reject, or a confirm to a publisher.
    pub cpu_per_ack_us: u32,
    pub disk_mb_s: u32,
    /// A random read: a paged-out message read back to be delivered.
    pub disk_seek_us: u32,
    /// The fsync a persistent message waits for before it is confirmed.
    pub fsync_us: u32,
    /// The memory the node sees (`total_memory_available_override_value`).
    pub memory_mb: u32,
    /// `vm_memory_high_watermark.relative`: above this share of `memory_mb` publishers are blocked.
    #[serde(with = "ratio")]
    pub vm_memory_high_watermark: u16,
    /// `vm_memory_high_watermark_paging_ratio`: above this share of the watermark, queues page new
    /// message bodies to disk.
    #[serde(with = "ratio")]
    pub vm_memory_high_watermark_paging_ratio: u16,
    /// How often the memory monitor looks (`vm_memory_monitor`, 1 s).
    pub memory_monitor_interval: Time,
}

impl Default for RabbitResources {
    fn default() -> Self {
        RabbitResources {
            cpu_per_message_us: 10,
            cpu_per_delivery_us: 8,
            cpu_per_ack_us: 5,
            disk_mb_s: 200,
            disk_seek_us: 100,
            fsync_us: 100,
            memory_mb: 1024,
            vm_memory_high_watermark: 400,
            vm_memory_high_watermark_paging_ratio: 500,
            memory_monitor_interval: Time::secs(1),
        }
    }
}

/// A ratio written as a decimal (0.4) and kept in thousandths, so the model stays in integers.
mod ratio {
    use serde::{Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &u16, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*v as f64 / 1000.0)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        d.deserialize_any(Ratio)
    }

    /// Checked inside the visitor, so the error is placed at the value and names its field.
    struct Ratio;
    impl serde::de::Visitor<'_> for Ratio {
        type Value = u16;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a ratio from 0 to 1, such as 0.4")
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u16, E> {
            if !(0.0..=1.0).contains(&v) {
                return Err(E::custom(format!("{v} is not a ratio from 0 to 1")));
            }
            Ok((v * 1000.0).round() as u16)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u16, E> {
            self.visit_f64(v as f64)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u16, E> {
            self.visit_f64(v as f64)
        }
    }
}

fn within(field: &str, v: u32, lo: u32, hi: u32, unit: &str) -> Result<(), String> {
    if v < lo || v > hi {
        return Err(format!("{field}: from {lo} to {hi}{unit}"));
    }
    Ok(())
}

impl KafkaResources {
    pub fn validate(&self) -> Result<(), String> {
        within("kafka.resources.cpu_per_request_us", self.cpu_per_request_us, 0, 1_000_000, " µs")?;
        within("kafka.resources.cpu_per_record_ns", self.cpu_per_record_ns, 0, 1_000_000_000, " ns")?;
        within("kafka.resources.disk_mb_s", self.disk_mb_s, 1, 100_000, " MB/s")?;
        within("kafka.resources.disk_seek_us", self.disk_seek_us, 0, 1_000_000, " µs")?;
        within("kafka.resources.page_cache_mb", self.page_cache_mb, 0, 1_048_576, " MB")
    }

    pub fn page_cache_bytes(&self) -> u64 {
        self.page_cache_mb as u64 * 1_000_000
    }
}

impl RabbitResources {
    pub fn validate(&self) -> Result<(), String> {
        within("rabbit.resources.cpu_per_message_us", self.cpu_per_message_us, 0, 1_000_000, " µs")?;
        within("rabbit.resources.cpu_per_delivery_us", self.cpu_per_delivery_us, 0, 1_000_000, " µs")?;
        within("rabbit.resources.cpu_per_ack_us", self.cpu_per_ack_us, 0, 1_000_000, " µs")?;
        within("rabbit.resources.disk_mb_s", self.disk_mb_s, 1, 100_000, " MB/s")?;
        within("rabbit.resources.disk_seek_us", self.disk_seek_us, 0, 1_000_000, " µs")?;
        within("rabbit.resources.fsync_us", self.fsync_us, 0, 1_000_000, " µs")?;
        within("rabbit.resources.memory_mb", self.memory_mb, 1, 1_048_576, " MB")?;
        if self.vm_memory_high_watermark == 0 {
            return Err("rabbit.resources.vm_memory_high_watermark: more than 0 (0 blocks every publisher)".into());
        }
        if self.vm_memory_high_watermark_paging_ratio == 0 {
            return Err("rabbit.resources.vm_memory_high_watermark_paging_ratio: more than 0".into());
        }
        if self.memory_monitor_interval < Time::ms(1) || self.memory_monitor_interval > Time::secs(60) {
            return Err("rabbit.resources.memory_monitor_interval: from 1ms to 60s".into());
        }
        Ok(())
    }

    /// The memory alarm's threshold in bytes.
    pub fn watermark_bytes(&self) -> u64 {
        self.memory_mb as u64 * 1_000_000 * self.vm_memory_high_watermark as u64 / 1000
    }

    /// Above this, new message bodies are paged to disk.
    pub fn paging_bytes(&self) -> u64 {
        self.watermark_bytes() * self.vm_memory_high_watermark_paging_ratio as u64 / 1000
    }
}
