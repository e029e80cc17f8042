//! The validating admission webhook: `admission.k8s.io/v1` AdmissionReview in, a decision out.
//!
//! Parse, then a pure decision ([`decide`]), then wrap: the `uid` is always copied back.
//! Exemptions rest on the identity the apiserver authenticated (`userInfo`), never on what the
//! client put in the object: a Job whose `ownerReferences` claim a CronJob but which a person
//! sent is judged like any other.

use crate::settings::{AdmissionPolicy, Mode};
use jobwarden_detect::identity::{ActorClass, classify};
use jobwarden_model::{AuditEvent, Severity, UserInfo};
use jobwarden_policy::{CronJobPolicy, TemplatePolicy};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The review as the apiserver sends it (only the fields the decision needs).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReview {
    /// `admission.k8s.io/v1`.
    #[serde(default)]
    pub api_version: String,
    /// `AdmissionReview`.
    #[serde(default)]
    pub kind: String,
    /// The request; absent means the review is unusable.
    pub request: Option<AdmissionRequest>,
}

/// `request`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    /// Copied back into the response.
    pub uid: String,
    /// Kind of the object.
    #[serde(default)]
    pub kind: GroupVersionKind,
    /// Subresource, if any (`status`, `scale`, ...).
    #[serde(default)]
    pub sub_resource: Option<String>,
    /// Name (absent on create with generateName).
    #[serde(default)]
    pub name: Option<String>,
    /// Namespace of the request.
    #[serde(default)]
    pub namespace: Option<String>,
    /// CREATE, UPDATE, DELETE or CONNECT.
    #[serde(default)]
    pub operation: String,
    /// Who sent it, as the apiserver authenticated them.
    #[serde(default)]
    pub user_info: UserInfo,
    /// The object after the change.
    #[serde(default)]
    pub object: Option<Value>,
    /// True for `--dry-run=server`.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// `request.kind`.
#[derive(Debug, Default, Deserialize)]
pub struct GroupVersionKind {
    /// API group.
    #[serde(default)]
    pub group: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Kind.
    #[serde(default)]
    pub kind: String,
}

/// The review sent back.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewResponse {
    /// `admission.k8s.io/v1`.
    pub api_version: &'static str,
    /// `AdmissionReview`.
    pub kind: &'static str,
    /// The decision.
    pub response: Decision,
}

/// `response`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The request's uid.
    pub uid: String,
    /// Allowed or not.
    pub allowed: bool,
    /// Why not (when denied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Warnings shown to the client (`warn` mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Audit annotations (`audit` mode, and every decision's summary).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

/// `response.status`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Status {
    /// HTTP-like code (403 denied, 400 invalid).
    pub code: u16,
    /// Machine reason.
    pub reason: String,
    /// For the person.
    pub message: String,
}

impl Decision {
    /// Wrap into the review envelope.
    pub fn into_review(self) -> ReviewResponse {
        ReviewResponse {
            api_version: "admission.k8s.io/v1",
            kind: "AdmissionReview",
            response: self,
        }
    }

    /// The metric label: allowed, denied, warned, audited, invalid, exempt.
    pub fn result_label(&self) -> &'static str {
        match (&self.status, self.allowed) {
            (Some(s), false) if s.code == 400 => "invalid",
            (_, false) => "denied",
            _ if !self.warnings.is_empty() => "warned",
            _ if self.audit_annotations.contains_key("findings") => "audited",
            _ if self
                .audit_annotations
                .get("decision")
                .is_some_and(|d| d.starts_with("exempt")) =>
            {
                "exempt"
            }
            _ => "allowed",
        }
    }
}

/// The policy the webhook judges with.
#[derive(Debug, Clone)]
pub struct Judge {
    /// Modes, PSS level, allowlists.
    pub policy: AdmissionPolicy,
    /// Template checks.
    pub template: TemplatePolicy,
    /// CronJob checks.
    pub cronjob: CronJobPolicy,
    /// Detection config (trusted automation is classified with it).
    pub detect: jobwarden_detect::Config,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedCheck {
    /// Check id (`pss.baseline.privileged`, `m1018.batchWriter`, ...).
    pub check: String,
    /// The field.
    pub path: String,
    /// Why.
    pub message: String,
    /// How bad.
    pub severity: Severity,
}

impl std::fmt::Display for FailedCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}: {}", self.check, self.path, self.message)
    }
}

const BATCH_KINDS: &[&str] = &["Job", "CronJob"];

