//! The engine: routes events to the rules bound to their log source, derives prefilter needles,
//! lints rules against the audit schema, and keeps bounded correlation state.
//!
//! # Log sources and default field mappings
//!
//! | [`LogsourceKind`] | rules evaluated | field names |
//! |---|---|---|
//! | `K8sAudit` | `product: kubernetes, service: audit` | raw dotted audit paths (`objectRef.resource`), arrays fan out |
//! | `HostProcess` | `product: linux, category: process_creation` | Sigma taxonomy, see [`default_host_map`] |
//! | `HostFile` | `product: linux, category: file_event` | Sigma taxonomy, see [`default_host_map`] |
//! | `Generic` | every rule, whatever its logsource | dotted paths, then any key of that name (leaf fallback) |
//!
//! # Prefilter needles
//!
//! [`Engine::needles`] returns lowercase, JSON-escaped (`\` → `\\`, `"` → `\"`), ASCII-only
//! literals of at least [`MIN_NEEDLE`] bytes such that every event a rule matches contains one of
//! them verbatim *after ASCII lowercasing of the raw line*. The caller must lowercase the line
//! (or search ASCII-case-insensitively) and must treat lines containing `\u` escapes as
//! candidates, since escaped text cannot be compared byte-wise.

use crate::event::{Event, FieldMap, JsonEvent};
use crate::rule::{Binding, CorrelationRule, CorrelationType, DetectionRule, Level, Rule};
use jiff::Timestamp;
use std::collections::{HashMap, HashSet, VecDeque};

/// Needles shorter than this ruin a Teddy prefilter's selectivity and are not emitted.
pub const MIN_NEEDLE: usize = 3;

/// The kind of event being evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogsourceKind {
    /// A Kubernetes audit event.
    K8sAudit,
    /// A host process-start event.
    HostProcess,
    /// A host file event.
    HostFile,
    /// Any JSON document: every rule is evaluated.
    Generic,
}

/// The default Sigma-taxonomy mapping for host events: each name maps to itself, to common
/// ECS/Falco/auditd-style paths, and falls back to any key of that name.
pub fn default_host_map() -> FieldMap {
    FieldMap::generic()
        .with("Image", &["Image", "process.executable", "process.exe", "proc.exepath", "exe"])
        .with("CommandLine", &["CommandLine", "process.command_line", "process.cmdline", "proc.cmdline", "cmdline"])
        .with("ParentImage", &["ParentImage", "process.parent.executable", "proc.pexepath", "parent_exe"])
        .with("ParentCommandLine", &["ParentCommandLine", "process.parent.command_line", "proc.pcmdline"])
        .with("User", &["User", "user.name", "process.user.name", "user"])
        .with("CurrentDirectory", &["CurrentDirectory", "process.working_directory", "proc.cwd", "cwd"])
        .with("TargetFilename", &["TargetFilename", "file.path", "fd.name", "path"])
        .with("ProcessId", &["ProcessId", "process.pid", "proc.pid", "pid"])
        .with("ParentProcessId", &["ParentProcessId", "process.parent.pid", "proc.ppid", "ppid"])
}

/// Pod-template prefixes in audit request bodies: Pod, workload controllers, CronJob.
const POD_SPECS: [&str; 3] = [
    "requestObject.spec",
    "requestObject.spec.template.spec",
    "requestObject.spec.jobTemplate.spec.template.spec",
];

/// An opt-in audit mapping for the abstract names SigmaHQ's Kubernetes rules use:
/// `apiGroup` → `objectRef.apiGroup`, `hostPath` → every pod template's `volumes.hostPath`,
/// `capabilities` → every container's `securityContext.capabilities`. Raw paths still work.
pub fn k8s_sigmahq_map() -> FieldMap {
    let per_spec = |suffixes: &[&str]| -> Vec<String> {
        POD_SPECS
            .iter()
            .flat_map(|p| suffixes.iter().map(move |s| format!("{p}.{s}")))
            .collect()
    };
    let host_paths = per_spec(&["volumes.hostPath"]);
    let caps = per_spec(&[
        "containers.securityContext.capabilities",
        "initContainers.securityContext.capabilities",
        "ephemeralContainers.securityContext.capabilities",
    ]);
    let as_refs = |v: &[String]| -> Vec<&str> { v.iter().map(String::as_str).collect() };
    FieldMap::raw()
        .with("apiGroup", &["objectRef.apiGroup"])
        .with("hostPath", &as_refs(&host_paths))
        .with("capabilities", &as_refs(&caps))
}

