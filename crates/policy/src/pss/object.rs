//! Applies the standards to whole objects: finds the pod template of every workload kind the
//! built-in Pod Security Admission evaluates and turns violations into finding-ready data.
//!
//! The template lookup is the policy core's [`crate::workload::pod_template`], the same one the
//! template checks use (it covers every kind PSA's `DefaultPodSpecExtractor` does).

use super::{Level, Version, Violation, check_doc, evaluate_pod};
use crate::workload::{PodTemplate, pod_template};
use jobwarden_model::{
    FINDING_SCHEMA, Finding, FindingCategory, Location, ObjectId, PssRef, Severity,
};
use serde_json::Value;

/// One PSS violation of one object, ready to become a [`Finding`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PssFinding {
    /// `pss.<level>.<checkId>`, e.g. `pss.restricted.runAsNonRoot`.
    pub check: String,
    /// The upstream check id, e.g. `runAsNonRoot`.
    pub check_id: &'static str,
    /// The level judged at.
    pub level: Level,
    /// The version judged at, as asked (`latest` stays `latest`).
    pub version: Version,
    /// Full JSON path (from the object root) of the first offending field.
    pub path: String,
    /// Full JSON paths of all offending fields.
    pub paths: Vec<String>,
    /// `reason (detail)` as upstream words it.
    pub message: String,
    /// jobwarden's severity for the check.
    pub severity: Severity,
}

impl PssFinding {
    fn new(
        violation: Violation,
        template: &PodTemplate<'_>,
        level: Level,
        version: Version,
    ) -> Self {
        let paths: Vec<String> = violation
            .paths
            .iter()
            .map(|p| object_path(template, p))
            .collect();
        let path = paths
            .first()
            .cloned()
            .unwrap_or_else(|| template.spec_path.to_string());
        PssFinding {
            check: format!("pss.{}.{}", level.as_str(), violation.check),
            check_id: violation.check,
            level,
            version,
            path,
            paths,
            message: violation.message(),
            severity: check_doc(violation.check).map_or(Severity::Medium, |d| d.severity),
        }
    }

    /// The `jobwarden.finding/v1` record for this violation of `object` at `location`.
    pub fn to_finding(&self, object: ObjectId, location: Location) -> Finding {
        Finding {
            schema: FINDING_SCHEMA.to_string(),
            check: self.check.clone(),
            category: FindingCategory::Pss,
            severity: self.severity,
            pss: Some(PssRef {
                level: self.level.as_str().to_string(),
                version: self.version.to_string(),
            }),
            object,
            location,
            path: self.path.clone(),
            message: self.message.clone(),
            attack: vec!["T1053.007".to_string()],
            mitigation: Some("M1026".to_string()),
        }
    }
}

/// Rewrites a pod-relative path (`spec.…`, `metadata.…`) to a path from the object root.
fn object_path(template: &PodTemplate<'_>, pod_path: &str) -> String {
    if let Some(rest) = pod_path.strip_prefix("spec") {
        format!("{}{rest}", template.spec_path)
    } else if let Some(rest) = pod_path.strip_prefix("metadata") {
        format!("{}{rest}", template.template_metadata_path)
    } else {
        pod_path.to_string()
    }
}

/// Judges the pod template of any workload object at `level` and `version`. Objects of other
/// kinds (or without a pod spec) give no findings.
pub fn judge_object(object: &Value, level: Level, version: Version) -> Vec<PssFinding> {
    let Ok(template) = pod_template(object) else {
        return Vec::new();
    };
    let metadata = template.template_metadata.unwrap_or(&Value::Null);
    evaluate_pod(metadata, template.spec, level, version)
        .into_iter()
        .map(|v| PssFinding::new(v, &template, level, version))
        .collect()
}
