//! JW-HOST-0001: kubectl reading Jobs or CronJobs (get, describe, `auth can-i` on batch).

use super::{Facts, Hit, Rule, RuleMeta, Status, detail, powerful_impersonation, raise};
use crate::config::HostConfig;
use crate::context::ExecContext;
use crate::kubectl::Action;
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct KubectlBatchReconnaissance;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0001",
    slug: "kubectl-batch-reconnaissance",
    title: "kubectl lists or inspects Jobs or CronJobs",
    max_severity: Severity::High,
    attack: &["T1613", "T1053.007"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A process start whose command line runs kubectl (or `oc`) to read batch objects: `get`,
`describe`, `logs`, `wait` on `jobs`/`cronjobs` in any spelling (`cj`, `jobs.batch`,
`cronjob.v1.batch/NAME`, `all`), or `auth can-i <verb> cronjobs|jobs`. Global flags may sit
anywhere; `sh -c`, pipelines and wrappers are followed.

## Why it matters
`kubectl get jobs` is the first step MITRE names for T1053.007: find a CronJob to hijack or
learn what runs where. At an admin's shell it is routine (`info`, `low` with `-A` or
`auth can-i`); from inside a container (pod identity, or a runtime shim such as
containerd-shim, runc or conmon among the ancestors) or as a web server's child it is an
intruder looking around (`medium`); with an explicit `--token` or the pod's service-account
token, or impersonating a controller, one step more.

## Example
`kubectl get cronjobs -A` run by `bash` under `containerd-shim-runc-v2` in pod `web-7f9`:
`medium`. Benign look-alike: `kubectl get jobs -n batch` by an admin on a bastion: `info`.

## False positives
Debug containers and toolbox pods that admins exec into; CI jobs listing their own Jobs
(`low`).

## Response
Check who opened the shell in that container, and look for a batch write that follows from
the same host or pod.",
};

impl Rule for KubectlBatchReconnaissance {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, config: &HostConfig) -> Option<Hit> {
        let inv = facts
            .kubectl
            .iter()
            .find(|k| k.action() == Action::Read && k.touches_batch())?;
        let context = facts.context.as_ref()?;
        let broad = inv.all_namespaces || inv.verb == "auth";
        let mut severity = match context {
            ExecContext::Container { .. } | ExecContext::WebServer { .. } => Severity::Medium,
            ExecContext::Ci { .. } | ExecContext::Cron => Severity::Low,
            ExecContext::Host if broad => Severity::Low,
            ExecContext::Host => Severity::Info,
        };
        let mut steps = crate::detector::identity_steps(facts, config);
        if inv.token_flag_present || facts.service_account_token || powerful_impersonation(inv) {
            steps += 1;
        }
        severity = raise(severity, steps, Severity::High);
        let kind = inv.batch_kind().unwrap_or("CronJob");
        Some(Hit {
            severity,
            summary: format!(
                "`{}` ({}) in {}",
                inv.describe(),
                if broad { "all namespaces or permissions" } else { "batch read" },
                context.label()
            ),
            subject: Subject {
                kind: if kind == "all" { "CronJob".into() } else { kind.to_string() },
                namespace: inv.namespace.clone(),
                name: inv.batch_name().map(str::to_string),
                cluster: inv.context.clone(),
            },
            detail: vec![detail("context_kind", context.label())],
            remediation: matches!(context, ExecContext::Container { .. } | ExecContext::WebServer { .. })
                .then(|| "Find out who runs kubectl in this workload; remove its service account's batch permissions if not needed.".to_string()),
        })
    }
}