/// Engine configuration.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Field mapping for audit events (default: raw paths, no leaf fallback; see
    /// [`k8s_sigmahq_map`] for SigmaHQ's abstract names).
    pub k8s_audit: FieldMap,
    /// Field mapping for process events (default: [`default_host_map`]).
    pub host_process: FieldMap,
    /// Field mapping for file events (default: [`default_host_map`]).
    pub host_file: FieldMap,
    /// Field mapping for generic JSON (default: paths + leaf fallback).
    pub generic: FieldMap,
    /// Most correlation groups kept at once; the stalest are evicted beyond it.
    pub max_correlation_groups: usize,
    /// Most timestamps or values kept per correlation group.
    pub max_events_per_group: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            k8s_audit: FieldMap::raw(),
            host_process: default_host_map(),
            host_file: default_host_map(),
            generic: FieldMap::generic(),
            max_correlation_groups: 100_000,
            max_events_per_group: 10_000,
        }
    }
}

/// A detection rule that matched an event.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMatch {
    /// Index into [`Engine::rules`].
    pub rule_index: usize,
    /// Sigma id (or title).
    pub id: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: Option<Level>,
    /// Tags.
    pub tags: Vec<String>,
    /// Rule file.
    pub file: String,
    /// False when a correlation uses the rule and none asks to `generate` its matches: the
    /// match should feed [`Engine::observe`] but not become an alert on its own.
    pub emit: bool,
}

/// A correlation rule whose condition held.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationHit {
    /// Index into [`Engine::correlations`].
    pub correlation_index: usize,
    /// Sigma id (or title).
    pub id: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: Option<Level>,
    /// Tags.
    pub tags: Vec<String>,
    /// Rule file.
    pub file: String,
    /// `group-by` field → value.
    pub group: Vec<(String, String)>,
    /// Events (event_count, temporal*) or distinct values (value_count) counted.
    pub count: u64,
    /// Time of the first counted event.
    pub first: Timestamp,
    /// Time of the event that completed the condition (or of the last, for closed windows).
    pub last: Timestamp,
}

/// A rule that cannot behave as written on the events it binds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintWarning {
    /// Rule file.
    pub file: String,
    /// 1-based line of the rule.
    pub line: usize,
    /// Rule id.
    pub rule_id: String,
    /// What is wrong.
    pub message: String,
}

/// Top-level keys of an `audit.k8s.io/v1` Event.
const AUDIT_KEYS: &[&str] = &[
    "kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser",
    "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject",
    "requestReceivedTimestamp", "stageTimestamp", "annotations",
];

/// Audit fields that are JSON numbers.
const AUDIT_NUMERIC: &[&str] = &["responseStatus.code"];

#[derive(Debug, Default)]
struct GroupState {
    last_seen: Option<Timestamp>,
    window_start: Option<Timestamp>,
    times: VecDeque<Timestamp>,
    values: VecDeque<(Timestamp, String)>,
    /// temporal*: last time each referenced rule matched.
    steps: Vec<Option<Timestamp>>,
}

/// Counters about correlation memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    /// Groups currently held.
    pub groups: usize,
    /// Groups evicted to respect `max_correlation_groups`.
    pub evicted_groups: u64,
    /// Timestamps or values dropped to respect `max_events_per_group`.
    pub dropped_events: u64,
}

/// Compiled rules plus correlation state.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<DetectionRule>,
    correlations: Vec<CorrelationRule>,
    by_binding: HashMap<Binding, Vec<usize>>,
    /// rule index → (correlation index, position in its `rules`).
    rule_correlations: Vec<Vec<(usize, usize)>>,
    emit: Vec<bool>,
    options: EngineOptions,
    state: HashMap<(usize, Vec<String>), GroupState>,
    stats: CorrelationStats,
}

