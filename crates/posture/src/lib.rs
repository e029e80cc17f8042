//! Posture: the judgement of objects at rest — manifests in git (`scan`), live objects, an
//! AdmissionReview's object — as `jobwarden.finding/v1` findings. It combines the policy core's
//! three judges on each object: the Pod Security Standards (at the level a flag or the
//! object's Namespace labels ask for), the template checks and the CronJob heuristics; and when
//! the input holds RBAC objects, the M1018 findings of [`jobwarden_rbac`]: subjects outside the
//! authorised set who can write batch objects, directly or by escalation.
//!
//! No I/O: callers load documents ([`jobwarden_manifest`]) and print findings.
#![deny(missing_docs)]

use jobwarden_manifest::Document;
use jobwarden_model::{FINDING_SCHEMA, Finding, FindingCategory, Location, ObjectId, Severity};
use jobwarden_policy::pss::{self, Level, Mode, Version};
use jobwarden_policy::{CronJobPolicy, TemplateFinding, TemplatePolicy};
use jobwarden_rbac::findings::{DEFAULT_AUTHORISED, SubjectPattern};
use jobwarden_rbac::{Analysis, SourcedObject};
use serde_json::Value;

/// [`DEFAULT_AUTHORISED`] parsed: `system:masters`, kube-system service accounts and the
/// control-plane users.
pub fn default_authorised() -> Vec<SubjectPattern> {
    DEFAULT_AUTHORISED
        .iter()
        .filter_map(|p| SubjectPattern::parse(p).ok())
        .collect()
}

const RBAC_KINDS: &[&str] = &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];
use std::collections::BTreeMap;

/// The PSS level a run applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PssChoice {
    /// Level.
    pub level: Level,
    /// Policy version.
    pub version: Version,
}

/// How to judge.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A level forced on every object (`--pss`); it overrides Namespace labels.
    pub forced_pss: Option<PssChoice>,
    /// The level for objects whose Namespace carries no enforce label, when none is forced.
    pub default_pss: Option<PssChoice>,
    /// Template checks.
    pub template: TemplatePolicy,
    /// CronJob checks.
    pub cronjob: CronJobPolicy,
    /// Subjects authorised to write batch objects (M1018); others who can are findings.
    pub rbac_authorised: Vec<SubjectPattern>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            forced_pss: None,
            default_pss: Some(PssChoice {
                level: Level::Baseline,
                version: Version::Latest,
            }),
            template: TemplatePolicy::default(),
            cronjob: CronJobPolicy::default(),
            rbac_authorised: default_authorised(),
        }
    }
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings, in document order, most severe first within a document.
    pub findings: Vec<Finding>,
    /// Objects judged (they carry a pod template).
    pub judged: u64,
    /// Objects not judged, by kind (no pod template: Services, RBAC, ...).
    pub not_judged: BTreeMap<String, u64>,
    /// Namespace labels PSA would reject, as `file:line: message`.
    pub label_errors: Vec<String>,
    /// Namespaces whose enforce label set the level of their objects.
    pub namespace_levels: BTreeMap<String, String>,
    /// RBAC objects the input held (0: no M1018 analysis).
    pub rbac_objects: u64,
    /// RBAC input problems, as messages naming file, line and field.
    pub rbac_warnings: Vec<String>,
}

const POD_TEMPLATE_KINDS: &[&str] = &[
    "Pod",
    "Job",
    "CronJob",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "PodTemplate",
];

/// Judge every document. Namespace objects in the input set the PSS level of the objects in
/// them (their `pod-security.kubernetes.io/enforce` labels), unless `settings.forced_pss`.
pub fn scan(documents: &[Document], settings: &Settings) -> Outcome {
    let mut out = Outcome::default();
    // Namespace labels first, wherever they appear in the input.
    let mut by_namespace: BTreeMap<String, Option<PssChoice>> = BTreeMap::new();
    for doc in documents.iter().filter(|d| d.kind() == "Namespace") {
        let Some(name) = doc.name() else { continue };
        match pss::namespace_policy(&doc.value, Mode::Enforce) {
            Ok(Some(p)) => {
                let choice = p.level.map(|level| PssChoice {
                    level,
                    version: p.version,
                });
                out.namespace_levels.insert(
                    name.to_string(),
                    choice.map_or_else(
                        || "privileged".to_string(),
                        |c| format!("{} {}", c.level.as_str(), c.version),
                    ),
                );
                by_namespace.insert(name.to_string(), choice);
            }
            Ok(None) => {}
            Err(e) => out
                .label_errors
                .push(format!("{}:{}: namespace {name}: {e}", doc.file, doc.line)),
        }
    }
    let rbac: Vec<SourcedObject> = documents
        .iter()
        .filter(|d| RBAC_KINDS.contains(&d.kind()))
        .map(|d| SourcedObject::new(d.value.clone(), d.file.clone(), d.line))
        .collect();
    out.rbac_objects = rbac.len() as u64;
    let mut rbac_findings = Vec::new();
    if !rbac.is_empty() {
        // Pods and workloads matter too (pod-with-serviceaccount and exec paths).
        let mut objects = rbac;
        objects.extend(
            documents
                .iter()
                .filter(|d| !RBAC_KINDS.contains(&d.kind()))
                .map(|d| SourcedObject::new(d.value.clone(), d.file.clone(), d.line)),
        );
        let analysis = Analysis::build(&objects);
        out.rbac_warnings = analysis.errors().iter().map(|e| e.to_string()).collect();
        rbac_findings = analysis.rbac_findings(&settings.rbac_authorised);
    }
    for doc in documents {
        let kind = doc.kind();
        if RBAC_KINDS.contains(&kind) {
            continue;
        }
        if !POD_TEMPLATE_KINDS.contains(&kind) {
            *out.not_judged.entry(kind.to_string()).or_default() += 1;
            continue;
        }
        out.judged += 1;
        let pss = match settings.forced_pss {
            Some(p) => Some(p),
            None => match doc.namespace().and_then(|ns| by_namespace.get(ns)) {
                Some(from_label) => *from_label,
                None => settings.default_pss,
            },
        };
        let mut found = judge_object(&doc.value, pss, &settings.template, &settings.cronjob);
        found.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for f in found {
            let location = doc.location_of(&f.path);
            out.findings.push(f.into_finding(doc.object_id(), location));
        }
    }
    out.findings.extend(rbac_findings);
    out
}

