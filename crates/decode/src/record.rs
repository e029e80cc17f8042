//! Decoding one JSON record (a line, or a multi-line document) into audit events.
//!
//! A record may be a raw `audit.k8s.io` event, a list of events (`EventList` `items`, a JSON
//! array), a managed-cloud wrapper (GKE, AKS, EKS, Elastic ECS) or a batch of wrappers (AKS
//! `records`, CloudWatch `logEvents`/`events`). Raw events take the fast path: one typed parse.
//! Everything else is recognised by its keys from a borrowed probe, and list elements are
//! decoded one by one at their own line.

use crate::DecodedEvent;
use crate::block::BlockOutput;
use crate::error::{DecodeError, ErrorCode, RecordLocation};
use crate::format::InputFormat;
use crate::prefilter::{Prefilter, scan_verb};
use crate::stats::DecodeStats;
use crate::wrappers;
use jobwarden_model::AuditEvent;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;

/// Lists inside lists inside lists... deeper than this are refused (JSON's own recursion limit
/// keeps each parse safe; this keeps the decoder's own recursion small).
const MAX_LIST_NESTING: u8 = 4;

/// Why a record (or the event inside a wrapper) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordError {
    pub code: ErrorCode,
    pub field: Option<String>,
    pub message: String,
    /// 1-based line within the parsed bytes, for syntax errors.
    pub rel_line: Option<usize>,
}

impl RecordError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
            rel_line: None,
        }
    }

    pub(crate) fn field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.field = (!field.is_empty() && field != ".").then_some(field);
        self
    }

    /// Put `prefix` in front of the field path (the event sat inside a wrapper field). Syntax
    /// positions inside an unescaped string no longer match file lines, so they are dropped.
    pub(crate) fn inside(mut self, prefix: &str, from_string: bool) -> Self {
        self.field = Some(match self.field.take() {
            Some(inner) => format!("{prefix}.{inner}"),
            None => prefix.to_string(),
        });
        if from_string {
            self.rel_line = None;
        }
        self
    }
}

/// Turn a serde_json error into a [`RecordError`] with a stable code.
pub(crate) fn classify(err: &serde_json::Error, path: Option<String>) -> RecordError {
    use serde_json::error::Category;
    let full = err.to_string();
    // serde_json appends " at line L column C"; keep the column, the line is reported apart.
    let message = match full.rfind(" at line ") {
        Some(cut) if err.line() > 0 => format!(
            "{} (column {})",
            full.get(..cut).unwrap_or(&full),
            err.column()
        ),
        _ => full,
    };
    let code = match err.classify() {
        Category::Data => ErrorCode::WrongFieldType,
        Category::Io => ErrorCode::Io,
        Category::Syntax | Category::Eof if message.starts_with("recursion limit exceeded") => {
            ErrorCode::NestingTooDeep
        }
        Category::Syntax | Category::Eof => ErrorCode::InvalidJson,
    };
    let mut out = RecordError::new(code, message);
    if code == ErrorCode::WrongFieldType
        && let Some(path) = path
    {
        out = out.field(path);
    }
    if matches!(code, ErrorCode::InvalidJson | ErrorCode::NestingTooDeep) && err.line() > 0 {
        out.rel_line = Some(err.line());
    }
    out
}

/// Parse `bytes` as `T`, naming the field path on a type error.
pub(crate) fn parse_with_path<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
) -> Result<T, RecordError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        classify(e.inner(), Some(path))
    })?;
    de.end().map_err(|e| classify(&e, None))?;
    Ok(value)
}

/// Parse an audit event from bytes: fast plain parse first, the path-tracking parse only to
/// explain a failure.
pub(crate) fn parse_event(bytes: &[u8]) -> Result<AuditEvent, RecordError> {
    // Valid UTF-8 is checked once for the whole record (fast on ASCII), so the parser need not
    // check each string again (measured 5-10% of parsing). Invalid UTF-8 takes the byte
    // parser, which names where it is.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str::<AuditEvent>(text),
        Err(_) => serde_json::from_slice::<AuditEvent>(bytes),
    };
    let mut event = match parsed {
        Ok(event) => event,
        Err(err) if err.is_data() => parse_with_path::<AuditEvent>(bytes)?,
        // serde_json reports a number or object where an enum (such as `stage`) is expected as
        // a syntax error ("expected value"); when the JSON itself is valid, it is the field.
        Err(err)
            if err.is_syntax()
                && !err.to_string().starts_with("recursion limit exceeded")
                && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() =>
        {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let path = match serde_path_to_error::deserialize::<_, AuditEvent>(&mut de) {
                Err(e) => e.path().to_string(),
                Ok(_) => String::new(),
            };
            return Err(RecordError::new(
                ErrorCode::WrongFieldType,
                format!("a value of the wrong type (column {})", err.column()),
            )
            .field(path));
        }
        Err(err) => return Err(classify(&err, None)),
    };
    if event.request_received_timestamp.is_none() && event.stage_timestamp.is_none() {
        event.request_received_timestamp = legacy_timestamp(bytes);
    }
    Ok(event)
}

