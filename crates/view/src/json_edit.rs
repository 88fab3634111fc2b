//! Edits of a JSON value by dotted path (`rabbit.queues.0.arguments`): setting one (a lesson's
//! "try this", a link's edits), and finding the edits that turn one value into another (a link
//! carries an edited scenario as its changes to the preset, not the whole scenario).

use serde_json::{Map, Value};

/// Sets `value` at a dotted path (`rabbit.queues.0.arguments`): object keys are created if
/// missing, array indexes must exist.
pub fn set_path(json: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut at = json;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        at = match at {
            Value::Array(a) => {
                let k: usize = part.parse().map_err(|_| format!("\"{part}\" is not a position in a list"))?;
                let len = a.len();
                a.get_mut(k).ok_or_else(|| format!("the list has {len} entries, not {}", k + 1))?
            }
            Value::Object(o) => {
                o.entry(part.to_string()).or_insert(if last { Value::Null } else { Value::Object(Map::new()) })
            }
            _ => return Err(format!("\"{part}\" is inside a value that has no fields")),
        };
    }
    *at = value;
    Ok(())
}

/// The edits (`path → new value`) that `set_path` applies to `from` to make `to`, as few and as
/// deep as possible: a changed field is one edit; a list whose length changed, an object that
/// lost a key, or one with a key that has a `.` in it, is replaced whole.
pub fn diff(from: &Value, to: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    diff_at(from, to, "", &mut out);
    out
}

fn diff_at(from: &Value, to: &Value, path: &str, out: &mut Map<String, Value>) {
    if from == to {
        return;
    }
    let child = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match (from, to) {
        (Value::Object(a), Value::Object(b)) if !path.is_empty() || a.keys().all(|k| b.contains_key(k)) => {
            if a.keys().any(|k| !b.contains_key(k)) || b.keys().any(|k| k.contains('.') || k.is_empty()) {
                out.insert(path.to_string(), to.clone());
            } else {
                for (k, v) in b {
                    match a.get(k) {
                        Some(old) => diff_at(old, v, &child(k), out),
                        None => {
                            out.insert(child(k), v.clone());
                        }
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() && !path.is_empty() => {
            for (i, (old, new)) in a.iter().zip(b).enumerate() {
                diff_at(old, new, &child(&i.to_string()), out);
            }
        }
        _ => {
            out.insert(path.to_string(), to.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(mut from: Value, edits: &Map<String, Value>) -> Value {
        for (path, v) in edits {
            if path.is_empty() {
                from = v.clone();
            } else {
                set_path(&mut from, path, v.clone()).unwrap();
            }
        }
        from
    }

    #[test]
    fn a_changed_field_is_one_edit_and_applying_the_edits_gives_the_target() {
        let from = json!({"a": {"b": 1, "c": [1, 2, {"d": "x"}]}, "e": "y"});
        let cases = [
            json!({"a": {"b": 2, "c": [1, 2, {"d": "x"}]}, "e": "y"}),
            json!({"a": {"b": 1, "c": [1, 2, {"d": "z"}]}, "e": "y"}),
            json!({"a": {"b": 1, "c": [1, 2]}, "e": "y"}),
            json!({"a": {"c": [1, 2, {"d": "x"}]}, "e": "y"}),
            json!({"a": {"b": 1, "c": [1, 2, {"d": "x"}], "new": true}, "e": "y"}),
            json!({"a": {"b": 1, "c": [1, 2, {"d": "x", "k.with.dots": 1}]}, "e": "y"}),
            json!({"e": "y"}),
            json!([1]),
        ];
        assert_eq!(diff(&from, &cases[0]), json!({"a.b": 2}).as_object().unwrap().clone());
        assert_eq!(diff(&from, &cases[1]), json!({"a.c.2.d": "z"}).as_object().unwrap().clone());
        assert_eq!(diff(&from, &cases[2]), json!({"a.c": [1, 2]}).as_object().unwrap().clone());
        for to in cases {
            assert_eq!(apply(from.clone(), &diff(&from, &to)), to, "{to}");
        }
        assert!(diff(&from, &from).is_empty());
    }

    #[test]
    fn set_path_explains_a_bad_path() {
        let mut v = json!({"a": [1]});
        assert!(set_path(&mut v, "a.x", json!(1)).unwrap_err().contains("not a position"));
        assert!(set_path(&mut v, "a.3", json!(1)).unwrap_err().contains("1 entries"));
        assert!(set_path(&mut v, "a.0.b", json!(1)).unwrap_err().contains("no fields"));
    }
}
