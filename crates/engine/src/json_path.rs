//! Which field a JSON error is about, as a path (`nodes[1].interval`), so users are told exactly
//! what to fix. serde_json reports the line and column where it stopped; this walks the text up to
//! there with a stack of the objects (and the key being read) and arrays (and the index) it is
//! inside. Every error the scenario formats raise is placed by serde_json at the value it is
//! about (`Time` and the header tables parse inside their visitors for that), or, for a missing
//! field or a whole-record check, at the end of the object, which this names. It costs a few
//! hundred bytes of code, where a path-tracking deserializer wrapped around every type cost
//! about 100 KB of wasm.

/// Parses `text` as a JSON object into `T`; an error names the field it is about
/// (`nodes[1].to: …`), and text that is not an object gets `not_object`. Shared by everything
/// users type as JSON.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str, not_object: &str) -> Result<T, String> {
    if !text.trim_start().starts_with('{') {
        return Err(not_object.into());
    }
    serde_json::from_str(text).map_err(|e| {
        let msg = plain(&strip_position(&e.to_string()));
        // Syntax errors and the end of the text are about characters, not a field.
        if e.is_syntax() || e.is_eof() {
            return msg;
        }
        match path_at(text, e.line(), e.column()) {
            p if p.is_empty() => msg,
            p => format!("{p}: {msg}"),
        }
    })
}

/// serde_json's message without " at line L column C", except where the position is what helps.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) if !msg.starts_with("expected") && !msg.starts_with("EOF") && !msg.starts_with("trailing") => {
            msg[..i].to_string()
        }
        _ => msg.to_string(),
    }
}

/// serde's words for types in the user's: "invalid type: integer `5`, expected struct KafkaLane"
/// becomes "got the number 5, expected an object"; "expected u32" names the range instead of the
/// Rust type. What the scenario formats' own checks say is left as it is.
pub fn plain(msg: &str) -> String {
    let Some(rest) = msg.strip_prefix("invalid type: ").or_else(|| msg.strip_prefix("invalid value: ")) else {
        return msg.to_string();
    };
    let Some((got, expected)) = rest.rsplit_once(", expected ") else { return msg.to_string() };
    let literal = |kind: &str| got.strip_prefix(kind).map(|v| v.trim().trim_matches('`').to_string());
    let got = if let Some(v) = literal("integer").or_else(|| literal("floating point")) {
        format!("the number {v}")
    } else if let Some(v) = literal("string") {
        format!("the text {v}")
    } else if let Some(v) = literal("boolean") {
        v
    } else {
        match got {
            "map" => "an object".to_string(),
            "sequence" => "a list".to_string(),
            "null" | "unit value" => "null".to_string(),
            other => other.to_string(),
        }
    };
    let expected = match expected {
        "u8" => "a whole number from 0 to 255".to_string(),
        "u16" => "a whole number from 0 to 65535".to_string(),
        "u32" => "a whole number from 0 to 4294967295".to_string(),
        "u64" | "usize" => "a whole number ≥ 0".to_string(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_string(),
        "f32" | "f64" => "a number".to_string(),
        "a sequence" => "a list".to_string(),
        "a map" => "an object".to_string(),
        e if e.starts_with("struct ") || e.starts_with("map ") => "an object".to_string(),
        e => e.to_string(),
    };
    format!("got {got}, expected {expected}")
}

enum Frame {
    /// The key being read or last read, and whether the next string is a key.
    Object {
        key: String,
        want_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The path of the value being read at `line`, `column` (1-based, as serde_json counts them).
pub fn path_at(text: &str, line: usize, column: usize) -> String {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let upto = text.get(..(start + column).min(text.len())).unwrap_or(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut chars = upto.chars();
    while let Some(c) = chars.next() {
        match c {
            '{' => stack.push(Frame::Object { key: String::new(), want_key: true }),
            '[' => stack.push(Frame::Array { index: 0 }),
            // A finished container: its parent's frame names it (an error right after it is about
            // it as a whole, e.g. a missing field).
            '}' | ']' => {
                stack.pop();
            }
            ':' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = false;
                }
            }
            ',' => match stack.last_mut() {
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            '"' => {
                // A string, to its closing quote (or the end of what was read).
                let mut s = String::new();
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        _ if escaped => {
                            escaped = false;
                            s.push(c);
                        }
                        '\\' => escaped = true,
                        '"' => break,
                        _ => s.push(c),
                    }
                }
                if let Some(Frame::Object { key, want_key: true }) = stack.last_mut() {
                    *key = s;
                }
            }
            _ => {}
        }
    }
    let mut path = String::new();
    for f in &stack {
        match f {
            Frame::Object { key, .. } if key.is_empty() => {}
            Frame::Object { key, .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::{path_at, plain};

    #[test]
    fn serde_type_names_become_words() {
        assert_eq!(
            plain("invalid type: integer `5`, expected struct KafkaLane"),
            "got the number 5, expected an object"
        );
        assert_eq!(
            plain("invalid type: string \"x\", expected u32"),
            "got the text \"x\", expected a whole number from 0 to 4294967295"
        );
        assert_eq!(
            plain("invalid value: integer `99999999999`, expected u32"),
            "got the number 99999999999, expected a whole number from 0 to 4294967295"
        );
        assert_eq!(plain("invalid type: map, expected a sequence"), "got an object, expected a list");
        assert_eq!(plain("invalid type: boolean `true`, expected f64"), "got true, expected a number");
        assert_eq!(plain("customers: from 1 to 20"), "customers: from 1 to 20", "our own words stay");
    }

    /// The path at the column just after `marker`'s first occurrence (line 1).
    fn at(text: &str, marker: &str) -> String {
        path_at(text, 1, text.find(marker).unwrap() + marker.len())
    }

    #[test]
    fn paths_name_keys_and_indexes() {
        let t = r#"{"nodes": [{"id": "a"}, {"id": "b", "to": "x"}], "faults": [{"at": "1s"}], "seed": -1}"#;
        assert_eq!(at(t, r#""to": "x""#), "nodes[1].to");
        assert_eq!(at(t, r#""id": "a""#), "nodes[0].id");
        // Right after an object closes: the error is about that object (e.g. a missing field).
        assert_eq!(at(t, r#"{"at": "1s"}"#), "faults[0]");
        assert_eq!(at(t, "-1"), "seed");
        // A key just read (an unknown field) is named.
        assert_eq!(at(t, r#"{"nodes": [{"id""#), "nodes[0].id");
        assert_eq!(path_at("{\"a\": 1,\n \"b\": {\"c\": \"\\\"\"}}", 2, 13), "b.c");
    }
}