/// `audit.k8s.io/v1beta1` events from before Kubernetes 1.10 carry their time only in a
/// top-level `timestamp`; read it so such events still have a time.
fn legacy_timestamp(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Legacy {
        #[serde(default)]
        timestamp: Option<serde_json::Value>,
    }
    let legacy: Legacy = serde_json::from_slice(bytes).ok()?;
    legacy.timestamp?.as_str().map(str::to_string)
}

/// Whether a parsed object really is an audit event: every apiserver event has an auditID and
/// a verb; an object with neither (such as `{"kind": 0}`) is something else.
pub(crate) fn looks_like_event(event: &AuditEvent) -> bool {
    !event.audit_id.is_empty() || !event.verb.is_empty()
}

/// The keys that tell record shapes apart, borrowed without parsing their values.
#[derive(Deserialize, Default)]
struct Probe<'a> {
    #[serde(borrow, default)]
    items: Option<&'a RawValue>,
    #[serde(borrow, default)]
    records: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "logEvents")]
    log_events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    events: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "logGroup")]
    log_group: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "protoPayload")]
    proto_payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    properties: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "@message")]
    at_message: Option<&'a RawValue>,
    #[serde(borrow, default)]
    kubernetes: Option<&'a RawValue>,
}

/// An `EventList`'s items, borrowed.
#[derive(Deserialize)]
struct EventListItems<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
}

/// Collects what decoding one block produced.
pub(crate) struct Sink<'s> {
    pub source: &'s Arc<str>,
    pub format: InputFormat,
    /// Applied to each element of a list (an `EventList`'s items), as to lines: most events
    /// of a webhook batch are reads that only need counting.
    pub prefilter: &'s Prefilter,
    pub events: Vec<DecodedEvent>,
    pub errors: Vec<DecodeError>,
    pub stats: DecodeStats,
    /// [`Verdict::rules`](crate::Verdict::rules) of the record being decoded, given to its
    /// events; true unless the prefilter said otherwise.
    pub rules_may_match: bool,
    /// Counts of the common verbs, added to `stats` by [`Sink::into_output`]: a map lookup
    /// per line (string compares in a `BTreeMap`) was 2-3% of a run.
    common_verbs: [u64; COMMON_VERBS.len()],
}

/// The verbs the apiserver writes most, counted in an array.
const COMMON_VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

impl<'s> Sink<'s> {
    pub(crate) fn new(source: &'s Arc<str>, format: InputFormat, prefilter: &'s Prefilter) -> Self {
        Self {
            source,
            format,
            prefilter,
            events: Vec::new(),
            errors: Vec::new(),
            stats: DecodeStats::default(),
            rules_may_match: true,
            common_verbs: [0; COMMON_VERBS.len()],
        }
    }

    /// Count one event with `verb`.
    pub(crate) fn count_verb(&mut self, verb: &str) {
        let slot = match verb {
            "get" => 0,
            "list" => 1,
            "watch" => 2,
            "create" => 3,
            "update" => 4,
            "patch" => 5,
            "delete" => 6,
            "deletecollection" => 7,
            _ => return self.stats.count_verb(verb, 1),
        };
        if let Some(count) = self.common_verbs.get_mut(slot) {
            *count += 1;
        }
    }

    /// What was decoded, with every count in `stats`.
    pub(crate) fn into_output(mut self) -> BlockOutput {
        for (verb, &n) in COMMON_VERBS.iter().zip(&self.common_verbs) {
            if n > 0 {
                self.stats.count_verb(verb, n);
            }
        }
        BlockOutput {
            events: self.events,
            errors: self.errors,
            stats: self.stats,
        }
    }

    pub(crate) fn error(&mut self, line: u64, err: RecordError) {
        self.stats.count_skip(err.code);
        let location = RecordLocation::new(self.source.clone(), line);
        self.errors.push(DecodeError {
            location,
            code: err.code,
            field: err.field,
            message: err.message,
        });
    }

    pub(crate) fn push_error(&mut self, err: DecodeError) {
        self.stats.count_skip(err.code);
        self.errors.push(err);
    }

