//! Loading Sigma rules from text, files and directories: multi-document collections
//! (`action: global`, `reset`, `repeat`), detection and correlation rules. Nothing is dropped
//! silently: every document either becomes a rule or a [`LoadError`] naming file and line.

use crate::rule::{self, DocError, Rule};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Why a rule (or a whole file) was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LoadError {
    /// The rule file, as given.
    pub file: String,
    /// 1-based line (the offending key's line when it can be found, else the document's).
    pub line: usize,
    /// What is wrong, naming the unsupported construct.
    pub message: String,
}

/// Options that change how rules compile (deserialisable from configuration:
/// `{placeholders: {admins: [alice, bob]}}`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadOptions {
    /// Values for `%placeholder%`s of the `expand` modifier.
    pub placeholders: HashMap<String, Vec<String>>,
}

/// Everything a load produced: the rules that compiled and an error for each that did not.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Compiled rules, in file order.
    pub rules: Vec<Rule>,
    /// One entry per document (or file) that could not be loaded.
    pub errors: Vec<LoadError>,
}

impl LoadReport {
    /// Adds another report's rules and errors.
    pub fn extend(&mut self, other: LoadReport) {
        self.rules.extend(other.rules);
        self.errors.extend(other.errors);
    }

    /// Moves correlation rules whose `rules` name no loaded rule (detection or correlation)
    /// into `errors`.
    pub fn check_references(&mut self) {
        let known: HashSet<String> = self
            .rules
            .iter()
            .flat_map(|r| match r {
                Rule::Detection(d) => [Some(d.id.clone()), d.name.clone()],
                Rule::Correlation(c) => [Some(c.id.clone()), c.name.clone()],
                Rule::Filter(_) => [None, None],
            })
            .flatten()
            .collect();
        let mut kept = Vec::with_capacity(self.rules.len());
        for r in std::mem::take(&mut self.rules) {
            if let Rule::Correlation(c) = &r
                && let Some(missing) = c.rules.iter().find(|n| !known.contains(*n))
            {
                let message = format!(
                    "correlation `{}` refers to `{missing}`, which is no loaded rule's name or id",
                    c.title
                );
                self.errors.push(LoadError {
                    file: c.file.clone(),
                    line: c.line,
                    message,
                });
                continue;
            }
            // A filter naming only unloaded rules would do nothing; one naming some is kept
            // (Engine::lint lists the names it could not apply to).
            if let Rule::Filter(f) = &r
                && !f.rules.iter().any(|n| known.contains(n))
            {
                let message = format!(
                    "filter `{}` names no loaded rule ({})",
                    f.title,
                    f.rules.join(", ")
                );
                self.errors.push(LoadError {
                    file: f.file.clone(),
                    line: f.line,
                    message,
                });
                continue;
            }
            kept.push(r);
        }
        self.rules = kept;
    }
}

/// Loads every `.yml`/`.yaml` file under each path (files are loaded whatever their name), then
/// checks correlation and filter references across all of them.
pub fn load_paths(paths: &[PathBuf], options: &LoadOptions) -> LoadReport {
    let mut report = LoadReport::default();
    for p in paths {
        report.extend(load_path_unchecked(p, options));
    }
    report.check_references();
    report
}

/// Loads one file or directory (recursively).
pub fn load_path(path: &Path, options: &LoadOptions) -> LoadReport {
    let mut report = load_path_unchecked(path, options);
    report.check_references();
    report
}

fn load_path_unchecked(path: &Path, options: &LoadOptions) -> LoadReport {
    let mut report = LoadReport::default();
    let label = path.display().to_string();
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                report.errors.push(LoadError {
                    file: label,
                    line: 0,
                    message: format!("cannot read directory: {e}"),
                });
                return report;
            }
        };
        entries.sort();
        for entry in entries {
            let is_yaml = entry
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
            if entry.is_dir() || is_yaml {
                report.extend(load_path_unchecked(&entry, options));
            }
        }
        return report;
    }
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(&text, &label, options),
        Err(e) => {
            report.errors.push(LoadError {
                file: label,
                line: 0,
                message: format!("cannot read file: {e}"),
            });
            report
        }
    }
}

/// One YAML document of a file, with its first line.
struct Doc {
    start_line: usize,
    end_line: usize,
    text: String,
}

/// Splits a YAML stream on `---` / `...` lines, keeping line numbers absolute by padding each
/// document with the blank lines before it.
fn split_documents(text: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    let mut has_content = false;
    let mut line_no = 0;
    for line in text.lines() {
        line_no += 1;
        let is_marker = line == "---" || line.starts_with("--- ") || line == "...";
        if is_marker {
            if has_content {
                docs.push(Doc {
                    start_line: start,
                    end_line: line_no - 1,
                    text: std::mem::take(&mut current),
                });
            }
            current.clear();
            has_content = false;
            // Pad so that parser line numbers stay absolute.
            current.push_str(&"\n".repeat(line_no));
            start = line_no + 1;
            continue;
        }
        let trimmed = line.trim();
        if !has_content && !trimmed.is_empty() && !trimmed.starts_with('#') {
            has_content = true;
            start = line_no;
        }
        current.push_str(line);
        current.push('\n');
    }
    if has_content {
        docs.push(Doc {
            start_line: start,
            end_line: line_no,
            text: current,
        });
    }
    docs
}