/// A correlation referred to a rule the engine was not given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: correlation `{correlation}` refers to unknown rule `{reference}`")]
pub struct UnknownReference {
    /// Correlation rule file.
    pub file: String,
    /// Its line.
    pub line: usize,
    /// Its id.
    pub correlation: String,
    /// The unresolved name or id.
    pub reference: String,
}

impl Engine {
    /// Builds an engine. Fails when a correlation names a rule that is not among `rules`
    /// ([`crate::LoadReport::check_references`] filters those out beforehand).
    pub fn new(rules: Vec<Rule>, options: EngineOptions) -> Result<Engine, UnknownReference> {
        let mut detections = Vec::new();
        let mut correlations = Vec::new();
        for r in rules {
            match r {
                Rule::Detection(d) => detections.push(*d),
                Rule::Correlation(c) => correlations.push(*c),
            }
        }
        let mut by_binding: HashMap<Binding, Vec<usize>> = HashMap::new();
        for (i, r) in detections.iter().enumerate() {
            by_binding.entry(r.logsource.binding()).or_default().push(i);
        }
        let mut rule_correlations = vec![Vec::new(); detections.len()];
        let mut emit = vec![true; detections.len()];
        for (ci, c) in correlations.iter().enumerate() {
            for (pos, reference) in c.rules.iter().enumerate() {
                let Some(ri) = detections
                    .iter()
                    .position(|d| d.id == *reference || d.name.as_deref() == Some(reference.as_str()))
                else {
                    return Err(UnknownReference {
                        file: c.file.clone(),
                        line: c.line,
                        correlation: c.id.clone(),
                        reference: reference.clone(),
                    });
                };
                if let Some(list) = rule_correlations.get_mut(ri) {
                    list.push((ci, pos));
                }
                if !c.generate
                    && let Some(e) = emit.get_mut(ri)
                {
                    *e = false;
                }
            }
        }
        // A rule also used by a generating correlation still emits.
        for c in &correlations {
            if c.generate {
                for reference in &c.rules {
                    for (i, d) in detections.iter().enumerate() {
                        if (d.id == *reference || d.name.as_deref() == Some(reference.as_str()))
                            && let Some(e) = emit.get_mut(i)
                        {
                            *e = true;
                        }
                    }
                }
            }
        }
        Ok(Engine {
            rules: detections,
            correlations,
            by_binding,
            rule_correlations,
            emit,
            options,
            state: HashMap::new(),
            stats: CorrelationStats::default(),
        })
    }

    /// The detection rules.
    pub fn rules(&self) -> &[DetectionRule] {
        &self.rules
    }

    /// The correlation rules.
    pub fn correlations(&self) -> &[CorrelationRule] {
        &self.correlations
    }

    /// The field mapping used for a kind of event.
    pub fn field_map(&self, kind: LogsourceKind) -> &FieldMap {
        match kind {
            LogsourceKind::K8sAudit => &self.options.k8s_audit,
            LogsourceKind::HostProcess => &self.options.host_process,
            LogsourceKind::HostFile => &self.options.host_file,
            LogsourceKind::Generic => &self.options.generic,
        }
    }

    fn rule_indices(&self, kind: LogsourceKind) -> Vec<usize> {
        let binding = match kind {
            LogsourceKind::K8sAudit => Binding::K8sAudit,
            LogsourceKind::HostProcess => Binding::HostProcess,
            LogsourceKind::HostFile => Binding::HostFile,
            LogsourceKind::Generic => return (0..self.rules.len()).collect(),
        };
        self.by_binding.get(&binding).cloned().unwrap_or_default()
    }

    /// Every rule bound to `kind` that matches the event.
    pub fn matches<E: Event + ?Sized>(&self, kind: LogsourceKind, event: &E) -> Vec<RuleMatch> {
        let mut out = Vec::new();
        let indices: &[usize] = match kind {
            LogsourceKind::Generic => &[],
            LogsourceKind::K8sAudit => self.by_binding.get(&Binding::K8sAudit).map_or(&[], Vec::as_slice),
            LogsourceKind::HostProcess => self.by_binding.get(&Binding::HostProcess).map_or(&[], Vec::as_slice),
            LogsourceKind::HostFile => self.by_binding.get(&Binding::HostFile).map_or(&[], Vec::as_slice),
        };
        let generic_all = kind == LogsourceKind::Generic;
        let mut check = |i: usize| {
            if let Some(r) = self.rules.get(i)
                && r.matches(event)
            {
                out.push(self.rule_match(i, r));
            }
        };
        if generic_all {
            (0..self.rules.len()).for_each(&mut check);
        } else {
            indices.iter().copied().for_each(&mut check);
        }
        out
    }

