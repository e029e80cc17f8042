//! Loads Kubernetes manifests: YAML (multi-document, Helm/Kustomize output), JSON, `List`
//! kinds, directories, standard input; every object with its file and line.
//!
//! API CONTRACT (scan and who-can compile against this; keep the signatures):
//! - `Limits::default()`; `load_paths(&[PathBuf], &Limits) -> LoadReport` ("-" is stdin)
//! - `load_str(name: &str, text: &str, &Limits) -> LoadReport`
//! - `LoadReport { documents: Vec<Document>, errors: Vec<LoadError> }`
//! - `Document { file, line, value: serde_json::Value, .. }` with `Document::line_of(path) -> u64`
//!   (1-based line of a field given as a JSON path like `spec.containers[0].image`, falling
//!   back to the object's own line)
//! - `LoadError` (thiserror) names file, line and what is wrong.
//!
//! How input is read:
//! - YAML streams are cut at `---`/`...` lines, so one broken document (bad syntax, alias bomb,
//!   too deep, duplicate key) is reported and skipped while the others load. JSON is read by
//!   the same parser (JSON is YAML 1.2); a top-level JSON array yields one document per element.
//! - Empty documents (only comments, or `null`) are skipped silently: Helm emits many.
//!   A document that is not a mapping is an error.
//! - Any `kind` ending in `List` with an `items` array is expanded: each item is a document
//!   with its own line (typed lists like `PodList` lend their item kind and apiVersion to items
//!   that lack them). Unknown kinds are not errors: the caller decides what to judge.
//! - Directories are walked recursively in name order for `*.yaml`, `*.yml` and `*.json`,
//!   skipping version-control metadata (`.git`, `.hg`, `.svn`); a file named directly is read
//!   whatever its extension.
//! - [`Limits`] bound each file's size, the number of documents per file, and per document the
//!   nesting depth, the nodes (aliases expanded) and the aliases.
//! - Parsing uses `granit-parser`, the YAML 1.2 event parser under `serde-saphyr` (through its
//!   re-export), because field lines need the parser's spans; see the `yaml` module.
//! - The full field-line index of a document is built on the first [`Document::line_of`]
//!   call (by parsing that document again), so loading large inputs stays lean.
#![deny(missing_docs)]

mod path;
mod yaml;

use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Resource limits for loading untrusted manifests. Every limit breach is a [`LoadError`]
/// naming the file and line; it never aborts the other documents or files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file (or standard input) read, in bytes. Default 64 MiB.
    pub max_file_bytes: u64,
    /// Most documents read from one file (after `List` expansion). Default 250,000.
    pub max_documents: usize,
    /// Most nodes (scalars, sequences, mappings) per document, counting every node an alias
    /// copies: this is what stops "billion laughs". Default 1,000,000.
    pub max_nodes: usize,
    /// Deepest nesting of sequences and mappings per document. Default 200 (Kubernetes
    /// objects, CRD schemas included, stay far below).
    pub max_depth: usize,
    /// Most aliases (`*name`) per document. Default 10,000.
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 * 1024 * 1024,
            max_documents: 250_000,
            max_nodes: 1_000_000,
            max_depth: 200,
            max_aliases: 10_000,
        }
    }
}