/// Deep-merges `over` onto `base` (maps merge recursively; anything else is replaced).
fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match out.get(k) {
                    Some(existing) => merge(existing, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, o) => o.clone(),
    }
}

/// The first line in the document that mentions `needle` as a key, else the document start.
fn find_line(lines: &[&str], doc: &Doc, needle: Option<&str>) -> usize {
    if let Some(n) = needle {
        for ln in doc.start_line..=doc.end_line {
            if let Some(line) = lines.get(ln.saturating_sub(1)) {
                let t = line.trim_start().trim_start_matches("- ");
                let t = t.trim_start_matches(['\'', '"']);
                if t.starts_with(n) {
                    return ln;
                }
            }
        }
    }
    doc.start_line
}

/// Loads all rules of one YAML text; `file` labels errors and alerts.
pub fn load_str(text: &str, file: &str, options: &LoadOptions) -> LoadReport {
    let mut report = LoadReport::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut global: Option<Value> = None;
    let mut previous: Option<Value> = None;
    for doc in split_documents(text) {
        let fail = |report: &mut LoadReport, line: usize, message: String| {
            report.errors.push(LoadError {
                file: file.to_string(),
                line,
                message,
            });
        };
        let parsed: Value = match serde_saphyr::from_str(&doc.text) {
            Ok(v) => v,
            Err(e) => {
                let msg = e.to_string();
                let line = yaml_error_line(&msg).unwrap_or(doc.start_line);
                fail(
                    &mut report,
                    line,
                    format!("invalid YAML: {}", msg.lines().next().unwrap_or("")),
                );
                continue;
            }
        };
        if parsed.is_null() {
            continue;
        }
        if !parsed.is_object() {
            fail(
                &mut report,
                doc.start_line,
                "a rule document must be a YAML map".into(),
            );
            continue;
        }
        let mut body = parsed.clone();
        let action = body.as_object_mut().and_then(|m| m.remove("action"));
        let merged = match action.as_ref().map(|a| a.as_str()) {
            Some(Some("global")) => {
                global = Some(match &global {
                    Some(g) => merge(g, &body),
                    None => body,
                });
                continue;
            }
            Some(Some("reset")) => {
                global = None;
                previous = None;
                continue;
            }
            Some(Some("repeat")) => match &previous {
                Some(prev) => merge(prev, &body),
                None => {
                    fail(
                        &mut report,
                        doc.start_line,
                        "`action: repeat` without a previous rule document".into(),
                    );
                    continue;
                }
            },
            Some(other) => {
                fail(
                    &mut report,
                    find_line(&lines, &doc, Some("action")),
                    format!(
                        "unsupported collection action `{}` (global, reset, repeat)",
                        other.unwrap_or("?")
                    ),
                );
                continue;
            }
            None => match &global {
                Some(g) => merge(g, &body),
                None => body,
            },
        };
        previous = Some(merged.clone());
        let result = if merged.get("correlation").is_some() {
            rule::compile_correlation(&merged, file, doc.start_line)
                .map(|c| Rule::Correlation(Box::new(c)))
        } else if merged.get("detection").is_some() {
            rule::compile_detection(&merged, file, doc.start_line, &options.placeholders)
                .map(|d| Rule::Detection(Box::new(d)))
        } else if merged.get("filter").is_some() {
            rule::compile_filter(&merged, file, doc.start_line, &options.placeholders)
                .map(|f| Rule::Filter(Box::new(f)))
        } else {
            Err(DocError {
                message: "document has neither `detection` nor `correlation`".into(),
                near: None,
            })
        };
        match result {
            Ok(Rule::Detection(mut d)) => {
                for f in &mut d.fields {
                    f.line = find_line(&lines, &doc, Some(&f.key));
                }
                report.rules.push(Rule::Detection(d));
            }
            Ok(r) => report.rules.push(r),
            Err(e) => {
                let line = find_line(&lines, &doc, e.near.as_deref());
                fail(&mut report, line, e.message);
            }
        }
    }
    report
}

/// Pulls a line number out of a serde-saphyr error message (`... line N ...`).
fn yaml_error_line(msg: &str) -> Option<usize> {
    let idx = msg.find("line ")?;
    let digits: String = msg
        .get(idx + 5..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_absolute_lines() {
        let docs = split_documents("a: 1\n---\n# c\nb: 2\n...\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs.first().map(|d| d.start_line), Some(1));
        assert_eq!(docs.get(1).map(|d| d.start_line), Some(4));
    }
}
