//! What every built-in rule declares about itself, whatever it judges (audit events, host
//! events): a stable id, a slug, its documentation and maturity. One shape, so `jobwarden rules`,
//! SARIF and the docs treat every pack alike.

use crate::severity::Severity;
use serde::Serialize;

/// How mature a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// New; behaviour may change.
    Preview,
    /// Behaviour is stable.
    Stable,
}

/// A rule's identity and documentation.
#[derive(Debug, Serialize)]
pub struct RuleMeta {
    /// Stable id, never reused (`JW-AUD-0001`, `JW-HOST-0001`).
    pub id: &'static str,
    /// Names the bad thing (`risky-job-template`).
    pub slug: &'static str,
    /// Title for alerts.
    pub title: &'static str,
    /// The highest severity the rule can give (for listings and SARIF).
    pub max_severity: Severity,
    /// MITRE ATT&CK technique ids.
    pub attack: &'static [&'static str],
    /// Maturity.
    pub status: RuleStatus,
    /// First version with the rule.
    pub since: &'static str,
    /// Markdown with the sections `## What it detects`, `## Why it matters`, `## Example`,
    /// `## False positives` and `## Response`.
    pub docs: &'static str,
}

/// The documentation sections every rule must have.
pub const RULE_DOC_SECTIONS: [&str; 5] = [
    "## What it detects",
    "## Why it matters",
    "## Example",
    "## False positives",
    "## Response",
];
