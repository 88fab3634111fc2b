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
        let msg = strip_position(&e.to_string());
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
    use super::path_at;

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
