//! The scenario's `rabbit.processors`: consume-transform-produce clients (see `processor`),
//! checked here with messages that name the field.

use super::Settings;
use crate::rabbit::broker::Names;
use crate::rabbit::config::RabbitSpec;
use crate::rabbit::msg::Props;
use crate::rabbit::routing::check_shortstr;
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessorSpec {
    pub id: String,
    /// The queue it consumes, with manual acks.
    pub input: String,
    /// The exchange it publishes each output to ("" = the default exchange).
    #[serde(default)]
    pub exchange: String,
    /// The output's routing key (default: the input's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<String>,
    /// basic.qos prefetch_count of its consumer.
    #[serde(default = "ten")]
    pub prefetch: u16,
    /// Acknowledges its inputs once this many have their outputs confirmed, with one `multiple`
    /// ack (sooner when it has nothing else to work on).
    #[serde(default = "one")]
    pub ack_every: u32,
    /// How long it works on each input, plus up to `processing_jitter` more.
    #[serde(default)]
    pub processing: Time,
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub processing_jitter: Time,
    /// delivery_mode 2 for its outputs.
    #[serde(default)]
    pub persistent: bool,
    /// When it connects (default: at once, with the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Time>,
}

fn ten() -> u16 {
    10
}

fn one() -> u32 {
    1
}

impl ProcessorSpec {
    /// Its settings, with the names resolved (validated: they exist).
    pub fn settings(&self, names: &Names, reconnect: Time) -> Settings {
        Settings {
            input: names.queue_id(&self.input).unwrap_or(0),
            exchange: names.exchange_id(&self.exchange).unwrap_or(0),
            routing_key: self.routing_key.as_deref().map(Rc::from),
            props: Props { persistent: self.persistent, size: 100, ..Props::default() },
            prefetch: self.prefetch,
            ack_every: self.ack_every,
            processing: self.processing,
            processing_jitter: self.processing_jitter,
            reconnect,
            start: self.start,
        }
    }
}

pub fn validate(spec: &RabbitSpec, names: &Names) -> Result<(), String> {
    if spec.processors.len() > 50 {
        return Err("rabbit.processors: at most 50".into());
    }
    for (i, p) in spec.processors.iter().enumerate() {
        let f = |field: &str| format!("rabbit.processors[{i}].{field}");
        let Some(input) = spec.queues.iter().find(|q| q.name == p.input) else {
            return Err(format!("{}: no queue \"{}\" in rabbit.queues", f("input"), p.input));
        };
        if crate::rabbit::stream::args::declares_stream(&input.arguments) {
            return Err(format!(
                "{}: \"{}\" is a stream (a processor consumes a classic or quorum queue)",
                f("input"),
                p.input
            ));
        }
        if names.exchange_id(&p.exchange).is_none() {
            return Err(format!("{}: no exchange \"{}\" (declare it in rabbit.exchanges)", f("exchange"), p.exchange));
        }
        if let Some(key) = &p.routing_key {
            check_shortstr("a routing key", key).map_err(|e| format!("{}: {e}", f("routing_key")))?;
            if p.exchange.is_empty() && *key == p.input {
                return Err(format!(
                    "{}: the default exchange would route the output back into the input \"{key}\"",
                    f("routing_key")
                ));
            }
        }
        if p.prefetch == 0 {
            return Err(format!("{}: at least 1 (it acknowledges in batches it must hold)", f("prefetch")));
        }
        if p.ack_every == 0 || p.ack_every > p.prefetch as u32 {
            return Err(format!("{}: from 1 to the prefetch ({})", f("ack_every"), p.prefetch));
        }
        if p.processing > Time::secs(60) || p.processing_jitter > Time::secs(60) {
            return Err(format!("{}: processing and processing_jitter at most 60s each", f("processing")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Scenario;

    fn err(processor: &str) -> String {
        let rabbit = format!(
            r#"{{"queues":[{{"name":"in"}},{{"name":"out"}},{{"name":"s","durable":true,"arguments":{{"x-queue-type":"stream"}}}}],
                "processors":[{processor}]}}"#
        );
        Scenario::from_json(&format!(r#"{{"name":"r","rabbit":{rabbit}}}"#)).expect_err("should be rejected")
    }

    #[test]
    fn bad_processors_name_the_field() {
        let cases = [
            (r#"{"id":"p","input":"nope"}"#, "rabbit.processors[0].input: no queue \"nope\""),
            (r#"{"id":"p","input":"s"}"#, "rabbit.processors[0].input: \"s\" is a stream"),
            (r#"{"id":"p","input":"in","exchange":"x"}"#, "rabbit.processors[0].exchange: no exchange \"x\""),
            (r#"{"id":"p","input":"in","routing_key":"in"}"#, "rabbit.processors[0].routing_key: the default exchange"),
            (r#"{"id":"p","input":"in","prefetch":0}"#, "rabbit.processors[0].prefetch: at least 1"),
            (
                r#"{"id":"p","input":"in","ack_every":11}"#,
                "rabbit.processors[0].ack_every: from 1 to the prefetch (10)",
            ),
            (r#"{"id":"p","input":"in","processing":"61s"}"#, "rabbit.processors[0].processing"),
            (r#"{"id":"p","input":"in","colour":1}"#, "unknown field `colour`"),
            (r#"{"id":"rabbit","input":"in"}"#, "\"rabbit\" is used twice"),
        ];
        for (processor, want) in cases {
            let got = err(processor);
            assert!(got.contains(want), "wanted {want:?} in {got:?}");
        }
    }

    #[test]
    fn a_valid_processor_is_taken() {
        let json = r#"{"name":"r","rabbit":{"queues":[{"name":"in"},{"name":"out"}],
            "processors":[{"id":"p","input":"in","routing_key":"out","ack_every":10}]}}"#;
        Scenario::from_json(json).unwrap_or_else(|e| panic!("{e}"));
    }
}