/// Something in the input that could not be loaded. Every variant names the file as given;
/// the ones inside a document name its 1-based line.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file or directory could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The path as given.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is larger than [`Limits::max_file_bytes`].
    #[error("{file}: too large ({size} bytes; limit {limit})")]
    TooLarge {
        /// The path as given.
        file: String,
        /// Its size, or at least the bytes read before giving up.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("{file}: not UTF-8 text (byte {offset})")]
    NotText {
        /// The path as given.
        file: String,
        /// The offset of the first invalid byte.
        offset: usize,
    },
    /// YAML (or JSON) syntax error.
    #[error("{file}:{line}: invalid YAML: {message}")]
    Syntax {
        /// The path as given.
        file: String,
        /// 1-based line.
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// Nesting deeper than [`Limits::max_depth`].
    #[error("{file}:{line}: document nests deeper than {limit} levels")]
    TooDeep {
        /// The path as given.
        file: String,
        /// 1-based line where the limit was crossed.
        line: u64,
        /// The limit.
        limit: usize,
    },
    /// More nodes than [`Limits::max_nodes`], aliases expanded (alias bombs end here).
    #[error("{file}:{line}: document expands to more than {limit} nodes (alias bomb or too large)")]
    TooManyNodes {
        /// The path as given.
        file: String,
        /// 1-based line where the limit was crossed.
        line: u64,
        /// The limit.
        limit: usize,
    },
    /// More aliases than [`Limits::max_aliases`].
    #[error("{file}:{line}: document uses more than {limit} aliases")]
    TooManyAliases {
        /// The path as given.
        file: String,
        /// 1-based line where the limit was crossed.
        line: u64,
        /// The limit.
        limit: usize,
    },
    /// An alias names no anchor defined before it.
    #[error("{file}:{line}: alias refers to an unknown anchor")]
    UnknownAlias {
        /// The path as given.
        file: String,
        /// 1-based line.
        line: u64,
    },
    /// A mapping key is a sequence or mapping (Kubernetes objects only have string keys).
    #[error("{file}:{line}: mapping key is not a scalar")]
    ComplexKey {
        /// The path as given.
        file: String,
        /// 1-based line.
        line: u64,
    },
    /// The same key twice in one mapping.
    #[error("{file}:{line}: duplicate key {key:?}")]
    DuplicateKey {
        /// The path as given.
        file: String,
        /// 1-based line of the second occurrence's value.
        line: u64,
        /// The key.
        key: String,
    },
    /// A document that is not a mapping (a bare scalar or sequence).
    #[error("{file}:{line}: document is {found}, not an object")]
    NotAnObject {
        /// The path as given.
        file: String,
        /// 1-based line.
        line: u64,
        /// What it is instead (`a string`, `a sequence`, ...).
        found: &'static str,
    },
    /// More documents than [`Limits::max_documents`]; the rest of the file is skipped.
    #[error("{file}:{line}: more than {limit} documents; the rest of the file is skipped")]
    TooManyDocuments {
        /// The path as given.
        file: String,
        /// 1-based line of the first skipped document.
        line: u64,
        /// The limit.
        limit: usize,
    },
}

impl LoadError {
    /// The file the error is about, as given.
    pub fn file(&self) -> &str {
        match self {
            LoadError::Io { file, .. }
            | LoadError::TooLarge { file, .. }
            | LoadError::NotText { file, .. }
            | LoadError::Syntax { file, .. }
            | LoadError::TooDeep { file, .. }
            | LoadError::TooManyNodes { file, .. }
            | LoadError::TooManyAliases { file, .. }
            | LoadError::UnknownAlias { file, .. }
            | LoadError::ComplexKey { file, .. }
            | LoadError::DuplicateKey { file, .. }
            | LoadError::NotAnObject { file, .. }
            | LoadError::TooManyDocuments { file, .. } => file,
        }
    }

    /// The 1-based line the error is about, when it is inside a file.
    pub fn line(&self) -> Option<u64> {
        match self {
            LoadError::Io { .. } | LoadError::TooLarge { .. } | LoadError::NotText { .. } => None,
            LoadError::Syntax { line, .. }
            | LoadError::TooDeep { line, .. }
            | LoadError::TooManyNodes { line, .. }
            | LoadError::TooManyAliases { line, .. }
            | LoadError::UnknownAlias { line, .. }
            | LoadError::ComplexKey { line, .. }
            | LoadError::DuplicateKey { line, .. }
            | LoadError::NotAnObject { line, .. }
            | LoadError::TooManyDocuments { line, .. } => Some(*line),
        }
    }
}

/// Where a YAML document's text is, so its full field-line index can be built when a line is
/// first asked for (loading records only the shallow lines `List` expansion needs: this keeps
/// memory flat for large inputs, and only documents with findings pay for the index).
struct LineSource {
    text: Arc<str>,
    range: Range<usize>,
    first_line: u64,
    /// Which document of its chunk (normally the first).
    nth: usize,
    limits: Limits,
    shallow: HashMap<String, u64>,
    full: OnceLock<HashMap<String, u64>>,
}

impl fmt::Debug for LineSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineSource")
            .field("range", &self.range)
            .field("first_line", &self.first_line)
            .finish_non_exhaustive()
    }
}

