//! The data model every jobwarden crate speaks.
//!
//! * [`audit`]: a Kubernetes audit event normalised from any wrapper (raw `audit.k8s.io`,
//!   GKE, AKS, EKS), with the stages of one request merged.
//! * [`alert`]: the `jobwarden.alert/v1` contract (`shared/design/alerts.md`).
//! * [`finding`]: the `jobwarden.finding/v1` contract for posture checks (`scan`, `who-can`).
//! * [`severity`]: the five severities and their order.
//!
//! This crate does no I/O and holds no policy: it is the vocabulary, like `kube-core`.
#![deny(missing_docs)]

pub mod alert;
pub mod audit;
pub mod finding;
pub mod pattern;
pub mod rule;
pub mod severity;

pub use alert::{ALERT_SCHEMA, Actor, Alert, Evidence, EvidenceKind, RuleRef, Subject};
pub use audit::{AuditEvent, ObjectRef, Outcome, ResponseStatus, Stage, UserInfo};
pub use finding::{FINDING_SCHEMA, Finding, FindingCategory, Location, ObjectId, PssRef};
pub use pattern::glob_match;
pub use rule::{RULE_DOC_SECTIONS, RuleMeta, RuleStatus};
pub use severity::Severity;
