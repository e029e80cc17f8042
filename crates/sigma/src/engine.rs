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
//! [`Engine::needles_for`] returns literals such that every event a rule matches contains one
//! of them verbatim in its raw JSON text *after ASCII lowercasing*. They are lowercase,
//! JSON-escaped (`\` → `\\`, `"` → `\"`), ASCII-only and at least [`MIN_NEEDLE`] bytes long.
//! String values carry their JSON quotes where the match anchors them (`"create"` for an exact
//! value, `"/usr` for a prefix, `.exe"` for a suffix), which makes them more selective than the
//! bare text; numbers and booleans stay bare. With [`EngineOptions::key_context_needles`], exact
//! and prefix values of scalar audit fields also carry their key (`"verb":"create"`), which
//! assumes compact JSON as kube-apiserver writes it (a prefilter may match them with any
//! whitespace around the `:`, as `jobwarden_decode`'s does). The caller must lowercase the line
//! (or search ASCII-case-insensitively) and must treat as candidates lines with `\u` escapes of
//! characters the needles use, `\/`, and the two non-ASCII characters that lowercase to ASCII
//! (`İ`, the Kelvin sign): such text cannot be compared byte-wise. A rule with no sound needle
//! (only negations, regexes, numeric or CIDR tests, `*`) makes the result None: it must see
//! every event; [`Engine::unfiltered_rules`] lists such rules.
//!
//! # Requirements
//!
//! [`Engine::requirement`] gives more: one needle set per AND branch that has literals (a
//! [`Requirement`]), all of which a matching event's line holds; its first clause (the anchor)
//! is what [`Engine::needles_for`] returns. A prefilter scans for the anchors and checks the
//! other clauses only where one occurs; [`Engine::requirement_filter`] checks them all on an
//! event's JSON text before the event is evaluated. Audit events are evaluated as typed and
//! serialised again, so needles are withheld where that text may differ from the line: the
//! defaulted `stage`, numbers in the untyped bodies (`1e2` is compared as `100`), and derived
//! fields, which require what [`EngineOptions::derived_fields`] says their events hold.

use crate::event::{Event, FieldMap, JsonEvent};
use crate::requirement::{FieldText, Requirement, RequirementFilter};
use crate::rule::{
    Binding, CorrelationRule, CorrelationType, CountCondition, DetectionRule, Level, Rule,
};
use jiff::Timestamp;
use std::collections::{HashMap, HashSet, VecDeque};

pub use crate::value::MIN_NEEDLE;

/// How deep correlation hits are fed into correlations chained on them (guards cycles).
pub const MAX_CHAIN_DEPTH: usize = 8;

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