impl LineSource {
    fn lines(&self) -> &HashMap<String, u64> {
        self.full.get_or_init(|| {
            let chunk = yaml::Chunk {
                text: self.text.get(self.range.clone()).unwrap_or_default(),
                start: self.range.start,
                first_line: self.first_line,
            };
            yaml::parse_chunk(&chunk, &self.limits, usize::MAX)
                .into_iter()
                .filter_map(Result::ok)
                .nth(self.nth)
                .map(|built| built.lines)
                .unwrap_or_else(|| self.shallow.clone())
        })
    }
}

/// One Kubernetes object read from the input.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file as given on the command line (`-` for standard input), or as found under a
    /// directory given there.
    pub file: String,
    /// 1-based line where the object starts.
    pub line: u64,
    /// 0-based position of the object in its file (after `List` expansion).
    pub index: usize,
    /// The object.
    pub value: Value,
    /// The YAML document the object came from, for field lines.
    source: Arc<LineSource>,
    /// Path of the object inside that document (`""`, or `items[3]` for a `List` item).
    prefix: String,
}

impl Document {
    /// The 1-based line where the field at `path` (e.g. `spec.containers[0].image` or
    /// `metadata.annotations["a.b/c"]`) starts. A field that does not exist gives the line of
    /// its nearest existing parent; an unparsable path gives the object's own line.
    pub fn line_of(&self, path: &str) -> u64 {
        let Some(mut segments) = path::parse(path) else {
            return self.line;
        };
        loop {
            let rel = path::render(&segments);
            let full = match (self.prefix.is_empty(), rel.is_empty()) {
                (true, _) => rel,
                (false, true) => self.prefix.clone(),
                (false, false) if rel.starts_with('[') => format!("{}{rel}", self.prefix),
                (false, false) => format!("{}.{rel}", self.prefix),
            };
            if let Some(line) = self.source.lines().get(&full) {
                return *line;
            }
            if segments.pop().is_none() {
                return self.line;
            }
        }
    }

    /// `kind`, or `""`.
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }

    /// `apiVersion`, or `""`.
    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `metadata.name`, falling back to `metadata.generateName`.
    pub fn name(&self) -> Option<&str> {
        let meta = self.value.get("metadata")?;
        meta.get("name")
            .and_then(Value::as_str)
            .or_else(|| meta.get("generateName").and_then(Value::as_str))
    }

    /// The object's identity for a [`jobwarden_model::Finding`].
    pub fn object_id(&self) -> jobwarden_model::ObjectId {
        jobwarden_model::ObjectId {
            api_version: self.api_version().to_string(),
            kind: self.kind().to_string(),
            namespace: self.namespace().map(str::to_string),
            name: self.name().map(str::to_string),
        }
    }

    /// Where the field at `path` is, for a [`jobwarden_model::Finding`] (see [`Self::line_of`]).
    pub fn location_of(&self, path: &str) -> jobwarden_model::Location {
        jobwarden_model::Location {
            file: self.file.clone(),
            line: self.line_of(path),
        }
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> Option<&str> {
        self.value
            .get("metadata")?
            .get("namespace")
            .and_then(Value::as_str)
    }
}

/// Everything loaded from some input: the objects and the problems, in input order.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// The objects.
    pub documents: Vec<Document>,
    /// What could not be loaded.
    pub errors: Vec<LoadError>,
}

