//! The finding contract, `jobwarden.finding/v1` (`shared/design/findings.md`): posture
//! judgements of objects (manifests, live objects), as opposed to alerts on events.

use crate::severity::Severity;
use serde::{Deserialize, Serialize};

/// The schema tag written in every posture finding.
pub const FINDING_SCHEMA: &str = "jobwarden.finding/v1";

/// Which family a check belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingCategory {
    /// A Pod Security Standards check (upstream pod-security-admission semantics).
    Pss,
    /// A risky pod template (the policy core's template checks).
    Template,
    /// A CronJob heuristic (schedule, history limits, TTL).
    Cronjob,
    /// An RBAC posture finding (M1018).
    Rbac,
}

/// The PSS level and version a `pss` finding was judged at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PssRef {
    /// `baseline` or `restricted`.
    pub level: String,
    /// `v1.30`, or `latest`.
    pub version: String,
}

/// The object a finding is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectId {
    /// `apiVersion` as written.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `kind` as written.
    pub kind: String,
    /// Namespace, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name (or generateName), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Where in the input the object (or better, the offending field) starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The path as given on the command line.
    pub file: String,
    /// 1-based line.
    pub line: u64,
}

/// One posture finding, as written one per line by `scan --format jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Always [`FINDING_SCHEMA`].
    pub schema: String,
    /// Stable check id, e.g. `pss.restricted.runAsNonRoot` or `template.hostPath.sensitive`.
    pub check: String,
    /// The check's family.
    pub category: FindingCategory,
    /// How urgent.
    pub severity: Severity,
    /// Present only on PSS findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pss: Option<PssRef>,
    /// The object judged.
    pub object: ObjectId,
    /// Where it is.
    pub location: Location,
    /// JSON path of the offending field.
    pub path: String,
    /// One line a person can act on.
    pub message: String,
    /// MITRE ATT&CK technique ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attack: Vec<String>,
    /// MITRE mitigation id (`M1026`, `M1018`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation: Option<String>,
}