/// The default Sigma-taxonomy mapping for host events, first jobwarden's own host event
/// fields (`jobwarden-host`'s `ProcessEvent`/`FileEvent` as serialised), then ECS, Falco and the
/// Sigma name itself; any other name falls back to a key of that name anywhere in the event.
///
/// | Sigma name | JSON paths tried (all values are used) |
/// |---|---|
/// | `Image` | `exe`, `process.executable`, `proc.exepath`, `Image` |
/// | `CommandLine` | `command_line`, `process.command_line`, `proc.cmdline`, `CommandLine` |
/// | `ParentImage` | `parent_exe`, `process.parent.executable`, `proc.pexepath`, `ParentImage` |
/// | `ParentCommandLine` | `parent_command_line`, `process.parent.command_line`, `proc.pcmdline`, `ParentCommandLine` |
/// | `User` | `user`, `user.name`, `process.user.name`, `User` |
/// | `CurrentDirectory` | `cwd`, `process.working_directory`, `proc.cwd`, `CurrentDirectory` |
/// | `TargetFilename` | `path`, `file.path`, `fd.name`, `TargetFilename` |
/// | `ProcessId` / `ParentProcessId` | `pid` / `ppid`, `process.pid` / `process.parent.pid`, `proc.pid` / `proc.ppid` |
/// | `Computer` | `host`, `host.name`, `Computer` |
pub fn default_host_map() -> FieldMap {
    const TABLE: &[(&str, &[&str])] = &[
        (
            "Image",
            &["exe", "process.executable", "proc.exepath", "Image"],
        ),
        (
            "CommandLine",
            &[
                "command_line",
                "process.command_line",
                "proc.cmdline",
                "CommandLine",
            ],
        ),
        (
            "ParentImage",
            &[
                "parent_exe",
                "process.parent.executable",
                "proc.pexepath",
                "ParentImage",
            ],
        ),
        (
            "ParentCommandLine",
            &[
                "parent_command_line",
                "process.parent.command_line",
                "proc.pcmdline",
                "ParentCommandLine",
            ],
        ),
        ("User", &["user", "user.name", "process.user.name", "User"]),
        (
            "CurrentDirectory",
            &[
                "cwd",
                "process.working_directory",
                "proc.cwd",
                "CurrentDirectory",
            ],
        ),
        (
            "TargetFilename",
            &["path", "file.path", "fd.name", "TargetFilename"],
        ),
        (
            "ProcessId",
            &["pid", "process.pid", "proc.pid", "ProcessId"],
        ),
        (
            "ParentProcessId",
            &["ppid", "process.parent.pid", "proc.ppid", "ParentProcessId"],
        ),
        ("Computer", &["host", "host.name", "Computer"]),
    ];
    TABLE
        .iter()
        .fold(FieldMap::generic(), |map, (name, paths)| {
            map.with(name, paths)
        })
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
    let mut map = FieldMap::raw().with("apiGroup", &["objectRef.apiGroup"]);
    map.paths.insert("hostPath".to_string(), host_paths);
    map.paths.insert("capabilities".to_string(), caps);
    map
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
    /// Audit needles for scalar fields carry their key (`"verb":"create"`); only sound for
    /// compact JSON (no space after `:`), as kube-apiserver writes it. Default false.
    pub key_context_needles: bool,
    /// Derived audit fields laid over the raw event by the caller (see [`OverlayEvent`]):
    /// field-name prefix → needles one of which the raw line holds whenever the event has such
    /// a field (jobwarden's judgement exists only for CronJob/Job requests: `jobs`). Such
    /// fields are not "absent" for [`Engine::lint`], and a test needing a value requires the
    /// needles. Default none.
    ///
    /// [`OverlayEvent`]: crate::OverlayEvent
    pub derived_fields: Vec<(String, Vec<String>)>,
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
            key_context_needles: false,
            derived_fields: Vec::new(),
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
    /// False when another correlation chains on this one and none asks to `generate`: the hit
    /// feeds that correlation but should not become an alert on its own.
    pub emit: bool,
}

/// What a [`LintWarning`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LintKind {
    /// The rule can never fire on the events it binds to (as mapped).
    NeverFires,
    /// Some selection can never match, but the rule can still fire through others.
    DeadSelection,
    /// The rule uses keyword searches, which scan every string of every event.
    KeywordScan,
    /// A filter rule named rules that are not loaded or outside its logsource.
    Filter,
}

/// A rule that cannot behave as written on the events it binds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintWarning {
    /// What kind of problem.
    pub kind: LintKind,
    /// Rule file.
    pub file: String,
    /// 1-based line: the offending field's, else the rule's.
    pub line: usize,
    /// Rule id.
    pub rule_id: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LintWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: rule {}: {}",
            self.file, self.line, self.rule_id, self.message
        )
    }
}

/// Top-level keys of an `audit.k8s.io/v1` Event.
const AUDIT_KEYS: &[&str] = &[
    "kind",
    "apiVersion",
    "level",
    "auditID",
    "stage",
    "requestURI",
    "verb",
    "user",
    "impersonatedUser",
    "sourceIPs",
    "userAgent",
    "objectRef",
    "responseStatus",
    "requestObject",
    "responseObject",
    "requestReceivedTimestamp",
    "stageTimestamp",
    "annotations",
];

/// Audit fields that always hold one scalar, keyed by their last path segment.
const AUDIT_SCALARS: &[&str] = &[
    "verb",
    "requestURI",
    "userAgent",
    "level",
    "stage",
    "auditID",
    "user.username",
    "user.uid",
    "impersonatedUser.username",
    "objectRef.resource",
    "objectRef.subresource",
    "objectRef.namespace",
    "objectRef.name",
    "objectRef.apiGroup",
    "objectRef.apiVersion",
    "objectRef.uid",
    "responseStatus.code",
    "responseStatus.status",
    "responseStatus.reason",
];