impl LoadReport {
    fn merge(&mut self, other: LoadReport) {
        self.documents.extend(other.documents);
        self.errors.extend(other.errors);
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

fn problem_error(file: &str, line: u64, problem: yaml::Problem) -> LoadError {
    let file = file.to_string();
    match problem {
        yaml::Problem::Syntax(message) => LoadError::Syntax {
            file,
            line,
            message,
        },
        yaml::Problem::TooDeep(limit) => LoadError::TooDeep { file, line, limit },
        yaml::Problem::TooManyNodes(limit) => LoadError::TooManyNodes { file, line, limit },
        yaml::Problem::TooManyAliases(limit) => LoadError::TooManyAliases { file, line, limit },
        yaml::Problem::UnknownAlias => LoadError::UnknownAlias { file, line },
        yaml::Problem::ComplexKey => LoadError::ComplexKey { file, line },
        yaml::Problem::DuplicateKey(key) => LoadError::DuplicateKey { file, line, key },
    }
}

/// Collects documents of one file, enforcing [`Limits::max_documents`].
struct FileSink<'a> {
    name: &'a str,
    limits: &'a Limits,
    report: LoadReport,
    full: bool,
}

impl FileSink<'_> {
    fn push(&mut self, line: u64, value: Value, source: &Arc<LineSource>, prefix: String) {
        if self.full {
            return;
        }
        if self.report.documents.len() >= self.limits.max_documents {
            self.full = true;
            self.report.errors.push(LoadError::TooManyDocuments {
                file: self.name.to_string(),
                line,
                limit: self.limits.max_documents,
            });
            return;
        }
        let index = self.report.documents.len();
        self.report.documents.push(Document {
            file: self.name.to_string(),
            line,
            index,
            value,
            source: Arc::clone(source),
            prefix,
        });
    }

    /// Adds a top-level node: an object (expanding `List`s) or, for JSON arrays, each element.
    fn add_root(&mut self, built: yaml::Built, source: LineSource) {
        let lines = Arc::new(source);
        match built.value {
            Value::Null => {}
            Value::Object(_) => self.add_object(built.value, built.line, &lines, String::new()),
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let prefix = format!("[{i}]");
                    let line = lines.shallow.get(&prefix).copied().unwrap_or(built.line);
                    match item {
                        Value::Object(_) => self.add_object(item, line, &lines, prefix),
                        other => self.report.errors.push(LoadError::NotAnObject {
                            file: self.name.to_string(),
                            line,
                            found: describe(&other),
                        }),
                    }
                }
            }
            other => self.report.errors.push(LoadError::NotAnObject {
                file: self.name.to_string(),
                line: built.line,
                found: describe(&other),
            }),
        }
    }

    fn add_object(&mut self, value: Value, line: u64, lines: &Arc<LineSource>, prefix: String) {
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let is_list = kind.ends_with("List") && value.get("items").is_some_and(Value::is_array);
        if !is_list {
            self.push(line, value, lines, prefix);
            return;
        }
        let api_version = value.get("apiVersion").cloned();
        let item_kind = kind
            .strip_suffix("List")
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        let Value::Object(mut list) = value else {
            return;
        };
        let Some(Value::Array(items)) = list.remove("items") else {
            return;
        };
        for (i, mut item) in items.into_iter().enumerate() {
            let mut item_prefix = prefix.clone();
            path::push_key(&mut item_prefix, "items");
            path::push_index(&mut item_prefix, i);
            let item_line = lines.shallow.get(&item_prefix).copied().unwrap_or(line);
            if let Value::Object(fields) = &mut item {
                // Typed lists (PodList) omit item kinds; plain `List` items carry their own.
                if let Some(k) = &item_kind {
                    fields
                        .entry("kind")
                        .or_insert_with(|| Value::String(k.clone()));
                    if let Some(av) = &api_version {
                        fields.entry("apiVersion").or_insert_with(|| av.clone());
                    }
                }
                self.push(item_line, item, lines, item_prefix);
            } else {
                self.report.errors.push(LoadError::NotAnObject {
                    file: self.name.to_string(),
                    line: item_line,
                    found: describe(&item),
                });
            }
        }
    }
}

/// Lines recorded while loading: the root, its children and grandchildren (`items[3]`).
const SHALLOW_DEPTH: usize = 2;

