//! Static RBAC analysis for jobwarden: who can do what, and who can get code scheduled through
//! Jobs and CronJobs (MITRE ATT&CK T1053.007, mitigation M1018). No cluster and no I/O: the
//! input is a list of objects, each a `serde_json::Value` with its file and line.
//!
//! The semantics are those of the Kubernetes RBAC authorizer, reimplemented one to one
//! (`evaluation_helpers.go`, `rbac.go`, `validation/rule.go`, `policy_comparator.go`):
//! verbs / apiGroups / resources with `*`, `resource/subresource` and `*/subresource`,
//! `resourceNames` (never matching a request without a name, such as create), non-resource
//! URLs (exact, `*`, `prefix*`, only through ClusterRoleBindings), RoleBindings scoped to their
//! namespace (a `Role` resolved only there), cluster-scoped resources only through
//! ClusterRoleBindings (a Namespace object is the exception: a RoleBinding in `N` covers
//! Namespace `N`), subjects of every kind with service-account namespaces defaulted to the
//! RoleBinding's, the user name `system:serviceaccount:<ns>:<name>` being that service
//! account, the implicit groups of service accounts, ClusterRole aggregation resolved from the
//! input's labels (transitively, `matchLabels` and `matchExpressions`), `system:masters` as
//! superuser, and the `escalate` / `bind` escalation checks.
//!
//! # Modules
//! * [`input`]: objects in, RBAC inventory and [`InputError`]s out (file, line, field).
//! * [`rule`]: policy rules and the authorizer's matchers.
//! * [`selector`]: label selectors for aggregation.
//! * [`graph`]: [`Analysis`] (build once), [`Analysis::authorize`], escalation checks.
//! * [`access`]: [`Analysis::who_can`] and the `jobwarden.access/v1` answer shape.
//! * [`schedule`]: [`Analysis::schedule_code`], the technique's question with indirect paths.
//! * [`findings`]: [`Analysis::rbac_findings`], M1018 posture findings.
//! * [`dot`]: [`to_dot`], the answers as a Graphviz graph.
//!
//! # How the CLI uses it (`jobwarden who-can`)
//!
//! ```no_run
//! use jobwarden_rbac::{AccessQuery, Analysis, SourcedObject};
//! # let documents: Vec<(serde_json::Value, String, u64)> = Vec::new();
//! // 1. Load manifests (e.g. jobwarden-manifest's `load_paths`) and hand over every document.
//! let objects: Vec<SourcedObject> = documents
//!     .into_iter()
//!     .map(|(value, file, line)| SourcedObject::new(value, file, line))
//!     .collect();
//! let analysis = Analysis::build(&objects);
//! // 2. Print `analysis.errors()` to stderr (each names file, line and field); they are not
//! //    fatal: the rest of the input is analysed.
//! for e in analysis.errors() {
//!     eprintln!("warning: {e}");
//! }
//! // 3. `who-can VERB RESOURCE[.GROUP][/SUBRESOURCE] [-n NS] [--name NAME]`, or a `/url`:
//! let query = AccessQuery::parse("create", "cronjobs.batch")
//!     .expect("valid query")
//!     .in_namespace(None)
//!     .named(None);
//! let answers = analysis.who_can(&query);
//! // `--schedule-code`: let answers = analysis.schedule_code();
//! // 4. `--format jsonl`: one `serde_json::to_string(&answer)` per line.
//! //    Text: one line per answer, e.g.
//! //    `ServiceAccount kube-system/cronjob-controller  *  direct  ClusterRoleBinding x -> ClusterRole y`
//! //    using `answer.subject` (Display), `answer.scope`, `answer.path.as_str()`, the first
//! //    `via` entry, `answer.names` (when set: "only these objects") and `answer.note`; for
//! //    indirect paths print each `answer.hops[i].action` indented below.
//! for a in &answers {
//!     println!("{}", serde_json::to_string(a).expect("serialisable"));
//! }
//! ```
//!
//! `scan` adds M1018 findings with
//! `analysis.rbac_findings(&patterns)`, the patterns read with [`SubjectPattern::parse`] from
//! configuration, [`findings::DEFAULT_AUTHORISED`] when none is configured.
//!
//! `--format dot` is [`to_dot`] over the same answers (subject -> binding -> role ->
//! aggregated source -> rule, dashed edges for the hops of indirect paths).
#![deny(missing_docs)]

pub mod access;
pub mod dot;
pub mod findings;
pub mod graph;
pub mod input;
pub mod rule;
pub mod schedule;
pub mod selector;

pub use access::{ACCESS_SCHEMA, AccessAnswer, AccessPath, AccessQuery, Hop, QueryError, Target};
pub use dot::to_dot;
pub use findings::{DEFAULT_AUTHORISED, PatternError, SubjectPattern, rbac_findings};
pub use graph::{Analysis, Decision, Grant, ObjectRef, Scope, UserInfo};
pub use input::{InputError, RoleKind, Source, SourcedObject, SubjectKind, SubjectRef};
pub use rule::{PolicyRule, RequestAttributes, ResourceAttributes};