/// A finding before it is placed in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectFinding {
    /// Check id.
    pub check: String,
    /// Family.
    pub category: FindingCategory,
    /// Severity.
    pub severity: Severity,
    /// PSS level and version, for PSS findings.
    pub pss: Option<PssChoice>,
    /// JSON path of the offending field.
    pub path: String,
    /// One line for a person.
    pub message: String,
    /// ATT&CK ids.
    pub attack: Vec<String>,
    /// Mitigation id.
    pub mitigation: Option<String>,
}

impl ObjectFinding {
    /// Place the finding: the object and where it (or the field) is.
    pub fn into_finding(self, object: ObjectId, location: Location) -> Finding {
        Finding {
            schema: FINDING_SCHEMA.to_string(),
            check: self.check,
            category: self.category,
            severity: self.severity,
            pss: self.pss.map(|p| jobwarden_model::PssRef {
                level: p.level.as_str().to_string(),
                version: p.version.to_string(),
            }),
            object,
            location,
            path: self.path,
            message: self.message,
            attack: self.attack,
            mitigation: self.mitigation,
        }
    }
}

fn from_template(f: TemplateFinding) -> ObjectFinding {
    let category = if f.check.starts_with("cronjob.") {
        FindingCategory::Cronjob
    } else {
        FindingCategory::Template
    };
    let mitigation = jobwarden_policy::check_doc(f.check)
        .and_then(|d| d.mitigation)
        .map(str::to_string);
    ObjectFinding {
        check: f.check.to_string(),
        category,
        severity: f.severity,
        pss: None,
        path: f.path,
        message: f.message,
        attack: f.attack.iter().map(|s| s.to_string()).collect(),
        mitigation,
    }
}

/// Judge one object: PSS at `pss` (when given), template checks, and CronJob checks for Jobs
/// and CronJobs. The same judgement `hunt` and the admission webhook apply.
pub fn judge_object(
    object: &Value,
    pss: Option<PssChoice>,
    template: &TemplatePolicy,
    cronjob: &CronJobPolicy,
) -> Vec<ObjectFinding> {
    let mut out = Vec::new();
    if let Some(choice) = pss {
        for f in pss::judge_object(object, choice.level, choice.version) {
            out.push(ObjectFinding {
                check: f.check,
                category: FindingCategory::Pss,
                severity: f.severity,
                pss: Some(choice),
                path: f.path,
                message: f.message,
                attack: vec!["T1053.007".to_string(), "T1611".to_string()],
                mitigation: Some("M1026".to_string()),
            });
        }
    }
    if let Ok(found) = jobwarden_policy::judge_object(object, template) {
        out.extend(found.into_iter().map(from_template));
    }
    if matches!(
        object.get("kind").and_then(Value::as_str),
        Some("CronJob" | "Job")
    ) {
        out.extend(
            jobwarden_policy::judge_cronjob_with(object, cronjob)
                .into_iter()
                .map(from_template),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobwarden_manifest::{Limits, load_str};

    const MANIFESTS: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: batch
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.29
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: batch
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: report
              image: busybox
              securityContext:
                privileged: true
---
apiVersion: v1
kind: Service
metadata:
  name: web
"#;

    #[test]
    fn namespace_labels_set_the_level_and_lines_point_at_fields() {
        let loaded = load_str("k.yaml", MANIFESTS, &Limits::default());
        assert!(loaded.errors.is_empty());
        let out = scan(&loaded.documents, &Settings::default());
        assert_eq!(out.judged, 1);
        assert_eq!(out.not_judged.get("Service"), Some(&1));
        let privileged = out
            .findings
            .iter()
            .find(|f| f.check == "pss.restricted.privileged")
            .expect("restricted from the namespace label");
        assert_eq!(
            privileged.pss.as_ref().map(|p| p.version.as_str()),
            Some("v1.29")
        );
        assert_eq!(privileged.location.line, 25, "line of the privileged field");
        assert!(
            out.findings
                .iter()
                .any(|f| f.check == "template.privileged")
        );
        assert!(
            out.findings
                .iter()
                .any(|f| f.check.starts_with("cronjob.schedule"))
        );
    }

    #[test]
    fn a_forced_level_overrides_labels() {
        let loaded = load_str("k.yaml", MANIFESTS, &Limits::default());
        let settings = Settings {
            forced_pss: Some(PssChoice {
                level: Level::Baseline,
                version: Version::Latest,
            }),
            ..Settings::default()
        };
        let out = scan(&loaded.documents, &settings);
        assert!(
            out.findings
                .iter()
                .any(|f| f.check == "pss.baseline.privileged")
        );
        assert!(
            !out.findings
                .iter()
                .any(|f| f.check.starts_with("pss.restricted"))
        );
    }
}