/// Loads every document of `text`, naming it `name` in documents and errors.
pub fn load_str(name: &str, text: &str, limits: &Limits) -> LoadReport {
    if text.len() as u64 > limits.max_file_bytes {
        return LoadReport {
            documents: Vec::new(),
            errors: vec![LoadError::TooLarge {
                file: name.to_string(),
                size: text.len() as u64,
                limit: limits.max_file_bytes,
            }],
        };
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    load_shared(name, Arc::from(text), limits)
}

fn load_shared(name: &str, text: Arc<str>, limits: &Limits) -> LoadReport {
    let mut sink = FileSink {
        name,
        limits,
        report: LoadReport::default(),
        full: false,
    };
    for chunk in yaml::split_documents(&text) {
        if sink.full {
            break;
        }
        let range = chunk.start..chunk.start + chunk.text.len();
        let mut nth = 0;
        for result in yaml::parse_chunk(&chunk, limits, SHALLOW_DEPTH) {
            match result {
                Ok(mut built) => {
                    let source = LineSource {
                        text: Arc::clone(&text),
                        range: range.clone(),
                        first_line: chunk.first_line,
                        nth,
                        limits: limits.clone(),
                        shallow: std::mem::take(&mut built.lines),
                        full: OnceLock::new(),
                    };
                    nth += 1;
                    sink.add_root(built, source);
                }
                Err((line, problem)) => sink.report.errors.push(problem_error(name, line, problem)),
            }
        }
    }
    sink.report
}

fn read_limited(name: &str, reader: impl Read, limits: &Limits) -> Result<String, LoadError> {
    let mut bytes = Vec::new();
    reader
        .take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Io {
            file: name.to_string(),
            source,
        })?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(LoadError::TooLarge {
            file: name.to_string(),
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    String::from_utf8(bytes).map_err(|e| LoadError::NotText {
        file: name.to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}

fn load_file(name: &str, path: &Path, limits: &Limits) -> LoadReport {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(source) => {
            return LoadReport {
                documents: Vec::new(),
                errors: vec![LoadError::Io {
                    file: name.to_string(),
                    source,
                }],
            };
        }
    };
    match read_limited(name, file, limits) {
        Ok(text) => {
            let text = match text.strip_prefix('\u{feff}') {
                Some(rest) => Arc::from(rest),
                None => Arc::from(text),
            };
            load_shared(name, text, limits)
        }
        Err(e) => LoadReport {
            documents: Vec::new(),
            errors: vec![e],
        },
    }
}

fn is_manifest_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

/// Lists manifest files under `dir`, recursively, in name order; version-control directories
/// are skipped and symlinked directories are followed once.
fn walk(
    dir: &Path,
    seen: &mut Vec<PathBuf>,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<LoadError>,
) {
    if let Ok(real) = dir.canonicalize() {
        if seen.contains(&real) {
            return;
        }
        seen.push(real);
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            errors.push(LoadError::Io {
                file: dir.display().to_string(),
                source,
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => paths.push(e.path()),
            Err(source) => errors.push(LoadError::Io {
                file: dir.display().to_string(),
                source,
            }),
        }
    }
    paths.sort();
    for path in paths {
        if path.is_dir() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if matches!(name, ".git" | ".hg" | ".svn") {
                continue;
            }
            walk(&path, seen, files, errors);
        } else if is_manifest_file(&path) {
            files.push(path);
        }
    }
}

/// Loads files, directories (recursively) and `-` (standard input), in the order given.
pub fn load_paths(paths: &[PathBuf], limits: &Limits) -> LoadReport {
    let mut report = LoadReport::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let stdin = std::io::stdin();
            match read_limited("-", stdin.lock(), limits) {
                Ok(text) => report.merge(load_str("-", &text, limits)),
                Err(e) => report.errors.push(e),
            }
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut Vec::new(), &mut files, &mut report.errors);
            for file in files {
                report.merge(load_file(&file.display().to_string(), &file, limits));
            }
        } else {
            report.merge(load_file(&path.display().to_string(), path, limits));
        }
    }
    report
}

#[cfg(test)]
mod tests;
