//! Builds `serde_json::Value` documents from YAML (and JSON, a YAML subset) parser events,
//! recording the 1-based line where every field starts, under explicit limits.
//!
//! The text is first cut into documents at the `---` / `...` markers (a line starting with
//! either is always a marker in YAML, never content), so a broken document cannot take its
//! neighbours down. Each piece is parsed with `granit-parser` (the event parser under
//! `serde-saphyr`); the value is built iteratively (no recursion, so 100k nesting levels cost
//! an error, not a stack overflow). Aliases are expanded by copying the anchored value, and
//! every copied node counts against the node limit: a "billion laughs" document fails fast.
//!
//! Scalars resolve with the YAML 1.2 core schema (as `serde-saphyr` and `kubectl` on JSON do):
//! `null`/`~`/empty, `true`/`false`, integers (decimal, `0x`, `0o`), floats; everything else and
//! every quoted scalar is a string. `<<` merge keys are honoured, duplicate keys are errors
//! (the API server's YAML decoder rejects them too).

use crate::Limits;
use crate::path::{push_index, push_key};
use serde_json::{Map, Number, Value};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Tag};
use std::collections::HashMap;

/// Why one document could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    Syntax(String),
    TooDeep(usize),
    TooManyNodes(usize),
    TooManyAliases(usize),
    UnknownAlias,
    ComplexKey,
    DuplicateKey(String),
}

/// One document as parsed: its value, the line of its root node, and the line of every field.
#[derive(Debug)]
pub(crate) struct Built {
    pub(crate) value: Value,
    pub(crate) line: u64,
    pub(crate) lines: HashMap<String, u64>,
}

/// A piece of text between document markers, and the line it starts on.
pub(crate) struct Chunk<'a> {
    pub(crate) text: &'a str,
    /// Byte offset of `text` in the whole input.
    pub(crate) start: usize,
    pub(crate) first_line: u64,
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Cuts `text` at every line that starts with `---` or `...`. A `---` line stays at the start
/// of the piece it opens (it may carry content: `--- {a: 1}`); a `...` line ends its piece.
pub(crate) fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u64;
    let mut offset = 0usize;
    for (line_no, line) in (1u64..).zip(text.split_inclusive('\n')) {
        if is_marker(line, "---") {
            if offset > start {
                chunks.push(Chunk {
                    text: text.get(start..offset).unwrap_or_default(),
                    start,
                    first_line: start_line,
                });
            }
            start = offset;
            start_line = line_no;
        } else if is_marker(line, "...") {
            if offset > start {
                chunks.push(Chunk {
                    text: text.get(start..offset).unwrap_or_default(),
                    start,
                    first_line: start_line,
                });
            }
            start = offset + line.len();
            start_line = line_no + 1;
        }
        offset += line.len();
    }
    if text.len() > start {
        chunks.push(Chunk {
            text: text.get(start..).unwrap_or_default(),
            start,
            first_line: start_line,
        });
    }
    chunks
}

enum Frame {
    Seq {
        items: Vec<Value>,
        path: String,
        anchor: usize,
        nodes_at_start: usize,
    },
    Map {
        map: Map<String, Value>,
        path: String,
        anchor: usize,
        nodes_at_start: usize,
        /// The key read, its line, and whether it is the `<<` merge key.
        key: Option<(String, u64, bool)>,
        /// Values of `<<` keys, applied at the end (explicit keys win).
        merges: Vec<Value>,
    },
}

struct Builder<'l> {
    limits: &'l Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    nodes: usize,
    aliases: usize,
    lines: HashMap<String, u64>,
    root: Option<(Value, u64)>,
    root_line: u64,
    /// Lines are recorded for nodes at most this deep (root = 0): loading records only what
    /// `List` expansion needs, the full index is built when a line is first asked for.
    record_depth: usize,
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = resolve_int(text) {
        return n;
    }
    if looks_like_float(text)
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

fn resolve_int(text: &str) -> Option<Value> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let (radix, body) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(oct) = digits.strip_prefix("0o") {
        (8, oct)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix != 10 && (negative || text.starts_with('+')) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok();
    match (negative, magnitude) {
        (false, Some(m)) => Some(Value::Number(m.into())),
        (true, Some(m)) if m <= i64::MAX as u64 + 1 => {
            Some(Value::Number((0i64.wrapping_sub_unsigned(m)).into()))
        }
        // Too large for 64 bits: keep the value as a float, as Go's YAML decoder does.
        _ => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number),
    }
}

fn looks_like_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut digits = 0;
    let mut chars = body.chars().peekable();
    while chars.peek().is_some_and(char::is_ascii_digit) {
        chars.next();
        digits += 1;
    }
    if chars.peek() == Some(&'.') {
        chars.next();
        while chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if matches!(chars.peek(), Some('e' | 'E')) {
        chars.next();
        if matches!(chars.peek(), Some('+' | '-')) {
            chars.next();
        }
        let mut exp = 0;
        while chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
            exp += 1;
        }
        if exp == 0 {
            return false;
        }
    }
    chars.next().is_none()
}

fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag.filter(|t| t.is_yaml_core_schema()) {
        match tag.suffix() {
            "str" => return Value::String(text.to_string()),
            "null" => return Value::Null,
            "bool" | "int" | "float" => return resolve_plain(text),
            _ => {}
        }
    }
    if style == ScalarStyle::Plain {
        resolve_plain(text)
    } else {
        Value::String(text.to_string())
    }
}

/// The text a scalar value has when used as a mapping key.
fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some("null".to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

impl<'l> Builder<'l> {
    fn new(limits: &'l Limits, record_depth: usize) -> Self {
        Builder {
            record_depth,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            aliases: 0,
            lines: HashMap::new(),
            root: None,
            root_line: 1,
        }
    }

    fn count_nodes(&mut self, n: usize) -> Result<(), Problem> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Problem::TooManyNodes(self.limits.max_nodes));
        }
        Ok(())
    }

    /// The path and line of the node that starts now, or `None` when it is a mapping key.
    fn child_position(&self, line: u64) -> Option<(String, u64)> {
        match self.stack.last() {
            None => Some((String::new(), line)),
            Some(Frame::Seq { items, path, .. }) => {
                let mut p = path.clone();
                push_index(&mut p, items.len());
                Some((p, line))
            }
            Some(Frame::Map {
                key: Some((k, key_line, _)),
                path,
                ..
            }) => {
                let mut p = path.clone();
                push_key(&mut p, k);
                Some((p, *key_line))
            }
            Some(Frame::Map { key: None, .. }) => None,
        }
    }

    /// Adds a finished node to its parent (or makes it the root).
    fn attach(&mut self, value: Value, line: u64) -> Result<(), Problem> {
        match self.stack.last_mut() {
            None => {
                self.root = Some((value, line));
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(value);
                Ok(())
            }
            Some(Frame::Map {
                map, key, merges, ..
            }) => match key.take() {
                None => {
                    let text = key_text(&value).ok_or(Problem::ComplexKey)?;
                    let is_merge = text == "<<";
                    *key = Some((text, line, is_merge));
                    Ok(())
                }
                Some((_, _, true)) => {
                    merges.push(value);
                    Ok(())
                }
                Some((k, _, false)) => {
                    if map.contains_key(&k) {
                        return Err(Problem::DuplicateKey(k));
                    }
                    map.insert(k, value);
                    Ok(())
                }
            },
        }
    }

    fn remember_anchor(&mut self, anchor: usize, value: &Value, nodes: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), nodes));
        }
    }

    fn start_collection(&mut self, is_map: bool, anchor: usize, line: u64) -> Result<(), Problem> {
        self.count_nodes(1)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(Problem::TooDeep(self.limits.max_depth));
        }
        let path = if self.stack.len() > self.record_depth {
            if matches!(self.stack.last(), Some(Frame::Map { key: None, .. })) {
                return Err(Problem::ComplexKey);
            }
            String::new()
        } else {
            match self.child_position(line) {
                Some((path, at)) => {
                    if self.stack.is_empty() {
                        self.root_line = at;
                    }
                    self.lines.insert(path.clone(), at);
                    path
                }
                None => return Err(Problem::ComplexKey),
            }
        };
        let nodes_at_start = self.nodes - 1;
        self.stack.push(if is_map {
            Frame::Map {
                map: Map::new(),
                path,
                anchor,
                nodes_at_start,
                key: None,
                merges: Vec::new(),
            }
        } else {
            Frame::Seq {
                items: Vec::new(),
                path,
                anchor,
                nodes_at_start,
            }
        });
        Ok(())
    }

    fn end_collection(&mut self) -> Result<(), Problem> {
        let frame = self
            .stack
            .pop()
            .ok_or_else(|| Problem::Syntax("unbalanced collection end".into()))?;
        let (value, anchor, nodes_at_start) = match frame {
            Frame::Seq {
                items,
                anchor,
                nodes_at_start,
                ..
            } => (Value::Array(items), anchor, nodes_at_start),
            Frame::Map {
                mut map,
                anchor,
                nodes_at_start,
                merges,
                ..
            } => {
                for merged in merges {
                    let sources = match merged {
                        Value::Array(list) => list,
                        other => vec![other],
                    };
                    for source in sources {
                        if let Value::Object(fields) = source {
                            for (k, v) in fields {
                                map.entry(k).or_insert(v);
                            }
                        }
                    }
                }
                (Value::Object(map), anchor, nodes_at_start)
            }
        };
        let nodes = self.nodes - nodes_at_start;
        self.remember_anchor(anchor, &value, nodes);
        let line = self.root_line;
        self.attach(value, line)
    }

    fn scalar(&mut self, value: Value, anchor: usize, line: u64) -> Result<(), Problem> {
        self.count_nodes(1)?;
        if self.stack.len() <= self.record_depth
            && let Some((path, at)) = self.child_position(line)
        {
            if self.stack.is_empty() {
                self.root_line = at;
            }
            self.lines.insert(path, at);
        }
        self.remember_anchor(anchor, &value, 1);
        self.attach(value, line)
    }

    fn alias(&mut self, anchor: usize, line: u64) -> Result<(), Problem> {
        self.aliases += 1;
        if self.aliases > self.limits.max_aliases {
            return Err(Problem::TooManyAliases(self.limits.max_aliases));
        }
        let (value, nodes) = self
            .anchors
            .get(&anchor)
            .cloned()
            .ok_or(Problem::UnknownAlias)?;
        self.count_nodes(nodes)?;
        if self.stack.len() <= self.record_depth
            && let Some((path, at)) = self.child_position(line)
        {
            if self.stack.is_empty() {
                self.root_line = at;
            }
            self.lines.insert(path, at);
        }
        self.attach(value, line)
    }
}

