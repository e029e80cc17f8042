//! The host rule pack: one rule per file, ids `JW-HOST-NNNN`, each with its documentation in
//! the same shape as the audit rules (`## What it detects`, `## Why it matters`, `## Example`,
//! `## False positives`, `## Response`). Rules are pure functions of the [`Facts`] the
//! [`crate::HostDetector`] gathered about one record; they grade severity by context.

use crate::config::HostConfig;
use crate::context::ExecContext;
use crate::error::HostLocation;
use crate::event::HostRecord;
use crate::kubectl::KubectlInvocation;
use crate::rawapi::RawApiCall;
use jobwarden_model::{Severity, Subject};
use serde_json::Value;

mod batch_pod_container_start;
mod kube_client_in_container;
mod kubectl_batch_reconnaissance;
mod kubectl_batch_write;
mod node_cron_write;
mod proxy_batch_api_write;
mod proxy_mining_pool;
mod raw_api_batch_request;
mod static_pod_manifest_write;

pub use jobwarden_model::{RuleMeta, RuleStatus as Status};

/// What the detector knows about one record when the rules run.
#[derive(Debug)]
pub struct Facts<'a> {
    /// The record.
    pub record: &'a HostRecord,
    /// Where it was read.
    pub location: &'a HostLocation,
    /// For process events: where the process ran.
    pub context: Option<ExecContext>,
    /// kubectl invocations on the command line.
    pub kubectl: Vec<KubectlInvocation>,
    /// Raw API calls on the command line.
    pub raw_api: Vec<RawApiCall>,
    /// Files the command line redirects output to (`>`, `>>`, `tee`).
    pub writes_to: Vec<String>,
    /// The same host and user read batch objects shortly before (reconnaissance, then action).
    pub recent_recon: bool,
    /// The command line mentions the pod's service-account token.
    pub service_account_token: bool,
}

impl Facts<'_> {
    /// The record's command line (process, file writer, container entry), or empty.
    pub fn record_command_line(&self) -> String {
        match self.record {
            HostRecord::Process(p) => p.command_line.clone(),
            HostRecord::File(f) => f.command_line.clone().unwrap_or_default(),
            HostRecord::Container(c) => c.command_line.clone().unwrap_or_default(),
            HostRecord::Proxy(_) => String::new(),
        }
    }
}

/// A rule's verdict on one record.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Severity before config overrides.
    pub severity: Severity,
    /// One line a person can act on.
    pub summary: String,
    /// The object the alert is about.
    pub subject: Subject,
    /// What matched, field by field (added to the evidence detail).
    pub detail: Vec<(&'static str, Value)>,
    /// What to do now.
    pub remediation: Option<String>,
}

/// A built-in host rule.
pub trait Rule: Send + Sync {
    /// Identity and docs.
    fn meta(&self) -> &'static RuleMeta;
    /// Judge one record.
    fn check(&self, facts: &Facts<'_>, config: &HostConfig) -> Option<Hit>;
}

/// Every built-in host rule, in id order.
pub fn builtin() -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = vec![
        Box::new(kubectl_batch_reconnaissance::KubectlBatchReconnaissance),
        Box::new(kubectl_batch_write::KubectlBatchWrite),
        Box::new(raw_api_batch_request::RawApiBatchRequest),
        Box::new(kube_client_in_container::KubeClientInContainer),
        Box::new(node_cron_write::NodeCronWrite),
        Box::new(static_pod_manifest_write::StaticPodManifestWrite),
        Box::new(batch_pod_container_start::BatchPodContainerStart),
        Box::new(proxy_batch_api_write::ProxyBatchApiWrite),
        Box::new(proxy_mining_pool::ProxyMiningPool),
    ];
    rules.sort_by_key(|r| r.meta().id);
    rules
}

/// Find a rule by id (case-insensitive) or slug.
pub fn find<'a>(rules: &'a [Box<dyn Rule>], key: &str) -> Option<&'a dyn Rule> {
    rules
        .iter()
        .find(|r| r.meta().id.eq_ignore_ascii_case(key) || r.meta().slug == key)
        .map(|r| r.as_ref())
}

