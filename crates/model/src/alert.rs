//! The alert contract, `jobwarden.alert/v1` (`shared/design/alerts.md`).
//!
//! Adding fields is allowed; renaming or removing one needs `jobwarden.alert/v2`.

use crate::severity::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema tag written in every alert.
pub const ALERT_SCHEMA: &str = "jobwarden.alert/v1";

/// One detection, as written one per line by `--format jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Always [`ALERT_SCHEMA`].
    pub schema: String,
    /// Stable hash of the rule id and the evidence: re-running over the same input gives the same id.
    pub id: String,
    /// The rule that fired.
    pub rule: RuleRef,
    /// How urgent.
    pub severity: Severity,
    /// RFC 3339 time of the first evidence event.
    pub time: String,
    /// One line a person can act on.
    pub summary: String,
    /// The object the alert is about.
    pub subject: Subject,
    /// Who did it.
    pub actor: Actor,
    /// The events that support the alert, first one first.
    pub evidence: Vec<Evidence>,
    /// Optional chain, e.g. `process -> audit create -> job -> pod -> container`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provenance: Vec<String>,
    /// Optional: what to do now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

impl Alert {
    /// The stable alert id: xxh3 of the rule id and every evidence event's identity (audit id, or
    /// source location when there is none), so the same input always yields the same id.
    pub fn stable_id(rule_id: &str, evidence: &[Evidence]) -> String {
        let mut key = String::with_capacity(64);
        key.push_str(rule_id);
        for ev in evidence {
            key.push('\u{1f}');
            match &ev.audit_id {
                Some(id) => key.push_str(id),
                None => key.push_str(&ev.source),
            }
        }
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
    }
}

/// The rule that produced an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// Stable rule id, e.g. `JW-AUD-0001`, or a Sigma rule's id.
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// `builtin`, `sigma:<rule file>` or `correlation`.
    pub origin: String,
    /// MITRE ATT&CK technique ids.
    pub attack: Vec<String>,
}

/// The Kubernetes object an alert is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Object kind, e.g. `CronJob`.
    pub kind: String,
    /// Namespace, absent for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Object name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cluster name, when the input names it (GKE, AKS wrappers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// Who performed the action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The effective username (the impersonated user when impersonation was used).
    pub username: String,
    /// Groups of the effective user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The real user behind an impersonated request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_by: Option<String>,
    /// Client addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    /// Client user agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Host name, for process events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// What kind of event a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A Kubernetes audit event.
    K8sAudit,
    /// A process start on a host or node.
    Process,
    /// A container start.
    Container,
    /// A file creation on a node.
    File,
    /// A sidecar-proxy access log line.
    Proxy,
    /// Any other JSON event (Sigma rules in generic mode).
    Generic,
}

/// One event supporting an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// `<input path as given>:<1-based line>` or `<stream>:<sequence>`.
    pub source: String,
    /// What kind of event.
    pub kind: EvidenceKind,
    /// The audit event's `auditID`, verbatim, for audit evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<String>,
    /// What matched, field by field.
    #[serde(default)]
    pub detail: BTreeMap<String, serde_json::Value>,
}