    /// Count a list element the prefilter rules out, as a line would be (a one-object
    /// element whose verb can be read without parsing): `None`. When it must be decoded, the
    /// prefilter's word on whether the rules may match it.
    fn count_if_filtered(&mut self, item: &[u8]) -> Option<bool> {
        let verdict = self.prefilter.verdict(item);
        if verdict.candidate {
            return Some(verdict.rules);
        }
        // Not an object whose verb can be read: parsed in full for a precise error.
        if item.first() != Some(&b'{') || item.last() != Some(&b'}') {
            return Some(true);
        }
        let Some(verb) = scan_verb(item) else {
            return Some(true);
        };
        self.stats.events_prefiltered += 1;
        self.count_verb(verb);
        None
    }

    fn event(&mut self, line: u64, mut event: AuditEvent, cluster: Option<&str>) {
        if event.cluster.is_none() {
            event.cluster = cluster.map(str::to_string);
        }
        self.stats.events_decoded += 1;
        self.count_verb(&event.verb);
        self.events.push(DecodedEvent {
            event,
            location: RecordLocation::new(self.source.clone(), line),
            rules_may_match: self.rules_may_match,
        });
    }
}

/// A record's bytes and the file line of its first byte; lines of inner items are found by
/// counting newlines up to them (zero in a one-line record).
#[derive(Clone, Copy)]
pub(crate) struct RecordText<'r> {
    pub bytes: &'r [u8],
    pub line: u64,
}

impl<'r> RecordText<'r> {
    /// The file line of a sub-slice of `bytes` (or of the record start if it is not one).
    fn line_of(&self, inner: &[u8]) -> u64 {
        let base = self.bytes.as_ptr() as usize;
        let offset = (inner.as_ptr() as usize).saturating_sub(base);
        let before = self
            .bytes
            .get(..offset.min(self.bytes.len()))
            .unwrap_or_default();
        self.line + memchr::memchr_iter(b'\n', before).count() as u64
    }

    fn sub(&self, inner: &'r [u8]) -> RecordText<'r> {
        RecordText {
            bytes: inner,
            line: self.line_of(inner),
        }
    }

    /// A cursor for finding the lines of successive sub-slices in linear total time.
    fn cursor(&self) -> LineCursor<'r> {
        LineCursor {
            text: *self,
            offset: 0,
            line: self.line,
        }
    }
}

/// Lines of list elements, counted from the previous element rather than the record start (a
/// large EventList would otherwise cost quadratic time).
struct LineCursor<'r> {
    text: RecordText<'r>,
    offset: usize,
    line: u64,
}

impl<'r> LineCursor<'r> {
    fn sub(&mut self, inner: &'r [u8]) -> RecordText<'r> {
        let base = self.text.bytes.as_ptr() as usize;
        let offset = (inner.as_ptr() as usize)
            .saturating_sub(base)
            .min(self.text.bytes.len());
        if offset < self.offset {
            return self.text.sub(inner);
        }
        let between = self.text.bytes.get(self.offset..offset).unwrap_or_default();
        self.line += memchr::memchr_iter(b'\n', between).count() as u64;
        self.offset = offset;
        RecordText {
            bytes: inner,
            line: self.line,
        }
    }
}

/// Decode one record into `sink`.
pub(crate) fn decode_record(sink: &mut Sink<'_>, text: RecordText<'_>) {
    decode_value(sink, text, 0, None);
}

fn decode_value(sink: &mut Sink<'_>, text: RecordText<'_>, nesting: u8, cluster: Option<&str>) {
    let trimmed = text.bytes.trim_ascii();
    let text = text.sub(trimmed);
    let report = |sink: &mut Sink<'_>, err: RecordError| {
        let line = match err.rel_line {
            Some(rel) => text.line + rel.saturating_sub(1) as u64,
            None => text.line,
        };
        sink.error(line, err);
    };
    if nesting > MAX_LIST_NESTING {
        report(
            sink,
            RecordError::new(
                ErrorCode::NestingTooDeep,
                "lists of events nested too deeply",
            ),
        );
        return;
    }
    match trimmed.first() {
        Some(b'{') => {}
        Some(b'[') => {
            match parse_with_path::<Vec<&RawValue>>(trimmed) {
                Ok(items) => {
                    decode_items(sink, text, &items, nesting, cluster);
                }
                Err(err) => report(sink, err),
            }
            return;
        }
        _ => {
            let err = match serde_json::from_slice::<serde::de::IgnoredAny>(trimmed) {
                Err(err) => classify(&err, None),
                Ok(_) => RecordError::new(
                    ErrorCode::NotAnAuditEvent,
                    "a JSON value that is not an object",
                ),
            };
            report(sink, err);
            return;
        }
    }