    /// [`Engine::matches`] on a parsed JSON event, through the kind's field mapping.
    pub fn matches_json(&self, kind: LogsourceKind, event: &serde_json::Value) -> Vec<RuleMatch> {
        let e = JsonEvent::new(event, self.field_map(kind));
        self.matches(kind, &e)
    }

    fn rule_match(&self, i: usize, r: &DetectionRule) -> RuleMatch {
        RuleMatch {
            rule_index: i,
            id: r.id.clone(),
            title: r.title.clone(),
            level: r.level,
            tags: r.tags.clone(),
            file: r.file.clone(),
            emit: self.emit.get(i).copied().unwrap_or(true),
        }
    }

    /// Needles for every rule bound to `kind` (all rules for `Generic`); None when some rule
    /// has no usable needle and so must see every event. See the module docs for the contract.
    pub fn needles(&self) -> Option<Vec<String>> {
        self.needles_for(LogsourceKind::Generic)
    }

    /// [`Engine::needles`] restricted to the rules bound to `kind`.
    pub fn needles_for(&self, kind: LogsourceKind) -> Option<Vec<String>> {
        let mut all = Vec::new();
        for i in self.rule_indices(kind) {
            all.extend(self.rule_needles(i)?);
        }
        all.sort();
        all.dedup();
        Some(all)
    }

    /// One rule's needles (see the module docs), or None when it must see every event.
    pub fn rule_needles(&self, index: usize) -> Option<Vec<String>> {
        self.rules.get(index)?.needles()
    }

    /// Rules bound to `kind` that have no needle (evaluated on every event).
    pub fn unfiltered_rules(&self, kind: LogsourceKind) -> Vec<usize> {
        self.rule_indices(kind).into_iter().filter(|i| self.rule_needles(*i).is_none()).collect()
    }

    /// Rules bound to Kubernetes audit events that cannot fire on raw audit JSON: fields that are
    /// not audit event fields, strings compared to numeric fields, keyword searches.
    pub fn lint(&self) -> Vec<LintWarning> {
        let mut out = Vec::new();
        for r in &self.rules {
            if r.logsource.binding() != Binding::K8sAudit {
                continue;
            }
            let mut warn = |message: String| {
                out.push(LintWarning { file: r.file.clone(), line: r.line, rule_id: r.id.clone(), message });
            };
            for f in &r.fields {
                if self.options.k8s_audit.paths.contains_key(&f.name) {
                    continue;
                }
                let root = f.name.split('.').next().unwrap_or("");
                if !AUDIT_KEYS.contains(&root) {
                    warn(format!("field `{}` is not an audit event field: the rule never fires on raw audit JSON unless it is mapped", f.name));
                    continue;
                }
                let numeric_cmp = f.modifiers.iter().any(|m| matches!(m.as_str(), "gt" | "gte" | "lt" | "lte" | "exists"));
                if AUDIT_NUMERIC.contains(&f.name.as_str()) && !numeric_cmp {
                    for v in &f.string_values {
                        if v.trim().parse::<f64>().is_err() && v != "*" {
                            warn(format!("field `{}` is a number in audit events; the string `{v}` never matches it", f.name));
                        }
                    }
                }
            }
            if r.uses_keywords {
                warn("keyword (full-text) searches scan every string of the audit event".to_string());
            }
        }
        out
    }

    /// Correlation memory counters.
    pub fn correlation_stats(&self) -> CorrelationStats {
        CorrelationStats { groups: self.state.len(), ..self.stats }
    }

