//! The Pod Security Standards (`baseline`, `restricted`) exactly as upstream
//! kubernetes/pod-security-admission defines them in `policy/check_*.go`, for every policy
//! version from v1.0 to v1.37 and `latest`.
//!
//! * [`evaluate_pod`] judges one pod (metadata + spec) at a level and version and returns the
//!   [`Violation`]s, each with the upstream check id, forbidden reason and detail, and the JSON
//!   paths of the offending fields.
//! * [`judge_object`] finds the pod template of any workload kind PSA knows (Pod, PodTemplate,
//!   ReplicationController, ReplicaSet, Deployment, DaemonSet, StatefulSet, Job, CronJob) and
//!   returns [`PssFinding`]s ready to become `jobwarden_model::Finding`s.
//! * [`namespace_policy`] reads a Namespace's `pod-security.kubernetes.io/*` labels.
//! * [`CHECKS`] documents every check (ids, levels, versions, allowed values) for rule
//!   metadata in reports.
//!
//! Version semantics follow upstream's registry: each check has revisions with a minimum
//! version; a policy version uses the newest revision at or below it; `latest` and versions
//! newer than [`MAX_MINOR`] resolve to [`MAX_MINOR`]. `restricted` runs every `baseline` check
//! except those a restricted revision overrides at that version (`hostPathVolumes` by
//! `restrictedVolumes`, `seccompProfile_baseline` by `seccompProfile_restricted` from 1.19,
//! `capabilities_baseline` by `capabilities_restricted` from 1.22, `procMount` by
//! `procMount_restricted` from 1.35).

mod checks;
mod docs;
mod namespace;
mod object;
mod version;

#[cfg(test)]
mod tests;

pub use docs::{CHECKS, CheckDoc, check_doc};
pub use namespace::{Mode, NamespacePolicy, namespace_policy};
pub use object::{PssFinding, judge_object};
pub use version::{Level, MAX_MINOR, ParseError, Version};

use checks::Pod;
use serde_json::Value;

/// One failed check for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The upstream check id, e.g. `runAsNonRoot` or `capabilities_restricted`.
    pub check: &'static str,
    /// Upstream's short forbidden reason, e.g. `runAsNonRoot != true`.
    pub reason: String,
    /// Upstream's forbidden detail, e.g. `pod or container "app" must set ...`.
    pub detail: String,
    /// JSON paths (relative to the pod: `spec.…` or `metadata.annotations["…"]`) of the
    /// offending fields; for a required field that is missing, the path where it belongs.
    pub paths: Vec<String>,
}

impl Violation {
    /// `reason (detail)`, as upstream prints one check in an admission warning.
    pub fn message(&self) -> String {
        if self.detail.is_empty() {
            self.reason.clone()
        } else {
            format!("{} ({})", self.reason, self.detail)
        }
    }
}

/// Judges a pod at `level` and `version`. `metadata` is the pod's (or template's) metadata
/// object, read for annotations only; `spec` is the pod spec. Anything that is not an object
/// is treated as empty. Violations come in a stable order: baseline checks first.
pub fn evaluate_pod(
    metadata: &Value,
    spec: &Value,
    level: Level,
    version: Version,
) -> Vec<Violation> {
    let minor = version.effective_minor();
    let pod = Pod { metadata, spec };
    let restricted = level == Level::Restricted;
    let mut out: Vec<Option<Violation>> = Vec::with_capacity(19);

    // Baseline checks, minus the ones a restricted revision overrides at this version.
    out.push(checks::host_namespaces(&pod));
    out.push(checks::privileged(&pod));
    if !(restricted && minor >= 22) {
        out.push(checks::capabilities_baseline(&pod));
    }
    if !restricted {
        out.push(checks::host_path_volumes(&pod));
    }
    out.push(checks::host_ports(&pod));
    out.push(checks::app_armor_profile(&pod));
    out.push(checks::se_linux_options(&pod, minor));
    if !(restricted && minor >= 35) {
        out.push(checks::proc_mount(&pod, minor));
    }
    if !(restricted && minor >= 19) {
        out.push(checks::seccomp_profile_baseline(&pod, minor));
    }
    out.push(checks::sysctls(&pod, minor));
    out.push(checks::windows_host_process(&pod));
    if minor >= 34 {
        out.push(checks::host_probes_and_host_lifecycle(&pod));
    }

    if restricted {
        out.push(checks::restricted_volumes(&pod));
        if minor >= 8 {
            out.push(checks::allow_privilege_escalation(&pod, minor));
        }
        out.push(checks::run_as_non_root(&pod, minor));
        if minor >= 23 {
            out.push(checks::run_as_user(&pod, minor));
        }
        if minor >= 19 {
            out.push(checks::seccomp_profile_restricted(&pod, minor));
        }
        if minor >= 22 {
            out.push(checks::capabilities_restricted(&pod, minor));
        }
        if minor >= 35 {
            out.push(checks::proc_mount_restricted(&pod));
        }
    }
    out.into_iter().flatten().collect()
}
