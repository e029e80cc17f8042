//! One decoder per format. Each turns one record's text into zero or more [`HostRecord`]s
//! (zero: a record type that carries nothing for the rules, such as a process exit), or a
//! [`RecordError`] naming the field to blame. auditd is stateful (its events span several
//! lines) and lives in [`auditd::AuditdAssembler`].

pub mod auditd;
pub mod ecs;
pub mod envoy;
pub mod falco;
pub mod sysmon;
pub mod tetragon;

use crate::error::{HostErrorCode, RecordError};
use jiff::Timestamp;
use serde_json::Value;

/// Parse a JSON line, mapping syntax errors to `invalid_json`.
pub(crate) fn parse_json(line: &str) -> Result<Value, RecordError> {
    serde_json::from_str(line)
        .map_err(|e| RecordError::new(HostErrorCode::InvalidJson, e.to_string()))
}

/// Look a dotted path up in a JSON value, accepting nested objects, flattened dotted keys
/// (`"process.args"`) and any mix of the two (`{"process": {"parent.name": ...}}`).
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    lookup_depth(value, path, 0)
}

fn lookup_depth<'a>(value: &'a Value, path: &str, depth: usize) -> Option<&'a Value> {
    let obj = value.as_object()?;
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    if depth > 8 {
        return None;
    }
    // Try every split point, shortest head first.
    let mut start = 0;
    while let Some(dot) = path.get(start..).and_then(|s| s.find('.')) {
        let at = start + dot;
        let (head, tail) = (path.get(..at)?, path.get(at + 1..)?);
        if let Some(inner) = obj.get(head)
            && let Some(found) = lookup_depth(inner, tail, depth + 1)
        {
            return Some(found);
        }
        start = at + 1;
    }
    None
}

/// A string at `path` (numbers and booleans are rendered), empty strings and `-` as absent.
pub(crate) fn str_at(value: &Value, path: &str) -> Option<String> {
    match lookup(value, path)? {
        Value::String(s) if !s.is_empty() && s != "-" && s != "<NA>" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.first().and_then(|v| v.as_str()).map(str::to_string),
        _ => None,
    }
}

/// An unsigned number at `path`, given as a number or a numeric string.
pub(crate) fn u64_at(value: &Value, path: &str) -> Result<Option<u64>, RecordError> {
    match lookup(value, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n
            .as_u64()
            .or_else(|| n.as_i64().and_then(|i| u64::try_from(i).ok()))),
        Some(Value::String(s)) if s.is_empty() || s == "-" || s == "<NA>" => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).or_else(|_| {
            // Negative ids (loginuid -1) mean "unset".
            if s.trim().parse::<i64>().is_ok() {
                Ok(None)
            } else {
                Err(RecordError::field(
                    HostErrorCode::InvalidField,
                    path,
                    format!("expected a number, found {s:?}"),
                ))
            }
        }),
        Some(other) => Err(RecordError::field(
            HostErrorCode::InvalidField,
            path,
            format!("expected a number, found {}", json_type(other)),
        )),
    }
}

/// A boolean at `path`, given as a bool or `"true"`/`"false"`.
pub(crate) fn bool_at(value: &Value, path: &str) -> Option<bool> {
    match lookup(value, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Strings of an array (or a single string) at `path`.
pub(crate) fn strings_at(value: &Value, path: &str) -> Vec<String> {
    match lookup(value, path) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parse the time spellings the formats use: RFC 3339 (any precision, `Z` or offset, also
/// `+0000`), `YYYY-MM-DD HH:MM:SS[.fff]` (UTC, Sysmon's `UtcTime`), and epoch seconds,
/// milliseconds or nanoseconds as numbers.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t);
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return epoch_time(text);
    }
    let mut s = text.replacen(' ', "T", 1);
    // `+0000` -> `+00:00`.
    let bytes = s.as_bytes();
    if bytes.len() > 5 {
        let tail = &bytes[bytes.len() - 5..];
        if (tail[0] == b'+' || tail[0] == b'-') && tail[1..].iter().all(u8::is_ascii_digit) {
            s.insert(s.len() - 2, ':');
        }
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    format!("{s}Z").parse::<Timestamp>().ok()
}

fn epoch_time(text: &str) -> Option<Timestamp> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let whole: i64 = whole.parse().ok()?;
    let (secs, nanos) = match whole {
        // Nanoseconds, microseconds, milliseconds, seconds.
        n if n > 100_000_000_000_000_000 => (n / 1_000_000_000, (n % 1_000_000_000) as i32),
        n if n > 100_000_000_000_000 => (n / 1_000_000, ((n % 1_000_000) * 1_000) as i32),
        n if n > 100_000_000_000 => (n / 1_000, ((n % 1_000) * 1_000_000) as i32),
        n => {
            let digits: String = frac.chars().take(9).collect();
            let nanos = if digits.is_empty() {
                0
            } else {
                let scale = 10i64.pow(9 - digits.len() as u32);
                digits.parse::<i64>().ok()? * scale
            };
            (n, nanos as i32)
        }
    };
    Timestamp::new(secs, nanos).ok()
}

/// A time at `path` (string or epoch number).
pub(crate) fn time_at(value: &Value, path: &str) -> Option<Timestamp> {
    match lookup(value, path)? {
        Value::String(s) => parse_time(s),
        Value::Number(n) => parse_time(&n.to_string()),
        _ => None,
    }
}

/// Split a command line into argv the way a POSIX shell would split one simple command
/// (quotes removed); used when a producer gives only the joined command line.
pub(crate) fn split_command_line(text: &str) -> Vec<String> {
    crate::shell::split_words(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_accepts_nested_and_dotted_keys() {
        let v = json!({"process": {"parent.name": "bash", "args": ["a"]}, "host.name": "h"});
        assert_eq!(lookup(&v, "process.parent.name"), Some(&json!("bash")));
        assert_eq!(lookup(&v, "host.name"), Some(&json!("h")));
        assert_eq!(lookup(&v, "process.args"), Some(&json!(["a"])));
        assert_eq!(lookup(&v, "process.nope"), None);
    }

    #[test]
    fn times_in_every_spelling() {
        let want: Timestamp = "2022-08-09T10:42:47.757Z".parse().expect("valid");
        for text in [
            "2022-08-09T10:42:47.757Z",
            "2022-08-09 10:42:47.757",
            "2022-08-09T10:42:47.757+0000",
            "1660041767.757",
            "1660041767757",
            "1660041767757000000",
        ] {
            assert_eq!(parse_time(text), Some(want), "{text}");
        }
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }
}