    /// Feeds a rule match (with its event and time) to the correlations that use the rule.
    pub fn observe<E: Event + ?Sized>(&mut self, m: &RuleMatch, event: &E, time: Timestamp) -> Vec<CorrelationHit> {
        let mut hits = Vec::new();
        let Some(uses) = self.rule_correlations.get(m.rule_index).cloned() else {
            return hits;
        };
        let Some(rule) = self.rules.get(m.rule_index) else {
            return hits;
        };
        let (rule_id, rule_name) = (rule.id.clone(), rule.name.clone());
        for (ci, pos) in uses {
            let Some(c) = self.correlations.get(ci) else { continue };
            let resolve_field = |field: &str| -> String {
                c.aliases
                    .get(field)
                    .and_then(|per_rule| {
                        per_rule.get(&rule_id).or_else(|| rule_name.as_ref().and_then(|n| per_rule.get(n)))
                    })
                    .cloned()
                    .unwrap_or_else(|| field.to_string())
            };
            let first_text = |field: &str| -> Option<String> {
                event.field(&resolve_field(field)).first().map(|v| v.with_text(str::to_string))
            };
            let key: Vec<String> = c.group_by.iter().map(|g| first_text(g).unwrap_or_default()).collect();
            let value = c.condition.field.as_deref().and_then(first_text);
            let span = jiff::SignedDuration::from_secs(c.timespan_secs);
            let horizon = time.checked_sub(span).unwrap_or(time);
            let (kind, n_rules, monotone) = (c.kind, c.rules.len(), c.condition.is_monotone());
            let condition = c.condition.clone();
            let meta = (c.id.clone(), c.title.clone(), c.level, c.tags.clone(), c.file.clone());
            let group: Vec<(String, String)> = c.group_by.iter().cloned().zip(key.iter().cloned()).collect();

            self.make_room(time);
            let max_events = self.options.max_events_per_group;
            let state = self.state.entry((ci, key)).or_default();
            state.last_seen = Some(time);
            let mut fired: Option<(u64, Timestamp)> = None;
            match kind {
                CorrelationType::EventCount | CorrelationType::ValueCount => {
                    if monotone {
                        while state.times.front().is_some_and(|t| *t < horizon) {
                            state.times.pop_front();
                        }
                        while state.values.front().is_some_and(|(t, _)| *t < horizon) {
                            state.values.pop_front();
                        }
                    } else if let Some(start) = state.window_start
                        && start.checked_add(span).is_ok_and(|end| time >= end)
                    {
                        // Tumbling window closed: decide upper-bounded conditions now.
                        let n = count(kind, state);
                        if condition.holds(n) {
                            fired = Some((n, state.times.front().copied().unwrap_or(start)));
                        }
                        state.times.clear();
                        state.values.clear();
                        state.window_start = None;
                    }
                    if state.window_start.is_none() {
                        state.window_start = Some(time);
                    }
                    let counted = match kind {
                        CorrelationType::ValueCount => match value {
                            Some(v) => {
                                state.times.push_back(time);
                                state.values.push_back((time, v));
                                true
                            }
                            None => false,
                        },
                        _ => {
                            state.times.push_back(time);
                            true
                        }
                    };
                    while state.times.len() > max_events {
                        state.times.pop_front();
                        self.stats.dropped_events += 1;
                    }
                    while state.values.len() > max_events {
                        state.values.pop_front();
                        self.stats.dropped_events += 1;
                    }
                    if counted && monotone && fired.is_none() {
                        let n = count(kind, state);
                        if condition.holds(n) {
                            fired = Some((n, state.times.front().copied().unwrap_or(time)));
                            state.times.clear();
                            state.values.clear();
                            state.window_start = None;
                        }
                    }
                }
                CorrelationType::Temporal | CorrelationType::TemporalOrdered => {
                    if state.steps.len() != n_rules {
                        state.steps = vec![None; n_rules];
                    }
                    for s in state.steps.iter_mut() {
                        if s.is_some_and(|t| t < horizon) {
                            *s = None;
                        }
                    }
                    if kind == CorrelationType::Temporal {
                        if let Some(s) = state.steps.get_mut(pos) {
                            *s = Some(time);
                        }
                    } else {
                        let ready = pos == 0 || state.steps.get(pos - 1).is_some_and(Option::is_some);
                        if pos == 0 {
                            state.steps.iter_mut().for_each(|s| *s = None);
                        }
                        if ready && let Some(s) = state.steps.get_mut(pos) {
                            *s = Some(time);
                        }
                    }
                    if state.steps.iter().all(Option::is_some) {
                        let first = state.steps.iter().flatten().min().copied().unwrap_or(time);
                        let n = n_rules as u64;
                        if condition.holds(n) || (condition.gt.is_none() && condition.gte.is_none()) {
                            fired = Some((n, first));
                        }
                        state.steps.iter_mut().for_each(|s| *s = None);
                    }
                }
            }
            if let Some((n, first)) = fired {
                let (id, title, level, tags, file) = meta;
                hits.push(CorrelationHit {
                    correlation_index: ci,
                    id,
                    title,
                    level,
                    tags,
                    file,
                    group,
                    count: n,
                    first,
                    last: time,
                });
            }
        }
        hits
    }

