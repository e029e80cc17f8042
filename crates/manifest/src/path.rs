//! JSON field paths as jobwarden writes them: `spec.containers[0].image`, with keys that are
//! not plain identifiers in brackets and JSON quotes: `metadata.annotations["a.b/c"]`.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// True when `key` can be written bare (`a.key`) rather than bracketed (`a["key"]`).
fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && !key.chars().any(|c| {
            matches!(c, '.' | '[' | ']' | '"' | '\'') || c.is_whitespace() || c.is_control()
        })
}

/// Appends a key to a rendered path.
pub(crate) fn push_key(path: &mut String, key: &str) {
    if is_plain(key) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&Value::String(key.to_string()).to_string());
        path.push(']');
    }
}

/// Appends an index to a rendered path.
pub(crate) fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
}

/// Renders segments in the canonical form.
pub(crate) fn render(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Key(k) => push_key(&mut out, k),
            Segment::Index(i) => push_index(&mut out, *i),
        }
    }
    out
}

/// Parses a path leniently: `a.b[0]`, `a["b.c"]`, `a['b']`, `a[b]`, a leading `.` or `$.`.
/// Returns `None` when brackets or quotes are unbalanced.
pub(crate) fn parse(path: &str) -> Option<Vec<Segment>> {
    let text = path.strip_prefix('$').unwrap_or(path);
    let chars: Vec<char> = text.chars().collect();
    let mut segments = Vec::new();
    let mut i = 0;
    let mut current = String::new();
    let flush = |current: &mut String, segments: &mut Vec<Segment>| {
        if !current.is_empty() {
            segments.push(Segment::Key(std::mem::take(current)));
        }
    };
    while let Some(&c) = chars.get(i) {
        match c {
            '.' => {
                flush(&mut current, &mut segments);
                i += 1;
            }
            '[' => {
                flush(&mut current, &mut segments);
                i += 1;
                match chars.get(i) {
                    Some(&quote @ ('"' | '\'')) => {
                        // A quoted key: read to the matching unescaped quote.
                        let start = i;
                        i += 1;
                        let mut escaped = false;
                        loop {
                            let ch = *chars.get(i)?;
                            i += 1;
                            if escaped {
                                escaped = false;
                            } else if ch == '\\' {
                                escaped = true;
                            } else if ch == quote {
                                break;
                            }
                        }
                        let raw: String = chars.get(start..i)?.iter().collect();
                        let key = if quote == '"' {
                            serde_json::from_str::<String>(&raw).ok()?
                        } else {
                            raw.get(1..raw.len() - 1)?.to_string()
                        };
                        if chars.get(i) != Some(&']') {
                            return None;
                        }
                        i += 1;
                        segments.push(Segment::Key(key));
                    }
                    _ => {
                        let start = i;
                        while chars.get(i).is_some_and(|&ch| ch != ']') {
                            i += 1;
                        }
                        if chars.get(i) != Some(&']') {
                            return None;
                        }
                        let inner: String = chars.get(start..i)?.iter().collect();
                        i += 1;
                        match inner.trim().parse::<usize>() {
                            Ok(n) => segments.push(Segment::Index(n)),
                            Err(_) => segments.push(Segment::Key(inner)),
                        }
                    }
                }
            }
            _ => {
                current.push(c);
                i += 1;
            }
        }
    }
    flush(&mut current, &mut segments);
    Some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_normalises() {
        for p in [
            "spec.containers[0].image",
            "metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/a\"]",
            "items[3].spec",
            "data[\"\"]",
        ] {
            assert_eq!(render(&parse(p).expect(p)), p);
        }
        assert_eq!(
            render(&parse("$.a['b.c'][2]").expect("parse")),
            "a[\"b.c\"][2]"
        );
        assert_eq!(render(&parse(".a[b]").expect("parse")), "a.b");
        assert!(parse("a[\"b").is_none());
        assert!(parse("a[0").is_none());
    }
}