    let format = sink.format;
    // A list of events is not itself an event: trying it as one would scan it whole for nothing.
    let event_list = opens_as_event_list(trimmed);
    let raw_allowed = matches!(
        format,
        InputFormat::Auto | InputFormat::AuditJsonl | InputFormat::EventList
    ) && !event_list;
    // Fast path: a raw audit event parses in one go.
    let mut raw_error = None;
    if raw_allowed {
        match parse_event(trimmed) {
            Ok(event) if looks_like_event(&event) => {
                sink.event(text.line, event, cluster);
                return;
            }
            Ok(_) => {}
            Err(err) if err.code == ErrorCode::WrongFieldType => raw_error = Some(err),
            Err(err) => {
                report(sink, err);
                return;
            }
        }
    }

    // An EventList (the audit webhook's body): its items in one pass. Anything unusual about
    // it takes the general path below, which names what is wrong.
    if event_list && let Ok(list) = serde_json::from_slice::<EventListItems<'_>>(trimmed) {
        decode_items(sink, text, &list.items, nesting, cluster);
        return;
    }

    let probe = match borrowed_probe(trimmed) {
        Ok(probe) => probe,
        Err(err) => {
            report(sink, raw_error.unwrap_or(err));
            return;
        }
    };

    // Lists and batches: decode each element at its own line.
    let log_group_cluster = probe
        .log_group
        .and_then(|g| serde_json::from_str::<String>(g.get()).ok())
        .and_then(|g| wrappers::eks_cluster_from_log_group(&g));
    let list_cluster = log_group_cluster.as_deref().or(cluster);
    for (key, list) in [
        ("items", probe.items),
        ("records", probe.records),
        ("logEvents", probe.log_events),
        ("events", probe.events),
    ] {
        let Some(list) = list else { continue };
        match serde_json::from_str::<Vec<&RawValue>>(list.get()) {
            Ok(items) => {
                decode_items(sink, text, &items, nesting, list_cluster);
            }
            Err(err) => report(sink, classify(&err, None).field(key)),
        }
        return;
    }

    let allows = |wanted: InputFormat| format == InputFormat::Auto || format == wanted;
    let wrapped = if probe.proto_payload.is_some() && allows(InputFormat::Gke) {
        Some(wrappers::gke(trimmed))
    } else if probe.properties.is_some() && allows(InputFormat::Aks) {
        Some(wrappers::aks(trimmed))
    } else if (probe.message.is_some() || probe.at_message.is_some()) && allows(InputFormat::Eks) {
        Some(wrappers::eks(trimmed))
    } else if probe.kubernetes.is_some() && format == InputFormat::Auto {
        Some(wrappers::ecs(trimmed))
    } else {
        None
    };
    match wrapped {
        Some(Ok(event)) => sink.event(text.line, event, list_cluster),
        Some(Err(err)) => report(sink, err),
        None => {
            let err = raw_error.unwrap_or_else(|| {
                RecordError::new(ErrorCode::NotAnAuditEvent, not_an_event_message(format))
            });
            report(sink, err);
        }
    }
}

/// Decode the elements of a list inside `text`, each at its own line; elements the prefilter
/// rules out are counted, as lines are.
fn decode_items(
    sink: &mut Sink<'_>,
    text: RecordText<'_>,
    items: &[&RawValue],
    nesting: u8,
    cluster: Option<&str>,
) {
    let mut cursor = text.cursor();
    let outer = sink.rules_may_match;
    for item in items {
        let bytes = item.get().as_bytes();
        let Some(rules_may_match) = sink.count_if_filtered(bytes) else {
            continue;
        };
        let item = cursor.sub(bytes);
        sink.rules_may_match = rules_may_match;
        decode_value(sink, item, nesting + 1, cluster);
    }
    sink.rules_may_match = outer;
}

/// Whether a record names itself an `EventList` near its start (where the apiserver and
/// every serialiser put `kind`).
fn opens_as_event_list(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(256)).unwrap_or(bytes);
    memchr::memmem::find(head, b"\"EventList\"").is_some()
}

/// The probe through plain serde_json (its borrowed `RawValue`s need `from_slice`).
fn borrowed_probe(bytes: &[u8]) -> Result<Probe<'_>, RecordError> {
    serde_json::from_slice(bytes).map_err(|e| classify(&e, None))
}

fn not_an_event_message(format: InputFormat) -> &'static str {
    match format {
        InputFormat::Gke => "not a GKE Cloud Logging entry (no protoPayload)",
        InputFormat::Aks => "not an AKS diagnostic record (no properties.log)",
        InputFormat::Eks => "not an EKS CloudWatch record (no message)",
        _ => "a JSON object that is not an audit event (no auditID or verb) nor a known wrapper",
    }
}