/// Texts a typed audit event may hold that its line lacks: the default `stage`, and the one
/// unknown stages are read as.
const AUDIT_SYNTHESIZED: &[&str] = &["responsecomplete", "unknown"];

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
    /// correlation index → (correlation index, position) of correlations chained on it.
    corr_correlations: Vec<Vec<(usize, usize)>>,
    emit: Vec<bool>,
    corr_emit: Vec<bool>,
    /// Filters that named unloaded rules or rules outside their logsource.
    filter_notes: Vec<LintWarning>,
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
        let mut detections: Vec<DetectionRule> = Vec::new();
        let mut correlations = Vec::new();
        let mut filters = Vec::new();
        for r in rules {
            match r {
                Rule::Detection(d) => detections.push(*d),
                Rule::Correlation(c) => correlations.push(*c),
                Rule::Filter(f) => filters.push(*f),
            }
        }
        let mut filter_notes = Vec::new();
        for f in &filters {
            for reference in &f.rules {
                let mut found = false;
                for d in detections
                    .iter_mut()
                    .filter(|d| d.id == *reference || d.name.as_deref() == Some(reference.as_str()))
                {
                    found = true;
                    if f.logsource.covers(&d.logsource) {
                        d.apply_filter(f);
                    } else {
                        filter_notes.push(LintWarning {
                            kind: LintKind::Filter,
                            file: f.file.clone(),
                            line: f.line,
                            rule_id: f.id.clone(),
                            message: format!(
                                "filter `{}` names rule `{reference}`, whose logsource it does not cover: not applied",
                                f.title
                            ),
                        });
                    }
                }
                if !found {
                    filter_notes.push(LintWarning {
                        kind: LintKind::Filter,
                        file: f.file.clone(),
                        line: f.line,
                        rule_id: f.id.clone(),
                        message: format!(
                            "filter `{}` names `{reference}`, which is not loaded",
                            f.title
                        ),
                    });
                }
            }
        }
        let mut by_binding: HashMap<Binding, Vec<usize>> = HashMap::new();
        for (i, r) in detections.iter().enumerate() {
            by_binding.entry(r.logsource.binding()).or_default().push(i);
        }
        // References resolve to detection rules first, then to correlations (chaining).
        let mut rule_correlations = vec![Vec::new(); detections.len()];
        let mut corr_correlations = vec![Vec::new(); correlations.len()];
        let mut emit = vec![true; detections.len()];
        let mut corr_emit = vec![true; correlations.len()];
        // A referenced rule emits on its own only when some referencing correlation generates.
        let mut referenced = vec![false; detections.len()];
        let mut generated = vec![false; detections.len()];
        let mut corr_referenced = vec![false; correlations.len()];
        let mut corr_generated = vec![false; correlations.len()];
        let named = |id: &str, name: Option<&str>, reference: &str| {
            id == reference || name == Some(reference)
        };
        for (ci, c) in correlations.iter().enumerate() {
            for (pos, reference) in c.rules.iter().enumerate() {
                if let Some(ri) = detections
                    .iter()
                    .position(|d| named(&d.id, d.name.as_deref(), reference))
                {
                    if let Some(list) = rule_correlations.get_mut(ri) {
                        list.push((ci, pos));
                    }
                    if let (Some(r), Some(g)) = (referenced.get_mut(ri), generated.get_mut(ri)) {
                        *r = true;
                        *g |= c.generate;
                    }
                } else if let Some(up) = correlations
                    .iter()
                    .position(|u| named(&u.id, u.name.as_deref(), reference))
                {
                    if let Some(list) = corr_correlations.get_mut(up) {
                        list.push((ci, pos));
                    }
                    if let (Some(r), Some(g)) =
                        (corr_referenced.get_mut(up), corr_generated.get_mut(up))
                    {
                        *r = true;
                        *g |= c.generate;
                    }
                } else {
                    return Err(UnknownReference {
                        file: c.file.clone(),
                        line: c.line,
                        correlation: c.id.clone(),
                        reference: reference.clone(),
                    });
                }
            }
        }
        for (i, e) in emit.iter_mut().enumerate() {
            *e = !referenced.get(i).copied().unwrap_or(false)
                || generated.get(i).copied().unwrap_or(false);
        }
        for (i, e) in corr_emit.iter_mut().enumerate() {
            *e = !corr_referenced.get(i).copied().unwrap_or(false)
                || corr_generated.get(i).copied().unwrap_or(false);
        }
        Ok(Engine {
            rules: detections,
            correlations,
            by_binding,
            rule_correlations,
            corr_correlations,
            emit,
            corr_emit,
            filter_notes,
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
            LogsourceKind::K8sAudit => self
                .by_binding
                .get(&Binding::K8sAudit)
                .map_or(&[], Vec::as_slice),
            LogsourceKind::HostProcess => self
                .by_binding
                .get(&Binding::HostProcess)
                .map_or(&[], Vec::as_slice),
            LogsourceKind::HostFile => self
                .by_binding
                .get(&Binding::HostFile)
                .map_or(&[], Vec::as_slice),
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

    /// Like [`Engine::matches`], but only for the given rule indices (e.g. the candidates a
    /// prefilter left); indices not bound to `kind` are skipped (all bind under `Generic`).
    pub fn matches_among<E: Event + ?Sized>(
        &self,
        kind: LogsourceKind,
        indices: &[usize],
        event: &E,
    ) -> Vec<RuleMatch> {
        let binding = match kind {
            LogsourceKind::K8sAudit => Some(Binding::K8sAudit),
            LogsourceKind::HostProcess => Some(Binding::HostProcess),
            LogsourceKind::HostFile => Some(Binding::HostFile),
            LogsourceKind::Generic => None,
        };
        indices
            .iter()
            .filter_map(|&i| {
                let r = self.rules.get(i)?;
                let bound = binding.is_none_or(|b| r.logsource.binding() == b);
                (bound && r.matches(event)).then(|| self.rule_match(i, r))
            })
            .collect()
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

    /// [`Engine::needles`] restricted to the rules bound to `kind`: the union of their
    /// requirements' anchors ([`Engine::requirements_for`]). For audit events, rules that can
    /// never fire on raw audit JSON (see [`Engine::lint`]) need no needle and add none.
    pub fn needles_for(&self, kind: LogsourceKind) -> Option<Vec<String>> {
        let mut all: Vec<String> = self
            .requirements_for(kind)?
            .into_iter()
            .flat_map(|(_, r)| r.anchor().to_vec())
            .collect();
        all.sort();
        all.dedup();
        Some(all)
    }

    /// The requirement ([`Requirement`]) of every rule bound to `kind` that can fire, with its
    /// index; None when some such rule has none and so must see every event.
    pub fn requirements_for(&self, kind: LogsourceKind) -> Option<Vec<(usize, Requirement)>> {
        self.rule_indices(kind)
            .into_iter()
            .filter(|&i| !self.never_fires(kind, i))
            .map(|i| self.requirement_in(kind, i).map(|r| (i, r)))
            .collect()
    }

    /// Every rule bound to `kind` that can fire, with its requirement (None: it must see every
    /// event), compiled for checking event texts; see [`RequirementFilter`].
    pub fn requirement_filter(&self, kind: LogsourceKind) -> RequirementFilter {
        RequirementFilter::new(
            self.rule_indices(kind)
                .into_iter()
                .filter(|&i| !self.never_fires(kind, i))
                .map(|i| (i, self.requirement_in(kind, i)))
                .collect(),
        )
    }

    /// One rule's requirement, evaluated on the events of its own logsource; None when it must
    /// see every event.
    pub fn requirement(&self, index: usize) -> Option<Requirement> {
        let kind = match self.rules.get(index)?.logsource.binding() {
            Binding::K8sAudit => LogsourceKind::K8sAudit,
            Binding::HostProcess => LogsourceKind::HostProcess,
            Binding::HostFile => LogsourceKind::HostFile,
            Binding::Other => LogsourceKind::Generic,
        };
        self.requirement_in(kind, index)
    }

    /// One rule's needles: its requirement's anchor (see the module docs), or None when it
    /// must see every event.
    pub fn rule_needles(&self, index: usize) -> Option<Vec<String>> {
        self.requirement(index).map(|r| r.anchor().to_vec())
    }

    fn requirement_in(&self, kind: LogsourceKind, index: usize) -> Option<Requirement> {
        let rule = self.rules.get(index)?;
        if kind == LogsourceKind::K8sAudit {
            rule.requirement_with(&|field| self.audit_field_text(field))
        } else {
            // Untyped JSON: a number's text may differ from the one compared.
            rule.requirement_with(&|_| FieldText::Json {
                key: None,
                numbers: false,
                synthesized: &[],
            })
        }
    }

    /// How an audit field's values show in the raw line of the event (typed, then serialised
    /// again by the caller: see the module docs).
    fn audit_field_text(&self, field: Option<&str>) -> FieldText {
        let map = &self.options.k8s_audit;
        let Some(name) = field else {
            // Keywords see every string of the typed event, whose `stage` may be a default.
            return FieldText::Json {
                key: None,
                numbers: true,
                synthesized: AUDIT_SYNTHESIZED,
            };
        };
        if let Some((_, needles)) = self
            .options
            .derived_fields
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix.as_str()))
        {
            return FieldText::Implied(needles.clone());
        }
        let leaf = name.rsplit('.').next().unwrap_or(name);
        let mapped = map.paths.get(name);
        let reaches_stage = name == "stage"
            || (map.leaf_fallback && leaf == "stage")
            || mapped.is_some_and(|paths| paths.iter().any(|p| p == "stage"));
        if reaches_stage {
            return FieldText::Unknown;
        }
        if map.leaf_fallback || mapped.is_some() {
            return FieldText::Json {
                key: None,
                numbers: false,
                synthesized: &[],
            };
        }
        if self.options.key_context_needles && AUDIT_SCALARS.contains(&name) {
            return FieldText::Json {
                key: Some(leaf.to_ascii_lowercase()),
                numbers: true,
                synthesized: &[],
            };
        }
        // Bodies are untyped JSON; every other audit field is typed (integers canonical).
        let untyped = name.starts_with("requestObject") || name.starts_with("responseObject");
        FieldText::Json {
            key: None,
            numbers: !untyped,
            synthesized: &[],
        }
    }

    /// True for an audit rule that can never fire on raw audit JSON.
    fn never_fires(&self, kind: LogsourceKind, index: usize) -> bool {
        kind == LogsourceKind::K8sAudit
            && self
                .rules
                .get(index)
                .is_some_and(|r| !r.can_fire(&|t| self.audit_constant(t)))
    }

    /// Rules bound to `kind` that can fire and have no requirement (evaluated on every event).
    pub fn unfiltered_rules(&self, kind: LogsourceKind) -> Vec<usize> {
        self.rule_indices(kind)
            .into_iter()
            .filter(|&i| !self.never_fires(kind, i) && self.requirement_in(kind, i).is_none())
            .collect()
    }

    /// Rules bound to Kubernetes audit events that cannot fire on raw audit JSON (fields that are
    /// not audit event fields, strings compared to numeric fields) or scan every string (keyword
    /// searches), and filters that could not be applied.
    pub fn lint(&self) -> Vec<LintWarning> {
        let mut out = self.filter_notes.clone();
        let absent = |name: &str| self.audit_absent(name);
        let numeric = |name: &str| self.audit_numeric(name);
        for r in &self.rules {
            if r.logsource.binding() != Binding::K8sAudit {
                continue;
            }
            let mut reasons = Vec::new();
            let mut first_line = r.line;
            for f in &r.fields {
                let numeric_cmp = f.modifiers.iter().any(|m| {
                    matches!(
                        m.as_str(),
                        "gt" | "gte" | "lt" | "lte" | "exists" | "neq" | "re" | "fieldref"
                    )
                });
                let reason =
                    if absent(&f.name) {
                        Some(format!(
                            "`{}` (line {}) is not an audit event field",
                            f.name, f.line
                        ))
                    } else if numeric(&f.name) && !numeric_cmp {
                        let strings: Vec<&str> = f
                            .string_values
                            .iter()
                            .map(String::as_str)
                            .filter(|v| v.trim().parse::<f64>().is_err() && *v != "*")
                            .collect();
                        (!strings.is_empty()).then(|| {
                        format!(
                            "`{}` (line {}) is a number in audit events, compared to the string {}",
                            f.name,
                            f.line,
                            strings.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                        )
                    })
                    } else {
                        None
                    };
                if let Some(reason) = reason {
                    if reasons.is_empty() {
                        first_line = f.line;
                    }
                    reasons.push(reason);
                }
            }
            let mut warn = |kind: LintKind, line: usize, message: String| {
                out.push(LintWarning {
                    kind,
                    file: r.file.clone(),
                    line,
                    rule_id: r.id.clone(),
                    message,
                });
            };
            if !reasons.is_empty() {
                let fires = r.can_fire(&|t| self.audit_constant(t));
                let (kind, lead) = if fires {
                    (
                        LintKind::DeadSelection,
                        "part of the rule can never match raw audit JSON",
                    )
                } else {
                    (
                        LintKind::NeverFires,
                        "the rule can never fire on raw audit JSON",
                    )
                };
                warn(
                    kind,
                    first_line,
                    format!(
                        "{lead}: {}; map the field (e.g. k8s_sigmahq_map) or fix the value",
                        reasons.join("; ")
                    ),
                );
            }
            if r.uses_keywords {
                warn(
                    LintKind::KeywordScan,
                    r.line,
                    "keyword (full-text) searches scan every string of the audit event".to_string(),
                );
            }
        }
        out
    }

    /// A field that raw audit events never have (not mapped, not an audit event key).
    fn audit_absent(&self, name: &str) -> bool {
        let map = &self.options.k8s_audit;
        let derived = self
            .options
            .derived_fields
            .iter()
            .any(|(prefix, _)| name.starts_with(prefix.as_str()));
        !derived
            && !map.leaf_fallback
            && !map.paths.contains_key(name)
            && !AUDIT_KEYS.contains(&name.split('.').next().unwrap_or(""))
    }

    /// A field that raw audit events always hold as a number.
    fn audit_numeric(&self, name: &str) -> bool {
        let map = &self.options.k8s_audit;
        !map.leaf_fallback && !map.paths.contains_key(name) && AUDIT_NUMERIC.contains(&name)
    }

    /// The outcome of a field test on every raw audit event, when it is the same for all.
    fn audit_constant(&self, t: &crate::value::FieldTest) -> Option<bool> {
        match t.field.as_deref() {
            Some(name) if self.audit_absent(name) => Some(t.eval(&crate::value::NoFields)),
            Some(name) if self.audit_numeric(name) && t.only_non_numeric_equality() => Some(false),
            _ => None,
        }
    }

    /// Correlation memory counters.
    pub fn correlation_stats(&self) -> CorrelationStats {
        CorrelationStats {
            groups: self.state.len(),
            ..self.stats
        }
    }

    /// Feeds a rule match (with its event and time) to the correlations that use the rule, and
    /// their hits on to correlations that use those (chaining, up to [`MAX_CHAIN_DEPTH`]).
    pub fn observe<E: Event + ?Sized>(
        &mut self,
        m: &RuleMatch,
        event: &E,
        time: Timestamp,
    ) -> Vec<CorrelationHit> {
        let mut hits = Vec::new();
        let Some(rule) = self.rules.get(m.rule_index) else {
            return hits;
        };
        let (id, name) = (rule.id.clone(), rule.name.clone());
        let uses = self
            .rule_correlations
            .get(m.rule_index)
            .cloned()
            .unwrap_or_default();
        self.feed(&uses, &id, name.as_deref(), event, time, 0, &mut hits);
        hits
    }

    #[allow(clippy::too_many_arguments)]
    fn feed<E: Event + ?Sized>(
        &mut self,
        uses: &[(usize, usize)],
        source_id: &str,
        source_name: Option<&str>,
        event: &E,
        time: Timestamp,
        depth: usize,
        hits: &mut Vec<CorrelationHit>,
    ) {
        for &(ci, pos) in uses {
            let Some(hit) = self.step(ci, pos, source_id, source_name, event, time) else {
                continue;
            };
            let downstream = self.corr_correlations.get(ci).cloned().unwrap_or_default();
            let chained = (!downstream.is_empty() && depth < MAX_CHAIN_DEPTH).then(|| {
                let fields: serde_json::Map<String, serde_json::Value> = hit
                    .group
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect();
                (serde_json::Value::Object(fields), hit.id.clone(), hit.last)
            });
            let name = self.correlations.get(ci).and_then(|c| c.name.clone());
            hits.push(hit);
            if let Some((group_event, id, last)) = chained {
                let map = FieldMap::raw();
                let ev = JsonEvent::new(&group_event, &map);
                self.feed(
                    &downstream,
                    &id,
                    name.as_deref(),
                    &ev,
                    last,
                    depth + 1,
                    hits,
                );
            }
        }
    }

    /// Advances one correlation's state for one input; returns its hit when the condition holds.
    fn step<E: Event + ?Sized>(
        &mut self,
        ci: usize,
        pos: usize,
        source_id: &str,
        source_name: Option<&str>,
        event: &E,
        time: Timestamp,
    ) -> Option<CorrelationHit> {
        let c = self.correlations.get(ci)?;
        let resolve_field = |field: &str| -> String {
            c.aliases
                .get(field)
                .and_then(|per_rule| {
                    per_rule
                        .get(source_id)
                        .or_else(|| source_name.and_then(|n| per_rule.get(n)))
                })
                .cloned()
                .unwrap_or_else(|| field.to_string())
        };
        let first_text = |field: &str| -> Option<String> {
            event
                .field(&resolve_field(field))
                .first()
                .map(|v| v.with_text(str::to_string))
        };
        let key: Vec<String> = c
            .group_by
            .iter()
            .map(|g| first_text(g).unwrap_or_default())
            .collect();
        let value = c.condition.field.as_deref().and_then(first_text);
        let span = jiff::SignedDuration::from_secs(c.timespan_secs);
        let horizon = time.checked_sub(span).unwrap_or(time);
        let (kind, n_rules, monotone) = (c.kind, c.rules.len(), c.condition.is_monotone());
        let condition = c.condition.clone();
        let meta = (
            c.id.clone(),
            c.title.clone(),
            c.level,
            c.tags.clone(),
            c.file.clone(),
        );
        let group: Vec<(String, String)> = c
            .group_by
            .iter()
            .cloned()
            .zip(key.iter().cloned())
            .collect();

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
                // temporal counts distinct rules seen; temporal_ordered the ordered prefix.
                let seen = if kind == CorrelationType::Temporal {
                    state.steps.iter().filter(|s| s.is_some()).count()
                } else {
                    state.steps.iter().take_while(|s| s.is_some()).count()
                } as u64;
                let unbounded = condition == CountCondition::default();
                let done = if unbounded {
                    seen == n_rules as u64
                } else {
                    condition.holds(seen)
                };
                if done {
                    let first = state.steps.iter().flatten().min().copied().unwrap_or(time);
                    fired = Some((seen, first));
                    state.steps.iter_mut().for_each(|s| *s = None);
                }
            }
        }
        let (n, first) = fired?;
        let (id, title, level, tags, file) = meta;
        Some(CorrelationHit {
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
            emit: self.corr_emit.get(ci).copied().unwrap_or(true),
        })
    }

    /// Closes every open tumbling window (end of input): upper-bounded conditions
    /// (`lt`, `lte`, `eq`, `range`) are decided here for windows still open.
    pub fn finish(&mut self) -> Vec<CorrelationHit> {
        let mut hits = Vec::new();
        for ((ci, key), state) in self.state.iter_mut() {
            let Some(c) = self.correlations.get(*ci) else {
                continue;
            };
            if !matches!(
                c.kind,
                CorrelationType::EventCount | CorrelationType::ValueCount
            ) || c.condition.is_monotone()
            {
                continue;
            }
            let Some(start) = state.window_start else {
                continue;
            };
            let n = count(c.kind, state);
            if c.condition.holds(n) {
                hits.push(CorrelationHit {
                    correlation_index: *ci,
                    id: c.id.clone(),
                    title: c.title.clone(),
                    level: c.level,
                    tags: c.tags.clone(),
                    file: c.file.clone(),
                    group: c
                        .group_by
                        .iter()
                        .cloned()
                        .zip(key.iter().cloned())
                        .collect(),
                    count: n,
                    first: start,
                    last: state.last_seen.unwrap_or(start),
                    emit: self.corr_emit.get(*ci).copied().unwrap_or(true),
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
            s.last_seen
                .is_some_and(|t| t.checked_add(span).is_ok_and(|end| end >= now))
        });
        self.stats.evicted_groups += (before - self.state.len()) as u64;
        while self.state.len() >= self.options.max_correlation_groups.max(1) {
            let Some(oldest) = self
                .state
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.state.remove(&oldest);
            self.stats.evicted_groups += 1;
        }
    }
}

fn count(kind: CorrelationType, state: &GroupState) -> u64 {
    match kind {
        CorrelationType::ValueCount => state
            .values
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<HashSet<_>>()
            .len() as u64,
        _ => state.times.len() as u64,
    }
}