/// An unreadable or unusable review: `uid` when known.
pub fn invalid(uid: String, reason: &str) -> Decision {
    Decision {
        uid,
        allowed: false,
        status: Some(Status {
            code: 400,
            reason: "BadRequest".to_string(),
            message: format!("jobwarden: unreadable AdmissionReview: {reason}"),
        }),
        warnings: Vec::new(),
        audit_annotations: BTreeMap::new(),
    }
}

fn allow(uid: String, note: &str) -> Decision {
    Decision {
        uid,
        allowed: true,
        status: None,
        warnings: Vec::new(),
        audit_annotations: BTreeMap::from([("decision".to_string(), note.to_string())]),
    }
}

impl Judge {
    /// The checks a request fails (empty: clean). Exempt identities return `Err(reason)`.
    pub fn failed_checks(&self, req: &AdmissionRequest) -> Result<Vec<FailedCheck>, String> {
        // Classify with the detection engine's identity rules: username and groups only.
        let probe = AuditEvent {
            user: req.user_info.clone(),
            ..AuditEvent::default()
        };
        let identity = classify(&probe, &self.detect);
        if let ActorClass::Controller(name) = &identity.class {
            return Err(format!("exempt: controller {name}"));
        }
        if jobwarden_detect::identity::matches_any(&self.policy.exempt, &req.user_info) {
            return Err(format!(
                "exempt: configured identity {}",
                req.user_info.username
            ));
        }
        let mut failed = Vec::new();
        let kind = req.kind.kind.as_str();
        if BATCH_KINDS.contains(&kind)
            && !self.policy.batch_writers.is_empty()
            && !jobwarden_detect::identity::matches_any(&self.policy.batch_writers, &req.user_info)
        {
            failed.push(FailedCheck {
                check: "m1018.batchWriter.notAllowed".to_string(),
                path: "request.userInfo.username".to_string(),
                message: format!(
                    "{} is not on the allowlist of batch writers",
                    req.user_info.username
                ),
                severity: Severity::High,
            });
        }
        if let Some(object) = &req.object {
            let mut object = object.clone();
            // The namespace of a create often lives only on the request.
            if let (Some(ns), Some(meta)) = (&req.namespace, object.get_mut("metadata"))
                && let Some(meta) = meta.as_object_mut()
            {
                meta.entry("namespace")
                    .or_insert_with(|| Value::String(ns.clone()));
            }
            for f in jobwarden_posture::judge_object(
                &object,
                self.policy.pss,
                &self.template,
                &self.cronjob,
            ) {
                let fails = f.pss.is_some() || f.severity >= self.policy.fail_severity;
                if fails {
                    failed.push(FailedCheck {
                        check: f.check,
                        path: f.path,
                        message: f.message,
                        severity: f.severity,
                    });
                }
            }
        }
        Ok(failed)
    }

    /// Decide one request.
    pub fn decide(&self, req: &AdmissionRequest) -> Decision {
        let uid = req.uid.clone();
        if !matches!(req.operation.as_str(), "CREATE" | "UPDATE") {
            return allow(uid, "allowed: operation not judged");
        }
        if req.sub_resource.as_deref().is_some_and(|s| !s.is_empty()) {
            return allow(uid, "allowed: subresource not judged");
        }
        if req.object.is_none() {
            return invalid(uid, "request.object is missing on CREATE/UPDATE");
        }
        let failed = match self.failed_checks(req) {
            Ok(f) => f,
            Err(reason) => return allow(uid, &reason),
        };
        if failed.is_empty() {
            return allow(uid, "allowed: no failed checks");
        }
        let target = format!(
            "{} {}/{}",
            req.kind.kind,
            req.namespace.as_deref().unwrap_or("-"),
            req.name
                .as_deref()
                .or_else(|| {
                    req.object
                        .as_ref()
                        .and_then(|o| o.pointer("/metadata/generateName"))
                        .and_then(Value::as_str)
                })
                .unwrap_or("-")
        );
        let list: Vec<String> = failed.iter().map(ToString::to_string).collect();
        let dry = if req.dry_run == Some(true) {
            " (dry run)"
        } else {
            ""
        };
        match self.policy.mode {
            Mode::Enforce => Decision {
                uid,
                allowed: false,
                status: Some(Status {
                    code: 403,
                    reason: "Forbidden".to_string(),
                    message: format!(
                        "jobwarden denied {target}{dry}: {} failed check(s): {}",
                        failed.len(),
                        list.join("; ")
                    ),
                }),
                warnings: Vec::new(),
                audit_annotations: BTreeMap::from([
                    ("decision".to_string(), "denied".to_string()),
                    ("findings".to_string(), checks_summary(&failed)),
                ]),
            },
            Mode::Warn => Decision {
                uid,
                allowed: true,
                status: None,
                warnings: list.iter().map(|l| format!("jobwarden: {l}")).collect(),
                audit_annotations: BTreeMap::from([
                    ("decision".to_string(), "warned".to_string()),
                    ("findings".to_string(), checks_summary(&failed)),
                ]),
            },
            Mode::Audit => Decision {
                uid,
                allowed: true,
                status: None,
                warnings: Vec::new(),
                audit_annotations: BTreeMap::from([
                    ("decision".to_string(), "audited".to_string()),
                    ("findings".to_string(), checks_summary(&failed)),
                ]),
            },
        }
    }
}