/// Parses one chunk into its documents (normally one), recording the lines of nodes at most
/// `record_depth` deep. Lines are absolute (`first_line` added).
pub(crate) fn parse_chunk(
    chunk: &Chunk<'_>,
    limits: &Limits,
    record_depth: usize,
) -> Vec<Result<Built, (u64, Problem)>> {
    let offset = chunk.first_line.saturating_sub(1);
    let mut parser = Parser::new_from_str(chunk.text);
    let mut out = Vec::new();
    let mut builder = Builder::new(limits, record_depth);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(pair) => pair,
            Err(e) => {
                let line = e.marker().line() as u64 + offset;
                out.push(Err((line.max(chunk.first_line), Problem::Syntax(e.info()))));
                return out;
            }
        };
        let line = span.start.line() as u64 + offset;
        let step = match event {
            Event::DocumentStart(..) => {
                builder = Builder::new(limits, record_depth);
                Ok(())
            }
            Event::DocumentEnd => {
                let done = std::mem::replace(&mut builder, Builder::new(limits, record_depth));
                if let Some((value, _)) = done.root {
                    out.push(Ok(Built {
                        value,
                        line: done.root_line,
                        lines: done.lines,
                    }));
                }
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => builder.start_collection(true, anchor, line),
            Event::SequenceStart(_, anchor, _) => builder.start_collection(false, anchor, line),
            Event::MappingEnd | Event::SequenceEnd => builder.end_collection(),
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(&text, style, tag.as_deref());
                builder.scalar(value, anchor, line)
            }
            Event::Alias(anchor) => builder.alias(anchor, line),
            Event::UnresolvedAlias(_) => Err(Problem::UnknownAlias),
            _ => Ok(()),
        };
        if let Err(problem) = step {
            out.push(Err((line, problem)));
            return out;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Built {
        let chunks = split_documents(text);
        let mut docs = parse_chunk(&chunks[0], &Limits::default(), usize::MAX);
        docs.remove(0).expect("document")
    }

    #[test]
    fn resolves_core_schema_scalars() {
        let doc = one(
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: ~\nf: '1'\ng: 0x1F\nh: on\ni: 1e3\nj: 12345678901234567890123\nk: !!str 5\n",
        );
        assert_eq!(
            doc.value,
            json!({"a": 1, "b": -2, "c": 1.5, "d": true, "e": null, "f": "1", "g": 31, "h": "on",
                   "i": 1000.0, "j": 1.2345678901234568e22, "k": "5"})
        );
    }

    #[test]
    fn records_lines_of_block_fields() {
        let text = "# Source: chart/templates/cj.yaml\napiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: a\n            securityContext:\n              privileged: true\n";
        let doc = one(text);
        assert_eq!(doc.line, 2);
        let path = "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged";
        assert_eq!(doc.lines.get(path), Some(&12));
        assert_eq!(
            doc.lines
                .get("spec.jobTemplate.spec.template.spec.containers[0]"),
            Some(&10)
        );
        assert_eq!(
            doc.lines
                .get("spec.jobTemplate.spec.template.spec.containers[0].name"),
            Some(&10)
        );
        assert_eq!(doc.lines.get("kind"), Some(&3));
    }

    #[test]
    fn merge_keys_and_anchors() {
        let doc = one("base: &b {x: 1, y: 2}\nobj:\n  <<: *b\n  y: 3\n");
        assert_eq!(doc.value["obj"], json!({"x": 1, "y": 3}));
    }

    #[test]
    fn splits_at_markers_only_at_column_zero() {
        let text = "a: |\n  ---\n---\nb: 1\n...\n--- {c: 2}\n";
        let chunks = split_documents(text);
        let starts: Vec<u64> = chunks.iter().map(|c| c.first_line).collect();
        assert_eq!(starts, vec![1, 3, 6]);
    }
}