/// Shorthand for detail entries.
/// A file write on a node, from a file event or from a process whose command line writes to
/// a path `wanted` accepts: (path as written, writing executable, from a container, host).
pub(crate) fn node_file_write(
    facts: &Facts<'_>,
    wanted: impl Fn(&str) -> bool,
) -> Option<(String, Option<String>, bool, Option<String>)> {
    match facts.record {
        HostRecord::File(f) => Some((
            f.path.clone(),
            f.exe.clone(),
            f.container.is_known(),
            f.host.clone(),
        )),
        HostRecord::Process(p) => {
            let target = facts.writes_to.iter().find(|t| wanted(t))?;
            Some((
                target.clone(),
                p.exe.clone(),
                facts.context.as_ref().is_some_and(|c| c.in_container()),
                p.host.clone(),
            ))
        }
        _ => None,
    }
}

pub(crate) fn detail(key: &'static str, value: impl Into<Value>) -> (&'static str, Value) {
    (key, value.into())
}

/// `severity` raised `steps` times, capped at `cap`.
pub(crate) fn raise(severity: Severity, steps: usize, cap: Severity) -> Severity {
    let mut s = severity;
    for _ in 0..steps {
        s = s.raised();
    }
    s.min(cap).max(severity.min(cap))
}

/// Commands that fetch and run code, open reverse shells, decode payloads or mine.
pub(crate) fn suspicious_payload(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    const MARKERS: &[(&str, &str)] = &[
        ("| sh", "download piped to a shell"),
        ("|sh", "download piped to a shell"),
        ("| bash", "download piped to a shell"),
        ("|bash", "download piped to a shell"),
        ("base64 -d", "base64-decoded payload"),
        ("base64 --decode", "base64-decoded payload"),
        ("/dev/tcp/", "reverse shell"),
        ("nc -e", "reverse shell"),
        ("ncat -e", "reverse shell"),
        ("socat exec", "reverse shell"),
        ("mkfifo", "reverse shell"),
        ("xmrig", "cryptominer"),
        ("stratum+tcp", "cryptominer"),
        ("--donate-level", "cryptominer"),
        ("nsenter -t 1", "host namespace escape"),
        ("nsenter --target 1", "host namespace escape"),
        ("chroot /host", "host filesystem escape"),
        ("/etc/crontab", "host crontab write"),
        ("/etc/cron.d", "host crontab write"),
    ];
    MARKERS
        .iter()
        .find(|(m, _)| lower.contains(m))
        .map(|(_, why)| *why)
}

/// `sa`, `system:serviceaccount:kube-system:...` or `system:masters`: impersonating a
/// controller or cluster-admin identity.
pub(crate) fn powerful_impersonation(inv: &KubectlInvocation) -> bool {
    inv.impersonate.as_ref().is_some_and(|imp| {
        imp.user.as_deref().is_some_and(|u| {
            u.starts_with("system:serviceaccount:kube-system:")
                || u.starts_with("system:kube-")
                || u == "system:admin"
                || u.starts_with("system:node:")
        }) || imp
            .groups
            .iter()
            .any(|g| g == "system:masters" || g == "system:nodes")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_docs_complete() {
        let rules = builtin();
        let mut ids: Vec<_> = rules.iter().map(|r| r.meta().id).collect();
        ids.dedup();
        assert_eq!(ids.len(), rules.len(), "duplicate rule id");
        let mut slugs: Vec<_> = rules.iter().map(|r| r.meta().slug).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), rules.len(), "duplicate slug");
        for r in &rules {
            let m = r.meta();
            assert!(m.id.starts_with("JW-HOST-") && m.id.len() == 12, "{}", m.id);
            for section in [
                "## What it detects",
                "## Why it matters",
                "## Example",
                "## False positives",
                "## Response",
            ] {
                assert!(m.docs.contains(section), "{} lacks {section}", m.id);
            }
            assert!(m.attack.contains(&"T1053.007"), "{} lacks T1053.007", m.id);
        }
        assert!(find(&rules, "jw-host-0001").is_some());
        assert!(find(&rules, "kubectl-batch-write").is_some());
    }

    #[test]
    fn raising_is_capped() {
        assert_eq!(raise(Severity::Info, 2, Severity::High), Severity::Medium);
        assert_eq!(raise(Severity::Medium, 5, Severity::High), Severity::High);
        assert_eq!(raise(Severity::Critical, 1, Severity::High), Severity::High);
    }
}