fn checks_summary(failed: &[FailedCheck]) -> String {
    failed
        .iter()
        .map(|f| format!("{}@{}", f.check, f.path))
        .collect::<Vec<_>>()
        .join(",")
}

/// Decide on a raw body: `Err((status, reason))` when it is not a review at all (HTTP 400);
/// otherwise the review to send back (an `invalid` decision when it has a uid but no usable
/// request).
pub fn review_bytes(
    judge: &Judge,
    body: &[u8],
) -> Result<(ReviewResponse, Option<bool>, String), String> {
    let review: AdmissionReview =
        serde_json::from_slice(body).map_err(|e| format!("body is not an AdmissionReview: {e}"))?;
    if review.kind != "AdmissionReview" {
        return Err(format!(
            "kind is `{}`, expected AdmissionReview",
            review.kind
        ));
    }
    if review.api_version != "admission.k8s.io/v1" {
        return Err(format!(
            "apiVersion is `{}`, expected admission.k8s.io/v1",
            review.api_version
        ));
    }
    let Some(req) = review.request else {
        return Err("request is missing".to_string());
    };
    if req.uid.is_empty() {
        return Err("request.uid is empty".to_string());
    }
    Ok((judge.decide(&req).into_review(), req.dry_run, req.kind.kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn judge() -> Judge {
        let detect = jobwarden_detect::Config::from_yaml("").expect("default config");
        Judge {
            policy: AdmissionPolicy::default(),
            template: detect.template.clone(),
            cronjob: detect.cronjob.clone(),
            detect,
        }
    }

    fn request(operation: &str, object: Option<Value>, dry_run: bool) -> AdmissionRequest {
        serde_json::from_value(json!({
            "uid": "u-1",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "namespace": "apps",
            "operation": operation,
            "userInfo": {"username": "alice"},
            "object": object,
            "dryRun": dry_run
        }))
        .expect("request")
    }

    fn privileged_pod() -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "dbg-"},
               "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": true}}]}})
    }

    #[test]
    fn deletes_pass_and_missing_objects_are_invalid() {
        let j = judge();
        let d = j.decide(&request("DELETE", None, false));
        assert!(d.allowed);
        assert_eq!(d.uid, "u-1");
        let d = j.decide(&request("CREATE", None, false));
        assert!(!d.allowed);
        assert_eq!(d.status.as_ref().map(|s| s.code), Some(400));
        assert_eq!(d.result_label(), "invalid");
    }

    #[test]
    fn dry_runs_get_the_same_decision_and_say_so() {
        let j = judge();
        let d = j.decide(&request("CREATE", Some(privileged_pod()), true));
        assert!(!d.allowed);
        let msg = d.status.map(|s| s.message).unwrap_or_default();
        assert!(
            msg.contains("(dry run)") && msg.contains("Pod apps/dbg-"),
            "{msg}"
        );
        assert!(
            msg.contains("spec.containers[0].securityContext.privileged"),
            "{msg}"
        );
    }

    #[test]
    fn configured_identities_are_exempt_by_userinfo_only() {
        let mut j = judge();
        j.policy.exempt = vec!["system:serviceaccount:argocd:*".to_string()];
        let mut req = request("CREATE", Some(privileged_pod()), false);
        req.user_info.username =
            "system:serviceaccount:argocd:argocd-application-controller".into();
        assert!(j.decide(&req).allowed);
        // Claiming the identity in an annotation does nothing.
        let mut pod = privileged_pod();
        pod["metadata"]["annotations"] = json!({"jobwarden.io/exempt": "true"});
        let req = request("CREATE", Some(pod), false);
        assert!(!j.decide(&req).allowed);
    }
}
