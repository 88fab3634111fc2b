//! Every error in a scenario file names the field it is about. For each preset, each duration is
//! replaced in turn by a bad one, and an unknown field is slipped into each object in turn; the
//! error must start with that value's exact path (`kafka.producers[0].linger`), as built by
//! walking the JSON text to where serde_json stopped (`engine::json_path`).

use brokerlab::engine::presets::PRESETS;
use brokerlab::engine::{Scenario, Time};
use serde_json::Value;

/// Every (path, pointer) of the values under `v`, objects and arrays included.
fn walk(v: &Value, path: String, pointer: String, out: &mut Vec<(String, String, Value)>) {
    out.push((path.clone(), pointer.clone(), v.clone()));
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(x, p, format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, format!("{path}[{i}]"), format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn bad_durations_and_unknown_fields_are_named_by_their_path() {
    let mut checked = (0, 0);
    for (slug, json) in PRESETS {
        let doc: Value = serde_json::from_str(json).unwrap();
        let mut all = Vec::new();
        walk(&doc, String::new(), String::new(), &mut all);
        for (path, pointer, v) in &all {
            match v {
                Value::String(s) if Time::parse(s).is_ok() && s.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                    let mut bad = doc.clone();
                    *bad.pointer_mut(pointer).unwrap() = Value::String("7 parsecs".into());
                    let err = Scenario::from_json(&serde_json::to_string_pretty(&bad).unwrap()).unwrap_err();
                    assert!(err.starts_with(&format!("{path}: `7 parsecs`")), "{slug}: {path}: {err}");
                    checked.0 += 1;
                }
                Value::Object(_) => {
                    let mut bad = doc.clone();
                    bad.pointer_mut(pointer).unwrap().as_object_mut().unwrap().insert("zzz".into(), Value::from(1));
                    let err = Scenario::from_json(&serde_json::to_string_pretty(&bad).unwrap()).unwrap_err();
                    // Maps of free keys (queue arguments, headers) have their own messages.
                    if err.contains("unknown field") {
                        let field = if path.is_empty() { "zzz".to_string() } else { format!("{path}.zzz") };
                        assert!(err.starts_with(&format!("{field}: unknown field `zzz`")), "{slug}: {path}: {err}");
                        checked.1 += 1;
                    }
                }
                _ => {}
            }
        }
    }
    assert!(checked.0 > 50 && checked.1 > 100, "{checked:?}");
}