    /// Closes every open tumbling window (end of input): upper-bounded conditions
    /// (`lt`, `lte`, `eq`, `range`) are decided here for windows still open.
    pub fn finish(&mut self) -> Vec<CorrelationHit> {
        let mut hits = Vec::new();
        for ((ci, key), state) in self.state.iter_mut() {
            let Some(c) = self.correlations.get(*ci) else { continue };
            if !matches!(c.kind, CorrelationType::EventCount | CorrelationType::ValueCount) || c.condition.is_monotone() {
                continue;
            }
            let Some(start) = state.window_start else { continue };
            let n = count(c.kind, state);
            if c.condition.holds(n) {
                hits.push(CorrelationHit {
                    correlation_index: *ci,
                    id: c.id.clone(),
                    title: c.title.clone(),
                    level: c.level,
                    tags: c.tags.clone(),
                    file: c.file.clone(),
                    group: c.group_by.iter().cloned().zip(key.iter().cloned()).collect(),
                    count: n,
                    first: start,
                    last: state.last_seen.unwrap_or(start),
                });
            }
        }
        self.state.clear();
        hits.sort_by(|a, b| a.first.cmp(&b.first).then(a.id.cmp(&b.id)));
        hits
    }

    /// Keeps the group table under its bound: drop expired groups, then the stalest.
    fn make_room(&mut self, now: Timestamp) {
        if self.state.len() < self.options.max_correlation_groups {
            return;
        }
        let spans: Vec<i64> = self.correlations.iter().map(|c| c.timespan_secs).collect();
        let before = self.state.len();
        self.state.retain(|(ci, _), s| {
            let span = jiff::SignedDuration::from_secs(spans.get(*ci).copied().unwrap_or(0));
            s.last_seen.is_some_and(|t| t.checked_add(span).is_ok_and(|end| end >= now))
        });
        self.stats.evicted_groups += (before - self.state.len()) as u64;
        while self.state.len() >= self.options.max_correlation_groups.max(1) {
            let Some(oldest) = self.state.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| k.clone()) else {
                break;
            };
            self.state.remove(&oldest);
            self.stats.evicted_groups += 1;
        }
    }
}

fn count(kind: CorrelationType, state: &GroupState) -> u64 {
    match kind {
        CorrelationType::ValueCount => state.values.iter().map(|(_, v)| v.as_str()).collect::<HashSet<_>>().len() as u64,
        _ => state.times.len() as u64,
    }
}

/// Makes a needle set prefilter-ready (lowercase, JSON-escaped, ASCII, long enough) or None.
pub(crate) fn usable(needles: Option<Vec<String>>) -> Option<Vec<String>> {
    let needles = needles?;
    let mut out = Vec::with_capacity(needles.len());
    for n in needles {
        if !n.is_ascii() {
            return None;
        }
        let mut esc = String::with_capacity(n.len());
        for c in n.to_ascii_lowercase().chars() {
            match c {
                '\\' => esc.push_str("\\\\"),
                '"' => esc.push_str("\\\""),
                c if c.is_control() => return None,
                c => esc.push(c),
            }
        }
        if esc.len() < MIN_NEEDLE {
            return None;
        }
        out.push(esc);
    }
    if out.is_empty() { None } else { Some(out) }
}
