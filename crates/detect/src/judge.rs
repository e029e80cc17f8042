//! The seam to the policy core: judge an object's template and CronJob settings, and apply
//! patches. Everything here delegates to `jobwarden-policy`, which `scan` and the admission
//! webhook call too, so a template gets the same judgement wherever it is seen.

use crate::config::Config;
use jobwarden_model::Severity;
use jobwarden_policy::{PatchKind, TemplateFinding};
use serde_json::Value;

/// One finding of the policy core, as the rules consume it.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgedFinding {
    /// Stable check id (`template.privileged`, `cronjob.history.zero`).
    pub check: String,
    /// Severity the policy core gives it.
    pub severity: Severity,
    /// JSON path of the field.
    pub path: String,
    /// One line for a person.
    pub message: String,
    /// ATT&CK ids of the finding.
    pub attack: Vec<String>,
}

impl From<TemplateFinding> for JudgedFinding {
    fn from(f: TemplateFinding) -> Self {
        JudgedFinding {
            check: f.check.to_string(),
            severity: f.severity,
            path: f.path,
            message: f.message,
            attack: f.attack.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Judge a Job, CronJob or Pod object: template checks and CronJob heuristics, most severe
/// first. An object without a pod template yields only CronJob findings (if any).
pub fn judge_object(
    object: &Value,
    namespace: Option<&str>,
    config: &Config,
) -> Vec<JudgedFinding> {
    let mut out: Vec<JudgedFinding> =
        jobwarden_policy::judge_object_in(object, namespace, &config.template)
            .unwrap_or_default()
            .into_iter()
            .map(JudgedFinding::from)
            .collect();
    let is_batch = matches!(
        object.get("kind").and_then(Value::as_str),
        Some("CronJob" | "Job")
    );
    if is_batch {
        out.extend(
            jobwarden_policy::judge_cronjob_with(object, &config.cronjob)
                .into_iter()
                .map(JudgedFinding::from),
        );
    }
    cap_trusted_host_access(object, config, &mut out);
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check.cmp(&b.check))
    });
    out
}

/// Findings that trusted images legitimately raise (privilege, host namespaces and paths, root)
/// are capped at `low` when every container of the object uses a trusted image. Findings about
/// commands and images stay: a trusted image running a downloaded script is still an attack.
fn cap_trusted_host_access(object: &Value, config: &Config, findings: &mut [JudgedFinding]) {
    if config.trusted_images.is_empty() || findings.is_empty() {
        return;
    }
    let namespace = object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let facts = crate::facts::TemplateFacts::of(object);
    let images = facts.images();
    let all_trusted = !images.is_empty()
        && images.iter().all(|img| {
            config
                .trusted_images
                .iter()
                .any(|t| t.covers(img, namespace))
        });
    if !all_trusted {
        return;
    }
    for f in findings.iter_mut() {
        let about_code =
            f.check.starts_with("template.command") || f.check.starts_with("template.image");
        if !about_code && f.severity > Severity::Low {
            f.severity = Severity::Low;
        }
    }
}

/// Apply a patch body to the last known object. Audit events do not record the content type,
/// so the patch kind is guessed from the body's shape (array: JSON patch; object: strategic
/// merge for built-in kinds, which is also right for merge patches and apply bodies of these
/// fields).
pub fn apply_patch(base: &Value, patch: &Value) -> Result<Value, jobwarden_policy::PatchError> {
    jobwarden_policy::apply_patch(base, patch, PatchKind::guess(patch))
}
